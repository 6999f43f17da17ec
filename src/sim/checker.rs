//! The checker: after every simulated step, the invariants of `zab-safety.md` on the server
//! that just acted. Checks are incremental (what changed since the last look at that server),
//! so that checking every step stays cheap.

use crate::data::types::Zxid;
use crate::peer::durable::{DiskImage, DurableOp, DurableStep, LogAfterSnapshot, LogEntry};
use crate::peer::message::{PeerState, ServerId};
use crate::peer::{QuorumPeer, ZabPhase};
use crate::time::VirtualTime;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

/// An invariant found broken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub at: VirtualTime,
    pub server: ServerId,
    pub invariant: Invariant,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Invariant {
    OneLeaderPerEpoch,
    CommittedHistoriesAgree,
    LeaderHasCommittedHistory,
    FollowerHoldsLeaderPrefix,
    EpochsNeverDecrease,
    CurrentEpochWithinAccepted,
    EphemeralsHaveLiveSessions,
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Invariant::OneLeaderPerEpoch => "at most one established leader per epoch",
            Invariant::CommittedHistoriesAgree => "committed histories agree and never change",
            Invariant::LeaderHasCommittedHistory => {
                "an established leader holds every committed transaction"
            }
            Invariant::FollowerHoldsLeaderPrefix => {
                "a synchronized follower holds a prefix of its leader's history"
            }
            Invariant::EpochsNeverDecrease => "acceptedEpoch and currentEpoch never decrease",
            Invariant::CurrentEpochWithinAccepted => "currentEpoch <= acceptedEpoch",
            Invariant::EphemeralsHaveLiveSessions => "every ephemeral znode's session is live",
        })
    }
}

/// What the checker remembers between steps.
#[derive(Clone, Debug, Default)]
pub struct Checker {
    /// Who established itself as leader of each epoch.
    leaders: BTreeMap<u32, ServerId>,
    /// Every transaction any server has known to be committed, in zxid order. (A vector:
    /// commits arrive almost always at its end, and lookups are near its end too.)
    committed: Vec<LogEntry>,
    /// What is remembered of each server, indexed by its id (it runs after every step, so
    /// finding it must cost nothing).
    servers: Vec<ServerProgress>,
    /// Per (leader, epoch): the committed zxid up to which its history was checked.
    leader_checked: BTreeMap<(ServerId, u32), Zxid>,
    violations: Vec<Violation>,
    reported: BTreeSet<(Invariant, ServerId)>,
}

/// What the checker remembers of one server.
#[derive(Clone, Debug, Default)]
struct ServerProgress {
    /// The committed zxid up to which its log was checked.
    checked_through: Zxid,
    /// Entries a snapshot dropped from its log before they were seen committed. A new
    /// leader applies its whole history (and may snapshot it) before it is established,
    /// that is before its history counts as committed.
    dropped: Vec<LogEntry>,
    /// The applied zxid at which its ephemerals were last checked.
    ephemerals_checked: Option<Zxid>,
    /// The highest durable epochs seen on its disk: (accepted, current).
    durable_epochs: (u32, u32),
}

impl Checker {
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// The highest zxid any server has seen committed.
    pub fn last_committed(&self) -> Zxid {
        self.committed.last().map_or(Zxid::ZERO, LogEntry::zxid)
    }

    /// Every committed transaction, in zxid order.
    pub fn committed_history(&self) -> impl Iterator<Item = &LogEntry> {
        self.committed.iter()
    }

    #[inline]
    fn progress(&mut self, server: ServerId) -> &mut ServerProgress {
        let index = server as usize;
        if index >= self.servers.len() {
            self.first_sight(index);
        }
        &mut self.servers[index]
    }

    #[cold]
    fn first_sight(&mut self, index: usize) {
        self.servers.resize_with(index + 1, ServerProgress::default);
    }

