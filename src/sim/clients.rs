//! Simulated ZooKeeper clients: each holds one session, connects to one server at a time,
//! pings it, and reconnects elsewhere with the same session when the connection breaks,
//! as the Java client does. Their requests and the servers' answers travel the simulated
//! network like everything else.

use super::{Command, Event, Simulation};
use crate::data::types::{ErrorCode, EventType, SessionId, Zxid};
use crate::peer::message::ServerId;
use crate::peer::trace::{ClientDisconnect, ClientEvent, TraceEvent, TraceKind};
use crate::proto::records::{ConnectRequest, Request, RequestHeader, Response};
use crate::time::VirtualTime;
use crate::zkserver::{self, ConnId, PING_XID};
use core::net::{IpAddr, Ipv4Addr};
use rand::RngExt;
use std::collections::BTreeMap;
use std::fmt;

/// Where a client's session stands, as its application sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ClientState {
    /// Looking for a server that will take its session.
    Connecting,
    Connected,
    /// Its connection is gone and it is not trying again (a client that went away).
    Disconnected,
    /// The ensemble expired its session: terminal.
    Expired,
    /// It closed its session: terminal.
    Closed,
}

impl fmt::Display for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClientState::Connecting => "CONNECTING",
            ClientState::Connected => "CONNECTED",
            ClientState::Disconnected => "DISCONNECTED",
            ClientState::Expired => "EXPIRED",
            ClientState::Closed => "CLOSED",
        })
    }
}

/// How one request ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Reply {
        err: ErrorCode,
        body: Option<Response>,
        zxid: Zxid,
    },
    /// The connection broke before the answer came: the request may or may not have been
    /// carried out.
    ConnectionLoss,
}

impl Outcome {
    pub fn error(&self) -> ErrorCode {
        match self {
            Outcome::Reply { err, .. } => *err,
            Outcome::ConnectionLoss => ErrorCode::ConnectionLoss,
        }
    }
}

/// One request as its client issued it, for checking the recorded history
/// ([`super::history`]): what was asked, when, what the client had seen, and when the answer
/// came.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub request: Request,
    /// When the application issued it (it may wait for a connection before it is sent).
    pub issued: VirtualTime,
    /// The client's last seen zxid when the request went on the wire.
    pub seen: Zxid,
    /// When its reply arrived; `None` if none did (its outcome is then ConnectionLoss).
    pub answered: Option<VirtualTime>,
}

/// A watch event a client received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenEvent {
    pub at: VirtualTime,
    pub event_type: EventType,
    pub path: String,
}

/// One simulated client.
#[derive(Clone, Debug)]
pub struct SimClient {
    pub name: String,
    /// The server it was told to use first.
    pub home: ServerId,
    /// The server it is connected (or connecting) to.
    pub server: Option<ServerId>,
    pub(super) conn: Option<ConnId>,
    pub session_id: SessionId,
    pub(super) passwd: Vec<u8>,
    /// The timeout it asked for, and the one the server granted.
    pub requested_timeout_ms: i32,
    pub timeout_ms: i32,
    pub state: ClientState,
    /// Whether it reconnects by itself when its connection breaks.
    pub(super) reconnect: bool,
    next_xid: i32,
    /// Requests sent (or waiting for a connection) and not answered, by xid.
    pub pending: BTreeMap<i32, Request>,
    /// Waiting to be sent once connected, in order.
    pub(super) queued: Vec<(i32, Request)>,
    pub outcomes: BTreeMap<i32, Outcome>,
    /// Every request issued, by xid, with its times (the reply itself is in `outcomes`).
    pub calls: BTreeMap<i32, Call>,
    /// Replies in the order they arrived: (xid, the zxid in the reply header).
    pub replies: Vec<(i32, Zxid)>,
    pub events: Vec<SeenEvent>,
    /// The last zxid it has seen: it never connects to a server that is behind it.
    pub last_zxid: Zxid,
    pub(super) last_heard: VirtualTime,
    /// Bumped on every new connection attempt, so stale timers are ignored.
    pub(super) attempt: u64,
}

