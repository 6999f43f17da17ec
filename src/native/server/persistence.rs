//! The persistence thread: appends transactions to the log and fsyncs them in groups (all
//! that arrived while the previous fsync ran), then reports the highest durable zxid; writes
//! snapshots, rolls the log and purges old files. A blocking thread, because fsync blocks.

use super::recovery::encode_txn;
use crate::data::txn::{Txn, TxnHeader};
use crate::data::types::Zxid;
use crate::native::storage::{snapshot, txnlog};
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread;

pub enum Job {
    Append { header: TxnHeader, txn: Txn },
    Snapshot { zxid: i64, payload: Vec<u8> },
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

/// Starts the thread. Jobs go in through the returned sender; reports come out through `report`.
pub fn start(
    settings: Settings,
    report: impl Fn(Report) + Send + 'static,
) -> std::io::Result<mpsc::Sender<Job>> {
    let mut log = txnlog::TxnLog::open(&settings.log_dir, settings.force_sync)?;
    let (jobs, inbox) = mpsc::channel::<Job>();
    thread::Builder::new()
        .name("zooscope-log".to_string())
        .spawn(move || {
            while let Ok(first) = inbox.recv() {
                // Group commit: take everything already waiting, then one fsync for all of it.
                let mut batch = vec![first];
                batch.extend(inbox.try_iter());
                if let Err(error) = run_batch(&settings, &mut log, batch, &report) {
                    report(Report::Failed(error.to_string()));
                    return;
                }
            }
        })?;
    Ok(jobs)
}

fn run_batch(
    settings: &Settings,
    log: &mut txnlog::TxnLog,
    batch: Vec<Job>,
    report: &impl Fn(Report),
) -> std::io::Result<()> {
    let mut newest = None;
    let mut snapshots = Vec::new();
    for job in batch {
        match job {
            Job::Append { header, txn } => {
                log.append(header.zxid.0, &encode_txn(&header, &txn))?;
                newest = Some(header.zxid);
            }
            Job::Snapshot { zxid, payload } => snapshots.push((zxid, payload)),
        }
    }
    log.commit()?;
    if let Some(zxid) = newest {
        report(Report::Durable(zxid));
    }
    for (zxid, payload) in snapshots {
        snapshot::write_snapshot(&settings.snapshot_dir, zxid, &payload)?;
        log.roll()?;
        if let Some(oldest_kept) =
            snapshot::purge_snapshots(&settings.snapshot_dir, settings.snap_retain_count)?
        {
            txnlog::purge_logs_before(&settings.log_dir, oldest_kept)?;
        }
    }
    Ok(())
}
