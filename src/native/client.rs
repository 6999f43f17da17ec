//! A ZooKeeper client connection over TCP (tokio): handshake, pipelined requests matched to
//! their replies in order, watch notifications on a channel, keep-alive pings, auth and close.
//!
//! One `Client` is one connection carrying one session. It does not reconnect by itself: when
//! the connection drops, pending and later calls fail with `ConnectionLoss` and a
//! `Disconnected` event is sent. A caller that wants the session back connects again with
//! `ConnectOptions::resume` set from `Client::credentials` and `Client::last_zxid`. Paths are
//! sent as given: validating them is the caller's business, so tests can probe what a server
//! does with bad ones. All wire encoding is `crate::proto`'s.

use crate::data::types::{ErrorCode, EventType, KeeperState, OpCode, Stat, Zxid};
use crate::proto::frame::{encode_frame, Frame, FrameDecoder, DEFAULT_MAX_FRAME_LENGTH};
use crate::proto::jute::Record;
use crate::proto::records::{
    decode_connect_response, decode_reply, decode_reply_header, encode_request, AuthPacket,
    ConnectRequest, ConnectResponse, CreateRequest, DeleteRequest, GetDataResponse,
    PathWatchRequest, Request, Response, ResponseKind, SetDataRequest, WatcherEvent, AUTH_XID,
    NOTIFICATION_XID, PING_XID, SET_WATCHES_XID,
};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{sleep_until, timeout_at, Instant, MissedTickBehavior};

/// The port a host without one is given, as in ZooKeeper's connect strings.
pub const DEFAULT_PORT: u16 = 2181;

/// What a new connection asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectOptions {
    /// `host:port` addresses (`[v6]:port` for IPv6), tried in order until one answers.
    pub hosts: Vec<String>,
    /// The session timeout to ask for; the server clamps it to its own bounds.
    pub session_timeout: Duration,
    /// An existing session to resume instead of creating one.
    pub resume: Option<SessionCredentials>,
    /// The last zxid this session saw, so a server that is behind it refuses the connection.
    pub last_zxid_seen: Zxid,
    /// Accept a read-only server (one cut off from its quorum).
    pub read_only: bool,
    /// How long `connect` keeps trying the hosts before giving up.
    pub connect_timeout: Duration,
    /// The largest reply accepted, as the Java client's `jute.maxbuffer`.
    pub max_frame_length: usize,
}

impl ConnectOptions {
    /// A new session on `hosts` with the Java client's defaults (zkCli asks for 30 s).
    pub fn new(hosts: Vec<String>) -> ConnectOptions {
        ConnectOptions {
            hosts,
            session_timeout: Duration::from_secs(30),
            resume: None,
            last_zxid_seen: Zxid::ZERO,
            read_only: false,
            connect_timeout: Duration::from_secs(5),
            max_frame_length: DEFAULT_MAX_FRAME_LENGTH,
        }
    }
}

/// What it takes to resume a session on another connection.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionCredentials {
    pub session_id: i64,
    pub password: Vec<u8>,
}

impl fmt::Debug for SessionCredentials {
    /// Leaves the password out, so that logging a session does not leak it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionCredentials(0x{:x})", self.session_id)
    }
}

/// Where the connection is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionState {
    Connected,
    ConnectedReadOnly,
    /// The connection dropped; the session may live on and can be resumed.
    Disconnected,
    /// The server rejected an `add_auth` and closed the connection.
    AuthFailed,
    /// `close` ended the session.
    Closed,
}

/// A state change or a watch notification, as the Java client's `WatchedEvent`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientEvent {
    pub state: KeeperState,
    pub event_type: EventType,
    /// `None` for state changes.
    pub path: Option<String>,
}

impl ClientEvent {
    fn state_change(state: KeeperState) -> ClientEvent {
        ClientEvent {
            state,
            event_type: EventType::None,
            path: None,
        }
    }
}

/// A successful reply: the zxid the server stamped on it and its body, if the op has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub zxid: Zxid,
    pub body: Option<Response>,
}

/// Why a call did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientError {
    /// The server answered with this error code.
    Server(ErrorCode),
    /// The server answered with an error code this crate does not know.
    UnknownCode(i32),
    /// No connection could be made, or it dropped (closed, reset, silent, or sent bytes
    /// that do not decode); the reason says which.
    ConnectionLoss(String),
    /// The server no longer knows the session being resumed.
    SessionExpired,
    /// The server rejected an authentication and closed the connection.
    AuthFailed,
    /// The session was closed with `close`.
    Closed,
    /// A reply's body was not the shape the typed helper expected.
    UnexpectedReply(ResponseKind),
}

impl ClientError {
    fn from_code(code: i32) -> ClientError {
        match ErrorCode::from_code(code) {
            Some(error) => ClientError::Server(error),
            None => ClientError::UnknownCode(code),
        }
    }

