//! What a server keeps on disk, and the steps that change it.
//!
//! A server never writes to disk itself: it asks for a [`DurableStep`] and learns that the
//! step is done from [`super::Input::DurableDone`]. The environment (the simulator's
//! [`DiskImage`], or a real data directory) carries steps out one at a time in the order they
//! were asked for. A crash keeps what completed steps made durable and nothing else: log
//! entries that were appended but not yet fsynced are lost with it.

use crate::data::tree::DataTree;
use crate::data::txn::{Txn, TxnHeader};
use crate::data::types::{SessionId, Zxid};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// One transaction in the log. The transaction is shared (`Arc`): a leader's log, its
/// proposals to every follower, their logs, disks and servers all hold the same one, so
/// copying an entry never copies its paths and data. (It is serialized as the `Txn` itself.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub header: TxnHeader,
    pub txn: Arc<Txn>,
}

impl LogEntry {
    pub fn zxid(&self) -> Zxid {
        self.header.zxid
    }
}

/// A server's whole state as of one zxid: what a snapshot file holds, and what the leader
/// sends a learner that is too far behind (SNAP).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SnapImage {
    pub zxid: Zxid,
    pub tree: DataTree,
    pub sessions: Vec<(SessionId, i32)>,
}

impl PartialEq for SnapImage {
    /// Two images are the same state if they are at the same zxid with the same sessions:
    /// a tree is a function of the history that led to it.
    fn eq(&self, other: &Self) -> bool {
        self.zxid == other.zxid && self.sessions == other.sessions
    }
}

impl Eq for SnapImage {}

/// Which log entries a new snapshot replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogAfterSnapshot {
    /// Keep the entries after the snapshot's zxid (a periodic snapshot).
    KeepNewer,
    /// Discard the whole log (a SNAP from the leader: the old log is another history).
    DiscardAll,
}

/// A change to the disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DurableOp {
    /// Write transactions to the end of the log. They survive a crash only once fsynced.
    Append(Vec<LogEntry>),
    /// Make every appended entry durable.
    Fsync,
    /// Write the acceptedEpoch file.
    AcceptedEpoch(u32),
    /// Write the currentEpoch file.
    CurrentEpoch(u32),
    /// Write a snapshot (atomically, with the log change it implies).
    Snapshot {
        image: Box<SnapImage>,
        log: LogAfterSnapshot,
    },
    /// Remove every log entry after this zxid (TRUNC).
    Truncate { after: Zxid },
}

/// The kinds of durable step, which scenarios hold and release one by one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DiskKind {
    Append,
    Fsync,
    AcceptedEpoch,
    CurrentEpoch,
    Snapshot,
    Truncate,
}

impl DiskKind {
    pub const ALL: [DiskKind; 6] = [
        DiskKind::Append,
        DiskKind::Fsync,
        DiskKind::AcceptedEpoch,
        DiskKind::CurrentEpoch,
        DiskKind::Snapshot,
        DiskKind::Truncate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DiskKind::Append => "append",
            DiskKind::Fsync => "fsync",
            DiskKind::AcceptedEpoch => "accepted-epoch",
            DiskKind::CurrentEpoch => "current-epoch",
            DiskKind::Snapshot => "snapshot",
            DiskKind::Truncate => "truncate",
        }
    }
}

impl fmt::Display for DiskKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl DurableOp {
    pub fn kind(&self) -> DiskKind {
        match self {
            DurableOp::Append(_) => DiskKind::Append,
            DurableOp::Fsync => DiskKind::Fsync,
            DurableOp::AcceptedEpoch(_) => DiskKind::AcceptedEpoch,
            DurableOp::CurrentEpoch(_) => DiskKind::CurrentEpoch,
            DurableOp::Snapshot { .. } => DiskKind::Snapshot,
            DurableOp::Truncate { .. } => DiskKind::Truncate,
        }
    }
}

/// A durable step as the trace and the displays name it: what it writes, not its contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiskStep {
    /// Log entries `first` through `last` (the same for one entry).
    Append {
        first: Zxid,
        last: Zxid,
    },
    AppendNothing,
    Fsync,
    AcceptedEpoch(u32),
    CurrentEpoch(u32),
    Snapshot(Zxid),
    Truncate {
        after: Zxid,
    },
}

