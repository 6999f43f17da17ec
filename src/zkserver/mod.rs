//! One ZooKeeper server's request pipeline (ZooKeeper's `ZooKeeperServer` with its
//! Prep, Sync and Final request processors), sans-IO.
//!
//! Inputs come in through [`ZkServer::handle`] with the current time: a client connecting, a
//! request on a connection, a connection lost, the log having made transactions durable, a
//! tick. Outputs are drained with [`ZkServer::poll_output`] and must be carried out in order:
//! handshake answers, replies, watch notifications, connections to close, transactions to make
//! durable, and when to wake the server next.
//!
//! Every request joins one queue in arrival order. A write is prepared at once (so later
//! requests see its effect) and given a zxid; it waits in the queue until the log reports it
//! durable ([`Input::Persisted`]), then it is applied, watches fire, and it is answered. A read
//! waits until everything ahead of it has been answered. This is ZooKeeper's standalone
//! ordering: a client's requests are answered in order, and a read never overtakes a write
//! that was accepted before it.
//!
//! In an ensemble the same pipeline serves clients in one of the [`Role`]s a quorum peer
//! gives it. A leader prepares writes as a standalone server does, but proposes them
//! ([`Output::Propose`]) and applies them once the quorum has committed them
//! ([`Input::Committed`]); it also prepares the writes its learners forward
//! ([`Input::Forwarded`]) and alone expires sessions. A learner (follower or observer) forwards
//! its clients' writes to the leader ([`Output::Forward`]), applies every committed
//! transaction it is given ([`Input::Apply`]), and answers its own clients' writes as theirs
//! come by, in their order.

pub mod fourletter;
pub mod pending;
pub mod prep;
mod reads;
pub mod session;
#[cfg(test)]
mod tests;

use crate::data::acl::{AuthInfo, AuthProviders};
use crate::data::tree::{DataTree, OpResult};
use crate::data::txn::{Txn, TxnHeader};
use crate::data::types::{Acl, ErrorCode, EventType, KeeperState, OpCode, SessionId, Zxid};
use crate::data::watch::WatchManager;
use crate::proto::records::{
    ConnectRequest, ConnectResponse, Create2Response, ErrorResponse, MultiOp, MultiOpResult,
    MultiResponse, PathResponse, ReplyHeader, Request, RequestHeader, Response, StatResponse,
    WatcherEvent,
};
use crate::time::VirtualTime;
use core::net::IpAddr;
use pending::PendingChanges;
use prep::Prep;
use session::{password_matches, session_password, SessionTracker, TimeoutBounds, PASSWORD_LEN};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// A client connection, numbered by whoever owns the sockets (or the simulated clients).
pub type ConnId = u64;

/// Special xids (`ClientCnxn`): replies to pings and auth carry them back.
pub const PING_XID: i32 = -2;
pub const AUTH_XID: i32 = -4;

/// What the pipeline is doing for the ensemble, if it is in one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A server on its own: writes are made durable, then applied.
    Standalone,
    /// The ensemble's leader: writes are proposed, then applied once committed.
    Leader,
    /// A follower or observer: writes go to the leader; committed transactions are applied.
    Learner,
    /// Not serving (looking for a leader, or synchronizing): no client may connect.
    Stopped,
}

/// A write that a learner's client sent, on its way to the leader (ZooKeeper's REQUEST
/// packet): the leader prepares it with the client's identity as if the client were its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardedRequest {
    pub session: SessionId,
    pub cxid: i32,
    pub kind: Forwarded,
    /// The client connection's authentication, which ACL checks need (shared with the
    /// connection, not copied: it changes only on `addauth`, and a copy of its table is
    /// costly next to the write it travels with).
    pub auth: Arc<AuthInfo>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Forwarded {
    /// A client's new session, with its negotiated timeout.
    CreateSession {
        timeout_ms: i32,
    },
    CloseSession,
    Write(Request),
}

impl Forwarded {
    /// The opcodes a multi's results are shaped by; nothing for other writes.
    fn multi_ops(&self) -> Vec<OpCode> {
        match self {
            Forwarded::Write(request) => multi_ops(request),
            _ => Vec::new(),
        }
    }
}

/// The opcodes a multi's results are shaped by; nothing for other requests.
pub(crate) fn multi_ops(request: &Request) -> Vec<OpCode> {
    match request {
        Request::Multi(ops) => ops.iter().map(prep::multi_op_code).collect(),
        _ => Vec::new(),
    }
}

/// How one server is set up (the parts of zoo.cfg the pipeline needs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZkServerConfig {
    /// `myid`, 0 for a standalone server: the top byte of every session id it creates.
    pub server_id: u64,
    pub tick_ms: u64,
    pub timeouts: TimeoutBounds,
    /// When the server process started (ms since the Unix epoch natively): seeds session ids
    /// so that a restarted server does not reuse them.
    pub started_ms: u64,
    pub super_digest: Option<String>,
    pub skip_acl: bool,
    pub extended_types_enabled: bool,
    /// How often the container manager looks for empty containers and expired TTL znodes
    /// (`znode.container.checkIntervalMs`, 60 s by default).
    pub container_check_interval_ms: u64,
    /// `znode.container.maxNeverUsedIntervalMs`: 0 keeps never-used containers forever.
    pub container_max_never_used_ms: i64,
    /// Transactions between snapshots (`snapCount`).
    pub snap_count: u64,
}

