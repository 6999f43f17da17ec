//! The request pipeline end to end: inputs in, outputs out, as a runtime would drive it.

use super::*;
use crate::data::types::{Acl, Id, Stat};
use crate::proto::records::{
    AddWatchRequest, AuthPacket, CreateRequest, DeleteRequest, GetDataResponse, MultiOp,
    PathRequest, PathWatchRequest, SetAclRequest, SetDataRequest,
};
use core::net::Ipv4Addr;

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Drives a server like a runtime would; by default it makes every transaction durable at
/// once, so tests read like a client's view.
struct Harness {
    server: ZkServer,
    now: u64,
    auto_persist: bool,
    logged: Vec<(TxnHeader, Txn)>,
    next_xid: BTreeMap<ConnId, i32>,
}

impl Harness {
    fn new() -> Self {
        Self::with(|_| {})
    }

    fn with(change: impl FnOnce(&mut ZkServerConfig)) -> Self {
        let mut config = ZkServerConfig::standalone(2000);
        config.extended_types_enabled = true;
        config.started_ms = 1_700_000_000_000;
        change(&mut config);
        Harness {
            server: ZkServer::new(config),
            now: 1_000,
            auto_persist: true,
            logged: Vec::new(),
            next_xid: BTreeMap::new(),
        }
    }

    fn input(&mut self, input: Input) -> Vec<Output> {
        self.server
            .handle(VirtualTime::from_millis(self.now), input);
        let mut outputs = Vec::new();
        loop {
            let mut newest_logged = None;
            while let Some(output) = self.server.poll_output() {
                if let Output::Persist { header, txn } = &output {
                    newest_logged = Some(header.zxid);
                    self.logged.push((header.clone(), Txn::clone(txn)));
                }
                outputs.push(output);
            }
            match newest_logged {
                Some(through) if self.auto_persist => {
                    self.server.handle(
                        VirtualTime::from_millis(self.now),
                        Input::Persisted { through },
                    );
                }
                _ => return outputs,
            }
        }
    }

    fn connect_with(&mut self, conn: ConnId, session_id: i64, passwd: Vec<u8>) -> Vec<Output> {
        self.input(Input::Connect {
            conn,
            client: LOCALHOST,
            request: ConnectRequest {
                protocol_version: 0,
                last_zxid_seen: Zxid(0),
                timeout_ms: 10_000,
                session_id,
                passwd,
                read_only: Some(false),
            },
        })
    }

    fn connect(&mut self, conn: ConnId) -> ConnectResponse {
        connected(&self.connect_with(conn, 0, vec![0; 16])).expect("a new session is answered")
    }

    fn send(&mut self, conn: ConnId, request: Request) -> Vec<Output> {
        let xid = self.next_xid.entry(conn).or_insert(0);
        *xid += 1;
        let header = RequestHeader {
            xid: *xid,
            op_code: request.op_code(),
        };
        self.input(Input::Request {
            conn,
            header,
            request,
        })
    }

    /// Sends a request and returns the reply to it (error code and body).
    fn call(&mut self, conn: ConnId, request: Request) -> (ErrorCode, Option<Response>) {
        let outputs = self.send(conn, request);
        let xid = self.next_xid[&conn];
        outputs
            .into_iter()
            .find_map(|output| match output {
                Output::Reply {
                    conn: to,
                    header,
                    body,
                } if to == conn && header.xid == xid => {
                    Some((ErrorCode::from_code(header.err).expect("known code"), body))
                }
                _ => None,
            })
            .expect("the request is answered")
    }

    fn advance(&mut self, ms: u64) -> Vec<Output> {
        self.now += ms;
        self.input(Input::Tick)
    }
}

fn connected(outputs: &[Output]) -> Option<ConnectResponse> {
    outputs.iter().find_map(|output| match output {
        Output::Connected { response, .. } => Some(response.clone()),
        _ => None,
    })
}

