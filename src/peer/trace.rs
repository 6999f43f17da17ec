//! Structured trace events: everything a person would want to see a server (or the
//! simulator around it) do, stamped with virtual time. The UI's timeline, the native
//! `sim` command and the determinism checks all read the same events.

use super::message::ServerId;
use super::Reach;
use crate::time::VirtualTime;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEvent {
    pub at: VirtualTime,
    pub server: ServerId,
    pub kind: TraceKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TraceKind {
    /// The server process started (first boot or restart).
    Booted,
    /// The server process died; everything it had not made durable is gone.
    Crashed,
    HelloSent {
        to: ServerId,
        sequence: u64,
    },
    HelloReceived {
        from: ServerId,
        sequence: u64,
    },
    /// A message could not be delivered because its destination is down.
    MessageLost {
        from: ServerId,
        to: ServerId,
        kind: String,
    },
    /// The server heard from a peer it considered down (or had never heard from).
    PeerUp {
        peer: ServerId,
    },
    /// The server has not heard from a peer for longer than the liveness timeout.
    PeerDown {
        peer: ServerId,
    },
    ReachChanged {
        from: Reach,
        to: Reach,
    },
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} server {}: ", self.at, self.server)?;
        match &self.kind {
            TraceKind::Booted => write!(f, "booted"),
            TraceKind::Crashed => write!(f, "crashed"),
            TraceKind::HelloSent { to, sequence } => write!(f, "sent HELLO #{sequence} to {to}"),
            TraceKind::HelloReceived { from, sequence } => {
                write!(f, "received HELLO #{sequence} from {from}")
            }
            TraceKind::MessageLost { from, to, kind } => {
                write!(f, "{kind} from {from} to {to} lost: destination is down")
            }
            TraceKind::PeerUp { peer } => write!(f, "peer {peer} is up"),
            TraceKind::PeerDown { peer } => write!(f, "peer {peer} is silent, considered down"),
            TraceKind::ReachChanged { from, to } => write!(f, "reach {from} -> {to}"),
        }
    }
}