impl ZkServerConfig {
    /// A standalone server with ZooKeeper's defaults for a tick of `tick_ms`.
    pub fn standalone(tick_ms: u64) -> ZkServerConfig {
        ZkServerConfig {
            server_id: 0,
            tick_ms,
            timeouts: TimeoutBounds::from_tick(i32::try_from(tick_ms).unwrap_or(i32::MAX)),
            started_ms: 0,
            super_digest: None,
            skip_acl: false,
            extended_types_enabled: false,
            container_check_interval_ms: 60_000,
            container_max_never_used_ms: 0,
            snap_count: 100_000,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A client's handshake on a new connection.
    Connect {
        conn: ConnId,
        client: IpAddr,
        request: ConnectRequest,
    },
    /// A request on an established connection.
    Request {
        conn: ConnId,
        header: RequestHeader,
        request: Request,
    },
    /// The connection is gone (closed by the client, or broken).
    ConnectionLost { conn: ConnId },
    /// Every transaction up to and including this zxid is durable (standalone).
    Persisted { through: Zxid },
    /// Every proposal up to and including this zxid is committed by a quorum (leader).
    Committed { through: Zxid },
    /// A write forwarded by a learner, to prepare and propose (leader).
    Forwarded(ForwardedRequest),
    /// Sessions a learner's clients have shown signs of life for (leader).
    TouchSessions(Vec<SessionId>),
    /// A committed transaction to apply, in zxid order (learner, or any role while syncing).
    /// Shared with the log entry it comes from, not copied.
    Apply { header: TxnHeader, txn: Arc<Txn> },
    /// Time has passed: expire sessions, clean up containers.
    Tick,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// The answer to a handshake.
    Connected {
        conn: ConnId,
        response: ConnectResponse,
    },
    Reply {
        conn: ConnId,
        header: ReplyHeader,
        body: Option<Response>,
    },
    Notify {
        conn: ConnId,
        event: WatcherEvent,
    },
    /// Close the connection after sending everything queued for it.
    Close {
        conn: ConnId,
    },
    /// Make this transaction durable, then report it with [`Input::Persisted`]. Transactions
    /// come in zxid order and may be made durable together (group commit). The server keeps
    /// the same transaction (shared, not copied) until it is durable, then applies it.
    Persist {
        header: TxnHeader,
        txn: Arc<Txn>,
    },
    /// Deliver [`Input::Tick`] at this time (replaces any earlier request).
    WakeAt(VirtualTime),
    /// Propose this transaction to the ensemble, then report the commit with
    /// [`Input::Committed`] (leader). Transactions come in zxid order. The transaction is
    /// shared with the server, the leader's log and every proposal sent: none copies it.
    Propose {
        header: TxnHeader,
        txn: Arc<Txn>,
    },
    /// Send this write to the leader (learner); it comes back as an [`Input::Apply`].
    Forward(ForwardedRequest),
}

struct Connection {
    session: Option<SessionId>,
    /// Copied on write by `addauth` if a forwarded request still shares it.
    auth: Arc<AuthInfo>,
    /// Requests received and replies sent, for the `cons` and `stat` four-letter words.
    received: u64,
    sent: u64,
}

/// Who is waiting for a transaction's result.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Origin {
    Client {
        conn: ConnId,
        xid: i32,
    },
    /// A new session: answer the handshake once it is durable.
    NewSession {
        conn: ConnId,
        read_only: Option<bool>,
    },
    /// The server itself (session expiry, container cleanup), or a write a learner
    /// forwarded (its learner answers it): nobody to answer here.
    Server,
}

enum Queued {
    Txn {
        arrived: VirtualTime,
        origin: Origin,
        header: TxnHeader,
        txn: Arc<Txn>,
        /// For a multi: the opcode each op ran as, which shapes its result.
        multi_ops: Vec<OpCode>,
    },
    Read {
        arrived: VirtualTime,
        conn: ConnId,
        xid: i32,
        request: Request,
    },
    /// A write forwarded to the leader, answered when its transaction is applied.
    Forwarded {
        arrived: VirtualTime,
        origin: Origin,
        session: SessionId,
        cxid: i32,
        multi_ops: Vec<OpCode>,
    },
}

/// Request latency from arrival to answer, in milliseconds (`srvr`'s min/avg/max).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LatencyStats {
    pub min_ms: u64,
    pub max_ms: u64,
    pub total_ms: u64,
    pub count: u64,
}

impl LatencyStats {
    fn record(&mut self, ms: u64) {
        self.min_ms = if self.count == 0 {
            ms
        } else {
            self.min_ms.min(ms)
        };
        self.max_ms = self.max_ms.max(ms);
        self.total_ms = self.total_ms.saturating_add(ms);
        self.count += 1;
    }

    pub fn average_ms(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.total_ms as f64 / self.count as f64
        }
    }
}

/// Counters for the four-letter words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerCounters {
    pub packets_received: u64,
    pub packets_sent: u64,
}

