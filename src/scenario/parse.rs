//! The scenario language's parser: text in, a checked [`Scenario`] out, or the first problem
//! with its line number and a message that says what was expected.
//!
//! A scenario is line-based: headers first, then steps. Each line is split into words, where
//! a double-quoted string (with `\"`, `\\` and `\n` escapes) is one word. Narration lines
//! (`say`, `title`, `summary` and the lines of a question) keep everything after their
//! language tag as text, `#` included; on every other line `#` outside quotes starts a
//! comment. Anything the parser can check without running the scenario (server numbers,
//! declared clients, both languages present, answers that are choices) it checks here, so a
//! teacher hears about a typo before the run starts.

use super::ast::{
    Action, Assertion, ClientDecl, Condition, DiskKind, Expect, MessageFilter, MessageRule,
    Question, Role, Scenario, ServerId, Setup, Step, Text,
};
use crate::data::path::validate_path;
use crate::data::types::Zxid;
use std::collections::BTreeMap;
use std::fmt;

/// The most voting servers a scenario may have (the simulator's limit).
pub const MAX_PARTICIPANTS: u64 = 15;
/// The most observers, counting those added while the scenario runs.
pub const MAX_OBSERVERS: u64 = 15;

/// The first problem in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses a scenario. `name` (usually the file stem) is used unless the file has a `name` line.
pub fn parse(name: &str, text: &str) -> Result<Scenario, ParseError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line))
        .collect();
    let mut parser = Parser::new(name);
    let mut index = 0;
    while let Some(&(number, raw)) = lines.get(index) {
        index += 1;
        let line = clean(raw);
        if line.is_empty() {
            continue;
        }
        if first_word(line) == "question" {
            let consumed = parser.question(number, line, &lines[index..])?;
            index += consumed;
        } else {
            parser.statement(number, line)?;
        }
    }
    let last_line = lines.last().map_or(1, |&(number, _)| number);
    parser.finish(last_line)
}

/// Statements whose text runs to the end of the line, `#` included.
const TEXT_STATEMENTS: [&str; 6] = ["title", "summary", "say", "ask", "choice", "explain"];

/// Statements that configure the ensemble; they must all come before the first step.
const HEADERS: [&str; 12] = [
    "name",
    "title",
    "summary",
    "servers",
    "observers",
    "seed",
    "tick",
    "init-limit",
    "sync-limit",
    "latency",
    "snap-count",
    "session-timeout",
];

/// Words a client may not be called, because a line or a condition starting with them means
/// something else.
const RESERVED: [&str; 39] = [
    "name",
    "title",
    "summary",
    "servers",
    "observers",
    "seed",
    "tick",
    "init-limit",
    "sync-limit",
    "latency",
    "snap-count",
    "session-timeout",
    "say",
    "question",
    "ask",
    "choice",
    "answer",
    "explain",
    "end",
    "run",
    "step",
    "start",
    "crash",
    "restart",
    "pause",
    "resume",
    "partition",
    "cut",
    "heal",
    "skew",
    "slow-disk",
    "add-observer",
    "hold",
    "release",
    "stop",
    "drop",
    "duplicate",
    "delay",
    "client",
];

/// Further words conditions and triggers begin with.
const RESERVED_IN_CONDITIONS: [&str; 9] = [
    "at", "when", "expect", "server", "leader", "no", "time", "and", "or",
];

/// What may follow a client's name.
const CLIENT_VERBS: [&str; 6] = [
    "moves",
    "disconnects",
    "closes",
    "locks",
    "unlocks",
    "herd-locks",
];

/// A line without surrounding blanks, a byte-order mark or its comment.
fn clean(raw: &str) -> &str {
    let line = raw.trim_start_matches('\u{feff}').trim();
    if line.starts_with('#') {
        return "";
    }
    if TEXT_STATEMENTS.contains(&first_word(line)) {
        return line;
    }
    strip_comment(line).trim_end()
}

fn first_word(line: &str) -> &str {
    line.split_whitespace().next().unwrap_or("")
}

/// The line up to its first `#` outside double quotes.
fn strip_comment(line: &str) -> &str {
    let mut in_quotes = false;
    let mut escaped = false;
    for (index, c) in line.char_indices() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quotes = false;
            }
        } else if c == '"' {
            in_quotes = true;
        } else if c == '#' {
            return &line[..index];
        }
    }
    line
}

/// One word of a line, and where it ends (so the raw rest of the line can be taken).
#[derive(Clone, Copy, Debug)]
struct Token<'a> {
    text: &'a str,
    end: usize,
}

/// Splits a line into words; a double-quoted string, spaces and all, stays inside one word.
fn tokenize(line: &str) -> Result<Vec<Token<'_>>, String> {
    let mut tokens = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut in_quotes = false;
        let mut escaped = false;
        let mut end = line.len();
        while let Some(&(index, c)) = chars.peek() {
            if in_quotes {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_quotes = false;
                }
            } else if c.is_whitespace() {
                end = index;
                break;
            } else if c == '"' {
                in_quotes = true;
            }
            chars.next();
        }
        if in_quotes {
            return Err(format!(
                "the quoted string in {} is not closed: add the closing \"",
                show(&line[start..])
            ));
        }
        tokens.push(Token {
            text: &line[start..end],
            end,
        });
    }
    Ok(tokens)
}

/// The contents of a double-quoted string, escapes resolved.
fn unquote(word: &str) -> Result<String, String> {
    let inner = word
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .filter(|_| word.len() >= 2)
        .ok_or_else(|| format!("{} is not a single quoted string", show(word)))?;
    let mut text = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('"') => text.push('"'),
                Some('\\') => text.push('\\'),
                Some('n') => text.push('\n'),
                Some(other) => {
                    return Err(format!(
                        "unknown escape \\{other} in {}: use \\\", \\\\ or \\n",
                        show(word)
                    ))
                }
                None => return Err(format!("{} ends with a lone \\", show(word))),
            },
            '"' => return Err(format!("{} has a \" inside: write it as \\\"", show(word))),
            _ => text.push(c),
        }
    }
    Ok(text)
}

/// A word as a message shows it; long words are shortened so the message stays readable.
fn show(word: &str) -> String {
    const LIMIT: usize = 40;
    if word.chars().count() > LIMIT {
        let short: String = word.chars().take(LIMIT).collect();
        format!("\"{short}...\"")
    } else {
        format!("\"{word}\"")
    }
}

/// `"x"`, or "the end of the line" when there is no word.
fn found(word: Option<&str>) -> String {
    word.map_or_else(|| "the end of the line".to_string(), show)
}

fn expected(what: &str, after: &str, word: Option<&str>) -> String {
    format!("expected {what} after \"{after}\", found {}", found(word))
}

