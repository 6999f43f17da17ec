//! Running a parsed command against the server and printing what zkCli prints
//! (`*Command.exec`, `ZKUtil.visitSubTreeDFS`/`deleteRecursive`, `CliWrapperException`).
//! Normal output goes to `out`; "Created", warnings and errors go to `err`, as in zkCli.

use super::commands::{CliError, ServerCommand};
use super::format::{id_text, list, perm_string, stat_block};
use super::session::Session;
use crate::data::types::{Acl, CreateMode, ErrorCode, KeeperState, OpCode, Stat};
use crate::native::client::{Client, ClientError, ClientEvent};
use crate::proto::jute::JuteWriter;
use crate::proto::records::{
    AddWatchRequest, AuthPacket, CreateRequest, CreateTtlRequest, DeleteRequest, MultiOp,
    MultiOpResult, PathRequest, PathWatchRequest, Request, Response, SetAclRequest,
    WatchTypeRequest,
};
use std::collections::VecDeque;
use std::io::Write;

/// The znode holding the ensemble's dynamic configuration, which `config` reads.
const CONFIG_NODE: &str = "/zookeeper/config";

pub async fn execute(
    session: &mut Session,
    command: ServerCommand,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    match command {
        ServerCommand::Create {
            path,
            data,
            acl,
            mode,
            ttl,
        } => {
            let Some(acl) = acl else {
                let _ = writeln!(err, "KeeperErrorCode = InvalidACL");
                return Err(CliError::new("Acl is not valid : null"));
            };
            let request = create_request(&path, data, acl, mode, ttl);
            create(session, request, &path, out, err).await
        }
        ServerCommand::Ls {
            path,
            watch,
            stat,
            recursive,
        } => {
            let client = connected(session, &path, out).await?;
            if recursive {
                let mut walk = SubtreeWalk::new(&path, watch);
                while let Some(next) = walk.next(&client, session).await.map_err(failed)? {
                    let _ = writeln!(out, "{next}");
                }
                return Ok(());
            }
            let (mut children, parent) = get_children(&client, &path, watch, stat)
                .await
                .map_err(|e| keeper_error(&e, Some(&path)))?;
            if watch {
                session.watches.add_child(&path);
            }
            children.sort();
            let _ = writeln!(out, "{}", list(&children));
            if let Some(parent) = parent {
                let _ = write!(out, "{}", stat_block(&parent));
            }
            Ok(())
        }
        ServerCommand::Get { path, watch, stat } => {
            let client = connected(session, &path, out).await?;
            let body = client
                .get_data(&path, watch)
                .await
                .map_err(|e| keeper_error(&e, Some(&path)))?;
            if watch {
                session.watches.add_data(&path);
            }
            print_data(out, body.data.as_deref());
            if stat {
                let _ = write!(out, "{}", stat_block(&body.stat));
            }
            Ok(())
        }
        ServerCommand::Set {
            path,
            data,
            version,
            stat,
        } => {
            let client = connected(session, &path, out).await?;
            let new_stat = client
                .set_data(&path, Some(data), version)
                .await
                .map_err(|e| keeper_error(&e, Some(&path)))?;
            if stat {
                let _ = write!(out, "{}", stat_block(&new_stat));
            }
            Ok(())
        }
        ServerCommand::Stat { path, watch } => {
            let client = connected(session, &path, out).await?;
            let found = client
                .exists(&path, watch)
                .await
                .map_err(|e| keeper_error(&e, Some(&path)))?;
            match found {
                Some(stat) => {
                    if watch {
                        session.watches.add_data(&path);
                    }
                    let _ = write!(out, "{}", stat_block(&stat));
                    Ok(())
                }
                None => {
                    if watch {
                        session.watches.add_exist(&path);
                    }
                    Err(keeper_error(
                        &ClientError::Server(ErrorCode::NoNode),
                        Some(&path),
                    ))
                }
            }
        }
        ServerCommand::Delete { path, version } => {
            let client = connected(session, &path, out).await?;
            client
                .delete(&path, version)
                .await
                .map_err(|e| keeper_error(&e, Some(&path)))
        }
        ServerCommand::DeleteAll { path, batch_size } => {
            let client = connected(session, &path, out).await?;
            let tree = list_subtree_bfs(&client, &path).await.map_err(failed)?;
            if !delete_in_batches(&client, &tree, batch_size).await {
                let _ = writeln!(err, "Failed to delete some node(s) in the subtree!");
            }
            Ok(())
        }
        ServerCommand::GetAcl { path, stat } => {
            let client = connected(session, &path, out).await?;
            let reply = client
                .call(Request::GetAcl(PathRequest { path: path.clone() }))
                .await
                .map_err(|e| keeper_error(&e, Some(&path)))?;
            let Some(Response::Acl(body)) = reply.body else {
                return Err(unexpected(&path));
            };
            for entry in &body.acl {
                let _ = writeln!(out, "{}: {}", id_text(&entry.id), perm_string(entry.perms));
            }
            if stat {
                let _ = write!(out, "{}", stat_block(&body.stat));
            }
            Ok(())
        }
        ServerCommand::SetAcl {
            path,
            acl,
            version,
            stat,
            recursive,
        } => {
            let Some(acl) = acl else {
                return Err(CliError::new("Acl is not valid : null"));
            };
            let client = connected(session, &path, out).await?;
            if recursive {
                let mut walk = SubtreeWalk::new(&path, false);
                while let Some(next) = walk.next(&client, session).await.map_err(failed)? {
                    if let Err(error) = set_acl(&client, &next, &acl, version).await {
                        let _ = writeln!(out, "{}", keeper_exception_message(&error, &next));
                    }
                }
                return Ok(());
            }
            let new_stat = set_acl(&client, &path, &acl, version)
                .await
                .map_err(|e| keeper_error(&e, Some(&path)))?;
            if stat {
                let _ = write!(out, "{}", stat_block(&new_stat));
            }
            Ok(())
        }
        ServerCommand::AddAuth { scheme, auth } => {
            let client = connected(session, "/", out).await?;
            let request = auth_request(&scheme, auth.as_deref());
            session.remember_auth(request.clone());
            // zkCli does not wait for the answer; a refusal shows as an AuthFailed event.
            let _ = client.call(request).await;
            session.print_events(out);
            Ok(())
        }
        ServerCommand::Sync { path } => {
            let client = connected(session, &path, out).await?;
            match client
                .call(Request::Sync(PathRequest { path: path.clone() }))
                .await
            {
                Ok(_) => {
                    let _ = writeln!(out, "Sync is OK");
                }
                Err(error) => {
                    let _ = writeln!(out, "Sync has failed. rc={}", raw_code(&error));
                }
            }
            Ok(())
        }
        ServerCommand::AddWatch { path, mode } => {
            let client = connected(session, &path, out).await?;
            client
                .call(Request::AddWatch(AddWatchRequest {
                    path: path.clone(),
                    mode: mode.code(),
                }))
                .await
                .map_err(|e| keeper_error(&e, Some(&path)))?;
            session.watches.add_persistent(&path, mode);
            Ok(())
        }
        ServerCommand::RemoveWatches {
            path,
            watcher_type,
            local,
        } => {
            let request = Request::RemoveWatches(WatchTypeRequest {
                path: path.clone(),
                watcher_type: watcher_type.code(),
            });
            let server_result = match session.client(out).await {
                Ok(client) => client.call(request).await.map(|_| ()),
                Err(error) => Err(error),
            }
            .map_err(|error| error.error_code().unwrap_or(ErrorCode::SystemError));
            let lost = matches!(
                server_result,
                Err(ErrorCode::ConnectionLoss | ErrorCode::SessionExpired)
            );
            let removed = session
                .watches
                .remove(&path, watcher_type, local, server_result)
                .map_err(|code| keeper_error(&ClientError::Server(code), Some(&path)))?;
            for event_type in removed {
                let event = ClientEvent {
                    state: if lost {
                        KeeperState::Disconnected
                    } else {
                        KeeperState::SyncConnected
                    },
                    event_type,
                    path: Some(path.clone()),
                };
                session.show(&event, out);
            }
            Ok(())
        }
        ServerCommand::GetEphemerals { path } => {
            let client = connected(session, &path, out).await?;
            let reply = client
                .call(Request::GetEphemerals(PathRequest { path: path.clone() }))
                .await
                .map_err(|e| keeper_error(&e, Some(&path)))?;
            let Some(Response::StringList(body)) = reply.body else {
                return Err(unexpected(&path));
            };
            let _ = writeln!(out, "{}", list(&body.names));
            Ok(())
        }
        ServerCommand::GetAllChildrenNumber { path } => {
            let client = connected(session, &path, out).await?;
            let reply = client
                .call(Request::GetAllChildrenNumber(PathRequest {
                    path: path.clone(),
                }))
                .await
                .map_err(|e| keeper_error(&e, Some(&path)))?;
            let Some(Response::Count(body)) = reply.body else {
                return Err(unexpected(&path));
            };
            let _ = writeln!(out, "{}", body.total_number);
            Ok(())
        }
        ServerCommand::WhoAmI => {
            let client = connected(session, "/", out).await?;
            let reply = client
                .call(Request::WhoAmI)
                .await
                .map_err(|e| CliError::new(e.to_string()))?;
            let Some(Response::WhoAmI(body)) = reply.body else {
                return Err(unexpected("/"));
            };
            let _ = writeln!(out, "Auth scheme: User");
            for info in &body.client_info {
                let _ = writeln!(out, "{}: {}", info.auth_scheme, info.user);
            }
            Ok(())
        }
        ServerCommand::Config {
            client: client_form,
            watch,
            stat,
        } => {
            let client = connected(session, CONFIG_NODE, out).await?;
            let body = client
                .get_data(CONFIG_NODE, watch)
                .await
                .map_err(|e| keeper_error(&e, Some(CONFIG_NODE)))?;
            if watch {
                session.watches.add_data(CONFIG_NODE);
            }
            if client_form {
                let text = String::from_utf8_lossy(body.data.as_deref().unwrap_or(b"null"));
                let _ = writeln!(out, "{}", client_config(&text));
            } else {
                print_data(out, body.data.as_deref());
            }
            if stat {
                let _ = write!(out, "{}", stat_block(&body.stat));
            }
            Ok(())
        }
        ServerCommand::Close => {
            session.close(out).await;
            Ok(())
        }
        ServerCommand::Version => {
            let _ = writeln!(
                out,
                "ZooKeeper CLI version: zooscope {}",
                env!("CARGO_PKG_VERSION")
            );
            Ok(())
        }
    }
}

