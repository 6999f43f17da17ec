//! The ZAB flow table: the most recent transactions, and for each who logged, ACKed, committed
//! and applied it.
//!
//! The established history is the reference server's (see [`reference`]): a transaction some
//! server holds that is not in that history is shown as truncated (it will be, or was,
//! dropped when that server synchronizes).

use crate::data::txn::{Txn, TxnHeader};
use crate::data::types::{OpCode, Zxid};
use crate::peer::durable::LogEntry;
use crate::peer::message::{PeerState, ServerId};
use crate::peer::trace::TraceKind;
use crate::peer::QuorumPeer;
use crate::sim::Simulation;
use std::collections::{BTreeMap, BTreeSet};

/// The trace events [`zab_flow`] looks at, at most, counting back from the newest. ACKs of
/// proposals proposed longer ago than this are not shown.
pub const TRACE_SCAN_LIMIT: usize = 20_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProposalStatus {
    /// Not yet known to be committed.
    Pending,
    Committed,
    /// Not in the established history: dropped, or to be dropped, by the servers holding it.
    Truncated,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZabRow {
    pub zxid: Zxid,
    /// A short description of the transaction: `create /a`, `setData /a`, `createSession`,
    /// `multi (3)`; `?` if no server's log holds it any longer.
    pub op: String,
    /// Who proposed it: its epoch's leader, if known.
    pub leader: Option<ServerId>,
    /// Servers whose disk holds it durably (fsynced log, or a snapshot that covers it).
    pub logged: Vec<ServerId>,
    /// ACKs the leader counted: the leader's own (once it logged it) and every ACK it traced
    /// or still holds for an outstanding proposal.
    pub acked: Vec<ServerId>,
    /// A server of the established history has it committed.
    pub committed: bool,
    /// The up servers that know it committed (their committed zxid reaches it, same history).
    pub committed_on: Vec<ServerId>,
    /// Up servers that applied it to their tree (same history).
    pub applied: Vec<ServerId>,
    pub status: ProposalStatus,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZabFlow {
    pub leader: Option<ServerId>,
    /// ACKs needed to commit.
    pub quorum: usize,
    pub participants: Vec<ServerId>,
    pub observers: Vec<ServerId>,
    /// Oldest first.
    pub rows: Vec<ZabRow>,
}

/// A short description of a transaction, e.g. `create /a`, `setData /a`, `multi (3)`.
pub fn describe_txn(header: &TxnHeader, txn: &Txn) -> String {
    match txn {
        Txn::CreateSession { .. } => "createSession".to_string(),
        Txn::CloseSession { .. } => "closeSession".to_string(),
        Txn::Create { path, .. } => match header.op {
            OpCode::CreateContainer => format!("createContainer {path}"),
            OpCode::CreateTtl => format!("createTTL {path}"),
            _ => format!("create {path}"),
        },
        Txn::Delete { path } => format!("delete {path}"),
        Txn::SetData { path, .. } => format!("setData {path}"),
        Txn::SetAcl { path, .. } => format!("setACL {path}"),
        Txn::Check { path, .. } => format!("check {path}"),
        Txn::Multi(ops) => format!("multi ({})", ops.len()),
        Txn::Error { code } => format!("{:?} failed: {code:?}", header.op),
    }
}

/// The server whose history counts: the established leader, else a LEADING server (the
/// newest epoch), else the up server with the highest committed zxid.
fn reference(sim: &Simulation) -> Option<&QuorumPeer> {
    if let Some(leader) = sim.established_leader() {
        return sim.peer(leader);
    }
    sim.peers()
        .filter(|p| p.state() == PeerState::Leading)
        .max_by_key(|p| (p.current_epoch(), p.myid()))
        .or_else(|| sim.peers().max_by_key(|p| (p.committed_zxid(), p.myid())))
}

fn log_has(log: &[LogEntry], zxid: Zxid) -> Option<&LogEntry> {
    log.binary_search_by_key(&zxid, LogEntry::zxid)
        .ok()
        .map(|i| &log[i])
}

/// Whether `zxid` is in the history of `peer`: in its log or covered by its base snapshot.
fn in_history(peer: &QuorumPeer, zxid: Zxid) -> bool {
    zxid <= peer.base().zxid || log_has(peer.log(), zxid).is_some()
}

/// The most recent `limit` zxids any server holds (in memory or on disk), oldest first.
///
/// Cost: O(limit × servers × log log-length) for the rows, plus a backward trace scan that
/// stops at the proposal of the oldest row or after [`TRACE_SCAN_LIMIT`] events.
pub fn zab_flow(sim: &Simulation, limit: usize) -> ZabFlow {
    let config = sim.config();
    let participants = config.participants();
    let observers = sim.observer_ids();
    let quorum = participants.len() / 2 + 1;
    let reference = reference(sim);
    let leader = reference
        .filter(|p| p.state() == PeerState::Leading)
        .map(QuorumPeer::myid);
    let ids = sim.server_ids();

    // The candidate zxids: the tail of every log, in memory and on disk.
    let mut zxids: BTreeSet<Zxid> = BTreeSet::new();
    for &id in &ids {
        if let Some(peer) = sim.peer(id) {
            let log = peer.log();
            zxids.extend(
                log[log.len().saturating_sub(limit)..]
                    .iter()
                    .map(LogEntry::zxid),
            );
        }
        if let Some(disk) = sim.disk(id) {
            let log = &disk.log;
            zxids.extend(
                log[log.len().saturating_sub(limit)..]
                    .iter()
                    .map(LogEntry::zxid),
            );
        }
    }
    let skip = zxids.len().saturating_sub(limit);
    let zxids: Vec<Zxid> = zxids.into_iter().skip(skip).collect();
    let Some(&oldest) = zxids.first() else {
        return ZabFlow {
            leader,
            quorum,
            participants,
            observers,
            rows: Vec::new(),
        };
    };

    // What the trace says about them: who proposed each, the ACKs counted, each epoch's
    // leader. Newest first, stopping at the oldest row's proposal.
    let wanted: BTreeSet<Zxid> = zxids.iter().copied().collect();
    let mut proposer: BTreeMap<Zxid, ServerId> = BTreeMap::new();
    let mut acks: BTreeMap<Zxid, BTreeSet<ServerId>> = BTreeMap::new();
    let mut epoch_leader: BTreeMap<u32, ServerId> = BTreeMap::new();
    let trace = sim.trace();
    for event in trace.iter().rev().take(TRACE_SCAN_LIMIT) {
        match &event.kind {
            TraceKind::Proposed { zxid } if wanted.contains(zxid) => {
                proposer.entry(*zxid).or_insert(event.server);
                if *zxid == oldest {
                    break;
                }
            }
            TraceKind::AckReceived { zxid, from } if wanted.contains(zxid) => {
                // ACKs go to the leader that proposed it (one leader per epoch, so one
                // proposal per zxid).
                acks.entry(*zxid).or_default().insert(*from);
                proposer.entry(*zxid).or_insert(event.server);
            }
            TraceKind::LeaderEstablished { epoch } => {
                epoch_leader.entry(*epoch).or_insert(event.server);
            }
            _ => {}
        }
    }
    if let Some(reference) = reference {
        if reference.state() == PeerState::Leading {
            if let Some(epoch) = reference.leading_epoch() {
                epoch_leader.entry(epoch).or_insert(reference.myid());
            }
            for (zxid, from) in reference.outstanding_proposals() {
                if wanted.contains(&zxid) {
                    acks.entry(zxid).or_default().extend(from);
                }
            }
        }
    }

    let rows = zxids
        .into_iter()
        .map(|zxid| {
            let status_truncated = reference.is_some_and(|r| !holds_or_may_hold(r, zxid));
            let mut entry: Option<&LogEntry> = None;
            let mut logged = Vec::new();
            let mut committed_on = Vec::new();
            let mut applied = Vec::new();
            for &id in &ids {
                let peer = sim.peer(id);
                if let Some(found) = peer.and_then(|p| log_has(p.log(), zxid)) {
                    entry.get_or_insert(found);
                }
                if let Some(disk) = sim.disk(id) {
                    let on_disk = log_has(&disk.log, zxid);
                    if let Some(found) = on_disk {
                        entry.get_or_insert(found);
                    }
                    let snapshot_covers =
                        !status_truncated && disk.snapshot.as_ref().is_some_and(|s| s.zxid >= zxid);
                    if on_disk.is_some() || snapshot_covers {
                        logged.push(id);
                    }
                }
                let Some(peer) = peer else { continue };
                let same_history = in_history(peer, zxid) && !status_truncated;
                if same_history && peer.committed_zxid() >= zxid {
                    committed_on.push(id);
                }
                if same_history && peer.applied_zxid() >= zxid {
                    applied.push(id);
                }
            }
            let leader_of_row = proposer
                .get(&zxid)
                .or_else(|| epoch_leader.get(&zxid.epoch()))
                .copied();
            let mut acked: BTreeSet<ServerId> = acks.remove(&zxid).unwrap_or_default();
            // A leader counts its own ACK once its log holds the proposal durably.
            if let Some(proposer) = leader_of_row {
                if sim
                    .peer(proposer)
                    .is_some_and(|p| p.durable_zxid() >= zxid && log_has(p.log(), zxid).is_some())
                {
                    acked.insert(proposer);
                }
            }
            let committed = !status_truncated && !committed_on.is_empty();
            let status = if status_truncated {
                ProposalStatus::Truncated
            } else if committed {
                ProposalStatus::Committed
            } else {
                ProposalStatus::Pending
            };
            ZabRow {
                zxid,
                op: entry.map_or_else(|| "?".to_string(), |e| describe_txn(&e.header, &e.txn)),
                leader: leader_of_row,
                logged,
                acked: acked.into_iter().collect(),
                committed,
                committed_on,
                applied,
                status,
            }
        })
        .collect();
    ZabFlow {
        leader,
        quorum,
        participants,
        observers,
        rows,
    }
}

/// Whether `zxid` is, or can still become, part of `reference`'s history. A leader's history
/// is final below its newest zxid; another server's log may still grow past its last zxid.
fn holds_or_may_hold(reference: &QuorumPeer, zxid: Zxid) -> bool {
    if in_history(reference, zxid) {
        return true;
    }
    let last = reference.last_logged_zxid();
    if reference.state() == PeerState::Leading {
        // Its own epoch's proposals beyond its log do not exist yet; older epochs' zxids
        // it does not hold are not in its history.
        let epoch = reference
            .leading_epoch()
            .unwrap_or(reference.current_epoch());
        zxid > last && zxid.epoch() >= epoch
    } else {
        zxid > last
    }
}