    /// Checks the server that just acted; returns what it newly found broken.
    pub fn check<'a>(
        &mut self,
        now: VirtualTime,
        server: ServerId,
        peer_of: impl Fn(ServerId) -> Option<&'a QuorumPeer>,
        disk_of: impl Fn(ServerId) -> Option<(&'a DiskImage, &'a VecDeque<DurableStep>)>,
    ) -> Vec<Violation> {
        let mut found = Vec::new();
        let disk = disk_of(server);
        if let Some((disk, _)) = disk {
            self.check_epochs(server, disk, &mut found);
        }
        if let Some(peer) = peer_of(server) {
            self.check_leader(server, peer, &mut found);
            self.check_committed(server, peer, disk, &mut found);
            // Ephemerals change only when transactions are applied.
            let applied = peer.applied_zxid();
            let checked = &mut self.progress(server).ephemerals_checked;
            let fresh = checked.replace(applied) != Some(applied);
            if peer.phase() == ZabPhase::Broadcast && fresh {
                self.check_ephemerals(peer, &mut found);
            }
            let following = peer.state() == PeerState::Following;
            if peer.phase() == ZabPhase::Broadcast && following {
                if let Some(leader) = peer.leader().and_then(&peer_of) {
                    self.check_follower_prefix(server, peer, leader, &mut found);
                }
            }
        }
        let mut new = Vec::new();
        for (invariant, detail) in found {
            if self.reported.insert((invariant, server)) {
                let violation = Violation {
                    at: now,
                    server,
                    invariant,
                    detail,
                };
                self.violations.push(violation.clone());
                new.push(violation);
            }
        }
        new
    }

    fn check_epochs(
        &mut self,
        server: ServerId,
        disk: &DiskImage,
        found: &mut Vec<(Invariant, String)>,
    ) {
        let now = (disk.accepted_epoch, disk.current_epoch);
        let before = std::mem::replace(&mut self.progress(server).durable_epochs, now);
        if now.0 < before.0 || now.1 < before.1 {
            found.push((
                Invariant::EpochsNeverDecrease,
                format!(
                    "durable epochs went from (accepted {}, current {}) to (accepted {}, current {})",
                    before.0, before.1, now.0, now.1
                ),
            ));
        }
        if disk.current_epoch > disk.accepted_epoch {
            found.push((
                Invariant::CurrentEpochWithinAccepted,
                format!(
                    "durable currentEpoch {} > acceptedEpoch {}",
                    disk.current_epoch, disk.accepted_epoch
                ),
            ));
        }
    }

    fn check_leader(
        &mut self,
        server: ServerId,
        peer: &QuorumPeer,
        found: &mut Vec<(Invariant, String)>,
    ) {
        if peer.state() != PeerState::Leading || peer.phase() != ZabPhase::Broadcast {
            return;
        }
        let Some(epoch) = peer.leading_epoch() else {
            return;
        };
        let leader = *self.leaders.entry(epoch).or_insert(server);
        if leader != server {
            found.push((
                Invariant::OneLeaderPerEpoch,
                format!("servers {leader} and {server} both established leaders of epoch {epoch}"),
            ));
        }
        // Leader completeness: everything committed in earlier epochs is in its history. (A
        // leader paused or cut off may still think it leads while a later epoch commits
        // more; it can commit nothing itself, and is not expected to hold those.)
        let epoch_start = Zxid::new(epoch, 0);
        let checked = self
            .leader_checked
            .entry((server, epoch))
            .or_insert(Zxid::ZERO);
        let from = (*checked).max(peer.base().zxid);
        // The committed entries of earlier epochs it has not been checked against. (A plain
        // binary search: the entries of its own epoch lie between them and the end.)
        let before_epoch = self.committed.partition_point(|e| e.zxid() < epoch_start);
        let after_from = self.committed[..before_epoch].partition_point(|e| e.zxid() <= from);
        let unchecked = &self.committed[after_from..before_epoch];
        *checked = unchecked.last().map_or(from, LogEntry::zxid);
        let last = peer.last_logged_zxid();
        for entry in unchecked {
            let zxid = &entry.zxid();
            if *zxid > last {
                found.push((
                    Invariant::LeaderHasCommittedHistory,
                    format!("committed {zxid} is beyond the leader's last zxid {last}"),
                ));
                break;
            }
            if find(peer.log(), *zxid) != Some(entry) {
                found.push((
                    Invariant::LeaderHasCommittedHistory,
                    format!("committed {zxid} is missing or different in the leader's log"),
                ));
                break;
            }
        }
    }

    /// Entries a server knows committed must be the same everywhere; first sight of a
    /// committed zxid records it. Those its log no longer holds (a snapshot dropped them
    /// before they were seen committed) come from what it wrote.
    fn check_committed(
        &mut self,
        server: ServerId,
        peer: &QuorumPeer,
        disk: Option<(&DiskImage, &VecDeque<DurableStep>)>,
        found: &mut Vec<(Invariant, String)>,
    ) {
        let committed = peer.committed_zxid();
        let from = self.progress(server).checked_through;
        let base = peer.base().zxid;
        let mut dropped: Vec<LogEntry> = Vec::new();
        let upto = base.min(committed);
        if upto > from {
            let mut known: BTreeMap<Zxid, &LogEntry> = self.servers[server as usize]
                .dropped
                .iter()
                .map(|e| (e.zxid(), e))
                .collect();
            if let Some((disk, queue)) = disk {
                known.extend(written(disk, queue, from, upto));
            }
            dropped = known
                .range(from.next()..=upto)
                .map(|(_, e)| (*e).clone())
                .collect();
        }
        let start = partition_point_near_end(peer.log(), from.max(base));
        let logged = peer.log()[start..]
            .iter()
            .take_while(|e| e.zxid() <= committed);
        for entry in dropped.iter().chain(logged) {
            let at = partition_point_near_end(&self.committed, entry.zxid());
            match self.committed[..at].last() {
                Some(known) if known.zxid() == entry.zxid() => {
                    if known != entry {
                        found.push((
                            Invariant::CommittedHistoriesAgree,
                            format!(
                                "committed {} differs from the one seen before",
                                entry.zxid()
                            ),
                        ));
                    }
                }
                _ => self.committed.insert(at, entry.clone()),
            }
        }
        let progress = self.progress(server);
        progress.checked_through = committed;
        progress.dropped.retain(|e| e.zxid() > committed);
    }

    /// A server asked for a durable step (not yet queued). A snapshot drops entries from its
    /// log at once: those not yet seen committed are kept from what it wrote (its disk and
    /// the steps queued for it), for [`Checker::check_committed`]. Truncating and installing
    /// a leader's snapshot forget what was kept.
    pub fn disk_step(
        &mut self,
        server: ServerId,
        op: &DurableOp,
        disk: &DiskImage,
        queue: &VecDeque<DurableStep>,
    ) {
        match op {
            DurableOp::Snapshot {
                image,
                log: LogAfterSnapshot::KeepNewer,
            } => {
                let progress = self.progress(server);
                let from = progress.checked_through;
                if image.zxid <= from {
                    return;
                }
                let kept = &mut progress.dropped;
                let mut known: BTreeMap<Zxid, &LogEntry> =
                    kept.iter().map(|e| (e.zxid(), e)).collect();
                known.extend(written(disk, queue, from, image.zxid));
                *kept = known.into_values().cloned().collect();
            }
            DurableOp::Truncate { after } => {
                self.progress(server).dropped.retain(|e| e.zxid() <= *after);
            }
            DurableOp::Snapshot {
                log: LogAfterSnapshot::DiscardAll,
                ..
            } => {
                self.progress(server).dropped = Vec::new();
            }
            _ => {}
        }
    }

    fn check_follower_prefix(
        &self,
        server: ServerId,
        follower: &QuorumPeer,
        leader: &QuorumPeer,
        found: &mut Vec<(Invariant, String)>,
    ) {
        if leader.state() != PeerState::Leading
            || leader.leading_epoch() != Some(follower.current_epoch())
        {
            return;
        }
        let Some(last) = follower.log().last() else {
            return;
        };
        if last.zxid() <= leader.base().zxid {
            return;
        }
        match find(leader.log(), last.zxid()) {
            Some(entry) if entry == last => {}
            _ => found.push((
                Invariant::FollowerHoldsLeaderPrefix,
                format!(
                    "server {server}'s last entry {} is not in leader {}'s history",
                    last.zxid(),
                    leader.myid()
                ),
            )),
        }
    }

    fn check_ephemerals(&self, peer: &QuorumPeer, found: &mut Vec<(Invariant, String)>) {
        let owners = peer.tree().sessions_with_ephemerals();
        if owners.is_empty() {
            // The usual case, and then the session table need not be copied.
            return;
        }
        let live: BTreeSet<i64> = peer.server().session_table().iter().map(|s| s.0).collect();
        for owner in owners {
            if !live.contains(&owner) {
                found.push((
                    Invariant::EphemeralsHaveLiveSessions,
                    format!("ephemerals owned by {owner:#x}, which is not a live session"),
                ));
                return;
            }
        }
    }
}

