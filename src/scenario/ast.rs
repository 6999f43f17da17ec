//! What a scenario file means, as data: the parser produces it, the executor runs it, and
//! `Display` writes it back in the language's own syntax (the UI shows the current step that
//! way, and parse -> display -> parse gives the same tree).
//!
//! Durations are whole milliseconds of virtual time; server numbers are `myid`s.

use crate::data::types::Zxid;
use serde::{Deserialize, Serialize};
use std::fmt;

pub use crate::peer::message::ServerId;

/// The same text in both languages zooscope teaches in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub en: String,
    pub zh: String,
}

/// A whole scenario file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    /// `name ...`, or the file stem the parser was given.
    pub name: String,
    pub title: Text,
    /// One paragraph for a scenario picker.
    pub summary: Option<Text>,
    pub setup: Setup,
    pub steps: Vec<Step>,
}

/// The ensemble a scenario starts with. `None` leaves a setting to the simulator's default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setup {
    /// Voting servers, myids `1..=participants`.
    pub participants: u64,
    /// Observers, myids following the participants.
    pub observers: u64,
    /// `servers N stopped`: no server runs at time 0; the script starts them.
    pub start_stopped: bool,
    pub seed: Option<u64>,
    /// ZooKeeper's `tickTime`.
    pub tick_ms: Option<u64>,
    /// `initLimit`, in ticks.
    pub init_limit: Option<u64>,
    /// `syncLimit`, in ticks.
    pub sync_limit: Option<u64>,
    /// One-way message latency, an inclusive range.
    pub latency_ms: Option<(u64, u64)>,
    pub snap_count: Option<u64>,
    /// The session timeout clients ask for unless they name their own.
    pub session_timeout_ms: Option<u64>,
}

/// One step and the line it was written on (for messages and for the UI's "current step").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub line: usize,
    pub action: Action,
}

/// Something the scenario does, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Narration, shown in the reader's language.
    Say(Text),
    /// A question shown before the run reveals its answer.
    Question(Question),
    /// Let virtual time pass.
    RunFor(u64),
    /// Run until the condition holds; failing if it has not within the limit.
    RunUntil {
        condition: Condition,
        within_ms: Option<u64>,
    },
    /// Deliver this many single events.
    Step(u64),
    Start(ServerId),
    Crash(ServerId),
    Restart(ServerId),
    /// A long stop-the-world pause (a GC pause): the server is alive but does nothing.
    Pause {
        server: ServerId,
        for_ms: Option<u64>,
    },
    Resume(ServerId),
    /// Groups that can talk among themselves but not to each other.
    Partition(Vec<Vec<ServerId>>),
    Cut {
        from: ServerId,
        to: ServerId,
        both_ways: bool,
    },
    /// `None` heals every link; otherwise `(from, to, both_ways)`.
    Heal(Option<(ServerId, ServerId, bool)>),
    /// Clock skew in milliseconds, possibly negative.
    Skew {
        server: ServerId,
        ms: i64,
    },
    /// Every durable step on the server takes this long.
    SlowDisk {
        server: ServerId,
        ms: u64,
    },
    /// One more observer, with the next myid.
    AddObserver,
    Messages {
        rule: MessageRule,
        filter: MessageFilter,
    },
    /// Hold (or release) the server's durable steps of one kind.
    Disk {
        hold: bool,
        kind: DiskKind,
        server: ServerId,
    },
    Client(ClientDecl),
    MoveClient {
        client: String,
        server: ServerId,
    },
    /// The connection drops; the session lives on until the ensemble expires it.
    Disconnect(String),
    CloseSession(String),
    /// A zkCli command line, kept as written; the executor parses it.
    Command {
        client: String,
        command: String,
        expect: Option<Expect>,
    },
    Lock {
        client: String,
        path: String,
        /// The herd variant: wait on the parent's children instead of the predecessor.
        herd: bool,
    },
    Unlock {
        client: String,
        path: String,
    },
    /// Run the action when virtual time reaches `at_ms`.
    At {
        at_ms: u64,
        action: Box<Action>,
    },
    /// Run the action once, the first time the condition holds after this step is reached.
    When {
        condition: Condition,
        action: Box<Action>,
    },
    Expect(Assertion),
}

