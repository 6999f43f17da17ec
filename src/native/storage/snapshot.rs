//! Snapshots: the whole state as of one zxid, in files named `snapshot.<zxid in hex>`.
//!
//! Layout: the magic `ZSSN`, a format version (u32 BE), the zxid (i64 BE), the payload length
//! (u64 BE), the payload, and a CRC-32 (u32 BE) of the payload. A snapshot is written to a
//! temporary file, fsynced, and renamed into place, so a crash leaves either the old set of
//! snapshots or the new one, never a half-written file under a snapshot's name. Loading takes
//! the newest snapshot that checks out and skips damaged ones.

use super::{files_by_zxid, name_for_zxid, sync_dir};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 4] = b"ZSSN";
const VERSION: u32 = 1;
const PREFIX: &str = "snapshot.";
const HEADER_LEN: usize = 4 + 4 + 8 + 8;

/// The snapshot files in `dir`, oldest first.
pub fn snapshot_files(dir: &Path) -> io::Result<Vec<(i64, PathBuf)>> {
    files_by_zxid(dir, PREFIX)
}

/// Writes a snapshot of the state as of `zxid`, durably, and returns its path.
pub fn write_snapshot(dir: &Path, zxid: i64, payload: &[u8]) -> io::Result<PathBuf> {
    fs::create_dir_all(dir)?;
    let name = name_for_zxid(PREFIX, zxid);
    let temporary = dir.join(format!("{name}.tmp"));
    let path = dir.join(&name);
    {
        let mut file = File::create(&temporary)?;
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&VERSION.to_be_bytes());
        header.extend_from_slice(&zxid.to_be_bytes());
        header.extend_from_slice(&(payload.len() as u64).to_be_bytes());
        file.write_all(&header)?;
        file.write_all(payload)?;
        file.write_all(&crc32fast::hash(payload).to_be_bytes())?;
        file.sync_all()?;
    }
    fs::rename(&temporary, &path)?;
    sync_dir(dir)?;
    Ok(path)
}

/// Reads one snapshot file, checking every part of it.
pub fn read_snapshot(path: &Path) -> io::Result<(i64, Vec<u8>)> {
    let bytes = fs::read(path)?;
    let damaged = |why: &str| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {why}", path.display()),
        )
    };
    if bytes.len() < HEADER_LEN + 4 {
        return Err(damaged("too short to be a snapshot"));
    }
    if &bytes[..4] != MAGIC {
        return Err(damaged("not a zooscope snapshot"));
    }
    let word = |at: usize| -> [u8; 8] {
        let mut out = [0u8; 8];
        out.copy_from_slice(&bytes[at..at + 8]);
        out
    };
    let version = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    if version != VERSION {
        return Err(damaged(&format!(
            "unknown snapshot format version {version}"
        )));
    }
    let zxid = i64::from_be_bytes(word(8));
    let len = u64::from_be_bytes(word(16));
    let expected_total = (HEADER_LEN as u64)
        .checked_add(len)
        .and_then(|n| n.checked_add(4));
    if expected_total != Some(bytes.len() as u64) {
        return Err(damaged("length does not match the file size"));
    }
    let payload_end = HEADER_LEN + len as usize;
    let payload = &bytes[HEADER_LEN..payload_end];
    let stored = u32::from_be_bytes([
        bytes[payload_end],
        bytes[payload_end + 1],
        bytes[payload_end + 2],
        bytes[payload_end + 3],
    ]);
    if crc32fast::hash(payload) != stored {
        return Err(damaged("checksum does not match"));
    }
    Ok((zxid, payload.to_vec()))
}

/// What loading found: the newest intact snapshot, and the damaged newer ones it skipped.
#[derive(Debug, Default)]
pub struct Latest {
    pub snapshot: Option<(i64, Vec<u8>)>,
    pub skipped: Vec<io::Error>,
}

