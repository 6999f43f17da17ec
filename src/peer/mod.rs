//! The sans-IO quorum peer: one ZooKeeper server (one `myid`) of an ensemble, driven
//! entirely by its caller.
//!
//! In the style of quinn-proto and str0m: the caller feeds [`Input`]s with the current
//! virtual time to [`QuorumPeer::handle`], then drains [`Output`]s with
//! [`QuorumPeer::poll_output`] until it returns `None`, and must carry them out in that
//! order. The peer never reads a clock, touches a socket or file, or draws entropy other than
//! from the seed it was built with.
//!
//! A peer is LOOKING ([`election`]), then LEADING ([`leader`]), FOLLOWING or OBSERVING
//! ([`learner`]). Its durable state (log, acceptedEpoch, currentEpoch, snapshots) changes only
//! through [`durable::DurableStep`]s the environment completes later, so a crash can fall
//! between any two of them. The client-facing pipeline is a [`ZkServer`] in the role the
//! peer gives it.

pub mod durable;
pub mod election;
mod leader;
mod learner;
pub mod message;
pub mod trace;

use crate::data::tree::DataTree;
use crate::data::types::{SessionId, Zxid};
use crate::time::VirtualTime;
use crate::zkserver::{self, ZkServer, ZkServerConfig};
use durable::{DiskImage, DiskKind, DurableOp, DurableStep, LogAfterSnapshot, LogEntry, SnapImage};
use election::{Election, ElectionEvent, ElectionTiming, Vote};
use leader::Leading;
use learner::Learning;
use message::{Notification, PeerMessage, PeerState, ServerId, ZabPacket};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use trace::{TraceEvent, TraceKind};

/// Static configuration of one server, as zoo.cfg would give it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerConfig {
    pub myid: ServerId,
    /// The voting members (`server.N=...:participant`).
    pub participants: Vec<ServerId>,
    /// The non-voting members (`server.N=...:observer`).
    pub observers: Vec<ServerId>,
    /// `tickTime`, in milliseconds.
    pub tick_ms: u64,
    /// Ticks a learner may take to connect and synchronize (`initLimit`).
    pub init_limit: u64,
    /// Ticks a learner may fall silent once synchronized (`syncLimit`).
    pub sync_limit: u64,
    pub election: ElectionTiming,
    /// The client-facing pipeline's settings (its `server_id` is `myid`).
    pub zk: ZkServerConfig,
}

impl PeerConfig {
    /// A member of an ensemble with ZooKeeper's default limits.
    pub fn new(myid: ServerId, participants: Vec<ServerId>, observers: Vec<ServerId>) -> Self {
        let tick_ms = 2000;
        let mut zk = ZkServerConfig::standalone(tick_ms);
        zk.server_id = myid;
        PeerConfig {
            myid,
            participants,
            observers,
            tick_ms,
            init_limit: 10,
            sync_limit: 5,
            election: ElectionTiming::default(),
            zk,
        }
    }

    pub fn is_observer(&self) -> bool {
        self.observers.contains(&self.myid)
    }

    /// Every other member, participants and observers alike.
    pub fn others(&self) -> impl Iterator<Item = ServerId> + '_ {
        let myid = self.myid;
        self.participants
            .iter()
            .chain(&self.observers)
            .copied()
            .filter(move |&id| id != myid)
    }

    pub fn is_participant(&self, id: ServerId) -> bool {
        self.participants.contains(&id)
    }

    /// Whether `members` (participants among them) make a majority of the participants.
    pub fn is_quorum<'a>(&self, members: impl IntoIterator<Item = &'a ServerId>) -> bool {
        let voting = members
            .into_iter()
            .filter(|id| self.is_participant(**id))
            .count();
        voting > self.participants.len() / 2
    }
}

/// The phases of ZAB a peer goes through (ZooKeeper's `ZabState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ZabPhase {
    Election,
    Discovery,
    Synchronization,
    Broadcast,
}

