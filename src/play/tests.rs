use super::action::{Applied, ViewerAction};
use super::*;
use crate::peer::message::PeerState;
use crate::scenario::library;

fn seconds(s: u64) -> VirtualTime {
    VirtualTime::from_millis(s * 1000)
}

fn roles(sim: &Simulation) -> Vec<Option<PeerState>> {
    sim.servers().iter().map(|s| s.state).collect()
}

fn free_run() -> Playback {
    let mut playback = Playback::new(SimConfig::default()).unwrap();
    playback.advance_to(seconds(5));
    playback
}

#[test]
fn playing_free_elects_a_leader_like_the_bare_simulator() {
    let playback = free_run();
    let mut bare = Simulation::new(SimConfig::default()).unwrap();
    bare.run_until(seconds(5));
    assert_eq!(playback.sim().trace_hash(), bare.trace_hash());
    assert!(playback.sim().established_leader().is_some());
}

#[test]
fn rewinding_shows_the_earlier_state_and_playing_on_repeats_the_same_future() {
    let mut playback = free_run();
    playback.act(ViewerAction::Crash(3));
    playback.advance_to(seconds(10));
    let (steps, at) = (playback.sim().steps_taken(), playback.sim().now());
    let later_hash = playback.sim().trace_hash();

    playback.seek_time(seconds(2));
    assert_eq!(playback.sim().now(), seconds(2));
    assert!(playback.is_rewound());
    assert!(playback.sim().servers().iter().all(|s| s.boots == 1));

    playback.seek(steps, at);
    assert_eq!(playback.sim().trace_hash(), later_hash);
    assert!(!playback.is_rewound());
}

#[test]
fn acting_while_rewound_branches_and_drops_the_old_future() {
    let mut playback = free_run();
    playback.act(ViewerAction::Crash(3));
    playback.advance_to(seconds(10));
    playback.seek_time(seconds(6));
    playback.act(ViewerAction::Crash(1));
    assert_eq!(playback.script().len(), 2);
    assert!(!playback.is_rewound());
    playback.advance_to(seconds(10));
    let servers = playback.sim().servers();
    assert!(!servers[0].up && !servers[2].up, "both crashes happened");
}

#[test]
fn stepping_back_undoes_exactly_one_event() {
    let mut playback = Playback::new(SimConfig::default()).unwrap();
    for _ in 0..20 {
        assert!(playback.step());
    }
    let trace_len = playback.sim().trace().len();
    let hash = playback.sim().trace_hash();
    playback.step();
    playback.step_back();
    assert_eq!(playback.sim().steps_taken(), 20);
    assert_eq!(playback.sim().trace().len(), trace_len);
    assert_eq!(playback.sim().trace_hash(), hash);
}

#[test]
fn console_commands_run_through_a_client_session_and_are_answered() {
    let mut playback = free_run();
    playback.act(ViewerAction::AddClient {
        name: "alice".into(),
        server: 1,
        timeout_ms: 10_000,
    });
    playback.advance_to(seconds(6));
    let applied = playback.act(ViewerAction::Cli {
        client: "alice".into(),
        line: "create /greeting hello".into(),
    });
    let Applied::Sent { xid } = applied else {
        panic!("not sent: {applied:?}");
    };
    playback.advance_to(seconds(7));
    let client = playback.sim().client("alice").unwrap();
    assert_eq!(
        client.outcomes[&xid].error(),
        crate::data::types::ErrorCode::Ok
    );
    for peer in playback.sim().peers() {
        assert!(peer.tree().exists("/greeting"), "server {}", peer.myid());
    }
    assert_eq!(playback.console().len(), 1);
    assert_eq!(playback.console()[0].line, "create /greeting hello");
}

#[test]
fn an_address_lands_in_the_same_state() {
    let mut playback = free_run();
    playback.act(ViewerAction::AddClient {
        name: "alice".into(),
        server: 2,
        timeout_ms: 10_000,
    });
    playback.advance_to(seconds(6));
    playback.act(ViewerAction::Cli {
        client: "alice".into(),
        line: "create -e /here \"x y\"".into(),
    });
    playback.act(ViewerAction::Crash(3));
    playback.advance_to(seconds(9));
    for _ in 0..5 {
        playback.step();
    }
    let address = playback.address();
    let (restored, problems) = Playback::from_address(&address);
    assert_eq!(problems, Vec::<String>::new());
    assert_eq!(restored.sim().trace_hash(), playback.sim().trace_hash());
    assert_eq!(restored.sim().now(), playback.sim().now());
    assert_eq!(restored.console(), playback.console());
    assert_eq!(restored.address(), address);
}