impl SimClient {
    pub(super) fn new(name: String, home: ServerId, timeout_ms: i32) -> SimClient {
        SimClient {
            name,
            home,
            server: None,
            conn: None,
            session_id: 0,
            passwd: vec![0; 16],
            requested_timeout_ms: timeout_ms,
            timeout_ms,
            state: ClientState::Connecting,
            reconnect: true,
            next_xid: 1,
            pending: BTreeMap::new(),
            queued: Vec::new(),
            outcomes: BTreeMap::new(),
            calls: BTreeMap::new(),
            replies: Vec::new(),
            events: Vec::new(),
            last_zxid: Zxid::ZERO,
            last_heard: VirtualTime::ZERO,
            attempt: 0,
        }
    }

    /// Requests waiting for a connection to be sent on.
    pub fn queued_len(&self) -> usize {
        self.queued.len()
    }

    pub fn is_live(&self) -> bool {
        !matches!(self.state, ClientState::Expired | ClientState::Closed)
    }

    pub(super) fn take_xid(&mut self) -> i32 {
        let xid = self.next_xid;
        self.next_xid += 1;
        xid
    }

    pub(super) fn connect_request(&self) -> ConnectRequest {
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: self.last_zxid,
            timeout_ms: self.requested_timeout_ms,
            session_id: self.session_id,
            passwd: self.passwd.clone(),
            read_only: Some(false),
        }
    }

    /// Every request in flight fails with ConnectionLoss, as the Java client reports them.
    pub(super) fn fail_pending(&mut self) {
        let queued: Vec<i32> = self.queued.iter().map(|(xid, _)| *xid).collect();
        for xid in self
            .pending
            .keys()
            .copied()
            .chain(queued)
            .collect::<Vec<_>>()
        {
            self.outcomes.entry(xid).or_insert(Outcome::ConnectionLoss);
        }
        self.pending.clear();
        self.queued.clear();
    }

    /// What ZooKeeper promises one session, checked on its recorded history: replies come
    /// in the order the requests were sent (FIFO), and the zxids they carry never go back,
    /// across reconnections to other servers too. The first broken promise, if any.
    pub fn history_problem(&self) -> Option<String> {
        for pair in self.replies.windows(2) {
            let ((xid_a, zxid_a), (xid_b, zxid_b)) = (pair[0], pair[1]);
            if xid_b < xid_a {
                return Some(format!(
                    "client {}: reply to request {xid_b} came after the reply to {xid_a}",
                    self.name
                ));
            }
            if zxid_b < zxid_a {
                return Some(format!(
                    "client {}: saw zxid {zxid_b} after {zxid_a} (request {xid_b} after {xid_a})",
                    self.name
                ));
            }
        }
        None
    }

    /// The interval between pings: a third of the session timeout.
    pub(super) fn ping_interval_ms(&self) -> u64 {
        (self.timeout_ms.max(3) / 3) as u64
    }

    /// Silence longer than this means the server is gone: two thirds of the timeout.
    pub(super) fn read_timeout_ms(&self) -> u64 {
        (self.timeout_ms.max(3) as u64 * 2) / 3
    }
}

/// A short description of a request for the trace: its operation and path.
pub fn describe_request(request: &Request) -> String {
    let op = crate::data::types::OpCode::from_code(request.op_code()).map_or_else(
        || "request".to_string(),
        |op| format!("{op:?}").to_ascii_lowercase(),
    );
    let path = match request {
        Request::Create(r) | Request::Create2(r) | Request::CreateContainer(r) => Some(&r.path),
        Request::CreateTtl(r) => Some(&r.path),
        Request::Delete(r) => Some(&r.path),
        Request::Exists(r)
        | Request::GetData(r)
        | Request::GetChildren(r)
        | Request::GetChildren2(r) => Some(&r.path),
        Request::SetData(r) => Some(&r.path),
        Request::GetAcl(r)
        | Request::Sync(r)
        | Request::GetEphemerals(r)
        | Request::GetAllChildrenNumber(r) => Some(&r.path),
        Request::SetAcl(r) => Some(&r.path),
        Request::AddWatch(r) => Some(&r.path),
        _ => None,
    };
    match path {
        Some(path) => format!("{op} {path}"),
        None => op,
    }
}

