//! The native client against a real server (see `cli_support`): sessions, pipelining,
//! watches, auth, resuming and closing. One server serves every scenario, each in its own
//! part of the tree, to keep the run short.

mod cli_support;

use cli_support::TestServer;
use std::time::Duration;
use zooscope::data::types::{perms, Acl, ErrorCode, EventType, Id, KeeperState};
use zooscope::native::client::{
    Client, ClientError, ClientEvent, ConnectOptions, ConnectionState, SessionCredentials,
};
use zooscope::proto::records::{
    CheckVersionRequest, CreateRequest, MultiOp, MultiOpResult, Request, Response,
};

type Events = tokio::sync::mpsc::UnboundedReceiver<ClientEvent>;

async fn connect(address: &str) -> (Client, Events) {
    let (client, mut events) = Client::connect(&ConnectOptions::new(vec![address.to_string()]))
        .await
        .expect("a session");
    let connected = events.recv().await.expect("the connected event");
    assert_eq!(connected.state, KeeperState::SyncConnected);
    (client, events)
}

fn create(path: &str, data: &[u8]) -> CreateRequest {
    create_with(path, data, Acl::open_unsafe(), 0)
}

fn create_with(path: &str, data: &[u8], acl: Vec<Acl>, flags: i32) -> CreateRequest {
    CreateRequest {
        path: path.to_string(),
        data: Some(data.to_vec()),
        acl,
        flags,
    }
}

async fn next_event(events: &mut Events) -> ClientEvent {
    tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("an event within 5 s")
        .expect("the event channel open")
}

/// Runs each scenario in turn, naming it first so that a failure says which one it was.
macro_rules! run_scenarios {
    ($address:expr, $($scenario:ident),* $(,)?) => {
        $(
            eprintln!("scenario: {}", stringify!($scenario));
            $scenario($address).await;
        )*
    };
}

#[tokio::test]
async fn native_client_against_a_real_server() {
    let Some(server) = TestServer::start("native_client_against_a_real_server") else {
        return;
    };
    let address = server.address();
    run_scenarios!(
        &address,
        crud_round_trip_reports_stats_and_errors,
        pipelined_requests_are_answered_in_order,
        a_data_watch_fires_once_on_change,
        digest_auth_opens_a_protected_znode,
        the_negotiated_timeout_is_clamped_by_the_server,
        a_multi_reports_each_operations_result,
        a_session_resumed_elsewhere_keeps_its_ephemerals,
        close_removes_ephemerals_and_refuses_further_calls,
        resuming_an_unknown_session_is_expired,
    );
    drop(server);
}

async fn crud_round_trip_reports_stats_and_errors(address: &str) {
    let (client, _events) = connect(address).await;
    assert_eq!(
        client.create(create("/crud", b"one")).await,
        Ok("/crud".into())
    );
    assert_eq!(
        client.create(create("/crud", b"again")).await,
        Err(ClientError::Server(ErrorCode::NodeExists))
    );
    let read = client.get_data("/crud", false).await.unwrap();
    assert_eq!(read.data.as_deref(), Some(&b"one"[..]));
    assert_eq!((read.stat.version, read.stat.data_length), (0, 3));
    let stat = client
        .set_data("/crud", Some(b"two".to_vec()), 0)
        .await
        .unwrap();
    assert_eq!(stat.version, 1);
    assert!(stat.mzxid > read.stat.mzxid);
    assert_eq!(
        client.set_data("/crud", None, 0).await,
        Err(ClientError::Server(ErrorCode::BadVersion))
    );
    client.create(create("/crud/child", b"")).await.unwrap();
    assert_eq!(
        client.delete("/crud", -1).await,
        Err(ClientError::Server(ErrorCode::NotEmpty))
    );
    let (children, parent) = client.get_children("/crud", false).await.unwrap();
    assert_eq!(
        (children, parent.num_children),
        (vec!["child".to_string()], 1)
    );
    client.delete("/crud/child", -1).await.unwrap();
    client.delete("/crud", 1).await.unwrap();
    assert_eq!(client.exists("/crud", false).await, Ok(None));
    assert_eq!(
        client.get_data("/crud", false).await,
        Err(ClientError::Server(ErrorCode::NoNode))
    );
    assert!(client.last_zxid().0 > 0);
}

async fn pipelined_requests_are_answered_in_order(address: &str) {
    let (client, _events) = connect(address).await;
    client.create(create("/pipe", b"")).await.unwrap();
    let sequential = zooscope::data::types::CreateMode::PersistentSequential.flag();
    let pending: Vec<_> = (0..50)
        .map(|_| {
            client.submit(Request::Create(create_with(
                "/pipe/n-",
                b"",
                Acl::open_unsafe(),
                sequential,
            )))
        })
        .collect();
    let mut created = Vec::new();
    for reply in pending {
        match reply.await.unwrap().body {
            Some(Response::Path(body)) => created.push(body.path),
            other => panic!("unexpected reply {other:?}"),
        }
    }
    let expected: Vec<String> = (0..50).map(|n| format!("/pipe/n-{n:010}")).collect();
    assert_eq!(created, expected);
}

