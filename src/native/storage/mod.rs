//! Durable storage on disk: the transaction log and snapshots.
//!
//! Both deal in opaque payloads keyed by zxid, so the format of a transaction can evolve
//! without touching the code that makes it durable. Every record carries a CRC-32, so a
//! write torn by a crash is told apart from data and cut off, never half-applied.

pub mod snapshot;
pub mod txnlog;

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// Makes a directory's entries (a new or renamed file) durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Parses the hexadecimal zxid in a file name such as `log.0000000100000001`.
pub(crate) fn zxid_from_name(name: &str, prefix: &str) -> Option<i64> {
    let hex = name.strip_prefix(prefix)?;
    if hex.len() != 16 {
        return None;
    }
    u64::from_str_radix(hex, 16).ok().map(|z| z as i64)
}

pub(crate) fn name_for_zxid(prefix: &str, zxid: i64) -> String {
    format!("{prefix}{:016x}", zxid as u64)
}

/// The files in `dir` named `<prefix><zxid in hex>`, oldest (lowest zxid) first; none if the
/// directory does not exist yet.
pub(crate) fn files_by_zxid(dir: &Path, prefix: &str) -> io::Result<Vec<(i64, PathBuf)>> {
    let mut files = Vec::new();
    if !dir.exists() {
        return Ok(files);
    }
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(zxid) = entry
            .file_name()
            .to_str()
            .and_then(|name| zxid_from_name(name, prefix))
        {
            files.push((zxid, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}
