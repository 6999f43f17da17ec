//! LEADING: discovery (a new epoch from a quorum's acceptedEpochs), synchronization (DIFF,
//! TRUNC or SNAP for each learner, then NEWLEADER) and broadcast (PROPOSAL, ACK, COMMIT and
//! INFORM), as ZooKeeper's `Leader` and `LearnerHandler` do it.

use super::durable::{LogEntry, SnapImage};
use super::message::{ServerId, ZabPacket};
use super::trace::{LeaderGaveUp, LearnerDropped, SyncMode, TraceKind};
use super::{AfterDurable, LearnerView, Output, QuorumPeer, ZabPhase};
use crate::data::types::Zxid;
use crate::time::VirtualTime;
use crate::zkserver;
use std::collections::{BTreeMap, BTreeSet};

/// Where the leader is in establishing its epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum LeaderStage {
    /// Waiting for a quorum of FOLLOWERINFOs to choose the new epoch.
    GatheringEpochs,
    /// Writing the new acceptedEpoch.
    WritingAcceptedEpoch,
    /// LEADERINFO sent; waiting for a quorum of ACKEPOCHs.
    GatheringEpochAcks,
    /// Writing the new currentEpoch.
    WritingCurrentEpoch,
    /// Learners synchronized and sent NEWLEADER; waiting for a quorum to ACK it.
    GatheringNewLeaderAcks,
    /// Established: proposing, committing, serving clients.
    Broadcasting,
}

/// How far one learner has come with this leader.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum HandlerStage {
    /// FOLLOWERINFO received.
    Connected,
    LeaderInfoSent,
    /// ACKEPOCH received: it can be synchronized once the epoch is established.
    EpochAcked,
    /// Synchronized and sent NEWLEADER: from now on it gets every proposal.
    Synced,
    NewLeaderAcked,
    UpToDate,
}

impl HandlerStage {
    fn name(self) -> &'static str {
        match self {
            HandlerStage::Connected => "connected",
            HandlerStage::LeaderInfoSent => "sent LEADERINFO",
            HandlerStage::EpochAcked => "acked epoch",
            HandlerStage::Synced => "synced, sent NEWLEADER",
            HandlerStage::NewLeaderAcked => "acked NEWLEADER",
            HandlerStage::UpToDate => "up to date",
        }
    }
}

/// The leader's side of one learner's connection (ZooKeeper's `LearnerHandler`).
#[derive(Clone, Debug)]
pub(super) struct Handler {
    link: u64,
    observer: bool,
    last_zxid: Zxid,
    stage: HandlerStage,
    last_heard: VirtualTime,
    /// When it connected: it must ACK NEWLEADER within initLimit of that.
    connected_at: VirtualTime,
    /// The learner's snapshot: it cannot be truncated below this.
    snapshot_zxid: Zxid,
}

/// What a FOLLOWERINFO or OBSERVERINFO says.
struct LearnerInfo {
    accepted_epoch: u32,
    last_zxid: Zxid,
    snapshot_zxid: Zxid,
    observer: bool,
}

pub(super) struct Leading {
    pub(super) epoch: Option<u32>,
    stage: LeaderStage,
    started: VirtualTime,
    handlers: BTreeMap<ServerId, Handler>,
    /// acceptedEpochs reported by connecting servers, this one's own included.
    connecting: BTreeMap<ServerId, u32>,
    epoch_acked: BTreeSet<ServerId>,
    newleader_acked: BTreeSet<ServerId>,
    /// Outstanding proposals and the participants that have ACKed each.
    pub(super) acks: BTreeMap<Zxid, BTreeSet<ServerId>>,
}

impl Leading {
    /// Every learner's connection: (learner, link).
    pub(super) fn links(&self) -> impl Iterator<Item = (ServerId, u64)> + '_ {
        self.handlers
            .iter()
            .map(|(&id, handler)| (id, handler.link))
    }

    pub(super) fn learner_views(&self) -> Vec<LearnerView> {
        self.handlers
            .iter()
            .map(|(&id, handler)| LearnerView {
                id,
                observer: handler.observer,
                stage: handler.stage.name(),
                last_zxid: handler.last_zxid,
            })
            .collect()
    }
}

