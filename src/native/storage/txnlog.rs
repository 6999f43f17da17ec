//! The transaction log: an append-only sequence of `(zxid, payload)` records in files named
//! `log.<first zxid in hex>`, made durable in groups (many appends, one fsync) before any of
//! them is acknowledged.
//!
//! File layout: the magic `ZSLG`, a format version (u32 BE), then records of
//! `[len u32 BE][crc32 u32 BE][zxid i64 BE][payload]` where `len` counts zxid and payload and
//! the CRC covers the same bytes. A crash can leave the last record of the last file torn;
//! reading stops there and reports it, and opening for append cuts it off. Damage anywhere
//! else is an error: records after it would otherwise be silently lost.

use super::{files_by_zxid, name_for_zxid, sync_dir};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

const MAGIC: &[u8; 4] = b"ZSLG";
const VERSION: u32 = 1;
const HEADER_LEN: u64 = 8;
const PREFIX: &str = "log.";
/// No single transaction is anywhere near this; a larger length is damage, not data.
const MAX_RECORD_LEN: u32 = 64 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRecord {
    pub zxid: i64,
    pub payload: Vec<u8>,
}

/// Where and why reading stopped before the end of the last file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornTail {
    pub file: PathBuf,
    /// Length of the valid prefix: everything from here on is cut off when appending.
    pub valid_len: u64,
    pub reason: String,
}

/// Everything read back from a log directory.
#[derive(Debug, Default)]
pub struct LogReadout {
    pub records: Vec<LogRecord>,
    pub torn_tail: Option<TornTail>,
}

/// The log files in `dir`, oldest first.
pub fn log_files(dir: &Path) -> io::Result<Vec<(i64, PathBuf)>> {
    files_by_zxid(dir, PREFIX)
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Reads every record with a zxid greater than `after_zxid`.
pub fn read_log(dir: &Path, after_zxid: i64) -> io::Result<LogReadout> {
    let files = log_files(dir)?;
    // Files that end before `after_zxid` are not read at all: the newest file starting at or
    // below it may hold later records, and every file after it does.
    let first_needed = files
        .iter()
        .rposition(|(first, _)| *first <= after_zxid)
        .unwrap_or(0);
    let mut readout = LogReadout::default();
    let mut last_zxid: Option<i64> = None;
    for (index, (_, path)) in files.iter().enumerate().skip(first_needed) {
        let is_last = index + 1 == files.len();
        let bytes = fs::read(path)?;
        let (records, stop) = parse_file(&bytes);
        for record in records {
            if last_zxid.is_some_and(|last| record.zxid <= last) {
                return Err(invalid(format!(
                    "{}: zxid {:#x} does not follow {:#x}",
                    path.display(),
                    record.zxid,
                    last_zxid.unwrap_or_default()
                )));
            }
            last_zxid = Some(record.zxid);
            if record.zxid > after_zxid {
                readout.records.push(record);
            }
        }
        if let Some(Damage { valid_len, reason }) = stop {
            if !is_last {
                return Err(invalid(format!(
                    "{} is damaged at byte {valid_len} ({reason}) and later log files exist",
                    path.display()
                )));
            }
            readout.torn_tail = Some(TornTail {
                file: path.clone(),
                valid_len,
                reason,
            });
        }
    }
    Ok(readout)
}

/// Where and why parsing a file stopped before its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// Length of the valid prefix of the file.
    pub valid_len: u64,
    pub reason: String,
}

/// The records of one file, and where and why parsing stopped early (if it did).
fn parse_file(bytes: &[u8]) -> (Vec<LogRecord>, Option<Damage>) {
    let mut records = Vec::new();
    if bytes.len() < HEADER_LEN as usize {
        return (records, Some(damage(0, "header is incomplete")));
    }
    if &bytes[..4] != MAGIC {
        return (records, Some(damage(0, "not a zooscope log file")));
    }
    let version = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    if version != VERSION {
        return (
            records,
            Some(damage(0, &format!("unknown log format version {version}"))),
        );
    }
    let mut offset = HEADER_LEN as usize;
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        let stop = |reason: &str| Some(damage(offset as u64, reason));
        // Preallocated space is zeros: an all-zero remainder is the clean end of the data.
        // Zeros followed by anything else are damage, not an end.
        if rest.iter().take(8).all(|&b| b == 0) {
            if rest.iter().all(|&b| b == 0) {
                return (records, None);
            }
            return (records, stop("an empty record is followed by data"));
        }
        if rest.len() < 8 {
            return (records, stop("record header is incomplete"));
        }
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let crc = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]);
        if !(8..=MAX_RECORD_LEN).contains(&len) {
            return (records, stop("record length is impossible"));
        }
        let body_end = 8 + len as usize;
        if rest.len() < body_end {
            return (records, stop("record is incomplete"));
        }
        let body = &rest[8..body_end];
        if crc32fast::hash(body) != crc {
            return (records, stop("record checksum does not match"));
        }
        let mut zxid_bytes = [0u8; 8];
        zxid_bytes.copy_from_slice(&body[..8]);
        records.push(LogRecord {
            zxid: i64::from_be_bytes(zxid_bytes),
            payload: body[8..].to_vec(),
        });
        offset += body_end;
    }
    (records, None)
}

