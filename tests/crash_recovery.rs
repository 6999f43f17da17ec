//! Kill -9 under load: every acknowledged write survives a restart, and no multi is
//! half-applied. Runs the real `zooscope server` binary against a temporary data directory.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};
use zooscope::data::types::{Acl, Zxid};
use zooscope::proto::frame::{encode_frame, Frame, FrameDecoder};
use zooscope::proto::jute::Record;
use zooscope::proto::records::{
    decode_connect_response, decode_reply, encode_request, ConnectRequest, CreateRequest, MultiOp,
    PathWatchRequest, Request, Response, ResponseKind,
};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

fn start_server(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_zooscope"))
        .args(["server", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("zooscope server starts")
}

/// A deliberately small blocking client: enough to pipeline writes and read replies in order.
struct RawClient {
    stream: TcpStream,
    decoder: FrameDecoder,
    next_xid: i32,
}

impl RawClient {
    fn connect(address: SocketAddr) -> Option<RawClient> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let stream = loop {
            match TcpStream::connect(address) {
                Ok(stream) => break stream,
                Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                Err(_) => return None,
            }
        };
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let mut client = RawClient {
            stream,
            decoder: FrameDecoder::for_client(1 << 20),
            next_xid: 0,
        };
        let handshake = ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: Zxid(0),
            timeout_ms: 10_000,
            session_id: 0,
            passwd: vec![0; 16],
            read_only: Some(false),
        };
        client
            .stream
            .write_all(&encode_frame(&handshake.to_bytes()))
            .ok()?;
        let frame = client.next_frame()?;
        decode_connect_response(&frame).ok()?;
        Some(client)
    }

    fn next_frame(&mut self) -> Option<Vec<u8>> {
        let mut buffer = [0u8; 65536];
        loop {
            if let Ok(Some(Frame::Message(frame))) = self.decoder.next_frame() {
                return Some(frame);
            }
            let read = self.stream.read(&mut buffer).ok()?;
            if read == 0 {
                return None;
            }
            self.decoder.push(&buffer[..read]);
        }
    }

    fn send(&mut self, request: &Request) -> Option<i32> {
        self.next_xid += 1;
        self.stream
            .write_all(&encode_frame(&encode_request(self.next_xid, request)))
            .ok()?;
        Some(self.next_xid)
    }

    /// The next reply: its xid and error code.
    fn reply(&mut self, kind: ResponseKind) -> Option<(i32, i32, Option<Response>)> {
        let frame = self.next_frame()?;
        let (header, body) = decode_reply(&frame, kind).ok()?;
        Some((header.xid, header.err, body))
    }
}

fn create(path: &str, data: &[u8]) -> CreateRequest {
    CreateRequest {
        path: path.to_string(),
        data: Some(data.to_vec()),
        acl: Acl::open_unsafe(),
        flags: 0,
    }
}

/// What a write does: one znode, or two through a multi that must land together.
enum Written {
    Single(String),
    Pair(String, String),
}

#[test]
fn acknowledged_writes_survive_kill_nine_and_multis_are_never_half_applied() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let port = free_port();
    let config = dir.path().join("zoo.cfg");
    std::fs::write(
        &config,
        format!(
            "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
             snapCount=200\n",
            dir.path().join("data").display()
        ),
    )
    .expect("config written");
    let address: SocketAddr = format!("127.0.0.1:{port}").parse().expect("address");
    let mut rng = ChaCha8Rng::seed_from_u64(20261122);
    let mut acknowledged: BTreeSet<String> = BTreeSet::new();
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut counter = 0u32;

    for round in 0..5 {
        let mut server = start_server(&config);
        let mut client = RawClient::connect(address).expect("server answers after restart");
        // Everything acknowledged before any crash is still there, with its data.
        for path in &acknowledged {
            client.send(&Request::GetData(PathWatchRequest {
                path: path.clone(),
                watch: false,
            }));
            let (_, err, body) = client.reply(ResponseKind::Data).expect("reply");
            assert_eq!(err, 0, "round {round}: acknowledged {path} was lost");
            match body {
                Some(Response::Data(data)) => {
                    assert_eq!(data.data.as_deref(), Some(path.as_bytes()), "{path} data")
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        // A multi lands whole or not at all, acknowledged or not.
        for (first, second) in &pairs {
            let mut exists = Vec::new();
            for path in [first, second] {
                client.send(&Request::Exists(PathWatchRequest {
                    path: path.clone(),
                    watch: false,
                }));
                exists.push(client.reply(ResponseKind::Stat).expect("reply").1 == 0);
            }
            assert_eq!(
                exists[0], exists[1],
                "round {round}: multi {first} + {second} half-applied"
            );
        }

        // Load: pipelined writes while a reader thread collects acknowledgements.
        let kill_after = Duration::from_millis(rng.random_range(100..600));
        let mut in_flight: Vec<(i32, Written)> = Vec::new();
        let started = Instant::now();
        while started.elapsed() < kill_after {
            for _ in 0..20 {
                counter += 1;
                if counter.is_multiple_of(3) {
                    let (a, b) = (format!("/pair-{counter}-a"), format!("/pair-{counter}-b"));
                    let ops = vec![
                        MultiOp::Create(create(&a, a.as_bytes())),
                        MultiOp::Create(create(&b, b.as_bytes())),
                    ];
                    if let Some(xid) = client.send(&Request::Multi(ops)) {
                        pairs.push((a.clone(), b.clone()));
                        in_flight.push((xid, Written::Pair(a, b)));
                    }
                } else {
                    let path = format!("/single-{counter}");
                    if let Some(xid) = client.send(&Request::Create(create(&path, path.as_bytes())))
                    {
                        in_flight.push((xid, Written::Single(path)));
                    }
                }
            }
            // Collect some acknowledgements (replies come in request order).
            while in_flight.len() > 40 {
                let (xid, write) = in_flight.remove(0);
                let kind = match write {
                    Written::Single(_) => ResponseKind::Path,
                    Written::Pair(..) => ResponseKind::Multi,
                };
                let Some((reply_xid, err, _)) = client.reply(kind) else {
                    break;
                };
                assert_eq!(reply_xid, xid, "replies come back in order");
                assert_eq!(err, 0);
                match write {
                    Written::Single(path) => {
                        acknowledged.insert(path);
                    }
                    Written::Pair(a, b) => {
                        acknowledged.insert(a);
                        acknowledged.insert(b);
                    }
                }
            }
        }
        server.kill().expect("kill -9");
        server.wait().expect("reaped");
    }
    assert!(
        acknowledged.len() > 100,
        "the load acknowledged only {} writes",
        acknowledged.len()
    );

    // A last restart, to check the final crash too.
    let mut server = start_server(&config);
    let mut client = RawClient::connect(address).expect("server answers");
    for path in &acknowledged {
        client.send(&Request::Exists(PathWatchRequest {
            path: path.clone(),
            watch: false,
        }));
        assert_eq!(
            client.reply(ResponseKind::Stat).expect("reply").1,
            0,
            "{path} lost"
        );
    }
    server.kill().ok();
    server.wait().ok();
}
