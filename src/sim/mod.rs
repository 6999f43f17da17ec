//! The deterministic simulator: several [`ServerNode`]s on a simulated message bus with
//! virtual time and a seeded random number generator.
//!
//! Everything that happens is an entry in one agenda ordered by (virtual time, insertion
//! sequence), so a run is a pure function of its [`SimConfig`] and the commands given to it:
//! the same seed yields the same trace natively and in WebAssembly, which [`Simulation::trace_hash`]
//! lets anyone check.

pub mod link;

use crate::peer::message::{PeerMessage, ServerId};
use crate::peer::trace::{TraceEvent, TraceKind};
use crate::peer::{Input, Output, Reach, ServerConfig, ServerNode, TimerKind};
use crate::time::VirtualTime;
use fnv::FnvHasher;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::hash::Hasher;

/// Everything that determines a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimConfig {
    pub servers: u64,
    pub seed: u64,
    pub tick_ms: u64,
    pub liveness_ticks: u64,
    /// One-way network latency is drawn uniformly from this inclusive range for each message.
    pub latency_min_ms: u64,
    pub latency_max_ms: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            servers: 3,
            seed: 1,
            tick_ms: 2000,
            liveness_ticks: 2,
            latency_min_ms: 5,
            latency_max_ms: 50,
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
}

impl std::fmt::Display for SimConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SimConfigError::NoServers => write!(f, "an ensemble needs at least one server"),
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
        }
    }
}

impl std::error::Error for SimConfigError {}

/// The largest ensemble the simulator accepts: ZooKeeper deployments rarely exceed 7 voters,
/// and a picture with more than this many servers teaches nothing more.
pub const MAX_SERVERS: u64 = 15;

impl SimConfig {
    pub fn validate(&self) -> Result<(), SimConfigError> {
        if self.servers == 0 {
            return Err(SimConfigError::NoServers);
        }
        if self.servers > MAX_SERVERS {
            return Err(SimConfigError::TooManyServers {
                servers: self.servers,
                max: MAX_SERVERS,
            });
        }
        if self.tick_ms == 0 {
            return Err(SimConfigError::ZeroTick);
        }
        if self.latency_min_ms > self.latency_max_ms {
            return Err(SimConfigError::LatencyRangeReversed {
                min_ms: self.latency_min_ms,
                max_ms: self.latency_max_ms,
            });
        }
        Ok(())
    }

    fn server_config(&self, myid: ServerId) -> ServerConfig {
        ServerConfig {
            myid,
            ensemble: (1..=self.servers).collect(),
            tick_ms: self.tick_ms,
            liveness_ticks: self.liveness_ticks,
        }
    }
}

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
    },
    Timer {
        server: ServerId,
        incarnation: u32,
        timer: TimerKind,
    },
}

/// One server's place in the simulation: its node while it is up, and how often it has started.
struct Slot {
    node: Option<ServerNode>,
    /// Bumped on every crash, so timers set by an earlier incarnation never fire on a later one.
    incarnation: u32,
    boots: u32,
    timers: BTreeMap<TimerKind, VirtualTime>,
}

/// A read-only picture of one server for displays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerStatus {
    pub id: ServerId,
    pub up: bool,
    /// Down, but its (re)start is already scheduled.
    pub booting: bool,
    pub reach: Option<Reach>,
    /// Peers this server currently believes are up.
    pub peers_alive: Vec<ServerId>,
    pub hellos_sent: u64,
    pub boots: u32,
}

pub struct Simulation {
    config: SimConfig,
    now: VirtualTime,
    rng: ChaCha8Rng,
    slots: BTreeMap<ServerId, Slot>,
    agenda: BTreeMap<(VirtualTime, u64), Event>,
    next_sequence: u64,
    trace: Vec<TraceEvent>,
    trace_hasher: FnvHasher,
    messages_delivered: u64,
    steps_taken: u64,
}