    /// The ZooKeeper error code the Java client reports for this error.
    pub fn error_code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Server(code) => Some(*code),
            ClientError::UnknownCode(_) => None,
            ClientError::ConnectionLoss(_) => Some(ErrorCode::ConnectionLoss),
            ClientError::SessionExpired | ClientError::Closed => Some(ErrorCode::SessionExpired),
            ClientError::AuthFailed => Some(ErrorCode::AuthFailed),
            ClientError::UnexpectedReply(_) => Some(ErrorCode::MarshallingError),
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Server(code) => write!(f, "KeeperErrorCode = {code}"),
            ClientError::UnknownCode(code) => write!(f, "KeeperErrorCode = Unknown error {code}"),
            ClientError::ConnectionLoss(reason) => write!(f, "connection lost: {reason}"),
            ClientError::SessionExpired => f.write_str("session expired"),
            ClientError::AuthFailed => f.write_str("authentication failed"),
            ClientError::Closed => f.write_str("session closed"),
            ClientError::UnexpectedReply(kind) => write!(f, "unexpected reply body {kind:?}"),
        }
    }
}

impl std::error::Error for ClientError {}

type ReplySender = oneshot::Sender<Result<Reply, ClientError>>;

/// A request on its way to the connection task, with where its reply goes.
struct Submission {
    request: Request,
    reply: ReplySender,
}

/// A handle on one session's connection. Clones share the connection; the connection ends
/// when `close` is called or every handle is dropped (the session then expires on its own).
#[derive(Clone, Debug)]
pub struct Client {
    submissions: mpsc::UnboundedSender<Submission>,
    state: watch::Receiver<ConnectionState>,
    credentials: SessionCredentials,
    negotiated_timeout: Duration,
    server: SocketAddr,
    last_zxid: Arc<AtomicI64>,
}

impl Client {
    /// Connects to the first of `options.hosts` that completes a handshake, going round the
    /// list again (after a short pause) until `options.connect_timeout` has passed, as a
    /// server that is still starting refuses sessions for a moment. Returns the client and
    /// the channel of its events, which starts with the `SyncConnected` (or
    /// `ConnectedReadOnly`) state change.
    pub async fn connect(
        options: &ConnectOptions,
    ) -> Result<(Client, mpsc::UnboundedReceiver<ClientEvent>), ClientError> {
        const PAUSE: Duration = Duration::from_millis(100);
        let deadline = Instant::now() + options.connect_timeout;
        loop {
            // Each round's failures replace the last, so the error tells the latest news.
            let mut failures = Vec::new();
            for host in &options.hosts {
                match timeout_at(deadline, handshake(host, options)).await {
                    Ok(Ok(established)) => return Ok(Client::start(established, options)),
                    Ok(Err(ClientError::SessionExpired)) => {
                        return Err(ClientError::SessionExpired)
                    }
                    Ok(Err(ClientError::ConnectionLoss(reason))) => {
                        failures.push(format!("{host}: {reason}"))
                    }
                    Ok(Err(error)) => failures.push(format!("{host}: {error}")),
                    Err(_) => failures.push(format!("{host}: no answer in time")),
                }
            }
            if failures.is_empty() {
                failures.push("no hosts given".to_string());
            }
            if options.hosts.is_empty() || Instant::now() + PAUSE >= deadline {
                return Err(ClientError::ConnectionLoss(failures.join("; ")));
            }
            tokio::time::sleep(PAUSE).await;
        }
    }

    fn start(
        established: Established,
        options: &ConnectOptions,
    ) -> (Client, mpsc::UnboundedReceiver<ClientEvent>) {
        let Established {
            stream,
            server,
            response,
            decoder,
        } = established;
        let read_only = response.read_only == Some(true);
        let initial = if read_only {
            ConnectionState::ConnectedReadOnly
        } else {
            ConnectionState::Connected
        };
        let (state_sender, state) = watch::channel(initial);
        let (events, event_receiver) = mpsc::unbounded_channel();
        let (submissions, submission_receiver) = mpsc::unbounded_channel();
        let timeout_ms = u64::try_from(response.timeout_ms).unwrap_or(1).max(1);
        let negotiated_timeout = Duration::from_millis(timeout_ms);
        let last_zxid = Arc::new(AtomicI64::new(options.last_zxid_seen.0));
        let _ = events.send(ClientEvent::state_change(if read_only {
            KeeperState::ConnectedReadOnly
        } else {
            KeeperState::SyncConnected
        }));
        let connection = Connection {
            decoder,
            outgoing: Vec::new(),
            pending: VecDeque::new(),
            auth_waiters: VecDeque::new(),
            next_xid: 1,
            events,
            state: state_sender,
            last_zxid: Arc::clone(&last_zxid),
            closing: false,
            auth_failed: false,
            announced: false,
        };
        tokio::spawn(connection.run(stream, submission_receiver, negotiated_timeout));
        let client = Client {
            submissions,
            state,
            credentials: SessionCredentials {
                session_id: response.session_id,
                password: response.passwd,
            },
            negotiated_timeout,
            server,
            last_zxid,
        };
        (client, event_receiver)
    }