/// `250ms`, `3s`, `1.5s`, `2m`, or a bare number of milliseconds.
fn duration(word: Option<&str>, after: &str) -> Result<u64, String> {
    const WHAT: &str = "a duration such as 250ms, 3s or 2m";
    let text = word.ok_or_else(|| expected(WHAT, after, None))?;
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale: u64 = match unit {
        "" | "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        _ => return Err(expected(WHAT, after, word)),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty())
        || !digits(whole)
        || !digits(fraction)
        || (number.contains('.') && fraction.is_empty())
    {
        return Err(expected(WHAT, after, word));
    }
    let too_long = || format!("{} is too long a duration", show(text));
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| too_long())?
    };
    let mut ms = whole.checked_mul(scale).ok_or_else(too_long)?;
    if !fraction.is_empty() {
        // A fraction must come to whole milliseconds: 1.5s is fine, 1.0005s is not.
        let not_whole = || format!("{} is not a whole number of milliseconds", show(text));
        if fraction.len() > 9 {
            return Err(not_whole());
        }
        let value: u64 = fraction.parse().map_err(|_| not_whole())?;
        let denominator = 10u64.pow(fraction.len() as u32);
        let scaled = value * scale;
        if !scaled.is_multiple_of(denominator) {
            return Err(not_whole());
        }
        ms = ms.checked_add(scaled / denominator).ok_or_else(too_long)?;
    }
    Ok(ms)
}

/// A duration that must be more than zero.
fn positive_duration(word: Option<&str>, after: &str) -> Result<u64, String> {
    let ms = duration(word, after)?;
    if ms == 0 {
        return Err(format!(
            "the duration after \"{after}\" must be more than 0"
        ));
    }
    Ok(ms)
}

/// A duration with an optional sign, for clock skew.
fn signed_duration(word: Option<&str>, after: &str) -> Result<i64, String> {
    let text = word.ok_or_else(|| expected("a duration such as -300ms or 2s", after, None))?;
    let (negative, magnitude) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let ms = duration(Some(magnitude), after)
        .map_err(|_| expected("a duration such as -300ms or 2s", after, word))?;
    let ms = i64::try_from(ms).map_err(|_| format!("{} is too long a duration", show(text)))?;
    Ok(if negative { -ms } else { ms })
}

/// A whole number.
fn number(word: Option<&str>, what: &str, after: &str) -> Result<u64, String> {
    match word {
        Some(text) if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) => text
            .parse()
            .map_err(|_| format!("{} is too large for {what}", show(text))),
        _ => Err(expected(what, after, word)),
    }
}

/// `epoch:counter` in decimal, as zooscope writes zxids.
fn zxid(word: Option<&str>, after: &str) -> Result<Zxid, String> {
    let bad = || expected("a zxid written epoch:counter (such as 1:2)", after, word);
    let (epoch, counter) = word.and_then(|w| w.split_once(':')).ok_or_else(bad)?;
    let part = |text: &str| -> Result<u32, String> {
        if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        text.parse().map_err(|_| {
            format!(
                "{} is too large for a zxid: each half is 32 bits",
                show(text)
            )
        })
    };
    Ok(Zxid::new(part(epoch)?, part(counter)?))
}

/// A znode path, bare or quoted, checked with ZooKeeper's own rules.
fn path(word: Option<&str>, after: &str) -> Result<String, String> {
    let text = word.ok_or_else(|| expected("a znode path such as /app", after, None))?;
    let path = if text.starts_with('"') {
        unquote(text)?
    } else {
        text.to_string()
    };
    validate_path(&path).map_err(|problem| {
        format!(
            "expected a znode path after \"{after}\", found {}: {problem}",
            show(text)
        )
    })?;
    Ok(path)
}

