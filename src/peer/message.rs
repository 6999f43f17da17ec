//! Messages that servers send each other over the (real or simulated) network.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A server's `myid`, as in `server.N=` lines of zoo.cfg.
pub type ServerId = u64;

/// One message between servers. For now the ensemble only exchanges liveness hellos;
/// election notifications and ZAB packets join this enum as the protocol grows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeerMessage {
    /// "I am up." `sequence` counts the hellos this incarnation of the sender has sent,
    /// so a receiver (and a person reading the trace) can tell fresh hellos from old ones.
    Hello { sequence: u64 },
}

impl PeerMessage {
    /// A short name for the message kind, used by the trace and the UI's colour legend.
    pub fn kind(&self) -> &'static str {
        match self {
            PeerMessage::Hello { .. } => "HELLO",
        }
    }
}

impl fmt::Display for PeerMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerMessage::Hello { sequence } => write!(f, "HELLO #{sequence}"),
        }
    }
}