/// The newest snapshot that reads back intact.
pub fn load_latest(dir: &Path) -> io::Result<Latest> {
    let mut latest = Latest::default();
    for (_, path) in snapshot_files(dir)?.into_iter().rev() {
        match read_snapshot(&path) {
            Ok(snapshot) => {
                latest.snapshot = Some(snapshot);
                break;
            }
            Err(error) if error.kind() == io::ErrorKind::InvalidData => latest.skipped.push(error),
            Err(error) => return Err(error),
        }
    }
    Ok(latest)
}

/// Keeps the newest `retain` snapshots (at least one), deletes older ones and stray
/// temporaries, and returns the zxid of the oldest kept snapshot: logs before it can go.
pub fn purge_snapshots(dir: &Path, retain: usize) -> io::Result<Option<i64>> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(PREFIX) && name.ends_with(".tmp") {
            fs::remove_file(entry.path())?;
        }
    }
    let files = snapshot_files(dir)?;
    let keep = retain.max(1).min(files.len());
    let (old, kept) = files.split_at(files.len() - keep);
    for (_, path) in old {
        fs::remove_file(path)?;
    }
    Ok(kept.first().map(|(zxid, _)| *zxid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_snapshot_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_snapshot(dir.path(), 0x1_0000_0007, b"tree bytes").unwrap();
        assert!(path.ends_with("snapshot.0000000100000007"));
        assert_eq!(
            read_snapshot(&path).unwrap(),
            (0x1_0000_0007, b"tree bytes".to_vec())
        );
    }

    #[test]
    fn latest_intact_snapshot_wins_and_damaged_ones_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        write_snapshot(dir.path(), 10, b"older").unwrap();
        let newest = write_snapshot(dir.path(), 20, b"newer").unwrap();
        let mut bytes = fs::read(&newest).unwrap();
        bytes[HEADER_LEN] ^= 0xff;
        fs::write(&newest, bytes).unwrap();
        let latest = load_latest(dir.path()).unwrap();
        assert_eq!(latest.snapshot, Some((10, b"older".to_vec())));
        assert_eq!(latest.skipped.len(), 1);
        assert!(latest.skipped[0]
            .to_string()
            .contains("checksum does not match"));
    }

    #[test]
    fn truncated_snapshot_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_snapshot(dir.path(), 1, b"0123456789").unwrap();
        let bytes = fs::read(&path).unwrap();
        for cut in 0..bytes.len() {
            fs::write(&path, &bytes[..cut]).unwrap();
            assert!(read_snapshot(&path).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn empty_directory_has_no_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let latest = load_latest(dir.path()).unwrap();
        assert!(latest.snapshot.is_none() && latest.skipped.is_empty());
    }

    #[test]
    fn a_leftover_temporary_is_ignored_and_purged() {
        let dir = tempfile::tempdir().unwrap();
        write_snapshot(dir.path(), 5, b"good").unwrap();
        fs::write(dir.path().join("snapshot.0000000000000009.tmp"), b"half").unwrap();
        assert_eq!(
            load_latest(dir.path()).unwrap().snapshot.map(|s| s.0),
            Some(5)
        );
        purge_snapshots(dir.path(), 3).unwrap();
        assert!(!dir.path().join("snapshot.0000000000000009.tmp").exists());
    }

    #[test]
    fn purging_keeps_the_newest_and_reports_the_oldest_kept() {
        let dir = tempfile::tempdir().unwrap();
        for zxid in [1, 2, 3, 4, 5] {
            write_snapshot(dir.path(), zxid, b"s").unwrap();
        }
        assert_eq!(purge_snapshots(dir.path(), 3).unwrap(), Some(3));
        let left: Vec<i64> = snapshot_files(dir.path())
            .unwrap()
            .iter()
            .map(|(z, _)| *z)
            .collect();
        assert_eq!(left, vec![3, 4, 5]);
        assert_eq!(
            purge_snapshots(dir.path(), 0).unwrap(),
            Some(5),
            "at least one is kept"
        );
    }
}
