//! Messages that servers send each other over the (real or simulated) network: election
//! notifications, and the ZAB packets of a learner's connection to its leader.

use super::durable::{LogEntry, SnapImage};
use crate::data::types::{SessionId, Zxid};
use crate::zkserver::ForwardedRequest;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A server's `myid`, as in `server.N=` lines of zoo.cfg.
pub type ServerId = u64;

/// What a server is doing, as its notifications report it (ZooKeeper's `ServerState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PeerState {
    Looking,
    Following,
    Leading,
    Observing,
}

impl PeerState {
    pub fn name(self) -> &'static str {
        match self {
            PeerState::Looking => "LOOKING",
            PeerState::Following => "FOLLOWING",
            PeerState::Leading => "LEADING",
            PeerState::Observing => "OBSERVING",
        }
    }
}

impl fmt::Display for PeerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A FastLeaderElection notification: the sender's vote, its election round and its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// The server the sender votes for (for a server not LOOKING: the leader it follows).
    pub leader: ServerId,
    /// The last zxid of the proposed leader, as the sender knows it.
    pub zxid: Zxid,
    /// The currentEpoch of the proposed leader.
    pub peer_epoch: u32,
    /// The sender's logical clock (ZooKeeper's electionEpoch).
    pub round: u64,
    pub state: PeerState,
}

/// A packet on a learner's connection to its leader. Every packet carries the connection's
/// id (`link`), chosen by the learner when it connects, so that packets of an earlier
/// connection that arrive late are recognised and ignored, as a closed TCP connection's
/// would be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZabPacket {
    /// Learner → leader: FOLLOWERINFO or OBSERVERINFO, with the learner's acceptedEpoch.
    LearnerInfo {
        accepted_epoch: u32,
        last_zxid: Zxid,
        /// The zxid of the learner's snapshot: it cannot truncate below it. (ZooKeeper does
        /// not send this, and a learner that got a SNAP of a history that was later
        /// abandoned cannot then be TRUNCed; knowing it, the leader sends a SNAP instead.)
        snapshot_zxid: Zxid,
        observer: bool,
    },
    /// Leader → learner: the epoch the leader proposes.
    LeaderInfo {
        new_epoch: u32,
    },
    /// Learner → leader: the learner's currentEpoch (None if it had already accepted the new
    /// epoch: such an ACKEPOCH does not count towards the epoch quorum) and last zxid.
    AckEpoch {
        current_epoch: Option<u32>,
        last_zxid: Zxid,
    },
    /// Leader → learner: the proposals and commits that follow bring you up to date; your
    /// own log is in my history, and committed through `committed_zxid`.
    Diff {
        last_zxid: Zxid,
        committed_zxid: Zxid,
    },
    /// Leader → learner: drop every logged transaction after this zxid.
    Trunc {
        zxid: Zxid,
    },
    /// Leader → learner: replace your state with this one.
    Snap(Box<SnapImage>),
    Proposal(Box<LogEntry>),
    Commit {
        zxid: Zxid,
    },
    /// Leader → observer: a committed transaction (observers never see proposals).
    Inform(Box<LogEntry>),
    /// Leader → learner: the end of synchronization; ACK it once your history is durable.
    NewLeader {
        zxid: Zxid,
    },
    /// Learner → leader: a proposal (or NEWLEADER) is durable here.
    Ack {
        zxid: Zxid,
    },
    /// Leader → learner: start serving clients.
    UpToDate,
    /// Leader → learner, and the learner's answer with the sessions its clients touched.
    Ping {
        sessions: Vec<SessionId>,
    },
    /// Learner → leader: a client's write (ZooKeeper's REQUEST).
    Request(Box<ForwardedRequest>),
}

/// One message between servers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerMessage {
    Notification(Notification),
    Zab { link: u64, packet: ZabPacket },
}