impl QuorumPeer {
    pub(super) fn start_leading(&mut self) {
        self.change_state(super::PeerState::Leading, ZabPhase::Discovery);
        let mut connecting = BTreeMap::new();
        connecting.insert(self.config.myid, self.accepted_epoch);
        self.leading = Some(Leading {
            epoch: None,
            stage: LeaderStage::GatheringEpochs,
            started: self.now,
            handlers: BTreeMap::new(),
            connecting,
            epoch_acked: BTreeSet::new(),
            newleader_acked: BTreeSet::new(),
            acks: BTreeMap::new(),
        });
        self.choose_epoch_if_quorum();
    }

    fn leader_stage(&self) -> Option<LeaderStage> {
        self.leading.as_ref().map(|l| l.stage)
    }

    pub(super) fn leader_receive(&mut self, from: ServerId, link: u64, packet: ZabPacket) {
        if let ZabPacket::LearnerInfo {
            accepted_epoch,
            last_zxid,
            snapshot_zxid,
            observer,
        } = packet
        {
            let info = LearnerInfo {
                accepted_epoch,
                last_zxid,
                snapshot_zxid,
                observer,
            };
            self.learner_connected(from, link, info);
            return;
        }
        let now = self.now;
        let Some(leading) = self.leading.as_mut() else {
            return;
        };
        let Some(handler) = leading.handlers.get_mut(&from) else {
            return;
        };
        if handler.link != link {
            // A packet from an earlier connection of this learner.
            return;
        }
        handler.last_heard = now;
        match packet {
            ZabPacket::AckEpoch {
                current_epoch,
                last_zxid,
            } => self.epoch_acked(from, current_epoch, last_zxid),
            ZabPacket::Ack { zxid } => self.ack_received(from, zxid),
            ZabPacket::Ping { sessions } if !sessions.is_empty() => {
                self.zk
                    .handle(now, zkserver::Input::TouchSessions(sessions));
                self.pump_zk();
            }
            // A learner forwards writes only once up to date, so only to an established leader.
            ZabPacket::Request(request)
                if self.leader_stage() == Some(LeaderStage::Broadcasting) =>
            {
                self.zk.handle(now, zkserver::Input::Forwarded(*request));
                self.pump_zk();
            }
            _ => {}
        }
    }

    fn learner_connected(&mut self, from: ServerId, link: u64, info: LearnerInfo) {
        let LearnerInfo {
            accepted_epoch,
            last_zxid,
            snapshot_zxid,
            observer,
        } = info;
        let now = self.now;
        let Some(leading) = self.leading.as_mut() else {
            return;
        };
        if leading.handlers.get(&from).is_some_and(|h| h.link == link) {
            // The learner said it again while waiting for us: it is already being handled.
            return;
        }
        leading.handlers.insert(
            from,
            Handler {
                link,
                observer,
                last_zxid,
                stage: HandlerStage::Connected,
                last_heard: now,
                connected_at: now,
                snapshot_zxid,
            },
        );
        // Anyone connecting may lift the epoch, but only participants make the quorum.
        leading.connecting.insert(from, accepted_epoch);
        match leading.epoch {
            Some(epoch) if leading.stage > LeaderStage::WritingAcceptedEpoch => {
                self.send_leader_info(from, epoch)
            }
            _ => self.choose_epoch_if_quorum(),
        }
    }