    /// The session's id and password, to resume it on another connection.
    pub fn credentials(&self) -> &SessionCredentials {
        &self.credentials
    }

    pub fn session_id(&self) -> i64 {
        self.credentials.session_id
    }

    /// The session timeout the server granted.
    pub fn negotiated_timeout(&self) -> Duration {
        self.negotiated_timeout
    }

    /// The address of the server this connection reached.
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// The highest zxid seen in a reply, for resuming the session elsewhere.
    pub fn last_zxid(&self) -> Zxid {
        Zxid(self.last_zxid.load(Ordering::Relaxed))
    }

    pub fn state(&self) -> ConnectionState {
        *self.state.borrow()
    }

    /// Queues a request now and returns a future of its reply, so that several requests can
    /// be in flight at once and go out in the order they were submitted. `Request::Auth` (or
    /// an `Unknown` request with its op code, 100) travels as an auth packet (xid -4), `Ping`
    /// and `SetWatches` with their special xids.
    pub fn submit(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Reply, ClientError>> + Send + 'static {
        let (reply, receiver) = oneshot::channel();
        let queued = self.submissions.send(Submission { request, reply });
        let state = self.state.clone();
        async move {
            if queued.is_err() {
                return Err(error_for_state(*state.borrow()));
            }
            match receiver.await {
                Ok(result) => result,
                Err(_) => Err(error_for_state(*state.borrow())),
            }
        }
    }

    /// Sends a request and waits for its reply.
    pub async fn call(&self, request: Request) -> Result<Reply, ClientError> {
        self.submit(request).await
    }

    /// Adds an identity to the session (`addauth`); fails with `AuthFailed` when the server
    /// rejects it, after which the server closes the connection.
    pub async fn add_auth(&self, scheme: &str, auth: &[u8]) -> Result<(), ClientError> {
        self.call(Request::Auth(AuthPacket {
            auth_type: 0,
            scheme: scheme.to_string(),
            auth: auth.to_vec(),
        }))
        .await
        .map(|_| ())
    }

    /// Ends the session: sends closeSession, waits for its reply and drops the connection.
    /// Watchers get a `Closed` state change.
    pub async fn close(&self) -> Result<(), ClientError> {
        self.call(Request::CloseSession).await.map(|_| ())
    }

