//! The ensemble on the simulator, phase by phase: election, discovery, synchronization,
//! broadcast, and the failures each must survive. Every test also asserts that the checker
//! found no invariant broken.

use super::clients::Outcome;
use super::network::{MessageFilter, Rule, RuleKind};
use super::test_support::*;
use super::*;
use crate::data::types::{CreateMode, ErrorCode, Zxid};
use crate::peer::durable::DiskKind;
use crate::peer::trace::LeftLeader;
use crate::proto::records::{PathWatchRequest, Request};

fn secs(s: u64) -> VirtualTime {
    VirtualTime::from_millis(s * 1000)
}

fn state_of(sim: &Simulation, id: ServerId) -> Option<PeerState> {
    sim.peer(id).map(|p| p.state())
}

fn get(path: &str) -> Request {
    Request::GetData(PathWatchRequest {
        path: path.to_string(),
        watch: false,
    })
}

fn trace_tail(sim: &Simulation, n: usize) -> String {
    let trace = sim.trace();
    trace[trace.len().saturating_sub(n)..]
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn election_of_three_with_equal_zxids_picks_the_highest_myid() {
    let mut sim = ensemble(3, 7);
    assert_eq!(elected(&mut sim), 3);
    run_for(&mut sim, 1000);
    assert_eq!(state_of(&sim, 1), Some(PeerState::Following));
    assert_eq!(state_of(&sim, 2), Some(PeerState::Following));
    for id in 1..=3 {
        assert_eq!(sim.peer(id).unwrap().current_epoch(), 1);
    }
    assert_no_violations(&sim);
}

#[test]
fn election_of_five_also_picks_the_highest_myid() {
    let mut sim = ensemble(5, 3);
    assert_eq!(elected(&mut sim), 5);
    assert_no_violations(&sim);
}

#[test]
fn servers_started_one_by_one_elect_the_third_once_a_majority_of_five_is_up() {
    let mut sim = Simulation::new(SimConfig {
        servers: 5,
        start_stopped: true,
        ..SimConfig::default()
    })
    .unwrap();
    for id in 1..=5 {
        sim.command(Command::Start(id));
        run_for(&mut sim, 3000);
    }
    run_for(&mut sim, 5000);
    assert_eq!(sim.established_leader(), Some(3));
    for id in [1, 2, 4, 5] {
        assert_eq!(
            state_of(&sim, id),
            Some(PeerState::Following),
            "server {id}"
        );
    }
    assert_no_violations(&sim);
}

#[test]
fn a_write_is_committed_on_every_server() {
    let mut sim = ensemble(3, 5);
    elected(&mut sim);
    add_client(&mut sim, "alice", 1);
    let outcome = request(
        &mut sim,
        "alice",
        create("/app", "v1", CreateMode::Persistent),
    );
    assert_eq!(outcome.error(), ErrorCode::Ok);
    run_for(&mut sim, 1000);
    for id in 1..=3 {
        let tree = sim.peer(id).unwrap().tree();
        assert!(tree.exists("/app"), "server {id} lacks /app");
    }
    let read = request(&mut sim, "alice", get("/app"));
    assert_eq!(read.error(), ErrorCode::Ok);
    assert_no_violations(&sim);
}

#[test]
fn a_committed_write_survives_the_leaders_crash() {
    let mut sim = ensemble(3, 11);
    let leader = elected(&mut sim);
    let follower = if leader == 1 { 2 } else { 1 };
    add_client(&mut sim, "alice", follower);
    assert_eq!(
        request(
            &mut sim,
            "alice",
            create("/kept", "x", CreateMode::Persistent)
        )
        .error(),
        ErrorCode::Ok
    );
    sim.command(Command::Crash(leader));
    let new_leader = elected(&mut sim);
    assert_ne!(new_leader, leader);
    assert!(sim.peer(new_leader).unwrap().tree().exists("/kept"));
    sim.command(Command::Restart(leader));
    run_for(&mut sim, 10_000);
    assert_eq!(state_of(&sim, leader), Some(PeerState::Following));
    assert!(sim.peer(leader).unwrap().tree().exists("/kept"));
    assert_no_violations(&sim);
}

#[test]
fn a_proposal_only_the_old_leader_logged_is_truncated_when_it_returns() {
    let mut sim = ensemble(3, 13);
    let leader = elected(&mut sim);
    add_client(&mut sim, "alice", leader);
    assert_eq!(
        request(&mut sim, "alice", create("/a", "1", CreateMode::Persistent)).error(),
        ErrorCode::Ok
    );
    // From now on the followers never see the leader's proposals.
    sim.command(Command::AddRule(Rule {
        kind: RuleKind::Drop,
        filter: MessageFilter {
            kind: Some("PROPOSAL".to_string()),
            from: Some(leader),
            to: None,
        },
    }));
    let xid = sim
        .client_request("alice", create("/lost", "2", CreateMode::Persistent))
        .unwrap();
    let logged = sim.run_until_condition(sim.now() + 5000, |s| {
        s.peer(leader)
            .is_some_and(|p| p.durable_zxid() > Zxid::new(1, 2))
    });
    assert!(logged, "the leader should log its own proposal");
    sim.command(Command::Crash(leader));
    sim.command(Command::RemoveRule(Rule {
        kind: RuleKind::Drop,
        filter: MessageFilter {
            kind: Some("PROPOSAL".to_string()),
            from: Some(leader),
            to: None,
        },
    }));
    let new_leader = elected(&mut sim);
    assert!(!sim.peer(new_leader).unwrap().tree().exists("/lost"));
    sim.command(Command::Restart(leader));
    run_for(&mut sim, 10_000);
    let old = sim.peer(leader).unwrap();
    assert_eq!(old.state(), PeerState::Following);
    assert!(
        !old.tree().exists("/lost"),
        "the unacknowledged write was truncated"
    );
    assert!(old.tree().exists("/a"));
    assert!(sim.trace().iter().any(|e| matches!(
        e.kind,
        TraceKind::SyncChosen {
            mode: crate::peer::trace::SyncMode::Trunc,
            ..
        }
    )));
    let outcome = sim.client("alice").unwrap().outcomes.get(&xid).cloned();
    assert_eq!(outcome, Some(Outcome::ConnectionLoss));
    assert_no_violations(&sim);
}

#[test]
fn a_lagging_follower_catches_up_by_diff_after_restart() {
    let mut sim = ensemble(3, 17);
    let leader = elected(&mut sim);
    let follower = if leader == 1 { 2 } else { 1 };
    add_client(&mut sim, "alice", leader);
    sim.command(Command::Crash(follower));
    for i in 0..5 {
        let path = format!("/n{i}");
        assert_eq!(
            request(
                &mut sim,
                "alice",
                create(&path, "x", CreateMode::Persistent)
            )
            .error(),
            ErrorCode::Ok
        );
    }
    sim.command(Command::Restart(follower));
    run_for(&mut sim, 10_000);
    let peer = sim.peer(follower).unwrap();
    assert_eq!(peer.state(), PeerState::Following);
    assert!(peer.tree().exists("/n4"));
    assert_no_violations(&sim);
}

#[test]
fn a_minority_cannot_elect_and_the_majority_keeps_serving() {
    let mut sim = ensemble(3, 19);
    let leader = elected(&mut sim);
    let others: Vec<ServerId> = (1..=3).filter(|&id| id != leader).collect();
    sim.command(Command::Partition(vec![vec![leader], others.clone()]));
    run_for(&mut sim, 30_000);
    assert_ne!(
        state_of(&sim, leader),
        Some(PeerState::Leading),
        "isolated leader steps down"
    );
    let new_leader = sim.established_leader().expect("the majority elects");
    assert!(others.contains(&new_leader));
    // A LOOKING server resends its vote at doubling intervals of up to 60 s (ZooKeeper's
    // maxNotificationInterval): it may take that long to hear that the link is back.
    sim.command(Command::HealAll);
    run_for(&mut sim, 65_000);
    assert_eq!(
        state_of(&sim, leader),
        Some(PeerState::Following),
        "{}",
        trace_tail(&sim, 40)
    );
    assert_no_violations(&sim);
}

#[test]
fn crash_between_append_and_fsync_loses_the_entry_but_not_safety() {
    let mut sim = ensemble(3, 23);
    let leader = elected(&mut sim);
    let follower = if leader == 1 { 2 } else { 1 };
    add_client(&mut sim, "alice", leader);
    sim.command(Command::HoldDisk {
        server: follower,
        kind: DiskKind::Fsync,
    });
    assert_eq!(
        request(&mut sim, "alice", create("/x", "1", CreateMode::Persistent)).error(),
        ErrorCode::Ok,
        "the third server makes the quorum"
    );
    sim.command(Command::Crash(follower));
    sim.command(Command::ReleaseDisk {
        server: follower,
        kind: DiskKind::Fsync,
    });
    let durable = &sim.disk(follower).unwrap().log;
    assert!(
        durable.iter().all(
            |e| !matches!(&*e.txn, crate::data::txn::Txn::Create { path, .. } if path == "/x")
        ),
        "the write was appended but never fsynced"
    );
    sim.command(Command::Restart(follower));
    run_for(&mut sim, 10_000);
    assert!(sim.peer(follower).unwrap().tree().exists("/x"));
    assert_no_violations(&sim);
}

#[test]
fn an_ephemeral_survives_leader_failover_while_its_session_lives() {
    let mut sim = ensemble(3, 29);
    let leader = elected(&mut sim);
    let follower = if leader == 1 { 2 } else { 1 };
    add_client(&mut sim, "alice", follower);
    assert_eq!(
        request(&mut sim, "alice", create("/e", "", CreateMode::Ephemeral)).error(),
        ErrorCode::Ok
    );
    sim.command(Command::Crash(leader));
    let new_leader = elected(&mut sim);
    run_for(&mut sim, 3000);
    assert!(sim.peer(new_leader).unwrap().tree().exists("/e"));
    assert!(sim.client("alice").unwrap().is_live());
    // The client goes away: its session expires and the ephemeral goes everywhere.
    sim.command(Command::DisconnectClient("alice".to_string()));
    run_for(&mut sim, 20_000);
    for peer in sim.peers() {
        assert!(
            !peer.tree().exists("/e"),
            "server {} still has /e",
            peer.myid()
        );
    }
    assert_no_violations(&sim);
}

#[test]
fn an_observer_follows_without_voting() {
    let mut sim = Simulation::new(SimConfig {
        servers: 3,
        observers: 1,
        seed: 31,
        ..SimConfig::default()
    })
    .unwrap();
    let leader = elected(&mut sim);
    assert_ne!(leader, 4);
    run_for(&mut sim, 2000);
    assert_eq!(state_of(&sim, 4), Some(PeerState::Observing));
    add_client(&mut sim, "olga", 4);
    assert_eq!(
        request(&mut sim, "olga", create("/o", "x", CreateMode::Persistent)).error(),
        ErrorCode::Ok
    );
    run_for(&mut sim, 1000);
    assert!(sim.peer(4).unwrap().tree().exists("/o"));
    assert_no_violations(&sim);
}

#[test]
fn same_seed_gives_identical_trace_and_replay_reaches_the_same_state() {
    let run = |seed| {
        let mut sim = ensemble(3, seed);
        sim.run_until(secs(5));
        sim.command(Command::Crash(3));
        sim.run_until(secs(15));
        sim
    };
    let (a, b) = (run(11), run(11));
    assert_eq!(a.trace(), b.trace());
    assert_eq!(a.trace_hash(), b.trace_hash());
    assert_ne!(a.trace_hash(), run(12).trace_hash());
    let replayed = Simulation::replay(a.config().clone(), a.commands(), a.steps_taken()).unwrap();
    assert_eq!(replayed.trace_hash(), a.trace_hash());
}

#[test]
fn a_few_swarm_seeds_find_nothing_broken() {
    for seed in 1..=3 {
        let (run, sim) = swarm::run_seed(seed);
        assert!(
            run.failure.is_none(),
            "{run}\n{}",
            sim.trace()
                .iter()
                .rev()
                .take(60)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn manual_mode_lists_what_can_happen_and_takes_the_chosen_event_first() {
    let mut sim = ensemble(3, 37);
    sim.run_until(VirtualTime::from_millis(10));
    let pending = sim.pending_events();
    assert!(!pending.is_empty());
    // Take the last thing on the list before everything else.
    let chosen = pending.last().unwrap().clone();
    let steps = sim.steps_taken();
    sim.command(Command::TakeEvent(chosen.key));
    assert_eq!(sim.steps_taken(), steps + 1);
    assert!(!sim.pending_events().iter().any(|e| e.key == chosen.key));
}

#[test]
fn manual_mode_drops_a_message_in_flight_and_says_so() {
    let mut sim = ensemble(3, 41);
    let message = loop {
        sim.step();
        if let Some(event) = sim.pending_events().into_iter().find(|e| e.droppable) {
            break event;
        }
    };
    sim.command(Command::DropInFlight(message.key));
    assert!(!sim.pending_events().iter().any(|e| e.key == message.key));
    assert!(matches!(
        &sim.trace().last().unwrap().kind,
        TraceKind::MessageLost { why, .. } if *why == LossCause::DroppedByHand
    ));
    elected(&mut sim);
    assert_no_violations(&sim);
}

#[test]
fn a_paused_server_hears_nothing_until_it_resumes_then_catches_up() {
    let mut sim = ensemble(3, 43);
    let leader = elected(&mut sim);
    let follower = if leader == 1 { 2 } else { 1 };
    add_client(&mut sim, "alice", leader);
    sim.command(Command::Pause(follower));
    assert_eq!(
        request(
            &mut sim,
            "alice",
            create("/during-pause", "x", CreateMode::Persistent)
        )
        .error(),
        ErrorCode::Ok
    );
    assert!(!sim.peer(follower).unwrap().tree().exists("/during-pause"));
    sim.command(Command::Resume(follower));
    run_for(&mut sim, 20_000);
    assert!(sim.peer(follower).unwrap().tree().exists("/during-pause"));
    assert_no_violations(&sim);
}

#[test]
fn a_session_history_with_replies_out_of_order_or_zxids_going_back_is_reported() {
    let mut client = super::clients::SimClient::new("c".to_string(), 1, 6000);
    client.replies = vec![(1, Zxid::new(1, 1)), (2, Zxid::new(1, 3))];
    assert_eq!(client.history_problem(), None);
    client.replies.push((4, Zxid::new(1, 2)));
    assert!(client
        .history_problem()
        .unwrap()
        .contains("saw zxid 1:2 after 1:3"));
    client.replies = vec![(2, Zxid::new(1, 1)), (1, Zxid::new(1, 2))];
    assert!(client
        .history_problem()
        .unwrap()
        .contains("reply to request 1 came after"));
}

#[test]
fn a_restarted_leader_does_not_hand_out_the_session_ids_of_its_previous_run() {
    let mut sim = ensemble(3, 4);
    let leader = elected(&mut sim);
    add_client(&mut sim, "before", leader);
    // Restarted at once with the same history, the highest myid leads again.
    sim.command(Command::Crash(leader));
    sim.command(Command::Restart(leader));
    let deadline = sim.now() + 30_000;
    let leads_again = sim.run_until_condition(deadline, |s| {
        s.established_leader() == Some(leader)
            && s.peer(leader)
                .is_some_and(|p| p.phase() == ZabPhase::Broadcast)
    });
    assert!(leads_again, "server {leader} did not lead again");
    add_client(&mut sim, "after", leader);
    let session = |name: &str| sim.client(name).unwrap().session_id;
    assert_ne!(session("before"), session("after"));
    assert_no_violations(&sim);
}

#[test]
fn an_observer_added_while_running_syncs_and_never_changes_the_quorum() {
    let mut sim = ensemble(3, 5);
    let leader = elected(&mut sim);
    add_client(&mut sim, "alice", leader);
    assert_eq!(
        request(
            &mut sim,
            "alice",
            create("/before", "b", CreateMode::Persistent)
        )
        .error(),
        ErrorCode::Ok
    );
    sim.command(Command::AddObserver);
    assert_eq!(sim.server_ids(), vec![1, 2, 3, 4]);
    assert_eq!(sim.observer_ids(), vec![4]);
    let observing = sim.run_until_condition(sim.now() + 10_000, |s| {
        state_of(s, 4) == Some(PeerState::Observing)
            && s.peer(4).is_some_and(|p| p.tree().exists("/before"))
    });
    assert!(observing, "{}", trace_tail(&sim, 30));
    assert_eq!(
        sim.established_leader(),
        Some(leader),
        "no election was needed"
    );
    // The quorum is still two of the three participants: with two followers down there
    // is none, whatever the observer does.
    for id in followers(&sim, leader).into_iter().filter(|&id| id != 4) {
        sim.command(Command::Crash(id));
    }
    run_for(&mut sim, 15_000);
    assert_eq!(sim.established_leader(), None);
    // The added observer is part of the configuration a restarted server boots with.
    sim.command(Command::Restart(1));
    sim.command(Command::Restart(2));
    sim.command(Command::Restart(3));
    elected(&mut sim);
    // The observer, looking all along, backs off its notifications (up to a minute, as
    // ZooKeeper does); its next one finds the new leader.
    let observing = sim.run_until_condition(sim.now() + 60_000, |s| {
        state_of(s, 4) == Some(PeerState::Observing)
    });
    assert!(observing, "{}", trace_tail(&sim, 60));
    assert_no_violations(&sim);
}

#[test]
fn a_leader_that_steps_down_closes_its_learners_connections_at_once() {
    let mut sim = Simulation::new(SimConfig {
        servers: 3,
        observers: 1,
        seed: 8,
        ..SimConfig::default()
    })
    .unwrap();
    let leader = elected(&mut sim);
    run_for(&mut sim, 2000);
    let others: Vec<ServerId> = followers(&sim, leader)
        .into_iter()
        .filter(|&id| id != 4)
        .collect();
    for &id in &others {
        sim.command(Command::Crash(id));
    }
    let stepped_down = sim.run_until_condition(sim.now() + 30_000, |s| {
        state_of(s, leader) == Some(PeerState::Looking)
    });
    assert!(stepped_down);
    let gave_up_at = sim.now();
    // The observer hears the close a network delay later, long before syncLimit (10 s).
    let left = sim.run_until_condition(gave_up_at + 1000, |s| {
        state_of(s, 4) == Some(PeerState::Looking)
    });
    assert!(left, "{}", trace_tail(&sim, 20));
    assert!(sim.trace().iter().any(|e| e.server == 4
        && matches!(
            &e.kind,
            TraceKind::LeftLeader {
                reason: LeftLeader::ConnectionClosed { .. }
            }
        )));
}

#[test]
fn a_lost_zab_packet_breaks_its_connection_so_later_packets_never_arrive() {
    use crate::peer::message::{PeerMessage, ZabPacket};
    let mut sim = ensemble(3, 21);
    let leader = elected(&mut sim);
    let follower = followers(&sim, leader)[0];
    let ping = |link| PeerMessage::Zab {
        link,
        packet: ZabPacket::Ping {
            sessions: Vec::new(),
        },
    };
    let now = sim.now();
    let before = sim.trace().len();
    // Connection 7: one packet goes out, the next is lost, a third follows. TCP delivers
    // the first and never the third; connection 8 between the same servers is not affected.
    sim.send(now, leader, follower, ping(7));
    sim.lost(leader, follower, &ping(7), LossCause::DroppedByRule);
    sim.send(now, leader, follower, ping(7));
    sim.send(now, follower, leader, ping(7));
    sim.send(now, leader, follower, ping(8));
    run_for(&mut sim, 100);
    let losses: Vec<(ServerId, LossCause)> = sim.trace()[before..]
        .iter()
        .filter_map(|e| match &e.kind {
            TraceKind::MessageLost { to, why, .. } => Some((*to, *why)),
            _ => None,
        })
        .collect();
    assert_eq!(
        losses,
        [
            (follower, LossCause::DroppedByRule),
            (follower, LossCause::ConnectionBroke),
            (leader, LossCause::ConnectionBroke),
        ]
    );
}

#[test]
fn delaying_a_zab_packet_in_flight_holds_back_what_follows_it_on_its_link() {
    use crate::peer::message::PeerMessage;
    let mut sim = ensemble(3, 4);
    let leader = elected(&mut sim);
    add_client(&mut sim, "alice", leader);
    for i in 0..5 {
        sim.client_request(
            "alice",
            create(&format!("/n{i}"), "x", CreateMode::Persistent),
        );
    }
    // Run until two ZAB packets are in flight on one link from the leader.
    let on_a_link = |s: &Simulation| {
        let zab: Vec<(ServerId, ServerId)> = s
            .deliveries()
            .filter(|d| d.from == leader && matches!(d.message, PeerMessage::Zab { .. }))
            .map(|d| (d.from, d.to))
            .collect();
        zab.iter()
            .find(|link| zab.iter().filter(|l| l == link).count() >= 2)
            .copied()
    };
    assert!(sim.run_until_condition(sim.now() + 5000, |s| on_a_link(s).is_some()));
    let (from, to) = on_a_link(&sim).unwrap();
    let link_packets = |s: &Simulation| -> Vec<(VirtualTime, String)> {
        s.deliveries()
            .filter(|d| {
                d.from == from && d.to == to && matches!(d.message, PeerMessage::Zab { .. })
            })
            .map(|d| (d.key.0, d.message.to_string()))
            .collect()
    };
    let before = link_packets(&sim);
    let first = sim
        .deliveries()
        .find(|d| d.from == from && d.to == to)
        .map(|d| d.key)
        .unwrap();
    sim.command(Command::DelayInFlight {
        key: first,
        ms: 1000,
    });
    let after = link_packets(&sim);
    let held_until = first.0 + 1000;
    // The same packets in the same order, none arriving before the delayed one.
    assert_eq!(
        after.iter().map(|(_, m)| m).collect::<Vec<_>>(),
        before.iter().map(|(_, m)| m).collect::<Vec<_>>()
    );
    assert_eq!(after[0].0, held_until);
    assert!(after.iter().all(|(at, _)| *at >= held_until));
    run_for(&mut sim, 5000);
    assert_no_violations(&sim);
}

#[test]
fn delaying_an_election_notification_delays_it_alone() {
    let mut sim = ensemble(3, 9);
    assert!(
        sim.run_until_condition(VirtualTime::from_millis(1000), |s| s
            .deliveries()
            .filter(|d| d.message.kind() == "NOTIFICATION")
            .count()
            >= 2)
    );
    let before: Vec<EventKey> = sim.deliveries().map(|d| d.key).collect();
    let chosen = before[0];
    sim.command(Command::DelayInFlight {
        key: chosen,
        ms: 500,
    });
    let after: Vec<EventKey> = sim.deliveries().map(|d| d.key).collect();
    assert_eq!(after.len(), before.len());
    assert!(!after.contains(&chosen));
    assert!(after.iter().any(|k| k.0 == chosen.0 + 500));
    // Every other message kept its place.
    assert!(before[1..].iter().all(|k| after.contains(k)));
}
