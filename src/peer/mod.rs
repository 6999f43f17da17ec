//! The sans-IO server node: one ZooKeeper server (one `myid`), driven entirely by its caller.
//!
//! In the style of quinn-proto and str0m: the caller feeds [`Input`]s with the current
//! virtual time to [`ServerNode::handle`], then drains [`Output`]s with
//! [`ServerNode::poll_output`] until it returns `None`, and must carry them out in that order.
//! The node never reads a clock, touches a socket or file, or draws entropy other than from
//! the seed it was built with.
//!
//! Today the node runs the ensemble's liveness layer: every tick it sends a HELLO to each peer
//! and tracks which peers it has heard from recently, and so whether it can reach a quorum.
//! Election and ZAB build on this same input/output contract.

pub mod message;
pub mod trace;

use crate::time::VirtualTime;
use message::{PeerMessage, ServerId};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use trace::{TraceEvent, TraceKind};

/// Static configuration of one server, as zoo.cfg would give it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerConfig {
    pub myid: ServerId,
    /// Every voting member of the ensemble, this server included.
    pub ensemble: Vec<ServerId>,
    /// ZooKeeper's `tickTime`: the heartbeat period, in milliseconds.
    pub tick_ms: u64,
    /// A peer silent for this many ticks is considered down.
    pub liveness_ticks: u64,
}

impl ServerConfig {
    pub fn peers(&self) -> impl Iterator<Item = ServerId> + '_ {
        let myid = self.myid;
        self.ensemble.iter().copied().filter(move |&id| id != myid)
    }

    /// Votes needed for a majority of the ensemble.
    pub fn quorum_size(&self) -> usize {
        self.ensemble.len() / 2 + 1
    }
}

/// The timers a server can ask for. Setting one again replaces its previous deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TimerKind {
    Heartbeat,
}

/// What the environment tells the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// The process has (re)started. Must be the first input of every incarnation.
    Boot,
    Receive {
        from: ServerId,
        message: PeerMessage,
    },
    TimerFired(TimerKind),
}

/// What the server asks of the environment, to be carried out in the order polled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    Send { to: ServerId, message: PeerMessage },
    SetTimer { timer: TimerKind, at: VirtualTime },
    Trace(TraceEvent),
}

/// How much of the ensemble this server can currently hear, itself included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Reach {
    /// Hears no peer at all.
    Alone,
    /// Hears some peers, but fewer than a quorum: it could not elect or commit anything.
    Minority,
    /// Hears a quorum: enough servers to elect a leader and commit writes.
    Quorum,
}

impl fmt::Display for Reach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reach::Alone => "ALONE",
            Reach::Minority => "MINORITY",
            Reach::Quorum => "QUORUM",
        })
    }
}

/// What this server knows about one peer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerView {
    pub last_heard: Option<VirtualTime>,
    pub alive: bool,
}

pub struct ServerNode {
    config: ServerConfig,
    rng: ChaCha8Rng,
    peers: BTreeMap<ServerId, PeerView>,
    hellos_sent: u64,
    reach: Reach,
    outputs: VecDeque<Output>,
}

impl ServerNode {
    /// A server that has not booted yet. `seed` is its only source of randomness.
    pub fn new(config: ServerConfig, seed: u64) -> Self {
        let peers = config.peers().map(|id| (id, PeerView::default())).collect();
        let reach = Self::reach_of(&config, &peers);
        ServerNode {
            config,
            rng: ChaCha8Rng::seed_from_u64(seed),
            peers,
            hellos_sent: 0,
            reach,
            outputs: VecDeque::new(),
        }
    }

    // ---- getters ----

