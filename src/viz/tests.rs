//! The pictures, on real simulations.

use super::clients::clients;
use super::flight::{messages_in_flight, FlightState, MessageFamily};
use super::locks::lock_queues;
use super::tree::{children, children_page, detail, differing_paths, reference_server, NodeDiff};
use super::votes::vote_boxes;
use super::zab::{zab_flow, ProposalStatus, ZabRow};
use crate::data::types::{Acl, CreateMode, ErrorCode, SessionId, Zxid};
use crate::peer::election::VoteReason;
use crate::peer::message::{PeerState, ServerId};
use crate::peer::trace::TraceKind;
use crate::proto::records::{CreateRequest, MultiOp, PathWatchRequest, Request};
use crate::scenario::library::find;
use crate::scenario::run::Runner;
use crate::sim::network::{MessageFilter, Rule, RuleKind};
use crate::sim::test_support::*;
use crate::sim::Command;
use crate::time::VirtualTime;

fn hold(kind: &str) -> Rule {
    Rule {
        kind: RuleKind::Hold,
        filter: MessageFilter {
            kind: Some(kind.to_string()),
            ..MessageFilter::default()
        },
    }
}

fn row_for<'a>(rows: &'a [ZabRow], op: &str) -> &'a ZabRow {
    rows.iter()
        .find(|r| r.op == op)
        .unwrap_or_else(|| panic!("no row for {op} in {rows:#?}"))
}

// ---- votes ----

