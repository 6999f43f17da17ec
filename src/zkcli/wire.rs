//! From a command to the wire and back, without a connection: the one request a command
//! sends (`request_for`), and the lines zkCli prints for the reply (`format_reply`). Whoever
//! owns the connection (the native shell, the browser console, a scenario script) sends the
//! request and hands back the reply, so every home prints the same text.

use super::commands::{CliError, ServerCommand, CONFIG_NODE};
use super::format::{id_text, list, perm_string, stat_block};
use crate::data::types::{ErrorCode, OpCode};
use crate::proto::jute::JuteWriter;
use crate::proto::records::{
    AddWatchRequest, AuthPacket, CreateRequest, CreateTtlRequest, DeleteRequest, PathRequest,
    PathWatchRequest, Request, Response, SetAclRequest, SetDataRequest, WatchTypeRequest,
};

/// What a command puts on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireStep {
    /// One request; its reply goes to `format_reply`.
    Request(Request),
    /// An auth packet (xid -4). zkCli does not wait for its answer: a refused one shows as an
    /// AuthFailed event and a closed connection. `auth` is `None` when none was typed, which
    /// zkCli sends as a null buffer; `auth_request` builds the packet either way.
    Auth {
        scheme: String,
        auth: Option<Vec<u8>>,
    },
}

/// The request a command sends, exactly as zkCli sends it (watch flags, plain create rather
/// than create2, getChildren2 only when the Stat is printed). Commands that are not one
/// request are refused with a message that says why.
pub fn request_for(command: &ServerCommand) -> Result<WireStep, CliError> {
    let request = match command {
        ServerCommand::Create { acl: None, .. } => {
            // The Java client refuses an empty ACL before sending; zkCli prints both lines.
            return Err(CliError::new(
                "KeeperErrorCode = InvalidACL\nAcl is not valid : null",
            ));
        }
        ServerCommand::Create {
            path,
            data,
            acl: Some(acl),
            mode,
            ttl,
        } => {
            let flags = mode.flag();
            if mode.is_ttl() {
                Request::CreateTtl(CreateTtlRequest {
                    path: path.clone(),
                    data: data.clone(),
                    acl: acl.clone(),
                    flags,
                    ttl: *ttl,
                })
            } else {
                let body = CreateRequest {
                    path: path.clone(),
                    data: data.clone(),
                    acl: acl.clone(),
                    flags,
                };
                if mode.is_container() {
                    Request::CreateContainer(body)
                } else {
                    Request::Create(body)
                }
            }
        }
        ServerCommand::Ls {
            recursive: true, ..
        } => {
            return Err(several_round_trips(
                "ls -R",
                "reads the children of every znode in the subtree",
            ))
        }
        ServerCommand::Ls {
            path, watch, stat, ..
        } => {
            let body = path_watch(path, *watch);
            if *stat {
                Request::GetChildren2(body)
            } else {
                Request::GetChildren(body)
            }
        }
        ServerCommand::Get { path, watch, .. } => Request::GetData(path_watch(path, *watch)),
        ServerCommand::Set {
            path,
            data,
            version,
            ..
        } => Request::SetData(SetDataRequest {
            path: path.clone(),
            data: Some(data.clone()),
            version: *version,
        }),
        ServerCommand::Stat { path, watch } => Request::Exists(path_watch(path, *watch)),
        ServerCommand::Delete { path, version } => Request::Delete(DeleteRequest {
            path: path.clone(),
            version: *version,
        }),
        ServerCommand::DeleteAll { .. } => {
            return Err(several_round_trips(
                "deleteall",
                "lists the subtree, then deletes it in batches",
            ))
        }
        ServerCommand::GetAcl { path, .. } => Request::GetAcl(path_request(path)),
        ServerCommand::SetAcl { acl: None, .. } => {
            return Err(CliError::new("Acl is not valid : null"))
        }
        ServerCommand::SetAcl {
            recursive: true, ..
        } => {
            return Err(several_round_trips(
                "setAcl -R",
                "sets the ACL of every znode in the subtree",
            ))
        }
        ServerCommand::SetAcl {
            path,
            acl: Some(acl),
            version,
            ..
        } => Request::SetAcl(SetAclRequest {
            path: path.clone(),
            acl: acl.clone(),
            version: *version,
        }),
        ServerCommand::AddAuth { scheme, auth } => {
            return Ok(WireStep::Auth {
                scheme: scheme.clone(),
                auth: auth.clone(),
            })
        }
        ServerCommand::Sync { path } => Request::Sync(path_request(path)),
        ServerCommand::AddWatch { path, mode } => Request::AddWatch(AddWatchRequest {
            path: path.clone(),
            mode: mode.code(),
        }),
        ServerCommand::RemoveWatches { local: true, .. } => {
            return Err(CliError::new(
                "removewatches -l removes watches from the client's own record, which only \
                 `zooscope cli` keeps for now",
            ))
        }
        ServerCommand::RemoveWatches {
            path, watcher_type, ..
        } => Request::RemoveWatches(WatchTypeRequest {
            path: path.clone(),
            watcher_type: watcher_type.code(),
        }),
        ServerCommand::GetEphemerals { path } => Request::GetEphemerals(path_request(path)),
        ServerCommand::GetAllChildrenNumber { path } => {
            Request::GetAllChildrenNumber(path_request(path))
        }
        ServerCommand::WhoAmI => Request::WhoAmI,
        ServerCommand::Config { watch, .. } => Request::GetData(path_watch(CONFIG_NODE, *watch)),
        ServerCommand::Close => Request::CloseSession,
        ServerCommand::Version => {
            return Err(CliError::new(
                "version is answered by the shell itself and sends nothing to the server",
            ))
        }
    };
    Ok(WireStep::Request(request))
}