    pub fn myid(&self) -> ServerId {
        self.config.myid
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    pub fn reach(&self) -> Reach {
        self.reach
    }

    pub fn peers(&self) -> &BTreeMap<ServerId, PeerView> {
        &self.peers
    }

    pub fn hellos_sent(&self) -> u64 {
        self.hellos_sent
    }

    // ---- inputs ----

    pub fn handle(&mut self, now: VirtualTime, input: Input) {
        match input {
            Input::Boot => self.on_boot(now),
            Input::Receive { from, message } => self.on_receive(now, from, message),
            Input::TimerFired(TimerKind::Heartbeat) => self.on_heartbeat(now),
        }
    }

    // ---- outputs ----

    /// The next thing the environment must do, in order; `None` when the node is idle.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    fn on_boot(&mut self, now: VirtualTime) {
        self.trace(now, TraceKind::Booted);
        // Spread first heartbeats over one tick so that servers started together
        // do not all speak in the same instant.
        let jitter_ms = self.rng.random_range(0..self.config.tick_ms.max(1));
        self.set_timer(TimerKind::Heartbeat, now + jitter_ms);
    }

    fn on_receive(&mut self, now: VirtualTime, from: ServerId, message: PeerMessage) {
        let PeerMessage::Hello { sequence } = message;
        let Some(view) = self.peers.get_mut(&from) else {
            // Not a member of our ensemble: ignore it, as ZooKeeper drops unknown sids.
            return;
        };
        view.last_heard = Some(now);
        let came_up = !view.alive;
        view.alive = true;
        self.trace(now, TraceKind::HelloReceived { from, sequence });
        if came_up {
            self.trace(now, TraceKind::PeerUp { peer: from });
            self.update_reach(now);
        }
    }

    fn on_heartbeat(&mut self, now: VirtualTime) {
        self.expire_silent_peers(now);
        let peers: Vec<ServerId> = self.config.peers().collect();
        for to in peers {
            self.hellos_sent += 1;
            let sequence = self.hellos_sent;
            self.outputs.push_back(Output::Send {
                to,
                message: PeerMessage::Hello { sequence },
            });
            self.trace(now, TraceKind::HelloSent { to, sequence });
        }
        self.set_timer(TimerKind::Heartbeat, now + self.config.tick_ms);
    }

    fn expire_silent_peers(&mut self, now: VirtualTime) {
        let timeout_ms = self.config.tick_ms * self.config.liveness_ticks;
        let mut went_down = Vec::new();
        for (&peer, view) in self.peers.iter_mut() {
            let silent = view
                .last_heard
                .is_none_or(|heard| now.millis_since(heard) > timeout_ms);
            if view.alive && silent {
                view.alive = false;
                went_down.push(peer);
            }
        }
        for peer in went_down {
            self.trace(now, TraceKind::PeerDown { peer });
        }
        self.update_reach(now);
    }

    fn update_reach(&mut self, now: VirtualTime) {
        let reach = Self::reach_of(&self.config, &self.peers);
        if reach != self.reach {
            self.trace(
                now,
                TraceKind::ReachChanged {
                    from: self.reach,
                    to: reach,
                },
            );
            self.reach = reach;
        }
    }

    fn reach_of(config: &ServerConfig, peers: &BTreeMap<ServerId, PeerView>) -> Reach {
        let alive_peers = peers.values().filter(|view| view.alive).count();
        if alive_peers + 1 >= config.quorum_size() {
            Reach::Quorum
        } else if alive_peers == 0 {
            Reach::Alone
        } else {
            Reach::Minority
        }
    }

    fn set_timer(&mut self, timer: TimerKind, at: VirtualTime) {
        self.outputs.push_back(Output::SetTimer { timer, at });
    }

