//! FOLLOWING and OBSERVING: connect to the leader, accept its epoch, synchronize with it
//! and follow its broadcast, as ZooKeeper's `Learner`, `Follower` and `Observer` do.
//!
//! The ordering rules of `zab-safety.md` live here: a proposal is ACKed only once durable;
//! on NEWLEADER the synchronized transactions are logged and fsynced, then currentEpoch is
//! written, then NEWLEADER is ACKed, and only then are individual proposals ACKed.

use super::durable::{DurableOp, LogAfterSnapshot, LogEntry, SnapImage};
use super::message::{PeerState, ServerId, ZabPacket};
use super::trace::{LeftLeader, TraceKind};
use super::{AfterDurable, QuorumPeer, ZabPhase};
use crate::data::types::Zxid;
use crate::time::VirtualTime;
use crate::zkserver::ForwardedRequest;
use rand::RngExt;
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum LearnerStage {
    /// FOLLOWERINFO sent; waiting for LEADERINFO.
    Connecting,
    /// Writing the leader's epoch as acceptedEpoch.
    WritingAcceptedEpoch,
    /// ACKEPOCH sent; waiting for DIFF, TRUNC or SNAP.
    AwaitingSync,
    /// Receiving the proposals and commits that synchronize it.
    Syncing,
    /// NEWLEADER received: logging the synchronized history, then writing currentEpoch.
    WritingHistory,
    /// NEWLEADER ACKed; waiting for UPTODATE.
    AwaitingUpToDate,
    /// Serving clients and following the broadcast.
    Broadcast,
}

pub(super) struct Learning {
    pub(super) leader: ServerId,
    pub(super) link: u64,
    observer: bool,
    stage: LearnerStage,
    new_epoch: u32,
    last_heard: VirtualTime,
    /// Proposals received while synchronizing, logged all together at NEWLEADER.
    unlogged: Vec<LogEntry>,
    /// Proposals received and not yet committed, in zxid order.
    uncommitted: VecDeque<Zxid>,
    /// NEWLEADER's zxid and the last synchronized zxid that must be durable before
    /// currentEpoch is written.
    newleader: Option<(Zxid, Zxid)>,
    /// Proposals are ACKed only after NEWLEADER is: the highest ACKed so far.
    acked_through: Option<Zxid>,
    /// What the synchronization says is committed: only once UPTODATE shows the leader
    /// established is it known to be (a leader that never gets its quorum commits nothing).
    sync_committed: Zxid,
}

impl QuorumPeer {
    pub(super) fn start_learning(&mut self, leader: ServerId) {
        let observer = self.config.is_observer();
        let state = if observer {
            PeerState::Observing
        } else {
            PeerState::Following
        };
        self.change_state(state, ZabPhase::Discovery);
        let link = self.rng.random::<u64>();
        self.learning = Some(Learning {
            leader,
            link,
            observer,
            stage: LearnerStage::Connecting,
            new_epoch: 0,
            last_heard: self.now,
            unlogged: Vec::new(),
            uncommitted: VecDeque::new(),
            newleader: None,
            acked_through: None,
            sync_committed: Zxid::ZERO,
        });
        self.send_learner_info();
    }

    /// FOLLOWERINFO (or OBSERVERINFO). Sent again every heartbeat until the leader answers:
    /// it may not be listening yet, as ZooKeeper's learners retry their connection.
    fn send_learner_info(&mut self) {
        let packet = ZabPacket::LearnerInfo {
            accepted_epoch: self.accepted_epoch,
            last_zxid: self.last_logged_zxid(),
            snapshot_zxid: self.base.zxid,
            observer: self.config.is_observer(),
        };
        self.send_to_leader(packet);
    }

    fn learner_stage(&self) -> Option<LearnerStage> {
        self.learning.as_ref().map(|l| l.stage)
    }

