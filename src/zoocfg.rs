//! Reading a standard `zoo.cfg`: Java-properties text in, a checked configuration out.
//!
//! Pure text handling (the native runtime reads the file): a value that cannot be used is an
//! error naming the key and the line; a key zooscope does not know, or knows but does not act
//! on, is a warning, as Apache ZooKeeper itself tolerates unknown keys.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Four-letter words Apache ZooKeeper 3.8 knows.
pub const FOUR_LETTER_WORDS: [&str; 18] = [
    "conf", "cons", "crst", "dump", "envi", "gtmk", "ruok", "stmk", "srst", "srvr", "stat", "wchc",
    "wchp", "wchs", "mntr", "isro", "hash", "dirs",
];

/// Keys Apache ZooKeeper accepts that zooscope reads but does not act on (yet).
const ACCEPTED_BUT_UNUSED: [&str; 22] = [
    "admin.enableServer",
    "admin.serverAddress",
    "admin.serverPort",
    "clientPortListenBacklog",
    "connectToLearnerMasterLimit",
    "electionAlg",
    "globalOutstandingLimit",
    "localSessionsEnabled",
    "localSessionsUpgradingEnabled",
    "maxCnxns",
    "metricsProvider.className",
    "metricsProvider.httpPort",
    "metricsProvider.exportJvmInfo",
    "multiAddress.enabled",
    "preAllocSize",
    "quorumListenOnAllIPs",
    "reconfigEnabled",
    "snapSizeLimitInKb",
    "syncEnabled",
    "txnLogSizeLimitInKb",
    "leaderServes",
    "cnxTimeout",
];

/// Whether a server votes or only follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerType {
    Participant,
    Observer,
}

/// One `server.N=host:quorumPort:electionPort[:role][;[clientHost:]clientPort]` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSpec {
    pub id: u64,
    pub host: String,
    pub quorum_port: u16,
    pub election_port: u16,
    pub peer_type: PeerType,
    pub client_address: Option<String>,
    pub client_port: Option<u16>,
}

/// Which four-letter words the client port answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FourLetterWhitelist {
    All,
    Only(BTreeSet<String>),
}

impl FourLetterWhitelist {
    pub fn allows(&self, word: &str) -> bool {
        match self {
            FourLetterWhitelist::All => true,
            FourLetterWhitelist::Only(words) => words.contains(word),
        }
    }
}

/// A checked zoo.cfg.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZooCfg {
    pub tick_time_ms: u32,
    pub data_dir: String,
    pub data_log_dir: String,
    pub client_port: Option<u16>,
    pub client_port_address: Option<String>,
    pub min_session_timeout_ms: u32,
    pub max_session_timeout_ms: u32,
    /// Connections allowed from one client address; 0 means no limit.
    pub max_client_cnxns: u32,
    pub four_letter_words: FourLetterWhitelist,
    pub jute_max_buffer: u32,
    /// Transactions between snapshots.
    pub snap_count: u64,
    pub autopurge_snap_retain_count: u32,
    /// Hours between purges of old snapshots and logs; 0 disables purging.
    pub autopurge_purge_interval_hours: u32,
    /// Whether the log is fsynced before a write is acknowledged (`forceSync`).
    pub force_sync: bool,
    pub init_limit: u32,
    pub sync_limit: u32,
    pub peer_type: PeerType,
    pub standalone_enabled: bool,
    pub servers: BTreeMap<u64, ServerSpec>,
    /// `DigestAuthenticationProvider.superDigest`: `super:<base64 sha1>`.
    pub super_digest: Option<String>,
    /// `extendedTypesEnabled`: allows TTL znodes.
    pub extended_types_enabled: bool,
    /// `skipACL=yes` turns off every permission check.
    pub skip_acl: bool,
    /// `znode.container.checkIntervalMs`: how often empty containers and expired TTL znodes
    /// are looked for (a JVM system property in ZooKeeper; a zoo.cfg key here too).
    pub container_check_interval_ms: u64,
    /// `znode.container.maxNeverUsedIntervalMs`: 0 keeps never-used containers forever.
    pub container_max_never_used_ms: u64,
    pub warnings: Vec<ConfigWarning>,
}