/// A choice key or answer: a short word or number.
fn is_key(word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn is_message_kind(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// `NoNode`, `BadVersion`: an error name as ZooKeeper's `KeeperException.Code` spells it.
fn is_error_name(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    En,
    Zh,
}

impl Lang {
    fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
}

/// `en: TEXT` or `zh: TEXT`, after a narration keyword.
fn language_text(rest: &str, after: &str) -> Result<(Lang, String), String> {
    let rest = rest.trim();
    let (lang, text) = if let Some(text) = rest.strip_prefix("en:") {
        (Lang::En, text)
    } else if let Some(text) = rest.strip_prefix("zh:") {
        (Lang::Zh, text)
    } else {
        let word = rest.split_whitespace().next();
        return Err(expected("\"en:\" or \"zh:\"", after, word));
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(format!(
            "\"{after} {}:\" needs text after the colon",
            lang.tag()
        ));
    }
    Ok((lang, text.to_string()))
}

/// A `say en:` waiting for its `say zh:` (or the other way round) on the next line.
struct PendingSay {
    line: usize,
    lang: Lang,
    text: String,
}

/// The parser's state while it reads a file from top to bottom.
struct Parser {
    name: String,
    /// Where each header was given, to refuse duplicates (`"title en"`, `"seed"`, ...).
    header_lines: BTreeMap<String, usize>,
    name_header: Option<String>,
    title: (Option<String>, Option<String>),
    summary: (Option<String>, Option<String>),
    setup: Setup,
    servers_given: bool,
    /// The first step's line, once headers are closed.
    first_step: Option<usize>,
    /// Myids that exist so far: participants, observers and observers added by earlier steps.
    known_servers: u64,
    observers: u64,
    /// Declared clients and the line of each declaration.
    clients: BTreeMap<String, usize>,
    /// The line being parsed.
    current_line: usize,
    steps: Vec<Step>,
    pending_say: Option<PendingSay>,
}

impl Parser {
    fn new(name: &str) -> Parser {
        Parser {
            name: name.to_string(),
            header_lines: BTreeMap::new(),
            name_header: None,
            title: (None, None),
            summary: (None, None),
            setup: Setup::default(),
            servers_given: false,
            first_step: None,
            known_servers: 0,
            observers: 0,
            clients: BTreeMap::new(),
            current_line: 0,
            steps: Vec::new(),
            pending_say: None,
        }
    }

    /// One non-empty line outside a question block.
    fn statement(&mut self, line: usize, text: &str) -> Result<(), ParseError> {
        let at = |message: String| ParseError { line, message };
        self.current_line = line;
        let keyword = first_word(text);
        if keyword != "say" {
            self.unpaired_say()?;
        }
        if HEADERS.contains(&keyword) {
            if let Some(first_step) = self.first_step {
                return Err(at(format!(
                    "\"{keyword}\" is a header: it must come before the first step (line {first_step})"
                )));
            }
            return self.header(line, keyword, text).map_err(at);
        }
        self.close_headers(line)?;
        if keyword == "say" {
            return self.say(line, text);
        }
        let action = self.action(text, false).map_err(at)?;
        self.steps.push(Step { line, action });
        Ok(())
    }

    /// Fails if a `say` line is still waiting for its other language.
    fn unpaired_say(&mut self) -> Result<(), ParseError> {
        match self.pending_say.take() {
            Some(pending) => {
                let (has, needs) = match pending.lang {
                    Lang::En => ("en", "zh"),
                    Lang::Zh => ("zh", "en"),
                };
                Err(ParseError {
                    line: pending.line,
                    message: format!(
                        "\"say {has}:\" must be followed by \"say {needs}:\" on the next line: narration is in both languages"
                    ),
                })
            }
            None => Ok(()),
        }
    }

    fn say(&mut self, line: usize, text: &str) -> Result<(), ParseError> {
        let rest = &text["say".len()..];
        let (lang, said) =
            language_text(rest, "say").map_err(|message| ParseError { line, message })?;
        match self.pending_say.take() {
            None => {
                self.pending_say = Some(PendingSay {
                    line,
                    lang,
                    text: said,
                });
                Ok(())
            }
            Some(pending) if pending.lang == lang => Err(ParseError {
                line,
                message: format!(
                    "two \"say {}:\" lines in a row: the one on line {} still needs its other language",
                    lang.tag(),
                    pending.line
                ),
            }),
            Some(pending) => {
                let text = match lang {
                    Lang::En => Text {
                        en: said,
                        zh: pending.text,
                    },
                    Lang::Zh => Text {
                        en: pending.text,
                        zh: said,
                    },
                };
                self.steps.push(Step {
                    line: pending.line,
                    action: Action::Say(text),
                });
                Ok(())
            }
        }
    }

    /// Records a header line, refusing a second one of the same kind.
    fn once(&mut self, key: &str, line: usize) -> Result<(), String> {
        if let Some(earlier) = self.header_lines.get(key) {
            return Err(format!("\"{key}\" was already given on line {earlier}"));
        }
        self.header_lines.insert(key.to_string(), line);
        Ok(())
    }

    fn header(&mut self, line: usize, keyword: &str, text: &str) -> Result<(), String> {
        if keyword == "title" || keyword == "summary" {
            let (lang, said) = language_text(&text[keyword.len()..], keyword)?;
            self.once(&format!("{keyword} {}", lang.tag()), line)?;
            let pair = if keyword == "title" {
                &mut self.title
            } else {
                &mut self.summary
            };
            match lang {
                Lang::En => pair.0 = Some(said),
                Lang::Zh => pair.1 = Some(said),
            }
            return Ok(());
        }
        let tokens = tokenize(text)?;
        let words: Vec<&str> = tokens.iter().map(|t| t.text).collect();
        self.once(keyword, line)?;
        let arg = words.get(1).copied();
        let rest_len = match keyword {
            "servers" => {
                let count = number(arg, "a number of servers", keyword)?;
                if !(1..=MAX_PARTICIPANTS).contains(&count) {
                    return Err(format!(
                        "a scenario has 1 to {MAX_PARTICIPANTS} servers, not {count}"
                    ));
                }
                self.setup.participants = count;
                self.servers_given = true;
                match words.get(2) {
                    Some(&"stopped") => {
                        self.setup.start_stopped = true;
                        3
                    }
                    Some(other) => {
                        return Err(format!(
                            "expected \"stopped\" or the end of the line after \"servers {count}\", found {}",
                            show(other)
                        ))
                    }
                    None => 2,
                }
            }
            "observers" => {
                let count = number(arg, "a number of observers", keyword)?;
                if count > MAX_OBSERVERS {
                    return Err(format!(
                        "a scenario has at most {MAX_OBSERVERS} observers, not {count}"
                    ));
                }
                self.setup.observers = count;
                2
            }
            "name" => {
                let name = arg.ok_or_else(|| expected("a name", keyword, None))?;
                let valid = name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
                if !valid {
                    return Err(format!(
                        "{} is not a scenario name: use letters, digits, \"-\", \"_\" or \".\"",
                        show(name)
                    ));
                }
                self.name_header = Some(name.to_string());
                2
            }
            "seed" => {
                self.setup.seed = Some(number(arg, "a seed (a whole number)", keyword)?);
                2
            }
            "tick" => {
                self.setup.tick_ms = Some(positive_duration(arg, keyword)?);
                2
            }
            "init-limit" | "sync-limit" => {
                let ticks = number(arg, "a number of ticks", keyword)?;
                if ticks == 0 {
                    return Err(format!("\"{keyword}\" must be at least 1 tick"));
                }
                if keyword == "init-limit" {
                    self.setup.init_limit = Some(ticks);
                } else {
                    self.setup.sync_limit = Some(ticks);
                }
                2
            }
            "latency" => {
                let range = words[1..].concat();
                let bad = || expected("a range such as 5ms..50ms", keyword, arg);
                let (low, high) = range.split_once("..").ok_or_else(bad)?;
                let low = duration(Some(low), keyword).map_err(|_| bad())?;
                let high = duration(Some(high), keyword).map_err(|_| bad())?;
                if low > high {
                    return Err(format!(
                        "the latency range starts above its end ({low}ms > {high}ms)"
                    ));
                }
                self.setup.latency_ms = Some((low, high));
                words.len()
            }
            "snap-count" => {
                let count = number(arg, "a number of transactions", keyword)?;
                if count == 0 {
                    return Err("\"snap-count\" must be at least 1".to_string());
                }
                self.setup.snap_count = Some(count);
                2
            }
            "session-timeout" => {
                self.setup.session_timeout_ms = Some(positive_duration(arg, keyword)?);
                2
            }
            _ => return Err(format!("unknown header {}", show(keyword))),
        };
        no_more(&words, rest_len)
    }

    /// Checks the headers once, when the first step (or the end of the file) is reached.
    fn close_headers(&mut self, line: usize) -> Result<(), ParseError> {
        if self.first_step.is_some() {
            return Ok(());
        }
        let at = |message: String| ParseError { line, message };
        for (what, pair) in [("title", &self.title), ("summary", &self.summary)] {
            let lang_line = |lang: &str| self.header_lines.get(&format!("{what} {lang}")).copied();
            match pair {
                (Some(_), None) => {
                    return Err(ParseError {
                        line: lang_line("en").unwrap_or(line),
                        message: format!("\"{what} en:\" has no matching \"{what} zh:\" line: both languages are needed"),
                    })
                }
                (None, Some(_)) => {
                    return Err(ParseError {
                        line: lang_line("zh").unwrap_or(line),
                        message: format!("\"{what} zh:\" has no matching \"{what} en:\" line: both languages are needed"),
                    })
                }
                _ => {}
            }
        }
        if self.title.0.is_none() {
            return Err(at(
                "the scenario needs \"title en: ...\" and \"title zh: ...\" before its first step"
                    .to_string(),
            ));
        }
        if !self.servers_given {
            return Err(at(
                "the scenario needs \"servers N\" before its first step".to_string()
            ));
        }
        self.known_servers = self.setup.participants + self.setup.observers;
        self.observers = self.setup.observers;
        self.first_step = Some(line);
        Ok(())
    }

    fn finish(mut self, last_line: usize) -> Result<Scenario, ParseError> {
        self.unpaired_say()?;
        self.close_headers(last_line)?;
        let (Some(title_en), Some(title_zh)) = (self.title.0, self.title.1) else {
            // close_headers has refused this already; say so again rather than panic.
            return Err(ParseError {
                line: last_line,
                message: "the scenario needs both \"title en:\" and \"title zh:\"".to_string(),
            });
        };
        let summary = match self.summary {
            (Some(en), Some(zh)) => Some(Text { en, zh }),
            _ => None,
        };
        Ok(Scenario {
            name: self.name_header.unwrap_or(self.name),
            title: Text {
                en: title_en,
                zh: title_zh,
            },
            summary,
            setup: self.setup,
            steps: self.steps,
        })
    }

    /// A `question ... end` block starting at `line`; returns how many lines after the
    /// `question` line it used.
    fn question(
        &mut self,
        line: usize,
        text: &str,
        rest: &[(usize, &str)],
    ) -> Result<usize, ParseError> {
        self.unpaired_say()?;
        self.close_headers(line)?;
        if text != "question" {
            return Err(ParseError {
                line,
                message: "\"question\" stands alone on its line; the question's lines follow it"
                    .to_string(),
            });
        }
        let mut block = QuestionBlock::default();
        for (consumed, &(number, raw)) in rest.iter().enumerate() {
            let inner = clean(raw);
            if inner.is_empty() {
                continue;
            }
            if inner == "end" {
                let question = block.finish(line, number)?;
                self.steps.push(Step {
                    line,
                    action: Action::Question(question),
                });
                return Ok(consumed + 1);
            }
            block.line(number, inner).map_err(|message| ParseError {
                line: number,
                message,
            })?;
        }
        Err(ParseError {
            line,
            message: "this question has no \"end\" line".to_string(),
        })
    }

    /// A step. `in_trigger` is set for the step of an `at` or `when`, which must be a single
    /// immediate action.
    fn action(&mut self, text: &str, in_trigger: bool) -> Result<Action, String> {
        let tokens = tokenize(text)?;
        let words: Vec<&str> = tokens.iter().map(|t| t.text).collect();
        let Some(&keyword) = words.first() else {
            return Err("expected a step".to_string());
        };
        let arg = words.get(1).copied();
        if in_trigger {
            let refused = match keyword {
                "say" => Some("narration needs two lines (en and zh)"),
                "question" => Some("a question is a block of lines"),
                "run" | "step" => Some("a trigger's step happens at one moment"),
                "at" | "when" => Some("triggers do not nest"),
                _ if HEADERS.contains(&keyword) => Some("it is a header"),
                _ => None,
            };
            if let Some(reason) = refused {
                return Err(format!(
                    "\"{keyword}\" cannot be the step of a trigger: {reason}"
                ));
            }
        }
        let action = match keyword {
            "run" => self.run(&words)?,
            "step" => {
                let count = match arg {
                    None => 1,
                    Some(_) => number(arg, "a number of events", "step")?,
                };
                if count == 0 {
                    return Err("\"step\" needs at least 1 event".to_string());
                }
                no_more(&words, 2)?;
                Action::Step(count)
            }
            "start" | "crash" | "restart" | "resume" => {
                let server = self.server(arg, keyword)?;
                no_more(&words, 2)?;
                match keyword {
                    "start" => Action::Start(server),
                    "crash" => Action::Crash(server),
                    "restart" => Action::Restart(server),
                    _ => Action::Resume(server),
                }
            }
            "pause" => {
                let server = self.server(arg, keyword)?;
                let for_ms = match words.get(2) {
                    None => None,
                    Some(&"for") => Some(positive_duration(words.get(3).copied(), "for")?),
                    Some(other) => {
                        return Err(format!(
                            "expected \"for DURATION\" or the end of the line after \"pause {server}\", found {}",
                            show(other)
                        ))
                    }
                };
                no_more(&words, if for_ms.is_some() { 4 } else { 2 })?;
                Action::Pause { server, for_ms }
            }
            "partition" => self.partition(rest_after(text, &tokens, 1))?,
            "cut" => {
                let (from, to, both_ways) = self.link(rest_after(text, &tokens, 1), "cut")?;
                Action::Cut {
                    from,
                    to,
                    both_ways,
                }
            }
            "heal" => {
                let rest = rest_after(text, &tokens, 1);
                if rest.is_empty() {
                    Action::Heal(None)
                } else {
                    Action::Heal(Some(self.link(rest, "heal")?))
                }
            }
            "skew" => {
                let server = self.server(arg, keyword)?;
                let ms = signed_duration(words.get(2).copied(), &format!("skew {server}"))?;
                no_more(&words, 3)?;
                Action::Skew { server, ms }
            }
            "slow-disk" => {
                let server = self.server(arg, keyword)?;
                let ms = duration(words.get(2).copied(), &format!("slow-disk {server}"))?;
                no_more(&words, 3)?;
                Action::SlowDisk { server, ms }
            }
            "add-observer" => {
                no_more(&words, 1)?;
                if self.observers >= MAX_OBSERVERS {
                    return Err(format!("a scenario has at most {MAX_OBSERVERS} observers"));
                }
                self.observers += 1;
                self.known_servers += 1;
                Action::AddObserver
            }
            "hold" | "release" if arg == Some("disk") => self.disk(&words)?,
            "hold" | "release" | "drop" | "duplicate" | "delay" => {
                self.message_rule(keyword, &words[1..], false)?
            }
            "stop" => match arg {
                Some("hold" | "drop" | "duplicate" | "delay") if words.get(2) == Some(&"disk") => {
                    return Err("a disk hold ends with \"release disk KIND on N\"".to_string())
                }
                Some(rule @ ("hold" | "drop" | "duplicate" | "delay")) => {
                    self.message_rule(rule, &words[2..], true)?
                }
                _ => {
                    return Err(expected(
                        "\"hold\", \"drop\", \"duplicate\" or \"delay\"",
                        "stop",
                        arg,
                    ))
                }
            },
            "client" => self.client(&words)?,
            "at" | "when" => self.trigger(keyword, text, &tokens)?,
            "expect" => self.expect(&words[1..])?,
            "ask" | "choice" | "answer" | "explain" | "end" => {
                return Err(format!(
                    "\"{keyword}\" belongs inside a \"question\" ... \"end\" block"
                ))
            }
            _ => self.client_statement(text, &tokens)?,
        };
        Ok(action)
    }

    /// `run for DURATION` or `run until CONDITION [within DURATION]`.
    fn run(&self, words: &[&str]) -> Result<Action, String> {
        match words.get(1) {
            Some(&"for") => {
                let ms = positive_duration(words.get(2).copied(), "run for")?;
                no_more(words, 3)?;
                Ok(Action::RunFor(ms))
            }
            Some(&"until") => {
                let condition_words = &words[2..];
                let within = condition_words.iter().position(|w| *w == "within");
                let (condition, within_ms) = match within {
                    Some(at) => {
                        let ms = positive_duration(condition_words.get(at + 1).copied(), "within")?;
                        no_more(condition_words, at + 2)?;
                        (&condition_words[..at], Some(ms))
                    }
                    None => (condition_words, None),
                };
                Ok(Action::RunUntil {
                    condition: self.condition(condition, "run until")?,
                    within_ms,
                })
            }
            other => Err(expected(
                "\"for DURATION\" or \"until CONDITION\"",
                "run",
                other.copied(),
            )),
        }
    }

    /// A server number that exists at this point of the scenario.
    fn server(&self, word: Option<&str>, after: &str) -> Result<ServerId, String> {
        let id = number(word, "a server number", after)?;
        if id == 0 || id > self.known_servers {
            let observers = if self.observers > 0 {
                " (observers included)"
            } else {
                ""
            };
            return Err(format!(
                "server {id} does not exist: this scenario has servers 1 to {}{observers}",
                self.known_servers
            ));
        }
        Ok(id)
    }

    /// `partition 1 2 | 3 4 | 5`.
    fn partition(&self, rest: &str) -> Result<Action, String> {
        let mut groups = Vec::new();
        let mut seen = BTreeMap::new();
        for (index, group_text) in rest.split('|').enumerate() {
            let mut group = Vec::new();
            for word in group_text
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|w| !w.is_empty())
            {
                let server = self.server(Some(word), "partition")?;
                if let Some(other) = seen.insert(server, index) {
                    let place = if other == index {
                        "twice in one group"
                    } else {
                        "in two groups"
                    };
                    return Err(format!("server {server} is {place}"));
                }
                group.push(server);
            }
            if group.is_empty() && !rest.trim().is_empty() {
                return Err(format!(
                    "group {} of the partition is empty: write servers between the \"|\"s",
                    index + 1
                ));
            }
            groups.push(group);
        }
        if groups.len() < 2 {
            return Err(
                "a partition needs two or more groups separated by \"|\", such as \"partition 1 2 | 3\""
                    .to_string(),
            );
        }
        Ok(Action::Partition(groups))
    }

    /// `A -> B` or `A <-> B`.
    fn link(&self, rest: &str, after: &str) -> Result<(ServerId, ServerId, bool), String> {
        let (sides, both_ways) = match rest.split_once("<->") {
            Some(sides) => (sides, true),
            None => match rest.split_once("->") {
                Some(sides) => (sides, false),
                None => {
                    return Err(expected(
                        "\"A -> B\" (one way) or \"A <-> B\" (both ways)",
                        after,
                        rest.split_whitespace().next(),
                    ))
                }
            },
        };
        let arrow = if both_ways { "<->" } else { "->" };
        let side = |text: &str, before: &str| -> Result<ServerId, String> {
            let mut words = text.split_whitespace();
            let server = self.server(words.next(), before)?;
            if let Some(extra) = words.next() {
                return Err(format!("unexpected {} in \"{after} {rest}\"", show(extra)));
            }
            Ok(server)
        };
        let from = side(sides.0, after)?;
        let to = side(sides.1, arrow)?;
        if from == to {
            return Err(format!("server {from} cannot be cut from itself"));
        }
        Ok((from, to, both_ways))
    }

    /// `hold disk KIND on N` / `release disk KIND on N`.
    fn disk(&self, words: &[&str]) -> Result<Action, String> {
        let hold = words[0] == "hold";
        let kind_word = words.get(2).copied();
        let kind = kind_word.and_then(DiskKind::from_name).ok_or_else(|| {
            let names: Vec<&str> = DiskKind::ALL.iter().map(|kind| kind.name()).collect();
            expected(
                &format!("a disk step ({})", names.join(", ")),
                &format!("{} disk", words[0]),
                kind_word,
            )
        })?;
        if words.get(3) != Some(&"on") {
            return Err(expected(
                "\"on N\"",
                &format!("{} disk {}", words[0], kind.name()),
                words.get(3).copied(),
            ));
        }
        let server = self.server(words.get(4).copied(), "on")?;
        no_more(words, 5)?;
        Ok(Action::Disk { hold, kind, server })
    }

    /// A message rule; `words` follow the rule's keyword (and `stop`).
    fn message_rule(&self, rule: &str, words: &[&str], stop: bool) -> Result<Action, String> {
        let after = if stop {
            format!("stop {rule}")
        } else {
            rule.to_string()
        };
        let (filter_words, delay_ms) = if rule == "delay" && !stop {
            let by = words.iter().position(|w| *w == "by").ok_or_else(|| {
                "\"delay\" needs \"by DURATION\", such as \"delay ACK to 3 by 500ms\"".to_string()
            })?;
            let ms = positive_duration(words.get(by + 1).copied(), "by")?;
            no_more(words, by + 2)?;
            (&words[..by], Some(ms))
        } else {
            (words, None)
        };
        let filter = self.filter(filter_words, &after)?;
        let rule = match (rule, stop) {
            ("hold", false) => MessageRule::Hold,
            ("release", _) => MessageRule::Release,
            ("hold", true) => MessageRule::StopHold,
            ("drop", false) => MessageRule::Drop,
            ("drop", true) => MessageRule::StopDrop,
            ("duplicate", false) => MessageRule::Duplicate,
            ("duplicate", true) => MessageRule::StopDuplicate,
            ("delay", true) => MessageRule::StopDelay,
            _ => MessageRule::Delay(delay_ms.unwrap_or_default()),
        };
        Ok(Action::Messages { rule, filter })
    }

    /// `[KIND|*] [from N] [to N]`.
    fn filter(&self, words: &[&str], after: &str) -> Result<MessageFilter, String> {
        let mut filter = MessageFilter::default();
        let mut rest = words;
        match rest.first() {
            Some(&"*") => rest = &rest[1..],
            Some(&word) if word != "from" && word != "to" => {
                if !is_message_kind(word) {
                    let hint = if is_message_kind(&word.to_ascii_uppercase()) {
                        format!(
                            " (message kinds are written in capitals: {})",
                            word.to_ascii_uppercase()
                        )
                    } else {
                        String::new()
                    };
                    return Err(format!(
                        "{}{hint}",
                        expected(
                            "a message kind such as PROPOSAL or ACK, \"*\", \"from N\" or \"to N\"",
                            after,
                            Some(word)
                        )
                    ));
                }
                filter.kind = Some(word.to_string());
                rest = &rest[1..];
            }
            _ => {}
        }
        while let Some(&word) = rest.first() {
            let slot = match word {
                "from" => &mut filter.from,
                "to" => &mut filter.to,
                _ => {
                    return Err(format!(
                        "expected \"from N\" or \"to N\" in the message filter, found {}",
                        show(word)
                    ))
                }
            };
            if slot.is_some() {
                return Err(format!("\"{word}\" is given twice in the message filter"));
            }
            *slot = Some(self.server(rest.get(1).copied(), word)?);
            rest = &rest[2.min(rest.len())..];
        }
        Ok(filter)
    }

    /// `client NAME on N [timeout DURATION]`.
    fn client(&mut self, words: &[&str]) -> Result<Action, String> {
        let name = words
            .get(1)
            .copied()
            .ok_or_else(|| expected("a client name", "client", None))?;
        check_client_name(name)?;
        if let Some(line) = self.clients.get(name) {
            return Err(format!("client {name} is already declared on line {line}"));
        }
        if words.get(2) != Some(&"on") {
            return Err(expected(
                "\"on N\"",
                &format!("client {name}"),
                words.get(2).copied(),
            ));
        }
        let server = self.server(words.get(3).copied(), "on")?;
        let timeout_ms = match words.get(4) {
            None => None,
            Some(&"timeout") => Some(positive_duration(words.get(5).copied(), "timeout")?),
            Some(other) => {
                return Err(format!(
                    "expected \"timeout DURATION\" or the end of the line after \"on {server}\", found {}",
                    show(other)
                ))
            }
        };
        no_more(words, if timeout_ms.is_some() { 6 } else { 4 })?;
        self.clients.insert(name.to_string(), self.current_line);
        Ok(Action::Client(ClientDecl {
            name: name.to_string(),
            server,
            timeout_ms,
        }))
    }

    /// `at TIME: STEP` and `when CONDITION: STEP`.
    fn trigger(&mut self, keyword: &str, text: &str, tokens: &[Token]) -> Result<Action, String> {
        let colon = tokens
            .iter()
            .position(|t| t.text.ends_with(':'))
            .filter(|&i| i > 0)
            .ok_or_else(|| {
                let what = if keyword == "at" { "TIME" } else { "CONDITION" };
                format!("\"{keyword}\" needs a colon before its step: \"{keyword} {what}: STEP\"")
            })?;
        let mut head: Vec<&str> = tokens[1..=colon].iter().map(|t| t.text).collect();
        if let Some(last) = head.last_mut() {
            *last = &last[..last.len() - 1];
            if last.is_empty() {
                head.pop();
            }
        }
        let step_text = text[tokens[colon].end..].trim();
        if step_text.is_empty() {
            return Err(format!("expected a step after the colon of \"{keyword}\""));
        }
        if keyword == "at" {
            let at_ms = duration(head.first().copied(), "at")?;
            no_more(&head, 1)?;
            let action = Box::new(self.action(step_text, true)?);
            Ok(Action::At { at_ms, action })
        } else {
            let condition = self.condition(&head, "when")?;
            let action = Box::new(self.action(step_text, true)?);
            Ok(Action::When { condition, action })
        }
    }

    /// The words after `expect`.
    fn expect(&self, words: &[&str]) -> Result<Action, String> {
        let assertion = match words {
            ["history", "agrees"] => Assertion::HistoryAgrees,
            ["no", "violations"] => Assertion::NoViolations,
            ["history", ..] => {
                return Err(expected(
                    "\"agrees\"",
                    "expect history",
                    words.get(1).copied(),
                ))
            }
            ["servers", ..] => {
                let on = words.iter().position(|w| *w == "agree").ok_or_else(|| {
                    "expected \"expect servers A B ... agree on PATH\"".to_string()
                })?;
                let mut servers = Vec::new();
                for word in &words[1..on] {
                    let server = self.server(Some(word), "servers")?;
                    if servers.contains(&server) {
                        return Err(format!("server {server} is named twice"));
                    }
                    servers.push(server);
                }
                if servers.len() < 2 {
                    return Err(
                        "\"expect servers ... agree\" needs two or more servers".to_string()
                    );
                }
                if words.get(on + 1) != Some(&"on") {
                    return Err(expected("\"on PATH\"", "agree", words.get(on + 1).copied()));
                }
                let path = path(words.get(on + 2).copied(), "on")?;
                no_more(words, on + 3)?;
                Assertion::Agree { servers, path }
            }
            ["server", _, verb @ ("has" | "lacks"), ..] => {
                let server = self.server(Some(words[1]), "server")?;
                let path = path(words.get(3).copied(), verb)?;
                if *verb == "lacks" {
                    no_more(words, 4)?;
                    Assertion::Lacks { server, path }
                } else {
                    let data = match words.get(4) {
                        None => None,
                        Some(&"=") => {
                            let value = words.get(5).copied().filter(|w| w.starts_with('"'));
                            let value = value.ok_or_else(|| {
                                expected("a quoted string such as \"v1\"", "=", words.get(5).copied())
                            })?;
                            Some(unquote(value)?)
                        }
                        Some(other) => {
                            return Err(format!(
                                "expected \"= \\\"DATA\\\"\" or the end of the line after the path, found {}",
                                show(other)
                            ))
                        }
                    };
                    no_more(words, if data.is_some() { 6 } else { 4 })?;
                    Assertion::Has { server, path, data }
                }
            }
            _ => Assertion::Holds(self.condition(words, "expect")?),
        };
        Ok(Action::Expect(assertion))
    }

    /// `NAME: COMMAND [=> EXPECT]`, `NAME moves to N`, `NAME disconnects`, `NAME closes`,
    /// `NAME locks PATH`, `NAME herd-locks PATH`, `NAME unlocks PATH` — or an unknown word.
    fn client_statement(&self, text: &str, tokens: &[Token]) -> Result<Action, String> {
        let first = tokens[0].text;
        if let Some(name) = first.strip_suffix(':') {
            let client = self.known_client(name)?;
            let rest = &text[tokens[0].end..];
            let (command, expect) = match split_expectation(rest) {
                Some((command, expect)) => (command, Some(expectation(expect)?)),
                None => (rest, None),
            };
            let command = command.trim();
            if command.is_empty() {
                return Err(format!(
                    "expected a zkCli command after \"{name}:\", such as \"{name}: get /app\""
                ));
            }
            return Ok(Action::Command {
                client,
                command: command.to_string(),
                expect,
            });
        }
        let verb = tokens.get(1).map(|t| t.text);
        let Some(verb) = verb.filter(|v| CLIENT_VERBS.contains(v)) else {
            if self.clients.contains_key(first) {
                return Err(expected(
                    "\":\" and a command, \"moves to N\", \"disconnects\", \"closes\", \"locks PATH\", \"herd-locks PATH\" or \"unlocks PATH\"",
                    first,
                    verb,
                ));
            }
            let lower = first.to_ascii_lowercase();
            if lower != first && RESERVED.contains(&lower.as_str()) {
                return Err(format!(
                    "unknown statement {}: statements are lower case (\"{lower}\")",
                    show(first)
                ));
            }
            return Err(format!("unknown statement {}", show(first)));
        };
        let client = self.known_client(first)?;
        let words: Vec<&str> = tokens.iter().map(|t| t.text).collect();
        let action = match verb {
            "moves" => {
                if words.get(2) != Some(&"to") {
                    return Err(expected("\"to N\"", "moves", words.get(2).copied()));
                }
                let server = self.server(words.get(3).copied(), "moves to")?;
                no_more(&words, 4)?;
                Action::MoveClient { client, server }
            }
            "disconnects" => {
                no_more(&words, 2)?;
                Action::Disconnect(client)
            }
            "closes" => {
                no_more(&words, 2)?;
                Action::CloseSession(client)
            }
            _ => {
                let path = path(words.get(2).copied(), verb)?;
                no_more(&words, 3)?;
                match verb {
                    "unlocks" => Action::Unlock { client, path },
                    _ => Action::Lock {
                        client,
                        path,
                        herd: verb == "herd-locks",
                    },
                }
            }
        };
        Ok(action)
    }

    fn known_client(&self, name: &str) -> Result<String, String> {
        if self.clients.contains_key(name) {
            Ok(name.to_string())
        } else {
            Err(undeclared(name))
        }
    }

    /// A condition made of the given words.
    fn condition(&self, words: &[&str], after: &str) -> Result<Condition, String> {
        let tokens = condition_tokens(words);
        if tokens.is_empty() {
            return Err(expected(
                "a condition such as \"leader elected\"",
                after,
                None,
            ));
        }
        let mut cursor = ConditionCursor {
            tokens: &tokens,
            position: 0,
        };
        let condition = self.or_condition(&mut cursor, 0)?;
        match cursor.peek() {
            None => Ok(condition),
            Some(CondToken::Close) => Err("a \")\" has no matching \"(\"".to_string()),
            Some(CondToken::Open) => Err(
                "unexpected \"(\" in the condition: join conditions with \"and\" or \"or\""
                    .to_string(),
            ),
            Some(CondToken::Word(word)) => Err(format!(
                "unexpected {} in the condition: join conditions with \"and\" or \"or\"",
                show(word)
            )),
        }
    }

    fn or_condition(
        &self,
        cursor: &mut ConditionCursor,
        depth: usize,
    ) -> Result<Condition, String> {
        let mut parts = vec![self.and_condition(cursor, depth)?];
        while cursor.peek() == Some(CondToken::Word("or")) {
            cursor.position += 1;
            parts.push(self.and_condition(cursor, depth)?);
        }
        Ok(group(parts, Condition::Any))
    }

    fn and_condition(
        &self,
        cursor: &mut ConditionCursor,
        depth: usize,
    ) -> Result<Condition, String> {
        let mut parts = vec![self.primary_condition(cursor, depth)?];
        while cursor.peek() == Some(CondToken::Word("and")) {
            cursor.position += 1;
            parts.push(self.primary_condition(cursor, depth)?);
        }
        Ok(group(parts, Condition::All))
    }

    fn primary_condition(
        &self,
        cursor: &mut ConditionCursor,
        depth: usize,
    ) -> Result<Condition, String> {
        // Deep nesting is refused rather than recursed into without bound.
        const MAX_DEPTH: usize = 16;
        match cursor.peek() {
            Some(CondToken::Open) => {
                if depth >= MAX_DEPTH {
                    return Err(format!(
                        "conditions nest at most {MAX_DEPTH} parentheses deep"
                    ));
                }
                cursor.position += 1;
                let inner = self.or_condition(cursor, depth + 1)?;
                if cursor.peek() != Some(CondToken::Close) {
                    return Err(format!(
                        "expected \")\" to close the condition, found {}",
                        found(cursor.peek_word())
                    ));
                }
                cursor.position += 1;
                Ok(inner)
            }
            _ => self.atom(cursor),
        }
    }

    /// One condition without `and`/`or`.
    fn atom(&self, cursor: &mut ConditionCursor) -> Result<Condition, String> {
        const FORMS: &str = "a condition (server N is ROLE, leader is N, leader elected, no leader, time T, NAME connected, ...)";
        let Some(first) = cursor.next_word() else {
            return Err(format!(
                "expected {FORMS}, found {}",
                found(cursor.peek_word())
            ));
        };
        let condition = match first {
            "server" => {
                let server = self.server(cursor.next_word(), "server")?;
                let verb = cursor.next_word();
                match verb {
                    Some("is") => {
                        let word = cursor.next_word();
                        let role = word.and_then(Role::from_name).ok_or_else(|| {
                            let names: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
                            expected(&format!("a role ({})", names.join(", ")), "is", word)
                        })?;
                        Condition::Role { server, role }
                    }
                    Some(verb @ ("logged" | "last-logged" | "committed" | "last-committed")) => {
                        let zxid = zxid(cursor.next_word(), verb)?;
                        let exactly = verb.starts_with("last-");
                        if verb.ends_with("logged") {
                            Condition::Logged {
                                server,
                                zxid,
                                exactly,
                            }
                        } else {
                            Condition::Committed {
                                server,
                                zxid,
                                exactly,
                            }
                        }
                    }
                    Some(verb @ ("epoch" | "accepted-epoch")) => {
                        let epoch = number(cursor.next_word(), "an epoch", verb)?;
                        let epoch = u32::try_from(epoch)
                            .map_err(|_| format!("epoch {epoch} is too large: epochs are 32 bits"))?;
                        Condition::Epoch {
                            server,
                            epoch,
                            accepted: verb == "accepted-epoch",
                        }
                    }
                    Some("votes") => {
                        let word = cursor.next_word();
                        if word != Some("for") {
                            return Err(expected("\"for N\"", "votes", word));
                        }
                        let leader = self.server(cursor.next_word(), "votes for")?;
                        Condition::VotesFor { server, leader }
                    }
                    Some("round") => Condition::Round {
                        server,
                        round: number(cursor.next_word(), "an election round", "round")?,
                    },
                    _ => {
                        return Err(expected(
                            "is ROLE, logged, committed, last-logged, last-committed, epoch, accepted-epoch, votes for or round",
                            &format!("server {server}"),
                            verb,
                        ))
                    }
                }
            }
            "leader" => match cursor.next_word() {
                Some("is") => Condition::LeaderIs(self.server(cursor.next_word(), "leader is")?),
                Some("elected") => Condition::LeaderElected,
                other => return Err(expected("\"is N\" or \"elected\"", "leader", other)),
            },
            "no" => match cursor.next_word() {
                Some("leader") => Condition::NoLeader,
                other => return Err(expected("\"leader\"", "no", other)),
            },
            "time" => Condition::Time(duration(cursor.next_word(), "time")?),
            name if self.clients.contains_key(name) => {
                let client = name.to_string();
                match cursor.next_word() {
                    Some("connected") => Condition::ClientConnected(client),
                    Some("expired") => Condition::ClientExpired(client),
                    Some("holds") => {
                        let word = cursor.next_word();
                        if word != Some("lock") {
                            return Err(expected("\"lock PATH\"", "holds", word));
                        }
                        Condition::HoldsLock {
                            client,
                            path: path(cursor.next_word(), "holds lock")?,
                        }
                    }
                    other => {
                        return Err(expected(
                            "\"connected\", \"expired\" or \"holds lock PATH\"",
                            name,
                            other,
                        ))
                    }
                }
            }
            other => {
                let is_client_form =
                    matches!(cursor.peek_word(), Some("connected" | "expired" | "holds"));
                if is_client_form {
                    return Err(undeclared(other));
                }
                return Err(format!("expected {FORMS}, found {}", show(other)));
            }
        };
        Ok(condition)
    }
}

/// Fails if `words` has more than `used` words, naming the first extra one.
fn no_more(words: &[&str], used: usize) -> Result<(), String> {
    match words.get(used) {
        Some(extra) => Err(format!(
            "unexpected {} after \"{}\"",
            show(extra),
            words[..used].join(" ")
        )),
        None => Ok(()),
    }
}

/// The raw text after the first `count` tokens.
fn rest_after<'a>(text: &'a str, tokens: &[Token], count: usize) -> &'a str {
    match count.checked_sub(1).and_then(|last| tokens.get(last)) {
        Some(token) => text[token.end..].trim(),
        None => text.trim(),
    }
}

