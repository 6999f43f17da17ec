//! The server's watch manager, with ZooKeeper 3.8's semantics (`DataTree`'s two
//! `WatchManager`s): which reads leave which watches, which events fire them, who is notified
//! and what `setWatches`, `removeWatches`, `checkWatches` and the `wch*` four-letter words see.
//!
//! ZooKeeper keeps two tables, and so does this: the data table (getData, and exists whether
//! or not the node exists) and the child table (getChildren). addWatch puts its persistent
//! watch in both. Each table holds at most one watch per (session, path) with one mode, and a
//! later registration replaces the mode: in 3.8 a getData after addWatch on the same path turns
//! the data side of the persistent watch back into a one-shot one (fixed only in 3.9,
//! ZOOKEEPER-4466). Verified against the real 3.8.0 server with a raw-protocol client.
//!
//! ZooKeeper's watcher is the connection: when a session's connection goes away its watches go
//! with it (call [`WatchManager::remove_session`]) and the reconnecting client restores them
//! with setWatches.

use super::types::{
    AddWatchMode, ErrorCode, EventType, SessionId, Stat, WatchedEvent, WatcherType, Zxid,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// How a watch behaves once it fires (`WatcherMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WatchMode {
    /// Fires once, then is gone.
    Standard,
    /// Stays, and fires for events on its own path.
    Persistent,
    /// Stays, and fires for its path and every descendant, except NodeChildrenChanged.
    PersistentRecursive,
}

impl From<AddWatchMode> for WatchMode {
    fn from(mode: AddWatchMode) -> Self {
        match mode {
            AddWatchMode::Persistent => WatchMode::Persistent,
            AddWatchMode::PersistentRecursive => WatchMode::PersistentRecursive,
        }
    }
}

/// Which of ZooKeeper's two watch tables a watch lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WatchTable {
    /// getData and exists watches (`DataTree.dataWatches`).
    Data,
    /// getChildren watches (`DataTree.childWatches`).
    Child,
}

/// A watch that removeWatches took away.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedWatch {
    pub table: WatchTable,
    pub mode: WatchMode,
}

/// A setWatches / setWatches2 request: what a reconnecting client was watching, and the last
/// zxid it had seen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetWatches {
    pub relative_zxid: Zxid,
    pub data: Vec<String>,
    pub exist: Vec<String>,
    pub child: Vec<String>,
    /// setWatches2 only.
    pub persistent: Vec<String>,
    /// setWatches2 only.
    pub persistent_recursive: Vec<String>,
}

/// What the `wchs` four-letter word reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchSummary {
    /// Sessions with at least one watch.
    pub sessions: usize,
    pub paths: usize,
    pub watches: usize,
}

/// One of the two tables, indexed both ways so that firing a path, dropping a session and
/// walking a path's ancestors for recursive watches each touch only what they concern.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Table {
    by_path: BTreeMap<String, BTreeMap<SessionId, WatchMode>>,
    by_session: BTreeMap<SessionId, BTreeSet<String>>,
    /// The recursive watches again, so that the ancestor walk skips every other kind.
    recursive: BTreeMap<String, BTreeSet<SessionId>>,
    len: usize,
}

impl Table {
    fn add(&mut self, session: SessionId, path: &str, mode: WatchMode) {
        let old = self
            .by_path
            .entry(path.to_string())
            .or_default()
            .insert(session, mode);
        match old {
            None => {
                self.len += 1;
                self.by_session
                    .entry(session)
                    .or_default()
                    .insert(path.to_string());
            }
            Some(WatchMode::PersistentRecursive) => self.forget_recursive(session, path),
            Some(_) => {}
        }
        if mode == WatchMode::PersistentRecursive {
            self.recursive
                .entry(path.to_string())
                .or_default()
                .insert(session);
        }
    }

    fn remove(&mut self, session: SessionId, path: &str) -> Option<WatchMode> {
        let watchers = self.by_path.get_mut(path)?;
        let mode = watchers.remove(&session)?;
        if watchers.is_empty() {
            self.by_path.remove(path);
        }
        self.forget_path_of(session, path);
        if mode == WatchMode::PersistentRecursive {
            self.forget_recursive(session, path);
        }
        self.len -= 1;
        Some(mode)
    }

    fn forget_path_of(&mut self, session: SessionId, path: &str) {
        if let Some(paths) = self.by_session.get_mut(&session) {
            paths.remove(path);
            if paths.is_empty() {
                self.by_session.remove(&session);
            }
        }
    }

    fn forget_recursive(&mut self, session: SessionId, path: &str) {
        if let Some(sessions) = self.recursive.get_mut(path) {
            sessions.remove(&session);
            if sessions.is_empty() {
                self.recursive.remove(path);
            }
        }
    }

    fn remove_session(&mut self, session: SessionId) {
        for path in self.by_session.remove(&session).unwrap_or_default() {
            let Some(watchers) = self.by_path.get_mut(&path) else {
                continue;
            };
            let mode = watchers.remove(&session);
            if watchers.is_empty() {
                self.by_path.remove(&path);
            }
            if mode == Some(WatchMode::PersistentRecursive) {
                self.forget_recursive(session, &path);
            }
            self.len -= 1;
        }
    }

