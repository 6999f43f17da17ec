//! Starting from disk: the newest intact snapshot, then every logged transaction after it,
//! applied in order. What was acknowledged was durable first, so it is all here; a record torn
//! by a crash was never acknowledged and is cut off.

use crate::data::tree::DataTree;
use crate::data::txn::{Txn, TxnHeader};
use crate::data::types::SessionId;
use crate::native::storage::snapshot;
use crate::native::storage::txnlog::{self, TornTail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// What a snapshot holds: the tree and the sessions open at its zxid.
#[derive(Serialize, Deserialize)]
pub struct SnapshotState {
    pub tree: DataTree,
    pub sessions: Vec<(SessionId, i32)>,
}

/// A logged transaction as stored in a log record's payload.
#[derive(Serialize, Deserialize)]
pub struct LoggedTxn {
    pub header: TxnHeader,
    pub txn: Txn,
}

pub fn encode_txn(header: &TxnHeader, txn: &Txn) -> Vec<u8> {
    let mut payload = Vec::new();
    encode_txn_into(header, txn, &mut payload);
    payload
}

/// [`encode_txn`] into `payload`, replacing what it held and reusing its allocation.
pub fn encode_txn_into(header: &TxnHeader, txn: &Txn, payload: &mut Vec<u8>) {
    #[derive(Serialize)]
    struct Borrowed<'a> {
        header: &'a TxnHeader,
        txn: &'a Txn,
    }
    payload.clear();
    let buffer = std::mem::take(payload);
    // Serializing into memory cannot fail.
    *payload = postcard::to_extend(&Borrowed { header, txn }, buffer).unwrap_or_default();
}

pub fn decode_txn(payload: &[u8]) -> io::Result<LoggedTxn> {
    postcard::from_bytes(payload).map_err(|e| invalid(format!("undecodable transaction: {e}")))
}

pub fn encode_snapshot(tree: &DataTree, sessions: &[(SessionId, i32)]) -> Vec<u8> {
    #[derive(Serialize)]
    struct Borrowed<'a> {
        tree: &'a DataTree,
        sessions: &'a [(SessionId, i32)],
    }
    postcard::to_allocvec(&Borrowed { tree, sessions }).unwrap_or_default()
}