fn several_round_trips(command: &str, what_it_does: &str) -> CliError {
    CliError::new(format!(
        "{command} needs several round trips (it {what_it_does}), so only `zooscope cli` \
         runs it for now"
    ))
}

fn path_watch(path: &str, watch: bool) -> PathWatchRequest {
    PathWatchRequest {
        path: path.to_string(),
        watch,
    }
}

fn path_request(path: &str) -> PathRequest {
    PathRequest {
        path: path.to_string(),
    }
}

/// The request an `Auth` step sends. `AuthPacket` has no null buffer, which zkCli sends for
/// `addauth scheme` without auth (and the server refuses), so that one is encoded here.
pub fn auth_request(scheme: &str, auth: Option<&[u8]>) -> Request {
    match auth {
        Some(auth) => Request::Auth(AuthPacket {
            auth_type: 0,
            scheme: scheme.to_string(),
            auth: auth.to_vec(),
        }),
        None => {
            let mut body = JuteWriter::new();
            body.write_int(0);
            body.write_ustring(scheme);
            body.write_optional_buffer(None);
            Request::Unknown {
                op_code: OpCode::Auth.code(),
                body: body.into_bytes(),
            }
        }
    }
}

/// The one request a typed line sends (an auth packet included), for callers that send it
/// themselves: the simulator's clients, scenarios and the browser's console.
pub fn request_for_line(line: &str) -> Result<Request, CliError> {
    match request_for(&super::parse_line(line)?)? {
        WireStep::Request(request) => Ok(request),
        WireStep::Auth { scheme, auth } => Ok(auth_request(&scheme, auth.as_deref())),
    }
}

/// What zkCli prints for a command's result, as lines without their newlines: writing each
/// followed by a newline gives zkCli's bytes exactly.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplyText {
    /// Standard output.
    pub out: Vec<String>,
    /// Standard error: "Created", warnings and, when the command failed, its error message,
    /// which is always the last line.
    pub err: Vec<String>,
    /// 0, or the status zkCli leaves when the command failed.
    pub exit_code: u8,
}

impl ReplyText {
    fn failed(error: CliError) -> ReplyText {
        let mut reply = ReplyText::default();
        push_line(&mut reply.err, &error.message);
        reply.exit_code = error.exit_code;
        reply
    }

    fn keeper_failure(code: i32, path: Option<&str>) -> ReplyText {
        ReplyText::failed(CliError::new(keeper_message(code, path)))
    }
}

/// The lines for a reply whose header carried `err` and, when `err` is Ok, `body`.
pub fn format_reply(command: &ServerCommand, err: ErrorCode, body: Option<&Response>) -> ReplyText {
    format_reply_code(command, err.code(), body)
}

/// `format_reply` for a raw error code, as the reply header carries it; a code this crate
/// does not know prints as Java's "Unknown error".
pub fn format_reply_code(command: &ServerCommand, code: i32, body: Option<&Response>) -> ReplyText {
    if *command == ServerCommand::Version {
        return ReplyText {
            out: vec![version_line()],
            ..ReplyText::default()
        };
    }
    // A command that sends no single request has no single reply to print.
    if let Err(refusal) = request_for(command) {
        return ReplyText::failed(refusal);
    }
    if code != ErrorCode::Ok.code() {
        return failure(command, code);
    }
    let mut reply = ReplyText::default();
    match success(command, body, &mut reply) {
        Some(()) => reply,
        // A body of the wrong shape is what the Java client calls a marshalling error.
        None => failure(command, ErrorCode::MarshallingError.code()),
    }
}