fn damage(valid_len: u64, reason: &str) -> Damage {
    Damage {
        valid_len,
        reason: reason.to_string(),
    }
}

/// Appends records; nothing appended is durable until [`TxnLog::commit`] returns.
pub struct TxnLog {
    dir: PathBuf,
    current: Option<BufWriter<File>>,
    force_sync: bool,
    last_zxid: Option<i64>,
    uncommitted: usize,
    /// Bytes written to the current file, and bytes preallocated for it.
    written: u64,
    allocated: u64,
}

/// Log files grow in steps of this many bytes, allocated ahead of the writes (as ZooKeeper
/// pads its logs): an fdatasync into allocated blocks needs no metadata journalled with it,
/// which on this project's machines makes it about seven times cheaper.
const PREALLOCATION_STEP: u64 = 64 * 1024 * 1024;

/// Allocates `len` bytes of `file` from `offset`, where the platform can (zeros, counted in
/// the file's size); elsewhere the file simply grows as it is written.
fn preallocate(file: &File, offset: u64, len: u64) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        rustix::fs::fallocate(file, rustix::fs::FallocateFlags::empty(), offset, len)
            .map_err(io::Error::from)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (file, offset, len);
        Ok(())
    }
}

impl TxnLog {
    /// Opens `dir` for appending, first cutting off a torn tail left by a crash.
    /// New records go to a new file, so existing files are never rewritten.
    pub fn open(dir: &Path, force_sync: bool) -> io::Result<TxnLog> {
        fs::create_dir_all(dir)?;
        // Only the newest files matter here: the last one for a torn tail, and going back
        // until one holds a record, for the last zxid.
        let files = log_files(dir)?;
        if let Some((_, newest)) = files.last() {
            let (records, damage) = read_file_records(newest)?;
            if records.is_empty() {
                // Created, but killed before a record was durable: it holds nothing, and the
                // next append must be free to start a file under the same name.
                fs::remove_file(newest)?;
                sync_dir(dir)?;
            } else if let Some(damage) = damage {
                if damage.valid_len < HEADER_LEN {
                    fs::remove_file(newest)?;
                } else {
                    let file = OpenOptions::new().write(true).open(newest)?;
                    file.set_len(damage.valid_len)?;
                    file.sync_all()?;
                }
                sync_dir(dir)?;
            }
        }
        let mut last_zxid = None;
        for (_, path) in log_files(dir)?.iter().rev() {
            if let Some(record) = read_file_records(path)?.0.last() {
                last_zxid = Some(record.zxid);
                break;
            }
        }
        Ok(TxnLog {
            dir: dir.to_path_buf(),
            current: None,
            force_sync,
            last_zxid,
            uncommitted: 0,
            written: 0,
            allocated: 0,
        })
    }

    pub fn last_zxid(&self) -> Option<i64> {
        self.last_zxid
    }

