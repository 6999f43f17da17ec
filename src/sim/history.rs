//! Client-side checks on recorded histories: what ZooKeeper promises its clients, checked
//! against the ensemble's committed history once a run is over.
//!
//! Every simulated client records its calls ([`Call`]: the request, when it was issued, the
//! zxid the client had seen when it went on the wire, when it was answered) and their
//! outcomes. The committed history is the checker's ([`super::checker::Checker`]): every
//! transaction any server knew committed. Replaying it once into a fresh tree, in zxid order,
//! gives the state after every zxid, against which the recorded answers are compared:
//!
//! - **No acknowledged write is lost**: a write answered Ok at zxid z is the committed
//!   transaction at z (same session, same xid); a write answered with an error that did
//!   become a transaction is that one too. No request is applied twice.
//! - **Writes get the result the history implies**: the answer a write got (a create's name,
//!   sequential suffix included, a setData's Stat, a multi's results) is what applying its
//!   transaction to the committed prefix before it gives.
//! - **Writes are linearizable**: if write A was answered before write B was issued, then
//!   zxid(A) < zxid(B); and a write's zxid is above every zxid its client had seen.
//! - **Reads are sequentially consistent**: a read (exists, getData, getChildren,
//!   getChildren2) answered at zxid h is not older than what its client had seen when it
//!   sent it; h is a zxid of the committed history; and the answer (existence, data, Stat,
//!   children) is the committed state after h.
//!
//! [`check_simulation`] adds one end-of-run comparison: every server that has applied the
//! whole committed history holds the tree the replay gives.

use super::clients::{describe_request, Call, Outcome, SimClient};
use super::Simulation;
use crate::data::tree::DataTree;
use crate::data::types::{ErrorCode, SessionId, Stat, Zxid};
use crate::peer::durable::LogEntry;
use crate::peer::ZabPhase;
use crate::proto::records::{
    GetChildren2Response, GetDataResponse, Request, Response, StatResponse, StringListResponse,
};
use crate::zkserver;
use std::collections::BTreeMap;

/// Every broken promise in the recorded client histories of a finished simulation, and
/// every server at the end of the committed history whose tree is not the replayed one.
pub fn check_simulation(sim: &Simulation) -> Vec<String> {
    let (mut problems, tree) = check_with_tree(sim.clients(), sim.checker().committed_history());
    let last = tree.last_processed_zxid();
    for peer in sim.peers() {
        let at_end = peer.phase() == ZabPhase::Broadcast && peer.applied_zxid() == last;
        if at_end && peer.tree().last_processed_zxid() == last {
            if let Some(difference) = tree_difference(peer.tree(), &tree) {
                problems.push(format!(
                    "server {}'s tree at zxid {last} is not the committed history's: {difference}",
                    peer.myid()
                ));
            }
        }
    }
    problems
}

/// Every broken promise in these clients' recorded histories, judged against the committed
/// history (in any order; it is sorted by zxid here).
pub fn check<'a>(
    clients: impl IntoIterator<Item = &'a SimClient>,
    committed: impl IntoIterator<Item = &'a LogEntry>,
) -> Vec<String> {
    check_with_tree(clients, committed).0
}

/// A request of one client, answered.
struct Answered<'a> {
    client: &'a str,
    xid: i32,
    call: &'a Call,
    err: ErrorCode,
    body: &'a Option<Response>,
    zxid: Zxid,
}

impl Answered<'_> {
    /// "client c0's create /a (xid 4)"
    fn name(&self) -> String {
        format!(
            "client {}'s {} (xid {})",
            self.client,
            describe_request(&self.call.request),
            self.xid
        )
    }
}

