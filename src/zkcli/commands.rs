//! zkCli 3.8's commands: their usage lines, and the parsing and checking each does before it
//! talks to the server (`org.apache.zookeeper.cli.*Command.parse` and the checks at the top
//! of their `exec`), with zkCli's messages.

use super::acl::parse_acl;
use super::words::{flag, parse_options, split_words, valued, OptionSpec, ParsedWords};
use crate::data::types::{Acl, AddWatchMode, CreateMode, WatcherType};

/// A usage error or a failed command: the message zkCli prints and the exit status it
/// leaves (1, or 127 for an unknown command).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CliError {
    pub message: String,
    pub exit_code: u8,
}

impl CliError {
    pub fn new(message: impl Into<String>) -> CliError {
        CliError {
            message: message.into(),
            exit_code: 1,
        }
    }
}

/// One command of the table: its name, what follows it in the usage line, its options.
pub struct CommandSpec {
    pub name: &'static str,
    pub usage: &'static str,
    options: &'static [OptionSpec],
}

impl CommandSpec {
    pub fn usage_line(&self) -> String {
        format!("{} {}", self.name, self.usage)
    }
}

const fn spec(
    name: &'static str,
    usage: &'static str,
    options: &'static [OptionSpec],
) -> CommandSpec {
    CommandSpec {
        name,
        usage,
        options,
    }
}

/// Every command, sorted as zkCli's usage lists them (by UTF-16 code unit, so `addWatch`
/// before `addauth`).
pub const COMMANDS: &[CommandSpec] = &[
    spec(
        "addWatch",
        "[-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE",
        &[valued('m')],
    ),
    spec("addauth", "scheme auth", &[]),
    spec("close", "", &[]),
    spec("config", "[-c] [-w] [-s]", &[flag('c'), flag('w'), flag('s')]),
    spec("connect", "host:port", &[]),
    spec(
        "create",
        "[-s] [-e] [-c] [-t ttl] path [data] [acl]",
        &[flag('e'), flag('s'), flag('c'), valued('t')],
    ),
    spec("delete", "[-v version] path", &[valued('v')]),
    spec("deleteall", "path [-b batch size]", &[valued('b')]),
    spec("get", "[-s] [-w] path", &[flag('s'), flag('w')]),
    spec("getAcl", "[-s] path", &[flag('s')]),
    spec("getAllChildrenNumber", "path", &[]),
    spec("getEphemerals", "path", &[]),
    spec("help", "", &[]),
    spec("history", "", &[]),
    spec(
        "ls",
        "[-s] [-w] [-R] path",
        &[flag('?'), flag('s'), flag('w'), flag('R')],
    ),
    spec("printwatches", "on|off", &[]),
    spec("quit", "", &[]),
    spec("redo", "cmdno", &[]),
    spec(
        "removewatches",
        "path [-c|-d|-a] [-l]",
        &[flag('c'), flag('d'), flag('a'), flag('l')],
    ),
    spec("set", "[-s] [-v version] path data", &[flag('s'), valued('v')]),
    spec(
        "setAcl",
        "[-s] [-v version] [-R] path acl",
        &[flag('s'), valued('v'), flag('R')],
    ),
    spec("stat", "[-w] path", &[flag('w')]),
    spec("sync", "path", &[]),
    spec("version", "", &[]),
    spec("whoami", "", &[]),
];

pub fn find(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|command| command.name == name)
}

/// zkCli's usage text: a synopsis, then a tab-indented line per command.
pub fn usage_text() -> String {
    let mut text = String::from("ZooKeeper -server host:port -timeout ms -r cmd args\n");
    for command in COMMANDS {
        text.push_str(&format!("\t{}\n", command.usage_line()));
    }
    text
}