    /// Buffers one record. Zxids must increase.
    pub fn append(&mut self, zxid: i64, payload: &[u8]) -> io::Result<()> {
        if self.last_zxid.is_some_and(|last| zxid <= last) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "zxid {zxid:#x} does not follow {:#x}",
                    self.last_zxid.unwrap_or_default()
                ),
            ));
        }
        let len = u32::try_from(8 + payload.len())
            .ok()
            .filter(|&len| len <= MAX_RECORD_LEN)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "record too large"))?;
        if self.current.is_none() {
            self.start_file(zxid)?;
        }
        let writer = self
            .current
            .as_mut()
            .ok_or_else(|| io::Error::other("no log file"))?;
        let record_len = 8 + u64::from(len);
        if self.written + record_len > self.allocated {
            let step = PREALLOCATION_STEP.max(record_len);
            preallocate(writer.get_ref(), self.allocated, step)?;
            self.allocated += step;
        }
        self.written += record_len;
        let zxid_bytes = zxid.to_be_bytes();
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&zxid_bytes);
        hasher.update(payload);
        writer.write_all(&len.to_be_bytes())?;
        writer.write_all(&hasher.finalize().to_be_bytes())?;
        writer.write_all(&zxid_bytes)?;
        writer.write_all(payload)?;
        self.last_zxid = Some(zxid);
        self.uncommitted += 1;
        Ok(())
    }

    /// Makes every appended record durable (one fsync for the whole group).
    /// Returns how many records this commit covered.
    pub fn commit(&mut self) -> io::Result<usize> {
        let covered = std::mem::take(&mut self.uncommitted);
        if let Some(writer) = self.current.as_mut() {
            writer.flush()?;
            if self.force_sync {
                writer.get_ref().sync_data()?;
            }
        }
        Ok(covered)
    }

    /// Commits and closes the current file; the next append starts a new one.
    /// Called after a snapshot, so old files can later be purged whole.
    pub fn roll(&mut self) -> io::Result<()> {
        self.commit()?;
        self.current = None;
        Ok(())
    }

    fn start_file(&mut self, first_zxid: i64) -> io::Result<()> {
        let path = self.dir.join(name_for_zxid(PREFIX, first_zxid));
        let file = OpenOptions::new()
            .create_new(true)
            .write(true)
            .open(&path)?;
        let mut writer = BufWriter::with_capacity(64 * 1024, file);
        writer.write_all(MAGIC)?;
        writer.write_all(&VERSION.to_be_bytes())?;
        writer.flush()?;
        preallocate(writer.get_ref(), HEADER_LEN, PREALLOCATION_STEP)?;
        writer.get_ref().sync_all()?;
        sync_dir(&self.dir)?;
        self.written = HEADER_LEN;
        self.allocated = HEADER_LEN + PREALLOCATION_STEP;
        self.current = Some(writer);
        Ok(())
    }
}

/// Deletes log files that hold only records at or below `zxid` (they are covered by a
/// snapshot that is being kept), always keeping the file that contains `zxid` itself.
pub fn purge_logs_before(dir: &Path, zxid: i64) -> io::Result<usize> {
    purge_logs_before_unless(dir, zxid, || false)
}

/// [`purge_logs_before`], but stops between files as soon as `stop` says so (something more
/// urgent is waiting); the rest is purged next time.
pub fn purge_logs_before_unless(
    dir: &Path,
    zxid: i64,
    mut stop: impl FnMut() -> bool,
) -> io::Result<usize> {
    let files = log_files(dir)?;
    // The newest file starting at or below zxid may hold zxid and later records: keep it.
    let keep_from = files
        .iter()
        .rposition(|(first, _)| *first <= zxid)
        .unwrap_or(0);
    let mut removed = 0;
    for (_, path) in &files[..keep_from] {
        if stop() {
            break;
        }
        remove_gradually(path)?;
        removed += 1;
    }
    Ok(removed)
}

/// Purged files shrink by this much at a time, with this pause after each step.
const SHRINK_STEP: u64 = 4 * 1024 * 1024;
const SHRINK_PAUSE: Duration = Duration::from_millis(2);

/// Deletes a log file without stalling the live log's group commits. Deleting a file frees
/// its cached pages and blocks in one go: for a 100 MiB log file that was 40 ms of kernel
/// time, during which the fdatasyncs of the live log took up to 20 ms (the write bench's
/// p99.9). Cutting the file down a few MiB at a time, with a pause after each cut, spreads
/// that work out (purging runs on the snapshot thread, where a slower purge costs nothing).
fn remove_gradually(path: &Path) -> io::Result<()> {
    let file = OpenOptions::new().write(true).open(path)?;
    let mut len = file.metadata()?.len();
    while len > SHRINK_STEP {
        len -= SHRINK_STEP;
        file.set_len(len)?;
        thread::sleep(SHRINK_PAUSE);
    }
    drop(file);
    fs::remove_file(path)
}