impl Simulation {
    pub fn new(config: SimConfig) -> Result<Self, SimConfigError> {
        config.validate()?;
        let mut sim = Simulation {
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            now: VirtualTime::ZERO,
            slots: BTreeMap::new(),
            agenda: BTreeMap::new(),
            next_sequence: 0,
            trace: Vec::new(),
            trace_hasher: FnvHasher::default(),
            messages_delivered: 0,
            steps_taken: 0,
            config,
        };
        for id in 1..=sim.config.servers {
            sim.slots.insert(
                id,
                Slot {
                    node: None,
                    incarnation: 0,
                    boots: 0,
                    timers: BTreeMap::new(),
                },
            );
            sim.schedule(
                VirtualTime::ZERO,
                Event::Boot {
                    server: id,
                    incarnation: 0,
                },
            );
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

    /// A fingerprint of the whole trace so far (FNV-1a over its text lines): equal hashes
    /// mean the runs were identical, on any platform.
    pub fn trace_hash(&self) -> u64 {
        self.trace_hasher.finish()
    }

    pub fn messages_delivered(&self) -> u64 {
        self.messages_delivered
    }

    pub fn steps_taken(&self) -> u64 {
        self.steps_taken
    }

    /// When the next scheduled event happens, if anything is scheduled.
    pub fn next_event_at(&self) -> Option<VirtualTime> {
        self.agenda.keys().next().map(|&(at, _)| at)
    }

    pub fn servers(&self) -> Vec<ServerStatus> {
        self.slots
            .iter()
            .map(|(&id, slot)| match &slot.node {
                Some(node) => ServerStatus {
                    id,
                    up: true,
                    booting: false,
                    reach: Some(node.reach()),
                    peers_alive: node
                        .peers()
                        .iter()
                        .filter(|(_, view)| view.alive)
                        .map(|(&peer, _)| peer)
                        .collect(),
                    hellos_sent: node.hellos_sent(),
                    boots: slot.boots,
                },
                None => ServerStatus {
                    id,
                    up: false,
                    booting: self.boot_pending(id),
                    reach: None,
                    peers_alive: Vec::new(),
                    hellos_sent: 0,
                    boots: slot.boots,
                },
            })
            .collect()
    }

    // ---- driving the run ----

    /// Carries out the next scheduled event. Returns false when nothing is left to do.
    pub fn step(&mut self) -> bool {
        let Some(((at, _), event)) = self.agenda.pop_first() else {
            return false;
        };
        self.now = at;
        self.steps_taken += 1;
        match event {
            Event::Boot {
                server,
                incarnation,
            } => self.boot(server, incarnation),
            Event::Deliver { from, to, message } => self.deliver(from, to, message),
            Event::Timer {
                server,
                incarnation,
                timer,
            } => self.fire_timer(server, incarnation, timer, at),
        }
        true
    }

    /// Carries out every event scheduled up to and including `deadline`, then sets the clock to it.
    pub fn run_until(&mut self, deadline: VirtualTime) {
        while self.next_event_at().is_some_and(|at| at <= deadline) {
            self.step();
        }
        self.now = self.now.max(deadline);
    }

    /// Kills a server now: it loses everything in memory and its pending timers.
    /// Returns false if it was not running.
    pub fn crash(&mut self, server: ServerId) -> bool {
        let Some(slot) = self.slots.get_mut(&server) else {
            return false;
        };
        if slot.node.take().is_none() {
            return false;
        }
        slot.incarnation += 1;
        slot.timers.clear();
        self.record(TraceEvent {
            at: self.now,
            server,
            kind: TraceKind::Crashed,
        });
        true
    }

    /// Starts a crashed server again, now. Returns false if it is already running or booting.
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

    /// Whether a boot of `server` is scheduled and has not happened yet.
    fn boot_pending(&self, server: ServerId) -> bool {
        self.agenda
            .values()
            .any(|event| matches!(event, Event::Boot { server: s, .. } if *s == server))
    }

    fn boot(&mut self, server: ServerId, incarnation: u32) {
        let seed = self.rng.random::<u64>();
        let config = self.config.server_config(server);
        let Some(slot) = self.slots.get_mut(&server) else {
            return;
        };
        if slot.incarnation != incarnation || slot.node.is_some() {
            return;
        }
        slot.boots += 1;
        slot.node = Some(ServerNode::new(config, seed));
        self.feed(server, Input::Boot);
    }

    fn deliver(&mut self, from: ServerId, to: ServerId, message: PeerMessage) {
        let destination_up = self.slots.get(&to).is_some_and(|slot| slot.node.is_some());
        if !destination_up {
            self.record(TraceEvent {
                at: self.now,
                server: to,
                kind: TraceKind::MessageLost {
                    from,
                    to,
                    kind: message.kind().to_string(),
                },
            });
            return;
        }
        self.messages_delivered += 1;
        self.feed(to, Input::Receive { from, message });
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

    /// Hands one input to a running server and carries out everything it asks for, in order.
    fn feed(&mut self, server: ServerId, input: Input) {
        let now = self.now;
        let Some(slot) = self.slots.get_mut(&server) else {
            return;
        };
        let incarnation = slot.incarnation;
        let Some(node) = slot.node.as_mut() else {
            return;
        };
        node.handle(now, input);
        let outputs: Vec<Output> = std::iter::from_fn(|| node.poll_output()).collect();
        for output in outputs {
            match output {
                Output::Send { to, message } => {
                    let latency_ms = self
                        .rng
                        .random_range(self.config.latency_min_ms..=self.config.latency_max_ms);
                    self.schedule(
                        now + latency_ms,
                        Event::Deliver {
                            from: server,
                            to,
                            message,
                        },
                    );
                }
                Output::SetTimer { timer, at } => {
                    if let Some(slot) = self.slots.get_mut(&server) {
                        slot.timers.insert(timer, at);
                    }
                    self.schedule(
                        at,
                        Event::Timer {
                            server,
                            incarnation,
                            timer,
                        },
                    );
                }
                Output::Trace(event) => self.record(event),
            }
        }
    }

    fn schedule(&mut self, at: VirtualTime, event: Event) {
        self.agenda.insert((at, self.next_sequence), event);
        self.next_sequence += 1;
    }

    fn record(&mut self, event: TraceEvent) {
        self.trace_hasher.write(event.to_string().as_bytes());
        self.trace_hasher.write(b"\n");
        self.trace.push(event);
    }
}

#[cfg(test)]
mod tests;
