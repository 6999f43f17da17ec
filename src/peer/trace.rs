//! Structured trace events: everything a person would want to see a server (or the
//! simulator around it) do, stamped with virtual time. The UI's timeline, the native
//! `sim` command and the determinism checks all read the same events.

use super::election::{Vote, VoteReason};
use super::message::{PeerState, ServerId};
use super::ZabPhase;
use crate::data::types::Zxid;
use crate::time::VirtualTime;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEvent {
    pub at: VirtualTime,
    pub server: ServerId,
    pub kind: TraceKind,
}

/// Why a leader stops leading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeaderGaveUp {
    /// Discovery and synchronization did not gather a quorum within initLimit ticks.
    NoQuorumWithinInitLimit,
    /// Fewer than a quorum of synchronized followers are still heard from.
    LostSyncedQuorum,
    /// A follower's ACKEPOCH shows more history than the leader's: the election erred.
    LearnerAhead {
        learner: ServerId,
        epoch: u32,
        zxid: Zxid,
    },
}

impl fmt::Display for LeaderGaveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LeaderGaveUp::NoQuorumWithinInitLimit => {
                f.write_str("no quorum of followers within initLimit")
            }
            LeaderGaveUp::LostSyncedQuorum => f.write_str("lost the quorum of synced followers"),
            LeaderGaveUp::LearnerAhead {
                learner,
                epoch,
                zxid,
            } => write!(f, "server {learner} is ahead (epoch {epoch}, zxid {zxid})"),
        }
    }
}

/// Why a leader drops a learner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LearnerDropped {
    /// Silent for longer than syncLimit, or not synchronized within initLimit.
    Silent,
    ConnectionClosed,
}

impl fmt::Display for LearnerDropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LearnerDropped::Silent => {
                "silent for longer than syncLimit, or not synchronized within initLimit"
            }
            LearnerDropped::ConnectionClosed => "connection closed",
        })
    }
}

/// Why a follower or observer leaves its leader and looks for another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeftLeader {
    /// Nothing heard for syncLimit ticks (initLimit while synchronizing).
    Silent {
        leader: ServerId,
    },
    ConnectionClosed {
        leader: ServerId,
    },
    /// LEADERINFO offered an epoch older than one this server already accepted (ZAB's
    /// discovery rule: it must wait for a leader of a newer epoch).
    EpochOlderThanAccepted {
        offered: u32,
        accepted: u32,
    },
    /// A packet that has no place in the learner's stage (`stage` as the code names it).
    UnexpectedPacket {
        packet: String,
        stage: String,
    },
    TruncateBelowSnapshot {
        zxid: Zxid,
    },
    ProposalNotAfter {
        zxid: Zxid,
        last: Zxid,
    },
    InformNotAfter {
        zxid: Zxid,
        last: Zxid,
    },
    /// An INFORM while a proposal of the synchronization still waits for its COMMIT.
    InformPastPending {
        zxid: Zxid,
        pending: Zxid,
    },
    /// A COMMIT that is not for the oldest pending proposal.
    CommitOutOfOrder {
        zxid: Zxid,
        pending: Option<Zxid>,
    },
}

impl fmt::Display for LeftLeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LeftLeader::Silent { leader } => write!(f, "leader {leader} silent"),
            LeftLeader::ConnectionClosed { leader } => {
                write!(f, "connection to leader {leader} closed")
            }
            LeftLeader::EpochOlderThanAccepted { offered, accepted } => write!(
                f,
                "leader's epoch {offered} is older than accepted epoch {accepted}"
            ),
            LeftLeader::UnexpectedPacket { packet, stage } => {
                write!(f, "unexpected {packet} while {stage}")
            }
            LeftLeader::TruncateBelowSnapshot { zxid } => {
                write!(f, "cannot truncate to {zxid}, before the snapshot")
            }
            LeftLeader::ProposalNotAfter { zxid, last } => {
                write!(f, "proposal {zxid} is not after {last}")
            }
            LeftLeader::InformNotAfter { zxid, last } => {
                write!(f, "inform {zxid} is not after {last}")
            }
            LeftLeader::InformPastPending { zxid, pending } => {
                write!(
                    f,
                    "inform {zxid} while proposal {pending} awaits its commit"
                )
            }
            LeftLeader::CommitOutOfOrder { zxid, pending } => match pending {
                Some(pending) => write!(
                    f,
                    "commit {zxid} but the next pending proposal is {pending}"
                ),
                None => write!(f, "commit {zxid} but no proposal is pending"),
            },
        }
    }
}