    /// Once a quorum has connected: the new epoch is one more than any acceptedEpoch heard.
    fn choose_epoch_if_quorum(&mut self) {
        let Some(leading) = self.leading.as_mut() else {
            return;
        };
        if leading.stage != LeaderStage::GatheringEpochs
            || !self.config.is_quorum(leading.connecting.keys())
        {
            return;
        }
        let epoch = leading.connecting.values().copied().max().unwrap_or(0) + 1;
        leading.epoch = Some(epoch);
        leading.stage = LeaderStage::WritingAcceptedEpoch;
        self.write_accepted_epoch(epoch, AfterDurable::LeaderEpochAccepted);
    }

    pub(super) fn leader_epoch_accepted(&mut self) {
        let myid = self.config.myid;
        let Some(leading) = self.leading.as_mut() else {
            return;
        };
        let Some(epoch) = leading.epoch else {
            return;
        };
        leading.stage = LeaderStage::GatheringEpochAcks;
        leading.epoch_acked.insert(myid);
        let waiting: Vec<ServerId> = leading.handlers.keys().copied().collect();
        for id in waiting {
            self.send_leader_info(id, epoch);
        }
        self.current_epoch_if_quorum();
    }

    fn send_leader_info(&mut self, to: ServerId, epoch: u32) {
        let Some(handler) = self.leading.as_mut().and_then(|l| l.handlers.get_mut(&to)) else {
            return;
        };
        if handler.stage != HandlerStage::Connected {
            return;
        }
        handler.stage = HandlerStage::LeaderInfoSent;
        let link = handler.link;
        self.send_zab(to, link, ZabPacket::LeaderInfo { new_epoch: epoch });
    }

    fn epoch_acked(&mut self, from: ServerId, current_epoch: Option<u32>, last_zxid: Zxid) {
        let my_epoch = self.current_epoch;
        let my_last = self.last_logged_zxid();
        if let Some(theirs) = current_epoch {
            if theirs > my_epoch || (theirs == my_epoch && last_zxid > my_last) {
                // The election chose a server with less history than this learner's.
                self.leader_give_up(LeaderGaveUp::LearnerAhead {
                    learner: from,
                    epoch: theirs,
                    zxid: last_zxid,
                });
                return;
            }
        }
        let Some(leading) = self.leading.as_mut() else {
            return;
        };
        let Some(handler) = leading.handlers.get_mut(&from) else {
            return;
        };
        if handler.stage != HandlerStage::LeaderInfoSent {
            return;
        }
        handler.stage = HandlerStage::EpochAcked;
        handler.last_zxid = last_zxid;
        if current_epoch.is_some() {
            leading.epoch_acked.insert(from);
        }
        if leading.stage >= LeaderStage::GatheringNewLeaderAcks {
            self.sync_learner(from);
        } else {
            self.current_epoch_if_quorum();
        }
    }

    fn current_epoch_if_quorum(&mut self) {
        let Some(leading) = self.leading.as_mut() else {
            return;
        };
        let Some(epoch) = leading.epoch else {
            return;
        };
        if leading.stage != LeaderStage::GatheringEpochAcks
            || !self.config.is_quorum(leading.epoch_acked.iter())
        {
            return;
        }
        leading.stage = LeaderStage::WritingCurrentEpoch;
        self.write_current_epoch(epoch, AfterDurable::LeaderEpochCurrent);
    }

    pub(super) fn leader_epoch_current(&mut self) {
        let myid = self.config.myid;
        self.change_state(super::PeerState::Leading, ZabPhase::Synchronization);
        // The leader's whole log is the history of the new epoch: load it.
        let tail: Vec<LogEntry> = self.entries_after(self.applied_zxid()).to_vec();
        for entry in &tail {
            self.apply_entry(entry);
        }
        let Some(leading) = self.leading.as_mut() else {
            return;
        };
        leading.stage = LeaderStage::GatheringNewLeaderAcks;
        leading.newleader_acked.insert(myid);
        let ready: Vec<ServerId> = leading
            .handlers
            .iter()
            .filter(|(_, h)| h.stage == HandlerStage::EpochAcked)
            .map(|(&id, _)| id)
            .collect();
        for id in ready {
            self.sync_learner(id);
        }
        self.establish_if_quorum();
    }

