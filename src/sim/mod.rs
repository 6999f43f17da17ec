//! The deterministic simulator: an ensemble of [`QuorumPeer`]s on a simulated message bus,
//! with virtual time, one seeded random number generator, simulated disks and faults.
//!
//! Everything that happens is an entry in one agenda ordered by (virtual time, insertion
//! sequence), so a run is a pure function of its [`SimConfig`] and the [`Command`]s given to
//! it: the same seed yields the same trace natively and in WebAssembly, which
//! [`Simulation::trace_hash`] lets anyone check, and any earlier moment can be reached again
//! by replaying the commands ([`Simulation::replay`]).
//!
//! Faults: crash and restart (a crash loses what the disk had not made durable), pause (a
//! long garbage-collection pause: nothing reaches the server until it resumes), cut links
//! (one way or both), message rules (hold, drop, duplicate, delay), held and slow disk steps.
//! After every event the [`checker`] asserts ZAB's invariants.

mod agenda;
mod by_server;
pub mod checker;
pub mod clients;
pub mod history;
pub mod link;
pub mod load;
pub mod network;
#[cfg(test)]
mod safety_tests;
pub mod swarm;
#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;
mod trace_hash;

use crate::peer::durable::{DiskImage, DiskKind, DiskStep, DurableStep};
use crate::peer::message::{PeerMessage, PeerState, ServerId};
use crate::peer::trace::{LossCause, TraceEvent, TraceKind};
use crate::peer::{Input, Output, PeerConfig, QuorumPeer, TimerKind, ZabPhase};
use crate::time::VirtualTime;
use checker::{Checker, Violation};
use network::{Fate, MessageFilter, Network, Rule, RuleKind};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

/// Everything that determines a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimConfig {
    /// Participants, with myids 1..=servers.
    pub servers: u64,
    /// Observers, with the myids after the participants'.
    pub observers: u64,
    pub seed: u64,
    pub tick_ms: u64,
    pub init_limit: u64,
    pub sync_limit: u64,
    /// One-way network latency is drawn uniformly from this inclusive range for each message.
    pub latency_min_ms: u64,
    pub latency_max_ms: u64,
    /// How long one durable step takes, drawn uniformly from this inclusive range.
    pub disk_min_ms: u64,
    pub disk_max_ms: u64,
    /// Transactions between snapshots.
    pub snap_count: u64,
    /// Start no server at time 0 (a script starts them one by one).
    pub start_stopped: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            servers: 3,
            observers: 0,
            seed: 1,
            tick_ms: 2000,
            init_limit: 10,
            sync_limit: 5,
            latency_min_ms: 5,
            latency_max_ms: 50,
            disk_min_ms: 1,
            disk_max_ms: 10,
            snap_count: 100_000,
            start_stopped: false,
        }
    }
}

/// Why a configuration was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimConfigError {
    NoServers,
    TooManyServers { servers: u64, max: u64 },
    ZeroTick,
    LatencyRangeReversed { min_ms: u64, max_ms: u64 },
    DiskRangeReversed { min_ms: u64, max_ms: u64 },
    ZeroLimit,
}

impl std::fmt::Display for SimConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SimConfigError::NoServers => write!(f, "an ensemble needs at least one participant"),
            SimConfigError::TooManyServers { servers, max } => {
                write!(
                    f,
                    "{servers} servers requested; at most {max} can be simulated"
                )
            }
            SimConfigError::ZeroTick => write!(f, "tick time must be at least 1 ms"),
            SimConfigError::LatencyRangeReversed { min_ms, max_ms } => {
                write!(f, "latency minimum {min_ms} ms exceeds maximum {max_ms} ms")
            }
            SimConfigError::DiskRangeReversed { min_ms, max_ms } => {
                write!(f, "disk minimum {min_ms} ms exceeds maximum {max_ms} ms")
            }
            SimConfigError::ZeroLimit => write!(f, "initLimit and syncLimit must be at least 1"),
        }
    }
}

impl std::error::Error for SimConfigError {}

/// The largest ensemble the simulator accepts, observers included: ZooKeeper deployments
/// rarely exceed 7 voters, and a picture with more than this many servers teaches nothing more.
pub const MAX_SERVERS: u64 = 15;

impl SimConfig {
    pub fn validate(&self) -> Result<(), SimConfigError> {
        if self.servers == 0 {
            return Err(SimConfigError::NoServers);
        }
        let total = self.servers.saturating_add(self.observers);
        if total > MAX_SERVERS {
            return Err(SimConfigError::TooManyServers {
                servers: total,
                max: MAX_SERVERS,
            });
        }
        if self.tick_ms == 0 {
            return Err(SimConfigError::ZeroTick);
        }
        if self.init_limit == 0 || self.sync_limit == 0 {
            return Err(SimConfigError::ZeroLimit);
        }
        if self.latency_min_ms > self.latency_max_ms {
            return Err(SimConfigError::LatencyRangeReversed {
                min_ms: self.latency_min_ms,
                max_ms: self.latency_max_ms,
            });
        }
        if self.disk_min_ms > self.disk_max_ms {
            return Err(SimConfigError::DiskRangeReversed {
                min_ms: self.disk_min_ms,
                max_ms: self.disk_max_ms,
            });
        }
        Ok(())
    }

    pub fn participants(&self) -> Vec<ServerId> {
        (1..=self.servers).collect()
    }

    pub fn observer_ids(&self) -> Vec<ServerId> {
        (self.servers + 1..=self.servers + self.observers).collect()
    }

    fn peer_config(&self, myid: ServerId) -> PeerConfig {
        let mut config = PeerConfig::new(myid, self.participants(), self.observer_ids());
        config.tick_ms = self.tick_ms;
        config.init_limit = self.init_limit;
        config.sync_limit = self.sync_limit;
        config.zk.tick_ms = self.tick_ms;
        config.zk.timeouts =
            crate::zkserver::session::TimeoutBounds::from_tick(self.tick_ms as i32);
        config.zk.snap_count = self.snap_count;
        config
    }
}