fn check_with_tree<'a>(
    clients: impl IntoIterator<Item = &'a SimClient>,
    committed: impl IntoIterator<Item = &'a LogEntry>,
) -> (Vec<String>, DataTree) {
    let mut problems = Vec::new();
    let mut history: Vec<&LogEntry> = committed.into_iter().collect();
    history.sort_by_key(|e| e.zxid());
    // Every state is replayed from this history: it must have no hole (each epoch's
    // transactions count up from 1).
    let mut previous = Zxid::ZERO;
    for entry in &history {
        let zxid = entry.zxid();
        let next = if zxid.epoch() == previous.epoch() {
            zxid.counter() == previous.counter() + 1
        } else {
            zxid.counter() == 1
        };
        if !next {
            problems.push(format!(
                "the committed history has a hole: {previous} is followed by {zxid}"
            ));
        }
        previous = zxid;
    }
    let clients: Vec<&SimClient> = clients.into_iter().collect();
    let sessions: BTreeMap<SessionId, &str> = clients
        .iter()
        .filter(|c| c.session_id != 0)
        .map(|c| (c.session_id, c.name.as_str()))
        .collect();

    // Which committed transaction answers which client request.
    let mut by_request: BTreeMap<(SessionId, i32), Zxid> = BTreeMap::new();
    for entry in &history {
        let key = (entry.header.session_id, entry.header.cxid);
        if key.1 <= 0 || !sessions.contains_key(&key.0) {
            continue;
        }
        if let Some(first) = by_request.insert(key, entry.zxid()) {
            problems.push(format!(
                "client {}'s request xid {} was applied twice: at zxid {first} and {}",
                sessions[&key.0],
                key.1,
                entry.zxid()
            ));
        }
    }
    let at = |zxid: Zxid| {
        history
            .binary_search_by_key(&zxid, |e| e.zxid())
            .ok()
            .map(|i| history[i])
    };

    let mut writes: BTreeMap<Zxid, Answered> = BTreeMap::new();
    let mut reads: Vec<Answered> = Vec::new();
    for client in &clients {
        for (&xid, call) in &client.calls {
            let Some(Outcome::Reply { err, body, zxid }) = client.outcomes.get(&xid) else {
                continue;
            };
            let answered = Answered {
                client: &client.name,
                xid,
                call,
                err: *err,
                body,
                zxid: *zxid,
            };
            if zkserver::is_write(&call.request) {
                let txn_at = by_request.get(&(client.session_id, xid)).copied();
                match txn_at {
                    Some(txn_at) if txn_at == answered.zxid => {
                        if answered.zxid <= call.seen {
                            problems.push(format!(
                                "{} got zxid {}, not above {} which the client had already seen when it sent it",
                                answered.name(),
                                answered.zxid,
                                call.seen
                            ));
                        }
                        writes.insert(answered.zxid, answered);
                    }
                    Some(txn_at) => problems.push(format!(
                        "{} was answered {:?} at zxid {}, but its transaction is committed at {txn_at}",
                        answered.name(),
                        answered.err,
                        answered.zxid
                    )),
                    None if answered.err == ErrorCode::Ok => {
                        let found = match at(answered.zxid) {
                            Some(other) => format!(
                                "holds session {:#x}'s xid {} there",
                                other.header.session_id, other.header.cxid
                            ),
                            None => "has no transaction there".to_string(),
                        };
                        problems.push(format!(
                            "lost acknowledged write: {} was answered Ok at zxid {}, but the committed history {found}",
                            answered.name(),
                            answered.zxid
                        ));
                    }
                    // An error answered without a transaction (refused before it became one).
                    None => {}
                }
            } else if is_checked_read(&call.request) {
                if answered.zxid < call.seen {
                    problems.push(format!(
                        "stale read: {} was answered at zxid {}, older than {} which the client had already seen when it sent it",
                        answered.name(),
                        answered.zxid,
                        call.seen
                    ));
                }
                if answered.zxid != Zxid::ZERO && at(answered.zxid).is_none() {
                    problems.push(format!(
                        "{} was answered at zxid {}, which is not in the committed history",
                        answered.name(),
                        answered.zxid
                    ));
                } else {
                    reads.push(answered);
                }
            }
        }
    }

    // Replay the committed history once, comparing each write's answer as its transaction
    // applies and each read's answer with the state at its zxid.
    reads.sort_by_key(|r| r.zxid);
    let mut pending_reads = reads.iter().peekable();
    let mut tree = DataTree::new();
    for entry in &history {
        while let Some(read) = pending_reads.next_if(|r| r.zxid < entry.zxid()) {
            check_read(&tree, read, &mut problems);
        }
        let outcome = tree.apply(&entry.header, &entry.txn);
        if let Some(write) = writes.get(&entry.zxid()) {
            let expected = zkserver::write_answer(
                entry.header.op,
                &entry.txn,
                &outcome.result,
                &zkserver::multi_ops(&write.call.request),
            );
            if (write.err, write.body) != (expected.0, &expected.1) {
                problems.push(format!(
                    "{} was answered {} at zxid {}, but its committed transaction gives {}",
                    write.name(),
                    show(write.err, write.body),
                    write.zxid,
                    show(expected.0, &expected.1)
                ));
            }
        }
    }
    for read in pending_reads {
        check_read(&tree, read, &mut problems);
    }

    // Real-time order: sweep the writes in the order they were issued, knowing the highest
    // zxid among those answered strictly before.
    let mut by_issue: Vec<&Answered> = writes.values().collect();
    by_issue.sort_by_key(|w| (w.call.issued, w.zxid));
    let mut by_answer: Vec<(&Answered, _)> = writes
        .values()
        .filter_map(|w| w.call.answered.map(|t| (w, t)))
        .collect();
    by_answer.sort_by_key(|(w, t)| (*t, w.zxid));
    let mut answered = by_answer.iter().peekable();
    let mut highest: Option<&Answered> = None;
    for &later in &by_issue {
        while let Some((earlier, _)) = answered.next_if(|(_, t)| *t < later.call.issued) {
            if highest.is_none_or(|h| h.zxid < earlier.zxid) {
                highest = Some(earlier);
            }
        }
        if let Some(earlier) = highest.filter(|h| h.zxid >= later.zxid) {
            problems.push(format!(
                "writes out of real-time order: {} was answered at {} with zxid {}, before {} was issued at {}, which got the lower zxid {}",
                earlier.name(),
                earlier.call.answered.unwrap_or_default(),
                earlier.zxid,
                later.name(),
                later.call.issued,
                later.zxid
            ));
        }
    }
    (problems, tree)
}