    /// Brings one learner to the leader's history, and sends NEWLEADER.
    fn sync_learner(&mut self, id: ServerId) {
        let Some(leading) = self.leading.as_ref() else {
            return;
        };
        let (Some(epoch), Some(handler)) = (leading.epoch, leading.handlers.get(&id)) else {
            return;
        };
        let (link, peer_last, observer) = (handler.link, handler.last_zxid, handler.observer);
        let peer_snapshot = handler.snapshot_zxid;
        let broadcasting = leading.stage == LeaderStage::Broadcasting;
        // Before the epoch is established the whole log is the history being committed.
        let committed_through = if broadcasting {
            self.committed_zxid
        } else {
            self.last_logged_zxid()
        };
        let leader_last = self.last_logged_zxid();
        let (mode, sync_point) = match self.choose_sync(peer_last) {
            (SyncMode::Trunc, point) if point < peer_snapshot => (SyncMode::Snap, point),
            chosen => chosen,
        };
        let first = match mode {
            SyncMode::Diff => ZabPacket::Diff {
                last_zxid: leader_last,
                committed_zxid: committed_through,
            },
            SyncMode::Trunc => ZabPacket::Trunc { zxid: sync_point },
            SyncMode::Snap => ZabPacket::Snap(Box::new(SnapImage {
                zxid: self.applied_zxid(),
                tree: self.zk.tree().clone(),
                sessions: self.zk.session_table(),
            })),
        };
        let resume_after = match mode {
            SyncMode::Snap => self.applied_zxid(),
            _ => sync_point,
        };
        self.trace(TraceKind::SyncChosen {
            learner: id,
            mode,
            peer_last,
            leader_last,
        });
        self.send_zab(id, link, first);
        let entries: Vec<LogEntry> = self.entries_after(resume_after).to_vec();
        for entry in entries {
            let zxid = entry.zxid();
            if observer && zxid > committed_through {
                // Observers never see proposals: these reach it as INFORMs once committed.
                break;
            }
            self.send_zab(id, link, ZabPacket::Proposal(Box::new(entry)));
            if zxid <= committed_through {
                self.send_zab(id, link, ZabPacket::Commit { zxid });
            }
        }
        self.send_zab(
            id,
            link,
            ZabPacket::NewLeader {
                zxid: Zxid::new(epoch, 0),
            },
        );
        if let Some(handler) = self.leading.as_mut().and_then(|l| l.handlers.get_mut(&id)) {
            handler.stage = HandlerStage::Synced;
        }
    }

    /// DIFF from the learner's last zxid if the leader has it; TRUNC to the leader's last
    /// zxid before it if that is in the same epoch (so the learner has it too); SNAP
    /// otherwise. The sync point comes from the durable log, never from what was applied.
    fn choose_sync(&self, peer_last: Zxid) -> (SyncMode, Zxid) {
        let base = self.base.zxid;
        let known = peer_last == base || self.log.iter().any(|e| e.zxid() == peer_last);
        if known && peer_last >= base {
            return (SyncMode::Diff, peer_last);
        }
        if peer_last < base {
            return (SyncMode::Snap, base);
        }
        let before = self
            .log
            .iter()
            .rev()
            .map(|e| e.zxid())
            .find(|&z| z < peer_last)
            .unwrap_or(base);
        if before.epoch() == peer_last.epoch() || before == Zxid::ZERO {
            (SyncMode::Trunc, before)
        } else {
            (SyncMode::Snap, base)
        }
    }