/// The log entries in `(after, upto]` a server has written: its disk's, then the steps
/// queued for it, in order (a queued truncation or snapshot install replaces what came before).
fn written<'a>(
    disk: &'a DiskImage,
    queue: &'a VecDeque<DurableStep>,
    after: Zxid,
    upto: Zxid,
) -> BTreeMap<Zxid, &'a LogEntry> {
    let mut entries: BTreeMap<Zxid, &LogEntry> = disk
        .log
        .iter()
        .chain(&disk.unsynced)
        .map(|e| (e.zxid(), e))
        .collect();
    for step in queue {
        match &step.op {
            DurableOp::Append(appended) => entries.extend(appended.iter().map(|e| (e.zxid(), e))),
            DurableOp::Truncate { after } => {
                entries.split_off(&after.next());
            }
            DurableOp::Snapshot {
                log: LogAfterSnapshot::DiscardAll,
                ..
            } => entries.clear(),
            _ => {}
        }
    }
    entries.retain(|zxid, _| *zxid > after && *zxid <= upto);
    entries
}

/// The entry with this zxid, if the log holds it.
fn find(log: &[LogEntry], zxid: Zxid) -> Option<&LogEntry> {
    let at = partition_point_near_end(log, zxid);
    log[..at].last().filter(|e| e.zxid() == zxid)
}