#[test]
fn after_an_election_every_vote_box_stands_by_the_leader_with_a_quorum_agreeing() {
    let mut sim = ensemble(3, 7);
    let leader = elected(&mut sim);
    run_for(&mut sim, 1000);
    let boxes = vote_boxes(&sim);
    assert_eq!(
        boxes.iter().map(|b| b.server).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    for vote_box in &boxes {
        assert!(vote_box.up && !vote_box.looking && !vote_box.observer);
        assert_eq!(vote_box.quorum, 2);
        assert_eq!(vote_box.vote.map(|v| v.leader), Some(leader));
        assert!(
            vote_box.agreeing.len() >= vote_box.quorum,
            "server {} decided without a quorum in its box: {vote_box:#?}",
            vote_box.server
        );
        for row in &vote_box.rows {
            assert_eq!(row.agrees, vote_box.agreeing.contains(&row.from));
        }
        let froms: Vec<ServerId> = vote_box.rows.iter().map(|r| r.from).collect();
        let mut sorted = froms.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(froms, sorted, "one row per sender, by sender");
    }
    // The leader's box holds every server's vote for it.
    let leader_box = &boxes[leader as usize - 1];
    assert_eq!(leader_box.agreeing, vec![1, 2, 3]);
}

#[test]
fn a_server_that_switches_to_a_better_vote_shows_the_change_the_trace_reports() {
    let mut sim = ensemble(3, 7);
    // Run until server 1 has given up its own vote for a better one.
    let changed = sim.run_until_condition(VirtualTime::from_millis(10_000), |s| {
        vote_boxes(s)[0].last_change.is_some()
    });
    assert!(changed, "server 1 never changed its vote");
    let vote_box = &vote_boxes(&sim)[0];
    let change = vote_box.last_change.clone().expect("a change");
    assert_eq!(change.from.leader, 1);
    assert_ne!(change.to.leader, 1);
    assert_eq!(Some(change.to), vote_box.vote);
    assert_ne!(change.reason, VoteReason::NewRound);
    let traced = sim.trace().iter().rev().find_map(|e| match &e.kind {
        TraceKind::VoteChanged { from, to, reason } if e.server == 1 => Some((*from, *to, *reason)),
        _ => None,
    });
    assert_eq!(traced, Some((change.from, change.to, change.reason)));
    assert!(vote_box.looking);
    assert!(vote_box.agreeing.contains(&1));
}

#[test]
fn a_down_server_has_an_empty_vote_box() {
    let mut sim = ensemble(3, 7);
    elected(&mut sim);
    assert!(sim.crash(1));
    let vote_box = &vote_boxes(&sim)[0];
    assert!(!vote_box.up);
    assert!(vote_box.rows.is_empty() && vote_box.vote.is_none());
}

// ---- messages in flight ----

#[test]
fn messages_in_flight_left_before_now_and_arrive_after_in_agenda_order() {
    let mut sim = ensemble(3, 7);
    for _ in 0..40 {
        sim.step();
    }
    let now = sim.now();
    let flying = messages_in_flight(&sim);
    assert!(!flying.is_empty(), "an election sends notifications");
    let mut last_key = None;
    for message in &flying {
        assert_eq!(message.state, FlightState::Travelling);
        assert!(
            message.sent_at <= now && now <= message.arrives_at,
            "{message:#?}"
        );
        assert_ne!(message.from, message.to);
        let key = message.key.expect("an agenda key");
        assert_eq!(key.0, message.arrives_at);
        assert!(last_key < Some(key), "agenda order");
        last_key = Some(key);
        if message.kind == "NOTIFICATION" {
            assert_eq!(message.family, MessageFamily::Vote);
            assert!(message.summary.starts_with("NOTIFICATION vote"));
            assert!(message.fields.iter().any(|(name, _)| name == "round"));
        }
    }
}

#[test]
fn a_proposal_in_flight_names_its_transaction_and_can_be_dropped_by_its_key() {
    let mut sim = ensemble(3, 7);
    let leader = elected(&mut sim);
    run_for(&mut sim, 1000);
    add_client(&mut sim, "c", leader);
    sim.client_request("c", create("/a", "x", CreateMode::Persistent));
    let found = sim.run_until_condition(sim.now() + 5000, |s| {
        messages_in_flight(s).iter().any(|m| m.kind == "PROPOSAL")
    });
    assert!(found, "no PROPOSAL in flight");
    let flying = messages_in_flight(&sim);
    let proposal = flying.iter().find(|m| m.kind == "PROPOSAL").unwrap();
    assert_eq!(proposal.family, MessageFamily::Proposal);
    assert_eq!(proposal.from, leader);
    assert!(
        proposal.summary.ends_with("create /a"),
        "{}",
        proposal.summary
    );
    assert!(proposal
        .fields
        .contains(&("op".to_string(), "create /a".to_string())));
    assert!(proposal.sent_at <= sim.now() && sim.now() <= proposal.arrives_at);
    let (key, to) = (proposal.key.unwrap(), proposal.to);
    sim.command(Command::DropInFlight(key));
    assert!(messages_in_flight(&sim).iter().all(|m| m.key != Some(key)));
    assert!(sim.trace().iter().any(|e| matches!(
        &e.kind,
        TraceKind::MessageLost { kind, to: lost_to, why, .. }
            if kind == "PROPOSAL" && *lost_to == to && *why == crate::peer::trace::LossCause::DroppedByHand
    )));
}

#[test]
fn a_held_message_is_shown_parked_without_a_key_and_travels_again_once_released() {
    let mut sim = ensemble(3, 7);
    let leader = elected(&mut sim);
    run_for(&mut sim, 1000);
    add_client(&mut sim, "c", leader);
    sim.command(Command::AddRule(hold("COMMIT")));
    request(&mut sim, "c", create("/a", "x", CreateMode::Persistent));
    run_for(&mut sim, 200);
    let held: Vec<_> = messages_in_flight(&sim)
        .into_iter()
        .filter(|m| m.kind == "COMMIT")
        .collect();
    assert_eq!(held.len(), 2, "one COMMIT per follower: {held:#?}");
    for message in &held {
        assert_eq!(message.state, FlightState::Held);
        assert_eq!(message.key, None);
        assert_eq!(message.family, MessageFamily::Commit);
        assert_eq!(message.arrives_at, message.sent_at);
        assert!(message.sent_at < sim.now());
    }
    let released_at = sim.now();
    sim.command(Command::Release(hold("COMMIT").filter));
    let travelling: Vec<_> = messages_in_flight(&sim)
        .into_iter()
        .filter(|m| m.kind == "COMMIT")
        .collect();
    assert_eq!(travelling.len(), 2);
    for message in &travelling {
        assert_eq!(message.state, FlightState::Travelling);
        assert_eq!(message.sent_at, released_at);
        assert!(message.key.is_some());
    }
}

#[test]
fn a_packet_on_a_cut_link_is_stalled_and_the_sync_after_a_restart_is_told_apart() {
    let mut sim = ensemble(3, 7);
    let leader = elected(&mut sim);
    run_for(&mut sim, 1000);
    let follower = followers(&sim, leader)[0];
    sim.command(Command::Cut {
        from: leader,
        to: follower,
        both_ways: false,
    });
    // The next PING to the follower waits on the cut link.
    let stalled = sim.run_until_condition(sim.now() + 3000, |s| {
        messages_in_flight(s)
            .iter()
            .any(|m| m.state == FlightState::Stalled)
    });
    assert!(stalled, "nothing stalled on the cut link");
    let flying = messages_in_flight(&sim);
    let message = flying
        .iter()
        .find(|m| m.state == FlightState::Stalled)
        .unwrap();
    assert_eq!(
        (message.from, message.to, message.key),
        (leader, follower, None)
    );
    assert_eq!(message.arrives_at, message.sent_at);

    // A follower that restarts behind the leader is sent DIFF, the missing proposals and
    // commits, then NEWLEADER: those proposals belong to the synchronization.
    sim.command(Command::HealAll);
    run_for(&mut sim, 3000);
    add_client(&mut sim, "c", leader);
    sim.crash(follower);
    for i in 0..3 {
        request(
            &mut sim,
            "c",
            create(&format!("/n{i}"), "", CreateMode::Persistent),
        );
    }
    sim.command(Command::Restart(follower));
    let mut families = Vec::new();
    let deadline = sim.now() + 10_000;
    while sim.now() < deadline && !families.iter().any(|(k, _)| *k == "NEWLEADER") {
        sim.step();
        families = messages_in_flight(&sim)
            .into_iter()
            .filter(|m| m.to == follower && m.from == leader)
            .map(|m| (m.kind, m.family))
            .collect();
    }
    assert!(
        families.contains(&("DIFF", MessageFamily::Sync)),
        "{families:?}"
    );
    assert!(
        families.contains(&("PROPOSAL", MessageFamily::Sync)),
        "{families:?}"
    );
    assert!(
        families.contains(&("NEWLEADER", MessageFamily::Establish)),
        "{families:?}"
    );
    assert!(
        !families.contains(&("PROPOSAL", MessageFamily::Proposal)),
        "{families:?}"
    );
}

// ---- the ZAB flow ----

#[test]
fn a_write_is_acked_by_a_quorum_committed_then_applied_on_every_server() {
    let mut sim = ensemble(3, 7);
    let leader = elected(&mut sim);
    run_for(&mut sim, 1000);
    add_client(&mut sim, "c", leader);
    request(&mut sim, "c", create("/a", "x", CreateMode::Persistent));
    run_for(&mut sim, 1000);
    let flow = zab_flow(&sim, 10);
    assert_eq!(flow.leader, Some(leader));
    assert_eq!((flow.quorum, flow.participants.clone()), (2, vec![1, 2, 3]));
    assert!(flow.observers.is_empty());
    let zxids: Vec<_> = flow.rows.iter().map(|r| r.zxid).collect();
    let mut sorted = zxids.clone();
    sorted.sort();
    assert_eq!(zxids, sorted, "oldest first");
    let session = row_for(&flow.rows, "createSession");
    let row = row_for(&flow.rows, "create /a");
    assert!(session.zxid < row.zxid);
    assert_eq!(row.leader, Some(leader));
    assert_eq!(row.status, ProposalStatus::Committed);
    assert!(row.committed);
    assert!(row.acked.len() >= flow.quorum, "{row:#?}");
    assert!(row.acked.contains(&leader));
    assert_eq!(row.logged, vec![1, 2, 3]);
    assert_eq!(row.applied, vec![1, 2, 3]);
    assert_eq!(row.committed_on, vec![1, 2, 3]);
    // The limit keeps the newest.
    let last = zab_flow(&sim, 1);
    assert_eq!(last.rows.len(), 1);
    assert_eq!(last.rows[0].zxid, row.zxid);
}

#[test]
fn a_held_commit_leaves_the_write_unapplied_on_the_followers() {
    let mut sim = ensemble(3, 7);
    let leader = elected(&mut sim);
    run_for(&mut sim, 1000);
    add_client(&mut sim, "c", leader);
    sim.command(Command::AddRule(hold("COMMIT")));
    request(&mut sim, "c", create("/a", "x", CreateMode::Persistent));
    run_for(&mut sim, 500);
    let flow = zab_flow(&sim, 10);
    let row = row_for(&flow.rows, "create /a");
    // The leader counted a quorum of ACKs and committed; the followers never heard.
    assert!(row.committed);
    assert_eq!(row.committed_on, vec![leader]);
    assert_eq!(row.applied, vec![leader]);
    assert_eq!(row.logged, vec![1, 2, 3]);
    assert!(row.acked.len() >= 2);
    sim.command(Command::Release(hold("COMMIT").filter));
    run_for(&mut sim, 500);
    let row = row_for(&zab_flow(&sim, 10).rows, "create /a").clone();
    assert_eq!(row.applied, vec![1, 2, 3]);
}

#[test]
fn held_acks_leave_the_proposal_pending_with_only_the_leaders_own_ack() {
    let mut sim = ensemble(3, 7);
    let leader = elected(&mut sim);
    run_for(&mut sim, 1000);
    add_client(&mut sim, "c", leader);
    sim.command(Command::AddRule(hold("ACK")));
    sim.client_request("c", create("/a", "x", CreateMode::Persistent));
    run_for(&mut sim, 500);
    let flow = zab_flow(&sim, 10);
    let row = row_for(&flow.rows, "create /a");
    assert_eq!(row.status, ProposalStatus::Pending);
    assert!(!row.committed && row.committed_on.is_empty() && row.applied.is_empty());
    assert_eq!(row.acked, vec![leader]);
    assert_eq!(
        row.logged,
        vec![1, 2, 3],
        "followers log it, their ACKs are held"
    );
    sim.command(Command::Release(hold("ACK").filter));
    run_for(&mut sim, 500);
    let row = row_for(&zab_flow(&sim, 10).rows, "create /a").clone();
    assert_eq!(row.status, ProposalStatus::Committed);
    // The first released ACK makes a quorum with the leader's own; later ones come after
    // the commit and are not counted.
    assert_eq!(row.acked.len(), 2, "{row:#?}");
    assert!(row.acked.contains(&leader));
}

#[test]
fn a_proposal_only_the_old_leader_logged_is_shown_truncated_under_the_new_one() {
    let mut sim = ensemble(3, 7);
    let old = elected(&mut sim);
    run_for(&mut sim, 1000);
    add_client(&mut sim, "c", old);
    // Nobody hears the proposal; the leader logs it, then dies.
    sim.command(Command::AddRule(Rule {
        kind: RuleKind::Drop,
        filter: MessageFilter {
            kind: Some("PROPOSAL".to_string()),
            ..MessageFilter::default()
        },
    }));
    sim.client_request("c", create("/lost", "", CreateMode::Persistent));
    run_for(&mut sim, 300);
    sim.crash(old);
    sim.command(Command::RemoveRule(Rule {
        kind: RuleKind::Drop,
        filter: MessageFilter {
            kind: Some("PROPOSAL".to_string()),
            ..MessageFilter::default()
        },
    }));
    let new = elected(&mut sim);
    assert_ne!(new, old);
    let flow = zab_flow(&sim, 10);
    let row = row_for(&flow.rows, "create /lost");
    assert_eq!(row.status, ProposalStatus::Truncated);
    assert!(!row.committed);
    assert_eq!(
        row.logged,
        vec![old],
        "only the dead leader's disk holds it"
    );
    assert_eq!(row.leader, Some(old));
}

// ---- the tree ----

#[test]
fn a_write_a_partitioned_follower_missed_is_missing_on_it() {
    let mut sim = ensemble(3, 7);
    let leader = elected(&mut sim);
    run_for(&mut sim, 1000);
    let follower = followers(&sim, leader)[0];
    add_client(&mut sim, "c", leader);
    sim.command(Command::Partition(vec![
        vec![follower],
        followers(&sim, follower),
    ]));
    request(&mut sim, "c", create("/b", "hello", CreateMode::Persistent));
    assert_eq!(reference_server(&sim), Some(leader));

    let on_follower = children(&sim, follower, "/");
    let names: Vec<&str> = on_follower.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["b", "zookeeper"]);
    assert_eq!(on_follower[0].diff, NodeDiff::Missing);
    assert_eq!(on_follower[0].path, "/b");
    assert_eq!(on_follower[1].diff, NodeDiff::Same);
    assert_eq!(on_follower[1].num_children, 2);
    assert!(detail(&sim, follower, "/b").is_none());
    assert_eq!(
        differing_paths(&sim, follower, 10),
        vec![("/b".to_string(), NodeDiff::Missing)]
    );

    // A page of one lists the missing child, and counts both.
    let page = children_page(&sim, follower, "/", 1);
    assert_eq!((page.shown.as_slice(), page.total), (&on_follower[..1], 2));

    let on_leader = children(&sim, leader, "/");
    assert!(on_leader.iter().all(|c| c.diff == NodeDiff::Same));
    assert!(differing_paths(&sim, leader, 10).is_empty());
    let b = detail(&sim, leader, "/b").expect("the leader has /b");
    assert_eq!((b.data.as_str(), b.data_len), ("hello", 5));
    assert_eq!(b.acl, vec!["world:anyone:cdrwa".to_string()]);
    assert_eq!((b.ephemeral_owner, b.owner_client), (None, None));
    assert_eq!(b.stat.data_length, 5);

    // Healed, the follower catches up and nothing differs.
    sim.command(Command::HealAll);
    run_for(&mut sim, 20_000);
    assert!(differing_paths(&sim, follower, 10).is_empty());
    assert!(children(&sim, follower, "/")
        .iter()
        .all(|c| c.diff == NodeDiff::Same));
}