/// zkCli's create goes out as create (1), or createContainer / createTTL when it must.
fn create_request(
    path: &str,
    data: Option<Vec<u8>>,
    acl: Vec<Acl>,
    mode: CreateMode,
    ttl: i64,
) -> Request {
    let path = path.to_string();
    let flags = mode.flag();
    if mode.is_ttl() {
        return Request::CreateTtl(CreateTtlRequest {
            path,
            data,
            acl,
            flags,
            ttl,
        });
    }
    let body = CreateRequest {
        path,
        data,
        acl,
        flags,
    };
    if mode.is_container() {
        Request::CreateContainer(body)
    } else {
        Request::Create(body)
    }
}

async fn create(
    session: &mut Session,
    request: Request,
    path: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    let client = connected(session, path, out).await?;
    match client.call(request).await {
        Ok(reply) => {
            let created = match reply.body {
                Some(Response::Path(body)) => body.path,
                Some(Response::Create2(body)) => body.path,
                _ => return Err(unexpected(path)),
            };
            let _ = writeln!(err, "Created {created}");
            Ok(())
        }
        Err(error) => {
            match error.error_code() {
                Some(ErrorCode::InvalidAcl) => {
                    let _ = writeln!(err, "{}", keeper_exception_message(&error, path));
                }
                Some(ErrorCode::EphemeralOnLocalSession) => {
                    let _ = writeln!(err, "Unable to create ephemeral node on a local session");
                }
                _ => {}
            }
            Err(keeper_error(&error, Some(path)))
        }
    }
}

