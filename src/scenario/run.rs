//! The scenario executor: runs a parsed [`Scenario`] on the simulator, one step at a time,
//! for `zooscope sim --scenario`, the tests and the browser alike.
//!
//! Steps that wait (running until a condition, a client's request) advance the simulation
//! event by event, checking the scenario's triggers (`at`, `when`) after every event. A
//! failed expectation or a broken invariant stops the run with the step's line.

use super::ast::{
    Action, Assertion, Condition, DiskKind, Expect, MessageRule, Question, Role, Scenario, Text,
};
use crate::data::types::{CreateMode, ErrorCode};
use crate::peer::durable::DiskKind as PeerDiskKind;
use crate::peer::message::{PeerMessage, PeerState, ServerId};
use crate::proto::records::{CreateRequest, PathWatchRequest, Request, Response};
use crate::sim::clients::{ClientState, Outcome};
use crate::sim::network::{MessageFilter, Rule, RuleKind};
use crate::sim::{Command, SimConfig, Simulation};
use crate::time::VirtualTime;
use crate::zkcli;
use std::collections::BTreeMap;
use std::fmt;

/// How long a `run until` waits when the scenario does not say.
const DEFAULT_WITHIN_MS: u64 = 60_000;

/// What one step produced, for a viewer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    Say(Text),
    Question(Question),
    /// A step that did something (shown as its own text).
    Did(String),
    /// An expectation that held.
    Held(String),
}

/// Why a run stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for Failure {}

/// A client's place in the lock recipe.
#[derive(Clone, Debug, PartialEq, Eq)]
struct LockWait {
    herd: bool,
    /// Its own child's name, once created.
    node: Option<String>,
    holding: bool,
    /// The request whose answer it is waiting for.
    waiting_xid: Option<i32>,
    /// Watch events already handled.
    events_seen: usize,
}

/// A trigger set by `at` or `when`, waiting to fire once.
#[derive(Clone, Debug)]
struct Trigger {
    line: usize,
    at_ms: Option<u64>,
    condition: Option<Condition>,
    action: Action,
}

pub struct Runner {
    scenario: Scenario,
    sim: Simulation,
    next_step: usize,
    triggers: Vec<Trigger>,
    /// (client, lock path) -> its place in the queue.
    locks: BTreeMap<(String, String), LockWait>,
    finished: bool,
}

impl Runner {
    /// A run of `scenario`, with its seed or `seed` instead.
    pub fn new(scenario: Scenario, seed: Option<u64>) -> Result<Runner, String> {
        let setup = &scenario.setup;
        let defaults = SimConfig::default();
        let (latency_min_ms, latency_max_ms) = setup
            .latency_ms
            .unwrap_or((defaults.latency_min_ms, defaults.latency_max_ms));
        let config = SimConfig {
            servers: setup.participants,
            observers: setup.observers,
            seed: seed.or(setup.seed).unwrap_or(defaults.seed),
            tick_ms: setup.tick_ms.unwrap_or(defaults.tick_ms),
            init_limit: setup.init_limit.unwrap_or(defaults.init_limit),
            sync_limit: setup.sync_limit.unwrap_or(defaults.sync_limit),
            latency_min_ms,
            latency_max_ms,
            snap_count: setup.snap_count.unwrap_or(defaults.snap_count),
            start_stopped: setup.start_stopped,
            ..defaults
        };
        let sim = Simulation::new(config).map_err(|e| e.to_string())?;
        Ok(Runner {
            scenario,
            sim,
            next_step: 0,
            triggers: Vec::new(),
            locks: BTreeMap::new(),
            finished: false,
        })
    }

