//! One benchmark connection: a ZooKeeper session that keeps up to `pipeline` requests in
//! flight. Not a general client: it has no watches, no reconnection and no callbacks, and reads
//! only each reply's header, because the load generator shares the machine's cores with the
//! server it measures and should spend as little of them as it can.

use crate::data::types::Zxid;
use crate::proto::frame::{encode_frame, Frame, FrameDecoder, DEFAULT_MAX_FRAME_LENGTH};
use crate::proto::jute::JuteWriter;
use crate::proto::records::{
    decode_connect_response, decode_reply_header, encode_request, ConnectRequest, Request,
    NOTIFICATION_XID, PING_XID,
};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The session timeout asked for; servers clamp it to their own bounds (20 ticks by default).
const SESSION_TIMEOUT_MS: i32 = 30_000;
/// How long a connection may wait for a reply before the run is declared stuck.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(30);
const READ_CHUNK: usize = 32 * 1024;
/// Encoded requests waiting for the socket are capped at this, whatever the pipeline and value
/// size, so memory stays bounded and a request's clock starts close to when it is written.
const MAX_UNWRITTEN: usize = 1024 * 1024;

/// Where a connection's requests come from and where their outcomes go.
pub trait OpSource {
    /// What the source remembers about a request until its reply arrives.
    type Tag;

    /// The next request to send, or `None` when there is nothing to send now. A source may
    /// have more to send after a reply (a retry); the connection asks again after each one.
    fn next_request(&mut self, now: Instant) -> Option<(Self::Tag, Request)>;

    /// The reply to a request: its error code (0 for success), when it was queued and when
    /// its reply was read.
    fn on_reply(&mut self, tag: Self::Tag, err: i32, sent: Instant, received: Instant);
}

pub struct Connection {
    stream: TcpStream,
    decoder: FrameDecoder,
    chunk: Vec<u8>,
    next_xid: i32,
    session_id: i64,
}