/// How many entries of the (zxid-ordered) log have a zxid at most `zxid`, like
/// `partition_point`, but galloping back from the end: the checker almost always asks about
/// the last few entries, and a plain binary search over a long log misses the cache at
/// every probe (it was a tenth of the simulator's time under load).
fn partition_point_near_end(log: &[LogEntry], zxid: Zxid) -> usize {
    // Invariant: every entry in log[high..] is after `zxid`.
    let mut high = log.len();
    let mut stride = 1;
    let low = loop {
        if stride > high {
            break 0;
        }
        let probe = high - stride;
        if log[probe].zxid() <= zxid {
            break probe + 1;
        }
        high = probe;
        stride *= 2;
    };
    low + log[low..high].partition_point(|e| e.zxid() <= zxid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::txn::{Txn, TxnHeader};
    use crate::data::types::OpCode;

    fn log_of(zxids: &[u32]) -> Vec<LogEntry> {
        zxids
            .iter()
            .map(|&counter| LogEntry {
                header: TxnHeader {
                    session_id: 1,
                    cxid: 0,
                    zxid: Zxid::new(1, counter),
                    time_ms: 0,
                    op: OpCode::CreateSession,
                },
                txn: Txn::CreateSession { timeout_ms: 6000 }.into(),
            })
            .collect()
    }

    #[test]
    fn galloping_search_agrees_with_partition_point() {
        for len in 0..40u32 {
            let log = log_of(&(1..=len).map(|i| i * 2).collect::<Vec<_>>());
            for counter in 0..=len * 2 + 2 {
                let zxid = Zxid::new(1, counter);
                let expected = log.partition_point(|e| e.zxid() <= zxid);
                assert_eq!(
                    partition_point_near_end(&log, zxid),
                    expected,
                    "{len} {counter}"
                );
                let found = find(&log, zxid).map(LogEntry::zxid);
                let wanted =
                    (counter % 2 == 0 && counter >= 2 && counter <= len * 2).then_some(zxid);
                assert_eq!(found, wanted, "{len} {counter}");
            }
        }
    }
}