pub struct ZkServer {
    config: ZkServerConfig,
    role: Role,
    /// Sessions a learner's clients touched since the leader was last told.
    touched: std::collections::BTreeSet<SessionId>,
    tree: DataTree,
    watches: WatchManager,
    sessions: SessionTracker,
    providers: AuthProviders,
    pending: PendingChanges,
    connections: BTreeMap<ConnId, Connection>,
    /// The connection a session currently speaks through: watches and notifications follow it.
    session_owner: BTreeMap<SessionId, ConnId>,
    queue: VecDeque<Queued>,
    last_zxid: Zxid,
    /// Transactions up to here may be applied: durable (standalone) or committed (leader).
    durable_through: Zxid,
    txns_since_snapshot: u64,
    next_container_check: VirtualTime,
    wake_requested: Option<VirtualTime>,
    counters: ServerCounters,
    latency: LatencyStats,
    /// The time of the input being handled.
    now: VirtualTime,
    /// The (empty) identity of the server's own requests: session expiry, container cleanup.
    server_auth: AuthInfo,
    outputs: VecDeque<Output>,
}

impl ZkServer {
    /// A server with an empty tree (a fresh data directory).
    pub fn new(config: ZkServerConfig) -> ZkServer {
        ZkServer::recover(config, DataTree::new(), Vec::new(), VirtualTime::ZERO)
    }

    /// A server restarted from durable state: the tree as of its last applied transaction and
    /// the sessions that were open then (id and timeout), which get a full timeout from `now`.
    pub fn recover(
        config: ZkServerConfig,
        tree: DataTree,
        sessions: Vec<(SessionId, i32)>,
        now: VirtualTime,
    ) -> ZkServer {
        let first_id = session::first_session_id(config.server_id, config.started_ms);
        let mut tracker = SessionTracker::new(config.tick_ms, first_id);
        for (id, timeout_ms) in sessions {
            tracker.track(id, timeout_ms, now);
        }
        let last_zxid = tree.last_processed_zxid();
        ZkServer {
            providers: AuthProviders {
                super_digest: config.super_digest.clone(),
                ipv6_ip_acls: false,
                skip_acl: config.skip_acl,
            },
            next_container_check: now + config.container_check_interval_ms,
            config,
            role: Role::Standalone,
            touched: std::collections::BTreeSet::new(),
            tree,
            watches: WatchManager::new(),
            sessions: tracker,
            pending: PendingChanges::default(),
            connections: BTreeMap::new(),
            session_owner: BTreeMap::new(),
            queue: VecDeque::new(),
            last_zxid,
            durable_through: last_zxid,
            txns_since_snapshot: 0,
            wake_requested: None,
            counters: ServerCounters::default(),
            latency: LatencyStats::default(),
            now,
            server_auth: AuthInfo::new(),
            outputs: VecDeque::new(),
        }
    }

    // ---- getters ----

    pub fn tree(&self) -> &DataTree {
        &self.tree
    }

    pub fn watches(&self) -> &WatchManager {
        &self.watches
    }

    pub fn sessions(&self) -> &SessionTracker {
        &self.sessions
    }

    pub fn config(&self) -> &ZkServerConfig {
        &self.config
    }

    pub fn counters(&self) -> ServerCounters {
        self.counters
    }

    pub fn latency(&self) -> LatencyStats {
        self.latency
    }

    /// The highest zxid handed out (prepared), durable or not.
    pub fn last_zxid(&self) -> Zxid {
        self.last_zxid
    }

    /// Requests accepted but not yet answered.
    pub fn outstanding(&self) -> usize {
        self.queue.len()
    }

    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// Per connection: its session and the requests received and replies sent.
    pub fn connection_stats(&self) -> Vec<(ConnId, Option<SessionId>, u64, u64)> {
        self.connections
            .iter()
            .map(|(&conn, c)| (conn, c.session, c.received, c.sent))
            .collect()
    }

    /// Sessions with their timeouts, as a snapshot records them.
    pub fn session_table(&self) -> Vec<(SessionId, i32)> {
        self.sessions
            .sessions()
            .map(|session| (session.id, session.timeout_ms))
            .collect()
    }

    /// Whether `snapCount` transactions have been applied since the last snapshot. The
    /// caller takes one (from [`ZkServer::tree`] and [`ZkServer::session_table`]) and then
    /// calls [`ZkServer::snapshot_taken`].
    pub fn snapshot_due(&self) -> bool {
        self.txns_since_snapshot >= self.config.snap_count
    }

    pub fn snapshot_taken(&mut self) {
        self.txns_since_snapshot = 0;
    }

    // ---- roles in an ensemble ----

    pub fn role(&self) -> Role {
        self.role
    }

    /// Starts serving as the ensemble's leader. Zxids continue from `epoch_start`
    /// (`epoch:0` of the new epoch); every known session gets a full timeout from `now`, as
    /// ZooKeeper's leader does when it takes over the session table.
    pub fn start_leading(&mut self, now: VirtualTime, epoch_start: Zxid) {
        self.stop_serving();
        self.role = Role::Leader;
        self.last_zxid = epoch_start.max(self.tree.last_processed_zxid());
        self.durable_through = self.tree.last_processed_zxid();
        let sessions: Vec<(SessionId, i32)> = self.session_table();
        for (id, timeout_ms) in sessions {
            self.sessions.track(id, timeout_ms, now);
        }
        self.next_container_check = now + self.config.container_check_interval_ms;
        self.request_wakeup();
    }

    /// Starts serving as a follower or observer of the current leader.
    pub fn start_learning(&mut self) {
        self.stop_serving();
        self.role = Role::Learner;
        self.request_wakeup();
    }