#[test]
fn an_ephemeral_names_its_owner_and_long_data_is_cut() {
    let mut sim = ensemble(3, 7);
    let leader = elected(&mut sim);
    run_for(&mut sim, 1000);
    add_client(&mut sim, "alice", leader);
    let long = "é".repeat(1000);
    request(
        &mut sim,
        "alice",
        create("/e", &long, CreateMode::Ephemeral),
    );
    let e = detail(&sim, leader, "/e").expect("/e");
    let session: SessionId = sim.client("alice").unwrap().session_id;
    assert_eq!(e.ephemeral_owner, Some(session));
    assert_eq!(e.owner_client.as_deref(), Some("alice"));
    assert_eq!(e.data_len, 2000);
    assert!(e.data.ends_with('…'));
    assert!(e.data.chars().count() <= 513, "cut at 1 KiB");
    let child = children(&sim, leader, "/")
        .into_iter()
        .find(|c| c.name == "e")
        .unwrap();
    assert!(child.ephemeral);
    assert!(children(&sim, leader, "/nowhere").is_empty());
}

#[test]
fn ten_thousand_children_are_listed_sorted_with_their_diffs() {
    let mut sim = ensemble(3, 7);
    let leader = elected(&mut sim);
    run_for(&mut sim, 1000);
    add_client(&mut sim, "c", leader);
    request(&mut sim, "c", create("/big", "", CreateMode::Persistent));
    // One multi: ten thousand creates in one transaction.
    let ops = (0..10_000)
        .map(|i| {
            MultiOp::Create(CreateRequest {
                path: format!("/big/n{i}"),
                data: Some(Vec::new()),
                acl: Acl::open_unsafe(),
                flags: CreateMode::Persistent.flag(),
            })
        })
        .collect();
    let outcome = request(&mut sim, "c", Request::Multi(ops));
    assert_eq!(outcome.error(), ErrorCode::Ok);
    run_for(&mut sim, 1000);
    let follower = followers(&sim, leader)[0];
    let listed = children(&sim, follower, "/big");
    assert_eq!(listed.len(), 10_000);
    assert!(listed.windows(2).all(|w| w[0].name < w[1].name));
    assert!(listed
        .iter()
        .all(|c| c.diff == NodeDiff::Same && c.num_children == 0));
    assert_eq!(listed[0].path, "/big/n0");
    for limit in [0, 100, 300, 10_000, 20_000] {
        let page = children_page(&sim, follower, "/big", limit);
        assert_eq!(page.total, 10_000);
        assert_eq!(page.shown, listed[..limit.min(10_000)]);
    }
    assert_eq!(
        row_for(&zab_flow(&sim, 3).rows, "multi (10000)").applied,
        vec![1, 2, 3]
    );
}

