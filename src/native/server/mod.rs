//! `zooscope server`: the sans-IO [`ZkServer`] on real sockets, disk and clock.
//!
//! One task owns the server and handles events in arrival order: connections accepted,
//! handshakes, requests, connections lost, the log reporting durability, timers. Each
//! connection has its own reader and writer tasks; a dedicated thread owns the log and
//! snapshots. The server's outputs become frames for connections, jobs for the log thread,
//! and the next timer.

pub mod connection;
pub mod persistence;
pub mod recovery;

use crate::data::txn::{Txn, TxnHeader};
use crate::proto::frame::append_frame;
use crate::proto::jute::Record;
use crate::proto::records::{
    encode_notification, encode_reply, ConnectRequest, Request, RequestHeader,
};
use crate::time::VirtualTime;
use crate::zkserver::fourletter::{self, RuntimeFacts};
use crate::zkserver::session::TimeoutBounds;
use crate::zkserver::{ConnId, Input, Output, ZkServer, ZkServerConfig};
use crate::zoocfg::ZooCfg;
use connection::Outgoing;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// Everything the server task hears about.
pub enum Event {
    Accepted {
        conn: ConnId,
        peer: SocketAddr,
        writer: UnboundedSender<Outgoing>,
    },
    Connect {
        conn: ConnId,
        request: ConnectRequest,
    },
    Request {
        conn: ConnId,
        header: RequestHeader,
        request: Request,
    },
    FourLetter {
        conn: ConnId,
        word: String,
    },
    Lost {
        conn: ConnId,
    },
    /// Several events from one read of one connection, in the order they came.
    Several(Vec<Event>),
    Log(persistence::Report),
}

/// At most this many events are handled before the replies and log jobs they produced are
/// sent on: a busy inbox must not hold answers back indefinitely.
const EVENTS_PER_ROUND: usize = 256;

/// Where a server keeps its files, under zoo.cfg's dataDir and dataLogDir.
pub fn storage_dirs(cfg: &ZooCfg) -> (PathBuf, PathBuf) {
    (
        Path::new(&cfg.data_dir).join("zooscope-v1"),
        Path::new(&cfg.data_log_dir).join("zooscope-v1"),
    )
}

/// How many runtime threads serve connections and run the server task: one fewer than the
/// machine's cores, at least one, so that the log thread's fsyncs and clients on the same host
/// keep a core. The server task is one task whatever the count; more workers mostly add
/// wakeups between threads. On this project's 2-core machines one worker instead of two gave
/// about 15% more writes and 35% more reads per second (2026-11-22, `zooscope bench`).
/// `TOKIO_WORKER_THREADS` overrides it, as it does for any tokio runtime.
pub fn worker_threads() -> usize {
    if let Some(count) = std::env::var("TOKIO_WORKER_THREADS")
        .ok()
        .and_then(|value| value.parse::<usize>().ok())
        .filter(|&count| count > 0)
    {
        return count;
    }
    std::thread::available_parallelism().map_or(1, |cores| cores.get().saturating_sub(1).max(1))
}

fn wall_clock_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

fn server_config(cfg: &ZooCfg, started_ms: u64) -> ZkServerConfig {
    ZkServerConfig {
        server_id: 0,
        tick_ms: u64::from(cfg.tick_time_ms),
        timeouts: TimeoutBounds {
            min_ms: i32::try_from(cfg.min_session_timeout_ms).unwrap_or(i32::MAX),
            max_ms: i32::try_from(cfg.max_session_timeout_ms).unwrap_or(i32::MAX),
        },
        started_ms,
        super_digest: cfg.super_digest.clone(),
        skip_acl: cfg.skip_acl,
        extended_types_enabled: cfg.extended_types_enabled,
        container_check_interval_ms: cfg.container_check_interval_ms,
        container_max_never_used_ms: i64::try_from(cfg.container_max_never_used_ms)
            .unwrap_or(i64::MAX),
        snap_count: cfg.snap_count,
    }
}

