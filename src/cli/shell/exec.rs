//! Running a parsed command against the server. A command that is one request goes out as
//! `zkcli::request_for` builds it and prints what `zkcli::format_reply` says, the same text
//! the browser prints; here it also notes the watches it left. What needs the session or
//! several round trips stays here: `ls -R` and `setAcl -R` (`ZKUtil.visitSubTreeDFS`),
//! `deleteall` (`ZKUtil.deleteRecursive`), addauth, removewatches and close.
//! Normal output goes to `out`; "Created", warnings and errors go to `err`, as in zkCli.

use super::session::Session;
use crate::data::types::{Acl, ErrorCode, KeeperState, Stat};
use crate::native::client::{Client, ClientError, ClientEvent};
use crate::proto::records::{
    DeleteRequest, MultiOp, MultiOpResult, PathWatchRequest, Request, Response, SetAclRequest,
    WatchTypeRequest,
};
use crate::zkcli::commands::CONFIG_NODE;
use crate::zkcli::wire::{auth_request, keeper_exception_message, keeper_message, version_line};
use crate::zkcli::{format_reply_code, request_for, CliError, ReplyText, ServerCommand, WireStep};
use std::collections::VecDeque;
use std::io::Write;

pub async fn execute(
    session: &mut Session,
    command: ServerCommand,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    match command {
        ServerCommand::Ls {
            path,
            watch,
            recursive: true,
            ..
        } => {
            let client = connected(session, &path, out).await?;
            let mut walk = SubtreeWalk::new(&path, watch);
            while let Some(next) = walk.next(&client, session).await.map_err(failed)? {
                let _ = writeln!(out, "{next}");
            }
            Ok(())
        }
        ServerCommand::DeleteAll { path, batch_size } => {
            let client = connected(session, &path, out).await?;
            let tree = list_subtree_bfs(&client, &path).await.map_err(failed)?;
            if !delete_in_batches(&client, &tree, batch_size).await {
                let _ = writeln!(err, "Failed to delete some node(s) in the subtree!");
            }
            Ok(())
        }
        // Without an ACL it falls through to request_for, which refuses it first, as zkCli does.
        ServerCommand::SetAcl {
            path,
            acl: Some(acl),
            version,
            recursive: true,
            ..
        } => {
            let client = connected(session, &path, out).await?;
            let mut walk = SubtreeWalk::new(&path, false);
            while let Some(next) = walk.next(&client, session).await.map_err(failed)? {
                if let Err(error) = set_acl(&client, &next, &acl, version).await {
                    let message = keeper_exception_message(raw_code(&error), Some(&next));
                    let _ = writeln!(out, "{message}");
                }
            }
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
            // The client's own record decides, as in the Java client, so `format_reply`
            // (which has no such record) is not used here.
            let removed = session
                .watches
                .remove(&path, watcher_type, local, server_result)
                .map_err(|code| CliError::new(keeper_message(code.code(), Some(&path))))?;
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
        ServerCommand::Close => {
            session.close(out).await;
            Ok(())
        }
        ServerCommand::Version => {
            let _ = writeln!(out, "{}", version_line());
            Ok(())
        }
        command => match request_for(&command)? {
            WireStep::Request(request) => round_trip(session, &command, request, out, err).await,
            WireStep::Auth { scheme, auth } => {
                let client = connected(session, "/", out).await?;
                let request = auth_request(&scheme, auth.as_deref());
                session.remember_auth(request.clone());
                // zkCli does not wait for the answer; a refusal shows as an AuthFailed event.
                let _ = client.call(request).await;
                session.print_events(out);
                Ok(())
            }
        },
    }
}

/// A command that is one request: sent, its watch noted, its reply printed.
async fn round_trip(
    session: &mut Session,
    command: &ServerCommand,
    request: Request,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    let client = connected(session, command.path().unwrap_or("/"), out).await?;
    let (code, body) = match client.call(request).await {
        Ok(reply) => (ErrorCode::Ok.code(), reply.body),
        Err(error) => (raw_code(&error), None),
    };
    note_watch(session, command, code);
    print_reply(format_reply_code(command, code, body.as_ref()), out, err)
}

/// Records the watch a call left, as the Java client's `ZKWatchManager` does, so that a
/// reconnect restores it and removewatches finds it. An exists on a missing znode leaves
/// one too.
fn note_watch(session: &mut Session, command: &ServerCommand, code: i32) {
    let ok = code == ErrorCode::Ok.code();
    let watches = &mut session.watches;
    match command {
        ServerCommand::Ls {
            path, watch: true, ..
        } if ok => watches.add_child(path),
        ServerCommand::Get {
            path, watch: true, ..
        }
        | ServerCommand::Stat { path, watch: true }
            if ok =>
        {
            watches.add_data(path)
        }
        ServerCommand::Stat { path, watch: true } if code == ErrorCode::NoNode.code() => {
            watches.add_exist(path)
        }
        ServerCommand::Config { watch: true, .. } if ok => watches.add_data(CONFIG_NODE),
        ServerCommand::AddWatch { path, mode } if ok => watches.add_persistent(path, *mode),
        _ => {}
    }
}

/// Prints a reply's lines. A failure's message (its last line) is returned instead, for the
/// interpreter to print and take the exit status from.
fn print_reply(reply: ReplyText, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), CliError> {
    for line in &reply.out {
        let _ = writeln!(out, "{line}");
    }
    let mut err_lines = reply.err;
    let failure = (reply.exit_code != 0).then(|| err_lines.pop().unwrap_or_default());
    for line in &err_lines {
        let _ = writeln!(err, "{line}");
    }
    match failure {
        None => Ok(()),
        Some(message) => Err(CliError {
            message,
            exit_code: reply.exit_code,
        }),
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

/// getChildren: the children's names in the server's order.
async fn get_children(
    client: &Client,
    path: &str,
    watch: bool,
) -> Result<Vec<String>, ClientError> {
    let request = Request::GetChildren(PathWatchRequest {
        path: path.to_string(),
        watch,
    });
    match client.call(request).await?.body {
        Some(Response::StringList(body)) => Ok(body.names),
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
            let mut children = match get_children(client, &node, self.watch).await {
                Ok(children) => children,
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
        let children = get_children(client, &node, false)
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
fn keeper_error(error: &ClientError, path: Option<&str>) -> CliError {
    CliError::new(keeper_message(raw_code(error), path))
}

/// The numeric code the Java client would report: the server's, or the one it makes up for
/// a lost, expired or closed connection.
fn raw_code(error: &ClientError) -> i32 {
    match error {
        ClientError::UnknownCode(code) => *code,
        _ => error
            .error_code()
            .map_or(ErrorCode::SystemError.code(), ErrorCode::code),
    }
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
}
