//! Trace events and vote reasons in the viewer's language.

use super::{Lang, Msg};
use crate::peer::durable::DiskStep;
use crate::peer::election::VoteReason;
use crate::peer::message::PeerState;
use crate::peer::trace::{
    ClientDisconnect, ClientEvent, LeaderGaveUp, LearnerDropped, LeftLeader, LossCause, TraceEvent,
    TraceKind,
};
use crate::peer::ZabPhase;
use crate::sim::Pending;

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

fn leader_gave_up(lang: Lang, reason: &LeaderGaveUp) -> String {
    match reason {
        LeaderGaveUp::NoQuorumWithinInitLimit => lang.t(Msg::GaveUpInitLimit).to_string(),
        LeaderGaveUp::LostSyncedQuorum => lang.t(Msg::GaveUpLostQuorum).to_string(),
        LeaderGaveUp::LearnerAhead {
            learner,
            epoch,
            zxid,
        } => lang.fill(Msg::GaveUpLearnerAhead, &[learner, epoch, zxid]),
    }
}

fn learner_dropped(lang: Lang, reason: LearnerDropped) -> &'static str {
    lang.t(match reason {
        LearnerDropped::Silent => Msg::DroppedSilent,
        LearnerDropped::ConnectionClosed => Msg::DroppedClosed,
    })
}

fn left_leader(lang: Lang, reason: &LeftLeader) -> String {
    match reason {
        LeftLeader::Silent { leader } => lang.fill(Msg::LeftSilent, &[leader]),
        LeftLeader::ConnectionClosed { leader } => lang.fill(Msg::LeftClosed, &[leader]),
        LeftLeader::EpochOlderThanAccepted { offered, accepted } => {
            lang.fill(Msg::LeftEpochOlder, &[offered, accepted])
        }
        LeftLeader::UnexpectedPacket { packet, stage } => {
            lang.fill(Msg::LeftUnexpected, &[packet, stage])
        }
        LeftLeader::TruncateBelowSnapshot { zxid } => {
            lang.fill(Msg::LeftTruncateBelowSnapshot, &[zxid])
        }
        LeftLeader::ProposalNotAfter { zxid, last } => {
            lang.fill(Msg::LeftProposalNotAfter, &[zxid, last])
        }
        LeftLeader::InformNotAfter { zxid, last } => {
            lang.fill(Msg::LeftInformNotAfter, &[zxid, last])
        }
        LeftLeader::InformPastPending { zxid, pending } => {
            lang.fill(Msg::LeftInformPastPending, &[zxid, pending])
        }
        LeftLeader::CommitOutOfOrder {
            zxid,
            pending: Some(pending),
        } => lang.fill(Msg::LeftCommitOutOfOrder, &[zxid, pending]),
        LeftLeader::CommitOutOfOrder {
            zxid,
            pending: None,
        } => lang.fill(Msg::LeftCommitNothingPending, &[zxid]),
    }
}

pub fn loss_cause(lang: Lang, cause: LossCause) -> &'static str {
    lang.t(match cause {
        LossCause::LinkCut => Msg::LostLinkCut,
        LossCause::DestinationDown => Msg::LostDestinationDown,
        LossCause::DroppedByRule => Msg::LostDroppedByRule,
        LossCause::HeldThenDiscarded => Msg::LostHeldThenDiscarded,
        LossCause::DroppedByHand => Msg::LostDroppedByHand,
        LossCause::ConnectionBroke => Msg::LostConnectionBroke,
    })
}

/// A client's event. Request names (`create /a`), error codes (`NoNode`) and watch event
/// types (`NodeCreated`) are ZooKeeper's own identifiers and read the same in both languages.
fn client_event(lang: Lang, event: &ClientEvent) -> String {
    match event {
        ClientEvent::Connected {
            server,
            session,
            fresh,
        } => {
            let msg = if *fresh {
                Msg::ClientConnectedNew
            } else {
                Msg::ClientConnectedSame
            };
            lang.fill(msg, &[server, &format!("{session:#x}")])
        }
        ClientEvent::Disconnected { server, why } => lang.fill(
            match why {
                ClientDisconnect::ServerSilent => Msg::ClientDisconnectedSilent,
                ClientDisconnect::ClosedByServer => Msg::ClientDisconnectedClosed,
            },
            &[server],
        ),
        ClientEvent::SessionExpired => lang.t(Msg::ClientSessionExpired).to_string(),
        ClientEvent::Answered { request, error } => {
            lang.fill(Msg::ClientAnswered, &[request, error])
        }
        ClientEvent::WatchFired { event, path } => {
            lang.fill(Msg::ClientWatchFired, &[&format!("{event:?}"), path])
        }
    }
}

