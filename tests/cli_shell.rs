//! `zooscope cli` against a real server (see `cli_support`): a script's output pinned line
//! for line to what zkCli.sh 3.8.0 printed for it, one-shot commands and their exit status,
//! and the session commands. One server serves every scenario, to keep the run short.

mod cli_support;

use cli_support::TestServer;
use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `zooscope cli -server ADDRESS ARGS...` with `script` on standard input.
fn zooscope_cli(address: &str, args: &[&str], script: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zooscope"))
        .args(["cli", "-server", address])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zooscope runs");
    child
        .stdin
        .take()
        .expect("a stdin pipe")
        .write_all(script.as_bytes())
        .expect("the script is written");
    child.wait_with_output().expect("zooscope finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Times depend on the clock; everything else zkCli prints is compared as is.
fn without_times(output: &str) -> String {
    output
        .lines()
        .map(|line| {
            if line.starts_with("ctime = ") || line.starts_with("mtime = ") {
                format!("{} = <time>", &line[..5])
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Runs each scenario in turn, naming it first so that a failure says which one it was.
macro_rules! run_scenarios {
    ($address:expr, $($scenario:ident),* $(,)?) => {
        $(
            eprintln!("scenario: {}", stringify!($scenario));
            $scenario($address);
        )*
    };
}

#[test]
fn zooscope_cli_against_a_real_server() {
    let Some(server) = TestServer::start("zooscope_cli_against_a_real_server") else {
        return;
    };
    let address = server.address();
    run_scenarios!(
        &address,
        a_script_prints_exactly_what_zkcli_printed,
        one_shot_commands_exit_with_their_status,
        a_closed_session_is_not_connected_until_connect,
        the_exit_status_of_a_script_is_its_last_commands,
    );
    drop(server);
}

/// Runs first, on a fresh server, so that even the zxids are zkCli's.
fn a_script_prints_exactly_what_zkcli_printed(address: &str) {
    let output = zooscope_cli(address, &[], ZKCLI_SCRIPT);
    assert_eq!(
        without_times(&text(&output.stdout)),
        ZKCLI_STDOUT.replace("<address>", address)
    );
    // zkCli prefixes option errors with the Java exception's class name; zooscope does not.
    assert_eq!(text(&output.stderr), ZKCLI_STDERR);
}

fn one_shot_commands_exit_with_their_status(address: &str) {
    let banner = format!(
        "Connecting to {address}\n\nWATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null\n"
    );
    let created = zooscope_cli(address, &["create", "/one", "data with spaces"], "");
    assert_eq!(created.status.code(), Some(0));
    assert_eq!(text(&created.stdout), banner);
    assert_eq!(text(&created.stderr), "Created /one\n");

    let read = zooscope_cli(address, &["get", "/one"], "");
    assert_eq!(read.status.code(), Some(0));
    assert_eq!(text(&read.stdout), format!("{banner}data with spaces\n"));

    let missing = zooscope_cli(address, &["get", "/nope"], "");
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(text(&missing.stderr), "Node does not exist: /nope\n");

    let usage = zooscope_cli(address, &["set", "/one"], "");
    assert_eq!(usage.status.code(), Some(1));
    assert_eq!(text(&usage.stderr), "set [-s] [-v version] path data\n");

    let unknown = zooscope_cli(address, &["frobnicate"], "");
    assert_eq!(unknown.status.code(), Some(127));
    assert!(text(&unknown.stderr).ends_with("Command not found: frobnicate\n"));
}

fn a_closed_session_is_not_connected_until_connect(address: &str) {
    let script = format!("close\nls /one\nconnect {address}\nls /one\n");
    let output = zooscope_cli(address, &[], &script);
    let stdout = text(&output.stdout);
    let after_banner = stdout
        .split_once("JLine support is disabled\n")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let connected = "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null\n";
    let closed = "\nWATCHER::\n\nWatchedEvent state:Closed type:None path:null\n";
    assert_eq!(
        after_banner,
        format!("{connected}{closed}Not connected\n{connected}[]\n")
    );
    assert_eq!(output.status.code(), Some(0));
}

fn the_exit_status_of_a_script_is_its_last_commands(address: &str) {
    let failed_last = zooscope_cli(address, &[], "ls /\nget /nope\n");
    assert_eq!(failed_last.status.code(), Some(1));
    let succeeded_last = zooscope_cli(address, &[], "get /nope\nls /\n");
    assert_eq!(succeeded_last.status.code(), Some(0));
}

/// A script run through zkCli.sh 3.8.0 (`zkCli.sh -server ... < script`) on a fresh server.
const ZKCLI_SCRIPT: &str = r#"create /sh hello
create /sh again
create /sh/b
create -s /sh/s- x
create -e /sh/e y
ls /sh
ls -s /sh
get -s /sh
set -v 99 /sh x
get -w /sh
set /sh world
stat /sh/nope
delete /sh
ls -R /sh
create /sh/b/c
getAcl /sh/b
setAcl /sh/b world:anyone:r
create /sh/b/d
getAllChildrenNumber /sh
getEphemerals /sh
sync /sh
ls -w /sh
removewatches /sh -c
removewatches /sh -c
addWatch /sh/b
set /sh/b/c v
removewatches /sh/b
create /sh/q "two words"
get /sh/q
create noslash
ls -x /sh
deleteall /sh
ls /
"#;

/// What zkCli.sh printed on stdout for `ZKCLI_SCRIPT`, times replaced.
const ZKCLI_STDOUT: &str = r#"Connecting to <address>
Welcome to ZooKeeper!
JLine support is disabled

WATCHER::

WatchedEvent state:SyncConnected type:None path:null
[b, e, s-0000000001]
[b, e, s-0000000001]
cZxid = 0x2
ctime = <time>
mZxid = 0x2
mtime = <time>
pZxid = 0x6
cversion = 3
dataVersion = 0
aclVersion = 0
ephemeralOwner = 0x0
dataLength = 5
numChildren = 3
hello
cZxid = 0x2
ctime = <time>
mZxid = 0x2
mtime = <time>
pZxid = 0x6
cversion = 3
dataVersion = 0
aclVersion = 0
ephemeralOwner = 0x0
dataLength = 5
numChildren = 3
hello

WATCHER::

WatchedEvent state:SyncConnected type:NodeDataChanged path:/sh
/sh
/sh/b
/sh/e
/sh/s-0000000001
'world,'anyone
: cdrwa
4
[/sh/e]
Sync is OK
[b, e, s-0000000001]

WATCHER::

WatchedEvent state:SyncConnected type:ChildWatchRemoved path:/sh

WATCHER::

WatchedEvent state:SyncConnected type:NodeDataChanged path:/sh/b/c

WATCHER::

WatchedEvent state:SyncConnected type:PersistentWatchRemoved path:/sh/b
two words
[sh, zookeeper]
"#;

/// What zkCli.sh printed on stderr, less its log lines and exception class names.
const ZKCLI_STDERR: &str = r#"Created /sh
Node already exists: /sh
Created /sh/b
Created /sh/s-0000000001
Created /sh/e
version No is not valid : /sh
Node does not exist: /sh/nope
Node not empty: /sh
Created /sh/b/c
Insufficient permission : /sh/b/d
KeeperErrorCode = No such watcher for /sh
Created /sh/q
Path must start with / character
Unrecognized option: -x
Failed to delete some node(s) in the subtree!
"#;
