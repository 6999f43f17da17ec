//! The watches this shell's session has set, as the Java client tracks them
//! (`ZKWatchManager`). The server does not announce removed watches, and it forgets all of a
//! session's watches when its connection drops; the client's own record is what produces
//! zkCli's `DataWatchRemoved`-style events, what `removewatches` checks first, and what a
//! reconnect sends back with setWatches.

use crate::data::types::{AddWatchMode, ErrorCode, EventType, WatcherType, Zxid};
use crate::proto::records::SetWatches2;
use std::collections::BTreeSet;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WatchRegistry {
    data: BTreeSet<String>,
    /// exists() on a znode that was absent: fires on its creation.
    exist: BTreeSet<String>,
    child: BTreeSet<String>,
    persistent: BTreeSet<String>,
    persistent_recursive: BTreeSet<String>,
}

impl WatchRegistry {
    /// A getData watch, or an exists watch on a znode that existed.
    pub fn add_data(&mut self, path: &str) {
        self.data.insert(path.to_string());
    }

    /// An exists watch on a znode that did not exist.
    pub fn add_exist(&mut self, path: &str) {
        self.exist.insert(path.to_string());
    }

    pub fn add_child(&mut self, path: &str) {
        self.child.insert(path.to_string());
    }

    pub fn add_persistent(&mut self, path: &str, mode: AddWatchMode) {
        match mode {
            AddWatchMode::Persistent => self.persistent.insert(path.to_string()),
            AddWatchMode::PersistentRecursive => self.persistent_recursive.insert(path.to_string()),
        };
    }

    /// Forgets the one-shot watches a notification fired (`ZKWatchManager.materialize`);
    /// persistent watches stay.
    pub fn fired(&mut self, event_type: EventType, path: &str) {
        match event_type {
            EventType::NodeCreated | EventType::NodeDataChanged => {
                self.data.remove(path);
                self.exist.remove(path);
            }
            EventType::NodeChildrenChanged => {
                self.child.remove(path);
            }
            EventType::NodeDeleted => {
                self.data.remove(path);
                self.exist.remove(path);
                self.child.remove(path);
            }
            EventType::None
            | EventType::DataWatchRemoved
            | EventType::ChildWatchRemoved
            | EventType::PersistentWatchRemoved => {}
        }
    }

    /// Applies a removeWatches the server answered with `server_result`, as
    /// `ZKWatchManager.removeWatcher` does: no watch of that type here is NoWatcher whatever
    /// the server said; a server error is the answer unless `local` asks to remove anyway.
    /// Returns the event types to announce, one per kind of watch removed.
    pub fn remove(
        &mut self,
        path: &str,
        watcher_type: WatcherType,
        local: bool,
        server_result: Result<(), ErrorCode>,
    ) -> Result<Vec<EventType>, ErrorCode> {
        if !self.contains(path, watcher_type) {
            return Err(ErrorCode::NoWatcher);
        }
        if let (Err(code), false) = (server_result, local) {
            return Err(code);
        }
        let (mut child, mut data, mut persistent) = (false, false, false);
        match watcher_type {
            WatcherType::Children => child = self.child.remove(path),
            WatcherType::Data => {
                data = self.data.remove(path);
                data |= self.exist.remove(path);
            }
            WatcherType::Any => {
                child = self.child.remove(path);
                data = self.data.remove(path);
                data |= self.exist.remove(path);
                persistent = self.persistent.remove(path);
                persistent |= self.persistent_recursive.remove(path);
            }
        }
        let removed: Vec<EventType> = [
            (child, EventType::ChildWatchRemoved),
            (data, EventType::DataWatchRemoved),
            (persistent, EventType::PersistentWatchRemoved),
        ]
        .into_iter()
        .filter(|(removed, _)| *removed)
        .map(|(_, event_type)| event_type)
        .collect();
        if removed.is_empty() {
            return Err(ErrorCode::NoWatcher);
        }
        Ok(removed)
    }