    fn ack_received(&mut self, from: ServerId, zxid: Zxid) {
        let Some(leading) = self.leading.as_mut() else {
            return;
        };
        let Some(epoch) = leading.epoch else {
            return;
        };
        let Some(handler) = leading.handlers.get_mut(&from) else {
            return;
        };
        if zxid == Zxid::new(epoch, 0) && handler.stage == HandlerStage::Synced {
            handler.stage = HandlerStage::NewLeaderAcked;
            if !handler.observer {
                leading.newleader_acked.insert(from);
            }
            if leading.stage == LeaderStage::Broadcasting {
                self.send_up_to_date(from);
            } else {
                self.establish_if_quorum();
            }
            return;
        }
        if handler.observer || handler.stage < HandlerStage::NewLeaderAcked {
            return;
        }
        if let Some(acks) = leading.acks.get_mut(&zxid) {
            acks.insert(from);
            self.trace(TraceKind::AckReceived { zxid, from });
            self.commit_ready();
        }
    }

    fn establish_if_quorum(&mut self) {
        let Some(leading) = self.leading.as_mut() else {
            return;
        };
        let Some(epoch) = leading.epoch else {
            return;
        };
        if leading.stage != LeaderStage::GatheringNewLeaderAcks
            || !self.config.is_quorum(leading.newleader_acked.iter())
        {
            return;
        }
        leading.stage = LeaderStage::Broadcasting;
        let acked: Vec<ServerId> = leading
            .handlers
            .iter()
            .filter(|(_, h)| h.stage == HandlerStage::NewLeaderAcked)
            .map(|(&id, _)| id)
            .collect();
        let last = self.last_logged_zxid();
        if last > self.committed_zxid {
            self.committed_zxid = last;
            self.trace(TraceKind::Committed { zxid: last });
        }
        self.change_state(super::PeerState::Leading, ZabPhase::Broadcast);
        self.trace(TraceKind::LeaderEstablished { epoch });
        self.zk.start_leading(self.now, Zxid::new(epoch, 0));
        self.pump_zk();
        for id in acked {
            self.send_up_to_date(id);
        }
    }

    fn send_up_to_date(&mut self, to: ServerId) {
        let Some(handler) = self.leading.as_mut().and_then(|l| l.handlers.get_mut(&to)) else {
            return;
        };
        handler.stage = HandlerStage::UpToDate;
        let link = handler.link;
        self.send_zab(to, link, ZabPacket::UpToDate);
    }

    /// A write the pipeline prepared: log it, and send it to every synchronized follower.
    pub(super) fn leader_propose(&mut self, entry: LogEntry) {
        let zxid = entry.zxid();
        let Some(leading) = self.leading.as_mut() else {
            return;
        };
        leading.acks.insert(zxid, BTreeSet::new());
        let followers: Vec<(ServerId, u64)> = leading
            .handlers
            .iter()
            .filter(|(_, h)| !h.observer && h.stage >= HandlerStage::Synced)
            .map(|(&id, h)| (id, h.link))
            .collect();
        self.trace(TraceKind::Proposed { zxid });
        for (id, link) in followers {
            self.send_zab(id, link, ZabPacket::Proposal(Box::new(entry.clone())));
        }
        self.append_and_sync(vec![entry]);
    }

    /// The leader's own log is durable through `zxid`: that is its own ACK.
    pub(super) fn leader_synced(&mut self, zxid: Zxid) {
        let myid = self.config.myid;
        let Some(leading) = self.leading.as_mut() else {
            return;
        };
        for (_, acks) in leading.acks.range_mut(..=zxid) {
            acks.insert(myid);
        }
        self.commit_ready();
    }