async fn a_data_watch_fires_once_on_change(address: &str) {
    let (watcher, mut events) = connect(address).await;
    let (writer, _writer_events) = connect(address).await;
    writer.create(create("/watched", b"a")).await.unwrap();
    watcher.get_data("/watched", true).await.unwrap();
    writer
        .set_data("/watched", Some(b"b".to_vec()), -1)
        .await
        .unwrap();
    assert_eq!(
        next_event(&mut events).await,
        ClientEvent {
            state: KeeperState::SyncConnected,
            event_type: EventType::NodeDataChanged,
            path: Some("/watched".into()),
        }
    );
    // One-shot: a second change is not announced, but a new watch on deletion is.
    writer
        .set_data("/watched", Some(b"c".to_vec()), -1)
        .await
        .unwrap();
    watcher.exists("/watched", true).await.unwrap();
    writer.delete("/watched", -1).await.unwrap();
    assert_eq!(
        next_event(&mut events).await.event_type,
        EventType::NodeDeleted
    );
}

async fn digest_auth_opens_a_protected_znode(address: &str) {
    let (owner, _events) = connect(address).await;
    owner.add_auth("digest", b"alice:secret").await.unwrap();
    let alice = Id::new("digest", &zooscope::data::acl::digest("alice:secret"));
    let private = vec![Acl {
        perms: perms::ALL,
        id: alice,
    }];
    owner
        .create(create_with("/private", b"s", private, 0))
        .await
        .unwrap();
    assert_eq!(
        owner.get_data("/private", false).await.unwrap().data,
        Some(b"s".to_vec())
    );
    let (stranger, _stranger_events) = connect(address).await;
    assert_eq!(
        stranger.get_data("/private", false).await,
        Err(ClientError::Server(ErrorCode::NoAuth))
    );
    match owner.call(Request::WhoAmI).await.unwrap().body {
        Some(Response::WhoAmI(body)) => assert!(body
            .client_info
            .iter()
            .any(|info| info.auth_scheme == "digest" && info.user == "alice")),
        other => panic!("unexpected reply {other:?}"),
    }
}

async fn the_negotiated_timeout_is_clamped_by_the_server(address: &str) {
    let mut options = ConnectOptions::new(vec![address.to_string()]);
    options.session_timeout = Duration::from_millis(100);
    let (client, _events) = Client::connect(&options).await.unwrap();
    // minSessionTimeout defaults to two ticks of 2000 ms.
    assert_eq!(client.negotiated_timeout(), Duration::from_millis(4000));
    assert_ne!(client.session_id(), 0);
    assert_eq!(client.credentials().password.len(), 16);
}

async fn a_multi_reports_each_operations_result(address: &str) {
    let (client, _events) = connect(address).await;
    let reply = client
        .call(Request::Multi(vec![
            MultiOp::Create(create("/multi", b"")),
            MultiOp::Check(CheckVersionRequest {
                path: "/multi".into(),
                version: 5,
            }),
        ]))
        .await
        .unwrap();
    let Some(Response::Multi(body)) = reply.body else {
        panic!("a multi reply");
    };
    let codes: Vec<i32> = body
        .results
        .iter()
        .map(|result| match result {
            MultiOpResult::Error(error) => error.err,
            _ => 0,
        })
        .collect();
    assert_eq!(codes, vec![0, ErrorCode::BadVersion.code()]);
    assert_eq!(client.exists("/multi", false).await, Ok(None));
}

async fn a_session_resumed_elsewhere_keeps_its_ephemerals(address: &str) {
    let (first, mut first_events) = connect(address).await;
    let ephemeral = zooscope::data::types::CreateMode::Ephemeral.flag();
    first
        .create(create_with("/moving", b"", Acl::open_unsafe(), ephemeral))
        .await
        .unwrap();
    let mut options = ConnectOptions::new(vec![address.to_string()]);
    options.resume = Some(first.credentials().clone());
    options.last_zxid_seen = first.last_zxid();
    let (second, _events) = Client::connect(&options).await.unwrap();
    assert_eq!(second.session_id(), first.session_id());
    let stat = second
        .exists("/moving", false)
        .await
        .unwrap()
        .expect("the ephemeral");
    assert_eq!(stat.ephemeral_owner, first.session_id());
    // The server hands the session to the new connection and drops the old one.
    assert_eq!(
        next_event(&mut first_events).await.state,
        KeeperState::Disconnected
    );
    assert_eq!(first.state(), ConnectionState::Disconnected);
    second.close().await.unwrap();
}

async fn close_removes_ephemerals_and_refuses_further_calls(address: &str) {
    let (client, mut events) = connect(address).await;
    let ephemeral = zooscope::data::types::CreateMode::Ephemeral.flag();
    client
        .create(create_with("/brief", b"", Acl::open_unsafe(), ephemeral))
        .await
        .unwrap();
    client.close().await.unwrap();
    assert_eq!(next_event(&mut events).await.state, KeeperState::Closed);
    assert_eq!(client.state(), ConnectionState::Closed);
    assert_eq!(
        client.exists("/brief", false).await,
        Err(ClientError::Closed)
    );
    let (observer, _observer_events) = connect(address).await;
    assert_eq!(observer.exists("/brief", false).await, Ok(None));
}

async fn resuming_an_unknown_session_is_expired(address: &str) {
    let mut options = ConnectOptions::new(vec![address.to_string()]);
    options.resume = Some(SessionCredentials {
        session_id: 0x7777_0000_0000_0001,
        password: vec![0; 16],
    });
    assert_eq!(
        Client::connect(&options).await.map(|_| ()),
        Err(ClientError::SessionExpired)
    );
}