/// A multiple-choice question.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub ask: Text,
    /// Keys and labels, in the order written.
    pub choices: Vec<(String, Text)>,
    /// One of the choice keys.
    pub answer: String,
    pub explain: Text,
}

/// What a message rule does to the messages its filter matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageRule {
    /// Keep matching messages sent from now on until released.
    Hold,
    /// Deliver the held matching messages in order and end the hold.
    Release,
    /// End the hold; the messages it held are lost.
    StopHold,
    Drop,
    StopDrop,
    Duplicate,
    StopDuplicate,
    /// Add this many milliseconds to matching messages' latency.
    Delay(u64),
    StopDelay,
}

/// Which messages a rule applies to; `None` matches anything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageFilter {
    /// A message kind as the trace names it (`PROPOSAL`, `ACK`, ...); the executor checks it.
    pub kind: Option<String>,
    pub from: Option<ServerId>,
    pub to: Option<ServerId>,
}

/// The durable steps a server takes, which a scenario can hold to place a crash between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiskKind {
    Append,
    Fsync,
    AcceptedEpoch,
    CurrentEpoch,
    Snapshot,
    Truncate,
    All,
}

impl DiskKind {
    pub const ALL: [DiskKind; 7] = [
        DiskKind::Append,
        DiskKind::Fsync,
        DiskKind::AcceptedEpoch,
        DiskKind::CurrentEpoch,
        DiskKind::Snapshot,
        DiskKind::Truncate,
        DiskKind::All,
    ];

    /// The word a scenario writes.
    pub fn name(self) -> &'static str {
        match self {
            DiskKind::Append => "append",
            DiskKind::Fsync => "fsync",
            DiskKind::AcceptedEpoch => "accepted-epoch",
            DiskKind::CurrentEpoch => "current-epoch",
            DiskKind::Snapshot => "snapshot",
            DiskKind::Truncate => "truncate",
            DiskKind::All => "all",
        }
    }

    pub fn from_name(word: &str) -> Option<DiskKind> {
        DiskKind::ALL.into_iter().find(|kind| kind.name() == word)
    }
}

/// `client NAME on N [timeout MS]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientDecl {
    pub name: String,
    pub server: ServerId,
    pub timeout_ms: Option<u64>,
}

/// What a client command's reply must be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expect {
    Ok,
    /// An error in ZooKeeper's spelling (`NoNode`, `BadVersion`, ...); the executor checks it.
    Error(String),
    /// Data read, or the path a create returned.
    Text(String),
    /// Children, in any order.
    List(Vec<String>),
    /// Not answered yet.
    Pending,
}

/// A checked claim about the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Assertion {
    Holds(Condition),
    Has {
        server: ServerId,
        path: String,
        data: Option<String>,
    },
    Lacks {
        server: ServerId,
        path: String,
    },
    Agree {
        servers: Vec<ServerId>,
        path: String,
    },
    /// The committed prefixes of all servers agree.
    HistoryAgrees,
    /// The safety checker found nothing wrong.
    NoViolations,
}

/// A server's role or liveness, as a condition names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Looking,
    Following,
    Leading,
    Observing,
    Down,
    Up,
    Paused,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Looking,
        Role::Following,
        Role::Leading,
        Role::Observing,
        Role::Down,
        Role::Up,
        Role::Paused,
    ];

    /// The name as ZooKeeper prints server states (upper case).
    pub fn name(self) -> &'static str {
        match self {
            Role::Looking => "LOOKING",
            Role::Following => "FOLLOWING",
            Role::Leading => "LEADING",
            Role::Observing => "OBSERVING",
            Role::Down => "DOWN",
            Role::Up => "UP",
            Role::Paused => "PAUSED",
        }
    }

    /// Case-insensitive: `leading` and `LEADING` are the same role.
    pub fn from_name(word: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|role| role.name().eq_ignore_ascii_case(word))
    }
}