// ---- the simulator's side: connections, delivery, reconnection ----

impl Simulation {
    pub fn client(&self, name: &str) -> Option<&SimClient> {
        self.clients.get(name)
    }

    pub fn clients(&self) -> impl Iterator<Item = &SimClient> {
        self.clients.values()
    }

    /// A new client named `name` that connects to `server` with a new session.
    pub(super) fn add_client(&mut self, name: String, server: ServerId, timeout_ms: i32) {
        if self.clients.contains_key(&name) || !self.slots.contains_key(&server) {
            return;
        }
        self.clients.insert(
            name.clone(),
            SimClient::new(name.clone(), server, timeout_ms),
        );
        self.connect_client(&name, server);
    }

    /// Sends a request for a client (queued until it is connected). Returns its xid.
    pub fn client_request(&mut self, name: &str, request: Request) -> Option<i32> {
        let client = self.clients.get_mut(name)?;
        if !client.is_live() {
            return None;
        }
        let xid = client.take_xid();
        self.command(Command::ClientRequest {
            client: name.to_string(),
            xid,
            request,
        });
        Some(xid)
    }

    pub(super) fn submit_request(&mut self, name: &str, xid: i32, request: Request) {
        let Some(client) = self.clients.get_mut(name) else {
            return;
        };
        client.calls.insert(
            xid,
            Call {
                request: request.clone(),
                issued: self.now,
                seen: client.last_zxid,
                answered: None,
            },
        );
        match (client.state, client.conn, client.server) {
            (ClientState::Connected, Some(conn), Some(server)) => {
                client.pending.insert(xid, request.clone());
                self.send_to_server(server, conn, xid, request);
            }
            (ClientState::Connecting, _, _) => client.queued.push((xid, request)),
            _ => {
                client.outcomes.insert(xid, Outcome::ConnectionLoss);
            }
        }
    }

    fn send_to_server(&mut self, server: ServerId, conn: ConnId, xid: i32, request: Request) {
        let header = RequestHeader {
            xid,
            op_code: request.op_code(),
        };
        let input = zkserver::Input::Request {
            conn,
            header,
            request,
        };
        let at = self.connection_time(conn, true);
        self.schedule(
            at,
            Event::ToServer {
                server,
                input: Box::new(input),
            },
        );
    }

    /// When a message on a client connection arrives: after a network delay, and never
    /// before the one sent before it the same way (a TCP connection keeps its order).
    fn connection_time(&mut self, conn: ConnId, to_server: bool) -> VirtualTime {
        let wanted = self.now + self.network_latency();
        let clock = self
            .connection_clocks
            .entry((conn, to_server))
            .or_insert(VirtualTime::ZERO);
        let at = wanted.max(*clock);
        *clock = at;
        at
    }

    /// Opens a new connection from a client to a server, offering its session.
    pub(super) fn connect_client(&mut self, name: &str, server: ServerId) {
        let conn = self.next_conn;
        self.next_conn += 1;
        let now = self.now;
        let index = self.clients.keys().position(|n| n == name).unwrap_or(0) as u8;
        let Some(client) = self.clients.get_mut(name) else {
            return;
        };
        client.attempt += 1;
        client.conn = Some(conn);
        client.server = Some(server);
        client.state = ClientState::Connecting;
        client.last_heard = now;
        let request = client.connect_request();
        let attempt = client.attempt;
        let ping_ms = client.ping_interval_ms();
        self.conns.insert(conn, (name.to_string(), server));
        let input = zkserver::Input::Connect {
            conn,
            client: IpAddr::V4(Ipv4Addr::new(10, 0, 0, index.saturating_add(1))),
            request,
        };
        let at = self.connection_time(conn, true);
        self.schedule(
            at,
            Event::ToServer {
                server,
                input: Box::new(input),
            },
        );
        self.schedule(
            now + ping_ms,
            Event::ClientTick {
                client: name.to_string(),
                attempt,
            },
        );
    }

