//! The simulator's agenda: events waiting for their virtual time, taken in the order of
//! (time, insertion sequence), so that events due at the same moment run in the order they
//! were scheduled and a run stays a pure function of its seed.
//!
//! Nearly every step schedules a few events and takes the earliest, so both must be cheap:
//! a binary heap holds only the small keys (time, sequence, where the event is), and the
//! events themselves stay put in a slab whose free places are reused. Looking at the whole
//! agenda in order (displays, manual mode) sorts a copy of the keys, and taking out an event
//! other than the earliest (manual mode) rebuilds the heap: both are rare next to stepping.

use super::EventKey;
use crate::time::VirtualTime;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Events of type `E` keyed by when they are due.
#[derive(Debug)]
pub(super) struct Agenda<E> {
    /// The earliest key on top; each key names its event's place in `slab`.
    heap: BinaryHeap<Reverse<(EventKey, usize)>>,
    slab: Vec<Option<E>>,
    /// Places in `slab` that are empty, to be reused.
    free: Vec<usize>,
    next_sequence: u64,
}

impl<E> Default for Agenda<E> {
    fn default() -> Self {
        Agenda {
            heap: BinaryHeap::new(),
            slab: Vec::new(),
            free: Vec::new(),
            next_sequence: 0,
        }
    }
}

impl<E> Agenda<E> {
    /// Schedules `event` at `at`, after everything already scheduled for the same time.
    pub(super) fn push(&mut self, at: VirtualTime, event: E) -> EventKey {
        let key = (at, self.next_sequence);
        self.next_sequence += 1;
        let place = match self.free.pop() {
            Some(place) => {
                self.slab[place] = Some(event);
                place
            }
            None => {
                self.slab.push(Some(event));
                self.slab.len() - 1
            }
        };
        self.heap.push(Reverse((key, place)));
        key
    }

    /// Takes the earliest event out.
    pub(super) fn pop(&mut self) -> Option<(EventKey, E)> {
        let Reverse((key, place)) = self.heap.pop()?;
        Some((key, self.take(place)))
    }

    /// When the earliest event is due.
    pub(super) fn next_time(&self) -> Option<VirtualTime> {
        self.heap.peek().map(|Reverse(((at, _), _))| *at)
    }

    pub(super) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Takes out the event with this key, wherever it is (linear: for manual mode).
    pub(super) fn remove(&mut self, key: EventKey) -> Option<E> {
        let mut found = None;
        self.heap.retain(|Reverse((k, place))| {
            if *k == key {
                found = Some(*place);
                false
            } else {
                true
            }
        });
        found.map(|place| self.take(place))
    }

    /// The first `limit` events in the order they will run (copies and sorts the keys: for
    /// displays, not for stepping).
    pub(super) fn in_order(&self, limit: usize) -> impl Iterator<Item = (EventKey, &E)> + '_ {
        let mut keys: Vec<(EventKey, usize)> =
            self.heap.iter().map(|Reverse(entry)| *entry).collect();
        if limit < keys.len() {
            keys.select_nth_unstable(limit);
            keys.truncate(limit);
        }
        keys.sort_unstable();
        keys.into_iter()
            .filter_map(|(key, place)| self.slab[place].as_ref().map(|event| (key, event)))
    }

    /// Every event, in no particular order.
    pub(super) fn events(&self) -> impl Iterator<Item = &E> + '_ {
        self.slab.iter().flatten()
    }

    fn take(&mut self, place: usize) -> E {
        self.free.push(place);
        self.slab[place]
            .take()
            .expect("every key in the heap names a full place")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> VirtualTime {
        VirtualTime::from_millis(ms)
    }

    #[test]
    fn events_come_out_by_time_then_by_insertion() {
        let mut agenda = Agenda::default();
        for (ms, name) in [(5, "a"), (1, "b"), (5, "c"), (1, "d"), (3, "e")] {
            agenda.push(at(ms), name);
        }
        assert_eq!(agenda.next_time(), Some(at(1)));
        let order: Vec<&str> = std::iter::from_fn(|| agenda.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["b", "d", "e", "a", "c"]);
        assert_eq!(agenda.len(), 0);
        assert_eq!(agenda.next_time(), None);
    }

    #[test]
    fn removing_by_key_keeps_the_rest_in_order_and_places_are_reused() {
        let mut agenda = Agenda::default();
        let keys: Vec<EventKey> = (0..6).map(|i| agenda.push(at(10 - i), i)).collect();
        assert_eq!(agenda.remove(keys[2]), Some(2));
        assert_eq!(agenda.remove(keys[2]), None);
        let listed: Vec<u64> = agenda.in_order(usize::MAX).map(|(_, e)| *e).collect();
        assert_eq!(listed, [5, 4, 3, 1, 0]);
        let head: Vec<u64> = agenda.in_order(2).map(|(_, e)| *e).collect();
        assert_eq!(head, [5, 4]);
        agenda.push(at(0), 9);
        assert_eq!(agenda.slab.len(), 6, "the freed place was reused");
        let popped: Vec<u64> = std::iter::from_fn(|| agenda.pop().map(|(_, e)| e)).collect();
        assert_eq!(popped, [9, 5, 4, 3, 1, 0]);
        assert_eq!(agenda.events().count(), 0);
    }
}