/// Something a person (or a scenario) does to the run. Recorded, so that a run can be
/// replayed up to any earlier moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Start(ServerId),
    Crash(ServerId),
    Restart(ServerId),
    Pause(ServerId),
    Resume(ServerId),
    /// Cut the link from one server to another (both ways if asked).
    Cut {
        from: ServerId,
        to: ServerId,
        both_ways: bool,
    },
    Heal {
        from: ServerId,
        to: ServerId,
        both_ways: bool,
    },
    /// Separate the servers into groups that cannot talk to each other.
    Partition(Vec<Vec<ServerId>>),
    HealAll,
    AddRule(Rule),
    RemoveRule(Rule),
    /// Deliver the held messages that match (and end the matching hold rules).
    Release(MessageFilter),
    /// Throw the held messages that match away (and end the matching hold rules).
    DiscardHeld(MessageFilter),
    /// The server's clock runs this far ahead (or behind) of true time. ZooKeeper measures
    /// every timeout relative to its own clock, so only its timestamps change.
    Skew {
        server: ServerId,
        ms: i64,
    },
    HoldDisk {
        server: ServerId,
        kind: DiskKind,
    },
    ReleaseDisk {
        server: ServerId,
        kind: DiskKind,
    },
    /// Every durable step on this server takes this long (None: back to normal).
    SlowDisk {
        server: ServerId,
        ms: Option<u64>,
    },
    /// Carry out this pending event next (manual mode), by its place in the agenda.
    TakeEvent(EventKey),
    /// Drop this message in flight (manual mode).
    DropInFlight(EventKey),
    /// Hold this message in flight back by `ms` (manual mode). A ZAB packet keeps its place
    /// in its TCP stream: what follows it on the link waits too.
    DelayInFlight {
        key: EventKey,
        ms: u64,
    },
    /// A new client with a new session, connecting to `server`.
    AddClient {
        name: String,
        server: ServerId,
        timeout_ms: i32,
    },
    ClientRequest {
        client: String,
        xid: i32,
        request: crate::proto::records::Request,
    },
    /// The client moves its session to another server.
    MoveClient {
        client: String,
        server: ServerId,
    },
    /// The client goes away without closing its session (it expires later).
    DisconnectClient(String),
    /// A new observer joins with the next myid, as `reconfig -add` would add it: every
    /// running server learns of it at once, and it boots with an empty disk.
    AddObserver,
}

/// A command as given: after how many steps, at what virtual time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedCommand {
    pub after_steps: u64,
    pub at: VirtualTime,
    pub command: Command,
}

/// An agenda entry's identity: when it is due, and its insertion number.
pub type EventKey = (VirtualTime, u64);

/// Something scheduled to happen at a virtual time.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Event {
    Boot {
        server: ServerId,
        incarnation: u32,
    },
    Deliver {
        from: ServerId,
        to: ServerId,
        message: PeerMessage,
        /// When it was put on the wire: its send, or its release from a hold or a stall.
        sent_at: VirtualTime,
    },
    Timer {
        server: ServerId,
        incarnation: u32,
        timer: TimerKind,
        /// The deadline it was set for: a timer re-armed since (to another deadline) is stale.
        deadline: VirtualTime,
    },
    DiskDone {
        server: ServerId,
        incarnation: u32,
        step: u64,
    },
    /// `server` learns that its connection to `peer` broke: ZAB connection `link`, or
    /// every connection (None) when `peer`'s process died.
    ConnectionLost {
        server: ServerId,
        incarnation: u32,
        peer: ServerId,
        link: Option<u64>,
    },
    /// Something from a client connection reaches a server.
    ToServer {
        server: ServerId,
        /// Boxed: client traffic is large and rare next to the peers' own messages.
        input: Box<crate::zkserver::Input>,
    },
    /// A server's answer reaches a client.
    ToClient {
        output: Box<crate::zkserver::Output>,
    },
    ClientTick {
        client: String,
        attempt: u64,
    },
    ClientReconnect {
        client: String,
        attempt: u64,
    },
}

impl Event {
    fn server(&self) -> ServerId {
        match self {
            Event::Boot { server, .. }
            | Event::Timer { server, .. }
            | Event::DiskDone { server, .. }
            | Event::ConnectionLost { server, .. }
            | Event::ToServer { server, .. } => *server,
            Event::Deliver { to, .. } => *to,
            // Clients live outside the ensemble: server 0.
            Event::ToClient { .. } | Event::ClientTick { .. } | Event::ClientReconnect { .. } => 0,
        }
    }
}

/// One thing that can happen next, for the manual mode's list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingEvent {
    pub key: EventKey,
    pub server: ServerId,
    /// "deliver", "timer", "disk", "boot", "connection" or "client".
    pub kind: &'static str,
    pub what: Pending,
    /// A message in flight can also be dropped.
    pub droppable: bool,
}

/// What a pending event will do (its `Display` is the English the `sim` command prints).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pending {
    Boot {
        server: ServerId,
    },
    /// `message` as the timeline names it, with its main fields (`PROPOSAL 1:3`).
    Deliver {
        message: String,
        from: ServerId,
        to: ServerId,
    },
    Timer {
        server: ServerId,
        timer: TimerKind,
    },
    /// None: the step is no longer queued (its server crashed).
    Disk {
        server: ServerId,
        step: Option<DiskStep>,
    },
    ConnectionClosed {
        server: ServerId,
        peer: ServerId,
    },
    /// A client's connection reaches a server.
    ClientConnects {
        server: ServerId,
    },
    /// A client's request (`create /a`) reaches a server.
    ClientRequest {
        server: ServerId,
        request: String,
    },
    /// A client's connection to a server closes.
    ClientDisconnects {
        server: ServerId,
    },
    ToClient,
    ClientTick {
        client: String,
    },
    ClientReconnect {
        client: String,
    },
}

