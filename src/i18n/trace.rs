//! Trace events and vote reasons in the viewer's language.

use super::{Lang, Msg};
use crate::peer::election::VoteReason;
use crate::peer::message::PeerState;
use crate::peer::trace::{TraceEvent, TraceKind};
use crate::peer::ZabPhase;

pub fn describe_vote_reason(lang: Lang, reason: VoteReason) -> &'static str {
    lang.t(match reason {
        VoteReason::NewRound => Msg::ReasonNewRound,
        VoteReason::JoinedNewerRound => Msg::ReasonJoinedNewerRound,
        VoteReason::HigherEpoch => Msg::ReasonHigherEpoch,
        VoteReason::HigherZxid => Msg::ReasonHigherZxid,
        VoteReason::HigherMyid => Msg::ReasonHigherMyid,
    })
}

pub fn role_name(lang: Lang, state: PeerState) -> &'static str {
    lang.t(match state {
        PeerState::Looking => Msg::RoleLooking,
        PeerState::Following => Msg::RoleFollowing,
        PeerState::Leading => Msg::RoleLeading,
        PeerState::Observing => Msg::RoleObserving,
    })
}

pub fn phase_name(lang: Lang, phase: ZabPhase) -> &'static str {
    lang.t(match phase {
        ZabPhase::Election => Msg::PhaseElection,
        ZabPhase::Discovery => Msg::PhaseDiscovery,
        ZabPhase::Synchronization => Msg::PhaseSynchronization,
        ZabPhase::Broadcast => Msg::PhaseBroadcast,
    })
}

/// What the event says, without its time and server (the timeline shows those apart).
/// Reasons that the core gives as free text (why a leader gave up, why a message was lost)
/// stay in English.
pub fn describe_trace(lang: Lang, event: &TraceEvent) -> String {
    let fill = |msg: Msg, args: &[&dyn std::fmt::Display]| lang.fill(msg, args);
    match &event.kind {
        TraceKind::Booted {
            last_zxid,
            accepted_epoch,
            current_epoch,
        } => fill(
            Msg::TraceBooted,
            &[last_zxid, accepted_epoch, current_epoch],
        ),
        TraceKind::Crashed => lang.t(Msg::TraceCrashed).to_string(),
        TraceKind::Paused => lang.t(Msg::TracePaused).to_string(),
        TraceKind::Resumed => lang.t(Msg::TraceResumed).to_string(),
        TraceKind::StateChanged {
            state,
            phase,
            epoch,
        } => fill(
            Msg::TraceStateChanged,
            &[&role_name(lang, *state), &phase_name(lang, *phase), epoch],
        ),
        TraceKind::ElectionStarted { round, vote } => {
            fill(Msg::TraceElectionStarted, &[round, vote])
        }
        TraceKind::VoteChanged { from, to, reason } => fill(
            Msg::TraceVoteChanged,
            &[from, to, &describe_vote_reason(lang, *reason)],
        ),
        TraceKind::Finalizing { until } => fill(Msg::TraceFinalizing, &[until]),
        TraceKind::ElectionDecided { leader, round } => {
            fill(Msg::TraceElectionDecided, &[leader, round])
        }
        TraceKind::AcceptedEpoch { epoch } => fill(Msg::TraceAcceptedEpoch, &[epoch]),
        TraceKind::CurrentEpoch { epoch } => fill(Msg::TraceCurrentEpoch, &[epoch]),
        TraceKind::SyncChosen {
            learner,
            mode,
            peer_last,
            leader_last,
        } => fill(
            Msg::TraceSyncChosen,
            &[learner, mode, peer_last, leader_last],
        ),
        TraceKind::Truncated { to, dropped } => fill(Msg::TraceTruncated, &[to, dropped]),
        TraceKind::SnapshotInstalled { zxid } => fill(Msg::TraceSnapshotInstalled, &[zxid]),
        TraceKind::SnapshotTaken { zxid } => fill(Msg::TraceSnapshotTaken, &[zxid]),
        TraceKind::LeaderEstablished { epoch } => fill(Msg::TraceLeaderEstablished, &[epoch]),
        TraceKind::Proposed { zxid } => fill(Msg::TraceProposed, &[zxid]),
        TraceKind::AckReceived { zxid, from } => fill(Msg::TraceAckReceived, &[zxid, from]),
        TraceKind::Committed { zxid } => fill(Msg::TraceCommitted, &[zxid]),
        TraceKind::Logged { zxid } => fill(Msg::TraceLogged, &[zxid]),
        TraceKind::LeaderGaveUp { reason } => fill(Msg::TraceLeaderGaveUp, &[reason]),
        TraceKind::LearnerDropped { learner, reason } => {
            fill(Msg::TraceLearnerDropped, &[learner, reason])
        }
        TraceKind::LeftLeader { reason } => fill(Msg::TraceLeftLeader, &[reason]),
        TraceKind::MessageLost {
            from,
            to,
            kind,
            why,
        } => fill(Msg::TraceMessageLost, &[kind, from, to, why]),
        TraceKind::DiskDone { step } => fill(Msg::TraceDiskDone, &[step]),
        TraceKind::Client { client, what } => fill(Msg::TraceClient, &[client, what]),
        TraceKind::Violation { invariant, detail } => {
            fill(Msg::TraceViolation, &[invariant, detail])
        }
        TraceKind::Note { text } => text.clone(),
        TraceKind::ObserverAdded { observer } => fill(Msg::TraceObserverAdded, &[observer]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{SimConfig, Simulation};
    use crate::time::VirtualTime;

    #[test]
    fn every_event_of_an_election_reads_in_both_languages() {
        let mut sim = Simulation::new(SimConfig::default()).unwrap();
        sim.run_until(VirtualTime::from_millis(5000));
        assert!(!sim.trace().is_empty());
        for event in sim.trace() {
            let (en, zh) = (
                describe_trace(Lang::En, event),
                describe_trace(Lang::Zh, event),
            );
            assert!(!en.is_empty() && !zh.is_empty());
            assert!(!en.contains('{') || en.contains("{\""), "unfilled: {en}");
            assert!(
                event.to_string().ends_with(&en)
                    || matches!(
                        event.kind,
                        TraceKind::VoteChanged { .. }
                            | TraceKind::StateChanged { .. }
                            | TraceKind::Truncated { .. }
                            | TraceKind::SnapshotInstalled { .. }
                    ),
                "{event} vs {en}"
            );
        }
    }
}