/// Runs a standalone server until the process is stopped or the disk fails.
pub async fn run(cfg: ZooCfg) -> Result<(), String> {
    let started_ms = wall_clock_ms();
    let (snapshot_dir, log_dir) = storage_dirs(&cfg);
    std::fs::create_dir_all(&snapshot_dir)
        .map_err(|e| format!("{}: {e}", snapshot_dir.display()))?;
    std::fs::create_dir_all(&log_dir).map_err(|e| format!("{}: {e}", log_dir.display()))?;
    let recovered = recovery::recover(&snapshot_dir, &log_dir)
        .map_err(|e| format!("cannot recover from {}: {e}", log_dir.display()))?;
    for skipped in &recovered.skipped_snapshots {
        eprintln!("zooscope: skipped a damaged snapshot: {skipped}");
    }
    if let Some(torn) = &recovered.torn_tail {
        eprintln!(
            "zooscope: cut a torn log tail in {} at byte {} ({})",
            torn.file.display(),
            torn.valid_len,
            torn.reason
        );
    }
    eprintln!(
        "zooscope: recovered zxid {:#x} ({} snapshot, {} transactions replayed, {} sessions)",
        recovered.tree.last_processed_zxid().0,
        recovered
            .snapshot_zxid
            .map_or("no".to_string(), |z| format!("{z:#x}")),
        recovered.replayed,
        recovered.sessions.len()
    );
    let server = ZkServer::recover(
        server_config(&cfg, started_ms),
        recovered.tree,
        recovered.sessions,
        VirtualTime::from_millis(started_ms),
    );

    let (events, inbox) = unbounded_channel::<Event>();
    let log_events = events.clone();
    let jobs = persistence::start(
        persistence::Settings {
            snapshot_dir,
            log_dir,
            force_sync: cfg.force_sync,
            snap_retain_count: cfg.autopurge_snap_retain_count as usize,
        },
        move |report| {
            let _ = log_events.send(Event::Log(report));
        },
    )
    .map_err(|e| format!("cannot open the transaction log: {e}"))?;

    let port = cfg
        .client_port
        .ok_or("clientPort is not set: zooscope serves clients only")?;
    let address: IpAddr = match &cfg.client_port_address {
        Some(text) => text
            .parse()
            .map_err(|_| format!("clientPortAddress {text:?} is not an IP address"))?,
        None => IpAddr::from([0, 0, 0, 0]),
    };
    let listener = TcpListener::bind(SocketAddr::new(address, port))
        .await
        .map_err(|e| format!("cannot listen on {address}:{port}: {e}"))?;
    eprintln!(
        "zooscope: serving clients on {}",
        SocketAddr::new(address, port)
    );

    let max_frame = cfg.jute_max_buffer as usize;
    // zookeeper.nio.sessionlessCnxnTimeout, read from the environment like the other
    // system properties: how long a connection may take to complete its handshake.
    let handshake_timeout = Duration::from_millis(
        std::env::var("ZOOKEEPER_NIO_SESSIONLESS_CNXN_TIMEOUT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000),
    );
    let accept_events = events.clone();
    tokio::spawn(async move {
        let mut next_conn: ConnId = 1;
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            let conn = next_conn;
            next_conn += 1;
            tokio::spawn(connection::serve(
                stream,
                conn,
                peer,
                accept_events.clone(),
                max_frame,
                handshake_timeout,
            ));
        }
    });

    let facts = RuntimeFacts {
        client_addresses: BTreeMap::new(),
        client_port: port,
        data_dir: cfg.data_dir.clone(),
        data_log_dir: cfg.data_log_dir.clone(),
        max_client_cnxns: cfg.max_client_cnxns,
        uptime_ms: 0,
        host_name: std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".to_string()),
    };
    let task = ServerTask {
        server,
        connections: BTreeMap::new(),
        jobs,
        facts,
        cfg,
        started_ms,
        wake_at: None,
        unsent: BTreeMap::new(),
        unlogged: Vec::new(),
    };
    // On a worker thread, not the thread that blocks on this future: the connections' tasks
    // run on the workers, and every handoff to or from a thread outside the pool costs a
    // wakeup through the kernel (measured: 96k writes/s here, 111k on a worker).
    tokio::spawn(task.run(inbox))
        .await
        .map_err(|e| format!("the server task failed: {e}"))?
}

struct ServerTask {
    server: ZkServer,
    connections: BTreeMap<ConnId, (SocketAddr, UnboundedSender<Outgoing>)>,
    jobs: std_mpsc::Sender<persistence::Job>,
    facts: RuntimeFacts,
    cfg: ZooCfg,
    started_ms: u64,
    wake_at: Option<VirtualTime>,
    /// Frames produced for each connection by the events of this round, not yet handed to
    /// its writer: one message per connection per round, not one per reply.
    unsent: BTreeMap<ConnId, Vec<u8>>,
    /// Transactions produced by the events of this round, not yet handed to the log thread:
    /// one job per round, not one per transaction.
    unlogged: Vec<(TxnHeader, Arc<Txn>)>,
}

impl ServerTask {
    async fn run(mut self, mut inbox: UnboundedReceiver<Event>) -> Result<(), String> {
        loop {
            let sleep = match self.wake_at {
                Some(at) => Duration::from_millis(at.as_millis().saturating_sub(wall_clock_ms())),
                None => Duration::from_secs(3600),
            };
            tokio::select! {
                event = inbox.recv() => {
                    let Some(event) = event else { return Ok(()) };
                    self.on_event(event)?;
                    // Handle what is already waiting too, then send the results on together.
                    for _ in 1..EVENTS_PER_ROUND {
                        let Ok(event) = inbox.try_recv() else { break };
                        self.on_event(event)?;
                    }
                }
                _ = tokio::time::sleep(sleep) => {
                    self.wake_at = None;
                    self.feed(Input::Tick);
                }
            }
            self.send_unlogged();
            self.send_unsent();
            if self.server.snapshot_due() {
                // The clone shares the tree's pages and data (they are copied only when
                // changed), so taking it is quick; the snapshot thread serializes it.
                let state = recovery::SnapshotState {
                    tree: self.server.tree().clone(),
                    sessions: self.server.session_table(),
                };
                let zxid = state.tree.last_processed_zxid().0;
                let _ = self.jobs.send(persistence::Job::Snapshot {
                    zxid,
                    state: Box::new(state),
                });
                self.server.snapshot_taken();
            }
        }
    }

