//! `zooscope sim`: run the simulator natively and print what happened.

use crate::peer::message::ServerId;
use crate::sim::{SimConfig, Simulation};
use crate::time::VirtualTime;
use clap::Args;
use std::io::Write;
use std::str::FromStr;

#[derive(Args, Debug)]
pub struct SimArgs {
    /// Number of servers in the ensemble.
    #[arg(long, default_value_t = 3)]
    servers: u64,
    /// Seed for every random choice in the run (1 if not given; a scenario's own seed); the
    /// same seed gives the same trace.
    #[arg(long)]
    seed: Option<u64>,
    /// How long to run, in virtual milliseconds.
    #[arg(long, default_value_t = 10_000)]
    millis: u64,
    /// ZooKeeper's tickTime, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    tick_ms: u64,
    /// Crash a server at a virtual time, as ID@MS (repeatable).
    #[arg(long, value_name = "ID@MS")]
    crash: Vec<ServerAt>,
    /// Restart a crashed server at a virtual time, as ID@MS (repeatable).
    #[arg(long, value_name = "ID@MS")]
    restart: Vec<ServerAt>,
    /// Print only the summary, not every trace event.
    #[arg(long)]
    quiet: bool,
    /// Run randomized fault schedules instead: one per seed of --seeds, stopping at the
    /// first broken invariant.
    #[arg(long)]
    swarm: bool,
    /// The seeds of a swarm run, as A..B (B excluded) or a single seed.
    #[arg(long, value_name = "A..B", default_value = "1..101")]
    seeds: SeedRange,
    /// Measure the simulator: --servers participants under a steady write load (one client
    /// per server) for --millis of virtual time; prints delivered messages per second.
    #[arg(long)]
    bench: bool,
    /// Run a scenario: a file, or the name of a shipped one (see docs/scenarios.md).
    /// --seed, if given, replaces the file's seed.
    #[arg(long, value_name = "FILE|NAME")]
    scenario: Option<String>,
}

/// Seeds `A..B` (B excluded), or one seed `A`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedRange {
    start: u64,
    end: u64,
}

impl FromStr for SeedRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let number = |t: &str| {
            t.trim()
                .parse::<u64>()
                .map_err(|_| format!("seed {t:?} is not a whole number"))
        };
        match text.split_once("..") {
            Some((a, b)) => {
                let (start, end) = (number(a)?, number(b)?);
                if end <= start {
                    return Err(format!("empty seed range {text}: the end is excluded"));
                }
                Ok(SeedRange { start, end })
            }
            None => {
                let start = number(text)?;
                Ok(SeedRange {
                    start,
                    end: start.saturating_add(1),
                })
            }
        }
    }
}