/// Reads a whole file into memory (used by the log printer).
pub fn read_file_records(path: &Path) -> io::Result<(Vec<LogRecord>, Option<Damage>)> {
    let mut bytes = Vec::new();
    File::open(path)?.read_to_end(&mut bytes)?;
    Ok(parse_file(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where a log file's records end (the rest is preallocated zeros).
    fn data_end(path: &Path) -> usize {
        let (records, _) = read_file_records(path).unwrap();
        HEADER_LEN as usize + records.iter().map(|r| 16 + r.payload.len()).sum::<usize>()
    }

    fn zxids(readout: &LogReadout) -> Vec<i64> {
        readout.records.iter().map(|r| r.zxid).collect()
    }

    fn write(dir: &Path, records: &[(i64, &[u8])]) {
        let mut log = TxnLog::open(dir, true).unwrap();
        for (zxid, payload) in records {
            log.append(*zxid, payload).unwrap();
        }
        log.commit().unwrap();
    }

    #[test]
    fn committed_records_read_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[(1, b"a"), (2, b"bb"), (3, b"")]);
        let readout = read_log(dir.path(), 0).unwrap();
        assert_eq!(zxids(&readout), vec![1, 2, 3]);
        assert_eq!(readout.records[1].payload, b"bb");
        assert!(readout.torn_tail.is_none());
    }

    #[test]
    fn reading_skips_records_covered_by_a_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[(1, b"a"), (2, b"b"), (3, b"c")]);
        assert_eq!(zxids(&read_log(dir.path(), 2).unwrap()), vec![3]);
    }

    #[test]
    fn group_commit_reports_how_many_records_it_made_durable() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = TxnLog::open(dir.path(), true).unwrap();
        for zxid in 1..=5 {
            log.append(zxid, b"x").unwrap();
        }
        assert_eq!(log.commit().unwrap(), 5);
        assert_eq!(log.commit().unwrap(), 0);
    }

    #[test]
    fn reopening_appends_to_a_new_file_and_keeps_everything() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[(1, b"a"), (2, b"b")]);
        write(dir.path(), &[(3, b"c")]);
        assert_eq!(log_files(dir.path()).unwrap().len(), 2);
        assert_eq!(zxids(&read_log(dir.path(), 0).unwrap()), vec![1, 2, 3]);
    }

    #[test]
    fn zxids_must_increase() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[(5, b"a")]);
        let mut log = TxnLog::open(dir.path(), true).unwrap();
        assert_eq!(log.last_zxid(), Some(5));
        assert!(log.append(5, b"again").is_err());
        assert!(log.append(4, b"older").is_err());
    }

    #[test]
    fn every_torn_tail_is_cut_off_and_the_valid_prefix_kept() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[(1, b"first"), (2, b"second"), (3, b"third")]);
        let (_, path) = log_files(dir.path()).unwrap().pop().unwrap();
        let end = data_end(&path);
        let full = fs::read(&path).unwrap()[..end].to_vec();
        let record_len = |payload: &[u8]| 16 + payload.len();
        let two_records = HEADER_LEN as usize + record_len(b"first") + record_len(b"second");
        // Cut the file at every length inside the third record: a crash mid-write.
        for cut in two_records..full.len() {
            fs::write(&path, &full[..cut]).unwrap();
            let readout = read_log(dir.path(), 0).unwrap();
            assert_eq!(zxids(&readout), vec![1, 2], "cut at {cut}");
            // A cut inside the length's leading zero bytes looks like preallocated space:
            // a clean end, which loses nothing either (that record was never complete).
            let torn = full[two_records..cut].iter().any(|&b| b != 0);
            if torn {
                assert_eq!(
                    readout.torn_tail.as_ref().unwrap().valid_len,
                    two_records as u64
                );
            }
            let mut log = TxnLog::open(dir.path(), true).unwrap();
            assert_eq!(log.last_zxid(), Some(2));
            if torn {
                assert_eq!(fs::metadata(&path).unwrap().len(), two_records as u64);
            }
            log.append(3, b"third again").unwrap();
            log.commit().unwrap();
            let after = read_log(dir.path(), 0).unwrap();
            assert_eq!(zxids(&after), vec![1, 2, 3]);
            assert!(after.torn_tail.is_none());
            // Restore for the next cut.
            for (_, extra) in log_files(dir.path()).unwrap().into_iter().skip(1) {
                fs::remove_file(extra).unwrap();
            }
            fs::write(&path, &full).unwrap();
        }
    }

    #[test]
    fn a_flipped_bit_in_the_last_record_is_treated_as_torn() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[(1, b"keep"), (2, b"flip")]);
        let (_, path) = log_files(dir.path()).unwrap().pop().unwrap();
        let mut bytes = fs::read(&path).unwrap();
        let last = data_end(&path) - 1;
        bytes[last] ^= 0x01;
        fs::write(&path, &bytes).unwrap();
        let readout = read_log(dir.path(), 0).unwrap();
        assert_eq!(zxids(&readout), vec![1]);
        assert_eq!(
            readout.torn_tail.unwrap().reason,
            "record checksum does not match"
        );
    }

    #[test]
    fn damage_in_an_older_file_is_an_error_not_silent_loss() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[(1, b"a"), (2, b"b")]);
        write(dir.path(), &[(3, b"c")]);
        let (_, first) = log_files(dir.path()).unwrap().remove(0);
        let bytes = fs::read(&first).unwrap();
        fs::write(&first, &bytes[..data_end(&first) - 1]).unwrap();
        let err = read_log(dir.path(), 0).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("later log files exist"), "{err}");
    }

    #[test]
    fn a_file_with_only_a_partial_header_is_removed_on_open() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[(1, b"a")]);
        let stray = dir.path().join(name_for_zxid(PREFIX, 2));
        fs::write(&stray, b"ZS").unwrap();
        let log = TxnLog::open(dir.path(), true).unwrap();
        assert_eq!(log.last_zxid(), Some(1));
        assert!(!stray.exists());
    }

    #[test]
    fn preallocated_zeros_end_a_file_cleanly_but_zeros_before_data_are_damage() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[(1, b"a"), (2, b"b")]);
        let (_, path) = log_files(dir.path()).unwrap().pop().unwrap();
        let end = data_end(&path);
        let mut bytes = fs::read(&path).unwrap();
        assert!(
            bytes.len() > end,
            "the file is preallocated beyond its records"
        );
        let (records, damage) = parse_file(&bytes);
        assert_eq!((records.len(), damage), (2, None));
        bytes[end + 100] = 7;
        let (records, damage) = parse_file(&bytes);
        assert_eq!(records.len(), 2);
        assert_eq!(
            damage.unwrap().reason,
            "an empty record is followed by data"
        );
    }

    #[test]
    fn a_newest_file_without_records_is_removed_so_its_name_can_be_reused() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[(1, b"a")]);
        // Killed right after starting the next file, before its first record was durable.
        let empty = dir.path().join(name_for_zxid(PREFIX, 2));
        let mut header = MAGIC.to_vec();
        header.extend_from_slice(&VERSION.to_be_bytes());
        header.extend_from_slice(&[0; 64]);
        fs::write(&empty, header).unwrap();
        let mut log = TxnLog::open(dir.path(), true).unwrap();
        assert_eq!(log.last_zxid(), Some(1));
        log.append(2, b"b").unwrap();
        log.commit().unwrap();
        assert_eq!(zxids(&read_log(dir.path(), 0).unwrap()), vec![1, 2]);
    }

    #[test]
    fn purging_keeps_the_file_that_holds_the_snapshot_zxid() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[(1, b"a"), (2, b"b")]);
        write(dir.path(), &[(3, b"c"), (4, b"d")]);
        write(dir.path(), &[(5, b"e")]);
        assert_eq!(purge_logs_before(dir.path(), 4).unwrap(), 1);
        let firsts: Vec<i64> = log_files(dir.path())
            .unwrap()
            .iter()
            .map(|(z, _)| *z)
            .collect();
        assert_eq!(firsts, vec![3, 5]);
        assert_eq!(zxids(&read_log(dir.path(), 4).unwrap()), vec![5]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn parsing_arbitrary_bytes_never_panics_and_never_invents_records(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)
        ) {
            let mut file = Vec::from(&MAGIC[..]);
            file.extend_from_slice(&VERSION.to_be_bytes());
            file.extend_from_slice(&bytes);
            let (records, damage) = parse_file(&file);
            // Whatever parsing returns is literally in the file: re-encoding the records
            // reproduces the file up to where parsing stopped.
            let mut reencoded = file[..HEADER_LEN as usize].to_vec();
            for record in &records {
                let mut body = record.zxid.to_be_bytes().to_vec();
                body.extend_from_slice(&record.payload);
                reencoded.extend_from_slice(&(body.len() as u32).to_be_bytes());
                reencoded.extend_from_slice(&crc32fast::hash(&body).to_be_bytes());
                reencoded.extend_from_slice(&body);
            }
            let valid_len = damage.map_or(file.len() as u64, |d| d.valid_len);
            proptest::prop_assert_eq!(reencoded.as_slice(), &file[..valid_len as usize]);
        }
    }
}
