//! `zooscope bench`: a load generator that speaks ZooKeeper's wire protocol, to measure any
//! ZooKeeper-compatible server (zooscope's or Apache's) with the same client.
//!
//! A run has phases: connect N sessions; create the parent and the keys (create if absent,
//! overwrite the value if present, so every key holds the requested size); warm up; measure
//! for a duration or a number of operations; optionally delete what setup created; close the
//! sessions. `--populate N` only creates N keys and times it, for memory measurements.

mod connection;
mod report;
mod workload;

use clap::Args;
use connection::{Connection, OpSource};
use report::{LoadReport, Measurement, PopulateReport};
use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use workload::{key_path, owned_keys, Chooser, OpKind, OpMix, PARENT};

use crate::data::types::{Acl, ErrorCode};
use crate::proto::records::{
    CreateRequest, DeleteRequest, PathWatchRequest, Request, SetDataRequest,
};

/// Largest value accepted: ZooKeeper's default `jute.maxbuffer` is 1 MiB - 1 for the whole
/// request, path and headers included.
const MAX_VALUE_SIZE: usize = 1_000_000;
const MAX_CLIENTS: usize = 4096;
const MAX_PIPELINE: usize = 100_000;
const DEFAULT_DURATION_S: f64 = 10.0;

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// The server to load, as host:port (for example 127.0.0.1:2181).
    #[arg(long, value_name = "HOST:PORT")]
    server: String,
    /// Connections, each its own session.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Requests each connection keeps in flight.
    #[arg(long, default_value_t = 16)]
    pipeline: usize,
    /// read (getData), write (setData) or mixed:R with R percent reads.
    #[arg(long, default_value = "write", value_name = "read|write|mixed:R")]
    op: OpMix,
    /// Size of each key's value, in bytes.
    #[arg(long, default_value_t = 1024, value_name = "BYTES")]
    value_size: usize,
    /// Measure for this many seconds (the default, 10, unless --ops is given).
    #[arg(long, value_name = "S", value_parser = parse_seconds, conflicts_with = "ops")]
    duration: Option<f64>,
    /// Measure this many operations instead of a duration.
    #[arg(long, value_name = "N")]
    ops: Option<u64>,
    /// Keys to spread the load over, /zooscope-bench/k0 .. k<K-1>.
    #[arg(long, default_value_t = 1000, value_name = "K")]
    keys: u64,
    /// Seed of the operation and key choices; each client draws its own stream of it.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Seconds of load before measuring, to let caches and JITs settle.
    #[arg(long, default_value = "1", value_name = "S", value_parser = parse_seconds)]
    warmup: f64,
    /// Only create N keys (pipelined) and report the time; for memory measurements.
    #[arg(long, value_name = "N", conflicts_with_all = ["op", "duration", "ops", "keys", "seed", "warmup"])]
    populate: Option<u64>,
    /// Delete the keys and their parent afterwards.
    #[arg(long)]
    teardown: bool,
    /// Print one JSON line instead of the text report.
    #[arg(long)]
    json: bool,
    /// Worker threads of the load generator (it shares the machine with the server).
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

/// Seconds as a finite, non-negative number of at most a day.
fn parse_seconds(text: &str) -> Result<f64, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !seconds.is_finite() || !(0.0..=86_400.0).contains(&seconds) {
        return Err(format!("{text} s is outside 0..=86400"));
    }
    Ok(seconds)
}

/// When the load phase stops sending.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Stop {
    After(Duration),
    Ops(u64),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Load {
        mix: OpMix,
        stop: Stop,
        warmup: Duration,
    },
    Populate,
}

/// The validated options of a run.
#[derive(Clone, Debug, PartialEq)]
struct Plan {
    server: String,
    clients: usize,
    pipeline: usize,
    value_size: usize,
    /// Keys the setup creates: `--keys`, or `--populate`'s count.
    keys: u64,
    seed: u64,
    mode: Mode,
    teardown: bool,
    json: bool,
    threads: usize,
}