    /// Closes a client's current connection from its side.
    pub(super) fn drop_connection(&mut self, name: &str) {
        let Some(client) = self.clients.get_mut(name) else {
            return;
        };
        let (Some(conn), Some(server)) = (client.conn.take(), client.server) else {
            return;
        };
        client.fail_pending();
        let at = self.connection_time(conn, true);
        self.schedule(
            at,
            Event::ToServer {
                server,
                input: Box::new(zkserver::Input::ConnectionLost { conn }),
            },
        );
    }

    /// The client's connection broke: fail what was in flight and try the next server.
    fn connection_lost(&mut self, name: &str, why: ClientDisconnect) {
        let Some(client) = self.clients.get_mut(name) else {
            return;
        };
        let server = client.server;
        client.conn = None;
        client.fail_pending();
        let reconnect = client.reconnect && client.is_live();
        if client.is_live() {
            client.state = if reconnect {
                ClientState::Connecting
            } else {
                ClientState::Disconnected
            };
        }
        let attempt = client.attempt;
        self.client_trace(
            name,
            ClientEvent::Disconnected {
                server: server.unwrap_or(0),
                why,
            },
        );
        if reconnect {
            let backoff = self.rng.random_range(100..=1000);
            self.schedule(
                self.now + backoff,
                Event::ClientReconnect {
                    client: name.to_string(),
                    attempt,
                },
            );
        }
    }

    pub(super) fn client_reconnect(&mut self, name: &str, attempt: u64) {
        let Some(client) = self.clients.get(name) else {
            return;
        };
        if client.attempt != attempt || !client.is_live() || client.conn.is_some() {
            return;
        }
        // The next server in the connect string, as the Java client's HostProvider does.
        let ids = self.server_ids();
        let current = client.server.unwrap_or(client.home);
        let next = ids
            .iter()
            .copied()
            .find(|&id| id > current)
            .or_else(|| ids.first().copied())
            .unwrap_or(current);
        self.connect_client(name, next);
    }

    pub(super) fn client_tick(&mut self, name: &str, attempt: u64) {
        let now = self.now;
        let Some(client) = self.clients.get_mut(name) else {
            return;
        };
        if client.attempt != attempt || !client.is_live() || client.conn.is_none() {
            return;
        }
        let silent = now.millis_since(client.last_heard) > client.read_timeout_ms();
        let ping_ms = client.ping_interval_ms();
        let (conn, server, state) = (client.conn, client.server, client.state);
        if silent {
            self.drop_connection(name);
            self.connection_lost(name, ClientDisconnect::ServerSilent);
            return;
        }
        if let (ClientState::Connected, Some(conn), Some(server)) = (state, conn, server) {
            self.send_to_server(server, conn, PING_XID, Request::Ping);
        }
        self.schedule(
            now + ping_ms,
            Event::ClientTick {
                client: name.to_string(),
                attempt,
            },
        );
    }

    /// Something for a client connection arrives at a server.
    pub(super) fn deliver_to_server(&mut self, server: ServerId, input: Box<zkserver::Input>) {
        let up = self.slots.get(&server).is_some_and(|s| s.node.is_some());
        if !up {
            let conn = match &*input {
                zkserver::Input::Connect { conn, .. } | zkserver::Input::Request { conn, .. } => {
                    Some(*conn)
                }
                _ => None,
            };
            if let Some(conn) = conn {
                // Connection refused (or reset): the client hears of it.
                let at = self.connection_time(conn, false);
                self.schedule(
                    at,
                    Event::ToClient {
                        output: Box::new(zkserver::Output::Close { conn }),
                    },
                );
            }
            return;
        }
        self.feed(server, crate::peer::Input::Client(input));
    }

    /// Routes a server's answer back towards its client.
    pub(super) fn route_to_client(&mut self, output: Box<zkserver::Output>) {
        let at = match &*output {
            zkserver::Output::Connected { conn, .. }
            | zkserver::Output::Reply { conn, .. }
            | zkserver::Output::Notify { conn, .. }
            | zkserver::Output::Close { conn } => self.connection_time(*conn, false),
            _ => self.now + self.network_latency(),
        };
        self.schedule(at, Event::ToClient { output });
    }