pub fn disk_step(lang: Lang, step: &DiskStep) -> String {
    match step {
        DiskStep::Append { first, last } if first == last => {
            lang.fill(Msg::DiskAppendOne, &[first])
        }
        DiskStep::Append { first, last } => lang.fill(Msg::DiskAppendRange, &[first, last]),
        DiskStep::AppendNothing => lang.t(Msg::DiskAppendNothing).to_string(),
        DiskStep::Fsync => lang.t(Msg::DiskFsync).to_string(),
        DiskStep::AcceptedEpoch(epoch) => lang.fill(Msg::DiskAcceptedEpoch, &[epoch]),
        DiskStep::CurrentEpoch(epoch) => lang.fill(Msg::DiskCurrentEpoch, &[epoch]),
        DiskStep::Snapshot(zxid) => lang.fill(Msg::DiskSnapshot, &[zxid]),
        DiskStep::Truncate { after } => lang.fill(Msg::DiskTruncate, &[after]),
    }
}

/// What a pending event of the manual mode will do. Message summaries (`PROPOSAL 1:3`),
/// timer names and requests (`create /a`) are the protocol's own words.
pub fn describe_pending(lang: Lang, pending: &Pending) -> String {
    match pending {
        Pending::Boot { server } => lang.fill(Msg::PendingBoot, &[server]),
        Pending::Deliver { message, from, to } => {
            lang.fill(Msg::PendingDeliver, &[message, from, to])
        }
        Pending::Timer { server, timer } => {
            lang.fill(Msg::PendingTimer, &[server, &format!("{timer:?}")])
        }
        Pending::Disk {
            server,
            step: Some(step),
        } => lang.fill(Msg::PendingDisk, &[server, &disk_step(lang, step)]),
        Pending::Disk { server, step: None } => lang.fill(Msg::PendingDiskGone, &[server]),
        Pending::ConnectionClosed { server, peer } => {
            lang.fill(Msg::PendingConnectionClosed, &[server, peer])
        }
        Pending::ClientConnects { server } => lang.fill(Msg::PendingConnect, &[server]),
        Pending::ClientRequest { server, request } => {
            lang.fill(Msg::PendingRequest, &[server, request])
        }
        Pending::ClientDisconnects { server } => lang.fill(Msg::PendingDisconnect, &[server]),
        Pending::ToClient => lang.t(Msg::PendingToClient).to_string(),
        Pending::ClientTick { client } => lang.fill(Msg::PendingClientTick, &[client]),
        Pending::ClientReconnect { client } => lang.fill(Msg::PendingClientReconnect, &[client]),
    }
}