    pub(super) fn learner_receive(&mut self, from: ServerId, link: u64, packet: ZabPacket) {
        let now = self.now;
        let Some(learning) = self.learning.as_mut() else {
            return;
        };
        if from != learning.leader || link != learning.link {
            return;
        }
        learning.last_heard = now;
        let stage = learning.stage;
        match packet {
            ZabPacket::LeaderInfo { new_epoch } if stage == LearnerStage::Connecting => {
                self.leader_info(new_epoch)
            }
            ZabPacket::Diff { committed_zxid, .. } if stage == LearnerStage::AwaitingSync => {
                self.diff(committed_zxid)
            }
            ZabPacket::Trunc { zxid } if stage == LearnerStage::AwaitingSync => self.truncate(zxid),
            ZabPacket::Snap(image) if stage == LearnerStage::AwaitingSync => self.install(*image),
            ZabPacket::Proposal(entry) if stage >= LearnerStage::Syncing => self.proposal(*entry),
            ZabPacket::Commit { zxid } if stage >= LearnerStage::Syncing => self.commit(zxid),
            ZabPacket::Inform(entry) if stage >= LearnerStage::Syncing => self.inform(*entry),
            ZabPacket::NewLeader { zxid } if stage == LearnerStage::Syncing => {
                self.new_leader(zxid)
            }
            ZabPacket::UpToDate if stage == LearnerStage::AwaitingUpToDate => self.up_to_date(),
            ZabPacket::Ping { .. } => {
                let sessions = self.zk.take_touched_sessions();
                self.send_to_leader(ZabPacket::Ping { sessions });
            }
            other => self.learner_give_up(LeftLeader::UnexpectedPacket {
                packet: super::message::PeerMessage::Zab {
                    link,
                    packet: other,
                }
                .kind()
                .to_string(),
                stage: format!("{stage:?}"),
            }),
        }
    }

    fn set_learner_stage(&mut self, stage: LearnerStage) {
        if let Some(learning) = self.learning.as_mut() {
            learning.stage = stage;
        }
    }

    fn send_to_leader(&mut self, packet: ZabPacket) {
        if let Some(learning) = self.learning.as_ref() {
            let (leader, link) = (learning.leader, learning.link);
            self.send_zab(leader, link, packet);
        }
    }

    fn leader_info(&mut self, new_epoch: u32) {
        if let Some(learning) = self.learning.as_mut() {
            learning.new_epoch = new_epoch;
        }
        if new_epoch > self.accepted_epoch {
            self.set_learner_stage(LearnerStage::WritingAcceptedEpoch);
            let current_epoch = Some(self.current_epoch);
            self.write_accepted_epoch(
                new_epoch,
                AfterDurable::LearnerEpochAccepted { current_epoch },
            );
        } else if new_epoch == self.accepted_epoch {
            self.learner_epoch_accepted(None);
        } else {
            self.learner_give_up(LeftLeader::EpochOlderThanAccepted {
                offered: new_epoch,
                accepted: self.accepted_epoch,
            });
        }
    }

    pub(super) fn learner_epoch_accepted(&mut self, current_epoch: Option<u32>) {
        self.set_learner_stage(LearnerStage::AwaitingSync);
        let state = self.state;
        self.change_state(state, ZabPhase::Synchronization);
        let last_zxid = self.last_logged_zxid();
        self.send_to_leader(ZabPacket::AckEpoch {
            current_epoch,
            last_zxid,
        });
    }

    /// DIFF: the whole log is part of the leader's history, committed through
    /// `committed`. Apply the committed part now (ZooKeeper loads its log when it starts
    /// following), before the missing transactions that follow.
    fn diff(&mut self, committed: Zxid) {
        self.set_learner_stage(LearnerStage::Syncing);
        let unapplied: Vec<LogEntry> = self
            .entries_after(self.applied_zxid())
            .iter()
            .take_while(|e| e.zxid() <= committed)
            .cloned()
            .collect();
        let own_committed = self.last_logged_zxid().min(committed);
        self.learned_committed(own_committed);
        for entry in &unapplied {
            self.apply_entry(entry);
        }
        // Its own proposals beyond that still wait for their COMMITs.
        let pending: Vec<Zxid> = self
            .entries_after(committed)
            .iter()
            .map(LogEntry::zxid)
            .collect();
        if let Some(learning) = self.learning.as_mut() {
            learning.uncommitted.extend(pending);
        }
    }