// ---- locks ----

/// A lock entry as (node, sequence, client, holder, watching, herd).
type LockSummary<'a> = (&'a str, u64, Option<&'a str>, bool, Option<&'a str>, bool);

/// Runs a shipped scenario's steps until the one whose text is `until` has run.
fn run_scenario_through(runner: &mut Runner, until: &str) {
    loop {
        let position = runner.position();
        let text = runner.scenario().steps[position].action.to_string();
        runner.step().expect("the scenario runs");
        if text == until {
            return;
        }
    }
}

#[test]
fn the_fair_lock_queue_has_one_holder_and_each_waiter_watches_its_predecessor() {
    let scenario = find("fair-lock").expect("shipped").parse().expect("parses");
    let mut runner = Runner::new(scenario, None).expect("runs");
    run_scenario_through(&mut runner, "carol locks /locks");
    let sim = runner.sim();
    let leader = sim.established_leader().expect("leader");
    let queues = lock_queues(sim, leader);
    assert_eq!(queues.len(), 1, "{queues:#?}");
    let queue = &queues[0];
    assert_eq!(queue.path, "/locks");
    let summary: Vec<LockSummary<'_>> = queue
        .entries
        .iter()
        .map(|e| {
            (
                e.node.as_str(),
                e.sequence,
                e.client.as_deref(),
                e.holder,
                e.watching.as_deref(),
                e.herd,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("lock-0000000000", 0, Some("alice"), true, None, false),
            (
                "lock-0000000001",
                1,
                Some("bob"),
                false,
                Some("lock-0000000000"),
                false
            ),
            (
                "lock-0000000002",
                2,
                Some("carol"),
                false,
                Some("lock-0000000001"),
                false
            ),
        ]
    );
    // Every server shows the same queue: the watches are found wherever the clients are.
    for id in sim.server_ids() {
        assert_eq!(lock_queues(sim, id), queues);
    }

    run_scenario_through(&mut runner, "dave herd-locks /herd");
    let sim = runner.sim();
    let queues = lock_queues(sim, sim.established_leader().expect("leader"));
    let herd = queues.iter().find(|q| q.path == "/herd").expect("/herd");
    let holders: Vec<bool> = herd.entries.iter().map(|e| e.holder).collect();
    assert_eq!(holders, [true, false, false]);
    assert_eq!(herd.entries[0].client.as_deref(), Some("bob"));
    for waiter in &herd.entries[1..] {
        assert!(waiter.herd, "{waiter:#?}");
        assert_eq!(waiter.watching.as_deref(), Some("/herd"));
    }
}

// ---- clients ----

#[test]
fn a_client_shows_its_session_connection_and_watches() {
    let mut sim = ensemble(3, 7);
    let leader = elected(&mut sim);
    run_for(&mut sim, 1000);
    let follower = followers(&sim, leader)[0];
    add_client(&mut sim, "zed", follower);
    add_client(&mut sim, "amy", leader);
    request(&mut sim, "amy", create("/w", "", CreateMode::Persistent));
    let errors: Vec<ErrorCode> = [
        Request::GetData(PathWatchRequest {
            path: "/w".to_string(),
            watch: true,
        }),
        Request::Exists(PathWatchRequest {
            path: "/nope".to_string(),
            watch: true,
        }),
        Request::GetChildren(PathWatchRequest {
            path: "/".to_string(),
            watch: true,
        }),
    ]
    .into_iter()
    .map(|r| request(&mut sim, "zed", r).error())
    .collect();
    assert_eq!(errors, [ErrorCode::Ok, ErrorCode::NoNode, ErrorCode::Ok]);
    let views = clients(&sim);
    let names: Vec<&str> = views.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["amy", "zed"]);
    let zed = &views[1];
    assert_eq!(zed.server, Some(follower));
    assert_eq!(zed.state, "CONNECTED");
    assert_eq!(zed.session_id, sim.client("zed").unwrap().session_id);
    assert_ne!(zed.session_id, 0);
    assert_eq!(zed.pending, 0);
    assert_eq!(
        zed.watches,
        vec![
            ("/".to_string(), "child".to_string()),
            ("/nope".to_string(), "exist".to_string()),
            ("/w".to_string(), "data".to_string()),
        ]
    );
    assert!(views[0].watches.is_empty());
    assert_eq!(zed.last_zxid, sim.client("zed").unwrap().last_zxid);
    assert!(zed.last_zxid > Zxid::ZERO);
    assert_eq!(
        sim.peer(follower).map(|p| p.state()),
        Some(PeerState::Following)
    );
}