    /// `ZKWatchManager.containsWatcher`: persistent watches count for every type.
    fn contains(&self, path: &str, watcher_type: WatcherType) -> bool {
        let persistent = self.persistent.contains(path) || self.persistent_recursive.contains(path);
        let data = self.data.contains(path) || self.exist.contains(path);
        let child = self.child.contains(path);
        persistent
            || match watcher_type {
                WatcherType::Children => child,
                WatcherType::Data => data,
                WatcherType::Any => child || data,
            }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
            && self.exist.is_empty()
            && self.child.is_empty()
            && self.persistent.is_empty()
            && self.persistent_recursive.is_empty()
    }

    /// The setWatches2 that re-registers everything on a new connection, or `None` when
    /// there is nothing to restore.
    pub fn set_watches(&self, relative_zxid: Zxid) -> Option<SetWatches2> {
        let list = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>();
        (!self.is_empty()).then(|| SetWatches2 {
            relative_zxid,
            data_watches: list(&self.data),
            exist_watches: list(&self.exist),
            child_watches: list(&self.child),
            persistent_watches: list(&self.persistent),
            persistent_recursive_watches: list(&self.persistent_recursive),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removing_data_then_any_reports_each_kind_once_then_no_watcher() {
        let mut watches = WatchRegistry::default();
        watches.add_data("/r");
        watches.add_child("/r");
        assert_eq!(
            watches.remove("/r", WatcherType::Data, false, Ok(())),
            Ok(vec![EventType::DataWatchRemoved])
        );
        assert_eq!(
            watches.remove("/r", WatcherType::Data, false, Ok(())),
            Err(ErrorCode::NoWatcher)
        );
        assert_eq!(
            watches.remove("/r", WatcherType::Any, false, Ok(())),
            Ok(vec![EventType::ChildWatchRemoved])
        );
        assert!(watches.is_empty());
    }

    #[test]
    fn fired_one_shot_watches_are_forgotten_and_persistent_ones_kept() {
        let mut watches = WatchRegistry::default();
        watches.add_data("/a");
        watches.add_exist("/b");
        watches.add_child("/a");
        watches.add_persistent("/a", AddWatchMode::PersistentRecursive);
        watches.fired(EventType::NodeDataChanged, "/a");
        watches.fired(EventType::NodeCreated, "/b");
        assert_eq!(
            watches.set_watches(Zxid(7)),
            Some(SetWatches2 {
                relative_zxid: Zxid(7),
                data_watches: vec![],
                exist_watches: vec![],
                child_watches: vec!["/a".into()],
                persistent_watches: vec![],
                persistent_recursive_watches: vec!["/a".into()],
            })
        );
        watches.fired(EventType::NodeDeleted, "/a");
        assert_eq!(
            watches.remove("/a", WatcherType::Any, false, Ok(())),
            Ok(vec![EventType::PersistentWatchRemoved])
        );
        assert_eq!(watches.set_watches(Zxid(7)), None);
    }

    #[test]
    fn a_persistent_watch_passes_the_check_but_only_any_removes_it() {
        let mut watches = WatchRegistry::default();
        watches.add_persistent("/p", AddWatchMode::Persistent);
        assert_eq!(
            watches.remove("/p", WatcherType::Children, false, Ok(())),
            Err(ErrorCode::NoWatcher)
        );
        assert_eq!(
            watches.remove("/p", WatcherType::Any, false, Ok(())),
            Ok(vec![EventType::PersistentWatchRemoved])
        );
    }

    #[test]
    fn a_server_error_wins_unless_removal_is_local() {
        let mut watches = WatchRegistry::default();
        watches.add_child("/c");
        assert_eq!(
            watches.remove(
                "/c",
                WatcherType::Children,
                false,
                Err(ErrorCode::ConnectionLoss)
            ),
            Err(ErrorCode::ConnectionLoss)
        );
        assert_eq!(
            watches.remove(
                "/c",
                WatcherType::Children,
                true,
                Err(ErrorCode::ConnectionLoss)
            ),
            Ok(vec![EventType::ChildWatchRemoved])
        );
    }
}