    /// `WatchManager.triggerWatch`: adds to `fired` every session this event reaches through
    /// this table, and drops the one-shot watches it used.
    fn fire(&mut self, path: &str, event_type: EventType, fired: &mut BTreeSet<SessionId>) {
        let recursive_fires = event_type != EventType::NodeChildrenChanged;
        if let Some(watchers) = self.by_path.get_mut(path) {
            let mut used = Vec::new();
            for (&session, &mode) in watchers.iter() {
                match mode {
                    WatchMode::PersistentRecursive if !recursive_fires => {}
                    WatchMode::Standard => {
                        fired.insert(session);
                        used.push(session);
                    }
                    _ => {
                        fired.insert(session);
                    }
                }
            }
            for session in &used {
                watchers.remove(session);
            }
            if watchers.is_empty() {
                self.by_path.remove(path);
            }
            for session in used {
                self.forget_path_of(session, path);
                self.len -= 1;
            }
        }
        if recursive_fires && !self.recursive.is_empty() {
            for ancestor in ancestors(path) {
                if let Some(sessions) = self.recursive.get(ancestor) {
                    fired.extend(sessions.iter().copied());
                }
            }
        }
    }

    fn contains_path(&self, path: &str) -> bool {
        self.by_path.contains_key(path)
    }
}

/// The proper ancestors of a path, nearest first: `/a/b/c` gives `/a/b`, `/a`, `/`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    let mut rest = path;
    std::iter::from_fn(move || {
        if rest == "/" {
            return None;
        }
        rest = match rest.rfind('/')? {
            0 => "/",
            slash => &rest[..slash],
        };
        Some(rest)
    })
}

/// Every watch of every session, and who an event notifies.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchManager {
    data: Table,
    child: Table,
}

impl WatchManager {
    pub fn new() -> WatchManager {
        WatchManager::default()
    }

    fn table_mut(&mut self, table: WatchTable) -> &mut Table {
        match table {
            WatchTable::Data => &mut self.data,
            WatchTable::Child => &mut self.child,
        }
    }

    fn table(&self, table: WatchTable) -> &Table {
        match table {
            WatchTable::Data => &self.data,
            WatchTable::Child => &self.child,
        }
    }

    // ---- registration, from successful reads ----

    /// getData with watch: a one-shot data watch.
    pub fn watch_data(&mut self, session: SessionId, path: &str) {
        self.data.add(session, path, WatchMode::Standard);
    }

    /// exists with watch, on an existing node or not (ZooKeeper sets it even when the reply
    /// is NoNode). It is the same kind of watch as getData's, in the same table.
    pub fn watch_exists(&mut self, session: SessionId, path: &str) {
        self.data.add(session, path, WatchMode::Standard);
    }

    /// getChildren with watch: a one-shot child watch.
    pub fn watch_children(&mut self, session: SessionId, path: &str) {
        self.child.add(session, path, WatchMode::Standard);
    }

    /// addWatch: a persistent watch, in both tables, replacing whatever this session had
    /// on this path in either.
    pub fn add_watch(&mut self, session: SessionId, path: &str, mode: AddWatchMode) {
        self.data.add(session, path, mode.into());
        self.child.add(session, path, mode.into());
    }

    // ---- events ----

    /// Who is told about `event`, one notification per session in ascending session order,
    /// after dropping the one-shot watches it used. NodeCreated and NodeDataChanged use the
    /// data table, NodeChildrenChanged the child table, NodeDeleted both (a session watching
    /// the node both ways hears of it once); other event types notify no one.
    pub fn trigger(&mut self, event: &WatchedEvent) -> Vec<(SessionId, WatchedEvent)> {
        self.trigger_visible(event, |_| true)
    }

    /// [`trigger`](Self::trigger), keeping only the sessions `visible` accepts. ZooKeeper
    /// (3.8.4 on, and Debian's patched 3.8.0) delivers an event only to sessions that may read
    /// the node it is about (the parent for NodeChildrenChanged, the deleted node's last ACL
    /// for NodeDeleted); see [`AuthProviders::may_read`](super::acl::AuthProviders::may_read).
    /// One-shot watches are used up even when their notification is withheld.
    pub fn trigger_visible(
        &mut self,
        event: &WatchedEvent,
        mut visible: impl FnMut(SessionId) -> bool,
    ) -> Vec<(SessionId, WatchedEvent)> {
        let mut fired = BTreeSet::new();
        let path = event.path.as_str();
        match event.event_type {
            EventType::NodeCreated | EventType::NodeDataChanged => {
                self.data.fire(path, event.event_type, &mut fired);
            }
            EventType::NodeDeleted => {
                self.data.fire(path, event.event_type, &mut fired);
                self.child.fire(path, event.event_type, &mut fired);
            }
            EventType::NodeChildrenChanged => {
                self.child.fire(path, event.event_type, &mut fired);
            }
            EventType::None
            | EventType::DataWatchRemoved
            | EventType::ChildWatchRemoved
            | EventType::PersistentWatchRemoved => {}
        }
        fired
            .into_iter()
            .filter(|&session| visible(session))
            .map(|session| (session, event.clone()))
            .collect()
    }