/// Fills in what a successful command prints; `None` when the body is not the one the
/// command's request is answered with.
fn success(command: &ServerCommand, body: Option<&Response>, reply: &mut ReplyText) -> Option<()> {
    let out = &mut reply.out;
    match command {
        ServerCommand::Create { .. } => {
            let created = match body? {
                Response::Path(body) => &body.path,
                Response::Create2(body) => &body.path,
                _ => return None,
            };
            push_line(&mut reply.err, &format!("Created {created}"));
        }
        ServerCommand::Ls { stat, .. } => {
            let (children, parent) = match (body?, stat) {
                (Response::StringList(body), false) => (&body.names, None),
                (Response::Children2(body), true) => (&body.children, Some(&body.stat)),
                _ => return None,
            };
            let mut children = children.clone();
            children.sort();
            push_line(out, &list(&children));
            if let Some(parent) = parent {
                push_block(out, &stat_block(parent));
            }
        }
        ServerCommand::Get { stat, .. } => {
            let Response::Data(body) = body? else {
                return None;
            };
            push_data(out, body.data.as_deref());
            if *stat {
                push_block(out, &stat_block(&body.stat));
            }
        }
        ServerCommand::Set { stat, .. } | ServerCommand::SetAcl { stat, .. } => {
            let Response::Stat(body) = body? else {
                return None;
            };
            if *stat {
                push_block(out, &stat_block(&body.stat));
            }
        }
        ServerCommand::Stat { .. } => {
            let Response::Stat(body) = body? else {
                return None;
            };
            push_block(out, &stat_block(&body.stat));
        }
        ServerCommand::GetAcl { stat, .. } => {
            let Response::Acl(body) = body? else {
                return None;
            };
            for entry in &body.acl {
                // The id's text ends in a newline, so each entry takes two lines.
                let text = format!("{}: {}", id_text(&entry.id), perm_string(entry.perms));
                push_line(out, &text);
            }
            if *stat {
                push_block(out, &stat_block(&body.stat));
            }
        }
        ServerCommand::Sync { .. } => push_line(out, "Sync is OK"),
        ServerCommand::GetEphemerals { .. } => {
            let Response::StringList(body) = body? else {
                return None;
            };
            push_line(out, &list(&body.names));
        }
        ServerCommand::GetAllChildrenNumber { .. } => {
            let Response::Count(body) = body? else {
                return None;
            };
            push_line(out, &body.total_number.to_string());
        }
        ServerCommand::WhoAmI => {
            let Response::WhoAmI(body) = body? else {
                return None;
            };
            push_line(out, "Auth scheme: User");
            for info in &body.client_info {
                push_line(out, &format!("{}: {}", info.auth_scheme, info.user));
            }
        }
        ServerCommand::Config { client, stat, .. } => {
            let Response::Data(body) = body? else {
                return None;
            };
            if *client {
                let text = String::from_utf8_lossy(body.data.as_deref().unwrap_or(b"null"));
                push_line(out, &client_config(&text));
            } else {
                push_data(out, body.data.as_deref());
            }
            if *stat {
                push_block(out, &stat_block(&body.stat));
            }
        }
        // Nothing to print; the body is not looked at.
        ServerCommand::Delete { .. }
        | ServerCommand::AddWatch { .. }
        | ServerCommand::RemoveWatches { .. }
        | ServerCommand::AddAuth { .. }
        | ServerCommand::Close
        | ServerCommand::DeleteAll { .. }
        | ServerCommand::Version => {}
    }
    Some(())
}

/// What a command prints when the server answered with error `code`.
fn failure(command: &ServerCommand, code: i32) -> ReplyText {
    match command {
        // zkCli's sync callback prints the code and the command itself succeeds.
        ServerCommand::Sync { .. } => ReplyText {
            out: vec![format!("Sync has failed. rc={code}")],
            ..ReplyText::default()
        },
        // zkCli waits for neither answer.
        ServerCommand::AddAuth { .. } | ServerCommand::Close => ReplyText::default(),
        ServerCommand::Create { path, .. } => {
            let mut reply = ReplyText::keeper_failure(code, Some(path));
            let first = match ErrorCode::from_code(code) {
                Some(ErrorCode::InvalidAcl) => Some(keeper_exception_message(code, Some(path))),
                Some(ErrorCode::EphemeralOnLocalSession) => {
                    Some("Unable to create ephemeral node on a local session".to_string())
                }
                _ => None,
            };
            if let Some(first) = first {
                reply.err.insert(0, first);
            }
            reply
        }
        // whoami's exception carries no path.
        ServerCommand::WhoAmI => ReplyText::keeper_failure(code, None),
        _ => ReplyText::keeper_failure(code, command.path()),
    }
}