    pub fn sim(&self) -> &Simulation {
        &self.sim
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The index of the next step to run.
    pub fn position(&self) -> usize {
        self.next_step
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Runs the next step. `Ok(None)` once every step has run.
    pub fn step(&mut self) -> Result<Option<Shown>, Failure> {
        let Some(step) = self.scenario.steps.get(self.next_step).cloned() else {
            self.finished = true;
            return Ok(None);
        };
        self.next_step += 1;
        let shown = self.act(step.line, &step.action)?;
        self.check_invariants(step.line)?;
        Ok(Some(shown))
    }

    /// Runs every remaining step; what each showed, or the first failure.
    pub fn run_to_end(&mut self) -> Result<Vec<Shown>, Failure> {
        let mut shown = Vec::new();
        while let Some(one) = self.step()? {
            shown.push(one);
        }
        Ok(shown)
    }

    fn act(&mut self, line: usize, action: &Action) -> Result<Shown, Failure> {
        let fail = |message: String| Failure { line, message };
        let did = |action: &Action| Ok(Shown::Did(action.to_string()));
        match action {
            Action::Say(text) => Ok(Shown::Say(text.clone())),
            Action::Question(question) => Ok(Shown::Question(question.clone())),
            Action::RunFor(ms) => {
                let deadline = self.sim.now() + *ms;
                self.advance_until(line, deadline, |_| false)?;
                did(action)
            }
            Action::RunUntil {
                condition,
                within_ms,
            } => {
                let limit = within_ms.unwrap_or(DEFAULT_WITHIN_MS);
                let deadline = self.sim.now() + limit;
                let held = self.advance_until(line, deadline, |runner| runner.holds(condition))?;
                if !held {
                    return Err(fail(format!(
                        "`{condition}` did not happen within {}",
                        super::ast::format_duration(limit)
                    )));
                }
                did(action)
            }
            Action::Step(count) => {
                for _ in 0..*count {
                    if !self.sim.step() {
                        break;
                    }
                    self.after_event(line)?;
                }
                did(action)
            }
            Action::At { at_ms, action } => {
                self.triggers.push(Trigger {
                    line,
                    at_ms: Some(*at_ms),
                    condition: None,
                    action: (**action).clone(),
                });
                self.fire_triggers()?;
                Ok(Shown::Did(format!(
                    "at {}: {action}",
                    super::ast::format_duration(*at_ms)
                )))
            }
            Action::When { condition, action } => {
                self.triggers.push(Trigger {
                    line,
                    at_ms: None,
                    condition: Some(condition.clone()),
                    action: (**action).clone(),
                });
                self.fire_triggers()?;
                Ok(Shown::Did(format!("when {condition}: {action}")))
            }
            Action::Expect(assertion) => {
                self.expect(assertion).map_err(fail)?;
                Ok(Shown::Held(assertion.to_string()))
            }
            Action::Client(decl) => {
                self.check_server(decl.server).map_err(fail)?;
                self.wait_serving(line, decl.server)?;
                let timeout_ms = decl
                    .timeout_ms
                    .or(self.scenario.setup.session_timeout_ms)
                    .unwrap_or(10_000);
                self.sim.command(Command::AddClient {
                    name: decl.name.clone(),
                    server: decl.server,
                    timeout_ms: i32::try_from(timeout_ms).unwrap_or(i32::MAX),
                });
                self.wait_connected(line, &decl.name, timeout_ms)?;
                did(action)
            }
            Action::MoveClient { client, server } => {
                self.check_server(*server).map_err(fail)?;
                let timeout_ms = self.client_timeout(client).map_err(fail)?;
                self.wait_serving(line, *server)?;
                self.sim.command(Command::MoveClient {
                    client: client.clone(),
                    server: *server,
                });
                self.wait_connected(line, client, timeout_ms)?;
                did(action)
            }
            Action::Command {
                client,
                command,
                expect,
            } => {
                self.command(line, client, command, expect.as_ref())?;
                did(action)
            }
            Action::CloseSession(client) => {
                self.command(line, client, "close", None)?;
                did(action)
            }
            Action::Lock { client, path, herd } => {
                self.lock(line, client, path, *herd)?;
                did(action)
            }
            Action::Unlock { client, path } => {
                self.unlock(line, client, path)?;
                did(action)
            }
            other => {
                self.apply(line, other)?;
                did(other)
            }
        }
    }

    /// The actions that take effect at once (faults, rules, disks): also what triggers run.
    fn apply(&mut self, line: usize, action: &Action) -> Result<(), Failure> {
        let fail = |message: String| Failure { line, message };
        match action {
            Action::Start(server) => self.server_command(*server, Command::Start(*server)),
            Action::Crash(server) => self.server_command(*server, Command::Crash(*server)),
            Action::Restart(server) => self.server_command(*server, Command::Restart(*server)),
            Action::Pause { server, for_ms } => {
                self.server_command(*server, Command::Pause(*server))
                    .map_err(fail)?;
                if let Some(ms) = for_ms {
                    self.triggers.push(Trigger {
                        line,
                        at_ms: Some(self.sim.now().as_millis() + ms),
                        condition: None,
                        action: Action::Resume(*server),
                    });
                }
                Ok(())
            }
            Action::Resume(server) => self.server_command(*server, Command::Resume(*server)),
            Action::Partition(groups) => {
                let mut groups = groups.clone();
                // A server named in no group is alone.
                for id in self.sim.server_ids() {
                    if !groups.iter().any(|g| g.contains(&id)) {
                        groups.push(vec![id]);
                    }
                }
                self.sim.command(Command::Partition(groups));
                Ok(())
            }
            Action::Cut {
                from,
                to,
                both_ways,
            } => {
                self.check_server(*from).map_err(fail)?;
                self.check_server(*to).map_err(fail)?;
                self.sim.command(Command::Cut {
                    from: *from,
                    to: *to,
                    both_ways: *both_ways,
                });
                Ok(())
            }
            Action::Heal(None) => {
                self.sim.command(Command::HealAll);
                Ok(())
            }
            Action::Heal(Some((from, to, both_ways))) => {
                self.sim.command(Command::Heal {
                    from: *from,
                    to: *to,
                    both_ways: *both_ways,
                });
                Ok(())
            }
            Action::Skew { server, ms } => self.server_command(
                *server,
                Command::Skew {
                    server: *server,
                    ms: *ms,
                },
            ),
            Action::SlowDisk { server, ms } => self.server_command(
                *server,
                Command::SlowDisk {
                    server: *server,
                    ms: Some(*ms),
                },
            ),
            Action::AddObserver => {
                if let Some(why) = self.sim.observer_refused() {
                    return Err(fail(format!("add-observer: {why}")));
                }
                self.sim.command(Command::AddObserver);
                Ok(())
            }
            Action::Messages { rule, filter } => {
                let filter = self.message_filter(filter).map_err(fail)?;
                let rule_of = |kind| {
                    Command::AddRule(Rule {
                        kind,
                        filter: filter.clone(),
                    })
                };
                let end = |kind| {
                    Command::RemoveRule(Rule {
                        kind,
                        filter: filter.clone(),
                    })
                };
                let command = match rule {
                    MessageRule::Hold => rule_of(RuleKind::Hold),
                    MessageRule::Release => Command::Release(filter.clone()),
                    MessageRule::StopHold => Command::DiscardHeld(filter.clone()),
                    MessageRule::Drop => rule_of(RuleKind::Drop),
                    MessageRule::StopDrop => end(RuleKind::Drop),
                    MessageRule::Duplicate => rule_of(RuleKind::Duplicate),
                    MessageRule::StopDuplicate => end(RuleKind::Duplicate),
                    MessageRule::Delay(ms) => rule_of(RuleKind::Delay(*ms)),
                    MessageRule::StopDelay => end(RuleKind::Delay(0)),
                };
                self.sim.command(command);
                Ok(())
            }
            Action::Disk { hold, kind, server } => {
                self.check_server(*server).map_err(fail)?;
                for kind in disk_kinds(*kind) {
                    let server = *server;
                    self.sim.command(if *hold {
                        Command::HoldDisk { server, kind }
                    } else {
                        Command::ReleaseDisk { server, kind }
                    });
                }
                Ok(())
            }
            Action::Disconnect(client) => {
                self.client_timeout(client).map_err(fail)?;
                self.sim.command(Command::DisconnectClient(client.clone()));
                Ok(())
            }
            other => Err(format!("`{other}` cannot be used here")),
        }
        .map_err(fail)
    }

    fn server_command(&mut self, server: ServerId, command: Command) -> Result<(), String> {
        self.check_server(server)?;
        self.sim.command(command);
        Ok(())
    }

    fn check_server(&self, server: ServerId) -> Result<(), String> {
        if self.sim.server_ids().contains(&server) {
            Ok(())
        } else {
            Err(format!("there is no server {server}"))
        }
    }

    fn message_filter(&self, filter: &super::ast::MessageFilter) -> Result<MessageFilter, String> {
        if let Some(kind) = &filter.kind {
            if !PeerMessage::KINDS.contains(&kind.as_str()) {
                return Err(format!(
                    "unknown message kind {kind}; the kinds are {}",
                    PeerMessage::KINDS.join(", ")
                ));
            }
        }
        Ok(MessageFilter {
            kind: filter.kind.clone(),
            from: filter.from,
            to: filter.to,
        })
    }

    fn client_timeout(&self, client: &str) -> Result<u64, String> {
        self.sim
            .client(client)
            .map(|c| c.requested_timeout_ms.max(0) as u64)
            .ok_or_else(|| format!("there is no client {client}"))
    }

    // ---- advancing the simulation ----

    /// Runs event by event until `done` says so or `deadline` passes (then the clock is set
    /// to it); triggers are checked after every event. Returns whether `done` held.
    fn advance_until(
        &mut self,
        line: usize,
        deadline: VirtualTime,
        done: impl Fn(&Runner) -> bool,
    ) -> Result<bool, Failure> {
        loop {
            if done(self) {
                return Ok(true);
            }
            match self.sim.next_event_at() {
                Some(at) if at <= deadline => {
                    self.sim.step();
                    self.after_event(line)?;
                }
                _ => {
                    self.sim.run_until(deadline);
                    self.fire_triggers()?;
                    return Ok(done(self));
                }
            }
        }
    }

    fn after_event(&mut self, line: usize) -> Result<(), Failure> {
        self.fire_triggers()?;
        self.drive_locks();
        self.check_invariants(line)
    }

    fn check_invariants(&self, line: usize) -> Result<(), Failure> {
        match self.sim.violations().first() {
            Some(v) => Err(Failure {
                line,
                message: format!(
                    "invariant violated at {} on server {}: {} ({})",
                    v.at, v.server, v.invariant, v.detail
                ),
            }),
            None => Ok(()),
        }
    }

    fn fire_triggers(&mut self) -> Result<(), Failure> {
        loop {
            let now = self.sim.now().as_millis();
            let due = self.triggers.iter().position(|t| {
                t.at_ms.is_some_and(|at| now >= at)
                    || t.condition.as_ref().is_some_and(|c| self.holds(c))
            });
            let Some(index) = due else {
                return Ok(());
            };
            let trigger = self.triggers.remove(index);
            // A triggered client step is sent, not waited for.
            match &trigger.action {
                Action::Command {
                    client, command, ..
                } => {
                    self.send_command(trigger.line, client, command)?;
                }
                Action::CloseSession(client) => {
                    self.send_command(trigger.line, client, "close")?;
                }
                Action::Lock { client, path, herd } => {
                    self.start_lock(trigger.line, client, path, *herd)?;
                }
                Action::Unlock { client, path } => {
                    self.start_unlock(trigger.line, client, path)?;
                }
                action => self.apply(trigger.line, action)?,
            }
        }
    }

    // ---- clients ----

    /// A person starts a client against a server that is up: wait (a little) until the
    /// server serves clients, or the client would be refused and wander to another one.
    fn wait_serving(&mut self, line: usize, server: ServerId) -> Result<(), Failure> {
        let deadline = self.sim.now() + 10_000;
        self.advance_until(line, deadline, |runner| {
            runner
                .sim
                .peer(server)
                .is_some_and(|p| p.phase() == crate::peer::ZabPhase::Broadcast)
        })?;
        Ok(())
    }

    fn wait_connected(
        &mut self,
        line: usize,
        client: &str,
        timeout_ms: u64,
    ) -> Result<(), Failure> {
        let deadline = self.sim.now() + timeout_ms.max(1000);
        let connected = self.advance_until(line, deadline, |runner| {
            runner
                .sim
                .client(client)
                .is_some_and(|c| c.state == ClientState::Connected)
        })?;
        if connected {
            Ok(())
        } else {
            Err(Failure {
                line,
                message: format!(
                    "client {client} did not connect within {}",
                    super::ast::format_duration(timeout_ms.max(1000))
                ),
            })
        }
    }

    /// Parses a zkCli line and sends its request; returns the xid.
    fn send_command(&mut self, line: usize, client: &str, command: &str) -> Result<i32, Failure> {
        let fail = |message: String| Failure { line, message };
        self.client_timeout(client).map_err(fail)?;
        let request = zkcli::request_for_line(command).map_err(|e| fail(e.message))?;
        self.sim
            .client_request(client, request)
            .ok_or_else(|| fail(format!("client {client}'s session is over")))
    }

    fn command(
        &mut self,
        line: usize,
        client: &str,
        command: &str,
        expect: Option<&Expect>,
    ) -> Result<(), Failure> {
        let fail = |message: String| Failure { line, message };
        let parsed = zkcli::parse_line(command).map_err(|e| fail(e.message))?;
        let xid = self.send_command(line, client, command)?;
        let timeout_ms = self.client_timeout(client).map_err(fail)?;
        if expect == Some(&Expect::Pending) {
            let deadline = self.sim.now() + self.sim.config().tick_ms;
            self.advance_until(line, deadline, |_| false)?;
            return match self.outcome(client, xid) {
                None => Ok(()),
                Some(outcome) => Err(fail(format!(
                    "expected `{command}` to be still pending, but it was answered: {}",
                    describe(&outcome)
                ))),
            };
        }
        let deadline = self.sim.now() + timeout_ms.max(1000);
        self.advance_until(line, deadline, |runner| {
            runner.outcome(client, xid).is_some()
        })?;
        let Some(outcome) = self.outcome(client, xid) else {
            return Err(fail(format!("`{command}` was not answered in time")));
        };
        match expect {
            None => Ok(()),
            Some(expect) => check_expect(&parsed, &outcome, expect)
                .map_err(|message| fail(format!("`{client}: {command}`: {message}"))),
        }
    }

    fn outcome(&self, client: &str, xid: i32) -> Option<Outcome> {
        self.sim
            .client(client)
            .and_then(|c| c.outcomes.get(&xid).cloned())
    }

    // ---- the lock recipe ----

    fn lock(&mut self, line: usize, client: &str, path: &str, herd: bool) -> Result<(), Failure> {
        let fail = |message: String| Failure { line, message };
        let timeout_ms = self.client_timeout(client).map_err(fail)?;
        self.start_lock(line, client, path, herd)?;
        // The step ends when the client holds the lock or waits behind someone.
        let key = (client.to_string(), path.to_string());
        let deadline = self.sim.now() + timeout_ms.max(1000);
        let settled = self.advance_until(line, deadline, |runner| {
            runner
                .locks
                .get(&key)
                .is_some_and(|w| w.node.is_some() && w.waiting_xid.is_none())
        })?;
        if settled {
            Ok(())
        } else {
            Err(fail(format!(
                "{client} could not queue for the lock on {path}"
            )))
        }
    }

    /// Creates the client's ephemeral sequential child; [`Runner::drive_locks`] does the rest.
    fn start_lock(
        &mut self,
        line: usize,
        client: &str,
        path: &str,
        herd: bool,
    ) -> Result<(), Failure> {
        let fail = |message: String| Failure { line, message };
        self.client_timeout(client).map_err(fail)?;
        let create = Request::Create(CreateRequest {
            path: format!("{}/lock-", path.trim_end_matches('/')),
            data: Some(Vec::new()),
            acl: crate::data::types::Acl::open_unsafe(),
            flags: CreateMode::EphemeralSequential.flag(),
        });
        let xid = self
            .sim
            .client_request(client, create)
            .ok_or_else(|| fail(format!("client {client}'s session is over")))?;
        let events_seen = self.sim.client(client).map_or(0, |c| c.events.len());
        self.locks.insert(
            (client.to_string(), path.to_string()),
            LockWait {
                herd,
                node: None,
                holding: false,
                waiting_xid: Some(xid),
                events_seen,
            },
        );
        Ok(())
    }

    fn unlock(&mut self, line: usize, client: &str, path: &str) -> Result<(), Failure> {
        let xid = self.start_unlock(line, client, path)?;
        let timeout_ms = self
            .client_timeout(client)
            .map_err(|message| Failure { line, message })?;
        let deadline = self.sim.now() + timeout_ms.max(1000);
        self.advance_until(line, deadline, |runner| {
            runner.outcome(client, xid).is_some()
        })?;
        match self.outcome(client, xid) {
            Some(outcome) if outcome.error() == ErrorCode::Ok => Ok(()),
            Some(outcome) => Err(Failure {
                line,
                message: format!("{client} could not unlock {path}: {}", describe(&outcome)),
            }),
            None => Err(Failure {
                line,
                message: format!("{client}'s unlock of {path} was not answered in time"),
            }),
        }
    }

    /// Deletes the client's child of the lock; returns the request's xid.
    fn start_unlock(&mut self, line: usize, client: &str, path: &str) -> Result<i32, Failure> {
        let key = (client.to_string(), path.to_string());
        let Some(node) = self.locks.get(&key).and_then(|w| w.node.clone()) else {
            return Err(Failure {
                line,
                message: format!("{client} is not queued for the lock on {path}"),
            });
        };
        self.locks.remove(&key);
        let command = format!("delete {}/{node}", path.trim_end_matches('/'));
        self.send_command(line, client, &command)
    }

    /// Moves every lock waiter along: reads the answers to its requests, and lists the
    /// children again when a watch fires.
    fn drive_locks(&mut self) {
        let keys: Vec<(String, String)> = self.locks.keys().cloned().collect();
        for key in keys {
            let (client, path) = (&key.0, &key.1);
            let Some(wait) = self.locks.get(&key).cloned() else {
                continue;
            };
            let Some(state) = self.sim.client(client) else {
                continue;
            };
            let new_events = state.events.len() > wait.events_seen;
            let mut wait = wait;
            wait.events_seen = state.events.len();
            let answer = wait
                .waiting_xid
                .and_then(|xid| state.outcomes.get(&xid).cloned());
            let mut relist = new_events && wait.waiting_xid.is_none() && !wait.holding;
            if let Some(outcome) = answer {
                wait.waiting_xid = None;
                match outcome {
                    Outcome::Reply {
                        err: ErrorCode::Ok,
                        body: Some(Response::Path(created)),
                        ..
                    } if wait.node.is_none() => {
                        wait.node = created.path.rsplit('/').next().map(str::to_string);
                        relist = true;
                    }
                    Outcome::Reply {
                        err: ErrorCode::Ok,
                        body: Some(Response::StringList(children)),
                        ..
                    } => {
                        let mut names = children.names.clone();
                        names.sort();
                        let mine = wait.node.clone().unwrap_or_default();
                        let position = names.iter().position(|n| *n == mine);
                        match position {
                            Some(0) => wait.holding = true,
                            Some(i) if !wait.herd => {
                                // Watch only the one just before: no herd.
                                let before = format!("{path}/{}", names[i - 1]);
                                let exists = Request::Exists(PathWatchRequest {
                                    path: before,
                                    watch: true,
                                });
                                wait.waiting_xid = self.sim.client_request(client, exists);
                            }
                            _ => {}
                        }
                    }
                    Outcome::Reply {
                        err: ErrorCode::NoNode,
                        ..
                    } => relist = true,
                    // Its predecessor exists (wait for the watch), or the connection broke.
                    _ => {}
                }
            }
            if relist && wait.waiting_xid.is_none() && wait.node.is_some() && !wait.holding {
                let list = Request::GetChildren(PathWatchRequest {
                    path: path.clone(),
                    watch: wait.herd,
                });
                wait.waiting_xid = self.sim.client_request(client, list);
            }
            self.locks.insert(key.clone(), wait);
        }
    }

    // ---- conditions and assertions ----

    fn holds(&self, condition: &Condition) -> bool {
        let peer = |id: ServerId| self.sim.peer(id);
        match condition {
            Condition::Any(all) => all.iter().any(|c| self.holds(c)),
            Condition::All(all) => all.iter().all(|c| self.holds(c)),
            // Checked after every event: look at the one server, not every server's status.
            Condition::Role { server, role } => match role {
                Role::Down => self.sim.server_ids().contains(server) && peer(*server).is_none(),
                Role::Up => peer(*server).is_some(),
                Role::Paused => self.sim.is_paused(*server),
                role => peer(*server).is_some_and(|p| p.state() == peer_state(*role)),
            },
            Condition::LeaderIs(id) => self.sim.established_leader() == Some(*id),
            Condition::LeaderElected => self.sim.established_leader().is_some(),
            Condition::NoLeader => self.sim.established_leader().is_none(),
            Condition::Logged {
                server,
                zxid,
                exactly,
            } => peer(*server).is_some_and(|p| compare(p.durable_zxid(), *zxid, *exactly)),
            Condition::Committed {
                server,
                zxid,
                exactly,
            } => peer(*server).is_some_and(|p| compare(p.committed_zxid(), *zxid, *exactly)),
            Condition::Epoch {
                server,
                epoch,
                accepted,
            } => peer(*server).is_some_and(|p| {
                *epoch
                    == if *accepted {
                        p.accepted_epoch()
                    } else {
                        p.current_epoch()
                    }
            }),
            Condition::VotesFor { server, leader } => {
                peer(*server).is_some_and(|p| p.election().current_vote().0.leader == *leader)
            }
            Condition::Round { server, round } => {
                peer(*server).is_some_and(|p| p.election().round() == *round)
            }
            Condition::Time(ms) => self.sim.now().as_millis() >= *ms,
            Condition::ClientConnected(name) => self
                .sim
                .client(name)
                .is_some_and(|c| c.state == ClientState::Connected),
            Condition::ClientExpired(name) => self.session_expired(name),
            Condition::HoldsLock { client, path } => self
                .locks
                .get(&(client.clone(), path.clone()))
                .is_some_and(|w| w.holding),
        }
    }

    /// The client's session is over for the ensemble: its close is committed at the leader.
    fn session_expired(&self, name: &str) -> bool {
        let Some(client) = self.sim.client(name) else {
            return false;
        };
        if client.state == ClientState::Expired {
            return true;
        }
        let leader = self
            .sim
            .established_leader()
            .and_then(|id| self.sim.peer(id));
        client.session_id != 0
            && leader.is_some_and(|p| {
                !p.server()
                    .session_table()
                    .iter()
                    .any(|(id, _)| *id == client.session_id)
            })
    }

    fn expect(&self, assertion: &Assertion) -> Result<(), String> {
        match assertion {
            Assertion::Holds(condition) => {
                if self.holds(condition) {
                    Ok(())
                } else {
                    Err(format!(
                        "expected `{condition}`, but {}",
                        self.explain(condition)
                    ))
                }
            }
            Assertion::Has { server, path, data } => {
                let peer = self
                    .sim
                    .peer(*server)
                    .ok_or_else(|| format!("server {server} is down"))?;
                let node = peer
                    .tree()
                    .node(path)
                    .ok_or_else(|| format!("server {server} has no {path}"))?;
                match data {
                    Some(expected) => {
                        let actual = node.data.map(|d| String::from_utf8_lossy(d).into_owned());
                        if actual.as_deref() == Some(expected.as_str()) {
                            Ok(())
                        } else {
                            Err(format!(
                                "server {server} has {path} = {:?}, not {expected:?}",
                                actual.unwrap_or_default()
                            ))
                        }
                    }
                    None => Ok(()),
                }
            }
            Assertion::Lacks { server, path } => match self.sim.peer(*server) {
                Some(peer) if peer.tree().exists(path) => {
                    Err(format!("server {server} still has {path}"))
                }
                Some(_) => Ok(()),
                None => Err(format!("server {server} is down")),
            },
            Assertion::Agree { servers, path } => {
                let mut seen: Option<(ServerId, Option<Vec<u8>>)> = None;
                for &server in servers {
                    let peer = self
                        .sim
                        .peer(server)
                        .ok_or_else(|| format!("server {server} is down"))?;
                    let data = peer
                        .tree()
                        .node(path)
                        .map(|n| n.data.map(<[u8]>::to_vec).unwrap_or_default());
                    match &seen {
                        Some((first, first_data)) if *first_data != data => {
                            return Err(format!("servers {first} and {server} differ on {path}"))
                        }
                        Some(_) => {}
                        None => seen = Some((server, data)),
                    }
                }
                Ok(())
            }
            Assertion::HistoryAgrees | Assertion::NoViolations => {
                match self.sim.violations().first() {
                    Some(v) => Err(format!("{}: {}", v.invariant, v.detail)),
                    None => Ok(()),
                }
            }
        }
    }

    /// What actually is, for a failed expectation about a server.
    fn explain(&self, condition: &Condition) -> String {
        let server = match condition {
            Condition::Role { server, .. }
            | Condition::Logged { server, .. }
            | Condition::Committed { server, .. }
            | Condition::Epoch { server, .. }
            | Condition::VotesFor { server, .. }
            | Condition::Round { server, .. } => Some(*server),
            _ => None,
        };
        match server {
            Some(id) => self
                .sim
                .servers()
                .into_iter()
                .find(|s| s.id == id)
                .map_or_else(|| format!("there is no server {id}"), |s| s.to_string()),
            None => match self.sim.established_leader() {
                Some(leader) => format!("the established leader is server {leader}"),
                None => "no leader is established".to_string(),
            },
        }
    }
}

fn peer_state(role: Role) -> PeerState {
    match role {
        Role::Leading => PeerState::Leading,
        Role::Following => PeerState::Following,
        Role::Observing => PeerState::Observing,
        _ => PeerState::Looking,
    }
}

fn compare(
    actual: crate::data::types::Zxid,
    wanted: crate::data::types::Zxid,
    exactly: bool,
) -> bool {
    if exactly {
        actual == wanted
    } else {
        actual >= wanted
    }
}

fn disk_kinds(kind: DiskKind) -> Vec<PeerDiskKind> {
    match kind {
        DiskKind::Append => vec![PeerDiskKind::Append],
        DiskKind::Fsync => vec![PeerDiskKind::Fsync],
        DiskKind::AcceptedEpoch => vec![PeerDiskKind::AcceptedEpoch],
        DiskKind::CurrentEpoch => vec![PeerDiskKind::CurrentEpoch],
        DiskKind::Snapshot => vec![PeerDiskKind::Snapshot],
        DiskKind::Truncate => vec![PeerDiskKind::Truncate],
        DiskKind::All => PeerDiskKind::ALL.to_vec(),
    }
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Reply { err, .. } => format!("{err:?}"),
        Outcome::ConnectionLoss => "ConnectionLoss".to_string(),
    }
}

/// Whether a command's outcome is what the scenario expects.
fn check_expect(
    command: &zkcli::ServerCommand,
    outcome: &Outcome,
    expect: &Expect,
) -> Result<(), String> {
    let err = outcome.error();
    match expect {
        Expect::Pending => Ok(()),
        Expect::Ok if err == ErrorCode::Ok => Ok(()),
        Expect::Error(name) if format!("{err:?}") == *name => Ok(()),
        Expect::Text(text) if err == ErrorCode::Ok => {
            let actual = match outcome {
                Outcome::Reply {
                    body: Some(Response::Path(p)),
                    ..
                } => Some(p.path.clone()),
                Outcome::Reply {
                    body: Some(Response::Create2(c)),
                    ..
                } => Some(c.path.clone()),
                Outcome::Reply {
                    body: Some(Response::Data(d)),
                    ..
                } => Some(
                    String::from_utf8_lossy(d.data.as_deref().unwrap_or_default()).into_owned(),
                ),
                _ => None,
            };
            match actual {
                Some(actual) if actual == *text => Ok(()),
                Some(actual) => Err(format!("got {actual:?}, expected {text:?}")),
                None => Err(format!("{command:?} gives no text to compare")),
            }
        }
        Expect::List(expected) if err == ErrorCode::Ok => {
            let children = match outcome {
                Outcome::Reply {
                    body: Some(Response::StringList(c)),
                    ..
                } => c.names.clone(),
                Outcome::Reply {
                    body: Some(Response::Children2(c)),
                    ..
                } => c.children.clone(),
                _ => return Err("the answer has no children".to_string()),
            };
            let (mut a, mut b) = (children.clone(), expected.clone());
            a.sort();
            b.sort();
            if a == b {
                Ok(())
            } else {
                Err(format!(
                    "children are [{}], expected [{}]",
                    children.join(", "),
                    expected.join(", ")
                ))
            }
        }
        _ => Err(format!("answered {}, expected {expect}", describe(outcome))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::library;

    #[test]
    fn every_shipped_scenario_runs_to_the_end_with_every_expectation_met() {
        for shipped in library::shipped() {
            let scenario = shipped.parse().expect("shipped scenarios parse");
            let mut runner = Runner::new(scenario, None).expect("valid setup");
            if let Err(failure) = runner.run_to_end() {
                panic!("scenario {} failed: {failure}", shipped.name);
            }
            assert!(runner.sim().violations().is_empty(), "{}", shipped.name);
        }
    }

    #[test]
    fn a_wrong_expectation_stops_the_run_at_its_line() {
        let text = "title en: t\ntitle zh: t\nservers 3\nseed 7\n\
                    run until leader elected within 10s\nexpect leader is 1\nsay en: never\nsay zh: never\n";
        let scenario = crate::scenario::parse("wrong", text).unwrap();
        let mut runner = Runner::new(scenario, None).unwrap();
        let failure = runner.run_to_end().unwrap_err();
        assert_eq!(failure.line, 6);
        assert!(
            failure.message.contains("expected `leader is 1`"),
            "{failure}"
        );
        assert!(failure.message.contains("server 3"), "{failure}");
    }

    #[test]
    fn a_command_outside_zkclis_grammar_is_a_clear_failure() {
        let text = "title en: t\ntitle zh: t\nservers 3\n\
                    run until leader elected within 10s\nclient a on 1\na: frobnicate /x\n";
        let scenario = crate::scenario::parse("bad", text).unwrap();
        let failure = Runner::new(scenario, None)
            .unwrap()
            .run_to_end()
            .unwrap_err();
        assert_eq!(failure.line, 6);
        assert!(failure.message.contains("frobnicate"), "{failure}");
    }

    #[test]
    fn the_same_scenario_and_seed_give_the_same_trace() {
        let run = || {
            let scenario = library::find("leader-crash").unwrap().parse().unwrap();
            let mut runner = Runner::new(scenario, Some(99)).unwrap();
            let _ = runner.run_to_end();
            runner.sim().trace_hash()
        };
        assert_eq!(run(), run());
    }
}