impl fmt::Display for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pending::Boot { server } => write!(f, "server {server} boots"),
            Pending::Deliver { message, from, to } => {
                write!(f, "deliver {message} from {from} to {to}")
            }
            Pending::Timer { server, timer } => write!(f, "server {server}: {timer:?} timer"),
            Pending::Disk { server, step } => match step {
                Some(step) => write!(f, "server {server}: disk completes {step}"),
                None => write!(f, "server {server}: disk completes a step"),
            },
            Pending::ConnectionClosed { server, peer } => {
                write!(f, "server {server} sees its connection to {peer} close")
            }
            Pending::ClientConnects { server } => write!(f, "a client connects to server {server}"),
            Pending::ClientRequest { server, request } => {
                write!(f, "client message reaches server {server}: {request}")
            }
            Pending::ClientDisconnects { server } => {
                write!(f, "a client's connection to server {server} closes")
            }
            Pending::ToClient => f.write_str("a server answers a client"),
            Pending::ClientTick { client } => write!(f, "client {client} pings or notices silence"),
            Pending::ClientReconnect { client } => write!(f, "client {client} reconnects"),
        }
    }
}

/// A message between servers in the agenda, for displays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery<'a> {
    /// Its place in the agenda; `key.0` is when it arrives.
    pub key: EventKey,
    pub from: ServerId,
    pub to: ServerId,
    pub message: &'a PeerMessage,
    /// When it was put on the wire: its send, or its release from a hold or a stall.
    pub sent_at: VirtualTime,
}

/// One server's place in the simulation.
impl Slot {
    /// A server that has never run: nothing on its disk.
    fn empty() -> Slot {
        Slot {
            node: None,
            incarnation: 0,
            boots: 0,
            timers: BTreeMap::new(),
            disk: DiskImage::default(),
            disk_queue: VecDeque::new(),
            disk_busy: false,
            held_disk: BTreeSet::new(),
            slow_disk_ms: None,
            paused: false,
            deferred: Vec::new(),
            skew_ms: 0,
        }
    }
}

struct Slot {
    node: Option<QuorumPeer>,
    /// Bumped on every crash, so timers and disk completions of an earlier incarnation never
    /// reach a later one.
    incarnation: u32,
    boots: u32,
    timers: BTreeMap<TimerKind, VirtualTime>,
    disk: DiskImage,
    /// Steps asked for and not done, in order; the first is in progress unless held.
    disk_queue: VecDeque<DurableStep>,
    disk_busy: bool,
    held_disk: BTreeSet<DiskKind>,
    slow_disk_ms: Option<u64>,
    paused: bool,
    /// Events that reached the server while it was paused, delivered when it resumes.
    deferred: Vec<Event>,
    /// How far its clock is from true time.
    skew_ms: i64,
}

/// A read-only picture of one server for displays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerStatus {
    pub id: ServerId,
    pub observer: bool,
    pub up: bool,
    /// Down, but its (re)start is already scheduled.
    pub booting: bool,
    pub paused: bool,
    pub state: Option<PeerState>,
    pub phase: Option<ZabPhase>,
    pub leader: Option<ServerId>,
    pub accepted_epoch: u32,
    pub current_epoch: u32,
    pub last_logged: crate::data::types::Zxid,
    pub committed: crate::data::types::Zxid,
    pub election_round: u64,
    pub vote: Option<crate::peer::election::Vote>,
    pub boots: u32,
    pub pending_disk: Vec<DiskKind>,
}

impl std::fmt::Display for ServerStatus {
    /// One line a person can read: `server 3: LEADING (broadcast), epoch 1 (accepted 1), last 1:2, committed 1:2`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "server {}", self.id)?;
        if self.observer {
            write!(f, " (observer)")?;
        }
        match (self.state, self.phase) {
            (Some(state), Some(phase)) => {
                write!(f, ": {state} ({phase})")?;
                if self.paused {
                    write!(f, ", paused")?;
                }
                write!(
                    f,
                    ", epoch {} (accepted {}), last {}, committed {}",
                    self.current_epoch, self.accepted_epoch, self.last_logged, self.committed
                )
            }
            _ if self.booting => write!(f, ": booting"),
            _ => write!(
                f,
                ": down (disk: epoch {}, last {})",
                self.current_epoch, self.last_logged
            ),
        }
    }
}

pub struct Simulation {
    config: SimConfig,
    now: VirtualTime,
    rng: ChaCha8Rng,
    slots: by_server::ByServer<Slot>,
    agenda: agenda::Agenda<Event>,
    network: Network,
    checker: Checker,
    clients: BTreeMap<String, clients::SimClient>,
    /// Client connection -> (client name, server).
    conns: BTreeMap<crate::zkserver::ConnId, (String, ServerId)>,
    next_conn: crate::zkserver::ConnId,
    /// The latest arrival scheduled on each client connection, each way (true: to the server).
    connection_clocks: BTreeMap<(crate::zkserver::ConnId, bool), VirtualTime>,
    /// Observers added while running ([`Command::AddObserver`]), after the configured ones.
    observers_added: u64,
    trace: Vec<TraceEvent>,
    trace_hasher: trace_hash::TraceHasher,
    /// Reused for the outputs of each input fed to a server.
    output_buffer: Vec<Output>,
    messages_delivered: u64,
    steps_taken: u64,
    /// Bumped by every client event and every command: see [`Simulation::clients_version`].
    clients_version: u64,
    /// Commands given so far, with the number of steps taken before each and the time.
    commands: Vec<RecordedCommand>,
}

impl Simulation {
    pub fn new(config: SimConfig) -> Result<Self, SimConfigError> {
        config.validate()?;
        let mut sim = Simulation {
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            now: VirtualTime::ZERO,
            slots: by_server::ByServer::new(config.servers + config.observers, |_| Slot::empty()),
            agenda: agenda::Agenda::default(),
            network: Network::default(),
            clients: BTreeMap::new(),
            conns: BTreeMap::new(),
            next_conn: 1,
            connection_clocks: BTreeMap::new(),
            checker: Checker::default(),
            observers_added: 0,
            trace: Vec::new(),
            trace_hasher: trace_hash::TraceHasher::default(),
            output_buffer: Vec::new(),
            messages_delivered: 0,
            steps_taken: 0,
            clients_version: 0,
            commands: Vec::new(),
            config,
        };
        let ids: Vec<ServerId> = sim
            .config
            .participants()
            .into_iter()
            .chain(sim.config.observer_ids())
            .collect();
        for id in ids {
            if !sim.config.start_stopped {
                sim.schedule(
                    VirtualTime::ZERO,
                    Event::Boot {
                        server: id,
                        incarnation: 0,
                    },
                );
            }
        }
        Ok(sim)
    }

