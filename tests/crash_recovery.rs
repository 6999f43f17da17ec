//! Kill -9 under load: every acknowledged write survives a restart, and no multi is
//! half-applied. Runs the real `zooscope server` binary against a temporary data directory.

mod common;

use common::{RawClient, TestServer};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use zooscope::data::types::Acl;
use zooscope::proto::records::{
    CreateRequest, MultiOp, PathWatchRequest, Request, Response, ResponseKind,
};

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
    let mut server = TestServer::start("snapCount=200\n");
    server.kill();
    let mut rng = ChaCha8Rng::seed_from_u64(20261122);
    let mut acknowledged: BTreeSet<String> = BTreeSet::new();
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut counter = 0u32;

    for round in 0..5 {
        server.restart_after_kill();
        let mut client = server.client();
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
    }
    assert!(
        acknowledged.len() > 100,
        "the load acknowledged only {} writes",
        acknowledged.len()
    );

    // A last restart, to check the final crash too.
    server.restart_after_kill();
    let mut client: RawClient = server.client();
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
}
