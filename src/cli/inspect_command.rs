//! `zooscope inspect`: print what a server has on disk, its transaction log or its newest
//! snapshot, in human-readable lines.

use crate::data::txn::Txn;
use crate::data::types::Zxid;
use crate::native::server::recovery::{decode_snapshot, decode_txn};
use crate::native::storage::{snapshot, txnlog};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct InspectArgs {
    #[command(subcommand)]
    what: Inspect,
}

#[derive(Subcommand, Debug)]
enum Inspect {
    /// Every transaction in a log: a log file, or a directory of them (dataLogDir works).
    Log { path: PathBuf },
    /// A snapshot: a snapshot file, or the newest intact one in a directory (dataDir works).
    Snapshot {
        path: PathBuf,
        /// Also list every znode with its data length and version.
        #[arg(long)]
        nodes: bool,
    },
}

/// The directory where zooscope keeps its files under a zoo.cfg directory, if `path` is one.
fn storage_dir(path: &Path) -> PathBuf {
    let nested = path.join("zooscope-v1");
    if nested.is_dir() {
        nested
    } else {
        path.to_path_buf()
    }
}

/// "N bytes", or "null data" for a null buffer.
fn data_size(data: &Option<Vec<u8>>) -> String {
    data.as_ref()
        .map_or_else(|| "null data".to_string(), |d| format!("{} bytes", d.len()))
}

fn describe(txn: &Txn) -> String {
    match txn {
        Txn::CreateSession { timeout_ms } => format!("createSession timeout={timeout_ms}ms"),
        Txn::CloseSession { paths_to_delete } => {
            format!("closeSession deletes {paths_to_delete:?}")
        }
        Txn::Create {
            path,
            data,
            ephemeral_owner,
            ..
        } => format!(
            "create {path} ({}){}",
            data_size(data),
            if *ephemeral_owner != 0 {
                format!(" owner={ephemeral_owner:#x}")
            } else {
                String::new()
            }
        ),
        Txn::Delete { path } => format!("delete {path}"),
        Txn::SetData {
            path,
            data,
            version,
        } => format!("setData {path} ({}) version={version}", data_size(data)),
        Txn::SetAcl { path, acl, version } => {
            format!("setACL {path} {} entries aversion={version}", acl.len())
        }
        Txn::Check { path, version } => format!("check {path} version={version}"),
        Txn::Multi(txns) => format!(
            "multi [{}]",
            txns.iter().map(describe).collect::<Vec<_>>().join("; ")
        ),
        Txn::Error { code } => format!("error {code:?}"),
    }
}

pub fn run(args: &InspectArgs, out: &mut impl Write) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    match &args.what {
        Inspect::Log { path } => {
            let files = if path.is_dir() {
                txnlog::log_files(&storage_dir(path)).map_err(io)?
            } else {
                vec![(0, path.clone())]
            };
            if files.is_empty() {
                return Err(format!("no log files in {}", path.display()));
            }
            for (_, file) in files {
                writeln!(out, "# {}", file.display()).map_err(io)?;
                let (records, damage) = txnlog::read_file_records(&file).map_err(io)?;
                for record in records {
                    let logged = decode_txn(&record.payload).map_err(io)?;
                    writeln!(
                        out,
                        "{} session={:#x} cxid={} time={} {:?}: {}",
                        Zxid(record.zxid),
                        logged.header.session_id,
                        logged.header.cxid,
                        logged.header.time_ms,
                        logged.header.op,
                        describe(&logged.txn)
                    )
                    .map_err(io)?;
                }
                if let Some(damage) = damage {
                    writeln!(
                        out,
                        "# stops at byte {}: {}",
                        damage.valid_len, damage.reason
                    )
                    .map_err(io)?;
                }
            }
        }
        Inspect::Snapshot { path, nodes } => {
            let (zxid, payload) = if path.is_dir() {
                let latest = snapshot::load_latest(&storage_dir(path)).map_err(io)?;
                for skipped in latest.skipped {
                    writeln!(out, "# skipped damaged: {skipped}").map_err(io)?;
                }
                latest
                    .snapshot
                    .ok_or_else(|| format!("no intact snapshot in {}", path.display()))?
            } else {
                snapshot::read_snapshot(path).map_err(io)?
            };
            let state = decode_snapshot(&payload).map_err(io)?;
            writeln!(
                out,
                "snapshot at zxid {} ({:#x}): {} znodes, {} sessions, {} bytes of data",
                Zxid(zxid),
                zxid,
                state.tree.node_count(),
                state.sessions.len(),
                state.tree.approximate_data_size()
            )
            .map_err(io)?;
            for (session, timeout) in &state.sessions {
                writeln!(out, "session {session:#x} timeout={timeout}ms").map_err(io)?;
            }
            if *nodes {
                for node in state.tree.iter() {
                    writeln!(
                        out,
                        "{} dataLength={} version={} owner={:#x}",
                        node.path,
                        node.stat.data_length,
                        node.stat.version,
                        node.stat.ephemeral_owner
                    )
                    .map_err(io)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::tree::DataTree;
    use crate::data::txn::TxnHeader;
    use crate::data::types::OpCode;
    use crate::native::server::recovery::{encode_snapshot, encode_txn};

    #[test]
    fn log_and_snapshot_print_one_line_per_thing() {
        let dir = tempfile::tempdir().unwrap();
        let header = TxnHeader {
            session_id: 5,
            cxid: 1,
            zxid: Zxid(1),
            time_ms: 7,
            op: OpCode::CreateSession,
        };
        let mut log = txnlog::TxnLog::open(dir.path(), true).unwrap();
        log.append(
            1,
            &encode_txn(&header, &Txn::CreateSession { timeout_ms: 4000 }),
        )
        .unwrap();
        log.commit().unwrap();
        snapshot::write_snapshot(
            dir.path(),
            1,
            &encode_snapshot(&DataTree::new(), &[(5, 4000)]),
        )
        .unwrap();

        let mut out = Vec::new();
        let args = InspectArgs {
            what: Inspect::Log {
                path: dir.path().to_path_buf(),
            },
        };
        run(&args, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(
                "0:1 session=0x5 cxid=1 time=7 CreateSession: createSession timeout=4000ms"
            ),
            "{text}"
        );

        let mut out = Vec::new();
        let args = InspectArgs {
            what: Inspect::Snapshot {
                path: dir.path().to_path_buf(),
                nodes: true,
            },
        };
        run(&args, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("snapshot at zxid 0:1 (0x1): 4 znodes, 1 sessions"),
            "{text}"
        );
        assert!(text.contains("/zookeeper/config dataLength=0"));
    }

    #[test]
    fn an_empty_directory_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let args = InspectArgs {
            what: Inspect::Log {
                path: dir.path().to_path_buf(),
            },
        };
        let err = run(&args, &mut Vec::new()).unwrap_err();
        assert!(err.starts_with("no log files in "), "{err}");
    }
}