/// Adds `text` as lines: a newline inside it starts another.
fn push_line(lines: &mut Vec<String>, text: &str) {
    lines.extend(text.split('\n').map(str::to_string));
}

/// Adds a block of text whose every line already ends in a newline (the Stat block).
fn push_block(lines: &mut Vec<String>, block: &str) {
    push_line(lines, block.strip_suffix('\n').unwrap_or(block));
}

/// A znode's data as zkCli prints it: as text, or `null` for none.
fn push_data(lines: &mut Vec<String>, data: Option<&[u8]>) {
    push_line(lines, &String::from_utf8_lossy(data.unwrap_or(b"null")));
}

/// `CliWrapperException`'s message for a call on `path` that failed with `code` (`None`
/// prints as null, as in Java).
pub fn keeper_message(code: i32, path: Option<&str>) -> String {
    let path_text = path.unwrap_or("null");
    match ErrorCode::from_code(code) {
        Some(ErrorCode::NoNode) => format!("Node does not exist: {path_text}"),
        Some(ErrorCode::NoChildrenForEphemerals) => {
            format!("Ephemerals cannot have children: {path_text}")
        }
        Some(ErrorCode::NodeExists) => format!("Node already exists: {path_text}"),
        Some(ErrorCode::NotEmpty) => format!("Node not empty: {path_text}"),
        Some(ErrorCode::NotReadOnly) => format!("Not a read-only call: {path_text}"),
        Some(ErrorCode::InvalidAcl) => format!("Acl is not valid : {path_text}"),
        Some(ErrorCode::NoAuth) => format!("Insufficient permission : {path_text}"),
        Some(ErrorCode::BadArguments) => format!("Arguments are not valid : {path_text}"),
        Some(ErrorCode::BadVersion) => format!("version No is not valid : {path_text}"),
        Some(ErrorCode::ReconfigInProgress) => {
            "Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)"
                .to_string()
        }
        Some(ErrorCode::NewConfigNoQuorum) => "No quorum of new config is connected and \
            up-to-date with the leader of last commmitted config - try invoking reconfiguration \
            after new servers are connected and synced"
            .to_string(),
        Some(ErrorCode::QuotaExceeded) => format!("Quota has exceeded : {path_text}"),
        _ => keeper_exception_message(code, path),
    }
}

/// `KeeperException.getMessage()`: `KeeperErrorCode = <code message>`, then ` for <path>`
/// when there is a path.
pub fn keeper_exception_message(code: i32, path: Option<&str>) -> String {
    let text = match ErrorCode::from_code(code) {
        Some(known) => format!("KeeperErrorCode = {known}"),
        None => format!("KeeperErrorCode = Unknown error {code}"),
    };
    match path {
        Some(path) => format!("{text} for {path}"),
        None => text,
    }
}

/// What `version` prints.
pub fn version_line() -> String {
    format!(
        "ZooKeeper CLI version: zooscope {}",
        env!("CARGO_PKG_VERSION")
    )
}