impl fmt::Display for ZabPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ZabPhase::Election => "election",
            ZabPhase::Discovery => "discovery",
            ZabPhase::Synchronization => "synchronization",
            ZabPhase::Broadcast => "broadcast",
        })
    }
}

/// The timers a peer can ask for. Setting one again replaces its previous deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TimerKind {
    /// Resend the vote: nothing was heard for a while.
    ElectionResend,
    /// The finalize wait after a quorum agreed.
    ElectionFinalize,
    /// Half a tick: a leader pings its learners and counts who answered; a learner checks
    /// that its leader is still talking to it.
    Heartbeat,
    /// The client pipeline's own wake-up (session expiry, containers).
    Sessions,
}

/// What the environment tells the peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// The process has (re)started with what its disk holds. Must be the first input of
    /// every incarnation.
    Boot {
        /// Boxed, as is [`Input::Client`]: inputs and outputs are moved around on every step,
        /// and the messages between servers, by far the most of them, are small.
        disk: Box<DiskImage>,
    },
    Receive {
        from: ServerId,
        message: PeerMessage,
    },
    TimerFired(TimerKind),
    /// A durable step the peer asked for is done.
    DurableDone {
        id: u64,
    },
    /// The connection to another server broke: its process died (`link` None: every
    /// connection with it), or it closed the ZAB connection `link`. A learner whose leader
    /// this was looks for a new one at once, a leader forgets the learner.
    PeerConnectionLost {
        peer: ServerId,
        link: Option<u64>,
    },
    /// Something from a client connection.
    Client(Box<zkserver::Input>),
    /// The configuration gained this observer. Observers never change a quorum, so the
    /// ensemble carries on as it was; the newcomer is now known and answered.
    ObserverAdded(ServerId),
}

/// What the peer asks of the environment, to be carried out in the order polled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    Send {
        to: ServerId,
        message: PeerMessage,
    },
    SetTimer {
        timer: TimerKind,
        at: VirtualTime,
    },
    /// Change the disk, then report [`Input::DurableDone`]. Steps are carried out one at a
    /// time, in the order asked for.
    Durable(DurableStep),
    /// Something for a client connection (never [`zkserver::Output::WakeAt`]: the peer turns
    /// that into its [`TimerKind::Sessions`] timer). Boxed: see [`Input::Boot`].
    Client(Box<zkserver::Output>),
    Trace(TraceEvent),
    /// Close the ZAB connection `link` with `peer`, as a leader that steps down or drops a
    /// learner does (and a learner that leaves): the other end finds out when the close
    /// reaches it, well before any timeout.
    CloseConnection {
        peer: ServerId,
        link: u64,
    },
}

/// What to do when a durable step completes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum AfterDurable {
    Nothing,
    /// An fsync: log entries through this zxid are durable.
    Synced(Zxid),
    /// The leader's acceptedEpoch is written: send LEADERINFO.
    LeaderEpochAccepted,
    /// The leader's currentEpoch is written: synchronize the learners.
    LeaderEpochCurrent,
    /// A learner's acceptedEpoch is written: send ACKEPOCH.
    LearnerEpochAccepted {
        current_epoch: Option<u32>,
    },
    /// A learner's currentEpoch is written: ACK the NEWLEADER.
    LearnerEpochCurrent {
        newleader: Zxid,
    },
}

struct PendingStep {
    id: u64,
    kind: DiskKind,
    /// The peer generation the continuation belongs to: a continuation of a role the peer
    /// has left is dropped.
    generation: u64,
    after: AfterDurable,
}

