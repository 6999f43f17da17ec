//! Swarm testing: randomized fault schedules, one per seed, with fault rates drawn per seed
//! (some seeds crash a lot, others partition or slow disks). Each run has a chaotic phase
//! with clients writing, then a calm phase where every fault is lifted; the checker must find
//! nothing broken in either, and a leader must be established again during the calm.

use super::network::{MessageFilter, Rule, RuleKind};
use super::{Command, SimConfig, Simulation};
use crate::data::types::{Acl, CreateMode};
use crate::peer::durable::DiskKind;
use crate::peer::message::{PeerMessage, ServerId};
use crate::proto::records::{
    CreateRequest, DeleteRequest, PathWatchRequest, Request, SetDataRequest,
};
use crate::time::VirtualTime;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt;

/// How long the chaotic phase lasts, and how long the calm phase may take to recover.
const CHAOS_MS: u64 = 60_000;
const CALM_MS: u64 = 60_000;
/// Faults are considered every this often.
const FAULT_PERIOD_MS: u64 = 500;

/// The outcome of one seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SwarmRun {
    pub seed: u64,
    pub servers: u64,
    pub observers: u64,
    pub faults: usize,
    pub writes_acknowledged: usize,
    pub messages: u64,
    pub failure: Option<String>,
    pub trace_hash: u64,
}

impl fmt::Display for SwarmRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seed {}: {} servers + {} observers, {} faults, {} writes acknowledged, {} messages: {}",
            self.seed,
            self.servers,
            self.observers,
            self.faults,
            self.writes_acknowledged,
            self.messages,
            self.failure.as_deref().unwrap_or("ok")
        )
    }
}

/// Fault rates for one seed, each the chance per period.
struct Rates {
    crash: f64,
    partition: f64,
    drop_rule: f64,
    disk_hold: f64,
    pause: f64,
}

/// Runs one seed's schedule. Returns the run's summary and the simulation (for its trace).
pub fn run_seed(seed: u64) -> (SwarmRun, Simulation) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_5a12);
    let servers = [3, 3, 5, 5, 4, 7][rng.random_range(0..6)];
    let observers = u64::from(rng.random_bool(0.25));
    let config = SimConfig {
        servers,
        observers,
        seed,
        tick_ms: 500,
        init_limit: 10,
        sync_limit: 4,
        latency_min_ms: 1,
        latency_max_ms: rng.random_range(5..=80),
        disk_min_ms: 1,
        disk_max_ms: rng.random_range(2..=30),
        snap_count: rng.random_range(20..=200),
        start_stopped: false,
    };
    let rates = Rates {
        crash: rng.random_range(0.0..0.04),
        partition: rng.random_range(0.0..0.03),
        drop_rule: rng.random_range(0.0..0.03),
        disk_hold: rng.random_range(0.0..0.03),
        pause: rng.random_range(0.0..0.02),
    };
    // The clients' requests come from a generator of their own, so that the fault schedule
    // does not depend on them.
    let mut load = ChaCha8Rng::seed_from_u64(seed ^ 0x10ad_5eed);
    // Some runs gain an observer in the middle of the chaos (from a stream of its own too).
    let mut growth = ChaCha8Rng::seed_from_u64(seed ^ 0x0b5e_47e5);
    let observer_joins_at = growth
        .random_bool(0.2)
        .then(|| growth.random_range(1..CHAOS_MS / FAULT_PERIOD_MS) * FAULT_PERIOD_MS);
    let mut sim = Simulation::new(config).expect("swarm configs are valid");
    let mut ids = sim.server_ids();
    for (i, &server) in ids.iter().enumerate().take(3) {
        sim.command(Command::AddClient {
            name: format!("c{i}"),
            server,
            timeout_ms: 4000,
        });
    }
    let mut faults = 0;
    let mut writes = 0u64;
    let mut time = 0;
    while time < CHAOS_MS {
        time += FAULT_PERIOD_MS;
        sim.run_until(VirtualTime::from_millis(time));
        if observer_joins_at == Some(time) && sim.observer_refused().is_none() {
            sim.command(Command::AddObserver);
            ids = sim.server_ids();
        }
        faults += inject(&mut sim, &mut rng, &rates, &ids);
        for i in 0..3 {
            let name = format!("c{i}");
            sim.client_request(&name, workload_write(&mut load, writes));
            writes += 1;
            if load.random_bool(0.25) {
                sim.client_request(&name, workload_read(&mut load));
            }
        }
        if let Some(failure) = first_violation(&sim) {
            return (summary(&sim, seed, faults, Some(failure)), sim);
        }
    }
    calm(&mut sim, &ids);
    let deadline = sim.now() + CALM_MS;
    let recovered = sim.run_until_condition(deadline, |s| all_serving(s, &ids));
    let failure = first_violation(&sim)
        .or_else(|| sim.clients().find_map(|c| c.history_problem()))
        .or_else(|| super::history::check_simulation(&sim).into_iter().next())
        .or_else(|| {
        (!recovered).then(|| {
            format!(
                "liveness: no established leader with every server synchronized {} s after the faults stopped",
                CALM_MS / 1000
            )
        })
    });
    (summary(&sim, seed, faults, failure), sim)
}