impl BenchArgs {
    fn plan(&self) -> Result<Plan, String> {
        check_range("--clients", self.clients, 1, MAX_CLIENTS)?;
        check_range("--pipeline", self.pipeline, 1, MAX_PIPELINE)?;
        check_range("--value-size", self.value_size, 0, MAX_VALUE_SIZE)?;
        check_range("--threads", self.threads, 1, 64)?;
        let (keys, mode) = match self.populate {
            Some(count) => (count, Mode::Populate),
            None => {
                if self.keys == 0 {
                    return Err("--keys must be at least 1".to_string());
                }
                let stop = match (self.duration, self.ops) {
                    (_, Some(0)) => return Err("--ops must be at least 1".to_string()),
                    (_, Some(ops)) => Stop::Ops(ops),
                    (Some(seconds), None) if seconds <= 0.0 => {
                        return Err("--duration must be more than 0 s".to_string())
                    }
                    (Some(seconds), None) => Stop::After(Duration::from_secs_f64(seconds)),
                    (None, None) => Stop::After(Duration::from_secs_f64(DEFAULT_DURATION_S)),
                };
                let mode = Mode::Load {
                    mix: self.op,
                    stop,
                    warmup: Duration::from_secs_f64(self.warmup),
                };
                (self.keys, mode)
            }
        };
        Ok(Plan {
            server: self.server.clone(),
            clients: self.clients,
            pipeline: self.pipeline,
            value_size: self.value_size,
            keys,
            seed: self.seed,
            mode,
            teardown: self.teardown,
            json: self.json,
            threads: self.threads,
        })
    }
}

fn check_range(name: &str, value: usize, min: usize, max: usize) -> Result<(), String> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(format!("{name} {value} is outside {min}..={max}"))
    }
}

pub fn run(args: &BenchArgs, out: &mut impl Write) -> Result<(), String> {
    let plan = args.plan()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(plan.threads)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let text = runtime.block_on(run_plan(&plan))?;
    writeln!(out, "{}", text.trim_end()).map_err(|e| format!("cannot write the report: {e}"))
}

/// Runs every phase and returns the report to print.
async fn run_plan(plan: &Plan) -> Result<String, String> {
    let addr = resolve(&plan.server).await?;
    let mut connections = open_all(addr, plan.clients).await?;
    let value: Value = vec![b'x'; plan.value_size].into();

    let setup_started = Instant::now();
    let (created, existed) = setup(&mut connections, plan, &value).await?;
    let setup_s = setup_started.elapsed().as_secs_f64();

    let text = match plan.mode {
        Mode::Populate => {
            let report = PopulateReport {
                server: plan.server.clone(),
                znodes: plan.keys,
                created,
                existed,
                value_size: plan.value_size,
                clients: plan.clients,
                pipeline: plan.pipeline,
                elapsed_s: setup_s,
            };
            if plan.json {
                report.to_json()
            } else {
                report.to_text()
            }
        }
        Mode::Load { mix, stop, warmup } => {
            let report = load(&mut connections, plan, mix, stop, warmup, &value).await?;
            if plan.json {
                report.to_json()
            } else {
                report.to_text()
            }
        }
    };

    if plan.teardown {
        teardown(&mut connections, plan).await?;
    }
    for connection in connections {
        let session_id = connection.session_id();
        // The run's figures are already in; a session the server fails to close only lingers
        // there until its timeout, which is worth a warning, not a failed run.
        if let Err(e) = connection.close().await {
            eprintln!("zooscope bench: closing session 0x{session_id:x}: {e}");
        }
    }
    Ok(text)
}

async fn resolve(server: &str) -> Result<SocketAddr, String> {
    tokio::net::lookup_host(server)
        .await
        .map_err(|e| format!("cannot resolve --server {server:?} (expected host:port): {e}"))?
        .next()
        .ok_or_else(|| format!("--server {server:?} resolves to no address"))
}

async fn open_all(addr: SocketAddr, clients: usize) -> Result<Vec<Connection>, String> {
    let tasks: Vec<_> = (0..clients)
        .map(|_| tokio::spawn(Connection::open(addr)))
        .collect();
    let mut connections = Vec::with_capacity(clients);
    for task in tasks {
        connections.push(joined(task.await)??);
    }
    Ok(connections)
}

fn joined<T>(result: Result<T, tokio::task::JoinError>) -> Result<T, String> {
    result.map_err(|e| format!("a client task failed: {e}"))
}