    /// `exists`: the znode's Stat, or `None` when it does not exist (the watch, if asked for,
    /// is left either way).
    pub async fn exists(&self, path: &str, watch: bool) -> Result<Option<Stat>, ClientError> {
        match self.call(Request::Exists(path_watch(path, watch))).await {
            Ok(reply) => match reply.body {
                Some(Response::Stat(body)) => Ok(Some(body.stat)),
                other => Err(unexpected(other)),
            },
            Err(ClientError::Server(ErrorCode::NoNode)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    pub async fn get_data(&self, path: &str, watch: bool) -> Result<GetDataResponse, ClientError> {
        match self
            .call(Request::GetData(path_watch(path, watch)))
            .await?
            .body
        {
            Some(Response::Data(body)) => Ok(body),
            other => Err(unexpected(other)),
        }
    }

    /// getChildren2: the children's names (in the server's order) and the parent's Stat.
    pub async fn get_children(
        &self,
        path: &str,
        watch: bool,
    ) -> Result<(Vec<String>, Stat), ClientError> {
        match self
            .call(Request::GetChildren2(path_watch(path, watch)))
            .await?
            .body
        {
            Some(Response::Children2(body)) => Ok((body.children, body.stat)),
            other => Err(unexpected(other)),
        }
    }

    /// create: returns the created path (with its sequence suffix, if any).
    pub async fn create(&self, request: CreateRequest) -> Result<String, ClientError> {
        match self.call(Request::Create(request)).await?.body {
            Some(Response::Path(body)) => Ok(body.path),
            other => Err(unexpected(other)),
        }
    }

    pub async fn set_data(
        &self,
        path: &str,
        data: Option<Vec<u8>>,
        version: i32,
    ) -> Result<Stat, ClientError> {
        let request = SetDataRequest {
            path: path.to_string(),
            data,
            version,
        };
        match self.call(Request::SetData(request)).await?.body {
            Some(Response::Stat(body)) => Ok(body.stat),
            other => Err(unexpected(other)),
        }
    }

    pub async fn delete(&self, path: &str, version: i32) -> Result<(), ClientError> {
        let request = DeleteRequest {
            path: path.to_string(),
            version,
        };
        self.call(Request::Delete(request)).await.map(|_| ())
    }
}

fn path_watch(path: &str, watch: bool) -> PathWatchRequest {
    PathWatchRequest {
        path: path.to_string(),
        watch,
    }
}

fn unexpected(body: Option<Response>) -> ClientError {
    ClientError::UnexpectedReply(body.map_or(ResponseKind::None, |body| body.kind()))
}

/// What a call on a connection that has ended fails with, as the Java client decides it.
fn error_for_state(state: ConnectionState) -> ClientError {
    match state {
        ConnectionState::Closed => ClientError::Closed,
        ConnectionState::AuthFailed => ClientError::AuthFailed,
        ConnectionState::Connected
        | ConnectionState::ConnectedReadOnly
        | ConnectionState::Disconnected => {
            ClientError::ConnectionLoss("the connection is closed".to_string())
        }
    }
}

/// Splits a connect string (`host:port,host:port`) into the hosts `ConnectOptions` takes.
/// A host without a port gets 2181; a bare IPv6 address is taken as ZooKeeper takes it, with
/// the port after its last colon. A chroot suffix (`/app`) is not supported.
pub fn parse_connect_string(text: &str) -> Result<Vec<String>, String> {
    if text.contains('/') {
        return Err(format!("a chroot is not supported: {text}"));
    }
    let hosts: Vec<String> = text
        .split(',')
        .map(str::trim)
        .filter(|host| !host.is_empty())
        .map(normalize_host)
        .collect();
    if hosts.is_empty() {
        return Err(format!("no host in connect string {text:?}"));
    }
    Ok(hosts)
}

fn normalize_host(host: &str) -> String {
    if let Some(rest) = host.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((address, "")) => format!("[{address}]:{DEFAULT_PORT}"),
            _ => host.to_string(),
        };
    }
    match host.rsplit_once(':') {
        Some((address, port)) if address.contains(':') => format!("[{address}]:{port}"),
        Some(_) => host.to_string(),
        None => format!("{host}:{DEFAULT_PORT}"),
    }
}

/// A connection whose handshake succeeded.
struct Established {
    stream: TcpStream,
    server: SocketAddr,
    response: ConnectResponse,
    /// Holds any bytes that arrived after the handshake's answer.
    decoder: FrameDecoder,
}

async fn handshake(host: &str, options: &ConnectOptions) -> Result<Established, ClientError> {
    let loss = |what: &str, error: &dyn fmt::Display| {
        ClientError::ConnectionLoss(format!("{what}: {error}"))
    };
    let addresses = tokio::net::lookup_host(host)
        .await
        .map_err(|e| loss("cannot resolve", &e))?;
    let mut last_error = ClientError::ConnectionLoss("the name resolved to no address".into());
    for server in addresses {
        let mut stream = match TcpStream::connect(server).await {
            Ok(stream) => stream,
            Err(error) => {
                last_error = loss("cannot connect", &error);
                continue;
            }
        };
        // Requests are small and latency-bound; Nagle would only delay them.
        let _ = stream.set_nodelay(true);
        let (session_id, password) = match &options.resume {
            Some(credentials) => (credentials.session_id, credentials.password.clone()),
            None => (0, vec![0; 16]),
        };
        let request = ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: options.last_zxid_seen,
            timeout_ms: i32::try_from(options.session_timeout.as_millis()).unwrap_or(i32::MAX),
            session_id,
            passwd: password,
            read_only: Some(options.read_only),
        };
        stream
            .write_all(&encode_frame(&request.to_bytes()))
            .await
            .map_err(|e| loss("cannot send the handshake", &e))?;
        let mut decoder = FrameDecoder::for_client(options.max_frame_length);
        let payload = read_one_frame(&mut stream, &mut decoder).await?;
        let response = decode_connect_response(&payload)
            .map_err(|e| loss("malformed handshake answer", &e))?;
        if response.timeout_ms <= 0 {
            return Err(ClientError::SessionExpired);
        }
        return Ok(Established {
            stream,
            server,
            response,
            decoder,
        });
    }
    Err(last_error)
}

async fn read_one_frame(
    stream: &mut TcpStream,
    decoder: &mut FrameDecoder,
) -> Result<Vec<u8>, ClientError> {
    let mut buffer = [0u8; 4096];
    loop {
        match decoder.next_frame() {
            Ok(Some(Frame::Message(payload))) => return Ok(payload),
            Ok(Some(Frame::FourLetterWord(_)) | None) => {}
            Err(error) => return Err(ClientError::ConnectionLoss(error.to_string())),
        }
        let read = stream
            .read(&mut buffer)
            .await
            .map_err(|e| ClientError::ConnectionLoss(format!("handshake: {e}")))?;
        if read == 0 {
            return Err(ClientError::ConnectionLoss(
                "the server closed the connection during the handshake".into(),
            ));
        }
        decoder.push(&buffer[..read]);
    }
}

/// A request sent and not yet answered.
struct Pending {
    xid: i32,
    kind: ResponseKind,
    /// This is the closeSession: its answer ends the session.
    closes: bool,
    reply: ReplySender,
}