/// Why the simulator lost a message between servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LossCause {
    /// Election notifications on a cut link (ZAB packets wait for it to heal).
    LinkCut,
    DestinationDown,
    DroppedByRule,
    HeldThenDiscarded,
    /// Dropped by a person in manual mode.
    DroppedByHand,
    /// Sent on a ZAB connection that had already lost a packet: TCP never delivers it.
    ConnectionBroke,
}

impl fmt::Display for LossCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LossCause::LinkCut => "link cut",
            LossCause::DestinationDown => "destination is down",
            LossCause::DroppedByRule => "dropped by a rule",
            LossCause::HeldThenDiscarded => "held, then discarded",
            LossCause::DroppedByHand => "dropped by hand",
            LossCause::ConnectionBroke => "its connection broke",
        })
    }
}

/// Why a simulated client lost its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientDisconnect {
    /// Nothing heard for two thirds of the session timeout.
    ServerSilent,
    ClosedByServer,
}

/// Something a simulated client saw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientEvent {
    Connected {
        server: ServerId,
        session: i64,
        /// A new session (false: the same session, moved or reconnected).
        fresh: bool,
    },
    Disconnected {
        server: ServerId,
        why: ClientDisconnect,
    },
    SessionExpired,
    /// A request's answer: the request as `op path`, and ZooKeeper's error code name.
    Answered {
        request: String,
        error: crate::data::types::ErrorCode,
    },
    WatchFired {
        event: crate::data::types::EventType,
        path: String,
    },
}

impl fmt::Display for ClientEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientEvent::Connected {
                server,
                session,
                fresh,
            } => write!(
                f,
                "connected to server {server} ({} session {session:#x})",
                if *fresh { "new" } else { "same" }
            ),
            ClientEvent::Disconnected { server, why } => {
                let why = match why {
                    ClientDisconnect::ServerSilent => "server silent",
                    ClientDisconnect::ClosedByServer => "connection closed by the server",
                };
                write!(f, "disconnected from server {server}: {why}")
            }
            ClientEvent::SessionExpired => f.write_str("session expired"),
            ClientEvent::Answered { request, error } => write!(f, "{request}: {error}"),
            ClientEvent::WatchFired { event, path } => write!(f, "watch fired: {event:?} {path}"),
        }
    }
}

/// How a leader brings a learner up to date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncMode {
    /// Send the transactions the learner is missing.
    Diff,
    /// The learner drops a tail the leader never committed, then gets what it misses.
    Trunc,
    /// The learner is too far behind (or on another branch): send the whole state.
    Snap,
}