pub struct QuorumPeer {
    config: PeerConfig,
    rng: ChaCha8Rng,
    now: VirtualTime,
    state: PeerState,
    phase: ZabPhase,
    /// Bumped whenever the peer leaves a role: continuations of the old role are dropped.
    generation: u64,
    accepted_epoch: u32,
    current_epoch: u32,
    /// The state the log starts from: the last snapshot written or loaded.
    base: SnapImage,
    /// Log entries after the base, appended (perhaps not yet durable), in zxid order.
    log: Vec<LogEntry>,
    /// The last zxid fsynced.
    durable_zxid: Zxid,
    /// The last zxid this peer knows to be committed by a quorum.
    committed_zxid: Zxid,
    /// Durable steps asked for and not yet done, in order.
    disk: VecDeque<PendingStep>,
    next_step_id: u64,
    /// Waiting for the disk to finish before voting: a write landing after the vote would
    /// be a transaction the vote did not account for.
    draining: bool,
    election: Election,
    leading: Option<Leading>,
    learning: Option<Learning>,
    zk: ZkServer,
    outputs: VecDeque<Output>,
}

impl QuorumPeer {
    /// A peer that has not booted yet. `seed` is its only source of randomness.
    pub fn new(config: PeerConfig, seed: u64) -> QuorumPeer {
        let voters: BTreeSet<ServerId> = config.participants.iter().copied().collect();
        let election = Election::new(config.myid, voters, config.election);
        let zk = ZkServer::new(config.zk.clone());
        QuorumPeer {
            rng: ChaCha8Rng::seed_from_u64(seed),
            now: VirtualTime::ZERO,
            state: PeerState::Looking,
            phase: ZabPhase::Election,
            generation: 0,
            accepted_epoch: 0,
            current_epoch: 0,
            base: SnapImage {
                zxid: Zxid::ZERO,
                tree: DataTree::new(),
                sessions: Vec::new(),
            },
            log: Vec::new(),
            durable_zxid: Zxid::ZERO,
            committed_zxid: Zxid::ZERO,
            disk: VecDeque::new(),
            next_step_id: 0,
            draining: false,
            election,
            leading: None,
            learning: None,
            zk,
            outputs: VecDeque::new(),
            config,
        }
    }

    // ---- getters ----

    pub fn myid(&self) -> ServerId {
        self.config.myid
    }

    pub fn config(&self) -> &PeerConfig {
        &self.config
    }

    pub fn state(&self) -> PeerState {
        self.state
    }

    pub fn phase(&self) -> ZabPhase {
        self.phase
    }

    pub fn accepted_epoch(&self) -> u32 {
        self.accepted_epoch
    }

    pub fn current_epoch(&self) -> u32 {
        self.current_epoch
    }

    /// The last zxid appended to the log (durable or not).
    pub fn last_logged_zxid(&self) -> Zxid {
        self.log.last().map_or(self.base.zxid, LogEntry::zxid)
    }

    pub fn durable_zxid(&self) -> Zxid {
        self.durable_zxid
    }

    pub fn committed_zxid(&self) -> Zxid {
        self.committed_zxid
    }

    /// The zxid of the last transaction applied to the tree.
    pub fn applied_zxid(&self) -> Zxid {
        self.zk.tree().last_processed_zxid()
    }

    /// The log after the base snapshot.
    pub fn log(&self) -> &[LogEntry] {
        &self.log
    }

    pub fn base(&self) -> &SnapImage {
        &self.base
    }

    pub fn election(&self) -> &Election {
        &self.election
    }

    pub fn tree(&self) -> &DataTree {
        self.zk.tree()
    }

    pub fn server(&self) -> &ZkServer {
        &self.zk
    }

    /// The leader this peer follows or is, once decided.
    pub fn leader(&self) -> Option<ServerId> {
        match self.state {
            PeerState::Leading => Some(self.config.myid),
            PeerState::Following | PeerState::Observing => self.learning.as_ref().map(|l| l.leader),
            PeerState::Looking => None,
        }
    }

    /// The epoch this peer leads, once it has chosen one.
    pub fn leading_epoch(&self) -> Option<u32> {
        self.leading.as_ref().and_then(|l| l.epoch)
    }

    /// Learners of this leader and how far each has come.
    pub fn learners(&self) -> Vec<LearnerView> {
        self.leading
            .as_ref()
            .map(|l| l.learner_views())
            .unwrap_or_default()
    }