    fn on_event(&mut self, event: Event) -> Result<(), String> {
        match event {
            Event::Accepted { conn, peer, writer } => {
                let from_same_ip = self
                    .connections
                    .values()
                    .filter(|(address, _)| address.ip() == peer.ip())
                    .count();
                let limit = self.cfg.max_client_cnxns as usize;
                if limit != 0 && from_same_ip >= limit {
                    eprintln!(
                        "zooscope: too many connections from {} - max is {limit}",
                        peer.ip()
                    );
                    let _ = writer.send(Outgoing::Close);
                    return Ok(());
                }
                self.facts.client_addresses.insert(conn, peer.to_string());
                self.connections.insert(conn, (peer, writer));
            }
            Event::Connect { conn, request } => {
                let Some((peer, _)) = self.connections.get(&conn) else {
                    return Ok(());
                };
                let client = peer.ip();
                self.feed(Input::Connect {
                    conn,
                    client,
                    request,
                });
            }
            Event::Request {
                conn,
                header,
                request,
            } => self.feed(Input::Request {
                conn,
                header,
                request,
            }),
            Event::FourLetter { conn, word } => {
                self.facts.uptime_ms = wall_clock_ms().saturating_sub(self.started_ms);
                let text = if self.cfg.four_letter_words.allows(&word) {
                    fourletter::render(&word, &self.server, &self.facts).unwrap_or_default()
                } else {
                    format!("{word} is not executed because it is not in the whitelist.\n")
                };
                self.send_last(conn, Outgoing::TextThenClose(text));
            }
            Event::Lost { conn } => {
                self.facts.client_addresses.remove(&conn);
                if self.connections.remove(&conn).is_some() {
                    self.feed(Input::ConnectionLost { conn });
                }
            }
            Event::Several(events) => {
                for event in events {
                    self.on_event(event)?;
                }
            }
            Event::Log(persistence::Report::Durable(through)) => {
                self.feed(Input::Persisted { through })
            }
            Event::Log(persistence::Report::Failed(error)) => {
                return Err(format!("the transaction log failed, stopping: {error}"));
            }
        }
        Ok(())
    }

    fn feed(&mut self, input: Input) {
        self.server
            .handle(VirtualTime::from_millis(wall_clock_ms()), input);
        while let Some(output) = self.server.poll_output() {
            match output {
                Output::Connected { conn, response } => {
                    self.queue_frame(conn, &response.to_bytes());
                }
                Output::Reply { conn, header, body } => {
                    self.queue_frame(conn, &encode_reply(&header, body.as_ref()));
                }
                Output::Notify { conn, event } => {
                    self.queue_frame(conn, &encode_notification(&event));
                }
                Output::Close { conn } => self.send_last(conn, Outgoing::Close),
                Output::Persist { header, txn } => self.unlogged.push((header, txn)),
                Output::WakeAt(at) => self.wake_at = Some(at),
                // A standalone server is never given an ensemble role.
                Output::Propose { .. } | Output::Forward(_) => {}
            }
        }
    }

    /// Adds a frame to what `conn` is sent at the end of this round.
    fn queue_frame(&mut self, conn: ConnId, payload: &[u8]) {
        if self.connections.contains_key(&conn) {
            append_frame(self.unsent.entry(conn).or_default(), payload);
        }
    }

    /// Sends `conn` its queued frames, then `last`, which ends the connection.
    fn send_last(&mut self, conn: ConnId, last: Outgoing) {
        let queued = self.unsent.remove(&conn);
        if let Some((_, writer)) = self.connections.get(&conn) {
            if let Some(frames) = queued {
                let _ = writer.send(Outgoing::Frames(frames));
            }
            let _ = writer.send(last);
        }
    }

    /// Hands every connection the frames this round produced for it.
    fn send_unsent(&mut self) {
        for (conn, frames) in std::mem::take(&mut self.unsent) {
            if let Some((_, writer)) = self.connections.get(&conn) {
                let _ = writer.send(Outgoing::Frames(frames));
            }
        }
    }

    /// Hands the log thread the transactions this round produced, in zxid order.
    fn send_unlogged(&mut self) {
        if !self.unlogged.is_empty() {
            let txns = std::mem::take(&mut self.unlogged);
            let _ = self.jobs.send(persistence::Job::Append(txns));
        }
    }
}