/// The connection task's state: one task owns the socket, so requests are written in the
/// order they were submitted and replies are matched against the same queue.
struct Connection {
    decoder: FrameDecoder,
    /// Encoded frames not yet written.
    outgoing: Vec<u8>,
    pending: VecDeque<Pending>,
    /// Auth packets are answered out of band (xid -4), so they wait in their own queue.
    auth_waiters: VecDeque<ReplySender>,
    next_xid: i32,
    events: mpsc::UnboundedSender<ClientEvent>,
    state: watch::Sender<ConnectionState>,
    last_zxid: Arc<AtomicI64>,
    /// closeSession has been sent: nothing more may be.
    closing: bool,
    /// The server rejected an auth packet; it is about to close the connection.
    auth_failed: bool,
    /// The connection's end has been published.
    announced: bool,
}

/// Why the connection task stopped.
enum Ending {
    /// closeSession was answered.
    Closed,
    /// Every `Client` handle was dropped.
    Abandoned,
    Lost(String),
}

impl Connection {
    async fn run(
        mut self,
        mut stream: TcpStream,
        mut submissions: mpsc::UnboundedReceiver<Submission>,
        session_timeout: Duration,
    ) {
        // As the Java client: the server is presumed gone after two thirds of the session
        // timeout without a word, and a ping every third keeps a quiet session alive.
        let read_timeout = session_timeout * 2 / 3;
        let mut pings = tokio::time::interval_at(
            Instant::now() + session_timeout / 3,
            (session_timeout / 3).max(Duration::from_millis(1)),
        );
        pings.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last_heard = Instant::now();
        let mut buffer = vec![0u8; 64 * 1024];
        let (mut reader, mut writer) = stream.split();
        let ending = loop {
            if let Err(reason) = self.handle_frames() {
                break Ending::Lost(reason);
            }
            if self.closing && self.pending.is_empty() {
                break Ending::Closed;
            }
            tokio::select! {
                submission = submissions.recv(), if !self.closing => match submission {
                    Some(submission) => self.submit(submission),
                    None => break Ending::Abandoned,
                },
                read = reader.read(&mut buffer) => match read {
                    Ok(0) => break Ending::Lost("the server closed the connection".into()),
                    Ok(count) => {
                        last_heard = Instant::now();
                        self.decoder.push(buffer.get(..count).unwrap_or(&[]));
                    }
                    Err(error) => break Ending::Lost(format!("read failed: {error}")),
                },
                written = writer.write(&self.outgoing), if !self.outgoing.is_empty() => {
                    match written {
                        Ok(count) => {
                            self.outgoing.drain(..count.min(self.outgoing.len()));
                        }
                        Err(error) => break Ending::Lost(format!("write failed: {error}")),
                    }
                }
                _ = pings.tick() => self.send(PING_XID, &Request::Ping),
                _ = sleep_until(last_heard + read_timeout) => {
                    break Ending::Lost(format!(
                        "no word from the server in {} ms", read_timeout.as_millis()
                    ));
                }
            }
        };
        self.finish(ending);
    }

    fn send(&mut self, xid: i32, request: &Request) {
        self.outgoing
            .extend_from_slice(&encode_frame(&encode_request(xid, request)));
    }

    fn submit(&mut self, Submission { request, reply }: Submission) {
        // An auth packet may also come as `Unknown` with op 100, to carry a null buffer.
        if request.op_code() == OpCode::Auth.code() {
            self.send(AUTH_XID, &request);
            self.auth_waiters.push_back(reply);
            return;
        }
        let xid = match &request {
            Request::Ping => PING_XID,
            Request::SetWatches(_) | Request::SetWatches2(_) => SET_WATCHES_XID,
            _ => self.take_xid(),
        };
        let closes = matches!(request, Request::CloseSession);
        self.closing |= closes;
        self.send(xid, &request);
        self.pending.push_back(Pending {
            xid,
            kind: request.response_kind(),
            closes,
            reply,
        });
    }

    /// The next xid: positive and increasing, wrapping back to 1 rather than going negative,
    /// where the special xids live.
    fn take_xid(&mut self) -> i32 {
        let xid = self.next_xid;
        self.next_xid = xid.checked_add(1).unwrap_or(1);
        xid
    }

    fn handle_frames(&mut self) -> Result<(), String> {
        loop {
            match self.decoder.next_frame() {
                Ok(Some(Frame::Message(payload))) => self.handle_message(&payload)?,
                Ok(Some(Frame::FourLetterWord(_))) => {}
                Ok(None) => return Ok(()),
                Err(error) => return Err(format!("bad frame from the server: {error}")),
            }
        }
    }