impl ZooCfg {
    /// Standalone when no ensemble is configured (or one server with standalone allowed).
    pub fn is_standalone(&self) -> bool {
        self.servers.is_empty() || (self.servers.len() == 1 && self.standalone_enabled)
    }
}

/// A line zooscope could not use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// 1-based line number, or 0 for a problem with the file as a whole (a missing key).
    pub line: usize,
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.key, self.message)
        } else {
            write!(f, "line {}: {}: {}", self.line, self.key, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// Something worth telling the operator that does not stop the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigWarning {
    pub line: usize,
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.key, self.message)
    }
}

/// One `key=value` of the file, with the line it started on.
struct Entry {
    line: usize,
    key: String,
    value: String,
}

/// Splits Java-properties text into entries: `#`/`!` comments, `=`, `:` or whitespace between
/// key and value, a trailing backslash continuing onto the next line.
fn properties(text: &str) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((index, raw)) = lines.next() {
        let mut logical = raw.trim_start().to_string();
        if logical.is_empty() || logical.starts_with('#') || logical.starts_with('!') {
            continue;
        }
        while ends_with_odd_backslashes(&logical) {
            logical.pop();
            match lines.next() {
                Some((_, next)) => logical.push_str(next.trim_start()),
                None => break,
            }
        }
        let key_end = logical
            .find(|c: char| c == '=' || c == ':' || c.is_whitespace())
            .unwrap_or(logical.len());
        let key = logical[..key_end].to_string();
        let mut rest = logical[key_end..].trim_start();
        if let Some(stripped) = rest.strip_prefix(['=', ':']) {
            rest = stripped;
        }
        entries.push(Entry {
            line: index + 1,
            key,
            value: rest.trim().to_string(),
        });
    }
    entries
}

fn ends_with_odd_backslashes(text: &str) -> bool {
    text.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

/// Parses and checks a zoo.cfg.
pub fn parse(text: &str) -> Result<ZooCfg, ConfigError> {
    let mut builder = Builder::default();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for entry in properties(text) {
        if let Some(previous) = seen.insert(entry.key.clone(), entry.line) {
            builder.warn(
                &entry,
                format!("also set on line {previous}; the later value is used"),
            );
        }
        builder.apply(&entry)?;
    }
    builder.finish()
}

#[derive(Default)]
struct Builder {
    tick_time_ms: Option<(usize, u32)>,
    data_dir: Option<String>,
    data_log_dir: Option<String>,
    client_port: Option<u16>,
    client_port_address: Option<(usize, String)>,
    min_session_timeout_ms: Option<u32>,
    max_session_timeout_ms: Option<u32>,
    max_client_cnxns: Option<u32>,
    four_letter_words: Option<FourLetterWhitelist>,
    jute_max_buffer: Option<u32>,
    snap_count: Option<u64>,
    autopurge_snap_retain_count: Option<u32>,
    autopurge_purge_interval_hours: Option<u32>,
    force_sync: Option<bool>,
    init_limit: Option<u32>,
    sync_limit: Option<u32>,
    peer_type: Option<PeerType>,
    standalone_enabled: Option<bool>,
    servers: BTreeMap<u64, ServerSpec>,
    super_digest: Option<String>,
    extended_types_enabled: Option<bool>,
    skip_acl: Option<bool>,
    container_check_interval_ms: Option<u64>,
    container_max_never_used_ms: Option<u64>,
    warnings: Vec<ConfigWarning>,
}

fn error(entry: &Entry, message: impl Into<String>) -> ConfigError {
    ConfigError {
        line: entry.line,
        key: entry.key.clone(),
        message: message.into(),
    }
}

fn number<T: std::str::FromStr>(entry: &Entry, what: &str) -> Result<T, ConfigError> {
    entry
        .value
        .parse()
        .map_err(|_| error(entry, format!("{:?} is not {what}", entry.value)))
}

fn positive_u32(entry: &Entry) -> Result<u32, ConfigError> {
    match number::<u32>(entry, "a whole number")? {
        0 => Err(error(entry, "must be greater than 0")),
        n => Ok(n),
    }
}

fn port(entry: &Entry, text: &str) -> Result<u16, ConfigError> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(error(entry, format!("{text:?} is not a port (1 to 65535)"))),
    }
}