/// A command that talks to the server, checked and ready to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerCommand {
    Create {
        path: String,
        data: Option<Vec<u8>>,
        /// `None` when the parsed ACL came out empty, which the Java client refuses itself.
        acl: Option<Vec<Acl>>,
        mode: CreateMode,
        ttl: i64,
    },
    Ls {
        path: String,
        watch: bool,
        stat: bool,
        recursive: bool,
    },
    Get {
        path: String,
        watch: bool,
        stat: bool,
    },
    Set {
        path: String,
        data: Vec<u8>,
        version: i32,
        stat: bool,
    },
    Stat {
        path: String,
        watch: bool,
    },
    Delete {
        path: String,
        version: i32,
    },
    DeleteAll {
        path: String,
        batch_size: i32,
    },
    GetAcl {
        path: String,
        stat: bool,
    },
    SetAcl {
        path: String,
        acl: Option<Vec<Acl>>,
        version: i32,
        stat: bool,
        recursive: bool,
    },
    AddAuth {
        scheme: String,
        /// `None` when no auth was typed: zkCli then sends a null buffer.
        auth: Option<Vec<u8>>,
    },
    Sync {
        path: String,
    },
    AddWatch {
        path: String,
        mode: AddWatchMode,
    },
    RemoveWatches {
        path: String,
        watcher_type: WatcherType,
        local: bool,
    },
    GetEphemerals {
        path: String,
    },
    GetAllChildrenNumber {
        path: String,
    },
    WhoAmI,
    Config {
        client: bool,
        watch: bool,
        stat: bool,
    },
    Close,
    Version,
}

impl ServerCommand {
    /// The znode the command is about, which zkCli names in its error messages; `None` for
    /// the commands about the session.
    pub fn path(&self) -> Option<&str> {
        match self {
            ServerCommand::Create { path, .. }
            | ServerCommand::Ls { path, .. }
            | ServerCommand::Get { path, .. }
            | ServerCommand::Set { path, .. }
            | ServerCommand::Stat { path, .. }
            | ServerCommand::Delete { path, .. }
            | ServerCommand::DeleteAll { path, .. }
            | ServerCommand::GetAcl { path, .. }
            | ServerCommand::SetAcl { path, .. }
            | ServerCommand::Sync { path }
            | ServerCommand::AddWatch { path, .. }
            | ServerCommand::RemoveWatches { path, .. }
            | ServerCommand::GetEphemerals { path }
            | ServerCommand::GetAllChildrenNumber { path } => Some(path),
            ServerCommand::Config { .. } => Some(CONFIG_NODE),
            ServerCommand::AddAuth { .. }
            | ServerCommand::WhoAmI
            | ServerCommand::Close
            | ServerCommand::Version => None,
        }
    }
}

/// The znode holding the ensemble's dynamic configuration, which `config` reads.
pub const CONFIG_NODE: &str = "/zookeeper/config";

/// A parsed command (or why it cannot run) and the lines zkCli writes to stderr while
/// parsing it (deprecation notices, ACL warnings), which come before anything else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub command: Result<ServerCommand, CliError>,
    pub warnings: Vec<String>,
}

/// The largest TTL a znode may have (`EphemeralType.TTL.maxValue()`).
const MAX_TTL: i64 = 0xff_ffff_ffff;

/// Parses a line typed at a prompt or read from a script into the command it asks the
/// server for. The notices `parse_server_command` also returns (deprecations, ACL entries
/// skipped) are dropped; an empty line is zkCli's "No command entered".
pub fn parse_line(line: &str) -> Result<ServerCommand, CliError> {
    let words = split_words(line);
    if words.is_empty() {
        return Err(CliError::new("No command entered"));
    }
    parse_server_command(&words).command
}

/// Parses the words of a server command (`words[0]` is its name).
pub fn parse_server_command(words: &[String]) -> Parsed {
    let mut warnings = Vec::new();
    let command = parse_words(words, &mut warnings);
    Parsed { command, warnings }
}