/// The `n`th write: mostly creates (some ephemeral, some sequential) and setData on
/// `/swarm`, a few deletes.
fn workload_write(load: &mut ChaCha8Rng, n: u64) -> Request {
    let data = Some(n.to_be_bytes().to_vec());
    match load.random_range(0..20) {
        0..=9 => write_request(n),
        10 => Request::Create(CreateRequest {
            path: "/swarm-seq-".to_string(),
            data,
            acl: Acl::open_unsafe(),
            flags: CreateMode::PersistentSequential.flag(),
        }),
        11 | 12 => Request::Delete(DeleteRequest {
            path: format!("/swarm-{}", load.random_range(0..50)),
            version: -1,
        }),
        _ => Request::SetData(SetDataRequest {
            path: "/swarm".to_string(),
            data,
            version: -1,
        }),
    }
}

/// A read whose answer the history check compares with the committed state.
fn workload_read(load: &mut ChaCha8Rng) -> Request {
    let path = |p: &str| PathWatchRequest {
        path: p.to_string(),
        watch: false,
    };
    match load.random_range(0..4) {
        0 => Request::GetData(path("/swarm")),
        1 => Request::Exists(path(&format!("/swarm-{}", load.random_range(0..50)))),
        2 => Request::GetChildren2(path("/")),
        _ => Request::GetData(path(&format!("/swarm-{}", load.random_range(0..50)))),
    }
}

fn write_request(n: u64) -> Request {
    Request::Create(CreateRequest {
        path: if n == 0 {
            "/swarm".to_string()
        } else {
            format!("/swarm-{}", n % 50)
        },
        data: Some(n.to_be_bytes().to_vec()),
        acl: Acl::open_unsafe(),
        flags: if n.is_multiple_of(3) {
            CreateMode::Ephemeral.flag()
        } else {
            CreateMode::Persistent.flag()
        },
    })
}