    /// Stops serving clients: every connection is closed and every unanswered request
    /// dropped (its client sees the connection go and retries elsewhere), as ZooKeeper does
    /// when a server leaves its role.
    pub fn stop_serving(&mut self) {
        self.role = Role::Stopped;
        let conns: Vec<ConnId> = self.connections.keys().copied().collect();
        for conn in conns {
            self.outputs.push_back(Output::Close { conn });
            self.on_connection_lost(conn);
        }
        self.queue.clear();
        self.pending = PendingChanges::default();
        self.touched.clear();
        for session in self.sessions.sessions().map(|s| s.id).collect::<Vec<_>>() {
            // A close that was begun but never committed may be begun again by a leader.
            self.sessions.reopen(session);
        }
        self.durable_through = self.tree.last_processed_zxid();
        self.last_zxid = self.tree.last_processed_zxid();
    }

    /// Replaces the whole state (a snapshot from the leader, or a rebuilt log after a
    /// truncation). Only while not serving.
    pub fn reset_state(
        &mut self,
        now: VirtualTime,
        tree: DataTree,
        sessions: Vec<(SessionId, i32)>,
    ) {
        debug_assert_eq!(self.role, Role::Stopped);
        self.tree = tree;
        // A new tracker starts from the clock, as ZooKeeper's does, and never below the ids
        // this process already handed out (a session of ours may be in the new state).
        let first_id = session::first_session_id(
            self.config.server_id,
            self.config.started_ms.max(now.as_millis()),
        )
        .max(self.sessions.peek_next_id());
        self.sessions = SessionTracker::new(self.config.tick_ms, first_id);
        for (id, timeout_ms) in sessions {
            self.sessions.track(id, timeout_ms, now);
        }
        self.watches = WatchManager::new();
        self.durable_through = self.tree.last_processed_zxid();
        self.last_zxid = self.tree.last_processed_zxid();
        self.txns_since_snapshot = 0;
    }

    /// The sessions a learner's clients touched since the last call (for its next ping).
    pub fn take_touched_sessions(&mut self) -> Vec<SessionId> {
        std::mem::take(&mut self.touched).into_iter().collect()
    }

    // ---- inputs ----

    pub fn handle(&mut self, now: VirtualTime, input: Input) {
        self.now = now;
        match input {
            Input::Connect {
                conn,
                client,
                request,
            } => self.on_connect(now, conn, client, request),
            Input::Request {
                conn,
                header,
                request,
            } => self.on_request(now, conn, header, request),
            Input::ConnectionLost { conn } => self.on_connection_lost(conn),
            Input::Persisted { through } | Input::Committed { through } => {
                self.durable_through = self.durable_through.max(through);
            }
            Input::Forwarded(request) => self.on_forwarded(now, request),
            Input::TouchSessions(sessions) => {
                for session in sessions {
                    // A session the leader already expired stays expired.
                    let _ = self.sessions.touch(session, now);
                }
            }
            Input::Apply { header, txn } => self.apply_committed(&header, &txn),
            Input::Tick => self.on_tick(now),
        }
        self.drain();
        self.request_wakeup();
    }

    // ---- outputs ----

    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    // ---- connections and sessions ----

    fn on_connect(
        &mut self,
        now: VirtualTime,
        conn: ConnId,
        client: IpAddr,
        request: ConnectRequest,
    ) {
        if self.role == Role::Stopped || request.last_zxid_seen > self.tree.last_processed_zxid() {
            // Not serving, or the client has seen a newer state than ours: it must find
            // another server.
            self.outputs.push_back(Output::Close { conn });
            return;
        }
        self.connections.insert(
            conn,
            Connection {
                session: None,
                auth: Arc::new(AuthInfo::for_client(client)),
                received: 1,
                sent: 0,
            },
        );
        let timeout_ms = self.config.timeouts.negotiate(request.timeout_ms);
        if request.session_id == 0 {
            let session = self.sessions.create(timeout_ms, now);
            self.attach(conn, session);
            let origin = Origin::NewSession {
                conn,
                read_only: request.read_only,
            };
            if self.role == Role::Learner {
                self.forward(origin, session, 0, Forwarded::CreateSession { timeout_ms });
                return;
            }
            let zxid = self.next_zxid();
            let header = self.txn_header(session, 0, zxid, now, OpCode::CreateSession);
            self.enqueue_txn(
                origin,
                header,
                Txn::CreateSession { timeout_ms },
                Vec::new(),
            );
            return;
        }
        let session = request.session_id;
        // Whatever the password, a client reconnecting to a session takes it over: ZooKeeper
        // closes the session's current connection first.
        if let Some(previous) = self.session_owner.get(&session).copied() {
            if previous != conn {
                self.outputs.push_back(Output::Close { conn: previous });
                self.on_connection_lost(previous);
            }
        }
        let alive =
            password_matches(session, &request.passwd) && self.sessions.touch(session, now).is_ok();
        if !alive {
            self.send_connected(
                conn,
                ConnectResponse {
                    protocol_version: 0,
                    timeout_ms: 0,
                    session_id: 0,
                    passwd: vec![0; PASSWORD_LEN],
                    read_only: request.read_only.map(|_| false),
                },
            );
            self.outputs.push_back(Output::Close { conn });
            self.connections.remove(&conn);
            return;
        }
        let timeout_ms = self
            .sessions
            .get(session)
            .map_or(timeout_ms, |s| s.timeout_ms);
        self.attach(conn, session);
        self.send_session(conn, session, timeout_ms, request.read_only);
    }