fn parse_words(words: &[String], warnings: &mut Vec<String>) -> Result<ServerCommand, CliError> {
    let name = words.first().map(String::as_str).unwrap_or_default();
    let Some(spec) = find(name) else {
        return Err(CliError {
            message: format!("Command not found: {name}"),
            exit_code: 127,
        });
    };
    let usage = || CliError::new(spec.usage_line());
    let mut parsed = parse_options(words, spec.options).map_err(CliError::new)?;
    let command = match name {
        "create" => {
            if parsed.args.len() < 2 {
                return Err(usage());
            }
            return parse_create(&parsed, warnings);
        }
        "ls" => {
            retain_compatibility(
                words,
                spec,
                &mut parsed,
                warnings,
                "'ls path [watch]' has been deprecated. Please use 'ls [-w] path' instead.",
            )?;
            if parsed.args.len() < 2 {
                return Err(usage());
            }
            ServerCommand::Ls {
                path: validated(parsed.arg(1))?,
                watch: parsed.has('w'),
                stat: parsed.has('s'),
                recursive: parsed.has('R'),
            }
        }
        "get" | "stat" => {
            if parsed.args.len() < 2 {
                return Err(usage());
            }
            let notice = if name == "get" {
                "'get path [watch]' has been deprecated. Please use 'get [-s] [-w] path' instead."
            } else {
                "'stat path [watch]' has been deprecated. Please use 'stat [-w] path' instead."
            };
            retain_compatibility(words, spec, &mut parsed, warnings, notice)?;
            if name == "get" {
                ServerCommand::Get {
                    path: validated(parsed.arg(1))?,
                    watch: parsed.has('w'),
                    stat: parsed.has('s'),
                }
            } else {
                ServerCommand::Stat {
                    path: validated(parsed.arg(1))?,
                    watch: parsed.has('w'),
                }
            }
        }
        "set" => {
            if parsed.args.len() < 3 {
                return Err(usage());
            }
            let data = parsed.arg(2).unwrap_or_default().as_bytes().to_vec();
            let version = int_option(&parsed, 'v', -1)?;
            let path = validated(parsed.arg(1))?;
            ServerCommand::Set {
                path,
                data,
                version,
                stat: parsed.has('s'),
            }
        }
        "delete" => {
            if parsed.args.len() < 2 {
                return Err(usage());
            }
            if parsed.args.len() > 2 {
                warnings.push(
                    "'delete path [version]' has been deprecated. Please use 'delete [-v version] path' instead."
                        .to_string(),
                );
            }
            let version = int_option(&parsed, 'v', -1)?;
            ServerCommand::Delete {
                path: validated(parsed.arg(1))?,
                version,
            }
        }
        "deleteall" => {
            if parsed.args.len() < 2 {
                return Err(usage());
            }
            let batch_size = match parsed.value('b') {
                None => 1000,
                Some(text) => text
                    .parse()
                    .map_err(|_| CliError::new("-b argument must be an int value"))?,
            };
            ServerCommand::DeleteAll {
                path: validated(parsed.arg(1))?,
                batch_size,
            }
        }
        "getAcl" => {
            if parsed.args.len() < 2 {
                return Err(usage());
            }
            ServerCommand::GetAcl {
                path: validated(parsed.arg(1))?,
                stat: parsed.has('s'),
            }
        }
        "setAcl" => {
            if parsed.args.len() < 3 {
                return Err(usage());
            }
            let acl = parse_acl(parsed.arg(2).unwrap_or_default());
            warnings.extend(acl.warnings);
            let version = int_option(&parsed, 'v', -1)?;
            ServerCommand::SetAcl {
                path: validated(parsed.arg(1))?,
                acl: (!acl.acl.is_empty()).then_some(acl.acl),
                version,
                stat: parsed.has('s'),
                recursive: parsed.has('R'),
            }
        }
        "addauth" => {
            if parsed.args.len() < 2 {
                return Err(usage());
            }
            ServerCommand::AddAuth {
                scheme: parsed.arg(1).unwrap_or_default().to_string(),
                auth: parsed.arg(2).map(|auth| auth.as_bytes().to_vec()),
            }
        }
        "sync" => {
            if parsed.args.len() < 2 {
                return Err(usage());
            }
            ServerCommand::Sync {
                path: validated(parsed.arg(1))?,
            }
        }
        "addWatch" => {
            if parsed.args.len() != 2 {
                return Err(usage());
            }
            let mode = match parsed.value('m').map(upper_case).as_deref() {
                None | Some("PERSISTENT_RECURSIVE") => AddWatchMode::PersistentRecursive,
                Some("PERSISTENT") => AddWatchMode::Persistent,
                Some(_) => return Err(usage()),
            };
            ServerCommand::AddWatch {
                path: validated(parsed.arg(1))?,
                mode,
            }
        }
        "removewatches" => {
            if parsed.args.len() < 2 {
                return Err(usage());
            }
            let watcher_type = if parsed.has('c') {
                WatcherType::Children
            } else if parsed.has('d') {
                WatcherType::Data
            } else {
                WatcherType::Any
            };
            ServerCommand::RemoveWatches {
                path: validated(parsed.arg(1))?,
                watcher_type,
                local: parsed.has('l'),
            }
        }
        "getEphemerals" => ServerCommand::GetEphemerals {
            path: validated(Some(parsed.arg(1).unwrap_or("/")))?,
        },
        "getAllChildrenNumber" => {
            if parsed.args.len() < 2 {
                return Err(usage());
            }
            ServerCommand::GetAllChildrenNumber {
                path: validated(parsed.arg(1))?,
            }
        }
        "whoami" => ServerCommand::WhoAmI,
        "config" => ServerCommand::Config {
            client: parsed.has('c'),
            watch: parsed.has('w'),
            stat: parsed.has('s'),
        },
        "close" => ServerCommand::Close,
        "version" => {
            if parsed.args.len() > 1 {
                return Err(usage());
            }
            ServerCommand::Version
        }
        // help, history, redo, printwatches, connect and quit: whoever reads the lines runs
        // these itself, as `zooscope cli`'s interpreter does before it gets here.
        _ => {
            return Err(CliError::new(format!(
                "{name} is one of the shell's own commands and sends nothing to the server"
            )))
        }
    };
    Ok(command)
}