    /// `DataTree.setWatches` for a reconnecting session: each data watch fires NodeDeleted if
    /// the node is gone or NodeDataChanged if its mzxid is past `relative_zxid`, else is set;
    /// each exist watch fires NodeCreated if the node exists, else is set; each child watch
    /// fires NodeDeleted if the node is gone or NodeChildrenChanged if its pzxid is past
    /// `relative_zxid`, else is set; persistent ones are set whatever the node's state.
    /// Returns the events to send the session now, in that order, repeats included; they are
    /// not filtered by ACL (verified: a reconnecting session with no rights on a changed node
    /// still hears NodeDataChanged).
    pub fn set_watches(
        &mut self,
        session: SessionId,
        request: &SetWatches,
        lookup: impl Fn(&str) -> Option<Stat>,
    ) -> Vec<WatchedEvent> {
        let mut events = Vec::new();
        let mut fire = |event_type: EventType, path: &str| {
            events.push(WatchedEvent {
                event_type,
                path: path.to_string(),
            });
        };
        let relative = request.relative_zxid;
        for path in &request.data {
            match lookup(path) {
                None => fire(EventType::NodeDeleted, path),
                Some(stat) if Zxid(stat.mzxid) > relative => fire(EventType::NodeDataChanged, path),
                Some(_) => self.watch_data(session, path),
            }
        }
        for path in &request.exist {
            match lookup(path) {
                Some(_) => fire(EventType::NodeCreated, path),
                None => self.watch_exists(session, path),
            }
        }
        for path in &request.child {
            match lookup(path) {
                None => fire(EventType::NodeDeleted, path),
                Some(stat) if Zxid(stat.pzxid) > relative => {
                    fire(EventType::NodeChildrenChanged, path)
                }
                Some(_) => self.watch_children(session, path),
            }
        }
        for path in &request.persistent {
            self.add_watch(session, path, AddWatchMode::Persistent);
        }
        for path in &request.persistent_recursive {
            self.add_watch(session, path, AddWatchMode::PersistentRecursive);
        }
        events
    }

    // ---- removal ----

    /// removeWatches: drops this session's watch on exactly `path` from the child table
    /// (Children), the data table (Data) or both (Any), whatever its mode, so removing Data
    /// from a persistent watch leaves its child half firing NodeChildrenChanged. NoWatcher
    /// when nothing was removed. (The client's `local` flag never reaches the server.)
    pub fn remove_watches(
        &mut self,
        session: SessionId,
        path: &str,
        watcher_type: WatcherType,
    ) -> Result<Vec<RemovedWatch>, ErrorCode> {
        let removed: Vec<RemovedWatch> = tables_for(watcher_type)
            .iter()
            .filter_map(|&table| {
                self.table_mut(table)
                    .remove(session, path)
                    .map(|mode| RemovedWatch { table, mode })
            })
            .collect();
        if removed.is_empty() {
            Err(ErrorCode::NoWatcher)
        } else {
            Ok(removed)
        }
    }

    /// checkWatches as ZooKeeper 3.8 answers it: Ok when the chosen table(s) hold any watch on
    /// exactly `path`, whichever session set it (3.8's `containsWatcher` ignores the asker;
    /// verified on the real server), and NoWatcher otherwise. Recursive watches on ancestors
    /// do not count.
    pub fn check_watches(&self, path: &str, watcher_type: WatcherType) -> Result<(), ErrorCode> {
        if tables_for(watcher_type)
            .iter()
            .any(|&table| self.table(table).contains_path(path))
        {
            Ok(())
        } else {
            Err(ErrorCode::NoWatcher)
        }
    }

    /// Drops every watch of a session whose connection closed or which expired.
    pub fn remove_session(&mut self, session: SessionId) {
        self.data.remove_session(session);
        self.child.remove_session(session);
    }

    // ---- counts and listings ----

    /// `zk_watch_count` (mntr): the watches in both tables, so a persistent watch counts twice.
    pub fn watch_count(&self) -> usize {
        self.data.len + self.child.len
    }

    /// `wchs`. Like every `wch*` word in ZooKeeper 3.8 it sees only the data table: child
    /// watches do not show (verified on the real server).
    pub fn summary(&self) -> WatchSummary {
        WatchSummary {
            sessions: self.data.by_session.len(),
            paths: self.data.by_path.len(),
            watches: self.data.len,
        }
    }

    /// `wchc`: each session's data-table watch paths.
    pub fn paths_by_session(&self) -> &BTreeMap<SessionId, BTreeSet<String>> {
        &self.data.by_session
    }

    /// `wchp`: each data-table watch path's sessions.
    pub fn sessions_by_path(&self) -> BTreeMap<&str, Vec<SessionId>> {
        self.data
            .by_path
            .iter()
            .map(|(path, watchers)| (path.as_str(), watchers.keys().copied().collect()))
            .collect()
    }

    /// Every watch a session holds, in both tables, by path then table: for the visualiser.
    pub fn watches_of(&self, session: SessionId) -> Vec<(&str, WatchTable, WatchMode)> {
        let mut watches = Vec::new();
        for table in [WatchTable::Data, WatchTable::Child] {
            let held = self.table(table);
            for path in held.by_session.get(&session).into_iter().flatten() {
                if let Some(&mode) = held.by_path.get(path).and_then(|w| w.get(&session)) {
                    watches.push((path.as_str(), table, mode));
                }
            }
        }
        watches.sort();
        watches
    }
}

