use super::*;

fn three_servers(seed: u64) -> Simulation {
    Simulation::new(SimConfig {
        seed,
        ..SimConfig::default()
    })
    .expect("default config is valid")
}

fn reaches(sim: &Simulation) -> Vec<Option<Reach>> {
    sim.servers().iter().map(|s| s.reach).collect()
}

#[test]
fn servers_show_as_booting_until_their_boot_event_happens() {
    let sim = three_servers(1);
    assert!(sim.servers().iter().all(|s| !s.up && s.booting));
}

#[test]
fn every_server_boots_at_time_zero() {
    let mut sim = three_servers(1);
    sim.run_until(VirtualTime::ZERO);
    let booted: Vec<ServerId> = sim
        .trace()
        .iter()
        .filter(|e| e.kind == TraceKind::Booted)
        .map(|e| e.server)
        .collect();
    assert_eq!(booted, vec![1, 2, 3]);
    assert!(sim
        .servers()
        .iter()
        .all(|s| s.up && !s.booting && s.boots == 1));
}

#[test]
fn servers_that_exchange_hellos_all_reach_quorum() {
    let mut sim = three_servers(3);
    sim.run_until(VirtualTime::from_millis(5_000));
    assert_eq!(reaches(&sim), vec![Some(Reach::Quorum); 3]);
    assert!(sim.messages_delivered() >= 6);
}

#[test]
fn same_seed_gives_identical_trace() {
    let run = |seed| {
        let mut sim = three_servers(seed);
        sim.run_until(VirtualTime::from_millis(20_000));
        (sim.trace().to_vec(), sim.trace_hash())
    };
    assert_eq!(run(11), run(11));
    assert_ne!(
        run(11).1,
        run(12).1,
        "different seeds should give different timings"
    );
}

#[test]
fn crashed_server_is_noticed_by_its_peers_and_loses_messages() {
    let mut sim = three_servers(5);
    sim.run_until(VirtualTime::from_millis(5_000));
    assert!(sim.crash(3));
    sim.run_until(VirtualTime::from_millis(15_000));
    let status = sim.servers();
    assert!(!status[2].up);
    assert_eq!(status[0].peers_alive, vec![2]);
    assert_eq!(status[1].peers_alive, vec![1]);
    // Two of three still hear each other: a quorum survives one crash.
    assert_eq!(status[0].reach, Some(Reach::Quorum));
    assert!(sim
        .trace()
        .iter()
        .any(|e| matches!(e.kind, TraceKind::MessageLost { to: 3, .. })));
    assert!(sim
        .trace()
        .iter()
        .any(|e| e.server == 1 && e.kind == TraceKind::PeerDown { peer: 3 }));
}

#[test]
fn losing_two_of_three_leaves_the_survivor_alone() {
    let mut sim = three_servers(8);
    sim.run_until(VirtualTime::from_millis(5_000));
    sim.crash(2);
    sim.crash(3);
    sim.run_until(VirtualTime::from_millis(15_000));
    assert_eq!(reaches(&sim), vec![Some(Reach::Alone), None, None]);
}

#[test]
fn restarted_server_boots_again_and_rejoins() {
    let mut sim = three_servers(9);
    sim.run_until(VirtualTime::from_millis(5_000));
    sim.crash(2);
    sim.run_until(VirtualTime::from_millis(12_000));
    assert!(sim.restart(2));
    assert!(!sim.restart(2), "a second restart while booting is refused");
    sim.run_until(VirtualTime::from_millis(20_000));
    let status = &sim.servers()[1];
    assert!(status.up);
    assert_eq!(status.boots, 2);
    assert_eq!(status.reach, Some(Reach::Quorum));
}

#[test]
fn crash_and_restart_of_unknown_or_wrong_state_servers_are_refused() {
    let mut sim = three_servers(1);
    sim.run_until(VirtualTime::from_millis(1));
    assert!(!sim.crash(42));
    assert!(!sim.restart(42));
    assert!(!sim.restart(1), "server 1 is running");
    assert!(sim.crash(1));
    assert!(!sim.crash(1), "server 1 is already down");
}

#[test]
fn timers_of_a_crashed_incarnation_never_fire_after_restart() {
    let mut sim = three_servers(4);
    sim.run_until(VirtualTime::from_millis(3_000));
    sim.crash(1);
    sim.restart(1);
    sim.run_until(VirtualTime::from_millis(3_000));
    let hellos_before = sim.servers()[0].hellos_sent;
    assert_eq!(
        hellos_before, 0,
        "a fresh incarnation starts counting from zero"
    );
    // Run one tick: the new incarnation sends at most one round of hellos (2 peers), never two.
    sim.run_until(VirtualTime::from_millis(4_999));
    assert!(sim.servers()[0].hellos_sent <= 2);
}

#[test]
fn invalid_configs_are_refused_with_a_reason() {
    let bad = |change: fn(&mut SimConfig)| {
        let mut config = SimConfig::default();
        change(&mut config);
        Simulation::new(config)
            .err()
            .expect("config should be refused")
    };
    assert_eq!(bad(|c| c.servers = 0), SimConfigError::NoServers);
    assert_eq!(
        bad(|c| c.servers = 99),
        SimConfigError::TooManyServers {
            servers: 99,
            max: MAX_SERVERS
        }
    );
    assert_eq!(bad(|c| c.tick_ms = 0), SimConfigError::ZeroTick);
    assert_eq!(
        bad(|c| {
            c.latency_min_ms = 10;
            c.latency_max_ms = 1;
        }),
        SimConfigError::LatencyRangeReversed {
            min_ms: 10,
            max_ms: 1
        }
    );
}

#[test]
fn run_until_advances_the_clock_even_when_idle() {
    let mut sim = three_servers(1);
    sim.run_until(VirtualTime::from_millis(777));
    assert_eq!(sim.now(), VirtualTime::from_millis(777));
}