/// The reads whose answers are a function of the tree at one zxid.
fn is_checked_read(request: &Request) -> bool {
    matches!(
        request,
        Request::Exists(_)
            | Request::GetData(_)
            | Request::GetChildren(_)
            | Request::GetChildren2(_)
    )
}

/// What the tree answers a read (ACLs aside: the answers compared are Ok or NoNode).
fn read_answer(tree: &DataTree, request: &Request) -> (ErrorCode, Option<Response>) {
    let answer = match request {
        Request::Exists(r) => tree
            .stat(&r.path)
            .map(|stat| Response::Stat(StatResponse { stat })),
        Request::GetData(r) => tree.node(&r.path).map(|node| {
            Response::Data(GetDataResponse {
                data: node.data.map(<[u8]>::to_vec),
                stat: node.stat,
            })
        }),
        Request::GetChildren(r) => tree
            .children(&r.path)
            .map(|names| Response::StringList(StringListResponse { names })),
        Request::GetChildren2(r) => tree
            .children(&r.path)
            .zip(tree.stat(&r.path))
            .map(|(children, stat)| Response::Children2(GetChildren2Response { children, stat })),
        _ => return (ErrorCode::Ok, None),
    };
    match answer {
        Some(body) => (ErrorCode::Ok, Some(body)),
        None => (ErrorCode::NoNode, None),
    }
}

