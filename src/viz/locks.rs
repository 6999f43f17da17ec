//! The lock recipe's queues: parents whose children are ephemeral sequential znodes, the
//! holder (lowest sequence number), and what each waiter's session watches.

use crate::data::types::SessionId;
use crate::data::watch::{WatchMode, WatchTable};
use crate::peer::message::ServerId;
use crate::sim::Simulation;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockEntry {
    /// The child's name, e.g. `lock-0000000002`.
    pub node: String,
    /// Its sequential suffix.
    pub sequence: u64,
    pub session: SessionId,
    /// The simulated client holding the session.
    pub client: Option<String>,
    /// The first in the queue holds the lock.
    pub holder: bool,
    /// What its session watches: the name of another child of the queue (the fair recipe's
    /// predecessor) or, for a herd waiter, the parent's path (e.g. `/herd`), whose children
    /// it watches.
    pub watching: Option<String>,
    /// It watches the parent's children (every release wakes it) rather than one child.
    pub herd: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockQueue {
    /// The parent.
    pub path: String,
    /// By sequence number.
    pub entries: Vec<LockEntry>,
}

/// A sequential znode's suffix: ZooKeeper's ten digits.
fn sequence_of(name: &str) -> Option<u64> {
    let suffix = name.get(name.len().checked_sub(10)?..)?;
    if !suffix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    suffix.parse().ok()
}

/// Every parent on `server` with ephemeral sequential children, by path. Watches are looked
/// up on every up server, since a waiter's watch lives on the server its client is
/// connected to. Empty if the server is down.
///
/// Cost: O(e log e) for the e ephemeral znodes of the server's tree, plus one watch lookup
/// per entry on each up server.
pub fn lock_queues(sim: &Simulation, server: ServerId) -> Vec<LockQueue> {
    let Some(tree) = sim.peer(server).map(|p| p.tree()) else {
        return Vec::new();
    };
    let mut queues: BTreeMap<String, Vec<LockEntry>> = BTreeMap::new();
    for session in tree.sessions_with_ephemerals() {
        for path in tree.ephemerals_of(session) {
            let Some((parent, name)) = path.rsplit_once('/') else {
                continue;
            };
            let Some(sequence) = sequence_of(name) else {
                continue;
            };
            let parent = if parent.is_empty() { "/" } else { parent };
            queues
                .entry(parent.to_string())
                .or_default()
                .push(LockEntry {
                    node: name.to_string(),
                    sequence,
                    session,
                    client: sim
                        .clients()
                        .find(|c| c.session_id == session)
                        .map(|c| c.name.clone()),
                    holder: false,
                    watching: None,
                    herd: false,
                });
        }
    }
    queues
        .into_iter()
        .map(|(path, mut entries)| {
            entries.sort_by(|a, b| (a.sequence, &a.node).cmp(&(b.sequence, &b.node)));
            let prefix = if path == "/" {
                "/".to_string()
            } else {
                format!("{path}/")
            };
            let names: Vec<String> = entries.iter().map(|e| e.node.clone()).collect();
            for (i, entry) in entries.iter_mut().enumerate() {
                entry.holder = i == 0;
                for peer in sim.peers() {
                    for (watched, table, mode) in peer.server().watches().watches_of(entry.session)
                    {
                        match table {
                            WatchTable::Data => {
                                let Some(name) = watched.strip_prefix(prefix.as_str()) else {
                                    continue;
                                };
                                if names.iter().any(|n| n == name) {
                                    entry.watching = Some(name.to_string());
                                }
                            }
                            WatchTable::Child
                                if watched == path && mode != WatchMode::PersistentRecursive =>
                            {
                                entry.herd = true;
                                entry.watching.get_or_insert_with(|| path.clone());
                            }
                            WatchTable::Child => {}
                        }
                    }
                }
            }
            LockQueue { path, entries }
        })
        .collect()
}