/// Maybe injects faults; returns how many.
fn inject(sim: &mut Simulation, rng: &mut ChaCha8Rng, rates: &Rates, ids: &[ServerId]) -> usize {
    let mut count = 0;
    let pick = |rng: &mut ChaCha8Rng| ids[rng.random_range(0..ids.len())];
    if rng.random_bool(rates.crash) {
        let server = pick(rng);
        if sim.peer(server).is_some() {
            sim.command(Command::Crash(server));
        } else {
            sim.command(Command::Restart(server));
        }
        count += 1;
    }
    // Crashed servers come back eventually.
    for &server in ids {
        if sim.peer(server).is_none() && rng.random_bool(0.1) {
            sim.command(Command::Restart(server));
        }
    }
    if rng.random_bool(rates.partition) {
        if rng.random_bool(0.5) {
            let cut = rng.random_range(1..ids.len());
            let (a, b) = ids.split_at(cut);
            sim.command(Command::Partition(vec![a.to_vec(), b.to_vec()]));
        } else {
            sim.command(Command::Cut {
                from: pick(rng),
                to: pick(rng),
                both_ways: rng.random_bool(0.5),
            });
        }
        count += 1;
    } else if rng.random_bool(0.05) {
        sim.command(Command::HealAll);
    }
    if rng.random_bool(rates.drop_rule) {
        let kind = PeerMessage::KINDS[rng.random_range(0..PeerMessage::KINDS.len())];
        let mut rule_kind =
            [RuleKind::Drop, RuleKind::Duplicate, RuleKind::Delay(300)][rng.random_range(0..3)];
        // TCP never delivers a message twice, and neither ZooKeeper nor zooscope deduplicates
        // the client writes a learner forwards: a duplicated REQUEST is a second write, which
        // the history check rightly reports as a request applied twice. Other kinds are
        // safe to duplicate (the peer ignores what it already has).
        if rule_kind == RuleKind::Duplicate && kind == "REQUEST" {
            rule_kind = RuleKind::Delay(300);
        }
        let rule = Rule {
            kind: rule_kind,
            filter: MessageFilter {
                kind: Some(kind.to_string()),
                from: rng.random_bool(0.5).then(|| pick(rng)),
                to: None,
            },
        };
        sim.command(Command::AddRule(rule));
        count += 1;
    } else if rng.random_bool(0.05) {
        let rules: Vec<Rule> = sim.network().rules().to_vec();
        for rule in rules {
            sim.command(Command::RemoveRule(rule));
        }
    }
    if rng.random_bool(rates.disk_hold) {
        let kind = DiskKind::ALL[rng.random_range(0..DiskKind::ALL.len())];
        sim.command(Command::HoldDisk {
            server: pick(rng),
            kind,
        });
        count += 1;
    } else if rng.random_bool(0.1) {
        let server = pick(rng);
        for kind in DiskKind::ALL {
            sim.command(Command::ReleaseDisk { server, kind });
        }
    }
    if rng.random_bool(rates.pause) {
        sim.command(Command::Pause(pick(rng)));
        count += 1;
    } else if rng.random_bool(0.1) {
        sim.command(Command::Resume(pick(rng)));
    }
    count
}

/// Lifts every fault: heal links, end rules (releasing held messages), release disks,
/// resume and restart every server.
fn calm(sim: &mut Simulation, ids: &[ServerId]) {
    sim.command(Command::HealAll);
    let rules: Vec<Rule> = sim.network().rules().to_vec();
    for rule in rules {
        sim.command(Command::RemoveRule(rule));
    }
    sim.command(Command::Release(MessageFilter::default()));
    for &server in ids {
        for kind in DiskKind::ALL {
            sim.command(Command::ReleaseDisk { server, kind });
        }
        sim.command(Command::Resume(server));
        if sim.peer(server).is_none() {
            sim.command(Command::Restart(server));
        }
    }
}

/// Every server up and synchronized with one established leader, except a server that
/// accepted a newer epoch than the leader's: ZAB's discovery rule (and ZooKeeper) makes it
/// refuse that leader until the next election, which a healthy ensemble never holds.
fn all_serving(sim: &Simulation, ids: &[ServerId]) -> bool {
    let Some(leader) = sim.established_leader() else {
        return false;
    };
    let Some(leader_epoch) = sim.peer(leader).map(|p| p.current_epoch()) else {
        return false;
    };
    ids.iter().all(|&id| {
        sim.peer(id).is_some_and(|p| {
            (p.phase() == crate::peer::ZabPhase::Broadcast && p.leader() == Some(leader))
                || p.accepted_epoch() > leader_epoch
        })
    })
}

fn first_violation(sim: &Simulation) -> Option<String> {
    sim.violations().first().map(|v| {
        format!(
            "at {} on server {}: {} ({})",
            v.at, v.server, v.invariant, v.detail
        )
    })
}

fn summary(sim: &Simulation, seed: u64, faults: usize, failure: Option<String>) -> SwarmRun {
    let config = sim.config();
    let writes_acknowledged = sim
        .clients()
        .map(|c| {
            c.outcomes
                .iter()
                .filter(|(xid, o)| {
                    o.error() == crate::data::types::ErrorCode::Ok
                        && c.calls
                            .get(xid)
                            .is_some_and(|call| crate::zkserver::is_write(&call.request))
                })
                .count()
        })
        .sum();
    SwarmRun {
        seed,
        servers: config.servers,
        observers: sim.observer_ids().len() as u64,
        faults,
        writes_acknowledged,
        messages: sim.messages_delivered(),
        failure,
        trace_hash: sim.trace_hash(),
    }
}