    /// Commits proposals in zxid order while the oldest has a quorum of ACKs.
    fn commit_ready(&mut self) {
        loop {
            let Some(leading) = self.leading.as_mut() else {
                return;
            };
            let Some((&zxid, acks)) = leading.acks.first_key_value() else {
                return;
            };
            if !self.config.is_quorum(acks.iter()) {
                return;
            }
            leading.acks.remove(&zxid);
            let learners: Vec<(ServerId, u64, bool)> = leading
                .handlers
                .iter()
                .filter(|(_, h)| h.stage >= HandlerStage::Synced)
                .map(|(&id, h)| (id, h.link, h.observer))
                .collect();
            self.committed_zxid = zxid;
            self.trace(TraceKind::Committed { zxid });
            let entry = if learners.iter().any(|(_, _, observer)| *observer) {
                self.log
                    .binary_search_by_key(&zxid, LogEntry::zxid)
                    .ok()
                    .map(|i| self.log[i].clone())
            } else {
                None
            };
            for (id, link, observer) in learners {
                let packet = match (&entry, observer) {
                    (_, false) => ZabPacket::Commit { zxid },
                    (Some(entry), true) => ZabPacket::Inform(Box::new(entry.clone())),
                    (None, true) => continue,
                };
                self.send_zab(id, link, packet);
            }
            self.zk
                .handle(self.now, zkserver::Input::Committed { through: zxid });
            self.pump_zk();
        }
    }

    /// Every half tick: ping the learners, drop the silent ones, and step down if the
    /// leader no longer hears a quorum (or could not establish itself in time).
    pub(super) fn leader_heartbeat(&mut self) {
        let now = self.now;
        let myid = self.config.myid;
        let init_ms = self.config.init_limit * self.config.tick_ms;
        let sync_ms = self.config.sync_limit * self.config.tick_ms;
        let Some(leading) = self.leading.as_mut() else {
            return;
        };
        if leading.stage != LeaderStage::Broadcasting {
            if now.millis_since(leading.started) > init_ms {
                self.leader_give_up(LeaderGaveUp::NoQuorumWithinInitLimit);
            }
            return;
        }
        // Learners silent for too long, or not synchronized within initLimit of connecting
        // (a learner answering pings while its NEWLEADER never came would wait forever).
        let silent: Vec<ServerId> = leading
            .handlers
            .iter()
            .filter(|(_, h)| {
                if h.stage >= HandlerStage::NewLeaderAcked {
                    now.millis_since(h.last_heard) > sync_ms
                } else {
                    now.millis_since(h.connected_at) > init_ms
                }
            })
            .map(|(&id, _)| id)
            .collect();
        let mut closed = Vec::new();
        for id in &silent {
            if let Some(handler) = leading.handlers.remove(id) {
                closed.push(Output::CloseConnection {
                    peer: *id,
                    link: handler.link,
                });
            }
        }
        self.outputs.extend(closed);
        let mut synced: Vec<ServerId> = leading
            .handlers
            .iter()
            .filter(|(_, h)| h.stage >= HandlerStage::NewLeaderAcked)
            .map(|(&id, _)| id)
            .collect();
        synced.push(myid);
        let pings: Vec<(ServerId, u64)> = leading
            .handlers
            .iter()
            .filter(|(_, h)| h.stage >= HandlerStage::Synced)
            .map(|(&id, h)| (id, h.link))
            .collect();
        for id in silent {
            self.trace(TraceKind::LearnerDropped {
                learner: id,
                reason: LearnerDropped::Silent,
            });
        }
        if !self.config.is_quorum(synced.iter()) {
            self.leader_give_up(LeaderGaveUp::LostSyncedQuorum);
            return;
        }
        for (id, link) in pings {
            self.send_zab(
                id,
                link,
                ZabPacket::Ping {
                    sessions: Vec::new(),
                },
            );
        }
    }

    pub(super) fn leader_lost_learner(&mut self, peer: ServerId, link: Option<u64>) {
        let Some(leading) = self.leading.as_mut() else {
            return;
        };
        // A close of an earlier connection says nothing about the learner's current one.
        let current = leading
            .handlers
            .get(&peer)
            .is_some_and(|h| link.is_none_or(|link| link == h.link));
        if current {
            leading.handlers.remove(&peer);
            self.trace(TraceKind::LearnerDropped {
                learner: peer,
                reason: LearnerDropped::ConnectionClosed,
            });
        }
    }

    fn leader_give_up(&mut self, reason: LeaderGaveUp) {
        self.trace(TraceKind::LeaderGaveUp { reason });
        self.look_for_leader();
    }
}