/// Something that is true or not at a moment of the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Condition {
    /// Any of them holds (`or`).
    Any(Vec<Condition>),
    /// All of them hold (`and`).
    All(Vec<Condition>),
    Role {
        server: ServerId,
        role: Role,
    },
    /// The server leads an established ensemble.
    LeaderIs(ServerId),
    /// Some server leads with a quorum behind it.
    LeaderElected,
    /// No server is leading.
    NoLeader,
    /// The durable log holds `zxid` (or, `exactly`, ends with it).
    Logged {
        server: ServerId,
        zxid: Zxid,
        exactly: bool,
    },
    /// The server has committed `zxid` (or, `exactly`, that is its last commit).
    Committed {
        server: ServerId,
        zxid: Zxid,
        exactly: bool,
    },
    /// currentEpoch (or acceptedEpoch) is exactly `epoch`.
    Epoch {
        server: ServerId,
        epoch: u32,
        accepted: bool,
    },
    /// The server's current election vote.
    VotesFor {
        server: ServerId,
        leader: ServerId,
    },
    /// The server's election round (logicalclock).
    Round {
        server: ServerId,
        round: u64,
    },
    /// Virtual time has reached this many milliseconds.
    Time(u64),
    ClientConnected(String),
    /// The ensemble has expired the client's session.
    ClientExpired(String),
    HoldsLock {
        client: String,
        path: String,
    },
}

/// `250ms`, `3s` or `2m`: the largest unit that writes the value exactly.
pub fn format_duration(ms: u64) -> String {
    if ms >= 60_000 && ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms >= 1000 && ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// A signed duration, for clock skew.
pub fn format_signed_duration(ms: i64) -> String {
    let magnitude = format_duration(ms.unsigned_abs());
    if ms < 0 {
        format!("-{magnitude}")
    } else {
        magnitude
    }
}

/// A double-quoted string with the escapes the parser reads back.
pub fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            _ => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// A path as one word: quoted only when it could not be read back bare.
fn word(text: &str) -> String {
    let bare = !text.is_empty()
        && !text.starts_with('"')
        && !text
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '#' | '"' | '(' | ')'))
        && !text.ends_with(':');
    if bare {
        text.to_string()
    } else {
        quote(text)
    }
}

impl fmt::Display for MessageFilter {
    /// `PROPOSAL from 3 to 2`, or `*` for any message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(kind) = &self.kind {
            parts.push(kind.clone());
        }
        if let Some(from) = self.from {
            parts.push(format!("from {from}"));
        }
        if let Some(to) = self.to {
            parts.push(format!("to {to}"));
        }
        if parts.is_empty() {
            f.write_str("*")
        } else {
            f.write_str(&parts.join(" "))
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Ok => f.write_str("ok"),
            Expect::Error(name) => f.write_str(name),
            Expect::Text(text) => f.write_str(&quote(text)),
            Expect::List(items) => {
                let items: Vec<String> = items
                    .iter()
                    .map(|item| {
                        let plain = !item.is_empty()
                            && !item.contains(char::is_whitespace)
                            && !item.contains([',', ']', '"', '[', '#']);
                        if plain {
                            item.clone()
                        } else {
                            quote(item)
                        }
                    })
                    .collect();
                write!(f, "[{}]", items.join(", "))
            }
            Expect::Pending => f.write_str("pending"),
        }
    }
}

impl fmt::Display for Condition {
    /// The condition in the language; nested groups get the parentheses their meaning needs
    /// (`and` binds tighter than `or`). Empty groups, which the parser never makes, print as
    /// nothing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Any(parts) => {
                let parts: Vec<String> = parts
                    .iter()
                    .map(|part| match part {
                        Condition::Any(_) => format!("({part})"),
                        _ => part.to_string(),
                    })
                    .collect();
                f.write_str(&parts.join(" or "))
            }
            Condition::All(parts) => {
                let parts: Vec<String> = parts
                    .iter()
                    .map(|part| match part {
                        Condition::Any(_) | Condition::All(_) => format!("({part})"),
                        _ => part.to_string(),
                    })
                    .collect();
                f.write_str(&parts.join(" and "))
            }
            Condition::Role { server, role } => write!(f, "server {server} is {}", role.name()),
            Condition::LeaderIs(server) => write!(f, "leader is {server}"),
            Condition::LeaderElected => f.write_str("leader elected"),
            Condition::NoLeader => f.write_str("no leader"),
            Condition::Logged {
                server,
                zxid,
                exactly,
            } => {
                let verb = if *exactly { "last-logged" } else { "logged" };
                write!(f, "server {server} {verb} {zxid}")
            }
            Condition::Committed {
                server,
                zxid,
                exactly,
            } => {
                let verb = if *exactly {
                    "last-committed"
                } else {
                    "committed"
                };
                write!(f, "server {server} {verb} {zxid}")
            }
            Condition::Epoch {
                server,
                epoch,
                accepted,
            } => {
                let verb = if *accepted { "accepted-epoch" } else { "epoch" };
                write!(f, "server {server} {verb} {epoch}")
            }
            Condition::VotesFor { server, leader } => {
                write!(f, "server {server} votes for {leader}")
            }
            Condition::Round { server, round } => write!(f, "server {server} round {round}"),
            Condition::Time(ms) => write!(f, "time {}", format_duration(*ms)),
            Condition::ClientConnected(client) => write!(f, "{client} connected"),
            Condition::ClientExpired(client) => write!(f, "{client} expired"),
            Condition::HoldsLock { client, path } => {
                write!(f, "{client} holds lock {}", word(path))
            }
        }
    }
}