    /// Makes `conn` the connection of `session`: its notifications go there from now on.
    fn attach(&mut self, conn: ConnId, session: SessionId) {
        if let Some(connection) = self.connections.get_mut(&conn) {
            connection.session = Some(session);
        }
        if let Some(previous) = self.session_owner.insert(session, conn) {
            if previous != conn {
                // Watches belong to a connection: the client re-registers them with setWatches.
                self.watches.remove_session(session);
            }
        }
    }

    fn on_connection_lost(&mut self, conn: ConnId) {
        let Some(connection) = self.connections.remove(&conn) else {
            return;
        };
        if let Some(session) = connection.session {
            if self.session_owner.get(&session) == Some(&conn) {
                self.session_owner.remove(&session);
                self.watches.remove_session(session);
            }
        }
    }

    fn on_tick(&mut self, now: VirtualTime) {
        if !self.decides_for_ensemble() {
            return;
        }
        for session in self.sessions.expire_due(now) {
            self.close_session(now, session, 0, Origin::Server);
        }
        if now >= self.next_container_check {
            self.next_container_check = now + self.config.container_check_interval_ms.max(1);
            self.clean_containers(now);
        }
    }

    /// The container manager: deletes empty containers and expired TTL znodes.
    fn clean_containers(&mut self, now: VirtualTime) {
        let now_ms = now.as_millis() as i64;
        let mut doomed = self
            .tree
            .container_candidates(now_ms, self.config.container_max_never_used_ms);
        doomed.extend(self.tree.expired_ttl_nodes(now_ms));
        for path in doomed {
            let zxid = self.next_zxid();
            let header = self.txn_header(0, 0, zxid, now, OpCode::DeleteContainer);
            let txn = self
                .prep(0, Identity::Server, zxid)
                .delete_container(&path)
                .unwrap_or_else(|code| Txn::Error { code });
            self.enqueue_txn(Origin::Server, header, txn, Vec::new());
        }
    }

    /// Whether this server expires sessions and cleans up containers: a standalone server
    /// or a leader, never a learner (its leader does it for everyone).
    fn decides_for_ensemble(&self) -> bool {
        matches!(self.role, Role::Standalone | Role::Leader)
    }

    fn close_session(&mut self, now: VirtualTime, session: SessionId, cxid: i32, origin: Origin) {
        self.sessions.set_closing(session);
        let zxid = self.next_zxid();
        let header = self.txn_header(session, cxid, zxid, now, OpCode::CloseSession);
        let txn = self.prep(session, Identity::Server, zxid).close_session();
        self.enqueue_txn(origin, header, txn, Vec::new());
    }

    // ---- requests ----

    fn on_request(
        &mut self,
        now: VirtualTime,
        conn: ConnId,
        header: RequestHeader,
        request: Request,
    ) {
        self.counters.packets_received += 1;
        let Some(connection) = self.connections.get_mut(&conn) else {
            return;
        };
        connection.received += 1;
        let Some(session) = connection.session else {
            self.outputs.push_back(Output::Close { conn });
            return;
        };
        // Any packet is a sign of life; a session already closing takes no more requests.
        if self.sessions.touch(session, now).is_err() {
            self.reply(conn, header.xid, ErrorCode::SessionExpired, None);
            self.outputs.push_back(Output::Close { conn });
            return;
        }
        if self.role == Role::Learner {
            self.touched.insert(session);
        }
        let xid = header.xid;
        let origin = Origin::Client { conn, xid };
        if self.role == Role::Learner && is_write(&request) {
            let kind = match request {
                Request::CloseSession => {
                    self.sessions.set_closing(session);
                    Forwarded::CloseSession
                }
                write => Forwarded::Write(write),
            };
            self.forward(origin, session, xid, kind);
            return;
        }
        match request {
            Request::Auth(packet) => {
                // Answered at once, as ZooKeeper does, not through the queue.
                let result = match self.connections.get_mut(&conn) {
                    Some(connection) => self.providers.authenticate(
                        Arc::make_mut(&mut connection.auth),
                        &packet.scheme,
                        &packet.auth,
                    ),
                    None => Err(ErrorCode::AuthFailed),
                };
                match result {
                    Ok(()) => self.reply(conn, AUTH_XID, ErrorCode::Ok, None),
                    Err(code) => {
                        self.reply(conn, AUTH_XID, code, None);
                        self.outputs.push_back(Output::Close { conn });
                    }
                }
            }
            Request::CloseSession => self.close_session(now, session, xid, origin),
            write if is_write(&write) => {
                let (header, txn, multi_ops) =
                    self.prepare_write(now, session, xid, Identity::Connection(conn), &write);
                self.enqueue_txn(origin, header, txn, multi_ops);
            }
            Request::Unknown { .. } | Request::Sasl(_) => {
                self.reply(conn, xid, ErrorCode::Unimplemented, None);
                self.outputs.push_back(Output::Close { conn });
            }
            read => self.queue.push_back(Queued::Read {
                arrived: now,
                conn,
                xid,
                request: read,
            }),
        }
    }