impl Connection {
    /// Connects and opens a new session.
    pub async fn open(addr: SocketAddr) -> Result<Connection, String> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        // Pipelined requests are flushed in batches already; Nagle would only delay them.
        stream
            .set_nodelay(true)
            .map_err(|e| format!("cannot set TCP_NODELAY: {e}"))?;
        let mut connection = Connection {
            stream,
            decoder: FrameDecoder::for_client(DEFAULT_MAX_FRAME_LENGTH),
            chunk: vec![0; READ_CHUNK],
            next_xid: 1,
            session_id: 0,
        };
        let mut writer = JuteWriter::new();
        writer.write_record(&ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: Zxid(0),
            timeout_ms: SESSION_TIMEOUT_MS,
            session_id: 0,
            passwd: vec![0; 16],
            read_only: Some(false),
        });
        connection
            .write_all(&encode_frame(&writer.into_bytes()))
            .await?;
        let payload = tokio::time::timeout(STALL_TIMEOUT, connection.read_frame())
            .await
            .map_err(|_| format!("{addr} did not answer the handshake"))?
            .map_err(|e| {
                format!(
                    "{addr} refused the handshake ({e}); too many connections from one address? \
                     (Apache ZooKeeper's maxClientCnxns defaults to 60)"
                )
            })?;
        let response = decode_connect_response(&payload)
            .map_err(|e| format!("undecodable handshake reply from {addr}: {e}"))?;
        if response.session_id == 0 || response.timeout_ms <= 0 {
            return Err(format!("{addr} refused to open a session"));
        }
        connection.session_id = response.session_id;
        Ok(connection)
    }

    pub fn session_id(&self) -> i64 {
        self.session_id
    }

    async fn write_all(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.stream
            .write_all(bytes)
            .await
            .map_err(|e| format!("session 0x{:x}: write failed: {e}", self.session_id))
    }

    /// Reads bytes into the decoder; an orderly close by the server is an error here, since
    /// the benchmark only reads while it expects something.
    async fn fill(&mut self) -> Result<(), String> {
        let n = self
            .stream
            .read(&mut self.chunk)
            .await
            .map_err(|e| format!("session 0x{:x}: read failed: {e}", self.session_id))?;
        if n == 0 {
            return Err(format!(
                "session 0x{:x}: the server closed the connection",
                self.session_id
            ));
        }
        self.decoder.push(self.chunk.get(..n).unwrap_or_default());
        Ok(())
    }

    fn decoded_frame(&mut self) -> Result<Option<Vec<u8>>, String> {
        match self.decoder.next_frame() {
            Ok(Some(Frame::Message(payload))) => Ok(Some(payload)),
            Ok(Some(Frame::FourLetterWord(word))) => Err(format!(
                "unexpected four-letter word {word} from the server"
            )),
            Ok(None) => Ok(None),
            Err(e) => Err(format!("session 0x{:x}: {e}", self.session_id)),
        }
    }

    async fn read_frame(&mut self) -> Result<Vec<u8>, String> {
        loop {
            if let Some(payload) = self.decoded_frame()? {
                return Ok(payload);
            }
            self.fill().await?;
        }
    }

    fn take_xid(&mut self) -> i32 {
        let xid = self.next_xid;
        // Stay positive: negative xids are ZooKeeper's special messages.
        self.next_xid = if xid == i32::MAX { 1 } else { xid + 1 };
        xid
    }

    /// Sends `source`'s requests, at most `pipeline` unanswered at a time, until the source has
    /// nothing more and every reply is in. Writing and reading proceed together, so a large
    /// pipeline cannot deadlock on full socket buffers; each batch of free slots is refilled
    /// and written with one call.
    pub async fn drive<S: OpSource>(
        &mut self,
        pipeline: usize,
        source: &mut S,
    ) -> Result<(), String> {
        let pipeline = pipeline.max(1);
        let mut in_flight: VecDeque<(i32, S::Tag, Instant)> = VecDeque::with_capacity(pipeline);
        let mut out: Vec<u8> = Vec::new();
        let mut written = 0;
        loop {
            let now = Instant::now();
            while in_flight.len() < pipeline && out.len() - written < MAX_UNWRITTEN {
                let Some((tag, request)) = source.next_request(now) else {
                    break;
                };
                let xid = self.take_xid();
                out.extend_from_slice(&encode_frame(&encode_request(xid, &request)));
                in_flight.push_back((xid, tag, now));
            }
            // Every queued request is in `in_flight` until answered, so an empty queue means
            // nothing is left unwritten either.
            if in_flight.is_empty() {
                return Ok(());
            }
            let session_id = self.session_id;
            let (mut reader, mut writer) = self.stream.split();
            let unwritten = out.get(written..).unwrap_or_default();
            tokio::select! {
                result = writer.write(unwritten), if !unwritten.is_empty() => {
                    let n = result.map_err(|e| format!("session 0x{session_id:x}: write failed: {e}"))?;
                    if n == 0 {
                        return Err(format!("session 0x{session_id:x}: the connection stopped accepting bytes"));
                    }
                    written += n;
                    if written == out.len() {
                        out.clear();
                        written = 0;
                    }
                }
                result = reader.read(&mut self.chunk) => {
                    let n = result.map_err(|e| format!("session 0x{session_id:x}: read failed: {e}"))?;
                    if n == 0 {
                        return Err(format!(
                            "session 0x{session_id:x}: the server closed the connection with {} requests in flight",
                            in_flight.len()
                        ));
                    }
                    self.decoder.push(self.chunk.get(..n).unwrap_or_default());
                    let received = Instant::now();
                    while let Some(payload) = self.decoded_frame()? {
                        let header = decode_reply_header(&payload)
                            .map_err(|e| format!("session 0x{session_id:x}: undecodable reply: {e}"))?;
                        if header.xid == NOTIFICATION_XID || header.xid == PING_XID {
                            continue;
                        }
                        let Some((xid, tag, sent)) = in_flight.pop_front() else {
                            return Err(format!("session 0x{session_id:x}: reply xid {} with nothing in flight", header.xid));
                        };
                        if header.xid != xid {
                            return Err(format!("session 0x{session_id:x}: reply xid {} out of order, expected {xid}", header.xid));
                        }
                        source.on_reply(tag, header.err, sent, received);
                    }
                }
                () = tokio::time::sleep(STALL_TIMEOUT) => {
                    return Err(format!(
                        "session 0x{session_id:x}: no reply for {} s with {} requests in flight",
                        STALL_TIMEOUT.as_secs(),
                        in_flight.len()
                    ));
                }
            }
        }
    }

    /// Closes the session so the server frees it now rather than at its timeout.
    pub async fn close(mut self) -> Result<(), String> {
        let xid = self.take_xid();
        self.write_all(&encode_frame(&encode_request(xid, &Request::CloseSession)))
            .await?;
        let session_id = self.session_id;
        let wait = async {
            loop {
                let header = decode_reply_header(&self.read_frame().await?)
                    .map_err(|e| format!("undecodable reply: {e}"))?;
                if header.xid == xid {
                    return Ok(());
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(5), wait)
            .await
            .map_err(|_| format!("session 0x{session_id:x}: no reply to closeSession"))?
    }
}