fn tables_for(watcher_type: WatcherType) -> &'static [WatchTable] {
    match watcher_type {
        WatcherType::Children => &[WatchTable::Child],
        WatcherType::Data => &[WatchTable::Data],
        WatcherType::Any => &[WatchTable::Child, WatchTable::Data],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use EventType::{NodeChildrenChanged, NodeCreated, NodeDataChanged, NodeDeleted};

    const A: SessionId = 0x100;
    const B: SessionId = 0x200;
    const C: SessionId = 0x300;

    fn event(event_type: EventType, path: &str) -> WatchedEvent {
        WatchedEvent {
            event_type,
            path: path.to_string(),
        }
    }

    /// The sessions an event notifies, checking each notification carries the event.
    fn fire(watches: &mut WatchManager, event_type: EventType, path: &str) -> Vec<SessionId> {
        let sent = event(event_type, path);
        watches
            .trigger(&sent)
            .into_iter()
            .map(|(session, got)| {
                assert_eq!(got, sent);
                session
            })
            .collect()
    }

    fn stat(mzxid: i64, pzxid: i64) -> Stat {
        Stat {
            mzxid,
            pzxid,
            ..Stat::default()
        }
    }

    #[test]
    fn data_watch_fires_once_on_data_change_or_delete() {
        let mut watches = WatchManager::new();
        watches.watch_data(A, "/a");
        assert_eq!(fire(&mut watches, NodeDataChanged, "/a"), [A]);
        assert_eq!(fire(&mut watches, NodeDataChanged, "/a"), []);
        watches.watch_data(A, "/a");
        assert_eq!(fire(&mut watches, NodeChildrenChanged, "/a"), []);
        assert_eq!(fire(&mut watches, NodeDeleted, "/a"), [A]);
        assert_eq!(watches.watch_count(), 0);
    }

    #[test]
    fn exists_watch_on_missing_node_fires_on_create() {
        // Real server: exists(/t/b) -> NoNode; create /t/b -> NodeCreated; set -> nothing.
        let mut watches = WatchManager::new();
        watches.watch_exists(A, "/t/b");
        assert_eq!(fire(&mut watches, NodeCreated, "/t/b"), [A]);
        assert_eq!(fire(&mut watches, NodeDataChanged, "/t/b"), []);
    }

    #[test]
    fn child_watch_fires_on_children_changed_and_delete_only() {
        let mut watches = WatchManager::new();
        watches.watch_children(A, "/p");
        assert_eq!(fire(&mut watches, NodeDataChanged, "/p"), []);
        assert_eq!(fire(&mut watches, NodeCreated, "/p"), []);
        assert_eq!(fire(&mut watches, NodeChildrenChanged, "/p/x"), []);
        assert_eq!(fire(&mut watches, NodeChildrenChanged, "/p"), [A]);
        assert_eq!(fire(&mut watches, NodeChildrenChanged, "/p"), []);
        watches.watch_children(A, "/p");
        assert_eq!(fire(&mut watches, NodeDeleted, "/p"), [A]);
        assert_eq!(watches.watch_count(), 0);
    }

    #[test]
    fn delete_notifies_a_session_once_and_uses_up_both_watches() {
        // Real server: getData + getChildren + addWatch(recursive on the parent), delete ->
        // one NodeDeleted. Java dedupes the child trigger against the data trigger's watchers.
        let mut watches = WatchManager::new();
        watches.watch_data(A, "/q/y");
        watches.watch_children(A, "/q/y");
        watches.add_watch(A, "/q", AddWatchMode::PersistentRecursive);
        watches.watch_children(B, "/q/y");
        assert_eq!(fire(&mut watches, NodeDeleted, "/q/y"), [A, B]);
        assert!(watches
            .watches_of(A)
            .iter()
            .all(|(path, _, _)| *path == "/q"));
        assert!(watches.watches_of(B).is_empty());
    }

    #[test]
    fn persistent_watch_fires_on_its_own_path_and_stays() {
        // Real server: addWatch(/t, persistent); create /t/c -> NodeChildrenChanged /t;
        // set /t -> NodeDataChanged /t; create/delete /t/c/d -> nothing.
        let mut watches = WatchManager::new();
        watches.add_watch(A, "/t", AddWatchMode::Persistent);
        for _ in 0..2 {
            assert_eq!(fire(&mut watches, NodeChildrenChanged, "/t"), [A]);
            assert_eq!(fire(&mut watches, NodeDataChanged, "/t"), [A]);
        }
        assert_eq!(fire(&mut watches, NodeCreated, "/t/c/d"), []);
        assert_eq!(fire(&mut watches, NodeChildrenChanged, "/t/c"), []);
        assert_eq!(fire(&mut watches, NodeDeleted, "/t"), [A]);
        assert_eq!(fire(&mut watches, NodeCreated, "/t"), [A]);
        assert_eq!(watches.watch_count(), 2);
    }

    #[test]
    fn recursive_watch_fires_for_the_subtree_but_never_children_changed() {
        // Real server: addWatch(/s/kids, recursive); create /s/kids/k2 -> NodeCreated
        // /s/kids/k2 only; set it -> NodeDataChanged.
        let mut watches = WatchManager::new();
        watches.add_watch(A, "/r", AddWatchMode::PersistentRecursive);
        assert_eq!(fire(&mut watches, NodeCreated, "/r"), [A]);
        assert_eq!(fire(&mut watches, NodeCreated, "/r/a/b"), [A]);
        assert_eq!(fire(&mut watches, NodeDataChanged, "/r/a"), [A]);
        assert_eq!(fire(&mut watches, NodeDeleted, "/r/a/b"), [A]);
        assert_eq!(fire(&mut watches, NodeChildrenChanged, "/r"), []);
        assert_eq!(fire(&mut watches, NodeChildrenChanged, "/r/a"), []);
        assert_eq!(fire(&mut watches, NodeCreated, "/rr"), []);
        assert_eq!(fire(&mut watches, NodeCreated, "/"), []);
        let mut root = WatchManager::new();
        root.add_watch(B, "/", AddWatchMode::PersistentRecursive);
        assert_eq!(fire(&mut root, NodeCreated, "/x/y"), [B]);
        assert_eq!(fire(&mut root, NodeDataChanged, "/"), [B]);
    }

    #[test]
    fn data_watch_and_recursive_watch_on_one_node_notify_once() {
        // Real server: getData(/t/a) then addWatch(/t/a, recursive); delete /t/a -> one
        // NodeDeleted; create /t/a -> NodeCreated (the recursive mode replaced the one-shot).
        let mut watches = WatchManager::new();
        watches.watch_data(A, "/t/a");
        watches.add_watch(A, "/t/a", AddWatchMode::PersistentRecursive);
        assert_eq!(fire(&mut watches, NodeDeleted, "/t/a"), [A]);
        assert_eq!(fire(&mut watches, NodeCreated, "/t/a"), [A]);
    }

    #[test]
    fn a_read_after_add_watch_makes_its_half_one_shot_again() {
        // Real server (3.8's single mode per path and table): addWatch(/t, persistent), then
        // getData(/t): set /t fires once, then never; children changes still fire each time.
        let mut watches = WatchManager::new();
        watches.add_watch(A, "/t", AddWatchMode::Persistent);
        watches.watch_data(A, "/t");
        assert_eq!(fire(&mut watches, NodeDataChanged, "/t"), [A]);
        assert_eq!(fire(&mut watches, NodeDataChanged, "/t"), []);
        assert_eq!(fire(&mut watches, NodeChildrenChanged, "/t"), [A]);
        assert_eq!(fire(&mut watches, NodeChildrenChanged, "/t"), [A]);
    }

    #[test]
    fn add_watch_over_a_child_watch_replaces_it() {
        // Real server: getChildren(/q) then addWatch(/q, recursive): deleting /q/y sent no
        // NodeChildrenChanged /q, since the child watch had become recursive.
        let mut watches = WatchManager::new();
        watches.watch_children(A, "/q");
        watches.add_watch(A, "/q", AddWatchMode::PersistentRecursive);
        assert_eq!(fire(&mut watches, NodeChildrenChanged, "/q"), []);
        watches.watch_children(A, "/q");
        assert_eq!(fire(&mut watches, NodeChildrenChanged, "/q"), [A]);
        assert_eq!(fire(&mut watches, NodeCreated, "/q/z"), [A]);
    }

    #[test]
    fn replacing_a_recursive_watch_stops_its_subtree_events() {
        let mut watches = WatchManager::new();
        watches.add_watch(A, "/r", AddWatchMode::PersistentRecursive);
        watches.add_watch(A, "/r", AddWatchMode::Persistent);
        assert_eq!(fire(&mut watches, NodeCreated, "/r/x"), []);
        assert_eq!(fire(&mut watches, NodeCreated, "/r"), [A]);
        // A read replaces only the data half: the child half stays recursive, and the child
        // table is consulted for deletes, so descendants' deletions still notify. Real server:
        // addWatch(/v2, recursive), getData(/v2); create /v2/x -> nothing; delete /v2/x ->
        // NodeDeleted; set /v2 -> NodeDataChanged once.
        watches.add_watch(A, "/r", AddWatchMode::PersistentRecursive);
        watches.watch_data(A, "/r");
        assert_eq!(fire(&mut watches, NodeCreated, "/r/x"), []);
        assert_eq!(fire(&mut watches, NodeDeleted, "/r/x"), [A]);
        assert_eq!(fire(&mut watches, NodeDataChanged, "/r"), [A]);
        assert_eq!(fire(&mut watches, NodeDataChanged, "/r"), []);
    }

    #[test]
    fn many_sessions_on_one_path_are_notified_in_session_order() {
        let mut watches = WatchManager::new();
        for session in (1..=1000).rev() {
            watches.watch_data(session, "/hot");
        }
        watches.add_watch(-5, "/", AddWatchMode::PersistentRecursive);
        let notified = fire(&mut watches, NodeDataChanged, "/hot");
        let expected: Vec<SessionId> = std::iter::once(-5).chain(1..=1000).collect();
        assert_eq!(notified, expected);
        assert_eq!(watches.watch_count(), 2);
    }

    #[test]
    fn one_session_on_many_paths_fires_only_the_path_touched() {
        let mut watches = WatchManager::new();
        for n in 0..5000 {
            watches.watch_data(A, &format!("/n/{n}"));
        }
        assert_eq!(fire(&mut watches, NodeDataChanged, "/n/4321"), [A]);
        assert_eq!(watches.watch_count(), 4999);
        assert_eq!(watches.paths_by_session()[&A].len(), 4999);
        watches.remove_session(A);
        assert_eq!(watches.watch_count(), 0);
        assert_eq!(watches.summary(), WatchSummary::default());
    }

    #[test]
    fn hidden_notifications_still_use_up_one_shot_watches() {
        // Real server: exists watch, then create with an ACL the watcher cannot read: no
        // event, and a later delete (ACL opened again) sends none either.
        let mut watches = WatchManager::new();
        watches.watch_exists(A, "/q/x");
        watches.watch_exists(B, "/q/x");
        let created = event(NodeCreated, "/q/x");
        assert_eq!(
            watches.trigger_visible(&created, |session| session == B),
            vec![(B, created.clone())]
        );
        assert_eq!(fire(&mut watches, NodeDeleted, "/q/x"), []);
    }

    #[test]
    fn set_watches_fires_what_was_missed_and_sets_the_rest() {
        // Real server: relativeZxid = mzxid of /s/gone; then /s/kids got a child, /s/chg was
        // set, /s/gone deleted, /s/new created. Events in exactly this order; /s/keep's exist
        // watch fires NodeCreated because the node exists.
        let nodes: BTreeMap<&str, Stat> = [
            ("/s/keep", stat(10, 10)),
            ("/s/chg", stat(16, 12)),
            ("/s/kids", stat(13, 15)),
            ("/s/new", stat(18, 18)),
        ]
        .into_iter()
        .collect();
        let request = SetWatches {
            relative_zxid: Zxid(14),
            data: ["/s/keep", "/s/chg", "/s/gone", "/s/keep"]
                .map(String::from)
                .to_vec(),
            exist: ["/s/new", "/s/missing", "/s/keep"]
                .map(String::from)
                .to_vec(),
            child: ["/s/kids", "/s/keep", "/s/gone", "/s/chg"]
                .map(String::from)
                .to_vec(),
            ..SetWatches::default()
        };
        let mut watches = WatchManager::new();
        let events = watches.set_watches(A, &request, |path| nodes.get(path).copied());
        assert_eq!(
            events,
            vec![
                event(NodeDataChanged, "/s/chg"),
                event(NodeDeleted, "/s/gone"),
                event(NodeCreated, "/s/new"),
                event(NodeCreated, "/s/keep"),
                event(NodeChildrenChanged, "/s/kids"),
                event(NodeDeleted, "/s/gone"),
            ]
        );
        // Real server's wchc afterwards: /s/missing and /s/keep (data table only).
        let data_paths: Vec<&str> = watches.paths_by_session()[&A]
            .iter()
            .map(String::as_str)
            .collect();
        assert_eq!(data_paths, ["/s/keep", "/s/missing"]);
        assert_eq!(fire(&mut watches, NodeDataChanged, "/s/keep"), [A]);
        assert_eq!(fire(&mut watches, NodeCreated, "/s/missing"), [A]);
        assert_eq!(fire(&mut watches, NodeChildrenChanged, "/s/keep"), [A]);
        assert_eq!(fire(&mut watches, NodeChildrenChanged, "/s/chg"), [A]);
        assert_eq!(watches.watch_count(), 0);
    }

    #[test]
    fn set_watches_compares_zxids_strictly() {
        let mut watches = WatchManager::new();
        let request = SetWatches {
            relative_zxid: Zxid(7),
            data: vec!["/a".into()],
            child: vec!["/a".into()],
            ..SetWatches::default()
        };
        let events = watches.set_watches(A, &request, |_| Some(stat(7, 7)));
        assert!(events.is_empty());
        assert_eq!(watches.watch_count(), 2);
    }

    #[test]
    fn set_watches_sets_persistent_watches_whatever_the_node_state() {
        // Real server (setWatches2): persistent /s/gone2 (missing) then fired NodeCreated,
        // recursive /s/kids fired for a new grandchild; nothing was fired at reconnect.
        let mut watches = WatchManager::new();
        let request = SetWatches {
            relative_zxid: Zxid(1),
            persistent: vec!["/s/gone2".into(), "/s/chg".into()],
            persistent_recursive: vec!["/s/kids".into()],
            ..SetWatches::default()
        };
        let events = watches.set_watches(A, &request, |path| {
            (path != "/s/gone2").then(|| stat(99, 99))
        });
        assert!(events.is_empty());
        assert_eq!(fire(&mut watches, NodeCreated, "/s/gone2"), [A]);
        assert_eq!(fire(&mut watches, NodeDataChanged, "/s/chg"), [A]);
        assert_eq!(fire(&mut watches, NodeCreated, "/s/kids/k2"), [A]);
        assert_eq!(watches.watch_count(), 6);
    }

    #[test]
    fn remove_watches_takes_only_the_named_table() {
        // Real server: after getData(/r/a): remove Children -> NoWatcher, Data -> ok,
        // Data again -> NoWatcher; another session's remove -> NoWatcher.
        let mut watches = WatchManager::new();
        watches.watch_data(A, "/r/a");
        assert_eq!(
            watches.remove_watches(B, "/r/a", WatcherType::Data),
            Err(ErrorCode::NoWatcher)
        );
        assert_eq!(
            watches.remove_watches(A, "/r/a", WatcherType::Children),
            Err(ErrorCode::NoWatcher)
        );
        assert_eq!(
            watches.remove_watches(A, "/r/a", WatcherType::Data),
            Ok(vec![RemovedWatch {
                table: WatchTable::Data,
                mode: WatchMode::Standard
            }])
        );
        assert_eq!(
            watches.remove_watches(A, "/r/a", WatcherType::Data),
            Err(ErrorCode::NoWatcher)
        );
    }

    #[test]
    fn removing_data_from_a_persistent_watch_keeps_its_child_half() {
        // Real server: addWatch(/r/b, persistent); remove Data -> ok; check Data -> NoWatcher,
        // Children -> ok; set /r/b -> nothing; create /r/b/z -> NodeChildrenChanged.
        let mut watches = WatchManager::new();
        watches.add_watch(A, "/r/b", AddWatchMode::Persistent);
        assert_eq!(
            watches.remove_watches(A, "/r/b", WatcherType::Data),
            Ok(vec![RemovedWatch {
                table: WatchTable::Data,
                mode: WatchMode::Persistent
            }])
        );
        assert_eq!(
            watches.check_watches("/r/b", WatcherType::Data),
            Err(ErrorCode::NoWatcher)
        );
        assert_eq!(watches.check_watches("/r/b", WatcherType::Children), Ok(()));
        assert_eq!(fire(&mut watches, NodeDataChanged, "/r/b"), []);
        assert_eq!(fire(&mut watches, NodeChildrenChanged, "/r/b"), [A]);
    }

    #[test]
    fn remove_any_takes_both_halves_and_recursive_descendants_do_not_count() {
        // Real server: addWatch(/r/c, recursive); remove Any on /r/c/d -> NoWatcher;
        // remove Any on /r/c -> ok, and set /r/c/d then notifies nobody.
        let mut watches = WatchManager::new();
        watches.add_watch(A, "/r/c", AddWatchMode::PersistentRecursive);
        assert_eq!(
            watches.remove_watches(A, "/r/c/d", WatcherType::Any),
            Err(ErrorCode::NoWatcher)
        );
        let removed = watches.remove_watches(A, "/r/c", WatcherType::Any).unwrap();
        let tables: Vec<WatchTable> = removed.iter().map(|r| r.table).collect();
        assert_eq!(tables, [WatchTable::Child, WatchTable::Data]);
        assert!(removed
            .iter()
            .all(|r| r.mode == WatchMode::PersistentRecursive));
        assert_eq!(fire(&mut watches, NodeDataChanged, "/r/c/d"), []);
        assert_eq!(watches.watch_count(), 0);
    }

    #[test]
    fn check_watches_sees_any_sessions_watch_on_the_exact_path() {
        // Real server (3.8's containsWatcher): after A's getData(/r/a), B's checkWatches Data
        // and Any succeed, Children fails; a recursive watch on /r/c does not cover /r/c/d.
        let mut watches = WatchManager::new();
        assert_eq!(
            watches.check_watches("/r/a", WatcherType::Any),
            Err(ErrorCode::NoWatcher)
        );
        watches.watch_data(A, "/r/a");
        assert_eq!(watches.check_watches("/r/a", WatcherType::Data), Ok(()));
        assert_eq!(watches.check_watches("/r/a", WatcherType::Any), Ok(()));
        assert_eq!(
            watches.check_watches("/r/a", WatcherType::Children),
            Err(ErrorCode::NoWatcher)
        );
        watches.add_watch(A, "/r/c", AddWatchMode::PersistentRecursive);
        assert_eq!(
            watches.check_watches("/r/c/d", WatcherType::Any),
            Err(ErrorCode::NoWatcher)
        );
        assert_eq!(watches.check_watches("/r/c", WatcherType::Children), Ok(()));
    }

    #[test]
    fn remove_session_drops_all_its_watches() {
        let mut watches = WatchManager::new();
        watches.watch_data(A, "/a");
        watches.watch_children(A, "/a");
        watches.add_watch(A, "/b", AddWatchMode::PersistentRecursive);
        watches.watch_data(B, "/a");
        watches.remove_session(A);
        assert!(watches.watches_of(A).is_empty());
        assert_eq!(fire(&mut watches, NodeCreated, "/b/c"), []);
        assert_eq!(fire(&mut watches, NodeDeleted, "/a"), [B]);
        watches.remove_session(C);
        assert_eq!(watches.watch_count(), 0);
    }

    #[test]
    fn counts_follow_mntr_and_the_wch_words() {
        // Real server: mntr zk_watch_count 2 after addWatch(persistent); wchs/wchc/wchp list
        // only data-table watches.
        let mut watches = WatchManager::new();
        watches.add_watch(A, "/m", AddWatchMode::Persistent);
        assert_eq!(watches.watch_count(), 2);
        watches.watch_data(A, "/m");
        watches.watch_children(A, "/m");
        assert_eq!(watches.watch_count(), 2);
        watches.watch_data(B, "/m");
        watches.watch_children(C, "/only-children");
        assert_eq!(watches.watch_count(), 4);
        assert_eq!(
            watches.summary(),
            WatchSummary {
                sessions: 2,
                paths: 1,
                watches: 2
            }
        );
        assert_eq!(
            watches.sessions_by_path(),
            [("/m", vec![A, B])].into_iter().collect()
        );
        assert!(!watches.paths_by_session().contains_key(&C));
        assert_eq!(
            watches.watches_of(A),
            [
                ("/m", WatchTable::Data, WatchMode::Standard),
                ("/m", WatchTable::Child, WatchMode::Standard)
            ]
        );
    }

    #[test]
    fn odd_paths_and_other_event_types_do_not_panic() {
        let mut watches = WatchManager::new();
        watches.add_watch(A, "/", AddWatchMode::PersistentRecursive);
        for path in ["", "a", "a/b", "/a/", "//", "/a//b", "\u{e9}/\u{e9}"] {
            watches.watch_data(B, path);
            watches.trigger(&event(NodeDeleted, path));
        }
        assert_eq!(fire(&mut watches, EventType::None, "/"), []);
        assert_eq!(fire(&mut watches, EventType::DataWatchRemoved, "/"), []);
        assert_eq!(ancestors("/a/b").collect::<Vec<_>>(), ["/a", "/"]);
        assert_eq!(ancestors("a/b").collect::<Vec<_>>(), ["a"]);
        assert_eq!(ancestors("").count(), 0);
    }

    // ---- property tests ----

    /// A literal transcription of ZooKeeper's rules over a flat list, to compare against.
    #[derive(Default)]
    struct Model {
        watches: Vec<(WatchTable, SessionId, String, WatchMode)>,
    }

    impl Model {
        fn add(&mut self, table: WatchTable, session: SessionId, path: &str, mode: WatchMode) {
            match self
                .watches
                .iter_mut()
                .find(|(t, s, p, _)| *t == table && *s == session && p == path)
            {
                Some(entry) => entry.3 = mode,
                None => self.watches.push((table, session, path.to_string(), mode)),
            }
        }

        fn trigger(&mut self, event_type: EventType, path: &str) -> Vec<SessionId> {
            let tables: &[WatchTable] = match event_type {
                NodeCreated | NodeDataChanged => &[WatchTable::Data],
                NodeDeleted => &[WatchTable::Data, WatchTable::Child],
                _ => &[WatchTable::Child],
            };
            let recursive_fires = event_type != NodeChildrenChanged;
            let mut fired = BTreeSet::new();
            self.watches.retain(|(table, session, watched, mode)| {
                if !tables.contains(table) {
                    return true;
                }
                let below =
                    watched == "/" && path != "/" || path.starts_with(&format!("{watched}/"));
                match mode {
                    WatchMode::PersistentRecursive => {
                        if recursive_fires && (watched == path || below) {
                            fired.insert(*session);
                        }
                        true
                    }
                    _ if watched == path => {
                        fired.insert(*session);
                        *mode != WatchMode::Standard
                    }
                    _ => true,
                }
            });
            fired.into_iter().collect()
        }

        fn remove(&mut self, session: SessionId, path: &str, tables: &[WatchTable]) -> usize {
            let before = self.watches.len();
            self.watches
                .retain(|(t, s, p, _)| !(tables.contains(t) && *s == session && p == path));
            before - self.watches.len()
        }
    }

    #[derive(Clone, Debug)]
    enum Op {
        Data(SessionId, &'static str),
        Exists(SessionId, &'static str),
        Children(SessionId, &'static str),
        AddWatch(SessionId, &'static str, AddWatchMode),
        Trigger(EventType, &'static str),
        Remove(SessionId, &'static str, WatcherType),
        RemoveSession(SessionId),
    }

    const PATHS: [&str; 6] = ["/", "/a", "/a/b", "/a/b/c", "/ab", "/b"];

    fn path() -> impl Strategy<Value = &'static str> {
        proptest::sample::select(&PATHS[..])
    }

    fn session() -> impl Strategy<Value = SessionId> {
        1..4i64
    }

    fn event_type() -> impl Strategy<Value = EventType> {
        proptest::sample::select(
            &[
                NodeCreated,
                NodeDeleted,
                NodeDataChanged,
                NodeChildrenChanged,
            ][..],
        )
    }

    fn op(persistent: bool) -> BoxedStrategy<Op> {
        let standard = prop_oneof![
            (session(), path()).prop_map(|(s, p)| Op::Data(s, p)),
            (session(), path()).prop_map(|(s, p)| Op::Exists(s, p)),
            (session(), path()).prop_map(|(s, p)| Op::Children(s, p)),
            (event_type(), path()).prop_map(|(e, p)| Op::Trigger(e, p)),
            (event_type(), path()).prop_map(|(e, p)| Op::Trigger(e, p)),
        ];
        if !persistent {
            return standard.boxed();
        }
        let mode = proptest::sample::select(
            &[AddWatchMode::Persistent, AddWatchMode::PersistentRecursive][..],
        );
        let watcher_type = proptest::sample::select(
            &[WatcherType::Children, WatcherType::Data, WatcherType::Any][..],
        );
        prop_oneof![
            4 => standard,
            1 => (session(), path(), mode).prop_map(|(s, p, m)| Op::AddWatch(s, p, m)),
            1 => (session(), path(), watcher_type).prop_map(|(s, p, t)| Op::Remove(s, p, t)),
            1 => session().prop_map(Op::RemoveSession),
        ]
        .boxed()
    }

    proptest! {
        #[test]
        fn matches_a_literal_model_of_zookeepers_rules(ops in proptest::collection::vec(op(true), 1..80)) {
            let mut watches = WatchManager::new();
            let mut model = Model::default();
            for op in ops {
                match op {
                    Op::Data(s, p) | Op::Exists(s, p) => {
                        watches.watch_data(s, p);
                        model.add(WatchTable::Data, s, p, WatchMode::Standard);
                    }
                    Op::Children(s, p) => {
                        watches.watch_children(s, p);
                        model.add(WatchTable::Child, s, p, WatchMode::Standard);
                    }
                    Op::AddWatch(s, p, mode) => {
                        watches.add_watch(s, p, mode);
                        model.add(WatchTable::Data, s, p, mode.into());
                        model.add(WatchTable::Child, s, p, mode.into());
                    }
                    Op::Trigger(e, p) => {
                        prop_assert_eq!(fire(&mut watches, e, p), model.trigger(e, p));
                    }
                    Op::Remove(s, p, t) => {
                        let removed = watches.remove_watches(s, p, t).map_or(0, |r| r.len());
                        prop_assert_eq!(removed, model.remove(s, p, tables_for(t)));
                    }
                    Op::RemoveSession(s) => {
                        watches.remove_session(s);
                        model.remove(s, "", &[]);
                        model.watches.retain(|(_, session, _, _)| *session != s);
                    }
                }
                prop_assert_eq!(watches.watch_count(), model.watches.len());
                let data_watches = model.watches.iter().filter(|w| w.0 == WatchTable::Data).count();
                prop_assert_eq!(watches.summary().watches, data_watches);
            }
        }

        #[test]
        fn a_one_shot_watch_never_notifies_twice(ops in proptest::collection::vec(op(false), 1..120)) {
            let mut watches = WatchManager::new();
            // Armed one-shot watches: (table, session, path).
            let mut armed: BTreeSet<(WatchTable, SessionId, &str)> = BTreeSet::new();
            for op in ops {
                match op {
                    Op::Data(s, p) | Op::Exists(s, p) => {
                        watches.watch_data(s, p);
                        armed.insert((WatchTable::Data, s, p));
                    }
                    Op::Children(s, p) => {
                        watches.watch_children(s, p);
                        armed.insert((WatchTable::Child, s, p));
                    }
                    Op::Trigger(e, p) => {
                        let tables: &[WatchTable] = match e {
                            NodeCreated | NodeDataChanged => &[WatchTable::Data],
                            NodeDeleted => &[WatchTable::Data, WatchTable::Child],
                            _ => &[WatchTable::Child],
                        };
                        let notified = fire(&mut watches, e, p);
                        for s in session_range() {
                            // Every armed watch the event reaches is used up, not just the first.
                            let was_armed = tables.iter().filter(|&&t| armed.remove(&(t, s, p))).count() > 0;
                            prop_assert_eq!(notified.contains(&s), was_armed, "session {} {:?} {}", s, e, p);
                        }
                    }
                    _ => unreachable!("standard ops only"),
                }
            }
        }
    }

    fn session_range() -> std::ops::Range<SessionId> {
        1..4
    }
}