pub fn decode_snapshot(payload: &[u8]) -> io::Result<SnapshotState> {
    postcard::from_bytes(payload).map_err(|e| invalid(format!("undecodable snapshot: {e}")))
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// The state rebuilt from disk.
pub struct Recovered {
    pub tree: DataTree,
    pub sessions: Vec<(SessionId, i32)>,
    pub snapshot_zxid: Option<i64>,
    pub replayed: usize,
    pub torn_tail: Option<TornTail>,
    /// Damaged snapshots that were skipped in favour of an older one.
    pub skipped_snapshots: Vec<String>,
}

pub fn recover(snapshot_dir: &Path, log_dir: &Path) -> io::Result<Recovered> {
    let latest = snapshot::load_latest(snapshot_dir)?;
    let skipped_snapshots = latest.skipped.iter().map(ToString::to_string).collect();
    let (mut tree, session_list, snapshot_zxid) = match latest.snapshot {
        Some((zxid, payload)) => {
            let state = decode_snapshot(&payload)?;
            (state.tree, state.sessions, Some(zxid))
        }
        None => (DataTree::new(), Vec::new(), None),
    };
    let mut sessions: BTreeMap<SessionId, i32> = session_list.into_iter().collect();
    let readout = txnlog::read_log(log_dir, snapshot_zxid.unwrap_or(i64::MIN))?;
    let mut replayed = 0;
    for record in &readout.records {
        let logged = decode_txn(&record.payload)?;
        crate::data::txn::replay(&mut tree, &mut sessions, &logged.header, &logged.txn);
        replayed += 1;
    }
    Ok(Recovered {
        tree,
        sessions: sessions.into_iter().collect(),
        snapshot_zxid,
        replayed,
        torn_tail: readout.torn_tail,
        skipped_snapshots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::txn::EphemeralType;
    use crate::data::types::{Acl, OpCode, Zxid};

    fn header(zxid: i64, session: SessionId, op: OpCode) -> TxnHeader {
        TxnHeader {
            session_id: session,
            cxid: 0,
            zxid: Zxid(zxid),
            time_ms: 1000 + zxid,
            op,
        }
    }

    #[test]
    fn snapshot_plus_log_rebuilds_tree_and_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let mut tree = DataTree::new();
        let h1 = header(1, 7, OpCode::CreateSession);
        let t1 = Txn::CreateSession { timeout_ms: 5000 };
        tree.apply(&h1, &t1);
        let h2 = header(2, 7, OpCode::Create);
        let t2 = Txn::create(
            "/a",
            b"x".to_vec(),
            Acl::open_unsafe(),
            EphemeralType::Session(7),
            1,
        );
        tree.apply(&h2, &t2);
        snapshot::write_snapshot(dir.path(), 2, &encode_snapshot(&tree, &[(7, 5000)])).unwrap();
        let mut log = txnlog::TxnLog::open(dir.path(), true).unwrap();
        for (h, t) in [(&h1, &t1), (&h2, &t2)] {
            log.append(h.zxid.0, &encode_txn(h, t)).unwrap();
        }
        let h3 = header(3, 8, OpCode::CreateSession);
        let t3 = Txn::CreateSession { timeout_ms: 6000 };
        log.append(3, &encode_txn(&h3, &t3)).unwrap();
        let h4 = header(4, 7, OpCode::CloseSession);
        let t4 = Txn::CloseSession {
            paths_to_delete: vec!["/a".to_string()],
        };
        log.append(4, &encode_txn(&h4, &t4)).unwrap();
        log.commit().unwrap();

        let recovered = recover(dir.path(), dir.path()).unwrap();
        assert_eq!(recovered.snapshot_zxid, Some(2));
        assert_eq!(
            recovered.replayed, 2,
            "only what follows the snapshot is replayed"
        );
        assert_eq!(recovered.sessions, vec![(8, 6000)]);
        assert!(
            !recovered.tree.exists("/a"),
            "the closed session's ephemeral is gone"
        );
        assert_eq!(recovered.tree.last_processed_zxid(), Zxid(4));
    }

    #[test]
    fn empty_directories_recover_a_fresh_tree() {
        let dir = tempfile::tempdir().unwrap();
        let recovered = recover(dir.path(), dir.path()).unwrap();
        assert_eq!(recovered.tree.node_count(), 4);
        assert!(recovered.sessions.is_empty() && recovered.snapshot_zxid.is_none());
    }

    #[test]
    fn transactions_round_trip_through_their_encoding() {
        let h = header(9, 3, OpCode::SetData);
        // Null data stays distinct from empty data.
        for data in [Some(vec![1, 2, 3]), Some(Vec::new()), None] {
            let t = Txn::SetData {
                path: "/p".to_string(),
                data,
                version: 4,
            };
            let decoded = decode_txn(&encode_txn(&h, &t)).unwrap();
            assert_eq!((decoded.header, decoded.txn), (h.clone(), t));
        }
        assert!(decode_txn(&[0xff, 0xff]).is_err());
    }

    #[test]
    fn encoding_into_a_used_buffer_replaces_its_contents() {
        let h = header(9, 3, OpCode::SetData);
        let long = Txn::SetData {
            path: "/long".to_string(),
            data: Some(vec![7; 4096]),
            version: 1,
        };
        let short = Txn::Delete {
            path: "/s".to_string(),
        };
        let mut buffer = Vec::new();
        encode_txn_into(&h, &long, &mut buffer);
        encode_txn_into(&h, &short, &mut buffer);
        assert_eq!(buffer, encode_txn(&h, &short));
        assert_eq!(decode_txn(&buffer).unwrap().txn, short);
    }
}