/// ZooKeeper's boolean parsing: only `true`/`false` (any case) for most keys.
fn boolean(entry: &Entry) -> Result<bool, ConfigError> {
    match entry.value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(error(
            entry,
            format!("{:?} is not true or false", entry.value),
        )),
    }
}

/// `forceSync` and `skipACL` take yes/no.
fn yes_no(entry: &Entry) -> Result<bool, ConfigError> {
    match entry.value.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(error(entry, format!("{:?} is not yes or no", entry.value))),
    }
}

fn directory(entry: &Entry) -> Result<String, ConfigError> {
    if entry.value.is_empty() {
        Err(error(entry, "must name a directory"))
    } else {
        Ok(entry.value.clone())
    }
}

impl Builder {
    fn warn(&mut self, entry: &Entry, message: impl Into<String>) {
        self.warnings.push(ConfigWarning {
            line: entry.line,
            key: entry.key.clone(),
            message: message.into(),
        });
    }

    fn apply(&mut self, entry: &Entry) -> Result<(), ConfigError> {
        match entry.key.as_str() {
            "tickTime" => self.tick_time_ms = Some((entry.line, positive_u32(entry)?)),
            "dataDir" => self.data_dir = Some(directory(entry)?),
            "dataLogDir" => self.data_log_dir = Some(directory(entry)?),
            "clientPort" => self.client_port = Some(port(entry, &entry.value)?),
            "clientPortAddress" => {
                self.client_port_address = Some((entry.line, entry.value.clone()))
            }
            "minSessionTimeout" => {
                self.min_session_timeout_ms = Some(number(entry, "a whole number")?)
            }
            "maxSessionTimeout" => {
                self.max_session_timeout_ms = Some(number(entry, "a whole number")?)
            }
            "maxClientCnxns" => self.max_client_cnxns = Some(number(entry, "a whole number")?),
            "4lw.commands.whitelist" => self.four_letter_words = Some(self.whitelist(entry)),
            "jute.maxbuffer" => self.jute_max_buffer = Some(positive_u32(entry)?),
            "snapCount" => {
                self.snap_count = Some(u64::from(positive_u32(entry)?));
            }
            "autopurge.snapRetainCount" => {
                let count: u32 = number(entry, "a whole number")?;
                if count < 3 {
                    self.warn(entry, format!("{count} is below the minimum of 3; using 3"));
                }
                self.autopurge_snap_retain_count = Some(count.max(3));
            }
            "autopurge.purgeInterval" => {
                self.autopurge_purge_interval_hours = Some(number(entry, "a whole number")?)
            }
            "forceSync" => self.force_sync = Some(yes_no(entry)?),
            "skipACL" => self.skip_acl = Some(yes_no(entry)?),
            "initLimit" => self.init_limit = Some(positive_u32(entry)?),
            "syncLimit" => self.sync_limit = Some(positive_u32(entry)?),
            "peerType" => {
                self.peer_type = Some(match entry.value.to_ascii_lowercase().as_str() {
                    "participant" => PeerType::Participant,
                    "observer" => PeerType::Observer,
                    _ => {
                        return Err(error(
                            entry,
                            format!("{:?} is not participant or observer", entry.value),
                        ))
                    }
                })
            }
            "standaloneEnabled" => self.standalone_enabled = Some(boolean(entry)?),
            "DigestAuthenticationProvider.superDigest"
            | "zookeeper.DigestAuthenticationProvider.superDigest" => {
                if !entry.value.contains(':') {
                    return Err(error(
                        entry,
                        "must be user:base64-digest, as made by DigestAuthenticationProvider",
                    ));
                }
                self.super_digest = Some(entry.value.clone());
            }
            "znode.container.checkIntervalMs" => {
                self.container_check_interval_ms = Some(u64::from(positive_u32(entry)?))
            }
            "znode.container.maxNeverUsedIntervalMs" => {
                self.container_max_never_used_ms = Some(number(entry, "a whole number")?)
            }
            "extendedTypesEnabled" | "zookeeper.extendedTypesEnabled" => {
                self.extended_types_enabled = Some(boolean(entry)?)
            }
            "electionAlg" if entry.value != "3" => {
                return Err(error(entry, "only 3 (FastLeaderElection) is supported"))
            }
            "dynamicConfigFile" => return Err(error(
                entry,
                "dynamic reconfiguration files are not supported: list server.N lines in zoo.cfg",
            )),
            key if key.starts_with("server.") => self.server(entry)?,
            key if key.starts_with("group.") || key.starts_with("weight.") => {
                return Err(error(entry, "hierarchical quorums are not supported"))
            }
            key if ACCEPTED_BUT_UNUSED.contains(&key) || key.starts_with("metricsProvider.") => {
                self.warn(entry, "accepted but not used by zooscope")
            }
            _ => self.warn(entry, "unknown key, ignored"),
        }
        Ok(())
    }