impl PeerMessage {
    /// A short name for the message kind: the trace, scenario filters and the UI's colour
    /// legend use it.
    pub fn kind(&self) -> &'static str {
        match self {
            PeerMessage::Notification(_) => "NOTIFICATION",
            PeerMessage::Zab { packet, .. } => match packet {
                ZabPacket::LearnerInfo {
                    observer: false, ..
                } => "FOLLOWERINFO",
                ZabPacket::LearnerInfo { observer: true, .. } => "OBSERVERINFO",
                ZabPacket::LeaderInfo { .. } => "LEADERINFO",
                ZabPacket::AckEpoch { .. } => "ACKEPOCH",
                ZabPacket::Diff { .. } => "DIFF",
                ZabPacket::Trunc { .. } => "TRUNC",
                ZabPacket::Snap(_) => "SNAP",
                ZabPacket::Proposal(_) => "PROPOSAL",
                ZabPacket::Commit { .. } => "COMMIT",
                ZabPacket::Inform(_) => "INFORM",
                ZabPacket::NewLeader { .. } => "NEWLEADER",
                ZabPacket::Ack { .. } => "ACK",
                ZabPacket::UpToDate => "UPTODATE",
                ZabPacket::Ping { .. } => "PING",
                ZabPacket::Request(_) => "REQUEST",
            },
        }
    }

    /// Every kind name, for validating scenario filters.
    pub const KINDS: &'static [&'static str] = &[
        "NOTIFICATION",
        "FOLLOWERINFO",
        "OBSERVERINFO",
        "LEADERINFO",
        "ACKEPOCH",
        "DIFF",
        "TRUNC",
        "SNAP",
        "PROPOSAL",
        "COMMIT",
        "INFORM",
        "NEWLEADER",
        "ACK",
        "UPTODATE",
        "PING",
        "REQUEST",
    ];
}

impl fmt::Display for PeerMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerMessage::Notification(n) => write!(
                f,
                "NOTIFICATION vote ({}, {}, epoch {}) round {} {}",
                n.leader, n.zxid, n.peer_epoch, n.round, n.state
            ),
            PeerMessage::Zab { packet, .. } => match packet {
                ZabPacket::LearnerInfo {
                    accepted_epoch,
                    last_zxid,
                    ..
                } => write!(
                    f,
                    "{} acceptedEpoch {accepted_epoch} last {last_zxid}",
                    self.kind()
                ),
                ZabPacket::LeaderInfo { new_epoch } => write!(f, "LEADERINFO epoch {new_epoch}"),
                ZabPacket::AckEpoch {
                    current_epoch,
                    last_zxid,
                } => match current_epoch {
                    Some(epoch) => write!(f, "ACKEPOCH currentEpoch {epoch} last {last_zxid}"),
                    None => write!(f, "ACKEPOCH (already accepted) last {last_zxid}"),
                },
                ZabPacket::Diff { last_zxid, .. } => write!(f, "DIFF to {last_zxid}"),
                ZabPacket::Trunc { zxid } => write!(f, "TRUNC to {zxid}"),
                ZabPacket::Snap(image) => write!(f, "SNAP at {}", image.zxid),
                ZabPacket::Proposal(entry) => write!(f, "PROPOSAL {}", entry.header.zxid),
                ZabPacket::Commit { zxid } => write!(f, "COMMIT {zxid}"),
                ZabPacket::Inform(entry) => write!(f, "INFORM {}", entry.header.zxid),
                ZabPacket::NewLeader { zxid } => write!(f, "NEWLEADER {zxid}"),
                ZabPacket::Ack { zxid } => write!(f, "ACK {zxid}"),
                ZabPacket::UpToDate => write!(f, "UPTODATE"),
                ZabPacket::Ping { sessions } if sessions.is_empty() => write!(f, "PING"),
                ZabPacket::Ping { sessions } => write!(f, "PING ({} sessions)", sessions.len()),
                ZabPacket::Request(request) => {
                    write!(f, "REQUEST session {:#x}", request.session)
                }
            },
        }
    }
}
