//! A map from server ids to what the simulator keeps of each server. The ids of a run are
//! 1..=n with no gaps (participants, then observers), so the map is a vector indexed by
//! `id - 1`: it is consulted several times on every step, where a search, even of a small
//! tree, shows. It answers like the `BTreeMap` it replaces: in id order, and `None` for an
//! id that is not a server (clients go by 0).

use crate::peer::message::ServerId;

#[derive(Debug)]
pub(super) struct ByServer<T> {
    values: Vec<T>,
}

impl<T> ByServer<T> {
    /// The map for servers 1..=n, each value made by `make(id)`.
    pub(super) fn new(n: u64, mut make: impl FnMut(ServerId) -> T) -> Self {
        ByServer {
            values: (1..=n).map(&mut make).collect(),
        }
    }

    fn index(&self, id: ServerId) -> Option<usize> {
        let index = usize::try_from(id.checked_sub(1)?).ok()?;
        (index < self.values.len()).then_some(index)
    }

    pub(super) fn get(&self, id: &ServerId) -> Option<&T> {
        self.index(*id).map(|index| &self.values[index])
    }

    pub(super) fn get_mut(&mut self, id: &ServerId) -> Option<&mut T> {
        self.index(*id).map(|index| &mut self.values[index])
    }

    pub(super) fn contains_key(&self, id: &ServerId) -> bool {
        self.index(*id).is_some()
    }

    /// Every server with its value, in id order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (ServerId, &T)> {
        (1..).zip(&self.values)
    }

    pub(super) fn keys(&self) -> impl Iterator<Item = ServerId> + '_ {
        (1..).take(self.values.len())
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &T> {
        self.values.iter()
    }

    /// Adds the next server (an observer joining while the run goes on) and gives its id.
    pub(super) fn push(&mut self, value: T) -> ServerId {
        self.values.push(value);
        self.values.len() as ServerId
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_one_to_n_and_nothing_else() {
        let mut map = ByServer::new(3, |id| id * 10);
        assert_eq!(map.get(&0), None);
        assert_eq!(map.get(&1), Some(&10));
        assert_eq!(map.get(&3), Some(&30));
        assert_eq!(map.get(&4), None);
        assert!(map.contains_key(&2) && !map.contains_key(&u64::MAX));
        *map.get_mut(&2).expect("server 2") += 1;
        assert_eq!(
            map.iter().collect::<Vec<_>>(),
            [(1, &10), (2, &21), (3, &30)]
        );
        assert_eq!(map.keys().collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(map.values().copied().sum::<u64>(), 61);
    }
}
