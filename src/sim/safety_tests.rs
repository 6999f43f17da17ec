//! One test per ordering rule of `zab-safety.md`: each holds a durable step or a message at
//! exactly the dangerous moment (and often crashes a server there), then checks that the rule
//! was kept and that the checker found nothing broken.

use super::clients::{ClientState, Outcome};
use super::network::{MessageFilter, Rule, RuleKind};
use super::test_support::{assert_no_violations, elected, followers, run_for};
use super::*;
use crate::data::types::{Acl, CreateMode, ErrorCode};
use crate::peer::durable::DiskKind;
use crate::proto::records::{CreateRequest, Request};

fn sim_with(seed: u64, snap_count: u64) -> Simulation {
    Simulation::new(SimConfig {
        seed,
        snap_count,
        ..SimConfig::default()
    })
    .expect("valid config")
}

fn create(path: &str) -> Request {
    Request::Create(CreateRequest {
        path: path.to_string(),
        data: Some(b"x".to_vec()),
        acl: Acl::open_unsafe(),
        flags: CreateMode::Persistent.flag(),
    })
}

fn connect(sim: &mut Simulation, name: &str, server: ServerId) {
    sim.command(Command::AddClient {
        name: name.to_string(),
        server,
        timeout_ms: 20_000,
    });
    let deadline = sim.now() + 10_000;
    assert!(sim.run_until_condition(deadline, |s| {
        s.client(name)
            .is_some_and(|c| c.state == ClientState::Connected)
    }));
}

fn outcome(sim: &Simulation, name: &str, xid: i32) -> Option<Outcome> {
    sim.client(name).and_then(|c| c.outcomes.get(&xid).cloned())
}

fn hold_disk(sim: &mut Simulation, server: ServerId, kind: DiskKind) {
    sim.command(Command::HoldDisk { server, kind });
}

fn release_disk(sim: &mut Simulation, server: ServerId, kind: DiskKind) {
    sim.command(Command::ReleaseDisk { server, kind });
}

#[test]
fn broadcast_a_follower_acks_a_proposal_only_once_it_is_durable() {
    let mut sim = sim_with(41, 100_000);
    let leader = elected(&mut sim);
    connect(&mut sim, "alice", leader);
    for follower in followers(&sim, leader) {
        hold_disk(&mut sim, follower, DiskKind::Fsync);
    }
    let xid = sim.client_request("alice", create("/wait")).unwrap();
    run_for(&mut sim, 5000);
    assert_eq!(
        outcome(&sim, "alice", xid),
        None,
        "no follower has it durable: no commit"
    );
    assert!(sim.peer(leader).unwrap().outstanding_proposals().len() == 1);
    let follower = followers(&sim, leader)[0];
    release_disk(&mut sim, follower, DiskKind::Fsync);
    run_for(&mut sim, 1000);
    assert_eq!(
        outcome(&sim, "alice", xid).map(|o| o.error()),
        Some(ErrorCode::Ok)
    );
    assert_no_violations(&sim);
}

#[test]
fn synchronization_newleader_is_acked_only_after_history_and_current_epoch_are_durable() {
    let mut sim = sim_with(43, 100_000);
    let leader = elected(&mut sim);
    let lagging = followers(&sim, leader)[0];
    connect(&mut sim, "alice", leader);
    sim.command(Command::Crash(lagging));
    let xid = sim.client_request("alice", create("/missed")).unwrap();
    run_for(&mut sim, 2000);
    assert_eq!(
        outcome(&sim, "alice", xid).map(|o| o.error()),
        Some(ErrorCode::Ok)
    );
    // It comes back and is sent DIFF + NEWLEADER; its currentEpoch write is held.
    hold_disk(&mut sim, lagging, DiskKind::CurrentEpoch);
    sim.command(Command::Restart(lagging));
    run_for(&mut sim, 3000);
    let peer = sim.peer(lagging).unwrap();
    assert_eq!(
        peer.phase(),
        ZabPhase::Synchronization,
        "no ACK of NEWLEADER yet"
    );
    assert!(
        peer.durable_zxid() >= peer.last_logged_zxid(),
        "history durable first"
    );
    let view = sim.peer(leader).unwrap().learners();
    let stage = view.iter().find(|l| l.id == lagging).map(|l| l.stage);
    assert_eq!(stage, Some("synced, sent NEWLEADER"));
    // A crash between the history and currentEpoch leaves a server that restarts and rejoins.
    sim.command(Command::Crash(lagging));
    release_disk(&mut sim, lagging, DiskKind::CurrentEpoch);
    sim.command(Command::Restart(lagging));
    run_for(&mut sim, 5000);
    let peer = sim.peer(lagging).unwrap();
    assert_eq!(peer.phase(), ZabPhase::Broadcast);
    assert!(peer.tree().exists("/missed"));
    assert_no_violations(&sim);
}