    fn whitelist(&mut self, entry: &Entry) -> FourLetterWhitelist {
        let mut words = BTreeSet::new();
        for word in entry
            .value
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
        {
            if word == "*" {
                return FourLetterWhitelist::All;
            }
            if FOUR_LETTER_WORDS.contains(&word) {
                words.insert(word.to_string());
            } else {
                self.warn(
                    entry,
                    format!("{word:?} is not a four-letter word; ignored"),
                );
            }
        }
        FourLetterWhitelist::Only(words)
    }

    fn server(&mut self, entry: &Entry) -> Result<(), ConfigError> {
        let id_text = &entry.key["server.".len()..];
        let id: u64 = id_text
            .parse()
            .map_err(|_| error(entry, format!("server id {id_text:?} is not a number")))?;
        if id > 255 {
            // The id fills the top byte of every session id this server creates.
            return Err(error(entry, "server ids must be between 0 and 255"));
        }
        let (quorum_part, client_part) = match entry.value.split_once(';') {
            Some((quorum, client)) => (quorum, Some(client.trim())),
            None => (entry.value.as_str(), None),
        };
        let (host, rest) = split_host(quorum_part.trim()).ok_or_else(|| {
            error(
                entry,
                "expected host:quorumPort:electionPort[:participant|observer]",
            )
        })?;
        let parts: Vec<&str> = rest.split(':').collect();
        let (quorum_port, election_port, peer_type) = match parts.as_slice() {
            [quorum, election] => (quorum, election, PeerType::Participant),
            [quorum, election, role] => {
                let peer_type = match role.to_ascii_lowercase().as_str() {
                    "participant" => PeerType::Participant,
                    "observer" => PeerType::Observer,
                    _ => {
                        return Err(error(
                            entry,
                            format!("{role:?} is not participant or observer"),
                        ))
                    }
                };
                (quorum, election, peer_type)
            }
            _ => {
                return Err(error(
                    entry,
                    "expected host:quorumPort:electionPort[:participant|observer]",
                ))
            }
        };
        let (client_address, client_port) = match client_part {
            None | Some("") => (None, None),
            Some(client) => match client.rsplit_once(':') {
                Some((address, client_port)) => {
                    (Some(address.to_string()), Some(port(entry, client_port)?))
                }
                None => (None, Some(port(entry, client)?)),
            },
        };
        let spec = ServerSpec {
            id,
            host: host.to_string(),
            quorum_port: port(entry, quorum_port)?,
            election_port: port(entry, election_port)?,
            peer_type,
            client_address,
            client_port,
        };
        if spec.quorum_port == spec.election_port {
            return Err(error(entry, "quorum and election ports must differ"));
        }
        self.servers.insert(id, spec);
        Ok(())
    }