/// What the event says, without its time and server (the timeline shows those apart).
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
        TraceKind::LeaderGaveUp { reason } => {
            fill(Msg::TraceLeaderGaveUp, &[&leader_gave_up(lang, reason)])
        }
        TraceKind::LearnerDropped { learner, reason } => fill(
            Msg::TraceLearnerDropped,
            &[learner, &learner_dropped(lang, *reason)],
        ),
        TraceKind::LeftLeader { reason } => {
            fill(Msg::TraceLeftLeader, &[&left_leader(lang, reason)])
        }
        TraceKind::MessageLost {
            from,
            to,
            kind,
            why,
        } => fill(
            Msg::TraceMessageLost,
            &[kind, from, to, &loss_cause(lang, *why)],
        ),
        TraceKind::DiskDone { step } => fill(Msg::TraceDiskDone, &[&disk_step(lang, step)]),
        TraceKind::Client { client, what } => {
            fill(Msg::TraceClient, &[client, &client_event(lang, what)])
        }
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

    /// Every reason the core gives reads in Chinese, and in English exactly as the core's
    /// own text (which the native `sim` command prints).
    #[test]
    fn every_reason_and_client_event_reads_in_both_languages() {
        use crate::data::types::{ErrorCode, EventType, Zxid};
        let zxid = Zxid::new(2, 5);
        let gave_up = [
            LeaderGaveUp::NoQuorumWithinInitLimit,
            LeaderGaveUp::LostSyncedQuorum,
            LeaderGaveUp::LearnerAhead {
                learner: 3,
                epoch: 2,
                zxid,
            },
        ];
        let left = [
            LeftLeader::Silent { leader: 3 },
            LeftLeader::ConnectionClosed { leader: 3 },
            LeftLeader::EpochOlderThanAccepted {
                offered: 2,
                accepted: 3,
            },
            LeftLeader::UnexpectedPacket {
                packet: "DIFF".into(),
                stage: "Broadcast".into(),
            },
            LeftLeader::TruncateBelowSnapshot { zxid },
            LeftLeader::ProposalNotAfter { zxid, last: zxid },
            LeftLeader::InformNotAfter { zxid, last: zxid },
            LeftLeader::InformPastPending {
                zxid,
                pending: zxid,
            },
            LeftLeader::CommitOutOfOrder {
                zxid,
                pending: Some(zxid),
            },
            LeftLeader::CommitOutOfOrder {
                zxid,
                pending: None,
            },
        ];
        let losses = [
            LossCause::LinkCut,
            LossCause::DestinationDown,
            LossCause::DroppedByRule,
            LossCause::HeldThenDiscarded,
            LossCause::DroppedByHand,
            LossCause::ConnectionBroke,
        ];
        let clients = [
            ClientEvent::Connected {
                server: 2,
                session: 0x300000000000000,
                fresh: true,
            },
            ClientEvent::Connected {
                server: 2,
                session: 7,
                fresh: false,
            },
            ClientEvent::Disconnected {
                server: 2,
                why: ClientDisconnect::ServerSilent,
            },
            ClientEvent::Disconnected {
                server: 2,
                why: ClientDisconnect::ClosedByServer,
            },
            ClientEvent::SessionExpired,
            ClientEvent::Answered {
                request: "create /a".into(),
                error: ErrorCode::NoNode,
            },
            ClientEvent::WatchFired {
                event: EventType::NodeCreated,
                path: "/a".into(),
            },
        ];
        let mut kinds: Vec<TraceKind> = Vec::new();
        kinds.extend(
            gave_up
                .into_iter()
                .map(|reason| TraceKind::LeaderGaveUp { reason }),
        );
        kinds.extend(
            left.into_iter()
                .map(|reason| TraceKind::LeftLeader { reason }),
        );
        kinds.extend(
            [LearnerDropped::Silent, LearnerDropped::ConnectionClosed]
                .into_iter()
                .map(|reason| TraceKind::LearnerDropped { learner: 2, reason }),
        );
        kinds.extend(losses.into_iter().map(|why| TraceKind::MessageLost {
            from: 1,
            to: 2,
            kind: "ACK".into(),
            why,
        }));
        kinds.extend(clients.into_iter().map(|what| TraceKind::Client {
            client: "alice".into(),
            what,
        }));
        for kind in kinds {
            let event = TraceEvent {
                at: VirtualTime::from_millis(1),
                server: 1,
                kind,
            };
            let (en, zh) = (
                describe_trace(Lang::En, &event),
                describe_trace(Lang::Zh, &event),
            );
            assert!(event.to_string().ends_with(&en), "{event} vs {en}");
            assert_ne!(en, zh, "untranslated: {en}");
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "no Chinese in {zh}"
            );
        }
    }

    /// The manual mode's list and the disk's steps read in Chinese, and in English exactly
    /// as the core writes them.
    #[test]
    fn every_pending_event_and_disk_step_reads_in_both_languages() {
        use crate::data::types::Zxid;
        use crate::peer::TimerKind;
        let zxid = Zxid::new(1, 3);
        let steps = [
            DiskStep::Append {
                first: zxid,
                last: zxid,
            },
            DiskStep::Append {
                first: Zxid::new(1, 1),
                last: zxid,
            },
            DiskStep::AppendNothing,
            DiskStep::Fsync,
            DiskStep::AcceptedEpoch(2),
            DiskStep::CurrentEpoch(2),
            DiskStep::Snapshot(zxid),
            DiskStep::Truncate { after: zxid },
        ];
        let mut pending: Vec<Pending> = vec![
            Pending::Boot { server: 1 },
            Pending::Deliver {
                message: "PROPOSAL 1:3".into(),
                from: 1,
                to: 2,
            },
            Pending::Timer {
                server: 1,
                timer: TimerKind::Heartbeat,
            },
            Pending::Disk {
                server: 1,
                step: None,
            },
            Pending::ConnectionClosed { server: 1, peer: 2 },
            Pending::ClientRequest {
                server: 1,
                request: "create /a".into(),
            },
            Pending::ClientConnects { server: 1 },
            Pending::ClientDisconnects { server: 1 },
            Pending::ToClient,
            Pending::ClientTick {
                client: "alice".into(),
            },
            Pending::ClientReconnect {
                client: "alice".into(),
            },
        ];
        pending.extend(steps.iter().map(|&step| Pending::Disk {
            server: 2,
            step: Some(step),
        }));
        let chinese = |text: &str| text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for what in &pending {
            let (en, zh) = (
                describe_pending(Lang::En, what),
                describe_pending(Lang::Zh, what),
            );
            assert_eq!(en, what.to_string());
            assert!(chinese(&zh), "untranslated: {zh}");
        }
        for step in &steps {
            let event = TraceEvent {
                at: VirtualTime::from_millis(1),
                server: 1,
                kind: TraceKind::DiskDone { step: *step },
            };
            let en = describe_trace(Lang::En, &event);
            assert!(event.to_string().ends_with(&en), "{event} vs {en}");
            assert!(chinese(&describe_trace(Lang::Zh, &event)));
        }
    }
}