    /// TRUNC: the log's tail after `zxid` was never committed; drop it and rebuild the tree.
    fn truncate(&mut self, zxid: Zxid) {
        if zxid < self.base.zxid {
            self.learner_give_up(LeftLeader::TruncateBelowSnapshot { zxid });
            return;
        }
        self.set_learner_stage(LearnerStage::Syncing);
        self.trace(TraceKind::Truncated {
            to: zxid,
            dropped: self.entries_after(zxid).len(),
        });
        self.log.retain(|entry| entry.zxid() <= zxid);
        self.durable_zxid = self.durable_zxid.min(zxid);
        self.committed_zxid = self.committed_zxid.min(zxid);
        let (tree, sessions) = self.rebuild_state(zxid);
        self.zk.reset_state(self.now, tree, sessions);
        self.durable(DurableOp::Truncate { after: zxid }, AfterDurable::Nothing);
    }

    /// SNAP: replace the whole state with the leader's.
    fn install(&mut self, image: SnapImage) {
        self.set_learner_stage(LearnerStage::Syncing);
        self.trace(TraceKind::SnapshotInstalled { zxid: image.zxid });
        self.log.clear();
        self.zk
            .reset_state(self.now, image.tree.clone(), image.sessions.clone());
        self.committed_zxid = image.zxid;
        self.durable_zxid = image.zxid;
        self.base = image.clone();
        self.durable(
            DurableOp::Snapshot {
                image: Box::new(image),
                log: LogAfterSnapshot::DiscardAll,
            },
            AfterDurable::Nothing,
        );
    }

    /// The last transaction received from the leader: still waiting for NEWLEADER to be
    /// logged, or in the log.
    fn last_received_zxid(&self) -> Zxid {
        self.learning
            .as_ref()
            .and_then(|l| l.unlogged.last())
            .map_or_else(|| self.last_logged_zxid(), LogEntry::zxid)
    }

    fn proposal(&mut self, entry: LogEntry) {
        let zxid = entry.zxid();
        let last = self.last_received_zxid();
        if zxid <= last {
            self.learner_give_up(LeftLeader::ProposalNotAfter { zxid, last });
            return;
        }
        let Some(learning) = self.learning.as_mut() else {
            return;
        };
        learning.uncommitted.push_back(zxid);
        if learning.stage == LearnerStage::Syncing {
            learning.unlogged.push(entry);
        } else {
            self.append_and_sync(vec![entry]);
        }
    }

    fn commit(&mut self, zxid: Zxid) {
        let Some(learning) = self.learning.as_mut() else {
            return;
        };
        if learning.uncommitted.front() != Some(&zxid) {
            let pending = learning.uncommitted.front().copied();
            self.learner_give_up(LeftLeader::CommitOutOfOrder { zxid, pending });
            return;
        }
        learning.uncommitted.pop_front();
        let zxid_committed = zxid;
        let entry = learning
            .unlogged
            .iter()
            .find(|e| e.zxid() == zxid)
            .or_else(|| self.log.iter().rev().find(|e| e.zxid() == zxid))
            .cloned();
        self.learned_committed(zxid_committed);
        if let Some(entry) = entry {
            self.apply_entry(&entry);
        }
    }

    /// INFORM (observers): a committed transaction to log and apply. While synchronizing it
    /// joins the history that is logged at NEWLEADER.
    fn inform(&mut self, entry: LogEntry) {
        let zxid = entry.zxid();
        let last = self.last_received_zxid();
        if zxid <= last {
            self.learner_give_up(LeftLeader::InformNotAfter { zxid, last });
            return;
        }
        let Some(learning) = self.learning.as_mut() else {
            return;
        };
        if let Some(&pending) = learning.uncommitted.front() {
            // The leader commits in zxid order: a pending proposal must be committed first,
            // or this server would apply a history with a hole in it.
            self.learner_give_up(LeftLeader::InformPastPending { zxid, pending });
            return;
        }
        if learning.stage == LearnerStage::Syncing {
            learning.unlogged.push(entry.clone());
        } else {
            self.append_and_sync(vec![entry.clone()]);
        }
        self.learned_committed(zxid);
        self.apply_entry(&entry);
    }

    /// The leader says everything through `zxid` is committed: known at once in broadcast,
    /// and at UPTODATE for what synchronization brought.
    fn learned_committed(&mut self, zxid: Zxid) {
        match self.learning.as_mut() {
            Some(learning) if learning.stage < LearnerStage::Broadcast => {
                learning.sync_committed = learning.sync_committed.max(zxid);
            }
            _ => self.committed_zxid = self.committed_zxid.max(zxid),
        }
    }