    fn finish(self) -> Result<ZooCfg, ConfigError> {
        let missing = |key: &str, message: &str| ConfigError {
            line: 0,
            key: key.to_string(),
            message: message.to_string(),
        };
        let data_dir = self
            .data_dir
            .ok_or_else(|| missing("dataDir", "is not set; zoo.cfg must name a data directory"))?;
        let tick_time_ms = match self.tick_time_ms {
            Some((_, tick)) => tick,
            None => return Err(missing("tickTime", "is not set")),
        };
        if let (Some((line, _)), None) = (&self.client_port_address, self.client_port) {
            return Err(ConfigError {
                line: *line,
                key: "clientPortAddress".to_string(),
                message: "is set but clientPort is not".to_string(),
            });
        }
        let min = self
            .min_session_timeout_ms
            .unwrap_or(tick_time_ms.saturating_mul(2));
        let max = self
            .max_session_timeout_ms
            .unwrap_or(tick_time_ms.saturating_mul(20));
        if min > max {
            return Err(missing(
                "minSessionTimeout",
                &format!("{min} ms must not be larger than maxSessionTimeout {max} ms"),
            ));
        }
        let distributed = self.servers.len() > 1
            || (self.servers.len() == 1 && self.standalone_enabled == Some(false));
        if distributed && (self.init_limit.is_none() || self.sync_limit.is_none()) {
            return Err(missing(
                if self.init_limit.is_none() {
                    "initLimit"
                } else {
                    "syncLimit"
                },
                "must be set when server.N lines form an ensemble",
            ));
        }
        Ok(ZooCfg {
            tick_time_ms,
            data_log_dir: self.data_log_dir.unwrap_or_else(|| data_dir.clone()),
            data_dir,
            client_port: self.client_port,
            client_port_address: self.client_port_address.map(|(_, address)| address),
            min_session_timeout_ms: min,
            max_session_timeout_ms: max,
            max_client_cnxns: self.max_client_cnxns.unwrap_or(60),
            four_letter_words: self
                .four_letter_words
                .unwrap_or_else(|| FourLetterWhitelist::Only(BTreeSet::from(["srvr".to_string()]))),
            jute_max_buffer: self.jute_max_buffer.unwrap_or(0xfffff),
            snap_count: self.snap_count.unwrap_or(100_000),
            autopurge_snap_retain_count: self.autopurge_snap_retain_count.unwrap_or(3),
            autopurge_purge_interval_hours: self.autopurge_purge_interval_hours.unwrap_or(0),
            force_sync: self.force_sync.unwrap_or(true),
            init_limit: self.init_limit.unwrap_or(10),
            sync_limit: self.sync_limit.unwrap_or(5),
            peer_type: self.peer_type.unwrap_or(PeerType::Participant),
            standalone_enabled: self.standalone_enabled.unwrap_or(true),
            servers: self.servers,
            super_digest: self.super_digest,
            extended_types_enabled: self.extended_types_enabled.unwrap_or(false),
            skip_acl: self.skip_acl.unwrap_or(false),
            container_check_interval_ms: self.container_check_interval_ms.unwrap_or(60_000),
            container_max_never_used_ms: self.container_max_never_used_ms.unwrap_or(0),
            warnings: self.warnings,
        })
    }
}