impl fmt::Display for SyncMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SyncMode::Diff => "DIFF",
            SyncMode::Trunc => "TRUNC",
            SyncMode::Snap => "SNAP",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TraceKind {
    /// The server process started (first boot or restart) from what its disk holds.
    Booted {
        last_zxid: Zxid,
        accepted_epoch: u32,
        current_epoch: u32,
    },
    /// The server process died; everything it had not made durable is gone.
    Crashed,
    /// A long pause (think garbage collection) began or ended.
    Paused,
    Resumed,
    StateChanged {
        state: PeerState,
        phase: ZabPhase,
        epoch: u32,
    },
    ElectionStarted {
        round: u64,
        vote: Vote,
    },
    VoteChanged {
        from: Vote,
        to: Vote,
        reason: VoteReason,
    },
    /// A quorum agrees with the server's vote; it waits this long for a better one.
    Finalizing {
        until: VirtualTime,
    },
    ElectionDecided {
        leader: ServerId,
        round: u64,
    },
    AcceptedEpoch {
        epoch: u32,
    },
    CurrentEpoch {
        epoch: u32,
    },
    SyncChosen {
        learner: ServerId,
        mode: SyncMode,
        peer_last: Zxid,
        leader_last: Zxid,
    },
    Truncated {
        to: Zxid,
        dropped: usize,
    },
    SnapshotInstalled {
        zxid: Zxid,
    },
    SnapshotTaken {
        zxid: Zxid,
    },
    /// A quorum ACKed NEWLEADER: the leader starts broadcasting and serving.
    LeaderEstablished {
        epoch: u32,
    },
    Proposed {
        zxid: Zxid,
    },
    AckReceived {
        zxid: Zxid,
        from: ServerId,
    },
    Committed {
        zxid: Zxid,
    },
    /// The log is durable through this zxid.
    Logged {
        zxid: Zxid,
    },
    LeaderGaveUp {
        reason: LeaderGaveUp,
    },
    LearnerDropped {
        learner: ServerId,
        reason: LearnerDropped,
    },
    /// A learner left its leader and goes back to looking.
    LeftLeader {
        reason: LeftLeader,
    },
    /// The simulator: a message was lost (destination down, link cut, or a drop rule).
    MessageLost {
        from: ServerId,
        to: ServerId,
        kind: String,
        why: LossCause,
    },
    /// The simulator: a durable step completed.
    DiskDone {
        step: super::durable::DiskStep,
    },
    /// The simulator: a client-visible event (connect, reply, watch, expiry).
    Client {
        client: String,
        what: ClientEvent,
    },
    /// The simulator: the checker found an invariant broken.
    Violation {
        invariant: String,
        detail: String,
    },
    /// The simulator: a scenario said something or a fault was injected.
    Note {
        text: String,
    },
    /// The configuration gained an observer (ZooKeeper's `reconfig -add ...:observer`): it
    /// learns the leader from the others' votes and never counts towards a quorum.
    ObserverAdded {
        observer: ServerId,
    },
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} server {}: ", self.at, self.server)?;
        match &self.kind {
            TraceKind::Booted {
                last_zxid,
                accepted_epoch,
                current_epoch,
            } => write!(
                f,
                "booted (last zxid {last_zxid}, acceptedEpoch {accepted_epoch}, currentEpoch {current_epoch})"
            ),
            TraceKind::Crashed => write!(f, "crashed"),
            TraceKind::Paused => write!(f, "paused"),
            TraceKind::Resumed => write!(f, "resumed"),
            TraceKind::StateChanged {
                state,
                phase,
                epoch,
            } => write!(f, "{state} ({phase}, epoch {epoch})"),
            TraceKind::ElectionStarted { round, vote } => {
                write!(f, "election round {round}, votes {vote}")
            }
            TraceKind::VoteChanged { from, to, reason } => {
                write!(f, "vote {from} -> {to}: {}", reason.describe())
            }
            TraceKind::Finalizing { until } => {
                write!(f, "a quorum agrees; waiting until {until} for a better vote")
            }
            TraceKind::ElectionDecided { leader, round } => {
                write!(f, "decided: server {leader} leads (round {round})")
            }
            TraceKind::AcceptedEpoch { epoch } => write!(f, "acceptedEpoch := {epoch}"),
            TraceKind::CurrentEpoch { epoch } => write!(f, "currentEpoch := {epoch}"),
            TraceKind::SyncChosen {
                learner,
                mode,
                peer_last,
                leader_last,
            } => write!(
                f,
                "syncs server {learner} by {mode} (its last {peer_last}, ours {leader_last})"
            ),
            TraceKind::Truncated { to, dropped } => {
                write!(f, "truncated log to {to} ({dropped} dropped)")
            }
            TraceKind::SnapshotInstalled { zxid } => write!(f, "installed leader's state at {zxid}"),
            TraceKind::SnapshotTaken { zxid } => write!(f, "snapshot at {zxid}"),
            TraceKind::LeaderEstablished { epoch } => {
                write!(f, "established as leader of epoch {epoch}")
            }
            TraceKind::Proposed { zxid } => write!(f, "proposed {zxid}"),
            TraceKind::AckReceived { zxid, from } => write!(f, "ACK {zxid} from {from}"),
            TraceKind::Committed { zxid } => write!(f, "committed {zxid}"),
            TraceKind::Logged { zxid } => write!(f, "log durable through {zxid}"),
            TraceKind::LeaderGaveUp { reason } => write!(f, "stops leading: {reason}"),
            TraceKind::LearnerDropped { learner, reason } => {
                write!(f, "drops learner {learner}: {reason}")
            }
            TraceKind::LeftLeader { reason } => write!(f, "leaves its leader: {reason}"),
            TraceKind::MessageLost {
                from,
                to,
                kind,
                why,
            } => write!(f, "{kind} from {from} to {to} lost: {why}"),
            TraceKind::DiskDone { step } => write!(f, "disk: {step} done"),
            TraceKind::Client { client, what } => write!(f, "client {client}: {what}"),
            TraceKind::Violation { invariant, detail } => {
                write!(f, "INVARIANT VIOLATED: {invariant}: {detail}")
            }
            TraceKind::Note { text } => write!(f, "{text}"),
            TraceKind::ObserverAdded { observer } => {
                write!(f, "configuration: observer {observer} added")
            }
        }
    }
}
