//! Helpers shared by the simulator's tests and the tests of what is built on it.

use super::clients::{ClientState, Outcome};
use super::{Command, SimConfig, Simulation};
use crate::data::types::{Acl, CreateMode};
use crate::peer::message::ServerId;
use crate::proto::records::{CreateRequest, Request};

pub(crate) fn ensemble(servers: u64, seed: u64) -> Simulation {
    Simulation::new(SimConfig {
        servers,
        seed,
        ..SimConfig::default()
    })
    .expect("valid config")
}

pub(crate) fn run_for(sim: &mut Simulation, ms: u64) {
    let deadline = sim.now() + ms;
    sim.run_until(deadline);
}

/// Runs until a leader is established (at most 30 s) and names it.
pub(crate) fn elected(sim: &mut Simulation) -> ServerId {
    let deadline = sim.now() + 30_000;
    assert!(
        sim.run_until_condition(deadline, |s| s.established_leader().is_some()),
        "no leader within 30 s"
    );
    sim.established_leader().expect("a leader")
}

pub(crate) fn followers(sim: &Simulation, leader: ServerId) -> Vec<ServerId> {
    sim.server_ids()
        .into_iter()
        .filter(|&id| id != leader)
        .collect()
}

pub(crate) fn create(path: &str, data: &str, mode: CreateMode) -> Request {
    Request::Create(CreateRequest {
        path: path.to_string(),
        data: Some(data.as_bytes().to_vec()),
        acl: Acl::open_unsafe(),
        flags: mode.flag(),
    })
}

/// A client with a 6 s session on `server`, connected before this returns.
pub(crate) fn add_client(sim: &mut Simulation, name: &str, server: ServerId) {
    sim.command(Command::AddClient {
        name: name.to_string(),
        server,
        timeout_ms: 6000,
    });
    let deadline = sim.now() + 10_000;
    let connected = sim.run_until_condition(deadline, |s| {
        s.client(name)
            .is_some_and(|c| c.state == ClientState::Connected)
    });
    assert!(connected, "client {name} did not connect");
}

/// Sends a request and runs until it is answered; returns its outcome.
pub(crate) fn request(sim: &mut Simulation, name: &str, request: Request) -> Outcome {
    let xid = sim.client_request(name, request).expect("live client");
    let deadline = sim.now() + 20_000;
    let answered = sim.run_until_condition(deadline, |s| {
        s.client(name)
            .is_some_and(|c| c.outcomes.contains_key(&xid))
    });
    assert!(answered, "request {xid} of {name} not answered");
    sim.client(name).expect("client").outcomes[&xid].clone()
}

pub(crate) fn assert_no_violations(sim: &Simulation) {
    assert!(
        sim.violations().is_empty(),
        "invariants violated: {:?}",
        sim.violations()
    );
}