    /// The same run as one that was given `commands`, taken up to `steps` steps.
    pub fn replay(
        config: SimConfig,
        commands: &[RecordedCommand],
        steps: u64,
    ) -> Result<Self, SimConfigError> {
        let mut sim = Simulation::new(config)?;
        let mut pending = commands.iter().peekable();
        loop {
            while let Some(recorded) = pending.next_if(|c| c.after_steps == sim.steps_taken) {
                sim.now = sim.now.max(recorded.at);
                sim.command(recorded.command.clone());
            }
            if sim.steps_taken >= steps || !sim.step() {
                break;
            }
        }
        Ok(sim)
    }

    // ---- getters ----

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    pub fn now(&self) -> VirtualTime {
        self.now
    }

    pub fn trace(&self) -> &[TraceEvent] {
        &self.trace
    }

    /// A fingerprint of the whole trace so far (FNV-1a over each event's postcard encoding):
    /// equal hashes mean the runs were identical, on any platform.
    pub fn trace_hash(&self) -> u64 {
        self.trace_hasher.finish()
    }

    pub fn messages_delivered(&self) -> u64 {
        self.messages_delivered
    }

    pub fn steps_taken(&self) -> u64 {
        self.steps_taken
    }

    /// A number that changes whenever a client's state, calls or outcomes may have changed
    /// (a client event ran, or a command was given). A driver that reacts to its clients,
    /// like the load of [`load::write_load`], need not look at them while it stays the same.
    pub fn clients_version(&self) -> u64 {
        self.clients_version
    }

    pub fn commands(&self) -> &[RecordedCommand] {
        &self.commands
    }

    pub fn network(&self) -> &Network {
        &self.network
    }

    pub fn violations(&self) -> &[Violation] {
        self.checker.violations()
    }

    pub fn checker(&self) -> &Checker {
        &self.checker
    }

    /// The running peer with this id, if it is up.
    pub fn peer(&self, id: ServerId) -> Option<&QuorumPeer> {
        self.slots.get(&id).and_then(|slot| slot.node.as_ref())
    }

    pub fn peers(&self) -> impl Iterator<Item = &QuorumPeer> {
        self.slots.values().filter_map(|slot| slot.node.as_ref())
    }

    /// Whether the server is up but paused.
    pub fn is_paused(&self, id: ServerId) -> bool {
        self.slots.get(&id).is_some_and(|slot| slot.paused)
    }

    pub fn disk(&self, id: ServerId) -> Option<&DiskImage> {
        self.slots.get(&id).map(|slot| &slot.disk)
    }

    pub fn server_ids(&self) -> Vec<ServerId> {
        self.slots.keys().collect()
    }

    /// When the next scheduled event happens, if anything is scheduled.
    pub fn next_event_at(&self) -> Option<VirtualTime> {
        self.agenda.next_time()
    }

    /// The established leader: LEADING in broadcast, if any server is.
    pub fn established_leader(&self) -> Option<ServerId> {
        self.peers()
            .filter(|p| p.state() == PeerState::Leading && p.phase() == ZabPhase::Broadcast)
            .map(|p| p.myid())
            .max_by_key(|&id| self.peer(id).map(|p| p.current_epoch()))
    }

    /// The observers' myids: the configured ones, then those added while running.
    pub fn observer_ids(&self) -> Vec<ServerId> {
        self.membership().observer_ids()
    }

    /// The configuration as it is now: the one the run started with, plus added observers.
    fn membership(&self) -> SimConfig {
        SimConfig {
            observers: self.config.observers + self.observers_added,
            ..self.config.clone()
        }
    }

    pub fn servers(&self) -> Vec<ServerStatus> {
        let observers = self.observer_ids();
        self.slots
            .iter()
            .map(|(id, slot)| {
                let observer = observers.contains(&id);
                match &slot.node {
                    Some(node) => ServerStatus {
                        id,
                        observer,
                        up: true,
                        booting: false,
                        paused: slot.paused,
                        state: Some(node.state()),
                        phase: Some(node.phase()),
                        leader: node.leader(),
                        accepted_epoch: node.accepted_epoch(),
                        current_epoch: node.current_epoch(),
                        last_logged: node.last_logged_zxid(),
                        committed: node.committed_zxid(),
                        election_round: node.election().round(),
                        vote: Some(node.election().current_vote().0),
                        boots: slot.boots,
                        pending_disk: node.pending_disk(),
                    },
                    None => ServerStatus {
                        id,
                        observer,
                        up: false,
                        booting: self.boot_pending(id),
                        paused: false,
                        state: None,
                        phase: None,
                        leader: None,
                        accepted_epoch: slot.disk.accepted_epoch,
                        current_epoch: slot.disk.current_epoch,
                        last_logged: slot.disk.last_logged_zxid(),
                        committed: crate::data::types::Zxid::ZERO,
                        election_round: 0,
                        vote: None,
                        boots: slot.boots,
                        pending_disk: Vec::new(),
                    },
                }
            })
            .collect()
    }

    /// The messages between servers scheduled for delivery, in agenda order (the order they
    /// will arrive; the agenda's keys are copied and sorted for it). Messages parked by a hold rule or stalled on a cut link are not in the
    /// agenda: see [`Network::held`] and [`Network::stalled`].
    pub fn deliveries(&self) -> impl Iterator<Item = Delivery<'_>> + '_ {
        self.agenda
            .in_order(usize::MAX)
            .filter_map(|(key, event)| match event {
                Event::Deliver {
                    from,
                    to,
                    message,
                    sent_at,
                } => Some(Delivery {
                    key,
                    from: *from,
                    to: *to,
                    message,
                    sent_at: *sent_at,
                }),
                _ => None,
            })
    }

    /// Whether any message between servers is scheduled for delivery (cheaper than asking
    /// [`Simulation::deliveries`], which sorts them).
    pub fn any_deliveries(&self) -> bool {
        self.agenda
            .events()
            .any(|event| matches!(event, Event::Deliver { .. }))
    }

    /// Everything that could happen next, in the order it would.
    pub fn pending_events(&self) -> Vec<PendingEvent> {
        self.pending_events_head(usize::MAX)
    }

    /// How many events are scheduled.
    pub fn pending_count(&self) -> usize {
        self.agenda.len()
    }