    /// Turns a client's write into its transaction, with the next zxid.
    fn prepare_write(
        &mut self,
        now: VirtualTime,
        session: SessionId,
        xid: i32,
        identity: Identity<'_>,
        request: &Request,
    ) -> (TxnHeader, Txn, Vec<OpCode>) {
        let op = OpCode::from_code(request.op_code()).unwrap_or(OpCode::Error);
        let zxid = self.next_zxid();
        let header = self.txn_header(session, xid, zxid, now, op);
        match request {
            // A read inside a multi makes ZooKeeper refuse the whole request as unreadable,
            // after it has already given it a zxid.
            Request::Multi(ops)
                if ops
                    .iter()
                    .any(|op| matches!(op, MultiOp::GetChildren(_) | MultiOp::GetData(_))) =>
            {
                let code = ErrorCode::MarshallingError;
                (header, Txn::Error { code }, Vec::new())
            }
            Request::Multi(ops) => {
                let (txn, ops) = self.prep(session, identity, zxid).multi(ops);
                (header, txn, ops)
            }
            write => {
                let txn = self
                    .prep(session, identity, zxid)
                    .write(write)
                    .unwrap_or_else(|code| Txn::Error { code });
                (header, txn, Vec::new())
            }
        }
    }

    /// A learner's forwarded write, prepared by the leader as if its client were here.
    fn on_forwarded(&mut self, now: VirtualTime, forwarded: ForwardedRequest) {
        if self.role != Role::Leader {
            return;
        }
        let ForwardedRequest {
            session,
            cxid,
            kind,
            auth,
        } = forwarded;
        match kind {
            Forwarded::CreateSession { timeout_ms } => {
                self.sessions.track(session, timeout_ms, now);
                let zxid = self.next_zxid();
                let header = self.txn_header(session, cxid, zxid, now, OpCode::CreateSession);
                self.enqueue_txn(
                    Origin::Server,
                    header,
                    Txn::CreateSession { timeout_ms },
                    Vec::new(),
                );
            }
            Forwarded::CloseSession if self.sessions.check(session).is_ok() => {
                self.close_session(now, session, cxid, Origin::Server)
            }
            Forwarded::CloseSession => {}
            Forwarded::Write(request) => {
                if self.sessions.touch(session, now).is_err() {
                    // The session expired here before its learner heard: the learner
                    // answers its client with the error.
                    let zxid = self.next_zxid();
                    let op = OpCode::from_code(request.op_code()).unwrap_or(OpCode::Error);
                    let header = self.txn_header(session, cxid, zxid, now, op);
                    let code = ErrorCode::SessionExpired;
                    self.enqueue_txn(Origin::Server, header, Txn::Error { code }, Vec::new());
                    return;
                }
                let (header, txn, multi_ops) =
                    self.prepare_write(now, session, cxid, Identity::Forwarded(&auth), &request);
                self.enqueue_txn(Origin::Server, header, txn, multi_ops);
            }
        }
    }

    /// Sends a client's write to the leader and keeps its place in this server's queue.
    fn forward(&mut self, origin: Origin, session: SessionId, cxid: i32, kind: Forwarded) {
        let auth = match origin {
            Origin::Client { conn, .. } | Origin::NewSession { conn, .. } => self
                .connections
                .get(&conn)
                .map(|connection| Arc::clone(&connection.auth))
                .unwrap_or_default(),
            Origin::Server => Arc::default(),
        };
        let multi_ops = kind.multi_ops();
        self.queue.push_back(Queued::Forwarded {
            arrived: self.now,
            origin,
            session,
            cxid,
            multi_ops,
        });
        self.outputs.push_back(Output::Forward(ForwardedRequest {
            session,
            cxid,
            kind,
            auth,
        }));
    }

    fn prep<'a>(&'a mut self, session: SessionId, identity: Identity<'a>, zxid: Zxid) -> Prep<'a> {
        let auth = match identity {
            Identity::Connection(conn) => self
                .connections
                .get(&conn)
                .map(|connection| &*connection.auth)
                .unwrap_or(&self.server_auth),
            Identity::Forwarded(auth) => auth,
            Identity::Server => &self.server_auth,
        };
        Prep {
            tree: &self.tree,
            pending: &mut self.pending,
            providers: &self.providers,
            auth,
            session,
            zxid,
            extended_types_enabled: self.config.extended_types_enabled,
        }
    }

    fn next_zxid(&mut self) -> Zxid {
        self.last_zxid = self.last_zxid.next();
        self.last_zxid
    }

    fn txn_header(
        &self,
        session: SessionId,
        cxid: i32,
        zxid: Zxid,
        now: VirtualTime,
        op: OpCode,
    ) -> TxnHeader {
        TxnHeader {
            session_id: session,
            cxid,
            zxid,
            time_ms: now.as_millis() as i64,
            op,
        }
    }

    fn enqueue_txn(&mut self, origin: Origin, header: TxnHeader, txn: Txn, multi_ops: Vec<OpCode>) {
        let txn = Arc::new(txn);
        self.outputs.push_back(match self.role {
            Role::Leader => Output::Propose {
                header: header.clone(),
                txn: Arc::clone(&txn),
            },
            _ => Output::Persist {
                header: header.clone(),
                txn: Arc::clone(&txn),
            },
        });
        self.queue.push_back(Queued::Txn {
            arrived: self.now,
            origin,
            header,
            txn,
            multi_ops,
        });
    }

    // ---- the final stage: apply, notify, answer ----