/// `CreateCommand.exec`'s checks, in its order: option combinations, the TTL, the ACL text
/// (whose warnings come first), then the path.
fn parse_create(
    parsed: &ParsedWords,
    warnings: &mut Vec<String>,
) -> Result<ServerCommand, CliError> {
    let (ephemeral, sequential, container) = (parsed.has('e'), parsed.has('s'), parsed.has('c'));
    let has_ttl = parsed.has('t');
    if container && (ephemeral || sequential) {
        return Err(CliError::new(
            "-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.",
        ));
    }
    let ttl = match parsed.value('t') {
        None => 0,
        Some(text) => text
            .parse::<i64>()
            .map_err(|_| CliError::new("-t argument must be a long value"))?,
    };
    if has_ttl && ephemeral {
        return Err(CliError::new("TTLs cannot be used with Ephemeral znodes"));
    }
    if has_ttl && container {
        return Err(CliError::new("TTLs cannot be used with Container znodes"));
    }
    let mode = match (ephemeral, sequential, container, has_ttl) {
        (true, true, _, _) => CreateMode::EphemeralSequential,
        (true, false, _, _) => CreateMode::Ephemeral,
        (false, true, _, true) => CreateMode::PersistentSequentialWithTtl,
        (false, true, _, false) => CreateMode::PersistentSequential,
        (false, false, true, _) => CreateMode::Container,
        (false, false, false, true) => CreateMode::PersistentWithTtl,
        (false, false, false, false) => CreateMode::Persistent,
    };
    if has_ttl && (ttl <= 0 || ttl > MAX_TTL) {
        return Err(CliError::new(format!(
            "ttl must be positive and cannot be larger than: {MAX_TTL}"
        )));
    }
    let acl = match parsed.arg(3) {
        None => Some(Acl::open_unsafe()),
        Some(text) => {
            let acl = parse_acl(text);
            warnings.extend(acl.warnings);
            (!acl.acl.is_empty()).then_some(acl.acl)
        }
    };
    let path = parsed.arg(1).unwrap_or_default();
    validate_path(path, mode.is_sequential()).map_err(CliError::new)?;
    Ok(ServerCommand::Create {
        path: path.to_string(),
        data: parsed.arg(2).map(|data| data.as_bytes().to_vec()),
        acl,
        mode,
        ttl,
    })
}

