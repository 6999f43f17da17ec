//! Bad input on the client port: whatever a connection sends, it is answered with an error or
//! closed, nothing panics, and the server goes on serving everyone else.

mod common;

use common::TestServer;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use zooscope::data::types::Acl;
use zooscope::proto::frame::encode_frame;
use zooscope::proto::records::{CreateRequest, PathWatchRequest, Request, Response, ResponseKind};

/// Sends raw bytes on a fresh connection and reads until the server closes it.
/// Returns what the server sent, or `None` if it kept the connection open for 3 seconds.
fn send_raw(server: &TestServer, bytes: &[u8]) -> Option<Vec<u8>> {
    let mut stream = TcpStream::connect(server.address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .expect("timeout");
    let _ = stream.write_all(bytes);
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return Some(received),
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Some(received),
            Err(_) => return None,
        }
    }
}

/// A full read-write round trip on a new session: the server still works.
fn assert_still_serving(server: &TestServer, path: &str) {
    let mut client = server.client();
    client.send(&Request::Create(CreateRequest {
        path: path.to_string(),
        data: Some(b"ok".to_vec()),
        acl: Acl::open_unsafe(),
        flags: 0,
    }));
    assert_eq!(client.reply(ResponseKind::Path).expect("create reply").1, 0);
    client.send(&Request::GetData(PathWatchRequest {
        path: path.to_string(),
        watch: false,
    }));
    match client.reply(ResponseKind::Data).expect("get reply") {
        (_, 0, Some(Response::Data(data))) => assert_eq!(data.data.as_deref(), Some(&b"ok"[..])),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn garbage_oversized_negative_and_truncated_frames_close_only_their_connection() {
    let server = TestServer::start("");
    let cases: [(&str, Vec<u8>); 5] = [
        (
            "an HTTP request before the handshake",
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        ),
        (
            "a length over jute.maxbuffer",
            0x7fff_ffffu32.to_be_bytes().to_vec(),
        ),
        ("a negative length", (-5i32).to_be_bytes().to_vec()),
        ("a handshake frame with a truncated body", {
            let mut frame = 40u32.to_be_bytes().to_vec();
            frame.extend_from_slice(&[0, 0, 0, 0, 1]);
            frame
        }),
        ("a frame too short to be a handshake", encode_frame(&[0, 0])),
    ];
    // An open connection in the middle of it all keeps working too.
    let mut bystander = server.client();
    for (what, bytes) in cases {
        let answer = send_raw(&server, &bytes);
        assert!(answer.is_some(), "{what}: the connection was left open");
        assert_still_serving(&server, &format!("/after-{}", what.len()));
    }
    bystander.send(&Request::Exists(PathWatchRequest {
        path: "/".to_string(),
        watch: false,
    }));
    assert_eq!(
        bystander
            .reply(ResponseKind::Stat)
            .expect("bystander reply")
            .1,
        0
    );
}

#[test]
fn unknown_opcode_is_answered_unimplemented_then_closed() {
    let server = TestServer::start("");
    let mut client = server.client();
    client.send(&Request::Unknown {
        op_code: 999,
        body: vec![],
    });
    let (_, err, _) = client
        .reply(ResponseKind::None)
        .expect("an error reply first");
    assert_eq!(err, -6);
    assert!(client.next_frame().is_none(), "then the connection closes");
    assert_still_serving(&server, "/after-unknown-op");
}

#[test]
fn a_malformed_request_body_closes_the_connection() {
    let server = TestServer::start("");
    let mut client = server.client();
    // getData (op 4) whose path length claims more bytes than the frame holds.
    let mut payload = Vec::new();
    payload.extend_from_slice(&1i32.to_be_bytes());
    payload.extend_from_slice(&4i32.to_be_bytes());
    payload.extend_from_slice(&1000i32.to_be_bytes());
    payload.extend_from_slice(b"/x");
    client
        .stream
        .write_all(&encode_frame(&payload))
        .expect("sent");
    assert!(client.next_frame().is_none(), "closed without a reply");
    assert_still_serving(&server, "/after-malformed");
}

#[test]
fn four_letter_words_answer_in_text_and_respect_the_whitelist() {
    let server = TestServer::start("");
    assert_eq!(send_raw(&server, b"ruok").as_deref(), Some(&b"imok"[..]));
    let srvr = String::from_utf8(send_raw(&server, b"srvr").expect("answered")).expect("text");
    assert!(srvr.starts_with("Zookeeper version: 3.8.0"), "{srvr}");
    assert!(srvr.contains("Mode: standalone"));
    let limited = TestServer::start("4lw.commands.whitelist=srvr\n");
    let refused = String::from_utf8(send_raw(&limited, b"ruok").expect("answered")).expect("text");
    assert_eq!(
        refused,
        "ruok is not executed because it is not in the whitelist.\n"
    );
}

#[test]
fn the_server_listens_on_ipv6_loopback_when_asked_to() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("SKIPPED: this machine has no IPv6 loopback");
        return;
    }
    let server = TestServer::start_on("::1", "");
    assert!(server.address.is_ipv6());
    assert_still_serving(&server, "/over-ipv6");
}
