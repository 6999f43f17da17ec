//! The scenario language's front end, pinned by what a teacher writes and what they are told.

use super::library::{find, shipped};
use super::*;
use crate::data::types::Zxid;

/// The smallest valid header.
const HEADER: &str = "title en: T\ntitle zh: 标题\nservers 3\n";

fn parse_ok(text: &str) -> Scenario {
    match parse("test", text) {
        Ok(scenario) => scenario,
        Err(error) => panic!("{error}\n--- in ---\n{text}"),
    }
}

fn parse_err(text: &str) -> String {
    match parse("test", text) {
        Ok(scenario) => panic!("expected an error, parsed {scenario:?}"),
        Err(error) => error.to_string(),
    }
}

/// The actions of the steps after the standard header.
fn actions(steps: &str) -> Vec<Action> {
    parse_ok(&format!("{HEADER}{steps}"))
        .steps
        .into_iter()
        .map(|step| step.action)
        .collect()
}

fn action(step: &str) -> Action {
    let mut all = actions(step);
    assert_eq!(all.len(), 1, "{step}");
    all.remove(0)
}

/// The error for the steps after the standard header (which takes lines 1 to 3).
fn step_err(steps: &str) -> String {
    parse_err(&format!("{HEADER}{steps}"))
}

fn condition(text: &str) -> Condition {
    match actions(&format!("client alice on 1\nexpect {text}")).pop() {
        Some(Action::Expect(Assertion::Holds(condition))) => condition,
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_shipped_scenario_parses_under_its_file_name() {
    assert_eq!(shipped().len(), 11);
    for shipped in shipped() {
        let scenario = shipped
            .parse()
            .unwrap_or_else(|error| panic!("{}: {error}", shipped.name));
        assert_eq!(scenario.name, shipped.name);
        assert!(!scenario.title.en.is_empty() && !scenario.title.zh.is_empty());
        // The picker's titles are compiled in apart from the file (which the browser
        // fetches): they must say the same.
        assert_eq!(
            (shipped.title_en, shipped.title_zh),
            (scenario.title.en.as_str(), scenario.title.zh.as_str()),
            "{}: the title in library.rs differs from the file's",
            shipped.name
        );
        assert!(
            scenario.summary.is_some(),
            "{} has no summary",
            shipped.name
        );
        assert!(
            scenario.setup.seed.is_some(),
            "{} has no seed",
            shipped.name
        );
        assert!(
            scenario
                .steps
                .iter()
                .any(|step| matches!(step.action, Action::Question(_))),
            "{} asks no question",
            shipped.name
        );
        assert!(
            scenario
                .steps
                .iter()
                .any(|step| matches!(step.action, Action::Expect(_))),
            "{} checks nothing",
            shipped.name
        );
    }
}

#[test]
fn shipped_scenarios_are_found_by_name() {
    assert_eq!(find("leader-crash").map(|s| s.name), Some("leader-crash"));
    assert!(find("no-such-scenario").is_none());
    let mut names: Vec<&str> = shipped().iter().map(|s| s.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), shipped().len(), "names are unique");
}

#[test]
fn shipped_scenarios_display_back_to_the_same_tree() {
    for shipped in shipped() {
        let scenario = shipped.parse().unwrap();
        // Each step on its own, as the UI shows it...
        for step in &scenario.steps {
            let text = with_declarations(&scenario, &step.action);
            let again = parse(shipped.name, &text)
                .unwrap_or_else(|error| panic!("{}: {error}\n{text}", shipped.name));
            assert_eq!(
                again.steps.last().map(|s| &s.action),
                Some(&step.action),
                "{}",
                shipped.name
            );
        }
        // ...and the whole file.
        let written = scenario.to_string();
        let again = parse("other-name", &written)
            .unwrap_or_else(|error| panic!("{}: {error}\n{written}", shipped.name));
        let actions = |s: &Scenario| -> Vec<Action> {
            s.steps.iter().map(|step| step.action.clone()).collect()
        };
        assert_eq!(again.name, scenario.name);
        assert_eq!(again.title, scenario.title);
        assert_eq!(again.summary, scenario.summary);
        assert_eq!(again.setup, scenario.setup);
        assert_eq!(actions(&again), actions(&scenario), "{}", shipped.name);
    }
}

/// One displayed action after the scenario's setup and the declarations it may rely on
/// (clients and added observers), except its own.
fn with_declarations(scenario: &Scenario, action: &Action) -> String {
    let declares = |action: &Action| -> Option<String> {
        match action {
            Action::Client(decl) => Some(decl.name.clone()),
            Action::At { action, .. } | Action::When { action, .. } => match &**action {
                Action::Client(decl) => Some(decl.name.clone()),
                _ => None,
            },
            _ => None,
        }
    };
    let own = declares(action);
    let mut text = format!("title en: x\ntitle zh: x\n{}\n", scenario.setup);
    for step in &scenario.steps {
        let inner = match &step.action {
            Action::At { action, .. } | Action::When { action, .. } => &**action,
            other => other,
        };
        let is_declaration = matches!(inner, Action::Client(_) | Action::AddObserver);
        if is_declaration && (own.is_none() || declares(inner) != own) {
            text.push_str(&format!("{inner}\n"));
        }
    }
    text.push_str(&format!("{action}\n"));
    text
}

#[test]
fn headers_fill_the_setup() {
    let scenario = parse_ok(
        "name demo\ntitle en: Demo\ntitle zh: 演示\nsummary en: S\nsummary zh: 摘要\n\
         servers 5 stopped\nobservers 2\nseed 42\ntick 500\ninit-limit 10\nsync-limit 5\n\
         latency 5ms..1.5s\nsnap-count 1000\nsession-timeout 6s\n",
    );
    assert_eq!(scenario.name, "demo");
    assert_eq!(scenario.title.zh, "演示");
    assert_eq!(scenario.summary.unwrap().en, "S");
    assert_eq!(
        scenario.setup,
        Setup {
            participants: 5,
            observers: 2,
            start_stopped: true,
            seed: Some(42),
            tick_ms: Some(500),
            init_limit: Some(10),
            sync_limit: Some(5),
            latency_ms: Some((5, 1500)),
            snap_count: Some(1000),
            session_timeout_ms: Some(6000),
        }
    );
    assert!(scenario.steps.is_empty());
}

#[test]
fn the_name_defaults_to_the_file_stem() {
    assert_eq!(parse("my-lesson", HEADER).unwrap().name, "my-lesson");
}

#[test]
fn missing_and_one_language_headers_are_errors() {
    assert_eq!(
        parse_err("servers 3\ncrash 1\n"),
        "line 2: the scenario needs \"title en: ...\" and \"title zh: ...\" before its first step"
    );
    assert_eq!(
        parse_err("title en: T\nservers 3\n"),
        "line 1: \"title en:\" has no matching \"title zh:\" line: both languages are needed"
    );
    assert_eq!(
        parse_err("title en: T\ntitle zh: T\n\nrun for 1s\n"),
        "line 4: the scenario needs \"servers N\" before its first step"
    );
    assert_eq!(
        parse_err(&format!("{HEADER}summary zh: 只有中文\n")),
        "line 4: \"summary zh:\" has no matching \"summary en:\" line: both languages are needed"
    );
    assert_eq!(
        parse_err(""),
        "line 1: the scenario needs \"title en: ...\" and \"title zh: ...\" before its first step"
    );
}

#[test]
fn headers_are_given_once_and_before_the_first_step() {
    assert_eq!(
        parse_err(&format!("{HEADER}seed 1\nseed 2\n")),
        "line 5: \"seed\" was already given on line 4"
    );
    assert_eq!(
        parse_err(&format!("{HEADER}title en: again\n")),
        "line 4: \"title en\" was already given on line 1"
    );
    assert_eq!(
        step_err("crash 1\nseed 4\n"),
        "line 5: \"seed\" is a header: it must come before the first step (line 4)"
    );
}

#[test]
fn header_values_are_checked() {
    for (line, message) in [
        ("servers 0", "a scenario has 1 to 15 servers, not 0"),
        ("servers 16", "a scenario has 1 to 15 servers, not 16"),
        (
            "servers 3 running",
            "expected \"stopped\" or the end of the line after \"servers 3\", found \"running\"",
        ),
        (
            "observers 16",
            "a scenario has at most 15 observers, not 16",
        ),
        ("tick 0", "the duration after \"tick\" must be more than 0"),
        (
            "latency 50..5",
            "the latency range starts above its end (50ms > 5ms)",
        ),
        (
            "latency 5",
            "expected a range such as 5ms..50ms after \"latency\", found \"5\"",
        ),
        ("sync-limit 0", "\"sync-limit\" must be at least 1 tick"),
        (
            "seed x",
            "expected a seed (a whole number) after \"seed\", found \"x\"",
        ),
        ("name two words", "unexpected \"words\" after \"name two\""),
    ] {
        let text = format!("title en: T\ntitle zh: T\n{line}\n");
        let text = if line.starts_with("servers") {
            text
        } else {
            format!("{text}servers 3\n")
        };
        assert_eq!(parse_err(&text), format!("line 3: {message}"), "{line}");
    }
}

#[test]
fn an_unknown_statement_or_bad_argument_names_the_line() {
    assert_eq!(
        step_err("\n\n# comment\n\n\n\n\n\ncrash x\n"),
        "line 12: expected a server number after \"crash\", found \"x\""
    );
    assert_eq!(
        step_err("frobnicate 3\n"),
        "line 4: unknown statement \"frobnicate\""
    );
    assert_eq!(
        step_err("Crash 3\n"),
        "line 4: unknown statement \"Crash\": statements are lower case (\"crash\")"
    );
    assert_eq!(
        step_err("crash 1 2\n"),
        "line 4: unexpected \"2\" after \"crash 1\""
    );
    assert_eq!(
        step_err("crash\n"),
        "line 4: expected a server number after \"crash\", found the end of the line"
    );
}

#[test]
fn server_numbers_must_exist_counting_observers_added_so_far() {
    assert_eq!(
        step_err("crash 4\n"),
        "line 4: server 4 does not exist: this scenario has servers 1 to 3"
    );
    assert_eq!(
        step_err("crash 0\n"),
        "line 4: server 0 does not exist: this scenario has servers 1 to 3"
    );
    assert_eq!(
        actions("add-observer\ncrash 4\n"),
        vec![Action::AddObserver, Action::Crash(4)]
    );
    let with_observer = "title en: T\ntitle zh: T\nservers 3\nobservers 1\ncrash 5\n";
    assert_eq!(
        parse_err(with_observer),
        "line 5: server 5 does not exist: this scenario has servers 1 to 4 (observers included)"
    );
}

#[test]
fn narration_pairs_both_languages_in_either_order() {
    let said = actions(
        "say en: The leader crashes.\nsay zh: 领导者崩溃了。\nsay zh: 第二段\nsay en: Second\n",
    );
    assert_eq!(
        said,
        vec![
            Action::Say(Text {
                en: "The leader crashes.".into(),
                zh: "领导者崩溃了。".into()
            }),
            Action::Say(Text {
                en: "Second".into(),
                zh: "第二段".into()
            }),
        ]
    );
    let scenario = parse_ok(&format!("{HEADER}\nsay en: a\n# between\nsay zh: b\n"));
    assert_eq!(
        scenario.steps[0].line, 5,
        "the step is where the pair begins"
    );
}

#[test]
fn narration_in_one_language_is_an_error() {
    assert_eq!(
        step_err("say en: only English\ncrash 1\n"),
        "line 4: \"say en:\" must be followed by \"say zh:\" on the next line: narration is in both languages"
    );
    assert_eq!(
        step_err("say zh: 只有中文\n"),
        "line 4: \"say zh:\" must be followed by \"say en:\" on the next line: narration is in both languages"
    );
    assert_eq!(
        step_err("say en: one\nsay en: two\n"),
        "line 5: two \"say en:\" lines in a row: the one on line 4 still needs its other language"
    );
    assert_eq!(
        step_err("say fr: bonjour\n"),
        "line 4: expected \"en:\" or \"zh:\" after \"say\", found \"fr:\""
    );
    assert_eq!(
        step_err("say en:\n"),
        "line 4: \"say en:\" needs text after the colon"
    );
}

#[test]
fn hash_is_text_in_narration_and_a_comment_elsewhere() {
    let said = actions("say en: Server #3 leads\nsay zh: 3 号 # 服务器\ncrash 3 # the leader\n");
    assert_eq!(
        said[0],
        Action::Say(Text {
            en: "Server #3 leads".into(),
            zh: "3 号 # 服务器".into()
        })
    );
    assert_eq!(said[1], Action::Crash(3));
    let kept = actions("client a on 1\na: create /x \"a#b\" # comment\n");
    assert_eq!(
        kept[1],
        Action::Command {
            client: "a".into(),
            command: "create /x \"a#b\"".into(),
            expect: None
        }
    );
}

const QUESTION: &str = "question
  ask en: The leader crashes. Who leads next?
  ask zh: 领导者崩溃了。谁会成为下一任领导者？
  choice 1 en: Server 1
  choice 1 zh: 服务器 1
  choice 2 en: Server 2
  choice 2 zh: 服务器 2
  answer 2
  explain en: Equal zxids, so the larger myid wins.
  explain zh: zxid 相同，myid 大者胜。
end
";

#[test]
fn a_question_block_becomes_one_step() {
    let scenario = parse_ok(&format!("{HEADER}{QUESTION}crash 3\n"));
    assert_eq!(scenario.steps.len(), 2);
    assert_eq!(scenario.steps[0].line, 4);
    assert_eq!(scenario.steps[1].line, 15);
    let Action::Question(question) = &scenario.steps[0].action else {
        panic!("{:?}", scenario.steps[0]);
    };
    assert_eq!(question.answer, "2");
    assert_eq!(question.choices.len(), 2);
    assert_eq!(question.choices[1].0, "2");
    assert_eq!(question.choices[1].1.zh, "服务器 2");
    assert_eq!(question.ask.en, "The leader crashes. Who leads next?");
    assert_eq!(question.explain.zh, "zxid 相同，myid 大者胜。");
}

#[test]
fn a_question_must_be_complete_and_answerable() {
    let err = |from: &str, to: &str| step_err(&QUESTION.replace(from, to));
    assert_eq!(
        err("answer 2", "answer 3"),
        "line 11: answer \"3\" is not one of the choices (1, 2)"
    );
    assert_eq!(
        err("  answer 2\n", ""),
        "line 13: the question has no \"answer KEY\" line"
    );
    assert_eq!(
        err("  choice 2 zh: 服务器 2\n", ""),
        "line 9: choice 2 needs both \"en:\" and \"zh:\" lines"
    );
    assert_eq!(
        err("  choice 2 en: Server 2\n  choice 2 zh: 服务器 2\n", ""),
        "line 4: a question needs at least two choices"
    );
    assert_eq!(
        err("  explain zh: zxid 相同，myid 大者胜。\n", ""),
        "line 4: the question needs \"explain en:\" and \"explain zh:\" lines"
    );
    assert_eq!(
        err("end\n", ""),
        "line 4: this question has no \"end\" line"
    );
    assert_eq!(
        err("  answer 2\n", "  answer 2\n  crash 1\n"),
        "line 12: \"crash\" cannot appear inside a question: it holds ask, choice, answer and explain lines, then \"end\""
    );
    assert_eq!(
        err(
            "  choice 1 zh: 服务器 1\n",
            "  choice 1 zh: 服务器 1\n  choice 1 zh: again\n"
        ),
        "line 9: \"choice 1 zh\" was already given on line 8"
    );
    assert_eq!(
        step_err("answer 2\n"),
        "line 4: \"answer\" belongs inside a \"question\" ... \"end\" block"
    );
}

#[test]
fn durations_take_units_and_bare_numbers_are_milliseconds() {
    assert_eq!(
        actions("run for 250ms\nrun for 3s\nrun for 2m\nrun for 40\nrun for 1.5s\n"),
        vec![
            Action::RunFor(250),
            Action::RunFor(3000),
            Action::RunFor(120_000),
            Action::RunFor(40),
            Action::RunFor(1500),
        ]
    );
    assert_eq!(
        step_err("run for 3h\n"),
        "line 4: expected a duration such as 250ms, 3s or 2m after \"run for\", found \"3h\""
    );
    assert_eq!(
        step_err("run for 1.0001s\n"),
        "line 4: \"1.0001s\" is not a whole number of milliseconds"
    );
    assert_eq!(
        step_err("run for 0s\n"),
        "line 4: the duration after \"run for\" must be more than 0"
    );
    assert_eq!(
        step_err("run for 99999999999999999999m\n"),
        "line 4: \"99999999999999999999m\" is too long a duration"
    );
}

#[test]
fn running_steps_parse() {
    assert_eq!(
        actions("run until leader elected within 10s\nrun until no leader\nstep\nstep 5\n"),
        vec![
            Action::RunUntil {
                condition: Condition::LeaderElected,
                within_ms: Some(10_000)
            },
            Action::RunUntil {
                condition: Condition::NoLeader,
                within_ms: None
            },
            Action::Step(1),
            Action::Step(5),
        ]
    );
    assert_eq!(
        step_err("run until leader elected within\n"),
        "line 4: expected a duration such as 250ms, 3s or 2m after \"within\", found the end of the line"
    );
    assert_eq!(
        step_err("run until\n"),
        "line 4: expected a condition such as \"leader elected\" after \"run until\", found the end of the line"
    );
    assert_eq!(
        step_err("run 5s\n"),
        "line 4: expected \"for DURATION\" or \"until CONDITION\" after \"run\", found \"5s\""
    );
}

#[test]
fn faults_parse() {
    let servers = "title en: T\ntitle zh: T\nservers 5\n";
    let parsed = parse_ok(&format!(
        "{servers}start 1\ncrash 2\nrestart 2\npause 3\npause 3 for 5s\nresume 3\n\
         partition 1 2 | 3 4 5\npartition 1|2|3\ncut 1 -> 2\ncut 1 <-> 2\nheal\nheal 1 <-> 2\n\
         heal 1->2\nskew 4 -300ms\nskew 4 2s\nslow-disk 5 50ms\nadd-observer\n"
    ));
    let actions: Vec<Action> = parsed.steps.into_iter().map(|s| s.action).collect();
    assert_eq!(
        actions,
        vec![
            Action::Start(1),
            Action::Crash(2),
            Action::Restart(2),
            Action::Pause {
                server: 3,
                for_ms: None
            },
            Action::Pause {
                server: 3,
                for_ms: Some(5000)
            },
            Action::Resume(3),
            Action::Partition(vec![vec![1, 2], vec![3, 4, 5]]),
            Action::Partition(vec![vec![1], vec![2], vec![3]]),
            Action::Cut {
                from: 1,
                to: 2,
                both_ways: false
            },
            Action::Cut {
                from: 1,
                to: 2,
                both_ways: true
            },
            Action::Heal(None),
            Action::Heal(Some((1, 2, true))),
            Action::Heal(Some((1, 2, false))),
            Action::Skew {
                server: 4,
                ms: -300
            },
            Action::Skew {
                server: 4,
                ms: 2000
            },
            Action::SlowDisk { server: 5, ms: 50 },
            Action::AddObserver,
        ]
    );
}

#[test]
fn malformed_faults_say_what_is_expected() {
    for (step, message) in [
        (
            "partition 1 2",
            "a partition needs two or more groups separated by \"|\", such as \"partition 1 2 | 3\"",
        ),
        ("partition 1 | 1", "server 1 is in two groups"),
        (
            "partition 1 | | 2",
            "group 2 of the partition is empty: write servers between the \"|\"s",
        ),
        (
            "cut 1 2",
            "expected \"A -> B\" (one way) or \"A <-> B\" (both ways) after \"cut\", found \"1\"",
        ),
        ("cut 2 -> 2", "server 2 cannot be cut from itself"),
        (
            "cut 1 -> 9",
            "server 9 does not exist: this scenario has servers 1 to 3",
        ),
        (
            "pause 1 5s",
            "expected \"for DURATION\" or the end of the line after \"pause 1\", found \"5s\"",
        ),
        (
            "skew 1 soon",
            "expected a duration such as -300ms or 2s after \"skew 1\", found \"soon\"",
        ),
    ] {
        assert_eq!(step_err(&format!("{step}\n")), format!("line 4: {message}"), "{step}");
    }
}

#[test]
fn message_rules_take_a_kind_and_endpoints() {
    let filter = |kind: Option<&str>, from, to| MessageFilter {
        kind: kind.map(str::to_string),
        from,
        to,
    };
    assert_eq!(
        actions(
            "hold ACK to 3\nrelease ACK to 3\nstop hold *\ndrop PROPOSAL from 3 to 2\nstop drop PROPOSAL\n\
             duplicate to 1 from 2\nstop duplicate\ndelay COMMIT by 200ms\ndelay by 1s\nstop delay COMMIT\n"
        ),
        vec![
            Action::Messages {
                rule: MessageRule::Hold,
                filter: filter(Some("ACK"), None, Some(3))
            },
            Action::Messages {
                rule: MessageRule::Release,
                filter: filter(Some("ACK"), None, Some(3))
            },
            Action::Messages {
                rule: MessageRule::StopHold,
                filter: filter(None, None, None)
            },
            Action::Messages {
                rule: MessageRule::Drop,
                filter: filter(Some("PROPOSAL"), Some(3), Some(2))
            },
            Action::Messages {
                rule: MessageRule::StopDrop,
                filter: filter(Some("PROPOSAL"), None, None)
            },
            Action::Messages {
                rule: MessageRule::Duplicate,
                filter: filter(None, Some(2), Some(1))
            },
            Action::Messages {
                rule: MessageRule::StopDuplicate,
                filter: filter(None, None, None)
            },
            Action::Messages {
                rule: MessageRule::Delay(200),
                filter: filter(Some("COMMIT"), None, None)
            },
            Action::Messages {
                rule: MessageRule::Delay(1000),
                filter: filter(None, None, None)
            },
            Action::Messages {
                rule: MessageRule::StopDelay,
                filter: filter(Some("COMMIT"), None, None)
            },
        ]
    );
}

#[test]
fn malformed_message_rules_say_what_is_expected() {
    for (step, message) in [
        (
            "hold ack",
            "expected a message kind such as PROPOSAL or ACK, \"*\", \"from N\" or \"to N\" after \"hold\", found \"ack\" (message kinds are written in capitals: ACK)",
        ),
        ("hold ACK to 3 to 2", "\"to\" is given twice in the message filter"),
        (
            "hold ACK 3",
            "expected \"from N\" or \"to N\" in the message filter, found \"3\"",
        ),
        (
            "delay ACK 200ms",
            "\"delay\" needs \"by DURATION\", such as \"delay ACK to 3 by 500ms\"",
        ),
        (
            "stop",
            "expected \"hold\", \"drop\", \"duplicate\" or \"delay\" after \"stop\", found the end of the line",
        ),
        ("drop to 7", "server 7 does not exist: this scenario has servers 1 to 3"),
    ] {
        assert_eq!(step_err(&format!("{step}\n")), format!("line 4: {message}"), "{step}");
    }
}

#[test]
fn disk_holds_name_a_durable_step_and_a_server() {
    assert_eq!(
        actions("hold disk fsync on 2\nrelease disk accepted-epoch on 1\nhold disk all on 3\n"),
        vec![
            Action::Disk {
                hold: true,
                kind: DiskKind::Fsync,
                server: 2
            },
            Action::Disk {
                hold: false,
                kind: DiskKind::AcceptedEpoch,
                server: 1
            },
            Action::Disk {
                hold: true,
                kind: DiskKind::All,
                server: 3
            },
        ]
    );
    assert_eq!(
        step_err("hold disk flush on 2\n"),
        "line 4: expected a disk step (append, fsync, accepted-epoch, current-epoch, snapshot, truncate, all) after \"hold disk\", found \"flush\""
    );
    assert_eq!(
        step_err("hold disk fsync 2\n"),
        "line 4: expected \"on N\" after \"hold disk fsync\", found \"2\""
    );
}

#[test]
fn clients_are_declared_then_used() {
    assert_eq!(
        actions(
            "client alice on 1 timeout 6s\nclient bob on 2\nalice moves to 3\nalice disconnects\nbob closes\n\
             alice locks /locks\nbob herd-locks /herd\nalice unlocks /locks\n"
        ),
        vec![
            Action::Client(ClientDecl {
                name: "alice".into(),
                server: 1,
                timeout_ms: Some(6000)
            }),
            Action::Client(ClientDecl {
                name: "bob".into(),
                server: 2,
                timeout_ms: None
            }),
            Action::MoveClient {
                client: "alice".into(),
                server: 3
            },
            Action::Disconnect("alice".into()),
            Action::CloseSession("bob".into()),
            Action::Lock {
                client: "alice".into(),
                path: "/locks".into(),
                herd: false
            },
            Action::Lock {
                client: "bob".into(),
                path: "/herd".into(),
                herd: true
            },
            Action::Unlock {
                client: "alice".into(),
                path: "/locks".into()
            },
        ]
    );
}

#[test]
fn client_mistakes_are_named() {
    for (steps, message) in [
        (
            "alice: get /a",
            "line 4: client \"alice\" is used before it is declared: add \"client alice on N\" above",
        ),
        (
            "bob disconnects",
            "line 4: client \"bob\" is used before it is declared: add \"client bob on N\" above",
        ),
        (
            "client a on 1\nclient a on 2",
            "line 5: client a is already declared on line 4",
        ),
        (
            "client crash on 1",
            "line 4: \"crash\" cannot name a client: the scenario language uses that word",
        ),
        (
            "client 9lives on 1",
            "line 4: \"9lives\" is not a client name: start with a letter, then letters, digits, \"-\" or \"_\"",
        ),
        (
            "client a on 1\na jumps",
            "line 5: expected \":\" and a command, \"moves to N\", \"disconnects\", \"closes\", \"locks PATH\", \"herd-locks PATH\" or \"unlocks PATH\" after \"a\", found \"jumps\"",
        ),
        (
            "client a on 1\na locks locks",
            "line 5: expected a znode path after \"locks\", found \"locks\": Path must start with / character",
        ),
        (
            "client a on 1\na:",
            "line 5: expected a zkCli command after \"a:\", such as \"a: get /app\"",
        ),
        (
            "client a on 1 timeout",
            "line 4: expected a duration such as 250ms, 3s or 2m after \"timeout\", found the end of the line",
        ),
        (
            "expect alice connected",
            "line 4: client \"alice\" is used before it is declared: add \"client alice on N\" above",
        ),
    ] {
        assert_eq!(step_err(&format!("{steps}\n")), message, "{steps}");
    }
}

#[test]
fn commands_keep_their_text_and_split_at_the_arrow_outside_quotes() {
    let command = |line: &str| match actions(&format!("client alice on 1\n{line}\n")).remove(1) {
        Action::Command {
            client,
            command,
            expect,
        } => {
            assert_eq!(client, "alice");
            (command, expect)
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(
        command("alice: create -e -s /lock/n- \"\""),
        ("create -e -s /lock/n- \"\"".to_string(), None)
    );
    assert_eq!(
        command("alice: set /app \"a => b\" -v 1 => BadVersion"),
        (
            "set /app \"a => b\" -v 1".to_string(),
            Some(Expect::Error("BadVersion".into()))
        )
    );
    assert_eq!(
        command("alice: get /app => \"say \\\"hi\\\"\\n\""),
        (
            "get /app".to_string(),
            Some(Expect::Text("say \"hi\"\n".into()))
        )
    );
    assert_eq!(
        command("alice: ls /locks => [lock-0000000001, \"a, b\"]"),
        (
            "ls /locks".to_string(),
            Some(Expect::List(vec!["lock-0000000001".into(), "a, b".into()]))
        )
    );
    assert_eq!(command("alice: ls / => []").1, Some(Expect::List(vec![])));
    assert_eq!(command("alice: sync / => ok").1, Some(Expect::Ok));
    assert_eq!(
        command("alice: create /x => pending").1,
        Some(Expect::Pending)
    );
}

#[test]
fn malformed_expectations_say_what_is_expected() {
    for (line, message) in [
        (
            "a: get /x => maybe",
            "expected ok, pending, an error name such as NoNode, a \"quoted string\" or a [list] after \"=>\", found \"maybe\"",
        ),
        (
            "a: get /x =>",
            "expected ok, pending, an error name such as NoNode, a \"quoted string\" or a [list] after \"=>\", found the end of the line",
        ),
        ("a: ls /x => [a,,b]", "\"[a,,b]\" has an empty item"),
        ("a: ls /x => [a b]", "\"a b\" in the list must be quoted: write \"...\""),
        (
            "a: get /x => \"a\\tb\"",
            "unknown escape \\t in \"\"a\\tb\"\": use \\\", \\\\ or \\n",
        ),
        (
            "a: create /x \"open",
            "the quoted string in \"\"open\" is not closed: add the closing \"",
        ),
    ] {
        assert_eq!(
            step_err(&format!("client a on 1\n{line}\n")),
            format!("line 5: {message}"),
            "{line}"
        );
    }
}

#[test]
fn conditions_cover_roles_leaders_logs_epochs_votes_time_and_clients() {
    let zxid = |e, c| Zxid::new(e, c);
    assert_eq!(
        condition("server 1 is leading"),
        Condition::Role {
            server: 1,
            role: Role::Leading
        }
    );
    assert_eq!(condition("leader is 3"), Condition::LeaderIs(3));
    assert_eq!(condition("leader elected"), Condition::LeaderElected);
    assert_eq!(condition("no leader"), Condition::NoLeader);
    assert_eq!(
        condition("server 2 logged 1:2"),
        Condition::Logged {
            server: 2,
            zxid: zxid(1, 2),
            exactly: false
        }
    );
    assert_eq!(
        condition("server 2 last-committed 3:0"),
        Condition::Committed {
            server: 2,
            zxid: zxid(3, 0),
            exactly: true
        }
    );
    assert_eq!(
        condition("server 2 accepted-epoch 4"),
        Condition::Epoch {
            server: 2,
            epoch: 4,
            accepted: true
        }
    );
    assert_eq!(
        condition("server 1 votes for 3"),
        Condition::VotesFor {
            server: 1,
            leader: 3
        }
    );
    assert_eq!(
        condition("server 1 round 2"),
        Condition::Round {
            server: 1,
            round: 2
        }
    );
    assert_eq!(condition("time 3s"), Condition::Time(3000));
    assert_eq!(
        condition("alice holds lock /locks"),
        Condition::HoldsLock {
            client: "alice".into(),
            path: "/locks".into()
        }
    );
    assert_eq!(
        condition("alice expired"),
        Condition::ClientExpired("alice".into())
    );
}

#[test]
fn and_binds_tighter_than_or_and_parentheses_group() {
    let role = |server, role| Condition::Role { server, role };
    assert_eq!(
        condition("server 1 is LEADING or server 2 is LEADING and server 3 is DOWN"),
        Condition::Any(vec![
            role(1, Role::Leading),
            Condition::All(vec![role(2, Role::Leading), role(3, Role::Down)]),
        ])
    );
    assert_eq!(
        condition("(server 1 is UP or server 2 is UP) and alice connected"),
        Condition::All(vec![
            Condition::Any(vec![role(1, Role::Up), role(2, Role::Up)]),
            Condition::ClientConnected("alice".into()),
        ])
    );
    assert_eq!(
        condition("no leader and time 5s and leader is 2"),
        Condition::All(vec![
            Condition::NoLeader,
            Condition::Time(5000),
            Condition::LeaderIs(2)
        ])
    );
}

#[test]
fn malformed_conditions_say_what_is_expected() {
    for (text, message) in [
        (
            "server 1 is BOSS",
            "expected a role (LOOKING, FOLLOWING, LEADING, OBSERVING, DOWN, UP, PAUSED) after \"is\", found \"BOSS\"",
        ),
        (
            "server 1 logged 12",
            "expected a zxid written epoch:counter (such as 1:2) after \"logged\", found \"12\"",
        ),
        (
            "server 1 logged 1:99999999999",
            "\"99999999999\" is too large for a zxid: each half is 32 bits",
        ),
        (
            "leader elected server 1 is UP",
            "unexpected \"server\" in the condition: join conditions with \"and\" or \"or\"",
        ),
        (
            "(leader elected",
            "expected \")\" to close the condition, found the end of the line",
        ),
        ("leader elected)", "a \")\" has no matching \"(\""),
        (
            "leader elected and",
            "expected a condition (server N is ROLE, leader is N, leader elected, no leader, time T, NAME connected, ...), found the end of the line",
        ),
        (
            "bob connected",
            "client \"bob\" is used before it is declared: add \"client bob on N\" above",
        ),
        (
            "server 1 votes 3",
            "expected \"for N\" after \"votes\", found \"3\"",
        ),
    ] {
        assert_eq!(
            step_err(&format!("client alice on 1\nexpect {text}\n")),
            format!("line 5: {message}"),
            "{text}"
        );
    }
}

#[test]
fn assertions_about_data_history_and_the_checker_parse() {
    assert_eq!(
        actions(
            "expect server 1 has /app\nexpect server 2 has /app = \"v 2\"\nexpect server 3 lacks /gone\n\
             expect servers 1 2 3 agree on /app\nexpect history agrees\nexpect no violations\n"
        ),
        vec![
            Action::Expect(Assertion::Has {
                server: 1,
                path: "/app".into(),
                data: None
            }),
            Action::Expect(Assertion::Has {
                server: 2,
                path: "/app".into(),
                data: Some("v 2".into())
            }),
            Action::Expect(Assertion::Lacks {
                server: 3,
                path: "/gone".into()
            }),
            Action::Expect(Assertion::Agree {
                servers: vec![1, 2, 3],
                path: "/app".into()
            }),
            Action::Expect(Assertion::HistoryAgrees),
            Action::Expect(Assertion::NoViolations),
        ]
    );
    assert_eq!(
        step_err("expect server 1 has /app = v2\n"),
        "line 4: expected a quoted string such as \"v1\" after \"=\", found \"v2\""
    );
    assert_eq!(
        step_err("expect servers 1 agree on /a\n"),
        "line 4: \"expect servers ... agree\" needs two or more servers"
    );
    assert_eq!(
        step_err("expect server 1 has app\n"),
        "line 4: expected a znode path after \"has\", found \"app\": Path must start with / character"
    );
}

#[test]
fn triggers_wrap_a_single_step() {
    assert_eq!(
        actions(
            "at 3s: crash 1\nwhen server 3 committed 1:2: crash 3\nwhen leader elected : heal\n"
        ),
        vec![
            Action::At {
                at_ms: 3000,
                action: Box::new(Action::Crash(1))
            },
            Action::When {
                condition: Condition::Committed {
                    server: 3,
                    zxid: Zxid::new(1, 2),
                    exactly: false
                },
                action: Box::new(Action::Crash(3))
            },
            Action::When {
                condition: Condition::LeaderElected,
                action: Box::new(Action::Heal(None))
            },
        ]
    );
    let client_step = actions("client a on 1\nwhen a connected: a: create /x \"y: z\" => ok\n");
    assert_eq!(
        client_step[1],
        Action::When {
            condition: Condition::ClientConnected("a".into()),
            action: Box::new(Action::Command {
                client: "a".into(),
                command: "create /x \"y: z\"".into(),
                expect: Some(Expect::Ok)
            })
        }
    );
}

#[test]
fn triggers_refuse_steps_that_are_not_one_moment() {
    for (step, message) in [
        (
            "at 1s: run for 2s",
            "\"run\" cannot be the step of a trigger: a trigger's step happens at one moment",
        ),
        (
            "when leader elected: at 5s: crash 1",
            "\"at\" cannot be the step of a trigger: triggers do not nest",
        ),
        (
            "at 1s: say en: hi",
            "\"say\" cannot be the step of a trigger: narration needs two lines (en and zh)",
        ),
        (
            "when leader elected crash 1",
            "\"when\" needs a colon before its step: \"when CONDITION: STEP\"",
        ),
        ("at 1s:", "expected a step after the colon of \"at\""),
        (
            "at 1s: seed 3",
            "\"seed\" cannot be the step of a trigger: it is a header",
        ),
    ] {
        assert_eq!(
            step_err(&format!("{step}\n")),
            format!("line 4: {message}"),
            "{step}"
        );
    }
}

#[test]
fn a_client_declared_in_a_trigger_counts_from_that_line() {
    let parsed = actions("when leader elected: client late on 2\nlate: get /\n");
    assert_eq!(parsed.len(), 2);
}

#[test]
fn display_writes_conditions_with_the_parentheses_they_need() {
    let role = |server| Condition::Role {
        server,
        role: Role::Up,
    };
    let nested = Condition::All(vec![
        Condition::Any(vec![role(1), role(2)]),
        Condition::All(vec![role(3), Condition::LeaderElected]),
    ]);
    assert_eq!(
        nested.to_string(),
        "(server 1 is UP or server 2 is UP) and (server 3 is UP and leader elected)"
    );
    let reparsed = condition(&nested.to_string());
    assert_eq!(reparsed, nested);
}

#[test]
fn display_quotes_what_would_not_read_back_bare() {
    let step = Action::Expect(Assertion::Has {
        server: 1,
        path: "/a b".into(),
        data: Some("x\"y".into()),
    });
    assert_eq!(
        step.to_string(),
        "expect server 1 has \"/a b\" = \"x\\\"y\""
    );
    assert_eq!(action(&step.to_string()), step);
    assert_eq!(
        Action::Skew {
            server: 2,
            ms: -90_000
        }
        .to_string(),
        "skew 2 -90s"
    );
    assert_eq!(Action::RunFor(120_000).to_string(), "run for 2m");
    assert_eq!(Action::RunFor(1500).to_string(), "run for 1500ms");
}

proptest::proptest! {
    #[test]
    fn any_text_parses_or_fails_with_a_line_number(text in "(?s).{0,300}") {
        if let Err(error) = parse("fuzz", &text) {
            proptest::prop_assert!(error.line >= 1);
            proptest::prop_assert!(!error.message.is_empty());
        }
    }

    #[test]
    fn statement_like_lines_never_panic_and_display_back(lines in proptest::collection::vec(
        "(say en:|say zh:|run until|run for|when|at|expect|expect server 1|hold|stop|partition|cut|heal|client a on|a:|a|question|answer|choice 1 en:|end|crash|skew 1|delay|pause 1|slow-disk 2) ?[ -~]{0,30}",
        0..12,
    )) {
        let text = format!("{HEADER}client a on 1\n{}", lines.join("\n"));
        if let Ok(scenario) = parse("fuzz", &text) {
            // Whatever parses displays back to the same steps.
            let written = scenario.to_string();
            let again = parse("fuzz", &written);
            proptest::prop_assert!(again.is_ok(), "{:?}\n{}", again, written);
            let actions = |s: &Scenario| -> Vec<Action> {
                s.steps.iter().map(|step| step.action.clone()).collect()
            };
            proptest::prop_assert_eq!(actions(&again.unwrap()), actions(&scenario));
        }
    }

    #[test]
    fn edits_of_shipped_scenarios_never_panic(
        which in 0usize..11,
        edits in proptest::collection::vec((0usize..10_000, 0usize..6, "[ -~]{0,8}|[\\u{80}-\\u{10ffff}]{0,2}"), 1..6),
    ) {
        let shipped = &shipped()[which % shipped().len()];
        let mut text = shipped.text.to_string();
        for (at, kind, insert) in edits {
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            match kind {
                // Insert a fragment.
                0 | 1 => text.insert_str(at, &insert),
                // Delete a few characters.
                2 => {
                    let end = text[at..].char_indices().nth(5).map_or(text.len(), |(i, _)| at + i);
                    text.replace_range(at..end, "");
                }
                // Cut the file short.
                3 => text.truncate(at),
                // Swap two lines.
                4 => {
                    let mut lines: Vec<&str> = text.lines().collect();
                    if lines.len() > 1 {
                        let i = at % lines.len();
                        let j = (at / 7) % lines.len();
                        lines.swap(i, j);
                    }
                    text = lines.join("\n");
                }
                // Duplicate a line.
                _ => {
                    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                    if !lines.is_empty() {
                        let i = at % lines.len();
                        lines.insert(i, lines[i].clone());
                    }
                    text = lines.join("\n");
                }
            }
        }
        match parse(shipped.name, &text) {
            Ok(scenario) => {
                // Whatever parses must also display back into something that parses.
                let written = scenario.to_string();
                proptest::prop_assert!(parse(shipped.name, &written).is_ok(), "{}", written);
            }
            Err(error) => proptest::prop_assert!(error.line >= 1),
        }
    }
}

#[test]
fn the_examples_in_the_language_reference_parse() {
    let reference = include_str!("../../docs/scenarios.md");
    let blocks: Vec<&str> = reference.split("```").skip(1).step_by(2).collect();
    let first = parse("example", blocks[0]).unwrap();
    assert_eq!(first.steps.len(), 5);
    let with_header = |block: &str| format!("{HEADER}client alice on 1\n{block}");
    for block in &blocks[1..] {
        if let Err(error) = parse("example", &with_header(block)) {
            panic!("{error}\n{block}");
        }
    }
}

/// Generated trees, for checking that `Display` writes what the parser reads back.
mod generated {
    use super::*;
    use proptest::prelude::*;

    fn server() -> impl Strategy<Value = ServerId> {
        1u64..=3
    }

    fn path() -> impl Strategy<Value = String> {
        proptest::collection::vec("[a-z0-9 ()#:-]{1,6}", 1..3).prop_filter_map(
            "a valid znode path",
            |segments| {
                let path = format!("/{}", segments.join("/"));
                crate::data::path::validate_path(&path)
                    .is_ok()
                    .then_some(path)
            },
        )
    }

    fn zxid() -> impl Strategy<Value = Zxid> {
        (any::<u32>(), any::<u32>()).prop_map(|(e, c)| Zxid::new(e, c))
    }

    fn atom() -> impl Strategy<Value = Condition> {
        let role = proptest::sample::select(Role::ALL.to_vec());
        prop_oneof![
            (server(), role).prop_map(|(server, role)| Condition::Role { server, role }),
            server().prop_map(Condition::LeaderIs),
            Just(Condition::LeaderElected),
            Just(Condition::NoLeader),
            (server(), zxid(), any::<bool>()).prop_map(|(server, zxid, exactly)| {
                Condition::Logged {
                    server,
                    zxid,
                    exactly,
                }
            }),
            (server(), zxid(), any::<bool>()).prop_map(|(server, zxid, exactly)| {
                Condition::Committed {
                    server,
                    zxid,
                    exactly,
                }
            }),
            (server(), any::<u32>(), any::<bool>()).prop_map(|(server, epoch, accepted)| {
                Condition::Epoch {
                    server,
                    epoch,
                    accepted,
                }
            }),
            (server(), server())
                .prop_map(|(server, leader)| Condition::VotesFor { server, leader }),
            (server(), any::<u64>()).prop_map(|(server, round)| Condition::Round { server, round }),
            (0u64..10_000_000).prop_map(Condition::Time),
            Just(Condition::ClientConnected("a".into())),
            Just(Condition::ClientExpired("a".into())),
            path().prop_map(|path| Condition::HoldsLock {
                client: "a".into(),
                path
            }),
        ]
    }

    fn condition() -> impl Strategy<Value = Condition> {
        atom().prop_recursive(3, 16, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 2..4).prop_map(Condition::Any),
                proptest::collection::vec(inner, 2..4).prop_map(Condition::All),
            ]
        })
    }

    fn expectation() -> impl Strategy<Value = Expect> {
        prop_oneof![
            Just(Expect::Ok),
            Just(Expect::Pending),
            "[A-Z][A-Za-z0-9]{0,10}"
                .prop_filter("not ok or pending", |name| {
                    !name.eq_ignore_ascii_case("ok") && !name.eq_ignore_ascii_case("pending")
                })
                .prop_map(Expect::Error),
            ".{0,12}".prop_map(Expect::Text),
            proptest::collection::vec(".{0,6}", 0..4).prop_map(Expect::List),
        ]
    }

    /// A step that may stand inside a trigger.
    fn simple_action() -> impl Strategy<Value = Action> {
        let filter = (
            proptest::option::of("[A-Z][A-Z_]{0,8}"),
            proptest::option::of(server()),
            proptest::option::of(server()),
        )
            .prop_map(|(kind, from, to)| MessageFilter { kind, from, to });
        let rule = prop_oneof![
            Just(MessageRule::Hold),
            Just(MessageRule::Release),
            Just(MessageRule::StopHold),
            Just(MessageRule::Drop),
            Just(MessageRule::StopDrop),
            Just(MessageRule::Duplicate),
            Just(MessageRule::StopDuplicate),
            (1u64..100_000).prop_map(MessageRule::Delay),
            Just(MessageRule::StopDelay),
        ];
        let command = proptest::sample::select(vec![
            "get /app",
            "create -e -s /lock/n- \"\"",
            "set /app \"a => b\" -v 1",
            "ls /",
        ]);
        prop_oneof![
            server().prop_map(Action::Crash),
            (server(), proptest::option::of(1u64..1_000_000))
                .prop_map(|(server, for_ms)| Action::Pause { server, for_ms }),
            (server(), any::<i32>()).prop_map(|(server, ms)| Action::Skew {
                server,
                ms: i64::from(ms)
            }),
            (server(), 0u64..100_000).prop_map(|(server, ms)| Action::SlowDisk { server, ms }),
            Just(Action::Partition(vec![vec![1], vec![2, 3]])),
            (server(), server(), any::<bool>())
                .prop_filter("two servers", |(a, b, _)| a != b)
                .prop_map(|(from, to, both_ways)| Action::Heal(Some((from, to, both_ways)))),
            (rule, filter).prop_map(|(rule, filter)| Action::Messages { rule, filter }),
            (
                any::<bool>(),
                proptest::sample::select(DiskKind::ALL.to_vec()),
                server()
            )
                .prop_map(|(hold, kind, server)| Action::Disk { hold, kind, server }),
            (command, proptest::option::of(expectation())).prop_map(|(command, expect)| {
                Action::Command {
                    client: "a".into(),
                    command: command.to_string(),
                    expect,
                }
            }),
            (path(), any::<bool>()).prop_map(|(path, herd)| Action::Lock {
                client: "a".into(),
                path,
                herd
            }),
            (server(), path(), proptest::option::of(".{0,8}")).prop_map(|(server, path, data)| {
                Action::Expect(Assertion::Has { server, path, data })
            }),
            condition().prop_map(|condition| Action::Expect(Assertion::Holds(condition))),
        ]
    }

    fn action() -> impl Strategy<Value = Action> {
        prop_oneof![
            simple_action(),
            (condition(), proptest::option::of(1u64..10_000_000)).prop_map(
                |(condition, within_ms)| Action::RunUntil {
                    condition,
                    within_ms
                }
            ),
            (condition(), simple_action()).prop_map(|(condition, action)| Action::When {
                condition,
                action: Box::new(action)
            }),
            (0u64..10_000_000, simple_action()).prop_map(|(at_ms, action)| Action::At {
                at_ms,
                action: Box::new(action)
            }),
        ]
    }

    proptest! {
        #[test]
        fn displayed_steps_parse_back_to_the_same_tree(action in action()) {
            let text = format!("{HEADER}client a on 1\n{action}\n");
            let parsed = parse("generated", &text);
            prop_assert!(parsed.is_ok(), "{:?}\n{}", parsed, text);
            let parsed = parsed.unwrap();
            prop_assert_eq!(parsed.steps.last().map(|step| &step.action), Some(&action));
        }
    }
}