    fn handle_message(&mut self, payload: &[u8]) -> Result<(), String> {
        let header = decode_reply_header(payload)
            .map_err(|e| format!("malformed reply header from the server: {e}"))?;
        match header.xid {
            NOTIFICATION_XID => return self.handle_notification(payload),
            AUTH_XID => {
                let result = if header.err == 0 {
                    Ok(Reply {
                        zxid: header.zxid,
                        body: None,
                    })
                } else if header.err == ErrorCode::AuthFailed.code() {
                    // Announced now rather than when the server hangs up, so that whoever
                    // waits on this auth finds the session failed.
                    self.auth_failed = true;
                    self.announce(ConnectionState::AuthFailed);
                    Err(ClientError::AuthFailed)
                } else {
                    Err(ClientError::from_code(header.err))
                };
                if let Some(waiter) = self.auth_waiters.pop_front() {
                    let _ = waiter.send(result);
                }
                return Ok(());
            }
            _ => {}
        }
        let front_xid = self.pending.front().map(|pending| pending.xid);
        // The answers to keep-alive pings match nothing queued.
        if header.xid == PING_XID && front_xid != Some(PING_XID) {
            return Ok(());
        }
        let Some(pending) = self.pending.pop_front() else {
            return Err(format!("reply with xid {} to no request", header.xid));
        };
        if pending.xid != header.xid {
            let error = format!(
                "xid out of order: expected {}, got {}",
                pending.xid, header.xid
            );
            let _ = pending
                .reply
                .send(Err(ClientError::ConnectionLoss(error.clone())));
            return Err(error);
        }
        if header.zxid.0 > 0 {
            self.last_zxid.fetch_max(header.zxid.0, Ordering::Relaxed);
        }
        if pending.closes {
            // Announced before the caller of `close` wakes, so it finds the session closed.
            self.announce(ConnectionState::Closed);
        }
        match decode_reply(payload, pending.kind) {
            Ok((header, _)) if header.err != 0 => {
                let _ = pending.reply.send(Err(ClientError::from_code(header.err)));
                Ok(())
            }
            Ok((header, body)) => {
                let _ = pending.reply.send(Ok(Reply {
                    zxid: header.zxid,
                    body,
                }));
                Ok(())
            }
            Err(error) => {
                let error = format!("malformed reply to xid {}: {error}", pending.xid);
                let _ = pending
                    .reply
                    .send(Err(ClientError::ConnectionLoss(error.clone())));
                Err(error)
            }
        }
    }

    /// Passes a watch notification on. Like the Java client, an event or state code it does
    /// not know is a broken connection, not something to guess at.
    fn handle_notification(&mut self, payload: &[u8]) -> Result<(), String> {
        let event = match decode_reply(payload, ResponseKind::Notification) {
            Ok((_, Some(Response::Notification(event)))) => event,
            Ok(_) => return Err("a notification without a body".into()),
            Err(error) => return Err(format!("malformed notification: {error}")),
        };
        let WatcherEvent {
            event_type,
            state,
            path,
        } = event;
        let event_type = EventType::from_code(event_type)
            .ok_or_else(|| format!("notification of unknown event type {event_type}"))?;
        let state = keeper_state_from_code(state)
            .ok_or_else(|| format!("notification with unknown state {state}"))?;
        let _ = self.events.send(ClientEvent {
            state,
            event_type,
            path: Some(path),
        });
        Ok(())
    }

    /// Publishes the end of the connection: the state first, so that a caller woken by the
    /// event sees it, then the event. Only the first ending is announced.
    fn announce(&mut self, state: ConnectionState) {
        if self.announced {
            return;
        }
        self.announced = true;
        self.state.send_replace(state);
        let keeper_state = match state {
            ConnectionState::Closed => KeeperState::Closed,
            ConnectionState::AuthFailed => KeeperState::AuthFailed,
            _ => KeeperState::Disconnected,
        };
        let _ = self.events.send(ClientEvent::state_change(keeper_state));
    }

    fn finish(mut self, ending: Ending) {
        let (state, error) = match ending {
            // A server may hang up before its answer to closeSession arrives.
            Ending::Closed | Ending::Lost(_) if self.closing => {
                (ConnectionState::Closed, ClientError::Closed)
            }
            Ending::Closed => (ConnectionState::Closed, ClientError::Closed),
            Ending::Lost(_) if self.auth_failed => {
                (ConnectionState::AuthFailed, ClientError::AuthFailed)
            }
            Ending::Lost(reason) => (
                ConnectionState::Disconnected,
                ClientError::ConnectionLoss(reason),
            ),
            Ending::Abandoned => (
                ConnectionState::Disconnected,
                ClientError::ConnectionLoss("the client was dropped".into()),
            ),
        };
        self.announce(state);
        for pending in self.pending.drain(..) {
            let _ = pending.reply.send(Err(error.clone()));
        }
        for waiter in self.auth_waiters.drain(..) {
            let _ = waiter.send(Err(error.clone()));
        }
    }
}