/// An auth packet; the codec's `AuthPacket` has no null buffer, which zkCli sends for
/// `addauth scheme` without auth (and the server refuses), so that one is encoded here.
fn auth_request(scheme: &str, auth: Option<&[u8]>) -> Request {
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

/// The client for a command on `path`; a failure to connect is that command's error.
async fn connected(
    session: &mut Session,
    path: &str,
    out: &mut dyn Write,
) -> Result<Client, CliError> {
    session
        .client(out)
        .await
        .map_err(|error| keeper_error(&error, Some(path)))
}

fn failed((error, path): (ClientError, String)) -> CliError {
    keeper_error(&error, Some(&path))
}

fn unexpected(path: &str) -> CliError {
    keeper_error(
        &ClientError::Server(ErrorCode::MarshallingError),
        Some(path),
    )
}

fn print_data(out: &mut dyn Write, data: Option<&[u8]>) {
    let text = String::from_utf8_lossy(data.unwrap_or(b"null"));
    let _ = writeln!(out, "{text}");
}

/// getChildren, or getChildren2 when the parent's Stat is wanted.
async fn get_children(
    client: &Client,
    path: &str,
    watch: bool,
    with_stat: bool,
) -> Result<(Vec<String>, Option<Stat>), ClientError> {
    let request = PathWatchRequest {
        path: path.to_string(),
        watch,
    };
    if with_stat {
        return match client.call(Request::GetChildren2(request)).await?.body {
            Some(Response::Children2(body)) => Ok((body.children, Some(body.stat))),
            _ => Err(ClientError::Server(ErrorCode::MarshallingError)),
        };
    }
    match client.call(Request::GetChildren(request)).await?.body {
        Some(Response::StringList(body)) => Ok((body.names, None)),
        _ => Err(ClientError::Server(ErrorCode::MarshallingError)),
    }
}

async fn set_acl(
    client: &Client,
    path: &str,
    acl: &[Acl],
    version: i32,
) -> Result<Stat, ClientError> {
    let request = Request::SetAcl(SetAclRequest {
        path: path.to_string(),
        acl: acl.to_vec(),
        version,
    });
    match client.call(request).await?.body {
        Some(Response::Stat(body)) => Ok(body.stat),
        _ => Err(ClientError::Server(ErrorCode::MarshallingError)),
    }
}

/// `ZKUtil.visitSubTreeDFS`, one path at a time so that the caller can act on each before
/// the walk reads further (as `setAcl -R` does): the root after a getData, then for each
/// znode all its children (sorted), then each child's subtree in turn. A znode that vanishes
/// mid-walk is skipped.
struct SubtreeWalk {
    root: Option<String>,
    watch: bool,
    ready: VecDeque<String>,
    /// Znodes whose children are still to be read, the next on top.
    to_expand: Vec<String>,
}

impl SubtreeWalk {
    fn new(root: &str, watch: bool) -> SubtreeWalk {
        SubtreeWalk {
            root: Some(root.to_string()),
            watch,
            ready: VecDeque::new(),
            to_expand: Vec::new(),
        }
    }

    async fn next(
        &mut self,
        client: &Client,
        session: &mut Session,
    ) -> Result<Option<String>, (ClientError, String)> {
        if let Some(root) = self.root.take() {
            client
                .get_data(&root, self.watch)
                .await
                .map_err(|e| (e, root.clone()))?;
            if self.watch {
                session.watches.add_data(&root);
            }
            self.to_expand.push(root.clone());
            return Ok(Some(root));
        }
        loop {
            if let Some(path) = self.ready.pop_front() {
                return Ok(Some(path));
            }
            let Some(node) = self.to_expand.pop() else {
                return Ok(None);
            };
            let mut children = match get_children(client, &node, self.watch, false).await {
                Ok((children, _)) => children,
                Err(ClientError::Server(ErrorCode::NoNode)) => continue,
                Err(error) => return Err((error, node)),
            };
            if self.watch {
                session.watches.add_child(&node);
            }
            children.sort();
            let paths: Vec<String> = children
                .iter()
                .map(|child| child_path(&node, child))
                .collect();
            self.to_expand.extend(paths.iter().rev().cloned());
            self.ready.extend(paths);
        }
    }
}

fn child_path(parent: &str, child: &str) -> String {
    if parent == "/" {
        format!("/{child}")
    } else {
        format!("{parent}/{child}")
    }
}

/// `ZKUtil.listSubTreeBFS`: the root and every descendant, breadth first, children in the
/// server's order.
async fn list_subtree_bfs(
    client: &Client,
    root: &str,
) -> Result<Vec<String>, (ClientError, String)> {
    let mut tree = vec![root.to_string()];
    let mut next = 0;
    while let Some(node) = tree.get(next).cloned() {
        next += 1;
        let (children, _) = get_children(client, &node, false, false)
            .await
            .map_err(|e| (e, node.clone()))?;
        tree.extend(children.iter().map(|child| child_path(&node, child)));
    }
    Ok(tree)
}

/// `ZKUtil.deleteInBatch`: deletes the tree leaves first, `batch_size` deletes per multi
/// (everything in one when it is not positive), stopping at the first failed multi.
async fn delete_in_batches(client: &Client, tree: &[String], batch_size: i32) -> bool {
    let batch_size = usize::try_from(batch_size)
        .ok()
        .filter(|size| *size > 0)
        .unwrap_or(tree.len().max(1));
    let ops: Vec<MultiOp> = tree
        .iter()
        .rev()
        .map(|path| {
            MultiOp::Delete(DeleteRequest {
                path: path.clone(),
                version: -1,
            })
        })
        .collect();
    for batch in ops.chunks(batch_size) {
        let succeeded = match client.call(Request::Multi(batch.to_vec())).await {
            Ok(reply) => match reply.body {
                Some(Response::Multi(body)) => !body
                    .results
                    .iter()
                    .any(|result| matches!(result, MultiOpResult::Error(error) if error.err != 0)),
                _ => false,
            },
            Err(_) => false,
        };
        if !succeeded {
            return false;
        }
    }
    true
}

/// `CliWrapperException`'s message for a failed call on `path` (`None` prints as null).
pub fn keeper_error(error: &ClientError, path: Option<&str>) -> CliError {
    let path_text = path.unwrap_or("null");
    let message = match error.error_code() {
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
        _ => match path {
            Some(path) => keeper_exception_message(error, path),
            None => error_code_text(error),
        },
    };
    CliError::new(message)
}

/// `KeeperException.getMessage()`: `KeeperErrorCode = <code message> for <path>`.
fn keeper_exception_message(error: &ClientError, path: &str) -> String {
    format!("{} for {path}", error_code_text(error))
}

fn error_code_text(error: &ClientError) -> String {
    match (error, error.error_code()) {
        (ClientError::UnknownCode(code), _) => format!("KeeperErrorCode = Unknown error {code}"),
        (_, Some(code)) => format!("KeeperErrorCode = {code}"),
        (_, None) => error.to_string(),
    }
}

/// The numeric code a callback would have been given.
fn raw_code(error: &ClientError) -> i32 {
    match error {
        ClientError::UnknownCode(code) => *code,
        _ => error
            .error_code()
            .map_or(ErrorCode::SystemError.code(), ErrorCode::code),
    }
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

    fn message(error: ClientError, path: Option<&str>) -> String {
        keeper_error(&error, path).message
    }

    #[test]
    fn keeper_errors_read_as_zkcli_prints_them() {
        let server = |code| ClientError::Server(code);
        assert_eq!(
            message(server(ErrorCode::NoNode), Some("/x")),
            "Node does not exist: /x"
        );
        assert_eq!(
            message(server(ErrorCode::NodeExists), Some("/x")),
            "Node already exists: /x"
        );
        assert_eq!(
            message(server(ErrorCode::NotEmpty), Some("/x")),
            "Node not empty: /x"
        );
        assert_eq!(
            message(server(ErrorCode::BadVersion), Some("/x")),
            "version No is not valid : /x"
        );
        assert_eq!(
            message(server(ErrorCode::NoAuth), Some("/x")),
            "Insufficient permission : /x"
        );
        assert_eq!(
            message(server(ErrorCode::InvalidAcl), None),
            "Acl is not valid : null"
        );
        assert_eq!(
            message(server(ErrorCode::NoWatcher), Some("/r")),
            "KeeperErrorCode = No such watcher for /r"
        );
        assert_eq!(
            message(ClientError::ConnectionLoss("refused".into()), Some("/")),
            "KeeperErrorCode = ConnectionLoss for /"
        );
        assert_eq!(
            message(ClientError::UnknownCode(-999), Some("/u")),
            "KeeperErrorCode = Unknown error -999 for /u"
        );
    }

    #[test]
    fn child_paths_join_without_doubling_the_root_slash() {
        assert_eq!(child_path("/", "a"), "/a");
        assert_eq!(child_path("/a", "b"), "/a/b");
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