    /// The first `limit` of [`Simulation::pending_events`] (cheaper than all of them with a
    /// long agenda: only the first `limit` are sorted and described).
    pub fn pending_events_head(&self, limit: usize) -> Vec<PendingEvent> {
        self.agenda
            .in_order(limit)
            .map(|(key, event)| {
                let (kind, what, droppable) = match event {
                    Event::Boot { server, .. } => {
                        ("boot", Pending::Boot { server: *server }, false)
                    }
                    Event::Deliver {
                        from, to, message, ..
                    } => (
                        "deliver",
                        Pending::Deliver {
                            message: message.to_string(),
                            from: *from,
                            to: *to,
                        },
                        true,
                    ),
                    Event::Timer { server, timer, .. } => (
                        "timer",
                        Pending::Timer {
                            server: *server,
                            timer: *timer,
                        },
                        false,
                    ),
                    Event::DiskDone { server, step, .. } => {
                        let step = self
                            .slots
                            .get(server)
                            .and_then(|s| s.disk_queue.iter().find(|d| d.id == *step))
                            .map(|d| d.op.step());
                        (
                            "disk",
                            Pending::Disk {
                                server: *server,
                                step,
                            },
                            false,
                        )
                    }
                    Event::ConnectionLost { server, peer, .. } => (
                        "connection",
                        Pending::ConnectionClosed {
                            server: *server,
                            peer: *peer,
                        },
                        false,
                    ),
                    Event::ToServer { server, input } => {
                        let server = *server;
                        let what = match &**input {
                            crate::zkserver::Input::Connect { .. } => {
                                Pending::ClientConnects { server }
                            }
                            crate::zkserver::Input::Request { request, .. } => {
                                Pending::ClientRequest {
                                    server,
                                    request: clients::describe_request(request),
                                }
                            }
                            _ => Pending::ClientDisconnects { server },
                        };
                        ("client", what, false)
                    }
                    Event::ToClient { .. } => ("client", Pending::ToClient, false),
                    Event::ClientTick { client, .. } => (
                        "client",
                        Pending::ClientTick {
                            client: client.clone(),
                        },
                        false,
                    ),
                    Event::ClientReconnect { client, .. } => (
                        "client",
                        Pending::ClientReconnect {
                            client: client.clone(),
                        },
                        false,
                    ),
                };
                PendingEvent {
                    key,
                    server: event.server(),
                    kind,
                    what,
                    droppable,
                }
            })
            .collect()
    }

    // ---- driving the run ----

    /// Carries out the next scheduled event. Returns false when nothing is left to do.
    pub fn step(&mut self) -> bool {
        let Some((key, event)) = self.agenda.pop() else {
            return false;
        };
        self.run_event(key.0, event);
        true
    }

    /// Carries out every event scheduled up to and including `deadline`, then sets the clock to it.
    pub fn run_until(&mut self, deadline: VirtualTime) {
        while self.next_event_at().is_some_and(|at| at <= deadline) {
            self.step();
        }
        self.now = self.now.max(deadline);
    }

    /// Moves the clock forward to `at` without carrying anything out (the caller has already
    /// run every event due before it): the moment a recorded command was given.
    pub fn wait_until(&mut self, at: VirtualTime) {
        self.now = self.now.max(at);
    }

    /// Runs until `condition` holds or `deadline` passes; returns whether it held.
    pub fn run_until_condition(
        &mut self,
        deadline: VirtualTime,
        mut condition: impl FnMut(&Simulation) -> bool,
    ) -> bool {
        loop {
            if condition(self) {
                return true;
            }
            match self.next_event_at() {
                Some(at) if at <= deadline => {
                    self.step();
                }
                _ => {
                    self.now = self.now.max(deadline);
                    return condition(self);
                }
            }
        }
    }

    /// Applies a command now and records it.
    pub fn command(&mut self, command: Command) {
        self.clients_version += 1;
        self.commands.push(RecordedCommand {
            after_steps: self.steps_taken,
            at: self.now,
            command: command.clone(),
        });
        match command {
            Command::Start(server) | Command::Restart(server) => {
                self.restart(server);
            }
            Command::Crash(server) => {
                self.crash(server);
            }
            Command::Pause(server) => self.pause(server),
            Command::Resume(server) => self.resume(server),
            Command::Cut {
                from,
                to,
                both_ways,
            } => {
                self.network.cut(from, to);
                if both_ways {
                    self.network.cut(to, from);
                }
            }
            Command::Heal {
                from,
                to,
                both_ways,
            } => {
                self.network.heal(from, to);
                if both_ways {
                    self.network.heal(to, from);
                }
                self.deliver_unstalled();
            }
            Command::Partition(groups) => {
                for (i, group) in groups.iter().enumerate() {
                    for other in groups.iter().skip(i + 1) {
                        for &a in group {
                            for &b in other {
                                self.network.cut(a, b);
                                self.network.cut(b, a);
                            }
                        }
                    }
                }
            }
            Command::HealAll => {
                self.network.heal_all();
                self.deliver_unstalled();
            }
            Command::AddRule(rule) => self.network.add_rule(rule),
            Command::RemoveRule(rule) => self.network.remove_rules(rule.kind, &rule.filter),
            Command::Release(filter) => {
                self.network.remove_rules(RuleKind::Hold, &filter);
                for held in self.network.take_held(&filter) {
                    let at = self.network.release_time(held.from, held.to, self.now);
                    self.schedule(
                        at,
                        Event::Deliver {
                            from: held.from,
                            to: held.to,
                            message: held.message,
                            sent_at: self.now,
                        },
                    );
                }
            }
            Command::DiscardHeld(filter) => {
                self.network.remove_rules(RuleKind::Hold, &filter);
                for held in self.network.take_held(&filter) {
                    self.lost(
                        held.from,
                        held.to,
                        &held.message,
                        LossCause::HeldThenDiscarded,
                    );
                }
            }
            Command::Skew { server, ms } => {
                if let Some(slot) = self.slots.get_mut(&server) {
                    slot.skew_ms = ms;
                }
            }
            Command::HoldDisk { server, kind } => {
                if let Some(slot) = self.slots.get_mut(&server) {
                    slot.held_disk.insert(kind);
                }
            }
            Command::ReleaseDisk { server, kind } => {
                if let Some(slot) = self.slots.get_mut(&server) {
                    slot.held_disk.remove(&kind);
                }
                self.start_disk(server);
            }
            Command::SlowDisk { server, ms } => {
                if let Some(slot) = self.slots.get_mut(&server) {
                    slot.slow_disk_ms = ms;
                }
            }
            Command::AddObserver => self.add_observer(),
            Command::TakeEvent(key) => {
                if let Some(event) = self.agenda.remove(key) {
                    self.run_event(key.0.max(self.now), event);
                }
            }
            Command::DelayInFlight { key, ms } => self.delay_in_flight(key, ms),
            Command::DropInFlight(key) => {
                if let Some(Event::Deliver {
                    from, to, message, ..
                }) = self.agenda.remove(key)
                {
                    self.lost(from, to, &message, LossCause::DroppedByHand);
                }
            }
            Command::AddClient {
                name,
                server,
                timeout_ms,
            } => self.add_client(name, server, timeout_ms),
            Command::ClientRequest {
                client,
                xid,
                request,
            } => self.submit_request(&client, xid, request),
            Command::MoveClient { client, server } => {
                self.drop_connection(&client);
                self.connect_client(&client, server);
            }
            Command::DisconnectClient(client) => {
                if let Some(c) = self.clients.get_mut(&client) {
                    c.reconnect = false;
                    if c.is_live() {
                        c.state = clients::ClientState::Disconnected;
                    }
                }
                self.drop_connection(&client);
            }
        }
    }