fn check_read(tree: &DataTree, read: &Answered, problems: &mut Vec<String>) {
    if !matches!(read.err, ErrorCode::Ok | ErrorCode::NoNode) {
        return;
    }
    let expected = read_answer(tree, &read.call.request);
    if (read.err, read.body.as_ref()) == (expected.0, expected.1.as_ref()) {
        return;
    }
    let got = (read.err, read.body.clone().map(sorted));
    if got != (expected.0, expected.1.clone().map(sorted)) {
        problems.push(format!(
            "{} was answered at zxid {} with {}, but the committed state after {} gives {}",
            read.name(),
            read.zxid,
            show(got.0, &got.1),
            read.zxid,
            show(expected.0, &expected.1)
        ));
    }
}

/// Children in name order: their order in an answer is not part of the promise.
fn sorted(body: Response) -> Response {
    match body {
        Response::StringList(mut list) => {
            list.names.sort();
            Response::StringList(list)
        }
        Response::Children2(mut list) => {
            list.children.sort();
            Response::Children2(list)
        }
        other => other,
    }
}

/// An answer, short: the error, and for Ok the parts of the body a reader compares.
fn show(err: ErrorCode, body: &Option<Response>) -> String {
    let stat = |s: &Stat| {
        format!(
            "version {} cversion {} mzxid {} pzxid {}",
            s.version,
            s.cversion,
            Zxid(s.mzxid),
            Zxid(s.pzxid)
        )
    };
    let body = match body {
        None => return format!("{err:?}"),
        Some(Response::Path(p)) => format!("path {}", p.path),
        Some(Response::Create2(c)) => format!("path {} ({})", c.path, stat(&c.stat)),
        Some(Response::Stat(s)) => stat(&s.stat),
        Some(Response::Data(d)) => format!("data {:?} ({})", d.data, stat(&d.stat)),
        Some(Response::StringList(l)) => format!("children {:?}", l.names),
        Some(Response::Children2(l)) => {
            format!("children {:?} ({})", l.children, stat(&l.stat))
        }
        Some(other) => format!("{other:?}"),
    };
    format!("{err:?}, {body}")
}