    /// A server's answer reaches its client.
    pub(super) fn deliver_to_client(&mut self, output: zkserver::Output) {
        let conn = match &output {
            zkserver::Output::Connected { conn, .. }
            | zkserver::Output::Reply { conn, .. }
            | zkserver::Output::Notify { conn, .. }
            | zkserver::Output::Close { conn } => *conn,
            _ => return,
        };
        let Some((name, server)) = self.conns.get(&conn).cloned() else {
            return;
        };
        let now = self.now;
        let Some(client) = self.clients.get_mut(&name) else {
            return;
        };
        if client.conn != Some(conn) {
            return;
        }
        client.last_heard = now;
        match output {
            zkserver::Output::Connected { response, .. } => {
                if response.session_id == 0 {
                    client.state = ClientState::Expired;
                    client.conn = None;
                    client.fail_pending();
                    self.client_trace(&name, ClientEvent::SessionExpired);
                    return;
                }
                let fresh = client.session_id == 0;
                client.session_id = response.session_id;
                client.passwd = response.passwd;
                client.timeout_ms = response.timeout_ms;
                client.state = ClientState::Connected;
                let queued = std::mem::take(&mut client.queued);
                let session = client.session_id;
                self.client_trace(
                    &name,
                    ClientEvent::Connected {
                        server,
                        session,
                        fresh,
                    },
                );
                for (xid, request) in queued {
                    if let Some(client) = self.clients.get_mut(&name) {
                        client.pending.insert(xid, request.clone());
                        let seen = client.last_zxid;
                        if let Some(call) = client.calls.get_mut(&xid) {
                            call.seen = seen;
                        }
                    }
                    self.send_to_server(server, conn, xid, request);
                }
            }
            zkserver::Output::Reply { header, body, .. } => {
                if header.zxid > client.last_zxid {
                    client.last_zxid = header.zxid;
                }
                if header.xid == PING_XID {
                    return;
                }
                let err = ErrorCode::from_code(header.err).unwrap_or(ErrorCode::SystemError);
                let what = client
                    .pending
                    .remove(&header.xid)
                    .map(|r| {
                        if matches!(r, Request::CloseSession) && err == ErrorCode::Ok {
                            client.state = ClientState::Closed;
                        }
                        describe_request(&r)
                    })
                    .unwrap_or_else(|| "request".to_string());
                client.replies.push((header.xid, header.zxid));
                if let Some(call) = client.calls.get_mut(&header.xid) {
                    call.answered = Some(now);
                }
                client.outcomes.insert(
                    header.xid,
                    Outcome::Reply {
                        err,
                        body,
                        zxid: header.zxid,
                    },
                );
                self.client_trace(
                    &name,
                    ClientEvent::Answered {
                        request: what,
                        error: err,
                    },
                );
            }
            zkserver::Output::Notify { event, .. } => {
                let event_type = EventType::from_code(event.event_type).unwrap_or(EventType::None);
                client.events.push(SeenEvent {
                    at: now,
                    event_type,
                    path: event.path.clone(),
                });
                self.client_trace(
                    &name,
                    ClientEvent::WatchFired {
                        event: event_type,
                        path: event.path.clone(),
                    },
                );
            }
            zkserver::Output::Close { .. } => {
                if client.state == ClientState::Closed {
                    client.conn = None;
                    return;
                }
                self.connection_lost(&name, ClientDisconnect::ClosedByServer);
            }
            _ => {}
        }
    }

    /// A crashed server's client connections break.
    pub(super) fn reset_client_connections(&mut self, server: ServerId) {
        let conns: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, (_, s))| *s == server)
            .map(|(&conn, _)| conn)
            .collect();
        for conn in conns {
            self.route_to_client(Box::new(zkserver::Output::Close { conn }));
        }
    }

    fn client_trace(&mut self, name: &str, what: ClientEvent) {
        self.record(TraceEvent {
            at: self.now,
            server: 0,
            kind: TraceKind::Client {
                client: name.to_string(),
                what,
            },
        });
    }
}