/// zkCli's `get path watch` compatibility: a third word is rewritten to `-w` and the line
/// parsed again, with a deprecation notice (whatever the third word was).
fn retain_compatibility(
    words: &[String],
    spec: &CommandSpec,
    parsed: &mut ParsedWords,
    warnings: &mut Vec<String>,
    notice: &str,
) -> Result<(), CliError> {
    if parsed.args.len() <= 2 {
        return Ok(());
    }
    let mut rewritten = words.to_vec();
    if let Some(third) = rewritten.get_mut(2) {
        *third = "-w".to_string();
    }
    warnings.push(notice.to_string());
    *parsed = parse_options(&rewritten, spec.options).map_err(CliError::new)?;
    Ok(())
}

/// An int option as `Integer.parseInt` reads it; zkCli would crash on a bad one.
/// Java's `toUpperCase()` as far as comparing with ASCII names goes: ASCII letters, and the
/// few other characters whose upper case is ASCII; any other character stays as it is (its
/// upper case is not ASCII either, so the comparison fails all the same). Unicode's case
/// tables would add about 5 KB to the browser's download.
fn upper_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            'ß' => out.push_str("SS"),
            'ı' => out.push('I'),
            'ſ' => out.push('S'),
            'ﬀ' => out.push_str("FF"),
            'ﬁ' => out.push_str("FI"),
            'ﬂ' => out.push_str("FL"),
            'ﬃ' => out.push_str("FFI"),
            'ﬄ' => out.push_str("FFL"),
            'ﬅ' | 'ﬆ' => out.push_str("ST"),
            c => out.push(c.to_ascii_uppercase()),
        }
    }
    out
}

fn int_option(parsed: &ParsedWords, letter: char, default: i32) -> Result<i32, CliError> {
    match parsed.value(letter) {
        None => Ok(default),
        Some(text) => text
            .parse()
            .map_err(|_| CliError::new(format!("-{letter} argument must be an int value"))),
    }
}

fn validated(path: Option<&str>) -> Result<String, CliError> {
    let path = path.unwrap_or_default();
    validate_path(path, false).map_err(CliError::new)?;
    Ok(path.to_string())
}