/// The first znode in which two trees differ, described; `None` if they are the same.
fn tree_difference(actual: &DataTree, expected: &DataTree) -> Option<String> {
    let mut a = actual.iter();
    let mut e = expected.iter();
    loop {
        match (a.next(), e.next()) {
            (None, None) => return None,
            (Some(node), None) => return Some(format!("{} should not exist", node.path)),
            (None, Some(node)) => return Some(format!("{} is missing", node.path)),
            (Some(x), Some(y)) if x.path != y.path => {
                return Some(format!("{} where {} should be", x.path, y.path))
            }
            (Some(x), Some(y)) => {
                let same = x.data == y.data
                    && x.stat == y.stat
                    && x.acl == y.acl
                    && x.ephemeral_owner == y.ephemeral_owner;
                if !same {
                    return Some(format!(
                        "{} holds {:?} ({:?}), the history gives {:?} ({:?})",
                        x.path, x.data, x.stat, y.data, y.stat
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::txn::{Txn, TxnHeader};
    use crate::data::types::{Acl, CreateMode, OpCode};
    use crate::proto::records::{
        CreateRequest, DeleteRequest, PathResponse, PathWatchRequest, SetDataRequest,
    };
    use crate::sim::clients::ClientState;
    use crate::sim::test_support::{assert_no_violations, elected, run_for};
    use crate::sim::{Command, SimConfig};
    use crate::time::VirtualTime;

    fn create(path: &str, mode: CreateMode) -> Request {
        Request::Create(CreateRequest {
            path: path.to_string(),
            data: Some(b"x".to_vec()),
            acl: Acl::open_unsafe(),
            flags: mode.flag(),
        })
    }

    fn get_data(path: &str) -> Request {
        Request::GetData(PathWatchRequest {
            path: path.to_string(),
            watch: false,
        })
    }

    #[test]
    fn a_run_with_writes_and_reads_from_several_clients_has_a_clean_history() {
        let mut sim = Simulation::new(SimConfig {
            servers: 3,
            seed: 11,
            ..SimConfig::default()
        })
        .expect("valid config");
        let leader = elected(&mut sim);
        let follower = sim
            .server_ids()
            .into_iter()
            .find(|&id| id != leader)
            .unwrap();
        for (name, server) in [("w", leader), ("r", follower)] {
            sim.command(Command::AddClient {
                name: name.to_string(),
                server,
                timeout_ms: 6000,
            });
        }
        run_for(&mut sim, 2000);
        let path = |p: &str| PathWatchRequest {
            path: p.to_string(),
            watch: false,
        };
        for round in 0..20u8 {
            let writes = [
                create("/a", CreateMode::Persistent),
                create("/seq-", CreateMode::PersistentSequential),
                Request::SetData(SetDataRequest {
                    path: "/a".to_string(),
                    data: Some(vec![round]),
                    version: -1,
                }),
                Request::Delete(DeleteRequest {
                    path: "/a".to_string(),
                    version: -1,
                }),
            ];
            sim.client_request("w", writes[usize::from(round) % 4].clone());
            sim.client_request("r", get_data("/a"));
            sim.client_request("r", Request::Exists(path("/a")));
            sim.client_request("w", Request::GetChildren2(path("/")));
            run_for(&mut sim, 150);
        }
        run_for(&mut sim, 5000);
        assert_no_violations(&sim);
        let answered_reads = sim
            .clients()
            .flat_map(|c| c.calls.values())
            .filter(|call| is_checked_read(&call.request) && call.answered.is_some())
            .count();
        assert_eq!(answered_reads, 60);
        assert!(sim.clients().all(|c| c.state == ClientState::Connected));
        assert_eq!(check_simulation(&sim), Vec::<String>::new());
    }

    // ---- hand-made histories ----

    const SESSION_A: SessionId = 0x100_0000_0000_0000;
    const SESSION_B: SessionId = 0x200_0000_0000_0000;

    fn entry(session: SessionId, cxid: i32, zxid: Zxid, op: OpCode, txn: Txn) -> LogEntry {
        LogEntry {
            header: TxnHeader {
                session_id: session,
                cxid,
                zxid,
                time_ms: 1000,
                op,
            },
            txn: txn.into(),
        }
    }

    fn session(session: SessionId, zxid: Zxid) -> LogEntry {
        entry(
            session,
            0,
            zxid,
            OpCode::CreateSession,
            Txn::CreateSession { timeout_ms: 6000 },
        )
    }

    fn created(session: SessionId, cxid: i32, zxid: Zxid, path: &str) -> LogEntry {
        let txn = Txn::Create {
            path: path.to_string(),
            data: Some(b"x".to_vec()),
            acl: Acl::open_unsafe(),
            ephemeral_owner: 0,
            parent_cversion: -1,
        };
        entry(session, cxid, zxid, OpCode::Create, txn)
    }

    fn client(name: &str, session: SessionId) -> SimClient {
        let mut client = SimClient::new(name.to_string(), 1, 6000);
        client.session_id = session;
        client
    }

    /// Records one answered call: issued and answered at these milliseconds, with the zxid
    /// the client had seen when it sent it.
    #[allow(clippy::too_many_arguments)]
    fn answered(
        client: &mut SimClient,
        xid: i32,
        request: Request,
        (issued, answered): (u64, u64),
        seen: Zxid,
        err: ErrorCode,
        body: Option<Response>,
        zxid: Zxid,
    ) {
        client.calls.insert(
            xid,
            Call {
                request,
                issued: VirtualTime::from_millis(issued),
                seen,
                answered: Some(VirtualTime::from_millis(answered)),
            },
        );
        client
            .outcomes
            .insert(xid, Outcome::Reply { err, body, zxid });
    }

    fn path_reply(path: &str) -> Option<Response> {
        Some(Response::Path(PathResponse {
            path: path.to_string(),
        }))
    }

    #[test]
    fn a_history_that_matches_the_committed_one_passes() {
        let history = [
            session(SESSION_A, Zxid::new(1, 1)),
            created(SESSION_A, 1, Zxid::new(1, 2), "/a"),
        ];
        let mut a = client("a", SESSION_A);
        let request = create("/a", CreateMode::Persistent);
        answered(
            &mut a,
            1,
            request,
            (10, 20),
            Zxid::new(1, 1),
            ErrorCode::Ok,
            path_reply("/a"),
            Zxid::new(1, 2),
        );
        assert_eq!(check([&a], &history), Vec::<String>::new());
    }

    #[test]
    fn an_acknowledged_write_missing_from_the_committed_history_is_reported_lost() {
        let history = [session(SESSION_A, Zxid::new(1, 1))];
        let mut a = client("a", SESSION_A);
        let request = create("/a", CreateMode::Persistent);
        answered(
            &mut a,
            1,
            request,
            (10, 20),
            Zxid::new(1, 1),
            ErrorCode::Ok,
            path_reply("/a"),
            Zxid::new(1, 2),
        );
        assert_eq!(
            check([&a], &history),
            vec![
                "lost acknowledged write: client a's create /a (xid 1) was answered Ok at zxid 1:2, \
                 but the committed history has no transaction there"
                    .to_string()
            ]
        );
    }

    #[test]
    fn an_acknowledged_write_whose_zxid_holds_another_request_is_reported_lost() {
        let history = [
            session(SESSION_A, Zxid::new(1, 1)),
            session(SESSION_B, Zxid::new(1, 2)),
            created(SESSION_B, 1, Zxid::new(1, 3), "/b"),
        ];
        let mut a = client("a", SESSION_A);
        let request = create("/a", CreateMode::Persistent);
        answered(
            &mut a,
            1,
            request,
            (10, 20),
            Zxid::new(1, 1),
            ErrorCode::Ok,
            path_reply("/a"),
            Zxid::new(1, 3),
        );
        assert_eq!(
            check([&a], &history),
            vec![format!(
                "lost acknowledged write: client a's create /a (xid 1) was answered Ok at zxid 1:3, \
                 but the committed history holds session {SESSION_B:#x}'s xid 1 there"
            )]
        );
    }

    #[test]
    fn a_sequential_name_other_than_the_committed_one_is_reported() {
        let history = [
            session(SESSION_A, Zxid::new(1, 1)),
            created(SESSION_A, 1, Zxid::new(1, 2), "/s0000000000"),
        ];
        let mut a = client("a", SESSION_A);
        let request = create("/s", CreateMode::PersistentSequential);
        answered(
            &mut a,
            1,
            request,
            (10, 20),
            Zxid::new(1, 1),
            ErrorCode::Ok,
            path_reply("/s0000000001"),
            Zxid::new(1, 2),
        );
        assert_eq!(
            check([&a], &history),
            vec![
                "client a's create /s (xid 1) was answered Ok, path /s0000000001 at zxid 1:2, \
                 but its committed transaction gives Ok, path /s0000000000"
                    .to_string()
            ]
        );
    }

    #[test]
    fn a_read_older_than_a_newer_read_the_client_had_seen_is_reported_stale() {
        let history = [
            session(SESSION_A, Zxid::new(1, 1)),
            created(SESSION_A, 1, Zxid::new(1, 2), "/a"),
        ];
        let mut a = client("a", SESSION_A);
        let (seen_then, newer) = (Zxid::new(1, 1), Zxid::new(1, 2));
        let stat = {
            let mut tree = DataTree::new();
            for e in &history {
                tree.apply(&e.header, &e.txn);
            }
            tree.stat("/a").unwrap()
        };
        // The first read saw /a as of 1:2; the second, sent after it, is answered as of 1:1.
        answered(
            &mut a,
            1,
            get_data("/a"),
            (10, 20),
            seen_then,
            ErrorCode::Ok,
            Some(Response::Data(GetDataResponse {
                data: Some(b"x".to_vec()),
                stat,
            })),
            newer,
        );
        answered(
            &mut a,
            2,
            get_data("/a"),
            (30, 40),
            newer,
            ErrorCode::NoNode,
            None,
            seen_then,
        );
        assert_eq!(
            check([&a], &history),
            vec![
                "stale read: client a's getdata /a (xid 2) was answered at zxid 1:1, \
                 older than 1:2 which the client had already seen when it sent it"
                    .to_string()
            ]
        );
    }

    #[test]
    fn a_read_answer_other_than_the_committed_state_at_its_zxid_is_reported() {
        let history = [
            session(SESSION_A, Zxid::new(1, 1)),
            created(SESSION_A, 1, Zxid::new(1, 2), "/a"),
        ];
        let mut a = client("a", SESSION_A);
        // Answered as of 1:2, when /a existed, yet NoNode.
        answered(
            &mut a,
            1,
            get_data("/a"),
            (10, 20),
            Zxid::new(1, 1),
            ErrorCode::NoNode,
            None,
            Zxid::new(1, 2),
        );
        let problems = check([&a], &history);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with(
                "client a's getdata /a (xid 1) was answered at zxid 1:2 with NoNode, \
                 but the committed state after 1:2 gives Ok, data Some([120])"
            ),
            "{problems:?}"
        );
    }

    #[test]
    fn writes_whose_zxids_contradict_real_time_order_are_reported() {
        let history = [
            session(SESSION_A, Zxid::new(1, 1)),
            session(SESSION_B, Zxid::new(1, 2)),
            created(SESSION_B, 1, Zxid::new(1, 3), "/b"),
            created(SESSION_A, 1, Zxid::new(1, 4), "/a"),
        ];
        let (mut a, mut b) = (client("a", SESSION_A), client("b", SESSION_B));
        // a's write was answered at 100 ms with 1:4; b's was issued later, at 200 ms, and got 1:3.
        let create_a = create("/a", CreateMode::Persistent);
        answered(
            &mut a,
            1,
            create_a,
            (50, 100),
            Zxid::new(1, 1),
            ErrorCode::Ok,
            path_reply("/a"),
            Zxid::new(1, 4),
        );
        let create_b = create("/b", CreateMode::Persistent);
        answered(
            &mut b,
            1,
            create_b,
            (200, 250),
            Zxid::new(1, 2),
            ErrorCode::Ok,
            path_reply("/b"),
            Zxid::new(1, 3),
        );
        assert_eq!(
            check([&a, &b], &history),
            vec![
                "writes out of real-time order: client a's create /a (xid 1) was answered at 0.100s \
                 with zxid 1:4, before client b's create /b (xid 1) was issued at 0.200s, which got \
                 the lower zxid 1:3"
                    .to_string()
            ]
        );
    }

    #[test]
    fn a_request_applied_twice_and_a_hole_in_the_history_are_reported() {
        let history = [
            session(SESSION_A, Zxid::new(1, 1)),
            created(SESSION_A, 1, Zxid::new(1, 2), "/a"),
            created(SESSION_A, 1, Zxid::new(1, 4), "/a"),
        ];
        let a = client("a", SESSION_A);
        assert_eq!(
            check([&a], &history),
            vec![
                "the committed history has a hole: 1:2 is followed by 1:4".to_string(),
                "client a's request xid 1 was applied twice: at zxid 1:2 and 1:4".to_string(),
            ]
        );
    }
}