    /// Kills a server now: it loses everything in memory, its pending timers and every disk
    /// step not yet completed (and log entries appended but not fsynced). Returns false if it
    /// was not running.
    pub fn crash(&mut self, server: ServerId) -> bool {
        let Some(slot) = self.slots.get_mut(&server) else {
            return false;
        };
        if slot.node.take().is_none() {
            return false;
        }
        slot.incarnation += 1;
        slot.timers.clear();
        slot.disk.crash();
        slot.disk_queue.clear();
        slot.disk_busy = false;
        slot.paused = false;
        slot.deferred.clear();
        self.record(TraceEvent {
            at: self.now,
            server,
            kind: TraceKind::Crashed,
        });
        self.reset_client_connections(server);
        // The operating system closes the dead process's connections: the others notice
        // after a network delay (unless the link is cut, where only timeouts tell).
        let others: Vec<(ServerId, u32)> = self
            .slots
            .iter()
            .filter(|(id, slot)| *id != server && slot.node.is_some())
            .map(|(id, slot)| (id, slot.incarnation))
            .collect();
        for (other, incarnation) in others {
            if self.network.is_cut(server, other) {
                continue;
            }
            let latency_ms = self.network_latency();
            self.schedule(
                self.now + latency_ms,
                Event::ConnectionLost {
                    server: other,
                    incarnation,
                    peer: server,
                    link: None,
                },
            );
        }
        true
    }

    /// Why an observer cannot join now, if it cannot: the ensemble is as large as allowed.
    pub fn observer_refused(&self) -> Option<String> {
        (self.slots.keys().count() as u64 >= MAX_SERVERS)
            .then(|| format!("an ensemble has at most {MAX_SERVERS} servers"))
    }

    /// Adds an observer with the next myid, unless the ensemble is already as large as the
    /// simulator allows (then the trace says so and nothing changes).
    fn add_observer(&mut self) {
        let membership = self.membership();
        if let Some(why) = self.observer_refused() {
            let text = format!("no observer added: {why}");
            self.record(TraceEvent {
                at: self.now,
                server: 0,
                kind: TraceKind::Note { text },
            });
            return;
        }
        self.observers_added += 1;
        let observer = self.slots.push(Slot::empty());
        debug_assert_eq!(observer, membership.servers + membership.observers + 1);
        let running: Vec<ServerId> = self
            .slots
            .iter()
            .filter(|(_, slot)| slot.node.is_some())
            .map(|(id, _)| id)
            .collect();
        for server in running {
            self.feed(server, Input::ObserverAdded(observer));
        }
        self.restart(observer);
    }

    /// Starts a stopped server again, now. Returns false if it is already running or booting.
    pub fn restart(&mut self, server: ServerId) -> bool {
        let Some(slot) = self.slots.get(&server) else {
            return false;
        };
        let incarnation = slot.incarnation;
        if slot.node.is_some() || self.boot_pending(server) {
            return false;
        }
        self.schedule(
            self.now,
            Event::Boot {
                server,
                incarnation,
            },
        );
        true
    }

    fn pause(&mut self, server: ServerId) {
        let Some(slot) = self.slots.get_mut(&server) else {
            return;
        };
        if slot.node.is_none() || slot.paused {
            return;
        }
        slot.paused = true;
        self.record(TraceEvent {
            at: self.now,
            server,
            kind: TraceKind::Paused,
        });
    }

    fn resume(&mut self, server: ServerId) {
        let Some(slot) = self.slots.get_mut(&server) else {
            return;
        };
        if !slot.paused {
            return;
        }
        slot.paused = false;
        let deferred = std::mem::take(&mut slot.deferred);
        self.record(TraceEvent {
            at: self.now,
            server,
            kind: TraceKind::Resumed,
        });
        for event in deferred {
            self.schedule(self.now, event);
        }
    }

    /// Whether a boot of `server` is scheduled and has not happened yet.
    fn boot_pending(&self, server: ServerId) -> bool {
        self.agenda
            .events()
            .any(|event| matches!(event, Event::Boot { server: s, .. } if *s == server))
    }