impl fmt::Display for Assertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Assertion::Holds(condition) => write!(f, "expect {condition}"),
            Assertion::Has { server, path, data } => {
                write!(f, "expect server {server} has {}", word(path))?;
                match data {
                    Some(data) => write!(f, " = {}", quote(data)),
                    None => Ok(()),
                }
            }
            Assertion::Lacks { server, path } => {
                write!(f, "expect server {server} lacks {}", word(path))
            }
            Assertion::Agree { servers, path } => {
                let servers: Vec<String> = servers.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "expect servers {} agree on {}",
                    servers.join(" "),
                    word(path)
                )
            }
            Assertion::HistoryAgrees => f.write_str("expect history agrees"),
            Assertion::NoViolations => f.write_str("expect no violations"),
        }
    }
}

impl fmt::Display for Question {
    /// The whole `question ... end` block, on several lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "question")?;
        writeln!(f, "  ask en: {}", self.ask.en)?;
        writeln!(f, "  ask zh: {}", self.ask.zh)?;
        for (key, label) in &self.choices {
            writeln!(f, "  choice {key} en: {}", label.en)?;
            writeln!(f, "  choice {key} zh: {}", label.zh)?;
        }
        writeln!(f, "  answer {}", self.answer)?;
        writeln!(f, "  explain en: {}", self.explain.en)?;
        writeln!(f, "  explain zh: {}", self.explain.zh)?;
        f.write_str("end")
    }
}