/// Drives every connection with its own source in parallel, handing both back.
async fn drive_all<S>(
    connections: &mut Vec<Connection>,
    pipeline: usize,
    sources: Vec<S>,
) -> Result<Vec<S>, String>
where
    S: OpSource + Send + 'static,
    S::Tag: Send,
{
    let tasks: Vec<_> = connections
        .drain(..)
        .zip(sources)
        .map(|(mut connection, mut source)| {
            tokio::spawn(async move {
                let result = connection.drive(pipeline, &mut source).await;
                (connection, source, result)
            })
        })
        .collect();
    let mut sources = Vec::with_capacity(tasks.len());
    let mut first_error = None;
    for task in tasks {
        let (connection, source, result) = joined(task.await)?;
        connections.push(connection);
        sources.push(source);
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(sources),
    }
}

/// Sends a fixed list of requests and keeps each one's error code.
struct ListSource {
    pending: VecDeque<Request>,
    results: Vec<i32>,
}

impl OpSource for ListSource {
    type Tag = ();

    fn next_request(&mut self, _now: Instant) -> Option<((), Request)> {
        self.pending.pop_front().map(|request| ((), request))
    }

    fn on_reply(&mut self, (): (), err: i32, _sent: Instant, _received: Instant) {
        self.results.push(err);
    }
}

/// Sends requests one after another on the first connection (the parent znode, which must
/// exist before its children, and must be deleted after them).
async fn run_list(
    connections: &mut [Connection],
    requests: Vec<Request>,
) -> Result<Vec<i32>, String> {
    let connection = connections
        .first_mut()
        .ok_or_else(|| "no connection".to_string())?;
    let mut source = ListSource {
        pending: requests.into(),
        results: Vec::new(),
    };
    connection.drive(1, &mut source).await?;
    Ok(source.results)
}

/// The value every key gets, shared by all clients rather than copied per client.
type Value = Arc<[u8]>;

fn create_request(path: String, value: &[u8]) -> Request {
    Request::Create(CreateRequest {
        path,
        data: Some(value.to_vec()),
        acl: Acl::open_unsafe(),
        flags: 0,
    })
}

fn set_data_request(path: String, value: &[u8]) -> Request {
    Request::SetData(SetDataRequest {
        path,
        data: Some(value.to_vec()),
        version: -1,
    })
}

#[derive(Clone, Copy, Debug)]
enum SetupStep {
    Create(u64),
    Overwrite(u64),
}

/// Creates one client's share of the keys; a key that exists is overwritten instead, so a
/// key always ends up holding a value of the requested size.
struct SetupSource {
    keys: Box<dyn Iterator<Item = u64> + Send>,
    overwrite: VecDeque<u64>,
    value: Value,
    created: u64,
    existed: u64,
    failure: Option<String>,
}

impl OpSource for SetupSource {
    type Tag = SetupStep;

    fn next_request(&mut self, _now: Instant) -> Option<(SetupStep, Request)> {
        if self.failure.is_some() {
            return None;
        }
        if let Some(key) = self.overwrite.pop_front() {
            return Some((
                SetupStep::Overwrite(key),
                set_data_request(key_path(key), &self.value),
            ));
        }
        let key = self.keys.next()?;
        Some((
            SetupStep::Create(key),
            create_request(key_path(key), &self.value),
        ))
    }

    fn on_reply(&mut self, step: SetupStep, err: i32, _sent: Instant, _received: Instant) {
        match step {
            SetupStep::Create(_) if err == 0 => self.created += 1,
            SetupStep::Create(key) if err == ErrorCode::NodeExists.code() => {
                self.existed += 1;
                self.overwrite.push_back(key);
            }
            SetupStep::Overwrite(_) if err == 0 => {}
            SetupStep::Create(key) | SetupStep::Overwrite(key) => {
                self.failure.get_or_insert_with(|| {
                    format!("setup of {} failed: {}", key_path(key), code_text(err))
                });
            }
        }
    }
}

fn code_text(err: i32) -> String {
    format!("error {err} ({})", report::error_name(err))
}