    fn run_event(&mut self, at: VirtualTime, event: Event) {
        self.now = at;
        self.steps_taken += 1;
        let server = event.server();
        if server == 0 {
            self.clients_version += 1;
        }
        if let Some(slot) = self.slots.get_mut(&server) {
            if slot.paused && !matches!(event, Event::Boot { .. }) {
                slot.deferred.push(event);
                return;
            }
        }
        match event {
            Event::Boot {
                server,
                incarnation,
            } => self.boot(server, incarnation),
            Event::Deliver {
                from,
                to,
                message,
                sent_at,
            } => self.deliver(from, to, message, sent_at),
            Event::Timer {
                server,
                incarnation,
                timer,
                deadline,
            } => self.fire_timer(server, incarnation, timer, deadline),
            Event::DiskDone {
                server,
                incarnation,
                step,
            } => self.disk_done(server, incarnation, step),
            Event::ConnectionLost {
                server,
                incarnation,
                peer,
                link,
            } => {
                if self.slots.get(&server).map(|s| s.incarnation) == Some(incarnation) {
                    self.feed(server, Input::PeerConnectionLost { peer, link });
                }
            }
            Event::ToServer { server, input } => self.deliver_to_server(server, input),
            Event::ToClient { output } => self.deliver_to_client(*output),
            Event::ClientTick { client, attempt } => self.client_tick(&client, attempt),
            Event::ClientReconnect { client, attempt } => self.client_reconnect(&client, attempt),
        }
        let now = self.now;
        let slots = &self.slots;
        let found = self.checker.check(
            now,
            server,
            |id| slots.get(&id).and_then(|s| s.node.as_ref()),
            |id| slots.get(&id).map(|s| (&s.disk, &s.disk_queue)),
        );
        for violation in found {
            self.record(TraceEvent {
                at: now,
                server,
                kind: TraceKind::Violation {
                    invariant: violation.invariant.to_string(),
                    detail: violation.detail.clone(),
                },
            });
        }
    }

    fn boot(&mut self, server: ServerId, incarnation: u32) {
        let seed = self.rng.random::<u64>();
        let mut config = self.membership().peer_config(server);
        // As a real process reads its clock at start: a restarted server must not hand out
        // the session ids of its previous incarnation.
        config.zk.started_ms = self.now.as_millis();
        let Some(slot) = self.slots.get_mut(&server) else {
            return;
        };
        if slot.incarnation != incarnation || slot.node.is_some() {
            return;
        }
        slot.boots += 1;
        slot.node = Some(QuorumPeer::new(config, seed));
        let mut disk = slot.disk.clone();
        disk.unsynced.clear();
        self.feed(
            server,
            Input::Boot {
                disk: Box::new(disk),
            },
        );
    }

    fn deliver(
        &mut self,
        from: ServerId,
        to: ServerId,
        message: PeerMessage,
        sent_at: VirtualTime,
    ) {
        let destination_up = self.slots.get(&to).is_some_and(|slot| slot.node.is_some());
        if !destination_up {
            self.lost(from, to, &message, LossCause::DestinationDown);
            return;
        }
        if self.network.is_cut(from, to) {
            // TCP retransmits a ZAB packet until the link heals (or an end gives up);
            // an election notification is simply lost, and resent later.
            if matches!(message, PeerMessage::Zab { .. }) {
                self.network.stall(from, to, message, sent_at);
            } else {
                self.lost(from, to, &message, LossCause::LinkCut);
            }
            return;
        }
        self.messages_delivered += 1;
        self.feed(to, Input::Receive { from, message });
    }

    /// Packets that waited for a cut link go on once it heals, after a network delay.
    fn deliver_unstalled(&mut self) {
        for stalled in self.network.take_unstalled() {
            let latency_ms = self.network_latency();
            let at = self
                .network
                .release_time(stalled.from, stalled.to, self.now + latency_ms);
            self.schedule(
                at,
                Event::Deliver {
                    from: stalled.from,
                    to: stalled.to,
                    message: stalled.message,
                    sent_at: self.now,
                },
            );
        }
    }

    fn lost(&mut self, from: ServerId, to: ServerId, message: &PeerMessage, why: LossCause) {
        self.record(TraceEvent {
            at: self.now,
            server: to,
            kind: TraceKind::MessageLost {
                from,
                to,
                kind: message.kind().to_string(),
                why,
            },
        });
        // ZAB runs over TCP, which never skips a packet: a lost one means the connection
        // broke, and both ends find out. (Election notifications stand alone and are resent.)
        let PeerMessage::Zab { link, .. } = message else {
            return;
        };
        if self.network.is_broken(from, to, *link) {
            return;
        }
        self.network.break_connection(from, to, *link);
        let destination_up = self.slots.get(&to).is_some_and(|s| s.node.is_some());
        if destination_up {
            let link = Some(*link);
            for (server, peer) in [(from, to), (to, from)] {
                let Some(incarnation) = self.slots.get(&server).map(|s| s.incarnation) else {
                    continue;
                };
                let latency_ms = self.network_latency();
                self.schedule(
                    self.now + latency_ms,
                    Event::ConnectionLost {
                        server,
                        incarnation,
                        peer,
                        link,
                    },
                );
            }
        }
    }

    fn fire_timer(
        &mut self,
        server: ServerId,
        incarnation: u32,
        timer: TimerKind,
        at: VirtualTime,
    ) {
        let Some(slot) = self.slots.get_mut(&server) else {
            return;
        };
        // A timer fires only if it belongs to this incarnation and was not re-armed since.
        if slot.incarnation != incarnation || slot.timers.get(&timer) != Some(&at) {
            return;
        }
        slot.timers.remove(&timer);
        self.feed(server, Input::TimerFired(timer));
    }

    /// Starts the disk's next step, unless one is in progress or the next one is held.
    fn start_disk(&mut self, server: ServerId) {
        let Some(slot) = self.slots.get(&server) else {
            return;
        };
        if slot.disk_busy || slot.node.is_none() {
            return;
        }
        let Some(next) = slot.disk_queue.front() else {
            return;
        };
        if slot.held_disk.contains(&next.op.kind()) {
            return;
        }
        let (step, incarnation, slow) = (next.id, slot.incarnation, slot.slow_disk_ms);
        let ms = match slow {
            Some(ms) => ms,
            None => self
                .rng
                .random_range(self.config.disk_min_ms..=self.config.disk_max_ms),
        };
        if let Some(slot) = self.slots.get_mut(&server) {
            slot.disk_busy = true;
        }
        self.schedule(
            self.now + ms,
            Event::DiskDone {
                server,
                incarnation,
                step,
            },
        );
    }

