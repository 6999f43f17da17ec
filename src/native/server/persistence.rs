//! The persistence threads. The log thread appends transactions to the log and fsyncs them
//! in groups (all that arrived while the previous fsync ran), then reports the highest durable
//! zxid; at a snapshot it rolls the log to a new file. The snapshot thread serializes and
//! writes snapshots and purges the files they make unnecessary. Blocking threads, because
//! fsync blocks.

use super::recovery::{encode_snapshot, encode_txn_into, SnapshotState};
use crate::data::txn::{Txn, TxnHeader};
use crate::data::types::Zxid;
use crate::native::storage::{snapshot, txnlog};
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;

pub enum Job {
    /// Transactions to log, in zxid order.
    Append(Vec<(TxnHeader, Arc<Txn>)>),
    /// The state as of `zxid` (its tree shares pages with the live one), to serialize and
    /// write on the snapshot thread.
    Snapshot {
        zxid: i64,
        state: Box<SnapshotState>,
    },
}

/// What the thread reports back.
pub enum Report {
    Durable(Zxid),
    /// The disk failed: the server must stop rather than acknowledge what is not durable.
    Failed(String),
}

pub struct Settings {
    pub snapshot_dir: PathBuf,
    pub log_dir: PathBuf,
    pub force_sync: bool,
    pub snap_retain_count: usize,
}

/// Starts the log thread and the snapshot thread. Jobs go in through the returned sender;
/// reports come out through `report`. Snapshots are written on their own thread, so that
/// writing and fsyncing one never holds up the group commits of the log.
pub fn start(
    settings: Settings,
    report: impl Fn(Report) + Send + Sync + 'static,
) -> std::io::Result<mpsc::Sender<Job>> {
    let mut log = txnlog::TxnLog::open(&settings.log_dir, settings.force_sync)?;
    let report = std::sync::Arc::new(report);
    let (jobs, inbox) = mpsc::channel::<Job>();
    let (snapshots, snapshot_inbox) = mpsc::channel::<(i64, Box<SnapshotState>)>();
    let snapshot_report = report.clone();
    let snapshot_settings = Settings {
        snapshot_dir: settings.snapshot_dir.clone(),
        log_dir: settings.log_dir.clone(),
        force_sync: settings.force_sync,
        snap_retain_count: settings.snap_retain_count,
    };
    thread::Builder::new()
        .name("zooscope-snapshot".to_string())
        .spawn(move || {
            let mut waiting = None;
            loop {
                let Some(mut newest) = waiting.take().or_else(|| snapshot_inbox.recv().ok()) else {
                    return;
                };
                // Snapshots that queued up while the last one was written are stale: write
                // only the newest, as ZooKeeper skips a snapshot while one is in progress.
                // Otherwise a busy server's newest durable snapshot falls ever further behind
                // and a restart replays ever more log.
                while let Ok(newer) = snapshot_inbox.try_recv() {
                    newest = newer;
                }
                let (zxid, state) = newest;
                let payload = encode_snapshot(&state.tree, &state.sessions);
                // Dropping the clone now lets the live tree change its pages in place again.
                drop(state);
                // Purging (slow on purpose) gives way to the next snapshot.
                let stop = || match snapshot_inbox.try_recv() {
                    Ok(next) => {
                        waiting = Some(next);
                        true
                    }
                    Err(_) => false,
                };
                if let Err(error) = write_and_purge(&snapshot_settings, zxid, &payload, stop) {
                    snapshot_report(Report::Failed(error.to_string()));
                    return;
                }
            }
        })?;
    thread::Builder::new()
        .name("zooscope-log".to_string())
        .spawn(move || {
            // One buffer for every record's encoding, reused.
            let mut scratch = Vec::new();
            while let Ok(first) = inbox.recv() {
                // Group commit: take everything already waiting, then one fsync for all of it.
                let mut batch = vec![first];
                batch.extend(inbox.try_iter());
                if let Err(error) = run_batch(&mut log, batch, &mut scratch, &*report, &snapshots) {
                    report(Report::Failed(error.to_string()));
                    return;
                }
            }
        })?;
    Ok(jobs)
}

fn run_batch(
    log: &mut txnlog::TxnLog,
    batch: Vec<Job>,
    scratch: &mut Vec<u8>,
    report: &dyn Fn(Report),
    snapshots: &mpsc::Sender<(i64, Box<SnapshotState>)>,
) -> std::io::Result<()> {
    let mut newest = None;
    for job in batch {
        match job {
            Job::Append(txns) => {
                for (header, txn) in txns {
                    encode_txn_into(&header, &txn, scratch);
                    log.append(header.zxid.0, scratch)?;
                    newest = Some(header.zxid);
                }
            }
            Job::Snapshot { zxid, state } => {
                // Later transactions go to a new file, so the files before it can be purged
                // whole once the snapshot is durable.
                log.roll()?;
                snapshots
                    .send((zxid, state))
                    .map_err(|_| std::io::Error::other("the snapshot thread has stopped"))?;
            }
        }
    }
    log.commit()?;
    if let Some(zxid) = newest {
        report(Report::Durable(zxid));
    }
    Ok(())
}

/// Writes one snapshot durably, then removes snapshots and log files it makes unnecessary.
fn write_and_purge(
    settings: &Settings,
    zxid: i64,
    payload: &[u8],
    stop: impl FnMut() -> bool,
) -> std::io::Result<()> {
    snapshot::write_snapshot(&settings.snapshot_dir, zxid, payload)?;
    if let Some(oldest_kept) =
        snapshot::purge_snapshots(&settings.snapshot_dir, settings.snap_retain_count)?
    {
        txnlog::purge_logs_before_unless(&settings.log_dir, oldest_kept, stop)?;
    }
    Ok(())
}