    /// Answers everything at the head of the queue that may be answered now.
    fn drain(&mut self) {
        loop {
            let ready = match self.queue.front() {
                Some(Queued::Txn { header, .. }) => header.zxid <= self.durable_through,
                Some(Queued::Read { .. }) => true,
                Some(Queued::Forwarded { .. }) | None => false,
            };
            if !ready {
                return;
            }
            match self.queue.pop_front() {
                Some(Queued::Txn {
                    arrived,
                    origin,
                    header,
                    txn,
                    multi_ops,
                }) => {
                    if let Origin::Client { .. } = origin {
                        self.latency.record(self.now.millis_since(arrived));
                    }
                    self.apply(origin, &header, &txn, &multi_ops);
                }
                Some(Queued::Read {
                    arrived,
                    conn,
                    xid,
                    request,
                }) => {
                    self.latency.record(self.now.millis_since(arrived));
                    self.read(conn, xid, request);
                }
                Some(Queued::Forwarded { .. }) | None => return,
            }
        }
    }

    /// A committed transaction from the leader: applied, and answered if it is the write
    /// this server's queue is waiting for.
    fn apply_committed(&mut self, header: &TxnHeader, txn: &Txn) {
        let ours = matches!(
            self.queue.front(),
            Some(Queued::Forwarded { session, cxid, .. })
                if *session == header.session_id && *cxid == header.cxid
        );
        if !ours {
            self.apply(Origin::Server, header, txn, &[]);
            return;
        }
        if let Some(Queued::Forwarded {
            arrived,
            origin,
            multi_ops,
            ..
        }) = self.queue.pop_front()
        {
            if let Origin::Client { .. } = origin {
                self.latency.record(self.now.millis_since(arrived));
            }
            self.apply(origin, header, txn, &multi_ops);
        }
    }

    fn apply(&mut self, origin: Origin, header: &TxnHeader, txn: &Txn, multi_ops: &[OpCode]) {
        // A deleted node's ACL decides who may hear of its deletion: keep it before it goes.
        let deleted_acls = self.acls_of_deletions(txn);
        let outcome = self.tree.apply(header, txn);
        self.pending.applied_through(header.zxid);
        self.txns_since_snapshot += 1;
        for event in &outcome.events {
            self.notify(event, deleted_acls.get(&event.path).map(Vec::as_slice));
        }
        let session = header.session_id;
        if let Txn::CreateSession { timeout_ms } = txn {
            // Every server learns every session, so that any of them can lead.
            self.sessions.track(session, *timeout_ms, self.now);
        }
        match origin {
            Origin::NewSession { conn, read_only } => {
                let timeout_ms = match txn {
                    Txn::CreateSession { timeout_ms } => *timeout_ms,
                    _ => 0,
                };
                self.send_session(conn, session, timeout_ms, read_only);
            }
            Origin::Client { conn, xid } => {
                let (err, body) = write_answer(header.op, txn, &outcome.result, multi_ops);
                self.reply(conn, xid, err, body);
            }
            Origin::Server => {}
        }
        if let Txn::CloseSession { .. } = txn {
            self.sessions.remove(session);
            self.watches.remove_session(session);
            if let Some(conn) = self.session_owner.remove(&session) {
                self.outputs.push_back(Output::Close { conn });
                self.connections.remove(&conn);
            }
        }
    }

    /// The ACLs of the znodes a transaction will delete.
    fn acls_of_deletions(&self, txn: &Txn) -> BTreeMap<String, Vec<Acl>> {
        let mut acls = BTreeMap::new();
        let mut remember = |path: &str| {
            if let Some(node) = self.tree.node(path) {
                acls.insert(path.to_string(), node.acl.to_vec());
            }
        };
        match txn {
            Txn::Delete { path } => remember(path),
            Txn::CloseSession { paths_to_delete } => {
                paths_to_delete.iter().for_each(|p| remember(p))
            }
            Txn::Multi(txns) => {
                for sub in txns {
                    if let Txn::Delete { path } = sub {
                        remember(path);
                    }
                }
            }
            _ => {}
        }
        acls
    }

    /// Sends a watch event to every session whose watch it fires and that may read the node
    /// (its ACL, or for a deletion `deleted_acl`, its last): ZooKeeper 3.8 as Debian ships it,
    /// with the fix for CVE-2024-23944, hides events from sessions without READ, though their
    /// one-shot watches are still used up. The ACL is looked up only if a watch fires.
    fn notify(&mut self, event: &crate::data::types::WatchedEvent, deleted_acl: Option<&[Acl]>) {
        let (providers, connections, owners, tree) = (
            &self.providers,
            &self.connections,
            &self.session_owner,
            &self.tree,
        );
        let mut node_acl = None;
        let may_read = |session: SessionId| {
            let acl = match event.event_type {
                EventType::NodeDeleted => deleted_acl,
                _ => *node_acl.get_or_insert_with(|| tree.node(&event.path).map(|node| node.acl)),
            };
            let (Some(acl), Some(connection)) =
                (acl, owners.get(&session).and_then(|c| connections.get(c)))
            else {
                return true;
            };
            providers.may_read(acl, &connection.auth)
        };
        for (session, fired) in self.watches.trigger_visible(event, may_read) {
            if let Some(&conn) = self.session_owner.get(&session) {
                self.outputs.push_back(Output::Notify {
                    conn,
                    event: watcher_event(fired.event_type, &fired.path),
                });
            }
        }
    }