    fn disk_done(&mut self, server: ServerId, incarnation: u32, step: u64) {
        let Some(slot) = self.slots.get_mut(&server) else {
            return;
        };
        if slot.incarnation != incarnation {
            return;
        }
        slot.disk_busy = false;
        let Some(done) = slot.disk_queue.pop_front() else {
            return;
        };
        debug_assert_eq!(done.id, step);
        slot.disk.apply(&done.op);
        self.record(TraceEvent {
            at: self.now,
            server,
            kind: TraceKind::DiskDone {
                step: done.op.step(),
            },
        });
        self.feed(server, Input::DurableDone { id: done.id });
        self.start_disk(server);
    }

    /// Hands one input to a running server and carries out everything it asks for, in order.
    fn feed(&mut self, server: ServerId, input: Input) {
        let now = self.now;
        let Some(slot) = self.slots.get_mut(&server) else {
            return;
        };
        let incarnation = slot.incarnation;
        let skew_ms = slot.skew_ms;
        let Some(node) = slot.node.as_mut() else {
            return;
        };
        // The server sees its own clock; its timers are converted back to true time.
        node.handle(skewed(now, skew_ms), input);
        let mut outputs = std::mem::take(&mut self.output_buffer);
        outputs.extend(std::iter::from_fn(|| node.poll_output()));
        let mut disk_added = false;
        for output in outputs.drain(..) {
            match output {
                Output::Send { to, message } => self.send(now, server, to, message),
                Output::SetTimer { timer, at } => {
                    let at = skewed(at, -skew_ms);
                    if let Some(slot) = self.slots.get_mut(&server) {
                        slot.timers.insert(timer, at);
                    }
                    self.schedule(
                        at,
                        Event::Timer {
                            server,
                            incarnation,
                            timer,
                            deadline: at,
                        },
                    );
                }
                Output::Durable(step) => {
                    if let Some(slot) = self.slots.get_mut(&server) {
                        self.checker
                            .disk_step(server, &step.op, &slot.disk, &slot.disk_queue);
                        slot.disk_queue.push_back(step);
                        disk_added = true;
                    }
                }
                Output::Client(output) => self.route_to_client(output),
                Output::Trace(event) => self.record(event),
                Output::CloseConnection { peer, link } => self.close_connection(server, peer, link),
            }
        }
        self.output_buffer = outputs;
        if disk_added {
            self.start_disk(server);
        }
    }

    /// `from` closed its ZAB connection `link` with `to`: the close travels behind whatever
    /// was sent on the link, and is lost with it when the link is cut (then only a timeout
    /// tells `to`).
    fn close_connection(&mut self, from: ServerId, to: ServerId, link: u64) {
        if self.network.is_cut(from, to) {
            return;
        }
        let Some(incarnation) = self
            .slots
            .get(&to)
            .filter(|slot| slot.node.is_some())
            .map(|slot| slot.incarnation)
        else {
            return;
        };
        let latency_ms = self.network_latency();
        let at = self.network.release_time(from, to, self.now + latency_ms);
        self.schedule(
            at,
            Event::ConnectionLost {
                server: to,
                incarnation,
                peer: from,
                link: Some(link),
            },
        );
    }

    fn send(&mut self, now: VirtualTime, from: ServerId, to: ServerId, message: PeerMessage) {
        if to == from {
            return;
        }
        if let PeerMessage::Zab { link, .. } = &message {
            // What was sent before the lost packet still arrives; nothing sent after it.
            if self.network.is_broken(from, to, *link) {
                self.lost(from, to, &message, LossCause::ConnectionBroke);
                return;
            }
        }
        let latency_ms = self.network_latency();
        match self.network.route(now, from, to, &message, latency_ms) {
            Fate::Deliver { at, duplicate } => {
                if let Some(second) = duplicate {
                    let copy = message.clone();
                    self.schedule_delivery(at, from, to, copy, now);
                    self.schedule_delivery(second, from, to, message, now);
                } else {
                    self.schedule_delivery(at, from, to, message, now);
                }
            }
            Fate::Held => {}
            Fate::Lost(why) => self.lost(from, to, &message, why),
        }
    }

    fn delay_in_flight(&mut self, key: EventKey, ms: u64) {
        let Some(delivery) = self.deliveries().find(|d| d.key == key) else {
            return;
        };
        let (from, to) = (delivery.from, delivery.to);
        let zab = matches!(delivery.message, PeerMessage::Zab { .. });
        let behind: Vec<EventKey> = if zab {
            self.deliveries()
                .filter(|d| {
                    d.from == from
                        && d.to == to
                        && d.key > key
                        && matches!(d.message, PeerMessage::Zab { .. })
                })
                .map(|d| d.key)
                .collect()
        } else {
            Vec::new()
        };
        let at = key.0 + ms;
        if let Some(event) = self.agenda.remove(key) {
            self.schedule(at, event);
        }
        // Rescheduled in their order, so they stay behind it and in order among themselves.
        for later in behind {
            if let Some(event) = self.agenda.remove(later) {
                self.schedule(later.0.max(at), event);
            }
        }
        if zab {
            // What is sent on the link from now on comes after it too.
            self.network.release_time(from, to, at);
        }
    }

    fn schedule_delivery(
        &mut self,
        at: VirtualTime,
        from: ServerId,
        to: ServerId,
        message: PeerMessage,
        sent_at: VirtualTime,
    ) {
        let event = Event::Deliver {
            from,
            to,
            message,
            sent_at,
        };
        self.schedule(at, event);
    }

    /// One network delay, drawn from the configured range (servers and clients alike).
    fn network_latency(&mut self) -> u64 {
        self.rng
            .random_range(self.config.latency_min_ms..=self.config.latency_max_ms)
    }

    fn schedule(&mut self, at: VirtualTime, event: Event) {
        self.agenda.push(at, event);
    }

    fn record(&mut self, event: TraceEvent) {
        self.trace_hasher.add(&event);
        self.trace.push(event);
    }
}

/// A one-word name for what a client sent, for the manual mode's list.
/// A time moved by a (possibly negative) number of milliseconds, never before zero.
fn skewed(time: VirtualTime, ms: i64) -> VirtualTime {
    let millis = time.as_millis() as i64 + ms;
    VirtualTime::from_millis(millis.max(0) as u64)
}