/// `ConfigUtils.getClientConfigStr`: the config's version and each server's client address,
/// from `server.N=host:port:port[:role][;[clientHost:]clientPort]` lines.
fn client_config(config: &str) -> String {
    let mut version = "";
    let mut addresses = Vec::new();
    for line in config.lines() {
        let line = line.trim();
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if key == "version" {
            version = value;
        }
        if !key.starts_with("server.") {
            continue;
        }
        let address = match value.split_once(';') {
            Some((_, client)) if client.contains(':') => client.to_string(),
            Some((_, port)) => format!("0.0.0.0:{port}"),
            None => String::new(),
        };
        addresses.push(address);
    }
    format!("{version} {}", addresses.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::types::{perms, Acl, AddWatchMode, Id, Stat, WatcherType};
    use crate::proto::records::{
        ClientInfo, Create2Response, GetAclResponse, GetAllChildrenNumberResponse,
        GetChildren2Response, GetDataResponse, PathResponse, StatResponse, StringListResponse,
        WhoAmIResponse,
    };
    use crate::zkcli::commands::parse_line;
    use crate::zkcli::format::stat_block;

    fn command(line: &str) -> ServerCommand {
        parse_line(line).unwrap()
    }

    fn request(line: &str) -> Request {
        match request_for(&command(line)) {
            Ok(WireStep::Request(request)) => request,
            other => panic!("{line}: expected one request, got {other:?}"),
        }
    }

    fn refusal(line: &str) -> String {
        request_for(&command(line)).unwrap_err().message
    }

    fn reply(line: &str, err: ErrorCode, body: Option<Response>) -> ReplyText {
        format_reply(&command(line), err, body.as_ref())
    }

    fn ok(line: &str, body: Response) -> ReplyText {
        reply(line, ErrorCode::Ok, Some(body))
    }

    fn out(lines: &[&str]) -> ReplyText {
        ReplyText {
            out: lines.iter().map(|line| line.to_string()).collect(),
            ..ReplyText::default()
        }
    }

    fn failed(lines: &[&str]) -> ReplyText {
        ReplyText {
            err: lines.iter().map(|line| line.to_string()).collect(),
            exit_code: 1,
            ..ReplyText::default()
        }
    }

    fn path_watch(path: &str, watch: bool) -> PathWatchRequest {
        PathWatchRequest {
            path: path.into(),
            watch,
        }
    }

    fn path_request(path: &str) -> PathRequest {
        PathRequest { path: path.into() }
    }

    fn stat() -> Stat {
        Stat {
            czxid: 2,
            mzxid: 3,
            version: 1,
            data_length: 5,
            ..Stat::default()
        }
    }

    fn stat_lines() -> Vec<String> {
        stat_block(&stat()).lines().map(str::to_string).collect()
    }

    #[test]
    fn create_sends_plain_create_or_the_container_and_ttl_variants() {
        let create = |data: Option<&[u8]>, flags| CreateRequest {
            path: "/a".into(),
            data: data.map(<[u8]>::to_vec),
            acl: Acl::open_unsafe(),
            flags,
        };
        assert_eq!(
            request("create /a hi"),
            Request::Create(create(Some(b"hi"), 0))
        );
        assert_eq!(request("create -e /a"), Request::Create(create(None, 1)));
        assert_eq!(request("create -s /a"), Request::Create(create(None, 2)));
        assert_eq!(request("create -s -e /a"), Request::Create(create(None, 3)));
        assert_eq!(
            request("create -c /a"),
            Request::CreateContainer(create(None, 4))
        );
        let ttl = |flags| {
            Request::CreateTtl(CreateTtlRequest {
                path: "/a".into(),
                data: None,
                acl: Acl::open_unsafe(),
                flags,
                ttl: 500,
            })
        };
        assert_eq!(request("create -t 500 /a"), ttl(5));
        assert_eq!(request("create -s -t 500 /a"), ttl(6));
        let restricted = request("create /a d digest:bob:h=:rw");
        assert!(matches!(
            restricted,
            Request::Create(CreateRequest { acl, .. })
                if acl == vec![Acl { perms: perms::READ | perms::WRITE, id: Id::new("digest", "bob:h=") }]
        ));
    }

    #[test]
    fn reads_carry_their_watch_flag_and_ls_asks_for_the_stat_only_with_s() {
        assert_eq!(
            request("ls /a"),
            Request::GetChildren(path_watch("/a", false))
        );
        assert_eq!(
            request("ls -w /a"),
            Request::GetChildren(path_watch("/a", true))
        );
        assert_eq!(
            request("ls -s -w /a"),
            Request::GetChildren2(path_watch("/a", true))
        );
        assert_eq!(request("get /a"), Request::GetData(path_watch("/a", false)));
        assert_eq!(
            request("get -s -w /a"),
            Request::GetData(path_watch("/a", true))
        );
        assert_eq!(request("stat /a"), Request::Exists(path_watch("/a", false)));
        assert_eq!(
            request("stat -w /a"),
            Request::Exists(path_watch("/a", true))
        );
        assert_eq!(
            request("config -w"),
            Request::GetData(path_watch("/zookeeper/config", true))
        );
        assert_eq!(request("getAcl -s /a"), Request::GetAcl(path_request("/a")));
        assert_eq!(
            request("getEphemerals"),
            Request::GetEphemerals(path_request("/"))
        );
        assert_eq!(
            request("getAllChildrenNumber /a"),
            Request::GetAllChildrenNumber(path_request("/a"))
        );
        assert_eq!(request("whoami"), Request::WhoAmI);
    }

    #[test]
    fn writes_carry_their_version_defaulting_to_any() {
        assert_eq!(
            request("set /a x"),
            Request::SetData(SetDataRequest {
                path: "/a".into(),
                data: Some(b"x".to_vec()),
                version: -1
            })
        );
        assert_eq!(
            request("set -s -v 3 /a x"),
            Request::SetData(SetDataRequest {
                path: "/a".into(),
                data: Some(b"x".to_vec()),
                version: 3
            })
        );
        assert_eq!(
            request("delete -v 2 /a"),
            Request::Delete(DeleteRequest {
                path: "/a".into(),
                version: 2
            })
        );
        assert_eq!(
            request("setAcl -v 4 /a world:anyone:r"),
            Request::SetAcl(SetAclRequest {
                path: "/a".into(),
                acl: vec![Acl {
                    perms: perms::READ,
                    id: Id::anyone()
                }],
                version: 4
            })
        );
    }

    #[test]
    fn session_commands_map_to_their_requests() {
        assert_eq!(request("sync /a"), Request::Sync(path_request("/a")));
        assert_eq!(
            request("addWatch -m persistent /w"),
            Request::AddWatch(AddWatchRequest {
                path: "/w".into(),
                mode: AddWatchMode::Persistent.code()
            })
        );
        assert_eq!(
            request("removewatches /r -d"),
            Request::RemoveWatches(WatchTypeRequest {
                path: "/r".into(),
                watcher_type: WatcherType::Data.code()
            })
        );
        assert_eq!(request("close"), Request::CloseSession);
    }

    #[test]
    fn addauth_is_an_auth_step_and_a_missing_auth_goes_as_a_null_buffer() {
        assert_eq!(
            request_for(&command("addauth digest bob:pw")),
            Ok(WireStep::Auth {
                scheme: "digest".into(),
                auth: Some(b"bob:pw".to_vec())
            })
        );
        assert_eq!(
            request_for(&command("addauth digest")),
            Ok(WireStep::Auth {
                scheme: "digest".into(),
                auth: None
            })
        );
        assert_eq!(
            auth_request("ip", None),
            Request::Unknown {
                op_code: 100,
                body: [&[0, 0, 0, 0][..], &[0, 0, 0, 2], b"ip", &[0xff; 4]].concat()
            }
        );
        assert!(matches!(
            auth_request("digest", Some(b"bob:pw")),
            Request::Auth(AuthPacket { auth_type: 0, .. })
        ));
    }

    #[test]
    fn commands_of_several_round_trips_are_refused_plainly() {
        let ls = refusal("ls -R /a");
        assert!(ls.starts_with("ls -R needs several round trips"), "{ls}");
        let deleteall = refusal("deleteall /a");
        assert!(
            deleteall.starts_with("deleteall needs several round trips"),
            "{deleteall}"
        );
        let set_acl = refusal("setAcl -R /a world:anyone:r");
        assert!(
            set_acl.starts_with("setAcl -R needs several round trips"),
            "{set_acl}"
        );
        assert!(refusal("version").starts_with("version is answered by the shell itself"));
        assert!(refusal("removewatches /r -l").contains("client's own record"));
        // format_reply has nothing to print for them but the same refusal.
        assert_eq!(
            reply("deleteall /a", ErrorCode::Ok, None),
            failed(&[deleteall.as_str()])
        );
    }

    #[test]
    fn an_acl_that_parses_to_nothing_is_refused_before_sending_as_zkcli_does() {
        assert_eq!(
            refusal("create /a d bad"),
            "KeeperErrorCode = InvalidACL\nAcl is not valid : null"
        );
        assert_eq!(refusal("setAcl /a bad"), "Acl is not valid : null");
        assert_eq!(
            refusal("setAcl -R /a bad"),
            "Acl is not valid : null",
            "the ACL is checked before the recursion"
        );
        assert_eq!(
            reply("create /a d bad", ErrorCode::Ok, None),
            failed(&["KeeperErrorCode = InvalidACL", "Acl is not valid : null"])
        );
    }

    #[test]
    fn parse_line_reports_blank_unknown_and_shell_commands() {
        assert_eq!(parse_line("   "), Err(CliError::new("No command entered")));
        assert_eq!(
            parse_line("frobnicate /x"),
            Err(CliError {
                message: "Command not found: frobnicate".into(),
                exit_code: 127
            })
        );
        assert_eq!(
            parse_line("help").unwrap_err().message,
            "help is one of the shell's own commands and sends nothing to the server"
        );
        assert_eq!(
            parse_line("get /a watch"),
            Ok(ServerCommand::Get {
                path: "/a".into(),
                watch: true,
                stat: false
            })
        );
    }

    #[test]
    fn create_prints_created_with_the_servers_name_on_stderr() {
        let created = ReplyText {
            err: vec!["Created /q0000000001".into()],
            ..ReplyText::default()
        };
        let path = PathResponse {
            path: "/q0000000001".into(),
        };
        assert_eq!(ok("create -s /q", Response::Path(path)), created);
        let create2 = Create2Response {
            path: "/q0000000001".into(),
            stat: stat(),
        };
        assert_eq!(ok("create -s -t 9 /q", Response::Create2(create2)), created);
    }

    #[test]
    fn ls_prints_the_children_sorted_and_the_parents_stat_with_s() {
        let names = StringListResponse {
            names: vec!["b".into(), "a".into()],
        };
        assert_eq!(ok("ls /", Response::StringList(names)), out(&["[a, b]"]));
        let with_stat = GetChildren2Response {
            children: vec![],
            stat: stat(),
        };
        let mut expected = out(&["[]"]);
        expected.out.extend(stat_lines());
        assert_eq!(ok("ls -s /", Response::Children2(with_stat)), expected);
    }

    #[test]
    fn get_prints_the_data_as_text_or_null_then_the_stat_with_s() {
        let data = |data: Option<&[u8]>| {
            Response::Data(GetDataResponse {
                data: data.map(<[u8]>::to_vec),
                stat: stat(),
            })
        };
        assert_eq!(ok("get /a", data(Some(b"hello"))), out(&["hello"]));
        assert_eq!(ok("get /a", data(None)), out(&["null"]));
        // Each line is printed followed by a newline, so data ending in one keeps it.
        assert_eq!(ok("get /a", data(Some(b"x\ny\n"))), out(&["x", "y", ""]));
        let mut expected = out(&["hello"]);
        expected.out.extend(stat_lines());
        assert_eq!(ok("get -s /a", data(Some(b"hello"))), expected);
    }

    #[test]
    fn set_stat_and_set_acl_print_the_stat_only_when_asked() {
        let body = || Response::Stat(StatResponse { stat: stat() });
        assert_eq!(ok("set /a x", body()), ReplyText::default());
        assert_eq!(ok("set -s /a x", body()).out, stat_lines());
        assert_eq!(ok("stat /a", body()).out, stat_lines());
        assert_eq!(ok("setAcl /a world:anyone:r", body()), ReplyText::default());
        assert_eq!(ok("setAcl -s /a world:anyone:r", body()).out, stat_lines());
    }

    #[test]
    fn quiet_commands_print_nothing_when_they_succeed() {
        for line in [
            "delete /a",
            "addWatch /a",
            "removewatches /a",
            "addauth digest bob:pw",
            "close",
        ] {
            assert_eq!(
                reply(line, ErrorCode::Ok, None),
                ReplyText::default(),
                "{line}"
            );
        }
    }

    #[test]
    fn get_acl_prints_each_id_and_its_permission_letters() {
        let body = GetAclResponse {
            acl: vec![
                Acl {
                    perms: perms::ALL,
                    id: Id::anyone(),
                },
                Acl {
                    perms: perms::READ,
                    id: Id::new("ip", "10.0.0.1"),
                },
            ],
            stat: stat(),
        };
        assert_eq!(
            ok("getAcl /a", Response::Acl(body.clone())),
            out(&["'world,'anyone", ": cdrwa", "'ip,'10.0.0.1", ": r"])
        );
        assert_eq!(ok("getAcl -s /a", Response::Acl(body)).out.len(), 4 + 11);
    }

    #[test]
    fn sync_reports_its_result_on_stdout_and_succeeds_either_way() {
        let synced = Response::Path(PathResponse { path: "/a".into() });
        assert_eq!(ok("sync /a", synced), out(&["Sync is OK"]));
        assert_eq!(
            reply("sync /a", ErrorCode::NoNode, None),
            out(&["Sync has failed. rc=-101"])
        );
    }

    #[test]
    fn counts_ephemerals_whoami_and_version_print_one_line_each() {
        let ephemerals = StringListResponse {
            names: vec!["/z".into(), "/e".into()],
        };
        assert_eq!(
            ok("getEphemerals", Response::StringList(ephemerals)),
            out(&["[/z, /e]"]),
            "in the server's order"
        );
        let count = GetAllChildrenNumberResponse { total_number: 3 };
        assert_eq!(
            ok("getAllChildrenNumber /a", Response::Count(count)),
            out(&["3"])
        );
        let who = WhoAmIResponse {
            client_info: vec![ClientInfo {
                auth_scheme: "ip".into(),
                user: "127.0.0.1".into(),
            }],
        };
        assert_eq!(
            ok("whoami", Response::WhoAmI(who)),
            out(&["Auth scheme: User", "ip: 127.0.0.1"])
        );
        assert_eq!(
            reply("version", ErrorCode::Ok, None),
            out(&[version_line().as_str()])
        );
    }

    #[test]
    fn config_prints_the_config_or_its_client_form_with_c() {
        let config = "server.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181\nversion=100000000";
        let body = || {
            Response::Data(GetDataResponse {
                data: Some(config.as_bytes().to_vec()),
                stat: stat(),
            })
        };
        assert_eq!(
            ok("config", body()).out,
            config.split('\n').collect::<Vec<_>>()
        );
        assert_eq!(ok("config -c", body()), out(&["100000000 0.0.0.0:2181"]));
        assert_eq!(ok("config -s", body()).out.len(), 2 + 11);
    }

    #[test]
    fn common_errors_print_zkcli_messages_naming_the_path() {
        let cases = [
            ("get /x", ErrorCode::NoNode, "Node does not exist: /x"),
            ("stat /x", ErrorCode::NoNode, "Node does not exist: /x"),
            (
                "create /x",
                ErrorCode::NodeExists,
                "Node already exists: /x",
            ),
            (
                "set -v 9 /x d",
                ErrorCode::BadVersion,
                "version No is not valid : /x",
            ),
            ("delete /x", ErrorCode::NotEmpty, "Node not empty: /x"),
            ("get /x", ErrorCode::NoAuth, "Insufficient permission : /x"),
            (
                "create /e/c",
                ErrorCode::NoChildrenForEphemerals,
                "Ephemerals cannot have children: /e/c",
            ),
            (
                "removewatches /r",
                ErrorCode::NoWatcher,
                "KeeperErrorCode = No such watcher for /r",
            ),
            (
                "config",
                ErrorCode::NoAuth,
                "Insufficient permission : /zookeeper/config",
            ),
            (
                "whoami",
                ErrorCode::ConnectionLoss,
                "KeeperErrorCode = ConnectionLoss",
            ),
        ];
        for (line, code, message) in cases {
            assert_eq!(reply(line, code, None), failed(&[message]), "{line}");
        }
    }

    #[test]
    fn create_prints_a_line_before_its_error_for_bad_acls_and_local_sessions() {
        assert_eq!(
            reply("create /x d ip:1.2.3.4:r", ErrorCode::InvalidAcl, None),
            failed(&[
                "KeeperErrorCode = InvalidACL for /x",
                "Acl is not valid : /x"
            ])
        );
        assert_eq!(
            reply("create -e /x", ErrorCode::EphemeralOnLocalSession, None),
            failed(&[
                "Unable to create ephemeral node on a local session",
                "KeeperErrorCode = Ephemeral node on local session for /x"
            ])
        );
    }

    #[test]
    fn unknown_codes_and_bodies_of_the_wrong_shape_are_errors_too() {
        assert_eq!(
            format_reply_code(&command("get /u"), -999, None),
            failed(&["KeeperErrorCode = Unknown error -999 for /u"])
        );
        assert_eq!(
            reply("get /a", ErrorCode::Ok, None),
            failed(&["KeeperErrorCode = MarshallingError for /a"])
        );
        let wrong = || Response::StringList(StringListResponse { names: vec![] });
        assert_eq!(
            ok("ls -s /a", wrong()),
            failed(&["KeeperErrorCode = MarshallingError for /a"])
        );
        assert_eq!(
            ok("whoami", wrong()),
            failed(&["KeeperErrorCode = MarshallingError"])
        );
    }

    #[test]
    fn keeper_messages_fall_back_to_the_code_with_or_without_a_path() {
        assert_eq!(
            keeper_message(ErrorCode::InvalidAcl.code(), None),
            "Acl is not valid : null"
        );
        assert_eq!(
            keeper_message(ErrorCode::SessionExpired.code(), Some("/a")),
            "KeeperErrorCode = Session expired for /a"
        );
        assert_eq!(
            keeper_exception_message(-999, None),
            "KeeperErrorCode = Unknown error -999"
        );
    }

    #[test]
    fn client_config_lists_each_servers_client_address() {
        let config = "server.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181\n\
                      server.2=10.0.0.2:2888:3888;2182\nserver.3=h:1:2\nversion=100000000\n";
        assert_eq!(
            client_config(config),
            "100000000 0.0.0.0:2181,0.0.0.0:2182,"
        );
        assert_eq!(client_config(""), " ");
    }
}