    fn trace(&mut self, at: VirtualTime, kind: TraceKind) {
        let server = self.config.myid;
        self.outputs
            .push_back(Output::Trace(TraceEvent { at, server, kind }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(myid: ServerId, size: u64) -> ServerConfig {
        ServerConfig {
            myid,
            ensemble: (1..=size).collect(),
            tick_ms: 100,
            liveness_ticks: 2,
        }
    }

    fn drain(node: &mut ServerNode) -> Vec<Output> {
        std::iter::from_fn(|| node.poll_output()).collect()
    }

    fn at(ms: u64) -> VirtualTime {
        VirtualTime::from_millis(ms)
    }

    #[test]
    fn boot_traces_and_schedules_first_heartbeat_within_one_tick() {
        let mut node = ServerNode::new(config(1, 3), 7);
        node.handle(at(0), Input::Boot);
        let outputs = drain(&mut node);
        assert!(matches!(&outputs[0], Output::Trace(e) if e.kind == TraceKind::Booted));
        match outputs[1] {
            Output::SetTimer { timer, at } => {
                assert_eq!(timer, TimerKind::Heartbeat);
                assert!(at.as_millis() < 100);
            }
            ref other => panic!("expected a heartbeat timer, got {other:?}"),
        }
        assert_eq!(outputs.len(), 2);
    }

    #[test]
    fn heartbeat_sends_numbered_hello_to_every_peer_and_rearms() {
        let mut node = ServerNode::new(config(2, 3), 7);
        node.handle(at(0), Input::Boot);
        drain(&mut node);
        node.handle(at(50), Input::TimerFired(TimerKind::Heartbeat));
        let sends: Vec<(ServerId, u64)> = drain(&mut node)
            .into_iter()
            .filter_map(|o| match o {
                Output::Send {
                    to,
                    message: PeerMessage::Hello { sequence },
                } => Some((to, sequence)),
                _ => None,
            })
            .collect();
        assert_eq!(sends, vec![(1, 1), (3, 2)]);
        assert_eq!(node.hellos_sent(), 2);
    }

    #[test]
    fn hearing_one_peer_of_three_reaches_quorum() {
        let mut node = ServerNode::new(config(1, 3), 1);
        assert_eq!(node.reach(), Reach::Alone);
        node.handle(
            at(10),
            Input::Receive {
                from: 2,
                message: PeerMessage::Hello { sequence: 1 },
            },
        );
        assert_eq!(node.reach(), Reach::Quorum);
        assert!(node.peers()[&2].alive);
    }

    #[test]
    fn hearing_one_peer_of_five_is_only_a_minority() {
        let mut node = ServerNode::new(config(1, 5), 1);
        node.handle(
            at(10),
            Input::Receive {
                from: 4,
                message: PeerMessage::Hello { sequence: 1 },
            },
        );
        assert_eq!(node.reach(), Reach::Minority);
    }

    #[test]
    fn silent_peer_is_declared_down_after_liveness_timeout() {
        let mut node = ServerNode::new(config(1, 3), 1);
        node.handle(
            at(0),
            Input::Receive {
                from: 2,
                message: PeerMessage::Hello { sequence: 1 },
            },
        );
        node.handle(at(200), Input::TimerFired(TimerKind::Heartbeat));
        assert!(
            node.peers()[&2].alive,
            "200 ms is exactly the timeout, not past it"
        );
        drain(&mut node);
        node.handle(at(201), Input::TimerFired(TimerKind::Heartbeat));
        assert!(!node.peers()[&2].alive);
        assert_eq!(node.reach(), Reach::Alone);
        let kinds: Vec<TraceKind> = drain(&mut node)
            .into_iter()
            .filter_map(|o| match o {
                Output::Trace(e) => Some(e.kind),
                _ => None,
            })
            .collect();
        assert!(kinds.contains(&TraceKind::PeerDown { peer: 2 }));
        assert!(kinds.contains(&TraceKind::ReachChanged {
            from: Reach::Quorum,
            to: Reach::Alone
        }));
    }

    #[test]
    fn hello_from_a_stranger_is_ignored() {
        let mut node = ServerNode::new(config(1, 3), 1);
        node.handle(
            at(0),
            Input::Receive {
                from: 9,
                message: PeerMessage::Hello { sequence: 1 },
            },
        );
        assert!(drain(&mut node).is_empty());
        assert_eq!(node.reach(), Reach::Alone);
    }

    #[test]
    fn same_seed_gives_same_first_heartbeat() {
        let first_timer = |seed| {
            let mut node = ServerNode::new(config(1, 3), seed);
            node.handle(at(0), Input::Boot);
            drain(&mut node)
        };
        assert_eq!(first_timer(42), first_timer(42));
    }
}