fn undeclared(name: &str) -> String {
    format!(
        "client {} is used before it is declared: add \"client {name} on N\" above",
        show(name)
    )
}

/// A client's name: a word that cannot be mistaken for a statement or a condition.
fn check_client_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(format!(
            "{} is not a client name: start with a letter, then letters, digits, \"-\" or \"_\"",
            show(name)
        ));
    }
    let reserved = RESERVED.contains(&name)
        || RESERVED_IN_CONDITIONS.contains(&name)
        || CLIENT_VERBS.contains(&name);
    if reserved {
        return Err(format!(
            "\"{name}\" cannot name a client: the scenario language uses that word"
        ));
    }
    Ok(())
}

/// The command and the expectation of `COMMAND => EXPECT`, split at the first `=>` outside
/// double quotes.
fn split_expectation(rest: &str) -> Option<(&str, &str)> {
    let mut in_quotes = false;
    let mut escaped = false;
    for (index, c) in rest.char_indices() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quotes = false;
            }
        } else if c == '"' {
            in_quotes = true;
        } else if rest[index..].starts_with("=>") {
            return Some((&rest[..index], &rest[index + 2..]));
        }
    }
    None
}

/// What follows `=>`.
fn expectation(text: &str) -> Result<Expect, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("ok") {
        return Ok(Expect::Ok);
    }
    if text.eq_ignore_ascii_case("pending") {
        return Ok(Expect::Pending);
    }
    if text.starts_with('"') {
        return unquote(text).map(Expect::Text);
    }
    if text.starts_with('[') {
        return list(text).map(Expect::List);
    }
    if is_error_name(text) {
        return Ok(Expect::Error(text.to_string()));
    }
    Err(expected(
        "ok, pending, an error name such as NoNode, a \"quoted string\" or a [list]",
        "=>",
        Some(text).filter(|t| !t.is_empty()),
    ))
}