/// Creates the parent and the keys; returns how many keys were created and how many existed.
async fn setup(
    connections: &mut Vec<Connection>,
    plan: &Plan,
    value: &Value,
) -> Result<(u64, u64), String> {
    let parent = run_list(connections, vec![create_request(PARENT.to_string(), &[])]).await?;
    if let Some(&err) = parent.first() {
        if err != 0 && err != ErrorCode::NodeExists.code() {
            return Err(format!("cannot create {PARENT}: {}", code_text(err)));
        }
    }
    let clients = connections.len() as u64;
    let sources = (0..clients)
        .map(|client| SetupSource {
            keys: Box::new(owned_keys(client, clients, plan.keys)),
            overwrite: VecDeque::new(),
            value: Arc::clone(value),
            created: 0,
            existed: 0,
            failure: None,
        })
        .collect();
    let sources = drive_all(connections, plan.pipeline, sources).await?;
    let mut totals = (0, 0);
    for source in sources {
        if let Some(failure) = source.failure {
            return Err(failure);
        }
        totals.0 += source.created;
        totals.1 += source.existed;
    }
    Ok(totals)
}

/// Shared by every client of a run stopped by an operation count: the operations left to
/// start after the warmup.
struct OpBudget(AtomicU64);

impl OpBudget {
    fn take_one(&self) -> bool {
        self.0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    }
}

/// The load phase of one client.
struct LoadSource {
    chooser: Chooser,
    value: Value,
    measure_from: Instant,
    stop_at: Option<Instant>,
    budget: Option<Arc<OpBudget>>,
    measured: Measurement,
}

impl OpSource for LoadSource {
    /// Whether the operation started after the warmup, and so counts.
    type Tag = bool;

    fn next_request(&mut self, now: Instant) -> Option<(bool, Request)> {
        if self.stop_at.is_some_and(|stop| now >= stop) {
            return None;
        }
        let measured = now >= self.measure_from;
        if measured {
            if let Some(budget) = &self.budget {
                if !budget.take_one() {
                    return None;
                }
            }
        }
        let (kind, key) = self.chooser.next_op();
        let request = match kind {
            OpKind::Read => Request::GetData(PathWatchRequest {
                path: key_path(key),
                watch: false,
            }),
            OpKind::Write => set_data_request(key_path(key), &self.value),
        };
        Some((measured, request))
    }

    fn on_reply(&mut self, measured: bool, err: i32, sent: Instant, received: Instant) {
        if measured {
            self.measured.record(err, sent, received);
        } else if err != 0 {
            self.measured.count_error(err);
        }
    }
}

async fn load(
    connections: &mut Vec<Connection>,
    plan: &Plan,
    mix: OpMix,
    stop: Stop,
    warmup: Duration,
    value: &Value,
) -> Result<LoadReport, String> {
    let measure_from = Instant::now() + warmup;
    let budget = match stop {
        Stop::Ops(ops) => Some(Arc::new(OpBudget(AtomicU64::new(ops)))),
        Stop::After(_) => None,
    };
    let stop_at = match stop {
        Stop::After(duration) => Some(measure_from + duration),
        Stop::Ops(_) => None,
    };
    let mut sources = Vec::with_capacity(connections.len());
    for client in 0..connections.len() as u64 {
        sources.push(LoadSource {
            chooser: Chooser::new(mix, plan.keys, plan.seed, client),
            value: Arc::clone(value),
            measure_from,
            stop_at,
            budget: budget.clone(),
            measured: Measurement::new()?,
        });
    }
    let sources = drive_all(connections, plan.pipeline, sources).await?;
    let mut total = Measurement::new()?;
    for source in &sources {
        total.merge(&source.measured)?;
    }
    let elapsed_s = total.last_reply.map_or(0.0, |last| {
        last.saturating_duration_since(measure_from).as_secs_f64()
    });
    Ok(LoadReport {
        server: plan.server.clone(),
        op: mix.to_string(),
        value_size: plan.value_size,
        keys: plan.keys,
        clients: plan.clients,
        pipeline: plan.pipeline,
        seed: plan.seed,
        warmup_s: warmup.as_secs_f64(),
        elapsed_s,
        ops: total.latency_us.len(),
        latency_us: total.latency(),
        errors: total.errors,
    })
}