/// The Java client's path check (`PathUtils.validatePath`), with its messages; positions are
/// in UTF-16 code units, as Java counts them. A sequential path may end in `/`.
pub fn validate_path(path: &str, sequential: bool) -> Result<(), String> {
    let checked = if sequential {
        format!("{path}1")
    } else {
        path.to_string()
    };
    let units: Vec<u16> = checked.encode_utf16().collect();
    if units.is_empty() {
        return Err("Path length must be > 0".into());
    }
    if units.first() != Some(&u16::from(b'/')) {
        return Err("Path must start with / character".into());
    }
    if units.len() == 1 {
        return Ok(());
    }
    if units.last() == Some(&u16::from(b'/')) {
        return Err("Path must not end with / character".into());
    }
    let at = |i: usize| units.get(i).copied().unwrap_or(0);
    let (slash, dot) = (u16::from(b'/'), u16::from(b'.'));
    for i in 1..units.len() {
        let (unit, last) = (at(i), at(i - 1));
        let ends_name = i + 1 == units.len() || at(i + 1) == slash;
        let reason = if unit == 0 {
            Some(format!("null character not allowed @{i}"))
        } else if unit == slash && last == slash {
            Some(format!("empty node name specified @{i}"))
        } else if unit == dot && last == dot {
            (i >= 2 && at(i - 2) == slash && ends_name)
                .then(|| format!("relative paths not allowed @{i}"))
        } else if unit == dot {
            (last == slash && ends_name).then(|| format!("relative paths not allowed @{i}"))
        } else if (0x01..=0x1f).contains(&unit)
            || (0x7f..=0x9f).contains(&unit)
            || (0xd800..=0xf8ff).contains(&unit)
            || unit >= 0xfff0
        {
            Some(format!("invalid character @{i}"))
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(format!(
                "Invalid path string \"{checked}\" caused by {reason}"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::types::{perms, Id};

    fn parse(line: &str) -> Parsed {
        parse_server_command(&split_words(line))
    }

    fn command(line: &str) -> ServerCommand {
        parse(line).command.unwrap()
    }

    fn error(line: &str) -> String {
        parse(line).command.unwrap_err().message
    }

    #[test]
    fn upper_case_agrees_with_unicode_wherever_the_result_is_ascii() {
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            let unicode: String = c.to_uppercase().collect();
            let ours = upper_case(&c.to_string());
            if unicode.is_ascii() || ours.is_ascii() {
                assert_eq!(ours, unicode, "{c:?} (U+{:04X})", u32::from(c));
            }
        }
        assert_eq!(upper_case("perſiſtent_recurſive"), "PERSISTENT_RECURSIVE");
    }

    #[test]
    fn create_flags_choose_the_mode_and_acl_defaults_to_open() {
        assert_eq!(
            command("create -s -e /a/b- data"),
            ServerCommand::Create {
                path: "/a/b-".into(),
                data: Some(b"data".to_vec()),
                acl: Some(Acl::open_unsafe()),
                mode: CreateMode::EphemeralSequential,
                ttl: 0,
            }
        );
        assert!(matches!(
            command("create -t 500 /t"),
            ServerCommand::Create {
                mode: CreateMode::PersistentWithTtl,
                ttl: 500,
                data: None,
                ..
            }
        ));
        assert!(matches!(
            command("create -c /c"),
            ServerCommand::Create {
                mode: CreateMode::Container,
                ..
            }
        ));
    }

    #[test]
    fn create_rejects_what_zkcli_rejects_with_its_messages() {
        assert_eq!(
            error("create"),
            "create [-s] [-e] [-c] [-t ttl] path [data] [acl]"
        );
        assert_eq!(
            error("create -c -e /c"),
            "-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential."
        );
        assert_eq!(
            error("create -t abc /t"),
            "-t argument must be a long value"
        );
        assert_eq!(
            error("create -t 5 -e /t"),
            "TTLs cannot be used with Ephemeral znodes"
        );
        assert_eq!(
            error("create -t 0 /t"),
            "ttl must be positive and cannot be larger than: 1099511627775"
        );
        assert_eq!(error("create noslash"), "Path must start with / character");
    }

    #[test]
    fn create_with_an_acl_that_parses_to_nothing_leaves_the_refusal_to_exec() {
        let parsed = parse("create /a d bad");
        assert_eq!(
            parsed.warnings,
            ["bad does not have the form scheme:id:perm"]
        );
        assert!(matches!(
            parsed.command,
            Ok(ServerCommand::Create { acl: None, .. })
        ));
        let bad_path = parse("setAcl nope bad");
        assert_eq!(
            bad_path.warnings,
            ["bad does not have the form scheme:id:perm"]
        );
        assert_eq!(
            bad_path.command.unwrap_err().message,
            "Path must start with / character"
        );
        let restricted = command("create /a d digest:bob:h=:rw");
        assert!(matches!(
            restricted,
            ServerCommand::Create { acl: Some(acl), .. }
                if acl == vec![Acl { perms: perms::READ | perms::WRITE, id: Id::new("digest", "bob:h=") }]
        ));
    }

    #[test]
    fn an_old_style_watch_word_becomes_w_with_a_deprecation_notice() {
        let parsed = parse("get /a watch");
        assert_eq!(
            parsed.command,
            Ok(ServerCommand::Get {
                path: "/a".into(),
                watch: true,
                stat: false
            })
        );
        assert_eq!(
            parsed.warnings,
            ["'get path [watch]' has been deprecated. Please use 'get [-s] [-w] path' instead."]
        );
    }

    #[test]
    fn usage_lines_are_the_error_for_missing_arguments() {
        assert_eq!(error("set /a"), "set [-s] [-v version] path data");
        assert_eq!(error("ls"), "ls [-s] [-w] [-R] path");
        assert_eq!(error("getAllChildrenNumber"), "getAllChildrenNumber path");
        assert_eq!(
            error("addWatch -m bogus /a"),
            find("addWatch").unwrap().usage_line()
        );
        assert_eq!(error("stat"), "stat [-w] path");
    }

    #[test]
    fn numeric_options_are_checked() {
        assert_eq!(error("set -v x /a d"), "-v argument must be an int value");
        assert_eq!(
            error("deleteall /a -b x"),
            "-b argument must be an int value"
        );
        assert_eq!(
            command("deleteall /a -b 2"),
            ServerCommand::DeleteAll {
                path: "/a".into(),
                batch_size: 2
            }
        );
        assert_eq!(
            command("delete -v 3 /a"),
            ServerCommand::Delete {
                path: "/a".into(),
                version: 3
            }
        );
    }

    #[test]
    fn removewatches_defaults_to_any_and_addwatch_to_recursive() {
        assert_eq!(
            command("removewatches /r -d -l"),
            ServerCommand::RemoveWatches {
                path: "/r".into(),
                watcher_type: WatcherType::Data,
                local: true
            }
        );
        assert!(matches!(
            command("removewatches /r"),
            ServerCommand::RemoveWatches {
                watcher_type: WatcherType::Any,
                local: false,
                ..
            }
        ));
        assert_eq!(
            command("addWatch -m persistent /w"),
            ServerCommand::AddWatch {
                path: "/w".into(),
                mode: AddWatchMode::Persistent
            }
        );
        assert!(matches!(
            command("addWatch /w"),
            ServerCommand::AddWatch {
                mode: AddWatchMode::PersistentRecursive,
                ..
            }
        ));
    }

    #[test]
    fn unknown_commands_exit_127() {
        let failure = parse("frobnicate /x").command.unwrap_err();
        assert_eq!(failure.exit_code, 127);
        assert_eq!(failure.message, "Command not found: frobnicate");
    }

    #[test]
    fn paths_are_validated_with_java_messages_and_utf16_positions() {
        assert_eq!(validate_path("/", false), Ok(()));
        assert_eq!(validate_path("/a/b", false), Ok(()));
        assert_eq!(validate_path("/a/", true), Ok(()));
        assert_eq!(
            validate_path("", false),
            Err("Path length must be > 0".into())
        );
        assert_eq!(
            validate_path("/a/", false),
            Err("Path must not end with / character".into())
        );
        assert_eq!(
            validate_path("/a//b", false),
            Err("Invalid path string \"/a//b\" caused by empty node name specified @3".into())
        );
        assert_eq!(
            validate_path("/a/../b", false),
            Err("Invalid path string \"/a/../b\" caused by relative paths not allowed @4".into())
        );
        assert_eq!(
            validate_path("/./b", false),
            Err("Invalid path string \"/./b\" caused by relative paths not allowed @1".into())
        );
        assert_eq!(validate_path("/a..b/.c", false), Ok(()));
        assert_eq!(
            validate_path("/\u{1F600}x", false),
            Err("Invalid path string \"/\u{1F600}x\" caused by invalid character @1".into())
        );
        assert_eq!(
            validate_path("/a\u{1}", false),
            Err("Invalid path string \"/a\u{1}\" caused by invalid character @2".into())
        );
    }

    #[test]
    fn usage_text_lists_every_command_in_java_order() {
        let usage = usage_text();
        let names: Vec<&str> = usage
            .lines()
            .skip(1)
            .map(|line| line.trim_start().split(' ').next().unwrap_or_default())
            .collect();
        let mut sorted = names.clone();
        sorted.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
        assert_eq!(names, sorted);
        assert!(usage.contains("\tls [-s] [-w] [-R] path\n"));
    }
}