impl fmt::Display for Action {
    /// The statement as a scenario file writes it. `Say` and `Question` take several lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Say(text) => write!(f, "say en: {}\nsay zh: {}", text.en, text.zh),
            Action::Question(question) => question.fmt(f),
            Action::RunFor(ms) => write!(f, "run for {}", format_duration(*ms)),
            Action::RunUntil {
                condition,
                within_ms,
            } => {
                write!(f, "run until {condition}")?;
                match within_ms {
                    Some(ms) => write!(f, " within {}", format_duration(*ms)),
                    None => Ok(()),
                }
            }
            Action::Step(count) => write!(f, "step {count}"),
            Action::Start(server) => write!(f, "start {server}"),
            Action::Crash(server) => write!(f, "crash {server}"),
            Action::Restart(server) => write!(f, "restart {server}"),
            Action::Pause { server, for_ms } => {
                write!(f, "pause {server}")?;
                match for_ms {
                    Some(ms) => write!(f, " for {}", format_duration(*ms)),
                    None => Ok(()),
                }
            }
            Action::Resume(server) => write!(f, "resume {server}"),
            Action::Partition(groups) => {
                let groups: Vec<String> = groups
                    .iter()
                    .map(|group| {
                        let ids: Vec<String> = group.iter().map(ToString::to_string).collect();
                        ids.join(" ")
                    })
                    .collect();
                write!(f, "partition {}", groups.join(" | "))
            }
            Action::Cut {
                from,
                to,
                both_ways,
            } => write!(f, "cut {from} {} {to}", arrow(*both_ways)),
            Action::Heal(None) => f.write_str("heal"),
            Action::Heal(Some((from, to, both_ways))) => {
                write!(f, "heal {from} {} {to}", arrow(*both_ways))
            }
            Action::Skew { server, ms } => {
                write!(f, "skew {server} {}", format_signed_duration(*ms))
            }
            Action::SlowDisk { server, ms } => {
                write!(f, "slow-disk {server} {}", format_duration(*ms))
            }
            Action::AddObserver => f.write_str("add-observer"),
            Action::Messages { rule, filter } => match rule {
                MessageRule::Hold => write!(f, "hold {filter}"),
                MessageRule::Release => write!(f, "release {filter}"),
                MessageRule::StopHold => write!(f, "stop hold {filter}"),
                MessageRule::Drop => write!(f, "drop {filter}"),
                MessageRule::StopDrop => write!(f, "stop drop {filter}"),
                MessageRule::Duplicate => write!(f, "duplicate {filter}"),
                MessageRule::StopDuplicate => write!(f, "stop duplicate {filter}"),
                MessageRule::Delay(ms) => {
                    write!(f, "delay {filter} by {}", format_duration(*ms))
                }
                MessageRule::StopDelay => write!(f, "stop delay {filter}"),
            },
            Action::Disk { hold, kind, server } => {
                let verb = if *hold { "hold" } else { "release" };
                write!(f, "{verb} disk {} on {server}", kind.name())
            }
            Action::Client(decl) => {
                write!(f, "client {} on {}", decl.name, decl.server)?;
                match decl.timeout_ms {
                    Some(ms) => write!(f, " timeout {}", format_duration(ms)),
                    None => Ok(()),
                }
            }
            Action::MoveClient { client, server } => write!(f, "{client} moves to {server}"),
            Action::Disconnect(client) => write!(f, "{client} disconnects"),
            Action::CloseSession(client) => write!(f, "{client} closes"),
            Action::Command {
                client,
                command,
                expect,
            } => {
                write!(f, "{client}: {command}")?;
                match expect {
                    Some(expect) => write!(f, " => {expect}"),
                    None => Ok(()),
                }
            }
            Action::Lock { client, path, herd } => {
                let verb = if *herd { "herd-locks" } else { "locks" };
                write!(f, "{client} {verb} {}", word(path))
            }
            Action::Unlock { client, path } => write!(f, "{client} unlocks {}", word(path)),
            Action::At { at_ms, action } => write!(f, "at {}: {action}", format_duration(*at_ms)),
            Action::When { condition, action } => write!(f, "when {condition}: {action}"),
            Action::Expect(assertion) => assertion.fmt(f),
        }
    }
}

fn arrow(both_ways: bool) -> &'static str {
    if both_ways {
        "<->"
    } else {
        "->"
    }
}

impl fmt::Display for Setup {
    /// The header lines for the ensemble, one per line, only the settings that are given.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "servers {}", self.participants)?;
        if self.start_stopped {
            f.write_str(" stopped")?;
        }
        if self.observers > 0 {
            write!(f, "\nobservers {}", self.observers)?;
        }
        if let Some(seed) = self.seed {
            write!(f, "\nseed {seed}")?;
        }
        if let Some(ms) = self.tick_ms {
            write!(f, "\ntick {}", format_duration(ms))?;
        }
        if let Some(ticks) = self.init_limit {
            write!(f, "\ninit-limit {ticks}")?;
        }
        if let Some(ticks) = self.sync_limit {
            write!(f, "\nsync-limit {ticks}")?;
        }
        if let Some((low, high)) = self.latency_ms {
            write!(
                f,
                "\nlatency {}..{}",
                format_duration(low),
                format_duration(high)
            )?;
        }
        if let Some(count) = self.snap_count {
            write!(f, "\nsnap-count {count}")?;
        }
        if let Some(ms) = self.session_timeout_ms {
            write!(f, "\nsession-timeout {}", format_duration(ms))?;
        }
        Ok(())
    }
}

impl fmt::Display for Scenario {
    /// The whole scenario as a file: headers, a blank line, then the steps.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "name {}", self.name)?;
        writeln!(f, "title en: {}", self.title.en)?;
        writeln!(f, "title zh: {}", self.title.zh)?;
        if let Some(summary) = &self.summary {
            writeln!(f, "summary en: {}", summary.en)?;
            writeln!(f, "summary zh: {}", summary.zh)?;
        }
        writeln!(f, "{}", self.setup)?;
        for step in &self.steps {
            writeln!(f)?;
            write!(f, "{}", step.action)?;
        }
        writeln!(f)
    }
}