fn keeper_state_from_code(code: i32) -> Option<KeeperState> {
    [
        KeeperState::Disconnected,
        KeeperState::SyncConnected,
        KeeperState::AuthFailed,
        KeeperState::ConnectedReadOnly,
        KeeperState::Expired,
        KeeperState::Closed,
    ]
    .into_iter()
    .find(|state| state.code() == code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::records::{
        encode_notification, encode_reply, PathResponse, ReplyHeader, StatResponse,
    };
    use tokio::net::TcpListener;

    #[test]
    fn connect_string_hosts_get_the_default_port_and_ipv6_brackets() {
        assert_eq!(
            parse_connect_string("a:1, b ,[::1],::1:2182,[fe80::1]:7"),
            Ok(vec![
                "a:1".to_string(),
                "b:2181".to_string(),
                "[::1]:2181".to_string(),
                "[::1]:2182".to_string(),
                "[fe80::1]:7".to_string(),
            ])
        );
        assert!(parse_connect_string("a:1/chroot").is_err());
        assert!(parse_connect_string(" , ").is_err());
    }

    #[test]
    fn errors_map_to_the_codes_the_java_client_reports() {
        assert_eq!(
            ClientError::from_code(-101).error_code(),
            Some(ErrorCode::NoNode)
        );
        assert_eq!(ClientError::from_code(-999), ClientError::UnknownCode(-999));
        assert_eq!(
            ClientError::Closed.error_code(),
            Some(ErrorCode::SessionExpired)
        );
        assert_eq!(
            ClientError::ConnectionLoss("x".into()).error_code(),
            Some(ErrorCode::ConnectionLoss)
        );
    }

    #[test]
    fn credentials_debug_hides_the_password() {
        let credentials = SessionCredentials {
            session_id: 0x1234,
            password: b"secret".to_vec(),
        };
        assert_eq!(format!("{credentials:?}"), "SessionCredentials(0x1234)");
    }

    /// A scripted server on a loopback port: answers the handshake, then hands each request
    /// payload to `answer`, which returns the frames to send back (possibly none).
    async fn scripted_server(
        mut answer: impl FnMut(&[u8]) -> Vec<Vec<u8>> + Send + 'static,
    ) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut decoder = FrameDecoder::for_server(DEFAULT_MAX_FRAME_LENGTH);
            let mut buffer = [0u8; 4096];
            let mut handshaken = false;
            loop {
                while let Ok(Some(Frame::Message(payload))) = decoder.next_frame() {
                    let frames = if handshaken {
                        answer(&payload)
                    } else {
                        handshaken = true;
                        vec![ConnectResponse {
                            protocol_version: 0,
                            timeout_ms: 6000,
                            session_id: 0x77,
                            passwd: vec![9; 16],
                            read_only: Some(false),
                        }
                        .to_bytes()]
                    };
                    for frame in frames {
                        if socket.write_all(&encode_frame(&frame)).await.is_err() {
                            return;
                        }
                    }
                }
                match socket.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(count) => decoder.push(&buffer[..count]),
                }
            }
        });
        address
    }

    fn header(xid: i32, zxid: i64, err: i32) -> ReplyHeader {
        ReplyHeader {
            xid,
            zxid: Zxid(zxid),
            err,
        }
    }

    fn xid_of(payload: &[u8]) -> i32 {
        i32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]])
    }

    async fn connect_to(address: String) -> (Client, mpsc::UnboundedReceiver<ClientEvent>) {
        Client::connect(&ConnectOptions::new(vec![address]))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn handshake_exposes_the_session_and_announces_sync_connected() {
        let address = scripted_server(|_| Vec::new()).await;
        let (client, mut events) = connect_to(address).await;
        assert_eq!(client.session_id(), 0x77);
        assert_eq!(client.credentials().password, vec![9; 16]);
        assert_eq!(client.negotiated_timeout(), Duration::from_millis(6000));
        assert_eq!(client.state(), ConnectionState::Connected);
        assert_eq!(
            events.recv().await,
            Some(ClientEvent::state_change(KeeperState::SyncConnected))
        );
    }

    #[tokio::test]
    async fn pipelined_requests_get_their_own_replies_and_errors() {
        let address = scripted_server(|payload| {
            let xid = xid_of(payload);
            let reply = if xid == 1 {
                encode_reply(
                    &header(1, 5, 0),
                    Some(&Response::Path(PathResponse { path: "/a".into() })),
                )
            } else {
                encode_reply(&header(xid, 6, ErrorCode::NoNode.code()), None)
            };
            vec![reply]
        })
        .await;
        let (client, _events) = connect_to(address).await;
        let first = client.submit(Request::Sync(crate::proto::records::PathRequest {
            path: "/a".into(),
        }));
        let second = client.submit(Request::Delete(DeleteRequest {
            path: "/b".into(),
            version: -1,
        }));
        let (first, second) = tokio::join!(first, second);
        assert_eq!(
            first,
            Ok(Reply {
                zxid: Zxid(5),
                body: Some(Response::Path(PathResponse { path: "/a".into() }))
            })
        );
        assert_eq!(second, Err(ClientError::Server(ErrorCode::NoNode)));
        assert_eq!(client.last_zxid(), Zxid(6));
    }

    #[tokio::test]
    async fn notifications_arrive_on_the_event_channel() {
        let address = scripted_server(|payload| {
            let changed =
                WatcherEvent::new(EventType::NodeDataChanged, KeeperState::SyncConnected, "/w");
            vec![
                encode_notification(&changed),
                encode_reply(
                    &header(xid_of(payload), 9, 0),
                    Some(&Response::Stat(StatResponse {
                        stat: Stat::default(),
                    })),
                ),
            ]
        })
        .await;
        let (client, mut events) = connect_to(address).await;
        events.recv().await;
        client
            .set_data("/w", Some(b"x".to_vec()), -1)
            .await
            .unwrap();
        assert_eq!(
            events.recv().await,
            Some(ClientEvent {
                state: KeeperState::SyncConnected,
                event_type: EventType::NodeDataChanged,
                path: Some("/w".into()),
            })
        );
    }

    #[tokio::test]
    async fn a_reply_out_of_order_drops_the_connection() {
        let address = scripted_server(|_| vec![encode_reply(&header(42, 1, 0), None)]).await;
        let (client, mut events) = connect_to(address).await;
        let result = client.delete("/a", -1).await;
        assert!(
            matches!(&result, Err(ClientError::ConnectionLoss(reason)) if reason.contains("xid out of order")),
            "{result:?}"
        );
        events.recv().await;
        assert_eq!(
            events.recv().await,
            Some(ClientEvent::state_change(KeeperState::Disconnected))
        );
        assert_eq!(client.state(), ConnectionState::Disconnected);
        assert!(matches!(
            client.delete("/a", -1).await,
            Err(ClientError::ConnectionLoss(_))
        ));
    }

    #[tokio::test]
    async fn a_malformed_reply_body_is_an_error_not_a_panic() {
        let address = scripted_server(|payload| {
            let mut reply = header(xid_of(payload), 1, 0).to_bytes();
            reply.extend_from_slice(&[0, 0, 0, 50, b'x']);
            vec![reply]
        })
        .await;
        let (client, _events) = connect_to(address).await;
        let result = client.get_data("/a", false).await;
        assert!(
            matches!(&result, Err(ClientError::ConnectionLoss(reason)) if reason.contains("malformed")),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn a_rejected_auth_fails_the_session_with_auth_failed() {
        let address = scripted_server(|payload| {
            if xid_of(payload) == AUTH_XID {
                vec![encode_reply(
                    &header(AUTH_XID, 0, ErrorCode::AuthFailed.code()),
                    None,
                )]
            } else {
                Vec::new()
            }
        })
        .await;
        let (client, _events) = connect_to(address).await;
        assert_eq!(
            client.add_auth("digest", b"").await,
            Err(ClientError::AuthFailed)
        );
    }

    #[tokio::test]
    async fn close_ends_the_session_with_a_closed_event() {
        let address =
            scripted_server(|payload| vec![encode_reply(&header(xid_of(payload), 3, 0), None)])
                .await;
        let (client, mut events) = connect_to(address).await;
        events.recv().await;
        assert_eq!(client.close().await, Ok(()));
        assert_eq!(
            events.recv().await,
            Some(ClientEvent::state_change(KeeperState::Closed))
        );
        assert_eq!(client.state(), ConnectionState::Closed);
        assert_eq!(client.delete("/a", -1).await, Err(ClientError::Closed));
    }

    #[tokio::test]
    async fn an_expired_session_is_refused_at_the_handshake() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buffer = [0u8; 256];
            let _ = socket.read(&mut buffer).await;
            let expired = ConnectResponse {
                protocol_version: 0,
                timeout_ms: 0,
                session_id: 0,
                passwd: vec![0; 16],
                read_only: Some(false),
            };
            let _ = socket.write_all(&encode_frame(&expired.to_bytes())).await;
        });
        let mut options = ConnectOptions::new(vec![address]);
        options.resume = Some(SessionCredentials {
            session_id: 5,
            password: vec![1; 16],
        });
        assert_eq!(
            Client::connect(&options).await.map(|_| ()),
            Err(ClientError::SessionExpired)
        );
    }

    #[tokio::test]
    async fn connecting_to_nothing_lists_every_host_that_failed() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        drop(listener);
        let mut options = ConnectOptions::new(vec![address.clone()]);
        options.connect_timeout = Duration::from_millis(300);
        let result = Client::connect(&options).await;
        assert!(
            matches!(&result, Err(ClientError::ConnectionLoss(reason)) if reason.contains(&address)),
            "{result:?}"
        );
    }
}