    fn send_connected(&mut self, conn: ConnId, response: ConnectResponse) {
        self.outputs.push_back(Output::Connected { conn, response });
    }

    /// Answers a handshake with an established session: its id, timeout and password, and the
    /// read-only flag echoed (as false: this server is never read-only) if the client sent one.
    fn send_session(
        &mut self,
        conn: ConnId,
        session: SessionId,
        timeout_ms: i32,
        read_only: Option<bool>,
    ) {
        self.send_connected(
            conn,
            ConnectResponse {
                protocol_version: 0,
                timeout_ms,
                session_id: session,
                passwd: session_password(session).to_vec(),
                read_only: read_only.map(|_| false),
            },
        );
    }

    fn reply(&mut self, conn: ConnId, xid: i32, err: ErrorCode, body: Option<Response>) {
        let Some(connection) = self.connections.get_mut(&conn) else {
            return;
        };
        connection.sent += 1;
        self.counters.packets_sent += 1;
        self.outputs.push_back(Output::Reply {
            conn,
            header: ReplyHeader {
                xid,
                zxid: self.tree.last_processed_zxid(),
                err: err.code(),
            },
            body: if err == ErrorCode::Ok { body } else { None },
        });
    }

    fn request_wakeup(&mut self) {
        let next = if self.decides_for_ensemble() {
            [self.sessions.next_expiry(), Some(self.next_container_check)]
                .into_iter()
                .flatten()
                .min()
        } else {
            None
        };
        if next != self.wake_requested {
            self.wake_requested = next;
            if let Some(at) = next {
                self.outputs.push_back(Output::WakeAt(at));
            }
        }
    }
}

/// Whose identity a write is prepared with (ACL checks, and the ids of `auth` ACLs).
enum Identity<'a> {
    Connection(ConnId),
    Forwarded(&'a AuthInfo),
    Server,
}

/// Whether a request changes state, and so goes through a transaction.
pub(crate) fn is_write(request: &Request) -> bool {
    matches!(
        request,
        Request::Create(_)
            | Request::Create2(_)
            | Request::CreateContainer(_)
            | Request::CreateTtl(_)
            | Request::Delete(_)
            | Request::SetData(_)
            | Request::SetAcl(_)
            | Request::Check(_)
            | Request::Reconfig(_)
            | Request::Multi(_)
            | Request::CloseSession
    )
}

/// What the client of an applied write is answered: the header's error and the body. A
/// multi that failed in one of its ops still answers Ok in its header, with per-op results;
/// a multi refused as a whole answers its error alone.
pub(crate) fn write_answer(
    op: OpCode,
    txn: &Txn,
    result: &OpResult,
    multi_ops: &[OpCode],
) -> (ErrorCode, Option<Response>) {
    let err = result.error_code();
    let per_op_results = matches!(txn, Txn::Multi(_));
    let body = if err == ErrorCode::Ok || per_op_results {
        write_response(op, result, multi_ops)
    } else {
        None
    };
    if per_op_results {
        (ErrorCode::Ok, body)
    } else {
        (err, body.filter(|_| err == ErrorCode::Ok))
    }
}

/// The reply body of an applied write, shaped by the request's opcode.
fn write_response(op: OpCode, result: &OpResult, multi_ops: &[OpCode]) -> Option<Response> {
    match (op, result) {
        (OpCode::Create, OpResult::Created { path, .. }) => {
            Some(Response::Path(PathResponse { path: path.clone() }))
        }
        (
            OpCode::Create2 | OpCode::CreateContainer | OpCode::CreateTtl,
            OpResult::Created { path, stat },
        ) => Some(Response::Create2(Create2Response {
            path: path.clone(),
            stat: *stat,
        })),
        (_, OpResult::DataSet { stat, .. } | OpResult::AclSet { stat, .. }) => {
            Some(Response::Stat(StatResponse { stat: *stat }))
        }
        (OpCode::Multi, OpResult::Multi(results)) => Some(Response::Multi(MultiResponse {
            results: results
                .iter()
                .zip(
                    multi_ops
                        .iter()
                        .copied()
                        .chain(std::iter::repeat(OpCode::Error)),
                )
                .map(|(result, op)| multi_result(op, result))
                .collect(),
        })),
        _ => None,
    }
}

fn multi_result(op: OpCode, result: &OpResult) -> MultiOpResult {
    match (op, result) {
        (OpCode::Create, OpResult::Created { path, .. }) => {
            MultiOpResult::Create(PathResponse { path: path.clone() })
        }
        (_, OpResult::Created { path, stat }) => MultiOpResult::Create2(Create2Response {
            path: path.clone(),
            stat: *stat,
        }),
        (_, OpResult::Deleted { .. }) => MultiOpResult::Delete,
        (_, OpResult::DataSet { stat, .. }) => MultiOpResult::SetData(StatResponse { stat: *stat }),
        (_, OpResult::Checked { .. }) => MultiOpResult::Check,
        (_, other) => MultiOpResult::Error(ErrorResponse {
            err: other.error_code().code(),
        }),
    }
}

/// The event a watch manager reports, as the wire carries it.
pub fn watcher_event(event_type: EventType, path: &str) -> WatcherEvent {
    WatcherEvent::new(event_type, KeeperState::SyncConnected, path)
}