/// `zooscope sim --scenario`: the narration (in both languages), questions with their
/// answers, and each step; at a failure, the line and what went wrong, and an error.
fn run_scenario(
    which: &str,
    seed: Option<u64>,
    quiet: bool,
    out: &mut impl Write,
) -> Result<(), String> {
    use crate::scenario::run::{Runner, Shown};
    let (name, text) = match crate::scenario::library::find(which) {
        Some(shipped) => (shipped.name.to_string(), shipped.text.to_string()),
        None => {
            let path = std::path::Path::new(which);
            let text = std::fs::read_to_string(path).map_err(|e| {
                format!("{which} is neither a shipped scenario nor a readable file: {e}")
            })?;
            let name = path
                .file_stem()
                .map_or_else(|| which.to_string(), |s| s.to_string_lossy().into_owned());
            (name, text)
        }
    };
    let scenario = crate::scenario::parse(&name, &text).map_err(|e| format!("{which}: {e}"))?;
    let write_error = |e: std::io::Error| e.to_string();
    writeln!(out, "== {} / {}", scenario.title.en, scenario.title.zh).map_err(write_error)?;
    let mut runner = Runner::new(scenario, seed)?;
    let mut printed = 0;
    loop {
        let step = runner.step();
        if !quiet {
            for event in &runner.sim().trace()[printed..] {
                writeln!(out, "  {event}").map_err(write_error)?;
            }
        }
        printed = runner.sim().trace().len();
        match step {
            Ok(None) => break,
            Ok(Some(Shown::Say(text))) => writeln!(
                out,
                "> {}
> {}",
                text.en, text.zh
            )
            .map_err(write_error)?,
            Ok(Some(Shown::Question(q))) => {
                writeln!(
                    out,
                    "? {}
? {}",
                    q.ask.en, q.ask.zh
                )
                .map_err(write_error)?;
                for (key, label) in &q.choices {
                    writeln!(out, "  ({key}) {} / {}", label.en, label.zh).map_err(write_error)?;
                }
                writeln!(
                    out,
                    "  answer: {}. {}
  {}",
                    q.answer, q.explain.en, q.explain.zh
                )
                .map_err(write_error)?;
            }
            Ok(Some(Shown::Did(what))) => {
                writeln!(out, "{} | {what}", runner.sim().now()).map_err(write_error)?
            }
            Ok(Some(Shown::Held(what))) => {
                writeln!(out, "{} | ok: {what}", runner.sim().now()).map_err(write_error)?
            }
            Err(failure) => {
                writeln!(out, "FAILED {failure}").map_err(write_error)?;
                return Err(format!("scenario {name} failed at {failure}"));
            }
        }
    }
    writeln!(out, "--").map_err(write_error)?;
    for status in runner.sim().servers() {
        writeln!(out, "{status}").map_err(write_error)?;
    }
    writeln!(out, "trace hash {:016x}", runner.sim().trace_hash()).map_err(write_error)?;
    Ok(())
}

/// `zooscope sim --swarm`: each seed's summary line; at the first failure, the end of its
/// trace and the command that reproduces it, and an error.
fn run_swarm(seeds: SeedRange, quiet: bool, out: &mut impl Write) -> Result<(), String> {
    let write_error = |e: std::io::Error| e.to_string();
    let mut passed = 0;
    for seed in seeds.start..seeds.end {
        let (run, sim) = crate::sim::swarm::run_seed(seed);
        if !quiet || run.failure.is_some() {
            writeln!(out, "{run}").map_err(write_error)?;
        }
        if run.failure.is_some() {
            // The whole trace, or with --quiet only its end.
            let trace = sim.trace();
            let shown = if quiet {
                trace.len().min(80)
            } else {
                trace.len()
            };
            writeln!(out, "-- the last {shown} events of seed {seed}:").map_err(write_error)?;
            for event in &trace[trace.len() - shown..] {
                writeln!(out, "{event}").map_err(write_error)?;
            }
            return Err(format!(
                "seed {seed} broke an invariant; reproduce with: zooscope sim --swarm --seeds {seed}"
            ));
        }
        passed += 1;
    }
    writeln!(out, "{passed} seeds, no invariant broken").map_err(write_error)?;
    Ok(())
}

/// A server id and a virtual time, written `ID@MS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerAt {
    server: ServerId,
    at_ms: u64,
}

impl FromStr for ServerAt {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (server, at_ms) = text
            .split_once('@')
            .ok_or_else(|| format!("expected ID@MS, for example 2@5000, got {text:?}"))?;
        let server = server
            .parse()
            .map_err(|_| format!("server id {server:?} is not a number"))?;
        let at_ms = at_ms
            .parse()
            .map_err(|_| format!("time {at_ms:?} is not a number of milliseconds"))?;
        Ok(ServerAt { server, at_ms })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    Crash,
    Restart,
}