fn notifications(outputs: &[Output], to: ConnId) -> Vec<(i32, String)> {
    outputs
        .iter()
        .filter_map(|output| match output {
            Output::Notify { conn, event } if *conn == to => {
                Some((event.event_type, event.path.clone()))
            }
            _ => None,
        })
        .collect()
}

fn without_wakeups(outputs: Vec<Output>) -> Vec<Output> {
    outputs
        .into_iter()
        .filter(|o| !matches!(o, Output::WakeAt(_)))
        .collect()
}

fn closed(outputs: &[Output], conn: ConnId) -> bool {
    outputs.contains(&Output::Close { conn })
}

fn create(path: &str, data: &[u8], flags: i32) -> Request {
    Request::Create2(CreateRequest {
        path: path.to_string(),
        data: Some(data.to_vec()),
        acl: Acl::open_unsafe(),
        flags,
    })
}

fn get(path: &str, watch: bool) -> Request {
    Request::GetData(PathWatchRequest {
        path: path.to_string(),
        watch,
    })
}

fn exists(path: &str, watch: bool) -> Request {
    Request::Exists(PathWatchRequest {
        path: path.to_string(),
        watch,
    })
}

fn set(path: &str, data: &[u8], version: i32) -> Request {
    Request::SetData(SetDataRequest {
        path: path.to_string(),
        data: Some(data.to_vec()),
        version,
    })
}

fn delete(path: &str) -> Request {
    Request::Delete(DeleteRequest {
        path: path.to_string(),
        version: -1,
    })
}

fn created_stat(reply: (ErrorCode, Option<Response>)) -> Stat {
    match reply {
        (ErrorCode::Ok, Some(Response::Create2(created))) => created.stat,
        other => panic!("expected a create2 reply, got {other:?}"),
    }
}

#[test]
fn new_session_is_answered_after_its_create_session_txn_is_durable() {
    let mut harness = Harness::new();
    harness.auto_persist = false;
    let outputs = harness.connect_with(1, 0, vec![0; 16]);
    assert!(connected(&outputs).is_none(), "not before the log says so");
    let Some(Output::Persist { header, txn }) = outputs.first() else {
        panic!("the session's creation is logged first: {outputs:?}");
    };
    assert_eq!(header.zxid, Zxid(1));
    assert_eq!(**txn, Txn::CreateSession { timeout_ms: 10_000 });
    let outputs = harness.input(Input::Persisted { through: Zxid(1) });
    let response = connected(&outputs).expect("answered once durable");
    assert_eq!(response.timeout_ms, 10_000);
    assert_eq!(
        response.passwd,
        session_password(response.session_id).to_vec()
    );
    assert_eq!(
        response.read_only,
        Some(false),
        "echoed because the client sent it"
    );
}

#[test]
fn session_timeout_is_clamped_to_the_configured_bounds() {
    let mut harness = Harness::new();
    let outputs = harness.input(Input::Connect {
        conn: 1,
        client: LOCALHOST,
        request: ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: Zxid(0),
            timeout_ms: 1,
            session_id: 0,
            passwd: vec![0; 16],
            read_only: None,
        },
    });
    let response = connected(&outputs).unwrap();
    assert_eq!(response.timeout_ms, 4000, "two ticks at least");
    assert_eq!(response.read_only, None, "not echoed to an old client");
}