    /// NEWLEADER: log the synchronized history durably, then write currentEpoch, then ACK.
    fn new_leader(&mut self, zxid: Zxid) {
        let Some(learning) = self.learning.as_mut() else {
            return;
        };
        learning.stage = LearnerStage::WritingHistory;
        let unlogged = std::mem::take(&mut learning.unlogged);
        let must_be_durable = unlogged.last().map(LogEntry::zxid).unwrap_or(Zxid::ZERO);
        learning.newleader = Some((zxid, must_be_durable));
        self.append_and_sync(unlogged);
        if must_be_durable == Zxid::ZERO || must_be_durable <= self.durable_zxid {
            self.write_new_epoch();
        }
    }

    fn write_new_epoch(&mut self) {
        let Some(learning) = self.learning.as_mut() else {
            return;
        };
        let Some((newleader, _)) = learning.newleader.take() else {
            return;
        };
        let epoch = learning.new_epoch;
        self.write_current_epoch(epoch, AfterDurable::LearnerEpochCurrent { newleader });
    }

    pub(super) fn learner_epoch_current(&mut self, newleader: Zxid) {
        self.set_learner_stage(LearnerStage::AwaitingUpToDate);
        self.send_to_leader(ZabPacket::Ack { zxid: newleader });
        if let Some(learning) = self.learning.as_mut() {
            learning.acked_through = Some(Zxid::ZERO);
        }
        // Proposals that became durable while currentEpoch was being written.
        self.ack_durable();
    }

    pub(super) fn learner_synced(&mut self, _zxid: Zxid) {
        let waiting = self
            .learning
            .as_ref()
            .and_then(|l| l.newleader)
            .is_some_and(|(_, must)| must <= self.durable_zxid);
        if waiting {
            self.write_new_epoch();
        }
        self.ack_durable();
    }

    /// ACKs every durable proposal not yet ACKed, once NEWLEADER has been.
    fn ack_durable(&mut self) {
        let durable = self.durable_zxid;
        let Some(learning) = self.learning.as_mut() else {
            return;
        };
        let Some(acked) = learning.acked_through else {
            return;
        };
        if learning.observer {
            return;
        }
        let due: Vec<Zxid> = learning
            .uncommitted
            .iter()
            .copied()
            .filter(|&z| z > acked && z <= durable)
            .collect();
        if let Some(&last) = due.last() {
            learning.acked_through = Some(last);
        }
        for zxid in due {
            self.send_to_leader(ZabPacket::Ack { zxid });
        }
    }

    fn up_to_date(&mut self) {
        self.set_learner_stage(LearnerStage::Broadcast);
        let synced = self
            .learning
            .as_ref()
            .map_or(Zxid::ZERO, |l| l.sync_committed);
        self.committed_zxid = self.committed_zxid.max(synced);
        let state = self.state;
        self.change_state(state, ZabPhase::Broadcast);
        self.zk.start_learning();
        self.pump_zk();
    }

    /// A client's write, on its way to the leader.
    pub(super) fn learner_forward(&mut self, request: ForwardedRequest) {
        if self.learner_stage() == Some(LearnerStage::Broadcast) {
            self.send_to_leader(ZabPacket::Request(Box::new(request)));
        }
    }

    /// Every half tick: a learner that has not heard from its leader for too long goes back
    /// to looking.
    pub(super) fn learner_heartbeat(&mut self) {
        let Some(learning) = self.learning.as_ref() else {
            return;
        };
        let limit_ticks = if learning.stage == LearnerStage::Broadcast {
            self.config.sync_limit
        } else {
            self.config.init_limit
        };
        if self.now.millis_since(learning.last_heard) > limit_ticks * self.config.tick_ms {
            self.learner_give_up(LeftLeader::Silent {
                leader: learning.leader,
            });
        } else if learning.stage == LearnerStage::Connecting {
            self.send_learner_info();
        }
    }

    pub(super) fn learner_lost_peer(&mut self, peer: ServerId, link: Option<u64>) {
        let current = self
            .learning
            .as_ref()
            .is_some_and(|l| l.leader == peer && link.is_none_or(|link| link == l.link));
        if current {
            self.learner_give_up(LeftLeader::ConnectionClosed { leader: peer });
        }
    }

    fn learner_give_up(&mut self, reason: LeftLeader) {
        self.trace(TraceKind::LeftLeader { reason });
        self.look_for_leader();
    }
}