impl DurableOp {
    /// What this step is, for the trace: cheap (no text), since every write makes two.
    pub fn step(&self) -> DiskStep {
        match self {
            DurableOp::Append(entries) => match (entries.first(), entries.last()) {
                (Some(first), Some(last)) => DiskStep::Append {
                    first: first.zxid(),
                    last: last.zxid(),
                },
                _ => DiskStep::AppendNothing,
            },
            DurableOp::Fsync => DiskStep::Fsync,
            DurableOp::AcceptedEpoch(epoch) => DiskStep::AcceptedEpoch(*epoch),
            DurableOp::CurrentEpoch(epoch) => DiskStep::CurrentEpoch(*epoch),
            DurableOp::Snapshot { image, .. } => DiskStep::Snapshot(image.zxid),
            DurableOp::Truncate { after } => DiskStep::Truncate { after: *after },
        }
    }
}

impl fmt::Display for DiskStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiskStep::Append { first, last } if first == last => write!(f, "append {first}"),
            DiskStep::Append { first, last } => write!(f, "append {first}..{last}"),
            DiskStep::AppendNothing => write!(f, "append nothing"),
            DiskStep::Fsync => write!(f, "fsync"),
            DiskStep::AcceptedEpoch(epoch) => write!(f, "write acceptedEpoch {epoch}"),
            DiskStep::CurrentEpoch(epoch) => write!(f, "write currentEpoch {epoch}"),
            DiskStep::Snapshot(zxid) => write!(f, "snapshot at {zxid}"),
            DiskStep::Truncate { after } => write!(f, "truncate log after {after}"),
        }
    }
}

impl fmt::Display for DurableOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.step().fmt(f)
    }
}

/// A durable step, numbered by the server that asked for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DurableStep {
    pub id: u64,
    pub op: DurableOp,
}

/// What a disk holds: the durable state a server restarts from, and the log entries written
/// but not yet fsynced (lost in a crash).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiskImage {
    pub snapshot: Option<SnapImage>,
    /// Durable log entries, in zxid order.
    pub log: Vec<LogEntry>,
    pub accepted_epoch: u32,
    pub current_epoch: u32,
    /// Appended but not fsynced: what a crash loses.
    pub unsynced: Vec<LogEntry>,
}

impl DiskImage {
    /// Carries out one step.
    pub fn apply(&mut self, op: &DurableOp) {
        match op {
            DurableOp::Append(entries) => self.unsynced.extend(entries.iter().cloned()),
            DurableOp::Fsync => self.log.append(&mut self.unsynced),
            DurableOp::AcceptedEpoch(epoch) => self.accepted_epoch = *epoch,
            DurableOp::CurrentEpoch(epoch) => self.current_epoch = *epoch,
            DurableOp::Snapshot { image, log } => {
                match log {
                    LogAfterSnapshot::KeepNewer => self.log.retain(|e| e.zxid() > image.zxid),
                    LogAfterSnapshot::DiscardAll => {
                        self.log.clear();
                        self.unsynced.clear();
                    }
                }
                self.snapshot = Some((**image).clone());
            }
            DurableOp::Truncate { after } => {
                self.log.retain(|e| e.zxid() <= *after);
                self.unsynced.retain(|e| e.zxid() <= *after);
            }
        }
    }

    /// What survives a crash.
    pub fn crash(&mut self) {
        self.unsynced.clear();
    }

    /// The last durable zxid in the log (or the snapshot's if the log is empty).
    pub fn last_logged_zxid(&self) -> Zxid {
        self.log
            .last()
            .map(LogEntry::zxid)
            .or_else(|| self.snapshot.as_ref().map(|s| s.zxid))
            .unwrap_or(Zxid::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::txn::TxnHeader;
    use crate::data::types::OpCode;

    fn entry(zxid: Zxid) -> LogEntry {
        LogEntry {
            header: TxnHeader {
                session_id: 1,
                cxid: 0,
                zxid,
                time_ms: 0,
                op: OpCode::CreateSession,
            },
            txn: Arc::new(Txn::CreateSession { timeout_ms: 6000 }),
        }
    }

    #[test]
    fn a_step_names_what_it_writes() {
        let texts = [
            (DurableOp::Fsync, "fsync"),
            (DurableOp::Append(Vec::new()), "append nothing"),
            (DurableOp::AcceptedEpoch(3), "write acceptedEpoch 3"),
            (DurableOp::CurrentEpoch(4), "write currentEpoch 4"),
            (
                DurableOp::Truncate {
                    after: Zxid::new(2, 5),
                },
                "truncate log after 2:5",
            ),
            (
                DurableOp::Append(vec![entry(Zxid::new(1, 7))]),
                "append 1:7",
            ),
            (
                DurableOp::Append(vec![entry(Zxid::new(1, 1)), entry(Zxid::new(1, 2))]),
                "append 1:1..1:2",
            ),
        ];
        for (op, text) in texts {
            assert_eq!(op.to_string(), text);
            assert_eq!(op.step().to_string(), text);
        }
    }
}