    /// Proposals not yet committed, with who has ACKed each.
    pub fn outstanding_proposals(&self) -> Vec<(Zxid, Vec<ServerId>)> {
        self.leading
            .as_ref()
            .map(|l| {
                l.acks
                    .iter()
                    .map(|(zxid, acks)| (*zxid, acks.iter().copied().collect()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Kinds of durable step this peer is waiting for, oldest first.
    pub fn pending_disk(&self) -> Vec<DiskKind> {
        self.disk.iter().map(|step| step.kind).collect()
    }

    // ---- inputs ----

    pub fn handle(&mut self, now: VirtualTime, input: Input) {
        self.now = now;
        match input {
            Input::Boot { disk } => self.boot(*disk),
            Input::Receive { from, message } => self.receive(from, message),
            Input::TimerFired(timer) => self.timer_fired(timer),
            Input::DurableDone { id } => self.durable_done(id),
            Input::PeerConnectionLost { peer, link } => match self.state {
                PeerState::Leading => self.leader_lost_learner(peer, link),
                PeerState::Following | PeerState::Observing => self.learner_lost_peer(peer, link),
                PeerState::Looking => {}
            },
            Input::Client(input) => {
                self.zk.handle(now, *input);
                self.pump_zk();
            }
            Input::ObserverAdded(observer) => self.observer_added(observer),
        }
    }

    fn observer_added(&mut self, observer: ServerId) {
        if self.config.is_participant(observer) || self.config.observers.contains(&observer) {
            return;
        }
        self.config.observers.push(observer);
        self.trace(TraceKind::ObserverAdded { observer });
    }

    /// The next thing the environment must do, in order; `None` when the peer is idle.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    // ---- boot ----

    fn boot(&mut self, disk: DiskImage) {
        let DiskImage {
            snapshot,
            log,
            accepted_epoch,
            current_epoch,
            unsynced: _,
        } = disk;
        self.base = snapshot.unwrap_or(SnapImage {
            zxid: Zxid::ZERO,
            tree: DataTree::new(),
            sessions: Vec::new(),
        });
        self.log = log
            .into_iter()
            .filter(|entry| entry.zxid() > self.base.zxid)
            .collect();
        self.accepted_epoch = accepted_epoch;
        self.current_epoch = current_epoch;
        self.durable_zxid = self.last_logged_zxid();
        // Only what the snapshot holds is known to be committed; the log's tail may not be.
        self.committed_zxid = self.base.zxid;
        // Like ZooKeeper, load everything logged: a tail that was never committed is
        // truncated when this server next synchronizes with a leader.
        let (tree, sessions) = self.rebuild_state(self.last_logged_zxid());
        self.zk = ZkServer::recover(self.config.zk.clone(), tree, sessions, self.now);
        self.zk.stop_serving();
        self.trace(TraceKind::Booted {
            last_zxid: self.last_logged_zxid(),
            accepted_epoch,
            current_epoch,
        });
        let jitter = self.rng.random_range(0..self.heartbeat_ms().max(1));
        self.set_timer(TimerKind::Heartbeat, self.now + jitter);
        self.look_for_leader();
    }

    /// The tree and sessions after replaying the log onto the base, through `upto`.
    fn rebuild_state(&self, upto: Zxid) -> (DataTree, Vec<(SessionId, i32)>) {
        let mut tree = self.base.tree.clone();
        let mut sessions: BTreeMap<SessionId, i32> = self.base.sessions.iter().copied().collect();
        for entry in self.log.iter().take_while(|entry| entry.zxid() <= upto) {
            crate::data::txn::replay(&mut tree, &mut sessions, &entry.header, &entry.txn);
        }
        (tree, sessions.into_iter().collect())
    }

    // ---- messages ----

    fn receive(&mut self, from: ServerId, message: PeerMessage) {
        match message {
            PeerMessage::Notification(n) => self.receive_notification(from, n),
            PeerMessage::Zab { link, packet } => {
                if self.state == PeerState::Leading {
                    self.leader_receive(from, link, packet);
                } else if self.learning.is_some() {
                    self.learner_receive(from, link, packet);
                }
            }
        }
    }

    /// ZooKeeper's `WorkerReceiver` and `lookForLeader` together.
    fn receive_notification(&mut self, from: ServerId, n: Notification) {
        let sender_votes = self.config.is_participant(from);
        let known = sender_votes || self.config.observers.contains(&from);
        if !known || self.draining {
            // Strangers are ignored, as ZooKeeper drops unknown sids; a server still
            // draining its disk has no vote it could stand by yet.
            return;
        }
        let looking = self.state == PeerState::Looking;
        if !sender_votes {
            // An observer looking for its leader: tell it what we believe.
            self.send_vote(from);
            return;
        }
        if looking {
            let mut events = Vec::new();
            self.election.receive(self.now, from, n, &mut events);
            if n.state == PeerState::Looking && n.round < self.election.round() {
                self.send_vote(from);
            }
            self.election_events(events);
        } else if n.state == PeerState::Looking {
            self.send_vote(from);
        }
    }

    fn send_vote(&mut self, to: ServerId) {
        let (mut vote, round) = self.election.current_vote();
        let state = self.state;
        if state != PeerState::Looking && self.phase == ZabPhase::Broadcast {
            // Once the epoch is established, everyone in it reports it: servers that decided
            // in different rounds (with different epochs in their votes) then agree, and a
            // late server can join them.
            vote.peer_epoch = self.current_epoch;
        }
        self.send(
            to,
            PeerMessage::Notification(Notification {
                leader: vote.leader,
                zxid: vote.zxid,
                peer_epoch: vote.peer_epoch,
                round,
                state,
            }),
        );
    }

    // ---- election ----

    /// Leaves whatever role the peer had and starts an election (once the disk is quiet).
    fn look_for_leader(&mut self) {
        self.generation += 1;
        // Whatever connections this role had are closed, so the other ends notice at once.
        let connections: Vec<(ServerId, u64)> = match (&self.leading, &self.learning) {
            (Some(leading), _) => leading.links().collect(),
            (None, Some(learning)) => vec![(learning.leader, learning.link)],
            (None, None) => Vec::new(),
        };
        for (peer, link) in connections {
            self.outputs
                .push_back(Output::CloseConnection { peer, link });
        }
        self.leading = None;
        self.learning = None;
        self.zk.stop_serving();
        self.pump_zk();
        // A learner that gave up during synchronization may have applied transactions its
        // leader sent and it never logged (NEWLEADER did not come): they are not its history,
        // and a later DIFF from its log would build on them. The tree goes back to the log.
        let logged = self.last_logged_zxid();
        if self.zk.tree().last_processed_zxid() > logged {
            let (tree, sessions) = self.rebuild_state(logged);
            self.zk.reset_state(self.now, tree, sessions);
        }
        self.change_state(PeerState::Looking, ZabPhase::Election);
        if self.disk.is_empty() {
            self.start_election();
        } else {
            self.draining = true;
        }
    }

    fn start_election(&mut self) {
        self.draining = false;
        let own = Vote {
            leader: self.config.myid,
            zxid: self.durable_zxid,
            peer_epoch: self.current_epoch,
        };
        let mut events = Vec::new();
        self.election.start(self.now, own, &mut events);
        self.trace(TraceKind::ElectionStarted {
            round: self.election.round(),
            vote: self.election.proposal(),
        });
        self.election_events(events);
    }

    fn election_events(&mut self, events: Vec<ElectionEvent>) {
        for event in events {
            match event {
                ElectionEvent::Broadcast => {
                    let voters: Vec<ServerId> = self
                        .config
                        .participants
                        .iter()
                        .copied()
                        .filter(|&id| id != self.config.myid)
                        .collect();
                    for to in voters {
                        self.send_vote(to);
                    }
                }
                ElectionEvent::VoteChanged { from, to, reason } => {
                    self.trace(TraceKind::VoteChanged { from, to, reason })
                }
                ElectionEvent::Finalizing { until } => {
                    self.trace(TraceKind::Finalizing { until });
                    self.set_timer(TimerKind::ElectionFinalize, until);
                }
                ElectionEvent::ResendAt(at) => self.set_timer(TimerKind::ElectionResend, at),
                ElectionEvent::Decided { vote, round } => {
                    self.trace(TraceKind::ElectionDecided {
                        leader: vote.leader,
                        round,
                    });
                    if vote.leader == self.config.myid {
                        self.start_leading();
                    } else {
                        self.start_learning(vote.leader);
                    }
                }
            }
        }
    }

    // ---- timers ----

    fn heartbeat_ms(&self) -> u64 {
        (self.config.tick_ms / 2).max(1)
    }

    fn timer_fired(&mut self, timer: TimerKind) {
        match timer {
            TimerKind::ElectionResend => {
                if self.state == PeerState::Looking && !self.draining {
                    let mut events = Vec::new();
                    self.election.resend_due(self.now, &mut events);
                    self.election_events(events);
                }
            }
            TimerKind::ElectionFinalize => {
                if self.state == PeerState::Looking && !self.draining {
                    let mut events = Vec::new();
                    self.election.finalize_due(self.now, &mut events);
                    self.election_events(events);
                }
            }
            TimerKind::Heartbeat => {
                self.set_timer(TimerKind::Heartbeat, self.now + self.heartbeat_ms());
                match self.state {
                    PeerState::Leading => self.leader_heartbeat(),
                    PeerState::Following | PeerState::Observing => self.learner_heartbeat(),
                    PeerState::Looking => {}
                }
            }
            TimerKind::Sessions => {
                self.zk.handle(self.now, zkserver::Input::Tick);
                self.pump_zk();
            }
        }
    }

    // ---- the disk ----

    fn durable(&mut self, op: DurableOp, after: AfterDurable) {
        let id = self.next_step_id;
        self.next_step_id += 1;
        self.disk.push_back(PendingStep {
            id,
            kind: op.kind(),
            generation: self.generation,
            after,
        });
        self.outputs
            .push_back(Output::Durable(DurableStep { id, op }));
    }

    /// Appends entries to the log and fsyncs them; `Synced` reports them durable.
    fn append_and_sync(&mut self, entries: Vec<LogEntry>) {
        let Some(last) = entries.last().map(LogEntry::zxid) else {
            return;
        };
        self.log.extend(entries.iter().cloned());
        self.durable(DurableOp::Append(entries), AfterDurable::Nothing);
        self.durable(DurableOp::Fsync, AfterDurable::Synced(last));
    }

    fn durable_done(&mut self, id: u64) {
        let Some(position) = self.disk.iter().position(|step| step.id == id) else {
            return;
        };
        let Some(step) = self.disk.remove(position) else {
            return;
        };
        if let AfterDurable::Synced(zxid) = step.after {
            // Durability is a fact of the disk, whatever role the peer has since taken.
            self.durable_zxid = self.durable_zxid.max(zxid);
            self.trace(TraceKind::Logged { zxid });
        }
        if step.generation == self.generation {
            match step.after {
                AfterDurable::Nothing => {}
                AfterDurable::Synced(zxid) => self.synced(zxid),
                AfterDurable::LeaderEpochAccepted => self.leader_epoch_accepted(),
                AfterDurable::LeaderEpochCurrent => self.leader_epoch_current(),
                AfterDurable::LearnerEpochAccepted { current_epoch } => {
                    self.learner_epoch_accepted(current_epoch)
                }
                AfterDurable::LearnerEpochCurrent { newleader } => {
                    self.learner_epoch_current(newleader)
                }
            }
        }
        if self.draining && self.disk.is_empty() {
            self.start_election();
        }
    }

    fn synced(&mut self, zxid: Zxid) {
        match self.state {
            PeerState::Leading => self.leader_synced(zxid),
            PeerState::Following | PeerState::Observing => self.learner_synced(zxid),
            _ => {}
        }
    }

    fn write_accepted_epoch(&mut self, epoch: u32, after: AfterDurable) {
        self.accepted_epoch = epoch;
        self.trace(TraceKind::AcceptedEpoch { epoch });
        self.durable(DurableOp::AcceptedEpoch(epoch), after);
    }

    fn write_current_epoch(&mut self, epoch: u32, after: AfterDurable) {
        self.current_epoch = epoch;
        self.trace(TraceKind::CurrentEpoch { epoch });
        self.durable(DurableOp::CurrentEpoch(epoch), after);
    }

    /// Takes a periodic snapshot once `snapCount` transactions have been applied.
    fn maybe_snapshot(&mut self) {
        if !self.zk.snapshot_due() {
            return;
        }
        self.zk.snapshot_taken();
        let image = SnapImage {
            zxid: self.zk.tree().last_processed_zxid(),
            tree: self.zk.tree().clone(),
            sessions: self.zk.session_table(),
        };
        self.log.retain(|entry| entry.zxid() > image.zxid);
        self.trace(TraceKind::SnapshotTaken { zxid: image.zxid });
        self.base = image.clone();
        self.durable(
            DurableOp::Snapshot {
                image: Box::new(image),
                log: LogAfterSnapshot::KeepNewer,
            },
            AfterDurable::Nothing,
        );
    }

    // ---- the client pipeline ----

    /// Applies a committed entry from the log to the tree.
    fn apply_entry(&mut self, entry: &LogEntry) {
        if entry.zxid() <= self.zk.tree().last_processed_zxid() {
            return;
        }
        self.zk.handle(
            self.now,
            zkserver::Input::Apply {
                header: entry.header.clone(),
                txn: entry.txn.clone(),
            },
        );
        self.pump_zk();
    }

    /// Carries out what the client pipeline asked for.
    fn pump_zk(&mut self) {
        while let Some(output) = self.zk.poll_output() {
            match output {
                zkserver::Output::WakeAt(at) => self.set_timer(TimerKind::Sessions, at),
                zkserver::Output::Propose { header, txn } => {
                    self.leader_propose(LogEntry { header, txn })
                }
                zkserver::Output::Forward(request) => self.learner_forward(request),
                // A peer's pipeline is never standalone, so it never asks to persist itself.
                zkserver::Output::Persist { .. } => {}
                other => self.outputs.push_back(Output::Client(Box::new(other))),
            }
        }
        self.maybe_snapshot();
    }

    // ---- small helpers ----

    fn change_state(&mut self, state: PeerState, phase: ZabPhase) {
        if state != self.state || phase != self.phase {
            self.trace(TraceKind::StateChanged {
                state,
                phase,
                epoch: self.current_epoch,
            });
        }
        self.state = state;
        self.phase = phase;
    }

    fn send(&mut self, to: ServerId, message: PeerMessage) {
        self.outputs.push_back(Output::Send { to, message });
    }

    fn send_zab(&mut self, to: ServerId, link: u64, packet: ZabPacket) {
        self.send(to, PeerMessage::Zab { link, packet });
    }

    fn set_timer(&mut self, timer: TimerKind, at: VirtualTime) {
        self.outputs.push_back(Output::SetTimer { timer, at });
    }

    fn trace(&mut self, kind: TraceKind) {
        let event = TraceEvent {
            at: self.now,
            server: self.config.myid,
            kind,
        };
        self.outputs.push_back(Output::Trace(event));
    }

    /// The log entries after `zxid`.
    fn entries_after(&self, zxid: Zxid) -> &[LogEntry] {
        let start = self.log.partition_point(|entry| entry.zxid() <= zxid);
        &self.log[start..]
    }
}

/// How far a learner has come with its leader, for displays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LearnerView {
    pub id: ServerId,
    pub observer: bool,
    pub stage: &'static str,
    pub last_zxid: Zxid,
}
