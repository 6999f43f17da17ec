//! Measures the resident memory a `DataTree` needs per small znode: 1,000,000 znodes named
//! like `/bench/n0000000001` with 10 bytes of data each, created through `apply` as a leader
//! would. Compare with Apache ZooKeeper 3.8, whose heap holds about 350 bytes per such znode.
//!
//! Linux only (reads /proc/self/statm). Run: `cargo run --release --example tree_memory`.

use std::fs;
use zooscope::data::tree::DataTree;
use zooscope::data::txn::{EphemeralType, Txn, TxnHeader};
use zooscope::data::types::{Acl, OpCode, Zxid};

fn resident_bytes() -> u64 {
    let statm = fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .expect("resident pages");
    pages * 4096
}

fn main() {
    const COUNT: u32 = 1_000_000;
    let before = resident_bytes();
    let mut tree = DataTree::new();
    let mut zxid = Zxid::new(1, 0);
    let mut apply = |tree: &mut DataTree, txn: Txn| {
        zxid = zxid.next();
        let header = TxnHeader {
            session_id: 0x100,
            cxid: 0,
            zxid,
            time_ms: 1_700_000_000_000 + i64::from(zxid.counter()),
            op: OpCode::Create,
        };
        tree.apply(&header, &txn);
    };
    let acl = Acl::open_unsafe();
    apply(
        &mut tree,
        Txn::create(
            "/bench",
            Vec::new(),
            acl.clone(),
            EphemeralType::Persistent,
            -1,
        ),
    );
    for i in 1..=COUNT {
        let txn = Txn::create(
            format!("/bench/n{i:010}"),
            b"0123456789".to_vec(),
            acl.clone(),
            EphemeralType::Persistent,
            -1,
        );
        apply(&mut tree, txn);
    }
    let after = resident_bytes();
    assert_eq!(tree.node_count(), u64::from(COUNT) + 5);
    println!(
        "{COUNT} znodes: {} MiB resident, {:.1} bytes per znode",
        (after - before) / (1 << 20),
        (after - before) as f64 / f64::from(COUNT)
    );
}