#[test]
fn create_then_get_returns_data_and_exact_stat() {
    let mut harness = Harness::new();
    harness.connect(1);
    let stat = created_stat(harness.call(1, create("/a", b"hello", 0)));
    assert_eq!(stat.czxid, 2, "zxid 1 went to the session");
    assert_eq!((stat.mzxid, stat.pzxid), (2, 2));
    assert_eq!((stat.ctime, stat.mtime), (1000, 1000));
    assert_eq!((stat.version, stat.cversion, stat.aversion), (0, 0, 0));
    assert_eq!(
        (stat.data_length, stat.num_children, stat.ephemeral_owner),
        (5, 0, 0)
    );
    match harness.call(1, get("/a", false)) {
        (ErrorCode::Ok, Some(Response::Data(GetDataResponse { data, stat: read }))) => {
            assert_eq!(data.as_deref(), Some(&b"hello"[..]));
            assert_eq!(read, stat);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_refused_write_still_consumes_a_zxid() {
    let mut harness = Harness::new();
    harness.connect(1);
    harness.call(1, create("/a", b"", 0));
    assert_eq!(
        harness.call(1, create("/a", b"", 0)).0,
        ErrorCode::NodeExists
    );
    let stat = created_stat(harness.call(1, create("/b", b"", 0)));
    assert_eq!(stat.czxid, 4, "session 1, /a 2, the refused create 3");
}

#[test]
fn reads_wait_behind_writes_that_are_not_yet_durable() {
    let mut harness = Harness::new();
    harness.connect(1);
    harness.auto_persist = false;
    let outputs = harness.send(1, create("/a", b"v", 0));
    assert!(!outputs.iter().any(|o| matches!(o, Output::Reply { .. })));
    let outputs = harness.send(1, exists("/a", false));
    assert!(
        !outputs.iter().any(|o| matches!(o, Output::Reply { .. })),
        "the read must not overtake the write"
    );
    let outputs = harness.input(Input::Persisted { through: Zxid(2) });
    let replies: Vec<(i32, i32)> = outputs
        .iter()
        .filter_map(|o| match o {
            Output::Reply { header, .. } => Some((header.xid, header.err)),
            _ => None,
        })
        .collect();
    assert_eq!(
        replies,
        vec![(1, 0), (2, 0)],
        "both answered, in order, and the read sees /a"
    );
}

#[test]
fn pipelined_writes_see_each_other_before_they_are_durable() {
    let mut harness = Harness::new();
    harness.connect(1);
    harness.auto_persist = false;
    harness.send(1, create("/p", b"", 0));
    harness.send(1, create("/p/c", b"", 0));
    let outputs = harness.input(Input::Persisted { through: Zxid(3) });
    let errors: Vec<i32> = outputs
        .iter()
        .filter_map(|o| match o {
            Output::Reply { header, .. } => Some(header.err),
            _ => None,
        })
        .collect();
    assert_eq!(errors, vec![0, 0]);
    assert_eq!(
        harness.server.tree().children("/p"),
        Some(vec!["c".to_string()])
    );
}

#[test]
fn data_watch_fires_before_the_write_that_triggered_it_is_answered() {
    let mut harness = Harness::new();
    harness.connect(1);
    harness.call(1, create("/w", b"1", 0));
    harness.call(1, get("/w", true));
    let outputs = harness.send(1, set("/w", b"2", -1));
    let notify = outputs
        .iter()
        .position(|o| matches!(o, Output::Notify { .. }));
    let reply = outputs
        .iter()
        .position(|o| matches!(o, Output::Reply { .. }));
    assert!(notify.is_some() && notify < reply, "{outputs:?}");
    assert_eq!(
        notifications(&outputs, 1),
        vec![(EventType::NodeDataChanged.code(), "/w".to_string())]
    );
    let again = harness.send(1, set("/w", b"3", -1));
    assert!(
        notifications(&again, 1).is_empty(),
        "a data watch fires once"
    );
}

#[test]
fn exists_watch_on_a_missing_node_fires_when_another_session_creates_it() {
    let mut harness = Harness::new();
    harness.connect(1);
    harness.connect(2);
    assert_eq!(harness.call(1, exists("/later", true)).0, ErrorCode::NoNode);
    let outputs = harness.send(2, create("/later", b"", 0));
    assert_eq!(
        notifications(&outputs, 1),
        vec![(EventType::NodeCreated.code(), "/later".to_string())]
    );
}

#[test]
fn closing_a_session_deletes_its_ephemerals_and_tells_the_watchers() {
    let mut harness = Harness::new();
    let owner = harness.connect(1).session_id;
    harness.connect(2);
    let stat = created_stat(harness.call(1, create("/lock", b"", 1)));
    assert_eq!(stat.ephemeral_owner, owner);
    harness.call(2, exists("/lock", true));
    let outputs = harness.send(1, Request::CloseSession);
    assert_eq!(
        notifications(&outputs, 2),
        vec![(EventType::NodeDeleted.code(), "/lock".to_string())]
    );
    assert!(closed(&outputs, 1));
    assert!(!harness.server.tree().exists("/lock"));
    assert!(harness.server.sessions().get(owner).is_none());
}

#[test]
fn ephemeral_nodes_cannot_have_children() {
    let mut harness = Harness::new();
    harness.connect(1);
    harness.call(1, create("/e", b"", 1));
    assert_eq!(
        harness.call(1, create("/e/c", b"", 0)).0,
        ErrorCode::NoChildrenForEphemerals
    );
}

#[test]
fn an_idle_session_expires_and_its_ephemerals_go() {
    let mut harness = Harness::new();
    let response = harness.connect(1);
    harness.connect(2);
    harness.call(1, create("/eph", b"", 1));
    harness.call(2, exists("/eph", true));
    // Client 2 keeps pinging; client 1 is silent.
    let mut fired = Vec::new();
    for _ in 0..8 {
        harness.send(2, Request::Ping);
        fired.extend(notifications(&harness.advance(2000), 2));
    }
    assert_eq!(
        fired,
        vec![(EventType::NodeDeleted.code(), "/eph".to_string())]
    );
    assert!(harness.server.sessions().get(response.session_id).is_none());
    // Reconnecting to the expired session is refused with session 0, then closed.
    let outputs = harness.connect_with(3, response.session_id, response.passwd.clone());
    assert_eq!(
        connected(&outputs).map(|r| (r.session_id, r.timeout_ms)),
        Some((0, 0))
    );
    assert!(closed(&outputs, 3));
}

#[test]
fn pings_keep_a_session_alive() {
    let mut harness = Harness::new();
    let session = harness.connect(1).session_id;
    for _ in 0..20 {
        let outputs = harness.send(1, Request::Ping);
        assert!(outputs
            .iter()
            .any(|o| matches!(o, Output::Reply { header, .. } if header.xid == PING_XID)));
        harness.advance(3000);
    }
    assert!(harness.server.sessions().get(session).is_some());
}

#[test]
fn reconnecting_with_the_password_resumes_the_session_and_a_wrong_one_is_refused() {
    let mut harness = Harness::new();
    let first = harness.connect(1);
    harness.input(Input::ConnectionLost { conn: 1 });
    let resumed =
        connected(&harness.connect_with(2, first.session_id, first.passwd.clone())).unwrap();
    assert_eq!(
        (resumed.session_id, resumed.timeout_ms),
        (first.session_id, first.timeout_ms)
    );
    assert_eq!(harness.call(2, create("/after", b"", 1)).0, ErrorCode::Ok);
    let outputs = harness.connect_with(3, first.session_id, vec![1; 16]);
    assert_eq!(connected(&outputs).unwrap().session_id, 0);
    assert!(
        closed(&outputs, 2),
        "even a failed takeover closes the session's connection"
    );
}

#[test]
fn a_multi_with_a_read_inside_is_refused_whole_with_a_zxid() {
    let mut harness = Harness::new();
    harness.connect(1);
    let (err, body) = harness.call(
        1,
        Request::Multi(vec![MultiOp::GetData(PathWatchRequest {
            path: "/".to_string(),
            watch: false,
        })]),
    );
    assert_eq!((err, body), (ErrorCode::MarshallingError, None));
    let stat = created_stat(harness.call(1, create("/next", b"", 0)));
    assert_eq!(stat.czxid, 3, "the refused multi consumed zxid 2");
}

#[test]
fn a_client_that_has_seen_the_future_is_turned_away() {
    let mut harness = Harness::new();
    let outputs = harness.input(Input::Connect {
        conn: 9,
        client: LOCALHOST,
        request: ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: Zxid(500),
            timeout_ms: 10_000,
            session_id: 0,
            passwd: vec![0; 16],
            read_only: None,
        },
    });
    assert_eq!(without_wakeups(outputs), vec![Output::Close { conn: 9 }]);
}

#[test]
fn multi_reports_per_op_results_and_applies_nothing_when_one_fails() {
    let mut harness = Harness::new();
    harness.connect(1);
    let op_create = |path: &str| {
        MultiOp::Create(CreateRequest {
            path: path.to_string(),
            data: None,
            acl: Acl::open_unsafe(),
            flags: 0,
        })
    };
    let (err, body) = harness.call(
        1,
        Request::Multi(vec![
            op_create("/m1"),
            MultiOp::Delete(DeleteRequest {
                path: "/missing".to_string(),
                version: -1,
            }),
            op_create("/m2"),
        ]),
    );
    assert_eq!(
        err,
        ErrorCode::Ok,
        "a failed multi still answers Ok in its header"
    );
    let Some(Response::Multi(multi)) = body else {
        panic!("multi body expected");
    };
    let codes: Vec<i32> = multi
        .results
        .iter()
        .map(|r| match r {
            MultiOpResult::Error(e) => e.err,
            _ => 1,
        })
        .collect();
    assert_eq!(codes, vec![0, -101, -2]);
    assert!(!harness.server.tree().exists("/m1"));

    let (_, body) = harness.call(
        1,
        Request::Multi(vec![op_create("/m1"), op_create("/m1/x")]),
    );
    let Some(Response::Multi(multi)) = body else {
        panic!("multi body expected");
    };
    assert!(matches!(&multi.results[0], MultiOpResult::Create(p) if p.path == "/m1"));
    assert!(harness.server.tree().exists("/m1/x"));
}

#[test]
fn digest_acl_refuses_strangers_and_admits_the_owner() {
    let mut harness = Harness::new();
    harness.connect(1);
    harness.connect(2);
    let outputs = harness.send(
        1,
        Request::Auth(AuthPacket {
            auth_type: 0,
            scheme: "digest".to_string(),
            auth: b"alice:secret".to_vec(),
        }),
    );
    assert!(outputs.iter().any(
        |o| matches!(o, Output::Reply { header, .. } if header.xid == AUTH_XID && header.err == 0)
    ));
    let private = Request::Create2(CreateRequest {
        path: "/private".to_string(),
        data: Some(b"s".to_vec()),
        acl: Acl::creator_all(),
        flags: 0,
    });
    assert_eq!(harness.call(1, private).0, ErrorCode::Ok);
    assert_eq!(harness.call(2, get("/private", false)).0, ErrorCode::NoAuth);
    assert_eq!(harness.call(1, get("/private", false)).0, ErrorCode::Ok);
    match harness.call(
        2,
        Request::GetAcl(PathRequest {
            path: "/private".to_string(),
        }),
    ) {
        (ErrorCode::NoAuth, None) => {}
        other => panic!("a stranger may not read the ACL: {other:?}"),
    }
}

#[test]
fn watch_events_reach_only_sessions_that_may_read_the_node() {
    let mut harness = Harness::new();
    harness.connect(1);
    harness.connect(2);
    harness.send(
        1,
        Request::Auth(AuthPacket {
            auth_type: 0,
            scheme: "digest".to_string(),
            auth: b"alice:secret".to_vec(),
        }),
    );
    harness.call(
        1,
        Request::Create2(CreateRequest {
            path: "/secret".to_string(),
            data: Some(b"s".to_vec()),
            acl: Acl::creator_all(),
            flags: 0,
        }),
    );
    // Session 2 may not read /secret, but exists() needs no permission and leaves a watch.
    assert_eq!(harness.call(2, exists("/secret", true)).0, ErrorCode::Ok);
    let outputs = harness.send(1, set("/secret", b"t", -1));
    assert!(
        notifications(&outputs, 2).is_empty(),
        "the event is hidden from session 2"
    );
    // Its one-shot watch was used up all the same: once the node is readable, a further change
    // still sends nothing, where a watch that had survived would fire.
    harness.call(
        1,
        Request::SetAcl(SetAclRequest {
            path: "/secret".to_string(),
            acl: Acl::open_unsafe(),
            version: -1,
        }),
    );
    assert!(notifications(&harness.send(1, set("/secret", b"u", -1)), 2).is_empty());
    // A fresh watch on the now-readable node does fire.
    harness.call(2, exists("/secret", true));
    let outputs = harness.send(1, set("/secret", b"v", -1));
    assert_eq!(notifications(&outputs, 2).len(), 1);
}

#[test]
fn skip_acl_lets_every_session_read_and_write_everything() {
    let mut harness = Harness::with(|c| c.skip_acl = true);
    harness.connect(1);
    harness.connect(2);
    harness.send(
        1,
        Request::Auth(AuthPacket {
            auth_type: 0,
            scheme: "digest".to_string(),
            auth: b"alice:secret".to_vec(),
        }),
    );
    let private = Request::Create2(CreateRequest {
        path: "/private".to_string(),
        data: Some(b"s".to_vec()),
        acl: Acl::creator_all(),
        flags: 0,
    });
    assert_eq!(harness.call(1, private).0, ErrorCode::Ok);
    assert_eq!(harness.call(2, get("/private", false)).0, ErrorCode::Ok);
    assert_eq!(harness.call(2, set("/private", b"t", -1)).0, ErrorCode::Ok);
}

#[test]
fn unknown_auth_scheme_fails_and_closes_the_connection() {
    let mut harness = Harness::new();
    harness.connect(1);
    let outputs = harness.send(
        1,
        Request::Auth(AuthPacket {
            auth_type: 0,
            scheme: "kerberos".to_string(),
            auth: vec![],
        }),
    );
    assert!(outputs.iter().any(
        |o| matches!(o, Output::Reply { header, .. } if header.err == ErrorCode::AuthFailed.code())
    ));
    assert!(closed(&outputs, 1));
}

#[test]
fn set_acl_checks_admin_and_bumps_aversion() {
    let mut harness = Harness::new();
    harness.connect(1);
    harness.call(1, create("/acl", b"", 0));
    let read_only = vec![Acl {
        perms: crate::data::types::perms::READ,
        id: Id::anyone(),
    }];
    let (err, body) = harness.call(
        1,
        Request::SetAcl(SetAclRequest {
            path: "/acl".to_string(),
            acl: read_only,
            version: 0,
        }),
    );
    assert_eq!(err, ErrorCode::Ok);
    assert!(matches!(body, Some(Response::Stat(s)) if s.stat.aversion == 1));
    assert_eq!(harness.call(1, set("/acl", b"x", -1)).0, ErrorCode::NoAuth);
}

#[test]
fn unknown_opcode_is_unimplemented_and_closes_the_connection() {
    let mut harness = Harness::new();
    harness.connect(1);
    let outputs = harness.send(
        1,
        Request::Unknown {
            op_code: 999,
            body: vec![],
        },
    );
    assert!(outputs
        .iter()
        .any(|o| matches!(o, Output::Reply { header, .. } if header.err == -6)));
    assert!(closed(&outputs, 1));
}

#[test]
fn requests_before_a_handshake_close_the_connection() {
    let mut harness = Harness::new();
    let outputs = harness.input(Input::Request {
        conn: 5,
        header: RequestHeader { xid: 1, op_code: 4 },
        request: get("/", false),
    });
    assert!(
        without_wakeups(outputs).is_empty(),
        "an unknown connection is ignored"
    );
}

#[test]
fn empty_container_is_removed_by_the_container_manager() {
    let mut harness = Harness::with(|c| c.container_check_interval_ms = 1000);
    harness.connect(1);
    let container = Request::CreateContainer(CreateRequest {
        path: "/c".to_string(),
        data: None,
        acl: Acl::open_unsafe(),
        flags: 4,
    });
    assert_eq!(harness.call(1, container).0, ErrorCode::Ok);
    harness.call(1, create("/c/child", b"", 0));
    harness.call(1, delete("/c/child"));
    harness.send(1, Request::Ping);
    harness.advance(1500);
    assert!(!harness.server.tree().exists("/c"));
    let (header, txn) = harness.logged.last().unwrap();
    assert_eq!(
        (header.op, txn),
        (
            OpCode::DeleteContainer,
            &Txn::Delete {
                path: "/c".to_string()
            }
        )
    );
}

#[test]
fn persistent_recursive_watch_sees_the_whole_subtree_and_stays() {
    let mut harness = Harness::new();
    harness.connect(1);
    harness.connect(2);
    harness.call(1, create("/tree", b"", 0));
    harness.call(
        2,
        Request::AddWatch(AddWatchRequest {
            path: "/tree".to_string(),
            mode: 1,
        }),
    );
    let mut seen = Vec::new();
    seen.extend(notifications(
        &harness.send(1, create("/tree/a", b"", 0)),
        2,
    ));
    seen.extend(notifications(&harness.send(1, set("/tree/a", b"x", -1)), 2));
    seen.extend(notifications(&harness.send(1, delete("/tree/a")), 2));
    assert_eq!(
        seen,
        vec![
            (EventType::NodeCreated.code(), "/tree/a".to_string()),
            (EventType::NodeDataChanged.code(), "/tree/a".to_string()),
            (EventType::NodeDeleted.code(), "/tree/a".to_string()),
        ]
    );
}

#[test]
fn get_acl_hides_digest_hashes_from_readers_without_admin() {
    let mut harness = Harness::new();
    harness.connect(1);
    let acl = vec![
        Acl {
            perms: crate::data::types::perms::READ,
            id: Id::anyone(),
        },
        Acl {
            perms: crate::data::types::perms::ALL,
            id: Id::new("digest", "bob:abcdef"),
        },
    ];
    harness.call(
        1,
        Request::Create(CreateRequest {
            path: "/d".to_string(),
            data: None,
            acl,
            flags: 0,
        }),
    );
    match harness.call(
        1,
        Request::GetAcl(PathRequest {
            path: "/d".to_string(),
        }),
    ) {
        (ErrorCode::Ok, Some(Response::Acl(reply))) => {
            assert_eq!(reply.acl[1].id, Id::new("digest", "bob:x"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn recovered_server_keeps_sessions_and_continues_the_zxid_sequence() {
    let mut harness = Harness::new();
    let response = harness.connect(1);
    harness.call(1, create("/kept", b"k", 1));
    let tree = harness.server.tree().clone();
    let sessions = harness.server.session_table();
    let mut config = harness.server.config().clone();
    config.started_ms = 99_000;
    let mut restarted = Harness::new();
    restarted.server = ZkServer::recover(config, tree, sessions, VirtualTime::from_millis(5000));
    restarted.now = 5000;
    let resumed =
        connected(&restarted.connect_with(7, response.session_id, response.passwd)).unwrap();
    assert_eq!(resumed.session_id, response.session_id);
    let stat = created_stat(restarted.call(7, create("/next", b"", 0)));
    assert_eq!(stat.czxid, 3);
    assert!(restarted.server.tree().exists("/kept"));
}