/// Deletes one client's share of the keys; a key already gone is fine.
struct TeardownSource {
    keys: Box<dyn Iterator<Item = u64> + Send>,
    errors: BTreeMap<i32, u64>,
}

impl OpSource for TeardownSource {
    type Tag = ();

    fn next_request(&mut self, _now: Instant) -> Option<((), Request)> {
        let key = self.keys.next()?;
        Some((
            (),
            Request::Delete(DeleteRequest {
                path: key_path(key),
                version: -1,
            }),
        ))
    }

    fn on_reply(&mut self, (): (), err: i32, _sent: Instant, _received: Instant) {
        if err != 0 && err != ErrorCode::NoNode.code() {
            *self.errors.entry(err).or_insert(0) += 1;
        }
    }
}

async fn teardown(connections: &mut Vec<Connection>, plan: &Plan) -> Result<(), String> {
    let clients = connections.len() as u64;
    let sources = (0..clients)
        .map(|client| TeardownSource {
            keys: Box::new(owned_keys(client, clients, plan.keys)),
            errors: BTreeMap::new(),
        })
        .collect();
    let sources = drive_all(connections, plan.pipeline, sources).await?;
    let mut errors = BTreeMap::new();
    for source in sources {
        for (code, count) in source.errors {
            *errors.entry(code).or_insert(0) += count;
        }
    }
    if !errors.is_empty() {
        return Err(format!(
            "teardown could not delete some keys: {}",
            report::errors_text(&errors)
        ));
    }
    let parent = run_list(
        connections,
        vec![Request::Delete(DeleteRequest {
            path: PARENT.to_string(),
            version: -1,
        })],
    )
    .await?;
    match parent.first() {
        Some(&err) if err == ErrorCode::NotEmpty.code() => {
            eprintln!("zooscope bench: kept {PARENT}: it has children other than this run's keys");
            Ok(())
        }
        Some(&err) if err != 0 && err != ErrorCode::NoNode.code() => {
            Err(format!("cannot delete {PARENT}: {}", code_text(err)))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct TestCli {
        #[command(flatten)]
        args: BenchArgs,
    }

    fn plan(args: &[&str]) -> Result<Plan, String> {
        let argv = std::iter::once("bench").chain(args.iter().copied());
        TestCli::try_parse_from(argv)
            .map_err(|e| e.to_string())?
            .args
            .plan()
    }

    #[test]
    fn defaults_are_a_ten_second_write_run_of_1_kib_values() {
        let plan = plan(&["--server", "127.0.0.1:2181"]).unwrap();
        assert_eq!(
            plan,
            Plan {
                server: "127.0.0.1:2181".to_string(),
                clients: 8,
                pipeline: 16,
                value_size: 1024,
                keys: 1000,
                seed: 1,
                mode: Mode::Load {
                    mix: OpMix::Write,
                    stop: Stop::After(Duration::from_secs(10)),
                    warmup: Duration::from_secs(1),
                },
                teardown: false,
                json: false,
                threads: 1,
            }
        );
    }

    #[test]
    fn every_load_option_reaches_the_plan() {
        let plan = plan(&[
            "--server",
            "[::1]:2181",
            "--clients",
            "3",
            "--pipeline",
            "64",
            "--op",
            "mixed:90",
            "--value-size",
            "10",
            "--ops",
            "5000",
            "--keys",
            "7",
            "--seed",
            "42",
            "--warmup",
            "0.5",
            "--teardown",
            "--json",
            "--threads",
            "2",
        ])
        .unwrap();
        assert_eq!((plan.clients, plan.pipeline, plan.value_size), (3, 64, 10));
        assert_eq!((plan.keys, plan.seed, plan.threads), (7, 42, 2));
        assert!(plan.teardown && plan.json);
        assert_eq!(
            plan.mode,
            Mode::Load {
                mix: OpMix::Mixed { read_percent: 90.0 },
                stop: Stop::Ops(5000),
                warmup: Duration::from_millis(500),
            }
        );
    }

    #[test]
    fn populate_creates_its_count_of_keys_and_takes_no_load_options() {
        let populate = plan(&[
            "--server",
            "h:1",
            "--populate",
            "1000000",
            "--value-size",
            "10",
        ])
        .unwrap();
        assert_eq!(
            (populate.mode, populate.keys, populate.value_size),
            (Mode::Populate, 1_000_000, 10)
        );
        assert!(plan(&["--server", "h:1", "--populate", "10", "--op", "read"]).is_err());
        assert!(plan(&["--server", "h:1", "--populate", "10", "--duration", "3"]).is_err());
    }

    #[test]
    fn duration_and_ops_exclude_each_other() {
        let both = plan(&["--server", "h:1", "--duration", "2", "--ops", "10"]);
        assert!(both.unwrap_err().contains("cannot be used with"));
    }

    #[test]
    fn out_of_range_options_are_refused_with_the_option_named() {
        let cases: [(&[&str], &str); 10] = [
            (&["--clients", "0"], "--clients 0 is outside 1..=4096"),
            (&["--pipeline", "0"], "--pipeline 0 is outside"),
            (
                &["--value-size", "2000000"],
                "--value-size 2000000 is outside 0..=1000000",
            ),
            (&["--keys", "0"], "--keys must be at least 1"),
            (&["--ops", "0"], "--ops must be at least 1"),
            (&["--duration", "0"], "--duration must be more than 0 s"),
            (&["--duration=-1"], "outside 0..=86400"),
            (&["--warmup", "inf"], "outside 0..=86400"),
            (&["--op", "delete"], "expected read, write or mixed:R"),
            (&["--threads", "0"], "--threads 0 is outside"),
        ];
        for (args, expected) in cases {
            let argv: Vec<&str> = ["--server", "h:1"].iter().chain(args).copied().collect();
            let error = plan(&argv).unwrap_err();
            assert!(error.contains(expected), "{args:?}: {error}");
        }
        assert!(plan(&[]).unwrap_err().contains("--server"));
    }

    #[test]
    fn op_budget_hands_out_exactly_its_count() {
        let budget = OpBudget(AtomicU64::new(3));
        let taken = (0..10).filter(|_| budget.take_one()).count();
        assert_eq!(taken, 3);
    }

    #[test]
    fn setup_overwrites_existing_keys_and_stops_at_the_first_failure() {
        let now = Instant::now();
        let mut source = SetupSource {
            keys: Box::new(owned_keys(0, 1, 3)),
            overwrite: VecDeque::new(),
            value: vec![1, 2].into(),
            created: 0,
            existed: 0,
            failure: None,
        };
        let (first, _) = source.next_request(now).unwrap();
        source.on_reply(first, ErrorCode::NodeExists.code(), now, now);
        let (step, request) = source.next_request(now).unwrap();
        assert!(matches!(step, SetupStep::Overwrite(0)));
        assert_eq!(request, set_data_request(key_path(0), &[1, 2]));
        source.on_reply(step, 0, now, now);
        let (step, _) = source.next_request(now).unwrap();
        assert!(matches!(step, SetupStep::Create(1)));
        source.on_reply(step, ErrorCode::NoAuth.code(), now, now);
        assert_eq!(
            source.failure.as_deref(),
            Some("setup of /zooscope-bench/k1 failed: error -102 (NoAuth)")
        );
        assert!(source.next_request(now).is_none());
        assert_eq!((source.created, source.existed), (0, 1));
    }

    #[test]
    fn load_counts_only_operations_started_after_the_warmup() {
        let now = Instant::now();
        let mut source = LoadSource {
            chooser: Chooser::new(OpMix::Read, 10, 1, 0),
            value: Vec::new().into(),
            measure_from: now + Duration::from_secs(1),
            stop_at: Some(now + Duration::from_secs(2)),
            budget: None,
            measured: Measurement::new().unwrap(),
        };
        let (warm, request) = source.next_request(now).unwrap();
        assert!(!warm);
        assert!(matches!(
            request,
            Request::GetData(PathWatchRequest { watch: false, .. })
        ));
        source.on_reply(warm, 0, now, now);
        let later = now + Duration::from_millis(1500);
        let (counted, _) = source.next_request(later).unwrap();
        assert!(counted);
        source.on_reply(counted, 0, later, later + Duration::from_millis(1));
        assert_eq!(source.measured.latency_us.len(), 1);
        assert!(source.next_request(now + Duration::from_secs(2)).is_none());
    }
}