/// `[a, b, "c d"]`: children, bare or quoted, separated by commas.
fn list(text: &str) -> Result<Vec<String>, String> {
    let inner = text
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .ok_or_else(|| format!("{} is not a list: write [a, b, c]", show(text)))?;
    if inner.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut items = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    let mut pieces = Vec::new();
    for (index, c) in inner.char_indices() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quotes = false;
            }
        } else if c == '"' {
            in_quotes = true;
        } else if c == ',' {
            pieces.push(&inner[start..index]);
            start = index + 1;
        }
    }
    pieces.push(&inner[start..]);
    for piece in pieces {
        let piece = piece.trim();
        if piece.is_empty() {
            return Err(format!("{} has an empty item", show(text)));
        }
        if piece.starts_with('"') {
            items.push(unquote(piece)?);
        } else if piece.contains(['"', '[', ']']) || piece.contains(char::is_whitespace) {
            return Err(format!(
                "{} in the list must be quoted: write \"...\"",
                show(piece)
            ));
        } else {
            items.push(piece.to_string());
        }
    }
    Ok(items)
}

/// One part, or the parts joined by `and`/`or`.
fn group(mut parts: Vec<Condition>, join: fn(Vec<Condition>) -> Condition) -> Condition {
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        join(parts)
    }
}