#[test]
fn election_a_server_drains_its_disk_before_it_votes() {
    let mut sim = sim_with(47, 100_000);
    let leader = elected(&mut sim);
    let follower = followers(&sim, leader)[0];
    connect(&mut sim, "alice", leader);
    hold_disk(&mut sim, follower, DiskKind::Fsync);
    sim.client_request("alice", create("/inflight")).unwrap();
    run_for(&mut sim, 1000);
    let appended = sim.peer(follower).unwrap().last_logged_zxid();
    sim.command(Command::Crash(leader));
    run_for(&mut sim, 3000);
    let peer = sim.peer(follower).unwrap();
    assert_eq!(peer.state(), PeerState::Looking);
    assert_eq!(
        peer.election().round(),
        1,
        "still draining: no new election round yet"
    );
    release_disk(&mut sim, follower, DiskKind::Fsync);
    run_for(&mut sim, 5000);
    let peer = sim.peer(follower).unwrap();
    assert!(peer.election().round() >= 2);
    assert!(
        sim.trace().iter().any(|e| e.server == follower
            && matches!(&e.kind, TraceKind::ElectionStarted { vote, .. } if vote.zxid == appended)),
        "its vote counts the transaction that was in flight"
    );
    assert_no_violations(&sim);
}

#[test]
fn broadcast_proposals_go_to_every_follower_sent_newleader_not_only_those_that_acked() {
    // Five servers: with one follower's ACKs held back, the other three still make a quorum.
    let mut sim = Simulation::new(SimConfig {
        servers: 5,
        seed: 53,
        ..SimConfig::default()
    })
    .expect("valid config");
    let first = elected(&mut sim);
    let slow = followers(&sim, first)[0];
    // Re-elect with one follower's NEWLEADER ACK held back.
    sim.command(Command::AddRule(Rule {
        kind: RuleKind::Hold,
        filter: MessageFilter {
            kind: Some("ACK".to_string()),
            from: Some(slow),
            to: None,
        },
    }));
    sim.command(Command::Crash(first));
    let leader = elected(&mut sim);
    assert_ne!(leader, slow);
    sim.command(Command::Restart(first));
    connect(&mut sim, "alice", leader);
    let xid = sim.client_request("alice", create("/new-epoch")).unwrap();
    run_for(&mut sim, 3000);
    assert_eq!(
        outcome(&sim, "alice", xid).map(|o| o.error()),
        Some(ErrorCode::Ok)
    );
    let slow_peer = sim.peer(slow).unwrap();
    assert!(
        slow_peer.log().iter().any(
            |e| matches!(&*e.txn, crate::data::txn::Txn::Create { path, .. } if path == "/new-epoch")
        ),
        "the follower whose NEWLEADER ACK is held still logs the new epoch's proposals"
    );
    sim.command(Command::Release(MessageFilter::default()));
    run_for(&mut sim, 3000);
    assert_no_violations(&sim);
}

#[test]
fn synchronization_a_learner_too_far_behind_gets_a_snapshot_and_survives_a_crash_after_it() {
    let mut sim = sim_with(59, 5);
    let leader = elected(&mut sim);
    let lagging = followers(&sim, leader)[0];
    connect(&mut sim, "alice", leader);
    sim.command(Command::Crash(lagging));
    for i in 0..12 {
        let xid = sim
            .client_request("alice", create(&format!("/s{i}")))
            .unwrap();
        let deadline = sim.now() + 5000;
        assert!(sim.run_until_condition(deadline, |s| outcome(s, "alice", xid).is_some()));
    }
    hold_disk(&mut sim, lagging, DiskKind::CurrentEpoch);
    sim.command(Command::Restart(lagging));
    run_for(&mut sim, 3000);
    assert!(sim.trace().iter().any(|e| matches!(
        e.kind,
        TraceKind::SyncChosen { learner, mode: crate::peer::trace::SyncMode::Snap, .. } if learner == lagging
    )));
    assert!(
        sim.disk(lagging).unwrap().snapshot.is_some(),
        "the snapshot is on disk"
    );
    // Crash between the snapshot and currentEpoch: it must restart and rejoin.
    sim.command(Command::Crash(lagging));
    release_disk(&mut sim, lagging, DiskKind::CurrentEpoch);
    sim.command(Command::Restart(lagging));
    run_for(&mut sim, 5000);
    let peer = sim.peer(lagging).unwrap();
    assert_eq!(peer.phase(), ZabPhase::Broadcast);
    assert!(peer.tree().exists("/s11"));
    assert_no_violations(&sim);
}
