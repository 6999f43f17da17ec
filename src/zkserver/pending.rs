//! Outstanding changes (ZooKeeper's `ChangeRecord`s): what prepared-but-not-yet-applied
//! transactions will do to the znodes they touch, so that a request prepared after them
//! (a pipelined create under a node whose create is still being logged, a second setData
//! checking a version) sees the tree as it will be, not as it is.

use crate::data::tree::DataTree;
use crate::data::types::{Acl, SessionId, Zxid};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// What preparing a request needs to know about one znode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeState {
    pub acl: Arc<[Acl]>,
    pub version: i32,
    pub aversion: i32,
    /// The persisted cversion: the next sequential suffix, and one less than the
    /// `parent_cversion` of the next create beneath.
    pub cversion: i32,
    pub child_count: i32,
    /// As stored: a session, or ZooKeeper's container/TTL encodings, or 0.
    pub ephemeral_owner: i64,
}

#[derive(Clone, Debug)]
struct ChangeRecord {
    zxid: Zxid,
    /// `None`: the znode is being deleted.
    state: Option<NodeState>,
}

/// The overlay of outstanding changes, newest per path.
#[derive(Clone, Debug, Default)]
pub struct PendingChanges {
    by_path: BTreeMap<String, ChangeRecord>,
    /// Every change recorded, as (zxid, path), in the order recorded, which is zxid order:
    /// forgetting applied changes walks this from the front instead of the whole overlay.
    by_zxid: VecDeque<(Zxid, String)>,
}

impl PendingChanges {
    /// The znode as the next prepared request must see it: the newest outstanding change,
    /// or else the tree. `None` if it does not (or will not) exist.
    pub fn lookup(&self, tree: &DataTree, path: &str) -> Option<NodeState> {
        if let Some(record) = self.by_path.get(path) {
            return record.state.clone();
        }
        let node = tree.node_meta(path)?;
        Some(NodeState {
            acl: node.acl,
            version: node.version,
            aversion: node.aversion,
            cversion: node.persisted_cversion,
            child_count: node.num_children,
            ephemeral_owner: node.ephemeral_owner,
        })
    }

    /// Records what the transaction `zxid` will make of `path`.
    pub fn record(&mut self, zxid: Zxid, path: &str, state: Option<NodeState>) {
        self.by_path
            .insert(path.to_string(), ChangeRecord { zxid, state });
        self.by_zxid.push_back((zxid, path.to_string()));
    }

    /// Forgets changes that the tree now holds (everything up to and including `zxid`). A
    /// path changed again by a later, still outstanding transaction keeps that change.
    pub fn applied_through(&mut self, zxid: Zxid) {
        while let Some((recorded, _)) = self.by_zxid.front() {
            if *recorded > zxid {
                break;
            }
            let Some((_, path)) = self.by_zxid.pop_front() else {
                break;
            };
            if self
                .by_path
                .get(&path)
                .is_some_and(|record| record.zxid <= zxid)
            {
                self.by_path.remove(&path);
            }
        }
    }

    /// Paths an outstanding change creates as ephemerals of `session`, and paths it deletes:
    /// what a closeSession must add to and remove from the tree's list of the session's nodes.
    pub fn ephemeral_changes(&self, session: SessionId) -> (Vec<String>, Vec<String>) {
        let mut created = Vec::new();
        let mut deleted = Vec::new();
        for (path, record) in &self.by_path {
            match &record.state {
                None => deleted.push(path.clone()),
                Some(state) if state.ephemeral_owner == session => created.push(path.clone()),
                Some(_) => {}
            }
        }
        (created, deleted)
    }

    pub fn is_empty(&self) -> bool {
        self.by_path.is_empty()
    }

    /// How many recorded changes are still remembered (for tests: nothing leaks).
    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.by_zxid.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(version: i32) -> NodeState {
        NodeState {
            acl: Acl::open_unsafe().into(),
            version,
            aversion: 0,
            cversion: 0,
            child_count: 0,
            ephemeral_owner: 0,
        }
    }

    #[test]
    fn outstanding_change_hides_the_tree() {
        let tree = DataTree::new();
        let mut pending = PendingChanges::default();
        assert!(pending.lookup(&tree, "/a").is_none());
        pending.record(Zxid(5), "/a", Some(state(0)));
        assert_eq!(pending.lookup(&tree, "/a"), Some(state(0)));
        pending.record(Zxid(6), "/zookeeper", None);
        assert!(pending.lookup(&tree, "/zookeeper").is_none());
    }

    #[test]
    fn applied_changes_are_forgotten_but_later_ones_stay() {
        let tree = DataTree::new();
        let mut pending = PendingChanges::default();
        pending.record(Zxid(5), "/a", Some(state(0)));
        pending.record(Zxid(7), "/b", Some(state(3)));
        pending.applied_through(Zxid(6));
        assert!(
            pending.lookup(&tree, "/a").is_none(),
            "the tree (without /a) answers now"
        );
        assert_eq!(pending.lookup(&tree, "/b"), Some(state(3)));
        pending.applied_through(Zxid(7));
        assert!(pending.is_empty());
        assert_eq!(pending.remembered(), 0);
    }

    #[test]
    fn a_path_changed_again_keeps_its_newer_change_until_that_one_is_applied() {
        let tree = DataTree::new();
        let mut pending = PendingChanges::default();
        pending.record(Zxid(5), "/a", Some(state(1)));
        pending.record(Zxid(6), "/b", Some(state(0)));
        pending.record(Zxid(7), "/a", Some(state(2)));
        pending.applied_through(Zxid(6));
        assert_eq!(pending.lookup(&tree, "/a"), Some(state(2)));
        assert!(pending.lookup(&tree, "/b").is_none());
        assert_eq!(pending.remembered(), 1);
        pending.applied_through(Zxid(7));
        assert!(pending.is_empty());
        assert_eq!(pending.remembered(), 0);
    }

    #[test]
    fn changes_of_one_multi_share_a_zxid_and_go_together() {
        let tree = DataTree::new();
        let mut pending = PendingChanges::default();
        pending.record(Zxid(3), "/x", Some(state(0)));
        pending.record(Zxid(3), "/y", None);
        pending.record(Zxid(4), "/z", Some(state(0)));
        pending.applied_through(Zxid(3));
        assert!(pending.lookup(&tree, "/x").is_none() && pending.lookup(&tree, "/y").is_none());
        assert_eq!(pending.lookup(&tree, "/z"), Some(state(0)));
    }

    #[test]
    fn tree_nodes_are_seen_through_the_overlay() {
        let tree = DataTree::new();
        let pending = PendingChanges::default();
        let root = pending.lookup(&tree, "/").expect("root exists");
        assert_eq!(root.child_count, 1);
        assert_eq!(root.acl[..], Acl::open_unsafe());
    }

    #[test]
    fn ephemeral_changes_list_creations_of_the_session_and_all_deletions() {
        let mut pending = PendingChanges::default();
        let mut mine = state(0);
        mine.ephemeral_owner = 42;
        pending.record(Zxid(1), "/e", Some(mine));
        pending.record(Zxid(2), "/gone", None);
        pending.record(Zxid(3), "/other", Some(state(0)));
        assert_eq!(
            pending.ephemeral_changes(42),
            (vec!["/e".to_string()], vec!["/gone".to_string()])
        );
    }
}