/// A condition's words with parentheses split off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CondToken<'a> {
    Open,
    Close,
    Word(&'a str),
}

fn condition_tokens<'a>(words: &[&'a str]) -> Vec<CondToken<'a>> {
    let mut tokens = Vec::new();
    for &word in words {
        let mut rest = word;
        while let Some(after) = rest.strip_prefix('(') {
            tokens.push(CondToken::Open);
            rest = after;
        }
        // A quoted path keeps its own parentheses; only those after its closing quote count.
        let keep = quoted_prefix_len(rest).unwrap_or(0);
        let mut closes = 0;
        while rest.len() > keep {
            match rest.strip_suffix(')') {
                Some(before) => {
                    closes += 1;
                    rest = before;
                }
                None => break,
            }
        }
        if !rest.is_empty() {
            tokens.push(CondToken::Word(rest));
        }
        tokens.extend(std::iter::repeat_n(CondToken::Close, closes));
    }
    tokens
}

/// The length of the double-quoted string `text` starts with, if it starts with one.
fn quoted_prefix_len(text: &str) -> Option<usize> {
    let body = text.strip_prefix('"')?;
    let mut escaped = false;
    for (index, c) in body.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            return Some(index + 2);
        }
    }
    None
}

struct ConditionCursor<'t, 'a> {
    tokens: &'t [CondToken<'a>],
    position: usize,
}