#[test]
fn a_bad_address_is_reported_and_the_rest_still_applies() {
    let (playback, problems) =
        Playback::from_address("?seed=9&servers=5&act=bogus&scenario=nope&at=1.x");
    assert_eq!(playback.config().seed, 9);
    assert_eq!(playback.config().servers, 5);
    assert_eq!(problems.len(), 3, "{problems:?}");
}

#[test]
fn a_scenario_narrates_then_animates_up_to_its_runner() {
    let scenario = library::find("leader-crash").unwrap().parse().unwrap();
    let mut playback = Playback::with_scenario(scenario, None).unwrap();
    assert!(playback.scenario_next());
    let run = playback.scenario().unwrap();
    assert!(!run.narration.is_empty());
    assert!(!playback.caught_up(), "the runner is ahead of the display");
    playback.advance_to(seconds(600));
    assert!(playback.caught_up());
    assert!(playback.sim().established_leader().is_some());
}

#[test]
fn a_scenario_stops_at_its_question_until_answered() {
    let scenario = library::find("leader-crash").unwrap().parse().unwrap();
    let mut playback = Playback::with_scenario(scenario, None).unwrap();
    while playback.scenario().unwrap().open_question.is_none() {
        assert!(playback.scenario_next(), "the scenario has a question");
    }
    assert!(!playback.scenario_next(), "waits for the answer");
    let before = playback.scenario().unwrap().runner.sim().steps_taken();
    playback.answer("2");
    let run = playback.scenario().unwrap();
    assert!(run.open_question.is_none());
    assert_eq!(run.answers.len(), 1);
    assert_eq!(run.answers[0].chosen.as_deref(), Some("2"));
    assert!(run.answers[0].reveal_at_step > before, "the outcome ran");
    playback.advance_to(seconds(600));
    assert_eq!(playback.sim().established_leader(), Some(1));
}

#[test]
fn acting_during_a_scenario_leaves_it_for_free_play_and_the_address_keeps_that() {
    let scenario = library::find("leader-crash").unwrap().parse().unwrap();
    let mut playback = Playback::with_scenario(scenario, None).unwrap();
    playback.scenario_next();
    playback.scenario_next();
    playback.advance_to(seconds(3));
    playback.act(ViewerAction::Crash(1));
    assert!(playback.scenario().is_none());
    assert_eq!(playback.left_scenario().unwrap().name, "leader-crash");
    playback.advance_to(seconds(8));
    // The scenario's own seed goes without saying, left or not.
    assert!(
        !playback.address().contains("seed="),
        "{}",
        playback.address()
    );
    let (restored, problems) = Playback::from_address(&playback.address());
    assert_eq!(problems, Vec::<String>::new());
    assert_eq!(restored.sim().trace_hash(), playback.sim().trace_hash());
    assert_eq!(roles(restored.sim()), roles(playback.sim()));
}

#[test]
fn a_scenario_address_restores_its_narration() {
    let scenario = library::find("leader-crash").unwrap().parse().unwrap();
    let mut playback = Playback::with_scenario(scenario, None).unwrap();
    for _ in 0..3 {
        playback.scenario_next();
    }
    playback.advance_to(seconds(600));
    let (restored, problems) = Playback::from_address(&playback.address());
    assert_eq!(problems, Vec::<String>::new());
    let (a, b) = (restored.scenario().unwrap(), playback.scenario().unwrap());
    assert_eq!(a.narration, b.narration);
    assert_eq!(restored.sim().trace_hash(), playback.sim().trace_hash());
}

#[test]
fn a_burst_of_writes_fills_the_pipeline_and_every_server_ends_with_them() {
    let mut playback = free_run();
    playback.act(ViewerAction::AddClient {
        name: "load".into(),
        server: 2,
        timeout_ms: 10_000,
    });
    playback.advance_to(seconds(6));
    assert!(matches!(
        playback.act(ViewerAction::Burst {
            client: "load".into(),
            count: 200,
        }),
        Applied::Sent { .. }
    ));
    let mut most_in_flight = 0;
    for ms in 6_000..6_400 {
        playback.advance_to(VirtualTime::from_millis(ms));
        most_in_flight = most_in_flight.max(playback.sim().deliveries().count());
    }
    assert!(
        most_in_flight > 100,
        "only {most_in_flight} messages in flight at most"
    );
    playback.advance_to(seconds(10));
    for peer in playback.sim().peers() {
        assert_eq!(
            peer.tree().children("/").unwrap().len(),
            201,
            "server {}",
            peer.myid()
        );
    }
    assert!(matches!(
        playback.act(ViewerAction::Burst {
            client: "load".into(),
            count: 0,
        }),
        Applied::Refused(_)
    ));
}