pub fn run(args: &SimArgs, out: &mut impl Write) -> Result<(), String> {
    if args.swarm {
        return run_swarm(args.seeds, args.quiet, out);
    }
    if args.bench {
        let started = std::time::Instant::now();
        let sim = crate::sim::load::write_load(args.servers, args.seed.unwrap_or(1), args.millis)
            .map_err(|e| e.to_string())?;
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        writeln!(
            out,
            "{}",
            crate::sim::load::report(&sim, args.millis, micros)
        )
        .map_err(|e| e.to_string())?;
        return Ok(());
    }
    if let Some(scenario) = &args.scenario {
        return run_scenario(scenario, args.seed, args.quiet, out);
    }
    let config = SimConfig {
        servers: args.servers,
        seed: args.seed.unwrap_or(1),
        tick_ms: args.tick_ms,
        ..SimConfig::default()
    };
    let mut sim = Simulation::new(config).map_err(|e| e.to_string())?;
    let mut faults: Vec<(u64, Fault, ServerId)> = args
        .crash
        .iter()
        .map(|c| (c.at_ms, Fault::Crash, c.server))
        .chain(
            args.restart
                .iter()
                .map(|r| (r.at_ms, Fault::Restart, r.server)),
        )
        .collect();
    faults.sort();
    for &(_, _, server) in &faults {
        if server == 0 || server > args.servers {
            return Err(format!(
                "server {server} does not exist: servers are numbered 1 to {}",
                args.servers
            ));
        }
    }

    let write_error = |e: std::io::Error| e.to_string();
    let mut printed = 0;
    let mut print_new_events = |sim: &Simulation, out: &mut dyn Write| -> Result<(), String> {
        if !args.quiet {
            for event in &sim.trace()[printed..] {
                writeln!(out, "{event}").map_err(write_error)?;
            }
        }
        printed = sim.trace().len();
        Ok(())
    };
    for (at_ms, fault, server) in faults.into_iter().filter(|f| f.0 <= args.millis) {
        sim.run_until(VirtualTime::from_millis(at_ms));
        match fault {
            Fault::Crash => sim.crash(server),
            Fault::Restart => sim.restart(server),
        };
        print_new_events(&sim, out)?;
    }
    sim.run_until(VirtualTime::from_millis(args.millis));
    print_new_events(&sim, out)?;

    writeln!(out, "--").map_err(write_error)?;
    for status in sim.servers() {
        writeln!(out, "{status}").map_err(write_error)?;
    }
    writeln!(
        out,
        "virtual time {}, {} steps, {} messages delivered, {} trace events",
        sim.now(),
        sim.steps_taken(),
        sim.messages_delivered(),
        sim.trace().len()
    )
    .map_err(write_error)?;
    writeln!(out, "trace hash {:016x}", sim.trace_hash()).map_err(write_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: SimArgs,
    }

    fn run_with(argv: &[&str]) -> Result<String, String> {
        let wrapper = Wrapper::try_parse_from(std::iter::once("sim").chain(argv.iter().copied()))
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        run(&wrapper.args, &mut out)?;
        Ok(String::from_utf8(out).expect("output is UTF-8"))
    }

    #[test]
    fn prints_trace_then_summary_with_hash() {
        let out = run_with(&["--seed", "7", "--millis", "5000"]).unwrap();
        assert!(out.starts_with("0.000s server 1: booted"));
        assert!(
            out.contains("server 3: LEADING (broadcast), epoch 1"),
            "{out}"
        );
        assert!(out.lines().last().unwrap().starts_with("trace hash "));
    }

    #[test]
    fn crash_flag_takes_a_server_down_at_its_time() {
        let out = run_with(&["--quiet", "--crash", "2@3000", "--millis", "9000"]).unwrap();
        assert!(out.contains("server 2: down"), "{out}");
        assert!(out.contains("server 3: LEADING (broadcast)"), "{out}");
    }

    #[test]
    fn restart_flag_brings_a_server_back() {
        let out = run_with(&[
            "--quiet",
            "--crash",
            "2@3000",
            "--restart",
            "2@6000",
            "--millis",
            "12000",
        ])
        .unwrap();
        assert!(out.contains("server 2: FOLLOWING (broadcast)"), "{out}");
    }

    #[test]
    fn fault_on_missing_server_is_a_clear_error() {
        let err = run_with(&["--crash", "9@100"]).unwrap_err();
        assert_eq!(err, "server 9 does not exist: servers are numbered 1 to 3");
    }

    #[test]
    fn malformed_fault_is_refused_by_the_parser() {
        let err = run_with(&["--crash", "two@100"]).unwrap_err();
        assert!(err.contains("server id \"two\" is not a number"), "{err}");
    }

    #[test]
    fn zero_servers_is_refused() {
        let err = run_with(&["--servers", "0"]).unwrap_err();
        assert_eq!(err, "an ensemble needs at least one participant");
    }
}