impl<'a> ConditionCursor<'_, 'a> {
    fn peek(&self) -> Option<CondToken<'a>> {
        self.tokens.get(self.position).copied()
    }

    fn peek_word(&self) -> Option<&'a str> {
        self.peek().map(|token| match token {
            CondToken::Open => "(",
            CondToken::Close => ")",
            CondToken::Word(word) => word,
        })
    }

    /// The next token as text (parentheses too, so a misplaced one is named in the error).
    fn next_word(&mut self) -> Option<&'a str> {
        let word = self.peek_word();
        if word.is_some() {
            self.position += 1;
        }
        word
    }
}

/// The lines of a question block as they are read.
#[derive(Default)]
struct QuestionBlock {
    ask: (Option<String>, Option<String>),
    /// Key, English, Chinese, and the line the key first appeared on.
    choices: Vec<(String, Option<String>, Option<String>, usize)>,
    answer: Option<(String, usize)>,
    explain: (Option<String>, Option<String>),
    /// Where each kind of line was given, to refuse duplicates.
    seen: BTreeMap<String, usize>,
}

impl QuestionBlock {
    fn once(&mut self, key: String, line: usize) -> Result<(), String> {
        if let Some(earlier) = self.seen.get(&key) {
            return Err(format!("\"{key}\" was already given on line {earlier}"));
        }
        self.seen.insert(key, line);
        Ok(())
    }

