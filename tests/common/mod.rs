//! Shared by the integration tests that run the real `zooscope server`: a free port, a
//! server process on a temporary data directory, and a small blocking wire-protocol client.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};
use zooscope::data::types::Zxid;
use zooscope::proto::frame::{encode_frame, Frame, FrameDecoder};
use zooscope::proto::jute::Record;
use zooscope::proto::records::{
    decode_connect_response, decode_reply, encode_request, ConnectRequest, Request, Response,
    ResponseKind,
};

/// A server on a free loopback port with its data in a temporary directory; killed on drop.
pub struct TestServer {
    pub dir: tempfile::TempDir,
    pub config: std::path::PathBuf,
    pub address: SocketAddr,
    pub process: Option<Child>,
}

impl TestServer {
    /// `extra_config` is appended to zoo.cfg; without a whitelist line, every word is allowed.
    pub fn start(extra_config: &str) -> TestServer {
        TestServer::start_on("127.0.0.1", extra_config)
    }

    /// A server listening on `ip` (`127.0.0.1` or `::1`).
    pub fn start_on(ip: &str, extra_config: &str) -> TestServer {
        let whitelist = if extra_config.contains("4lw.commands.whitelist") {
            ""
        } else {
            "4lw.commands.whitelist=*\n"
        };
        let dir = tempfile::tempdir().expect("temporary directory");
        let port = free_port();
        let config = dir.path().join("zoo.cfg");
        std::fs::write(
            &config,
            format!(
                "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress={ip}\n\
                 {whitelist}{extra_config}",
                dir.path().join("data").display()
            ),
        )
        .expect("config written");
        let address = SocketAddr::new(ip.parse().expect("an IP address"), port);
        let process = Some(start_server(&config));
        let mut server = TestServer {
            dir,
            config,
            address,
            process,
        };
        server.wait_until_listening();
        server
    }

    /// Kills the process (SIGKILL) and starts it again on the same data.
    pub fn restart_after_kill(&mut self) {
        self.kill();
        self.process = Some(start_server(&self.config));
        self.wait_until_listening();
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(self.address).is_err() {
            assert!(
                Instant::now() < deadline,
                "the server did not start listening"
            );
            if let Some(process) = self.process.as_mut() {
                let exited = process.try_wait().ok().flatten();
                assert!(exited.is_none(), "the server exited at start: {exited:?}");
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }

    pub fn client(&self) -> RawClient {
        RawClient::connect(self.address).unwrap_or_else(|| {
            let log = std::fs::read_to_string(self.config.with_file_name("server.log"))
                .unwrap_or_default();
            panic!("the server does not answer a handshake; its log:\n{log}")
        })
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A loopback port nobody is listening on, and that no other test in this process got:
/// tests run in parallel and the kernel may hand out a just-released port again.
pub fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .expect("a free loopback port");
        let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
        if !handed_out.contains(&port) {
            handed_out.push(port);
            return port;
        }
    }
}

/// The server's stderr, appended to `server.log` beside its zoo.cfg (kept across restarts).
fn server_log(config: &Path) -> Stdio {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(config.with_file_name("server.log"))
        .map_or_else(|_| Stdio::null(), Stdio::from)
}

pub fn start_server(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_zooscope"))
        .env("ZOOKEEPER_NIO_SESSIONLESS_CNXN_TIMEOUT", "1000")
        .args(["server", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(server_log(config))
        .spawn()
        .expect("zooscope server starts")
}

/// A deliberately small blocking client: enough to pipeline writes and read replies in order.
pub struct RawClient {
    pub stream: TcpStream,
    decoder: FrameDecoder,
    next_xid: i32,
}

impl RawClient {
    pub fn connect(address: SocketAddr) -> Option<RawClient> {
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

    pub fn next_frame(&mut self) -> Option<Vec<u8>> {
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

    pub fn send(&mut self, request: &Request) -> Option<i32> {
        self.next_xid += 1;
        self.stream
            .write_all(&encode_frame(&encode_request(self.next_xid, request)))
            .ok()?;
        Some(self.next_xid)
    }

    /// The next reply: its xid and error code.
    pub fn reply(&mut self, kind: ResponseKind) -> Option<(i32, i32, Option<Response>)> {
        let frame = self.next_frame()?;
        let (header, body) = decode_reply(&frame, kind).ok()?;
        Some((header.xid, header.err, body))
    }
}