/// Splits `host:rest` where host may be a bracketed IPv6 address (`[::1]:2888:3888`).
fn split_host(text: &str) -> Option<(&str, &str)> {
    if let Some(after_bracket) = text.strip_prefix('[') {
        let (host, rest) = after_bracket.split_once(']')?;
        Some((host, rest.strip_prefix(':')?))
    } else {
        let (host, rest) = text.split_once(':')?;
        (!host.is_empty()).then_some((host, rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "tickTime=2000\ndataDir=/tmp/zk\nclientPort=2181\n";

    fn parse_err(text: &str) -> String {
        parse(text)
            .expect_err("config should be refused")
            .to_string()
    }

    #[test]
    fn minimal_standalone_config_gets_zookeepers_defaults() {
        let cfg = parse(MINIMAL).unwrap();
        assert_eq!(cfg.tick_time_ms, 2000);
        assert_eq!(
            cfg.data_log_dir, "/tmp/zk",
            "dataLogDir defaults to dataDir"
        );
        assert_eq!(
            (cfg.min_session_timeout_ms, cfg.max_session_timeout_ms),
            (4000, 40000)
        );
        assert_eq!(cfg.max_client_cnxns, 60);
        assert!(cfg.four_letter_words.allows("srvr"));
        assert!(!cfg.four_letter_words.allows("ruok"));
        assert_eq!(cfg.jute_max_buffer, 0xfffff);
        assert_eq!(cfg.snap_count, 100_000);
        assert!(cfg.force_sync);
        assert!(cfg.is_standalone());
        assert!(cfg.warnings.is_empty());
    }

    #[test]
    fn comments_separators_and_continuations_follow_java_properties() {
        let text =
            "# a comment\n! another\ntickTime : 1000\ndataDir /var/zk\nclientPort=\\\n  2181\n";
        let cfg = parse(text).unwrap();
        assert_eq!(cfg.tick_time_ms, 1000);
        assert_eq!(cfg.data_dir, "/var/zk");
        assert_eq!(cfg.client_port, Some(2181));
    }

    #[test]
    fn bad_value_is_an_error_naming_key_and_line() {
        assert_eq!(
            parse_err("dataDir=/x\ntickTime=fast\n"),
            "line 2: tickTime: \"fast\" is not a whole number"
        );
        assert_eq!(
            parse_err("tickTime=2000\ndataDir=/x\nclientPort=70000\n"),
            "line 3: clientPort: \"70000\" is not a port (1 to 65535)"
        );
        assert_eq!(
            parse_err("tickTime=0\ndataDir=/x\n"),
            "line 1: tickTime: must be greater than 0"
        );
    }

    #[test]
    fn missing_required_keys_are_errors() {
        assert_eq!(
            parse_err("tickTime=2000\n"),
            "dataDir: is not set; zoo.cfg must name a data directory"
        );
        assert_eq!(parse_err("dataDir=/x\n"), "tickTime: is not set");
        assert_eq!(
            parse_err("tickTime=2000\ndataDir=/x\nclientPortAddress=127.0.0.1\n"),
            "line 3: clientPortAddress: is set but clientPort is not"
        );
    }

    #[test]
    fn session_timeout_bounds_must_be_ordered() {
        let err = parse_err(&format!(
            "{MINIMAL}minSessionTimeout=9000\nmaxSessionTimeout=5000\n"
        ));
        assert!(
            err.contains("must not be larger than maxSessionTimeout"),
            "{err}"
        );
    }

    #[test]
    fn unknown_and_unused_keys_are_warnings_not_errors() {
        let cfg = parse(&format!(
            "{MINIMAL}admin.enableServer=false\nfrobnicate=yes\n"
        ))
        .unwrap();
        let warnings: Vec<String> = cfg.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            warnings,
            vec![
                "line 4: admin.enableServer: accepted but not used by zooscope",
                "line 5: frobnicate: unknown key, ignored",
            ]
        );
    }

    #[test]
    fn repeated_key_uses_the_last_value_and_warns() {
        let cfg = parse(&format!("{MINIMAL}tickTime=3000\n")).unwrap();
        assert_eq!(cfg.tick_time_ms, 3000);
        assert_eq!(
            cfg.warnings[0].message,
            "also set on line 1; the later value is used"
        );
    }

    #[test]
    fn four_letter_whitelist_accepts_star_lists_and_warns_on_unknown_words() {
        let all = parse(&format!("{MINIMAL}4lw.commands.whitelist=*\n")).unwrap();
        assert!(all.four_letter_words.allows("mntr"));
        let some = parse(&format!(
            "{MINIMAL}4lw.commands.whitelist=ruok, stat ,nope\n"
        ))
        .unwrap();
        assert!(some.four_letter_words.allows("ruok"));
        assert!(some.four_letter_words.allows("stat"));
        assert!(!some.four_letter_words.allows("srvr"));
        assert_eq!(some.warnings.len(), 1);
    }

    #[test]
    fn server_lines_form_an_ensemble() {
        let text = format!(
            "{MINIMAL}initLimit=5\nsyncLimit=2\n\
             server.1=127.0.0.1:2888:3888\n\
             server.2=[::1]:2889:3889:participant\n\
             server.3=zk3:2890:3890:observer;127.0.0.1:2183\n"
        );
        let cfg = parse(&text).unwrap();
        assert!(!cfg.is_standalone());
        assert_eq!(cfg.servers.len(), 3);
        assert_eq!(cfg.servers[&2].host, "::1");
        assert_eq!(cfg.servers[&3].peer_type, PeerType::Observer);
        assert_eq!(cfg.servers[&3].client_port, Some(2183));
        assert_eq!(cfg.servers[&3].client_address.as_deref(), Some("127.0.0.1"));
    }

    #[test]
    fn ensemble_without_limits_is_refused() {
        let text = format!("{MINIMAL}server.1=a:1:2\nserver.2=b:1:2\n");
        assert_eq!(
            parse_err(&text),
            "initLimit: must be set when server.N lines form an ensemble"
        );
    }

    #[test]
    fn malformed_server_lines_say_what_is_expected() {
        for (line, expected) in [
            ("server.x=a:1:2", "server id \"x\" is not a number"),
            (
                "server.1=a:1",
                "expected host:quorumPort:electionPort[:participant|observer]",
            ),
            (
                "server.1=a:1:2:leader",
                "\"leader\" is not participant or observer",
            ),
            ("server.1=a:5:5", "quorum and election ports must differ"),
            ("server.300=a:1:2", "server ids must be between 0 and 255"),
        ] {
            let err = parse_err(&format!("{MINIMAL}{line}\n"));
            assert!(err.ends_with(expected), "{line}: {err}");
        }
    }

    #[test]
    fn snap_retain_count_below_three_is_raised_with_a_warning() {
        let cfg = parse(&format!("{MINIMAL}autopurge.snapRetainCount=1\n")).unwrap();
        assert_eq!(cfg.autopurge_snap_retain_count, 3);
        assert_eq!(cfg.warnings.len(), 1);
    }

    #[test]
    fn container_manager_settings_are_read_from_zoo_cfg() {
        let cfg = parse(MINIMAL).unwrap();
        assert_eq!(
            (
                cfg.container_check_interval_ms,
                cfg.container_max_never_used_ms
            ),
            (60_000, 0)
        );
        let cfg = parse(&format!(
            "{MINIMAL}znode.container.checkIntervalMs=100\nznode.container.maxNeverUsedIntervalMs=500\n"
        ))
        .unwrap();
        assert_eq!(
            (
                cfg.container_check_interval_ms,
                cfg.container_max_never_used_ms
            ),
            (100, 500)
        );
        assert!(cfg.warnings.is_empty());
    }

    #[test]
    fn force_sync_and_skip_acl_take_yes_or_no() {
        let cfg = parse(&format!("{MINIMAL}forceSync=no\nskipACL=yes\n")).unwrap();
        assert!(!cfg.force_sync);
        assert!(cfg.skip_acl);
        assert!(parse_err(&format!("{MINIMAL}forceSync=maybe\n"))
            .ends_with("\"maybe\" is not yes or no"));
    }

    #[test]
    fn malformed_text_is_refused_without_panicking() {
        for text in [
            "",
            "=",
            ":::",
            "server.=",
            "server.1=[",
            "server.1=[::1",
            "\\",
            "a\\\n",
            "tickTime=-1",
        ] {
            assert!(parse(text).is_err(), "{text:?} should be refused");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_to_a_checked_config_or_an_error(text in "(?s).{0,200}") {
            if let Ok(cfg) = parse(&text) {
                proptest::prop_assert!(cfg.tick_time_ms > 0);
                proptest::prop_assert!(cfg.min_session_timeout_ms <= cfg.max_session_timeout_ms);
            }
        }

        #[test]
        fn config_like_lines_never_panic(lines in proptest::collection::vec(
            "(tickTime|dataDir|clientPort|server\\.[0-9]{1,3}|4lw\\.commands\\.whitelist)[=: ][ -~]{0,30}", 0..8)) {
            let text = format!("tickTime=2000\ndataDir=/d\n{}", lines.join("\n"));
            if let Ok(cfg) = parse(&text) {
                for (id, server) in &cfg.servers {
                    proptest::prop_assert!(*id <= 255 && server.id == *id);
                    proptest::prop_assert!(server.quorum_port != server.election_port);
                }
            }
        }
    }
}