    fn line(&mut self, number: usize, text: &str) -> Result<(), String> {
        let keyword = first_word(text);
        let rest = &text[keyword.len()..];
        match keyword {
            "ask" | "explain" => {
                let (lang, said) = language_text(rest, keyword)?;
                self.once(format!("{keyword} {}", lang.tag()), number)?;
                let pair = if keyword == "ask" {
                    &mut self.ask
                } else {
                    &mut self.explain
                };
                match lang {
                    Lang::En => pair.0 = Some(said),
                    Lang::Zh => pair.1 = Some(said),
                }
                Ok(())
            }
            "choice" => {
                let rest = rest.trim_start();
                let key = first_word(rest);
                if !is_key(key) {
                    return Err(expected(
                        "a choice key (a word or number)",
                        "choice",
                        Some(key).filter(|k| !k.is_empty()),
                    ));
                }
                let (lang, said) = language_text(&rest[key.len()..], &format!("choice {key}"))?;
                self.once(format!("choice {key} {}", lang.tag()), number)?;
                let index = match self.choices.iter().position(|c| c.0 == key) {
                    Some(index) => index,
                    None => {
                        self.choices.push((key.to_string(), None, None, number));
                        self.choices.len() - 1
                    }
                };
                let choice = &mut self.choices[index];
                match lang {
                    Lang::En => choice.1 = Some(said),
                    Lang::Zh => choice.2 = Some(said),
                }
                Ok(())
            }
            "answer" => {
                let words: Vec<&str> = text.split_whitespace().collect();
                let key = words.get(1).copied();
                if !key.is_some_and(is_key) {
                    return Err(expected("a choice key", "answer", key));
                }
                no_more(&words, 2)?;
                self.once("answer".to_string(), number)?;
                self.answer = key.map(|key| (key.to_string(), number));
                Ok(())
            }
            "question" => Err("questions do not nest: close this one with \"end\" first".to_string()),
            other => Err(format!(
                "{} cannot appear inside a question: it holds ask, choice, answer and explain lines, then \"end\"",
                show(other)
            )),
        }
    }

    fn finish(self, line: usize, end_line: usize) -> Result<Question, ParseError> {
        let at = |line: usize, message: &str| ParseError {
            line,
            message: message.to_string(),
        };
        let both = |pair: (Option<String>, Option<String>), what: &str| match pair {
            (Some(en), Some(zh)) => Ok(Text { en, zh }),
            _ => Err(at(
                line,
                &format!("the question needs \"{what} en:\" and \"{what} zh:\" lines"),
            )),
        };
        let ask = both(self.ask, "ask")?;
        if self.choices.len() < 2 {
            return Err(at(line, "a question needs at least two choices"));
        }
        let mut choices = Vec::new();
        for (key, en, zh, choice_line) in self.choices {
            match (en, zh) {
                (Some(en), Some(zh)) => choices.push((key, Text { en, zh })),
                _ => {
                    return Err(at(
                        choice_line,
                        &format!("choice {key} needs both \"en:\" and \"zh:\" lines"),
                    ))
                }
            }
        }
        let Some((answer, answer_line)) = self.answer else {
            return Err(at(end_line, "the question has no \"answer KEY\" line"));
        };
        if !choices.iter().any(|(key, _)| *key == answer) {
            let keys: Vec<&str> = choices.iter().map(|(key, _)| key.as_str()).collect();
            return Err(at(
                answer_line,
                &format!(
                    "answer \"{answer}\" is not one of the choices ({})",
                    keys.join(", ")
                ),
            ));
        }
        let explain = both(self.explain, "explain")?;
        Ok(Question {
            ask,
            choices,
            answer,
            explain,
        })
    }
}
