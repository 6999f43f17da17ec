//! The znode tree (ZooKeeper's `DataTree`): what every replica holds in memory, changed only
//! by applying transactions in zxid order.
//!
//! Layout, chosen for memory (the goal is a fifth of Apache ZooKeeper's ~350 bytes of heap per
//! small znode; `examples/tree_memory.rs` measures about 59 bytes resident for 1M znodes):
//! - One record per znode: the full path, a NUL, the metadata as varints (zxids and times as
//!   deltas, so a fresh znode's three zxids and two times cost a few bytes) and, when small,
//!   the data. Records are packed in key order into pages of about 2 KiB, indexed by their
//!   first key: no allocation and no half-empty B-tree slot per znode.
//! - No children sets: a node's descendants are the contiguous key range `[p + "/", p + "0")`
//!   (`'0'` is the byte after `'/'`). Direct children are enumerated from that range, jumping
//!   over each child's own subtree; siblings such as `a-b` and `a.b` sort between `a` and
//!   `a/...`, which is why the jump starts only when a grandchild is met.
//! - Data above [`INLINE_DATA_MAX`] bytes lives in a side map, so updating a parent's
//!   metadata (every create and delete below it) never copies a large payload. Null data (a
//!   client may send a buffer of length -1, and ZooKeeper keeps it null) is a flag bit in
//!   the record, distinct from empty data at no extra cost.
//! - ACL lists are interned with reference counts (ZooKeeper's `ReferenceCountedACLCache`):
//!   a million znodes sharing one ACL store it once, and a record holds a small id.
//!
//! What ZooKeeper persists and what a client sees differ in two Stat fields, and we keep
//! ZooKeeper's persisted form: `cversion` counts child creations only, and a client sees
//! `2 * cversion - numChildren` (so deletes show up as +1); `ephemeralOwner` holds the
//! container/TTL encodings, and a client sees 0 for those.
//!
//! Applying never panics: a transaction that does not fit the tree (which a correct leader
//! never produces) yields an error result and leaves the tree unchanged, multis included,
//! except for ZooKeeper's two replay adjustments, which we keep: a delete of a missing child
//! still raises the parent's pzxid, and a top-level create of an existing node still raises
//! the parent's cversion.

use crate::data::path;
use crate::data::txn::{EphemeralType, Txn, TxnHeader};
use crate::data::types::{Acl, ErrorCode, EventType, OpCode, SessionId, Stat, WatchedEvent, Zxid};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::Arc;

/// Data up to this many bytes is stored inside the node's record; larger data in a side map.
pub const INLINE_DATA_MAX: usize = 128;

/// A znode's persisted metadata: ZooKeeper's `StatPersisted`, its child count and ACL id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Meta {
    czxid: i64,
    mzxid: i64,
    pzxid: i64,
    ctime: i64,
    mtime: i64,
    version: i32,
    /// Persisted cversion: child creations, not changes (see the module doc).
    cversion: i32,
    aversion: i32,
    ephemeral_owner: i64,
    num_children: i32,
    acl: u32,
}

const FLAG_DATA_OUT_OF_LINE: u8 = 1;
/// The znode's data is null, not empty: nothing follows the metadata.
const FLAG_DATA_NULL: u8 = 2;

/// Where a record says its data is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stored<'a> {
    /// Null data.
    Null,
    /// Inside the record (possibly empty).
    Inline(&'a [u8]),
    /// In the side map of large data.
    OutOfLine,
}

#[inline]
fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

#[inline]
fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

#[inline]
fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads varints from a record; a truncated record reads as zeros rather than panicking
/// (records only come from this module or from a snapshot of it).
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    #[inline]
    fn byte(&mut self) -> u8 {
        let byte = self.bytes.get(self.pos).copied().unwrap_or(0);
        self.pos = self.pos.saturating_add(1);
        byte
    }

    #[inline]
    fn varint(&mut self) -> u64 {
        let mut value = 0u64;
        let mut shift = 0u32;
        while let Some(&byte) = self.bytes.get(self.pos) {
            self.pos += 1;
            if shift < 64 {
                value |= u64::from(byte & 0x7f) << shift;
            }
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        value
    }

    #[inline]
    fn signed(&mut self) -> i64 {
        unzigzag(self.varint())
    }

    #[inline]
    fn int(&mut self) -> i32 {
        self.signed() as i32
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or(&[])
    }
}

/// One znode, as stored: `path \0 flags meta-varints [data]`. Records are ordered by their
/// key, the path with its NUL terminator, whose byte order is the byte order of paths.
#[derive(Clone, Copy, Debug)]
struct Record<'a>(&'a [u8]);

/// The key of a path. Callers reject paths containing NUL first, since a key ends at the
/// first NUL.
fn probe(path: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(path.len() + 1);
    bytes.extend_from_slice(path.as_bytes());
    bytes.push(0);
    bytes
}

/// Paths shorter than this have their key built on the stack.
const SHORT_KEY: usize = 120;

/// The key of a path, as [`probe`] makes it, but on the stack when the path is short (as
/// nearly all are): every read and write looks a znode up, and then needs no allocation.
enum Key {
    Short([u8; SHORT_KEY], usize),
    Long(Vec<u8>),
}

fn key_of(path: &str) -> Key {
    if path.len() < SHORT_KEY {
        let mut bytes = [0; SHORT_KEY];
        bytes[..path.len()].copy_from_slice(path.as_bytes());
        // The byte after the path is already the NUL.
        Key::Short(bytes, path.len() + 1)
    } else {
        Key::Long(probe(path))
    }
}

impl std::ops::Deref for Key {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Key::Short(bytes, len) => &bytes[..*len],
            Key::Long(bytes) => bytes,
        }
    }
}

impl<'a> Record<'a> {
    fn key(self) -> &'a [u8] {
        match self.0.iter().position(|&b| b == 0) {
            Some(nul) => &self.0[..=nul],
            None => self.0,
        }
    }

    /// How this record's key compares with `key` (a path and its NUL), the same as
    /// `self.key().cmp(key)` without first finding where this record's key ends: the first
    /// byte where the two keys differ lies within the first `key.len()` bytes of the record
    /// (a path holds no NUL), and if there is none, the keys are equal.
    fn cmp_key(self, key: &[u8]) -> Ordering {
        self.0[..self.0.len().min(key.len())].cmp(key)
    }

    fn path(self) -> &'a str {
        let key = self.key();
        let path = key.strip_suffix(&[0]).unwrap_or(key);
        std::str::from_utf8(path).unwrap_or("")
    }

    fn encode(path: &str, meta: &Meta, data: Stored<'_>) -> Vec<u8> {
        let (flags, inline) = match data {
            Stored::Null => (FLAG_DATA_NULL, None),
            Stored::Inline(data) => (0, Some(data)),
            Stored::OutOfLine => (FLAG_DATA_OUT_OF_LINE, None),
        };
        let mut out = Vec::with_capacity(path.len() + 24 + inline.map_or(0, <[u8]>::len));
        out.extend_from_slice(path.as_bytes());
        out.push(0);
        out.push(flags);
        put_varint(&mut out, zigzag(meta.czxid));
        put_varint(&mut out, zigzag(meta.mzxid.wrapping_sub(meta.czxid)));
        put_varint(&mut out, zigzag(meta.pzxid.wrapping_sub(meta.czxid)));
        put_varint(&mut out, zigzag(meta.ctime));
        put_varint(&mut out, zigzag(meta.mtime.wrapping_sub(meta.ctime)));
        put_varint(&mut out, zigzag(meta.version.into()));
        put_varint(&mut out, zigzag(meta.cversion.into()));
        put_varint(&mut out, zigzag(meta.aversion.into()));
        put_varint(&mut out, zigzag(meta.ephemeral_owner));
        put_varint(&mut out, zigzag(meta.num_children.into()));
        put_varint(&mut out, meta.acl.into());
        if let Some(data) = inline {
            out.extend_from_slice(data);
        }
        out
    }

    /// The metadata and where the data is.
    fn decode(self) -> (Meta, Stored<'a>) {
        let mut reader = Reader {
            bytes: self.0,
            pos: self.key().len(),
        };
        let flags = reader.byte();
        let czxid = reader.signed();
        let mzxid = czxid.wrapping_add(reader.signed());
        let pzxid = czxid.wrapping_add(reader.signed());
        let ctime = reader.signed();
        let mtime = ctime.wrapping_add(reader.signed());
        let meta = Meta {
            czxid,
            mzxid,
            pzxid,
            ctime,
            mtime,
            version: reader.int(),
            cversion: reader.int(),
            aversion: reader.int(),
            ephemeral_owner: reader.signed(),
            num_children: reader.int(),
            acl: reader.varint() as u32,
        };
        let data = if flags & FLAG_DATA_NULL != 0 {
            Stored::Null
        } else if flags & FLAG_DATA_OUT_OF_LINE != 0 {
            Stored::OutOfLine
        } else {
            Stored::Inline(reader.rest())
        };
        (meta, data)
    }
}

/// A page grows past this many bytes only by splitting (or when one record alone is larger).
const PAGE_MAX: usize = 2048;
/// Spare capacity a page may keep, so that small inserts do not reallocate every time.
const PAGE_SLACK: usize = 128;

/// Records packed into pages: byte vectors of `varint length, record` entries in key order,
/// indexed by the key of their first record. Per znode this costs the record's bytes plus a
/// byte or two, where a set of boxed records would cost an allocation each and a B-tree slot
/// that sequential inserts leave half empty. A page splits so that the new record ends the
/// left page (or, appended at a page's end, starts a page of its own), which keeps pages full
/// under sequential inserts, the common case (sequential znodes, numbered names).
///
/// Pages and their keys are shared (`Arc`), so cloning a store copies only the index, not
/// the records: a snapshot clones the tree and serializes the clone on another thread, and a
/// page changed meanwhile is copied first (copy on write), leaving the clone's page as it was.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct RecordStore {
    pages: BTreeMap<Arc<[u8]>, Arc<Vec<u8>>>,
}

/// The entries of a page: (offset, entry length, record). Stops at a malformed entry.
struct Entries<'a> {
    page: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Entries<'a> {
    type Item = (usize, usize, Record<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.pos;
        if start >= self.page.len() {
            return None;
        }
        let mut reader = Reader {
            bytes: self.page,
            pos: start,
        };
        let len = usize::try_from(reader.varint()).ok()?;
        let end = reader.pos.checked_add(len)?;
        let record = self.page.get(reader.pos..end)?;
        self.pos = end;
        Some((start, end - start, Record(record)))
    }
}

fn entries(page: &[u8]) -> Entries<'_> {
    Entries { page, pos: 0 }
}

/// Where `key` belongs in `page`: the offset of the first entry whose key is not below it,
/// and that entry's length if its key is `key` (else 0).
fn position(page: &[u8], key: &[u8]) -> (usize, usize) {
    for (offset, len, existing) in entries(page) {
        match existing.cmp_key(key) {
            Ordering::Less => {}
            Ordering::Equal => return (offset, len),
            Ordering::Greater => return (offset, 0),
        }
    }
    (page.len(), 0)
}

fn encode_entry(record: &[u8]) -> Vec<u8> {
    let mut entry = Vec::with_capacity(record.len() + 2);
    put_varint(&mut entry, record.len() as u64);
    entry.extend_from_slice(record);
    entry
}

impl RecordStore {
    /// The key of the page that holds (or would hold) `key`.
    fn page_key_for(&self, key: &[u8]) -> Option<Arc<[u8]>> {
        self.pages
            .range::<[u8], _>((Bound::Unbounded, Bound::Included(key)))
            .next_back()
            .or_else(|| self.pages.iter().next())
            .map(|(first, _)| first.clone())
    }

    fn get(&self, key: &[u8]) -> Option<Record<'_>> {
        let (_, page) = self
            .pages
            .range::<[u8], _>((Bound::Unbounded, Bound::Included(key)))
            .next_back()?;
        for (_, _, record) in entries(page) {
            match record.cmp_key(key) {
                Ordering::Less => {}
                Ordering::Equal => return Some(record),
                Ordering::Greater => return None,
            }
        }
        None
    }

    /// The page whose first key is the greatest at or below `key`, to change in place (a
    /// copy of it if a clone of the store shares it).
    fn page_at_or_below(&mut self, key: &[u8]) -> Option<&mut Vec<u8>> {
        self.pages
            .range_mut::<[u8], _>((Bound::Unbounded, Bound::Included(key)))
            .next_back()
            .map(|(_, page)| Arc::make_mut(page))
    }

    /// Inserts a record, replacing the one with the same key if there is one.
    fn insert(&mut self, record: &[u8]) {
        let key = Record(record).key();
        let entry = encode_entry(record);
        // Most inserts (and every replacement) change one page, which stays under the limit
        // and keeps its first key: that page is changed where it is. The key of a page never
        // exceeds `key` here, so the record lands after the page's first record or replaces it.
        if let Some(page) = self.page_at_or_below(key) {
            let (at, replaced) = position(page, key);
            if page.len() - replaced + entry.len() <= PAGE_MAX {
                splice_entry(page, at, replaced, &entry);
                return;
            }
        }
        let Some(page_key) = self.page_key_for(key) else {
            self.put_page(entry);
            return;
        };
        let mut page = self.take_page(&page_key).unwrap_or_default();
        let (at, replaced) = position(&page, key);
        splice_entry(&mut page, at, replaced, &entry);
        if page.len() > PAGE_MAX {
            let end = at + entry.len();
            let split = if end == page.len() {
                at // appended: the new record starts a page of its own
            } else if at == 0 || end >= page.len() / 2 {
                // Prepended, it gets a page of its own; otherwise it ends the left page,
                // which stays at least half full.
                end
            } else {
                at // it starts the right page, which is more than half full
            };
            if split > 0 && split < page.len() {
                let right = page[split..].to_vec();
                page.truncate(split);
                page.shrink_to(split + PAGE_SLACK);
                self.put_bounded(right);
            }
        }
        self.put_bounded(page);
    }

    /// Files a page, first halving it (at an entry boundary) for as long as it is over
    /// [`PAGE_MAX`] and holds more than one record.
    fn put_bounded(&mut self, mut page: Vec<u8>) {
        while page.len() > PAGE_MAX {
            let half = page.len() / 2;
            let boundary = entries(&page)
                .map(|(offset, _, _)| offset)
                .filter(|&offset| offset > 0)
                .min_by_key(|&offset| offset.abs_diff(half));
            let Some(split) = boundary else {
                break; // a single record larger than a page
            };
            let right = page[split..].to_vec();
            page.truncate(split);
            page.shrink_to(split + PAGE_SLACK);
            self.put_bounded(right);
        }
        self.put_page(page);
    }

    /// Removes and returns the record with `key`.
    fn remove(&mut self, key: &[u8]) -> Option<Vec<u8>> {
        let (page_key, page) = self
            .pages
            .range::<[u8], _>((Bound::Unbounded, Bound::Included(key)))
            .next_back()?;
        let (offset, len) = position(page, key);
        if len == 0 {
            return None;
        }
        let (_, _, found) = entries(&page[offset..]).next()?;
        let record = found.0.to_vec();
        // A page that keeps its first record and stays a quarter full is changed where it is.
        if offset > 0 && page.len() - len >= PAGE_MAX / 4 {
            let page = self.page_at_or_below(key)?;
            page.drain(offset..offset + len);
            shrink_if_slack(page);
            return Some(record);
        }
        let page_key = page_key.clone();
        let mut page = self.take_page(&page_key)?;
        page.drain(offset..offset + len);
        if page.len() < PAGE_MAX / 4 {
            let next = self
                .pages
                .range::<[u8], _>((Bound::Excluded(&page_key[..]), Bound::Unbounded))
                .next()
                .filter(|(_, next)| next.len() + page.len() <= PAGE_MAX)
                .map(|(next_key, _)| next_key.clone());
            if let Some(next) = next.and_then(|next_key| self.pages.remove(&next_key)) {
                page.extend_from_slice(&next);
            }
        }
        shrink_if_slack(&mut page);
        self.put_page(page);
        Some(record)
    }

    /// Removes a page to change it: the page itself if nothing else shares it, else a copy.
    fn take_page(&mut self, page_key: &[u8]) -> Option<Vec<u8>> {
        self.pages.remove(page_key).map(Arc::unwrap_or_clone)
    }

    /// Files a page under the key of its first record; an empty page is dropped.
    fn put_page(&mut self, page: Vec<u8>) {
        let Some((_, _, first)) = entries(&page).next() else {
            return;
        };
        let key: Arc<[u8]> = first.key().into();
        self.pages.insert(key, Arc::new(page));
    }

    /// Records from the first whose key is at least `key`, in key order.
    fn range_from<'a>(&'a self, key: &'a [u8]) -> impl Iterator<Item = Record<'a>> + 'a {
        let start = self
            .pages
            .range::<[u8], _>((Bound::Unbounded, Bound::Included(key)))
            .next_back()
            .map_or(Bound::Unbounded, |(first, _)| Bound::Included(&first[..]));
        self.pages
            .range::<[u8], _>((start, Bound::Unbounded))
            .flat_map(|(_, page)| entries(page).map(|(_, _, record)| record))
            .skip_while(move |record| record.key() < key)
    }

    fn iter(&self) -> impl Iterator<Item = Record<'_>> + '_ {
        self.pages
            .values()
            .flat_map(|page| entries(page).map(|(_, _, record)| record))
    }
}

/// Gives back a page's memory beyond some slack after it shrank.
fn shrink_if_slack(page: &mut Vec<u8>) {
    if page.capacity() > page.len() + 2 * PAGE_SLACK {
        page.shrink_to(page.len() + PAGE_SLACK);
    }
}

/// Replaces `replaced` bytes of `page` at `at` with `entry`, growing the page with some slack.
fn splice_entry(page: &mut Vec<u8>, at: usize, replaced: usize, entry: &[u8]) {
    if replaced == entry.len() {
        // A record rewritten at the same length (a setData of as many bytes, the commonest
        // write): overwrite it where it is.
        page[at..at + replaced].copy_from_slice(entry);
        return;
    }
    if page.capacity() < page.len() + entry.len() {
        page.reserve_exact(entry.len() + PAGE_SLACK);
    }
    page.splice(at..at + replaced, entry.iter().copied());
}

/// Distinct ACL lists, each stored once with a count of the znodes using it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct AclCache {
    by_id: BTreeMap<u32, AclEntry>,
    by_list: BTreeMap<Vec<Acl>, u32>,
    next_id: u32,
    /// Ids whose count reached zero during the current apply. They are freed only once the
    /// apply is over, so that rolling back a multi can still refer to them.
    unreferenced: Vec<u32>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct AclEntry {
    /// Shared with [`NodeMeta`]s handed out.
    acl: Arc<[Acl]>,
    refs: u64,
}

impl AclCache {
    /// The id of `acl`, adding it (with no references yet) if it is new.
    fn intern(&mut self, acl: &[Acl]) -> u32 {
        if let Some(&id) = self.by_list.get(acl) {
            return id;
        }
        let mut id = self.next_id;
        while self.by_id.contains_key(&id) {
            id = id.wrapping_add(1);
        }
        self.next_id = id.wrapping_add(1);
        self.by_id.insert(
            id,
            AclEntry {
                acl: acl.into(),
                refs: 0,
            },
        );
        self.by_list.insert(acl.to_vec(), id);
        self.unreferenced.push(id);
        id
    }

    fn retain(&mut self, id: u32) {
        if let Some(entry) = self.by_id.get_mut(&id) {
            entry.refs = entry.refs.saturating_add(1);
        }
    }

    fn release(&mut self, id: u32) {
        if let Some(entry) = self.by_id.get_mut(&id) {
            entry.refs = entry.refs.saturating_sub(1);
            if entry.refs == 0 {
                self.unreferenced.push(id);
            }
        }
    }

    fn collect(&mut self) {
        for id in std::mem::take(&mut self.unreferenced) {
            if self.by_id.get(&id).is_some_and(|entry| entry.refs == 0) {
                if let Some(entry) = self.by_id.remove(&id) {
                    self.by_list.remove(&entry.acl[..]);
                }
            }
        }
    }

    fn get(&self, id: u32) -> &[Acl] {
        self.by_id.get(&id).map_or(&[], |entry| &entry.acl)
    }

    fn shared(&self, id: u32) -> Arc<[Acl]> {
        self.by_id
            .get(&id)
            .map_or_else(Arc::default, |entry| Arc::clone(&entry.acl))
    }
}

/// One session's ephemeral znodes, with what it takes to list them in the order ZooKeeper
/// does. ZooKeeper keeps them in a Java `HashSet` and deletes them on close (and answers
/// getEphemerals) in that set's iteration order, which follows from each path's Java hash,
/// the table capacity (which only grows) and insertion order within a bucket.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct SessionEphemerals {
    /// Path to insertion sequence number.
    paths: BTreeMap<String, u64>,
    next_seq: u64,
    /// The Java table's capacity: 16, doubled whenever the size exceeds three quarters of it.
    java_capacity: u32,
}

/// `String.hashCode()` spread as `HashMap.hash` does.
fn java_hash(text: &str) -> u32 {
    let mut hash: i32 = 0;
    for unit in text.encode_utf16() {
        hash = hash.wrapping_mul(31).wrapping_add(i32::from(unit));
    }
    let hash = hash as u32;
    hash ^ (hash >> 16)
}

const JAVA_MAX_CAPACITY: u32 = 1 << 30;

impl SessionEphemerals {
    fn insert(&mut self, path: &str) {
        if self.paths.contains_key(path) {
            return;
        }
        self.paths.insert(path.to_string(), self.next_seq);
        self.next_seq += 1;
        if self.java_capacity == 0 {
            self.java_capacity = 16;
        }
        while self.java_capacity < JAVA_MAX_CAPACITY
            && self.paths.len() as u64 > u64::from(self.java_capacity) * 3 / 4
        {
            self.java_capacity *= 2;
        }
    }

    /// Iteration order of the set, or (`cloned`) of the copy `DataTree.getEphemerals` makes,
    /// whose table is sized for the current count (`HashMap.clone` re-inserts into a table of
    /// `tableSizeFor(size / 0.75 + 1)`). Verified against the real server's closeSession
    /// deletion order. Not modelled: Java's tree bins (8+ paths colliding in one bucket of a
    /// table of 64+), which reorder a bucket.
    fn java_order(&self, cloned: bool) -> Vec<String> {
        let original = self.java_capacity.max(1);
        let copy = if cloned {
            let wanted = (self.paths.len() as f32 / 0.75f32 + 1.0f32) as u32;
            wanted.max(1).next_power_of_two().min(JAVA_MAX_CAPACITY)
        } else {
            original
        };
        let mut order: Vec<(u32, u32, u64, &String)> = self
            .paths
            .iter()
            .map(|(path, &seq)| {
                let hash = java_hash(path);
                (hash & (copy - 1), hash & (original - 1), seq, path)
            })
            .collect();
        order.sort_unstable();
        order
            .into_iter()
            .map(|(_, _, _, path)| path.clone())
            .collect()
    }
}

/// A znode as a reader sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeRef<'a> {
    pub path: &'a str,
    /// `None` when the znode's data is null (created or set with a null buffer), which a
    /// getData answers as null; its Stat's dataLength is 0, as for empty data.
    pub data: Option<&'a [u8]>,
    /// The Stat a client is sent.
    pub stat: Stat,
    pub acl: &'a [Acl],
    /// The stored owner, container/TTL encodings included.
    pub ephemeral_owner: i64,
    /// The persisted cversion (child creations): the sequential suffix of the next child and,
    /// plus one, the `parent_cversion` of a create under this node.
    pub persisted_cversion: i32,
}

/// What preparing a write needs to know of a znode: its metadata and ACL, not its data
/// (which [`DataTree::node`] also looks up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeMeta {
    /// Shared with the tree's ACL cache: taking it copies nothing.
    pub acl: Arc<[Acl]>,
    pub version: i32,
    pub aversion: i32,
    /// As persisted: child creations (see the module doc).
    pub persisted_cversion: i32,
    pub num_children: i32,
    /// As stored, container and TTL encodings included.
    pub ephemeral_owner: i64,
}

impl NodeRef<'_> {
    pub fn kind(&self) -> Option<EphemeralType> {
        EphemeralType::from_owner(self.ephemeral_owner)
    }
}

/// The result of applying one txn, as a reply needs it (ZooKeeper's `ProcessTxnResult`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpResult {
    SessionCreated,
    /// The session's ephemerals that were deleted, in deletion order.
    SessionClosed {
        deleted: Vec<String>,
    },
    Created {
        path: String,
        stat: Stat,
    },
    Deleted {
        path: String,
    },
    DataSet {
        path: String,
        stat: Stat,
    },
    AclSet {
        path: String,
        stat: Stat,
    },
    Checked {
        path: String,
    },
    /// One result per sub-op. In a failed multi: `Error(Ok)` for the ops before the failing
    /// one, its code, then `Error(RuntimeInconsistency)`, as ZooKeeper reports.
    Multi(Vec<OpResult>),
    Error(ErrorCode),
}

impl OpResult {
    /// ZooKeeper's `rc.err`: the error of a single op, or the first error of a multi's ops.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            OpResult::Error(code) => *code,
            OpResult::Multi(results) => results
                .iter()
                .map(OpResult::error_code)
                .find(|&code| code != ErrorCode::Ok)
                .unwrap_or(ErrorCode::Ok),
            _ => ErrorCode::Ok,
        }
    }
}

/// What applying a txn produced: the result for the reply and the events for the watch
/// manager, in the order ZooKeeper triggers them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyOutcome {
    pub result: OpResult,
    pub events: Vec<WatchedEvent>,
}

/// The prior state of something a multi changed, to put back if a later op fails.
enum Undo {
    Meta {
        path: String,
        meta: Meta,
    },
    Node {
        path: String,
        old: Option<(Meta, Data)>,
    },
}

/// A znode's data as the tree moves it around: `None` is null data. Shared, so that large
/// data is not copied when the tree is cloned for a snapshot.
type Data = Option<Arc<[u8]>>;

/// The length of a znode's data as ZooKeeper counts it (null counts as 0).
fn data_len(data: Option<&[u8]>) -> usize {
    data.map_or(0, <[u8]>::len)
}

/// The znode tree. See the module doc for its layout.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DataTree {
    nodes: RecordStore,
    large_data: BTreeMap<Arc<str>, Arc<[u8]>>,
    acls: AclCache,
    ephemerals: BTreeMap<SessionId, SessionEphemerals>,
    containers: BTreeSet<String>,
    ttls: BTreeSet<String>,
    node_count: u64,
    data_size: i64,
    last_processed_zxid: Zxid,
}

impl Default for DataTree {
    fn default() -> Self {
        DataTree::new()
    }
}

fn event(event_type: EventType, path: &str) -> WatchedEvent {
    WatchedEvent {
        event_type,
        path: path.to_string(),
    }
}

/// ZooKeeper's size of a node for `approximateDataSize`: the path's Java length plus the data.
fn node_size(path: &str, data_len: usize) -> i64 {
    (path.encode_utf16().count() + data_len) as i64
}

/// The key range prefix of a node's descendants.
fn descendant_prefix(path: &str) -> String {
    if path == "/" {
        "/".to_string()
    } else {
        format!("{path}/")
    }
}

impl DataTree {
    /// The tree of a fresh ZooKeeper 3.8 server. Checked against the real server: `/`,
    /// `/zookeeper`, `/zookeeper/quota` and `/zookeeper/config` have every zxid and time 0,
    /// empty (not null) data and world:anyone ALL, except `/zookeeper/config`, which is
    /// world:anyone READ with aversion -1 (ZooKeeper sets its ACL with version -1); `/` shows
    /// cversion -1 and `/zookeeper` cversion -2 (persisted 0, minus their children).
    pub fn new() -> DataTree {
        let mut tree = DataTree {
            nodes: RecordStore::default(),
            large_data: BTreeMap::new(),
            acls: AclCache::default(),
            ephemerals: BTreeMap::new(),
            containers: BTreeSet::new(),
            ttls: BTreeSet::new(),
            node_count: 0,
            data_size: 0,
            last_processed_zxid: Zxid::ZERO,
        };
        let open = tree.acls.intern(&Acl::open_unsafe());
        let read = tree.acls.intern(&Acl::read_unsafe());
        let initial = [
            ("/", 1, 0, open),
            ("/zookeeper", 2, 0, open),
            ("/zookeeper/quota", 0, 0, open),
            ("/zookeeper/config", 0, -1, read),
        ];
        for (path, num_children, aversion, acl) in initial {
            let meta = Meta {
                num_children,
                aversion,
                acl,
                ..Meta::default()
            };
            tree.set_node(path, Some((meta, Some(&[]))), &mut None);
        }
        tree.acls.collect();
        tree
    }

    // ----- reads -----

    fn load(&self, path: &str) -> Option<(Meta, Option<&[u8]>)> {
        if path.contains('\0') {
            return None;
        }
        let record = self.nodes.get(&key_of(path))?;
        Some(self.split(record))
    }

    /// A znode's metadata alone: [`DataTree::load`] without looking its data up.
    fn load_meta(&self, path: &str) -> Option<Meta> {
        if path.contains('\0') {
            return None;
        }
        Some(self.nodes.get(&key_of(path))?.decode().0)
    }

    fn split<'a>(&'a self, record: Record<'a>) -> (Meta, Option<&'a [u8]>) {
        let (meta, stored) = record.decode();
        let data = match stored {
            Stored::Null => None,
            Stored::Inline(data) => Some(data),
            Stored::OutOfLine => Some(
                self.large_data
                    .get(record.path())
                    .map_or(&[][..], |data| &data[..]),
            ),
        };
        (meta, data)
    }

    fn stat_of(meta: &Meta, data_len: usize) -> Stat {
        Stat {
            czxid: meta.czxid,
            mzxid: meta.mzxid,
            ctime: meta.ctime,
            mtime: meta.mtime,
            version: meta.version,
            cversion: meta
                .cversion
                .wrapping_mul(2)
                .wrapping_sub(meta.num_children),
            aversion: meta.aversion,
            ephemeral_owner: EphemeralType::client_visible_owner(meta.ephemeral_owner),
            data_length: i32::try_from(data_len).unwrap_or(i32::MAX),
            num_children: meta.num_children,
            pzxid: meta.pzxid,
        }
    }

    fn node_ref<'a>(&'a self, record: Record<'a>) -> NodeRef<'a> {
        let (meta, data) = self.split(record);
        NodeRef {
            path: record.path(),
            data,
            stat: Self::stat_of(&meta, data_len(data)),
            acl: self.acls.get(meta.acl),
            ephemeral_owner: meta.ephemeral_owner,
            persisted_cversion: meta.cversion,
        }
    }

    /// The znode at `path`: data, Stat and ACL.
    pub fn node(&self, path: &str) -> Option<NodeRef<'_>> {
        if path.contains('\0') {
            return None;
        }
        let record = self.nodes.get(&key_of(path))?;
        Some(self.node_ref(record))
    }

    /// The metadata and ACL of the znode at `path`, without its data.
    pub fn node_meta(&self, path: &str) -> Option<NodeMeta> {
        if path.contains('\0') {
            return None;
        }
        let (meta, _) = self.nodes.get(&key_of(path))?.decode();
        Some(NodeMeta {
            acl: self.acls.shared(meta.acl),
            version: meta.version,
            aversion: meta.aversion,
            persisted_cversion: meta.cversion,
            num_children: meta.num_children,
            ephemeral_owner: meta.ephemeral_owner,
        })
    }

    pub fn exists(&self, path: &str) -> bool {
        self.load_meta(path).is_some()
    }

    pub fn stat(&self, path: &str) -> Option<Stat> {
        self.load(path)
            .map(|(meta, data)| Self::stat_of(&meta, data_len(data)))
    }

    /// Every znode in path byte order.
    pub fn iter(&self) -> impl Iterator<Item = NodeRef<'_>> + '_ {
        self.nodes.iter().map(|record| self.node_ref(record))
    }

    /// Calls `visit` with the full path of each child of `path`, in byte order.
    fn for_each_child(&self, path: &str, mut visit: impl FnMut(&str)) {
        let prefix = descendant_prefix(path);
        let mut start = prefix.clone();
        loop {
            let mut jump = None;
            let start_key = probe(&start);
            for record in self.nodes.range_from(&start_key) {
                let child = record.path();
                let Some(rest) = child.strip_prefix(prefix.as_str()) else {
                    return;
                };
                if rest.is_empty() {
                    continue; // the root itself, whose prefix is its own path
                }
                match rest.find('/') {
                    None => visit(child),
                    Some(slash) => {
                        // A grandchild: skip its parent's whole subtree.
                        jump = Some(format!("{prefix}{}0", &rest[..slash]));
                        break;
                    }
                }
            }
            match jump {
                Some(next) => start = next,
                None => return,
            }
        }
    }

    /// Names of the children of `path`, sorted by bytes; `None` if it does not exist.
    /// (ZooKeeper lists them in its HashSet's order, which clients must not rely on.)
    pub fn children(&self, path: &str) -> Option<Vec<String>> {
        self.load_meta(path)?;
        let mut names = Vec::new();
        self.for_each_child(path, |child| names.push(path::name(child).to_string()));
        Some(names)
    }

    /// getAllChildrenNumber: every descendant of `path`, at any depth (for `/`, every znode
    /// but the root, the special ones included).
    pub fn all_children_number(&self, path: &str) -> Option<i32> {
        self.load_meta(path)?;
        if path == "/" {
            return Some(i32::try_from(self.node_count.saturating_sub(1)).unwrap_or(i32::MAX));
        }
        let prefix = descendant_prefix(path);
        let prefix_key = probe(&prefix);
        let count = self
            .nodes
            .range_from(&prefix_key)
            .take_while(|record| record.path().starts_with(prefix.as_str()))
            .count();
        Some(i32::try_from(count).unwrap_or(i32::MAX))
    }

    /// The session's ephemeral znodes, in the order ZooKeeper deletes them when the session
    /// closes (and so the order to put in a [`Txn::CloseSession`]).
    pub fn ephemerals_of(&self, session: SessionId) -> Vec<String> {
        self.ephemerals
            .get(&session)
            .map_or_else(Vec::new, |set| set.java_order(true))
    }

    /// getEphemerals: the session's ephemerals whose path starts with `prefix` as a plain
    /// string (so `/a` also matches `/ab`); an empty, blank or `/` prefix means all. Order as
    /// ZooKeeper's.
    pub fn ephemerals_with_prefix(&self, session: SessionId, prefix: &str) -> Vec<String> {
        let all = self.ephemerals_of(session);
        let trimmed = prefix.trim();
        if trimmed.is_empty() || trimmed == "/" {
            return all;
        }
        all.into_iter().filter(|p| p.starts_with(prefix)).collect()
    }

    /// Sessions that own (or owned, until they close) ephemeral znodes.
    pub fn sessions_with_ephemerals(&self) -> Vec<SessionId> {
        self.ephemerals.keys().copied().collect()
    }

    /// Number of znodes, the root included (a fresh tree has 4). ZooKeeper's srvr/mntr
    /// "Node count" is one more, because its map holds the root under both "" and "/".
    pub fn node_count(&self) -> u64 {
        self.node_count
    }

    /// ZooKeeper's approximate data size: the sum over znodes of path length (in UTF-16
    /// units) plus data length.
    pub fn approximate_data_size(&self) -> i64 {
        self.data_size
    }

    /// Number of distinct ACL lists in use.
    pub fn acl_cache_size(&self) -> usize {
        self.acls.by_id.len()
    }

    /// The highest zxid applied so far.
    pub fn last_processed_zxid(&self) -> Zxid {
        self.last_processed_zxid
    }

    /// Containers the ContainerManager would delete now: empty, and either ever had a child
    /// (persisted cversion > 0) or, when `max_never_used_ms` is not 0, unmodified for longer
    /// than that. Sorted by path.
    pub fn container_candidates(&self, now_ms: i64, max_never_used_ms: i64) -> Vec<String> {
        self.containers
            .iter()
            .filter(|container| {
                self.load_meta(container).is_some_and(|meta| {
                    meta.num_children == 0
                        && (meta.cversion > 0
                            || (max_never_used_ms != 0
                                && now_ms.wrapping_sub(meta.mtime) > max_never_used_ms))
                })
            })
            .cloned()
            .collect()
    }

    /// TTL znodes the ContainerManager would delete now: no children and unmodified for
    /// longer than their TTL (`now - mtime > ttl`). Sorted by path.
    pub fn expired_ttl_nodes(&self, now_ms: i64) -> Vec<String> {
        self.ttls
            .iter()
            .filter(|ttl_path| {
                self.load_meta(ttl_path).is_some_and(|meta| {
                    match EphemeralType::from_owner(meta.ephemeral_owner) {
                        Some(EphemeralType::Ttl { ttl_ms }) => {
                            meta.num_children == 0
                                && ttl_ms != 0
                                && now_ms.wrapping_sub(meta.mtime) > ttl_ms
                        }
                        _ => false,
                    }
                })
            })
            .cloned()
            .collect()
    }

    // ----- the two primitives every change goes through -----

    /// Replaces the metadata of an existing znode, keeping its data where it is.
    fn set_meta(&mut self, path: &str, meta: Meta, undo: &mut Option<Vec<Undo>>) {
        let Some(record) = self.nodes.get(&key_of(path)) else {
            return;
        };
        let (old, stored) = record.decode();
        let replacement = Record::encode(path, &meta, stored);
        if old.acl != meta.acl {
            self.acls.retain(meta.acl);
            self.acls.release(old.acl);
        }
        self.nodes.insert(&replacement);
        if let Some(log) = undo {
            log.push(Undo::Meta {
                path: path.to_string(),
                meta: old,
            });
        }
    }

    /// Puts (or with `None` removes) a whole znode, keeping every index in step: count, data
    /// size, ACL references, and the ephemeral, container and TTL sets.
    fn set_node(
        &mut self,
        path: &str,
        new: Option<(Meta, Option<&[u8]>)>,
        undo: &mut Option<Vec<Undo>>,
    ) {
        let key = key_of(path);
        let old_out_of_line;
        // The old znode: its metadata, its data length, and (only for an undo log, that is
        // inside a multi) a copy of its data.
        let keep_old_data = undo.is_some();
        let old: Option<(Meta, usize, Data)> = if new.is_some() {
            // The old record stays where it is: inserting the new one replaces it.
            let old = self.nodes.get(&key).map(|record| record.decode());
            old_out_of_line = matches!(old, Some((_, Stored::OutOfLine)));
            old.map(|(meta, stored)| {
                let (len, data): (usize, Data) = match stored {
                    Stored::Null => (0, None),
                    Stored::Inline(data) => (data.len(), keep_old_data.then(|| data.into())),
                    Stored::OutOfLine => {
                        let data = self.large_data.get(path).cloned().unwrap_or_default();
                        (data.len(), keep_old_data.then_some(data))
                    }
                };
                (meta, len, data)
            })
        } else {
            old_out_of_line = false;
            self.nodes.remove(&key).map(|record| {
                let (meta, stored) = Record(&record).decode();
                let data: Data = match stored {
                    Stored::Null => None,
                    Stored::Inline(data) => Some(data.into()),
                    Stored::OutOfLine => Some(self.large_data.remove(path).unwrap_or_default()),
                };
                (meta, data_len(data.as_deref()), data)
            })
        };
        let same_owner = matches!((&old, &new), (Some((a, ..)), Some((b, _))) if a.ephemeral_owner == b.ephemeral_owner);
        if let Some((meta, len, _)) = &old {
            self.node_count -= 1;
            self.data_size -= node_size(path, *len);
            self.acls.release(meta.acl);
            if !same_owner {
                self.unindex_kind(path, meta.ephemeral_owner);
            }
        }
        if let Some((meta, data)) = new {
            self.node_count += 1;
            self.data_size += node_size(path, data_len(data));
            self.acls.retain(meta.acl);
            if !same_owner {
                self.index_kind(path, meta.ephemeral_owner);
            }
            let (record, large) = match data {
                None => (Record::encode(path, &meta, Stored::Null), None),
                Some(data) if data.len() <= INLINE_DATA_MAX => {
                    (Record::encode(path, &meta, Stored::Inline(data)), None)
                }
                Some(data) => (Record::encode(path, &meta, Stored::OutOfLine), Some(data)),
            };
            self.nodes.insert(&record);
            match large {
                Some(data) => match self.large_data.get_mut(path) {
                    Some(slot) => *slot = data.into(),
                    None => {
                        self.large_data.insert(path.into(), data.into());
                    }
                },
                None if old_out_of_line => {
                    self.large_data.remove(path);
                }
                None => {}
            }
        }
        if let Some(log) = undo {
            log.push(Undo::Node {
                path: path.to_string(),
                old: old.map(|(meta, _, data)| (meta, data)),
            });
        }
    }

    fn index_kind(&mut self, path: &str, owner: i64) {
        match EphemeralType::from_owner(owner) {
            Some(EphemeralType::Container) => {
                self.containers.insert(path.to_string());
            }
            Some(EphemeralType::Ttl { .. }) => {
                self.ttls.insert(path.to_string());
            }
            Some(EphemeralType::Session(session)) => {
                self.ephemerals.entry(session).or_default().insert(path);
            }
            Some(EphemeralType::Persistent) | None => {}
        }
    }

    fn unindex_kind(&mut self, path: &str, owner: i64) {
        match EphemeralType::from_owner(owner) {
            Some(EphemeralType::Container) => {
                self.containers.remove(path);
            }
            Some(EphemeralType::Ttl { .. }) => {
                self.ttls.remove(path);
            }
            Some(EphemeralType::Session(session)) => {
                // The session's set stays, even empty, as ZooKeeper's does until the session
                // closes: its Java capacity keeps deciding the deletion order.
                if let Some(set) = self.ephemerals.get_mut(&session) {
                    set.paths.remove(path);
                }
            }
            Some(EphemeralType::Persistent) | None => {}
        }
    }

    fn rollback(&mut self, log: Vec<Undo>) {
        for entry in log.into_iter().rev() {
            match entry {
                Undo::Meta { path, meta } => self.set_meta(&path, meta, &mut None),
                Undo::Node { path, old } => {
                    let old = old.as_ref().map(|(meta, data)| (*meta, data.as_deref()));
                    self.set_node(&path, old, &mut None)
                }
            }
        }
    }

    // ----- applying transactions -----

    /// Applies one committed transaction and reports its result and the watch events it
    /// fires. Deterministic: the same txns in the same order give the same tree everywhere.
    pub fn apply(&mut self, header: &TxnHeader, txn: &Txn) -> ApplyOutcome {
        let mut events = Vec::new();
        let result = match txn {
            Txn::Multi(ops) => self.apply_multi(header, ops, &mut events),
            Txn::CloseSession { paths_to_delete } => {
                self.close_session(header, paths_to_delete, &mut events)
            }
            single => self.apply_single(header, single, &mut events, &mut None),
        };
        if let (
            OpCode::Create,
            Txn::Create {
                path,
                parent_cversion,
                ..
            },
            OpResult::Error(ErrorCode::NodeExists),
        ) = (header.op, txn, &result)
        {
            self.bump_parent_after_replayed_create(path, *parent_cversion, header.zxid);
        }
        self.acls.collect();
        if header.zxid > self.last_processed_zxid {
            self.last_processed_zxid = header.zxid;
        }
        ApplyOutcome { result, events }
    }

    /// ZooKeeper's fix for replaying onto a fuzzy snapshot: a top-level `create` (not
    /// create2) that finds its node already there still raises the parent's cversion and
    /// pzxid, as the original create did.
    fn bump_parent_after_replayed_create(&mut self, path: &str, parent_cversion: i32, zxid: Zxid) {
        let Some(parent) = path::parent(path) else {
            return;
        };
        let Some(mut meta) = self.load_meta(parent) else {
            return;
        };
        let cversion = if parent_cversion == -1 {
            meta.cversion.wrapping_add(1)
        } else {
            parent_cversion
        };
        if cversion > meta.cversion {
            meta.cversion = cversion;
            meta.pzxid = zxid.0;
            self.set_meta(parent, meta, &mut None);
        }
    }

    fn apply_single(
        &mut self,
        header: &TxnHeader,
        txn: &Txn,
        events: &mut Vec<WatchedEvent>,
        undo: &mut Option<Vec<Undo>>,
    ) -> OpResult {
        match txn {
            Txn::CreateSession { .. } => OpResult::SessionCreated,
            Txn::Create {
                path,
                data,
                acl,
                ephemeral_owner,
                parent_cversion,
            } => self.create(
                header,
                path,
                data.as_deref(),
                acl,
                *ephemeral_owner,
                *parent_cversion,
                events,
                undo,
            ),
            Txn::Delete { path } => self.delete(header.zxid, path, events, undo),
            Txn::SetData {
                path,
                data,
                version,
            } => {
                let Some(mut meta) = self.load_meta(path) else {
                    return OpResult::Error(ErrorCode::NoNode);
                };
                meta.mzxid = header.zxid.0;
                meta.mtime = header.time_ms;
                meta.version = *version;
                self.set_node(path, Some((meta, data.as_deref())), undo);
                events.push(event(EventType::NodeDataChanged, path));
                OpResult::DataSet {
                    path: path.clone(),
                    stat: Self::stat_of(&meta, data_len(data.as_deref())),
                }
            }
            Txn::SetAcl { path, acl, version } => {
                let Some((mut meta, data)) = self.load(path) else {
                    return OpResult::Error(ErrorCode::NoNode);
                };
                let data_len = data_len(data);
                meta.aversion = *version;
                meta.acl = self.acls.intern(acl);
                self.set_meta(path, meta, undo);
                OpResult::AclSet {
                    path: path.clone(),
                    stat: Self::stat_of(&meta, data_len),
                }
            }
            // Like ZooKeeper, applying a check looks at nothing: it passed when prepared.
            Txn::Check { path, .. } => OpResult::Checked { path: path.clone() },
            Txn::Error { code } => OpResult::Error(*code),
            // Only reachable from `apply` for these two: handled there.
            Txn::CloseSession { .. } | Txn::Multi(_) => {
                OpResult::Error(ErrorCode::MarshallingError)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn create(
        &mut self,
        header: &TxnHeader,
        path: &str,
        data: Option<&[u8]>,
        acl: &[Acl],
        ephemeral_owner: i64,
        parent_cversion: i32,
        events: &mut Vec<WatchedEvent>,
        undo: &mut Option<Vec<Undo>>,
    ) -> OpResult {
        if path == "/" || path::validate_path(path).is_err() {
            return OpResult::Error(ErrorCode::BadArguments);
        }
        if EphemeralType::from_owner(ephemeral_owner).is_none() {
            return OpResult::Error(ErrorCode::BadArguments);
        }
        let Some(parent) = path::parent(path) else {
            return OpResult::Error(ErrorCode::BadArguments);
        };
        let Some(mut parent_meta) = self.load_meta(parent) else {
            return OpResult::Error(ErrorCode::NoNode);
        };
        if self.exists(path) {
            return OpResult::Error(ErrorCode::NodeExists);
        }
        // ZooKeeper checks this only when preparing; checking again keeps the invariant that
        // closing a session never has to delete a znode with children.
        if let Some(EphemeralType::Session(_)) =
            EphemeralType::from_owner(parent_meta.ephemeral_owner)
        {
            return OpResult::Error(ErrorCode::NoChildrenForEphemerals);
        }
        let zxid = header.zxid.0;
        let cversion = if parent_cversion == -1 {
            parent_meta.cversion.wrapping_add(1)
        } else {
            parent_cversion
        };
        // Only forward: a replayed create must not lower what later creates set (and past
        // i32::MAX the wrapped value is lower, so the counter sticks, as in ZooKeeper).
        if cversion > parent_meta.cversion {
            parent_meta.cversion = cversion;
            parent_meta.pzxid = zxid;
        }
        parent_meta.num_children = parent_meta.num_children.wrapping_add(1);
        let meta = Meta {
            czxid: zxid,
            mzxid: zxid,
            pzxid: zxid,
            ctime: header.time_ms,
            mtime: header.time_ms,
            version: 0,
            cversion: 0,
            aversion: 0,
            ephemeral_owner,
            num_children: 0,
            acl: self.acls.intern(acl),
        };
        self.set_meta(parent, parent_meta, undo);
        self.set_node(path, Some((meta, data)), undo);
        events.push(event(EventType::NodeCreated, path));
        events.push(event(EventType::NodeChildrenChanged, parent));
        OpResult::Created {
            path: path.to_string(),
            stat: Self::stat_of(&meta, data_len(data)),
        }
    }

    fn delete(
        &mut self,
        zxid: Zxid,
        path: &str,
        events: &mut Vec<WatchedEvent>,
        undo: &mut Option<Vec<Undo>>,
    ) -> OpResult {
        let Some(parent) = path::parent(path) else {
            return OpResult::Error(ErrorCode::BadArguments);
        };
        let Some(parent_meta) = self.load_meta(parent) else {
            return OpResult::Error(ErrorCode::NoNode);
        };
        let node = self.load_meta(path);
        // ZooKeeper would delete it and orphan its children; refuse instead.
        if node.is_some_and(|meta| meta.num_children > 0) {
            return OpResult::Error(ErrorCode::NotEmpty);
        }
        let mut updated = parent_meta;
        // Raised even when the child is already gone, as ZooKeeper does for fuzzy snapshots;
        // never lowered, so a replayed delete cannot undo a later create's pzxid.
        if zxid.0 > updated.pzxid {
            updated.pzxid = zxid.0;
        }
        if node.is_none() {
            if updated != parent_meta {
                self.set_meta(parent, updated, undo);
            }
            return OpResult::Error(ErrorCode::NoNode);
        }
        updated.num_children = updated.num_children.wrapping_sub(1);
        self.set_meta(parent, updated, undo);
        self.set_node(path, None, undo);
        events.push(event(EventType::NodeDeleted, path));
        events.push(event(EventType::NodeChildrenChanged, parent));
        OpResult::Deleted {
            path: path.to_string(),
        }
    }

    /// ZooKeeper's killSession: the listed paths first, in order, then whatever ephemerals of
    /// the session the list missed (in the order of its live set); missing paths are skipped.
    fn close_session(
        &mut self,
        header: &TxnHeader,
        listed: &[String],
        events: &mut Vec<WatchedEvent>,
    ) -> OpResult {
        let session = header.session_id;
        let local = self
            .ephemerals
            .remove(&session)
            .map_or_else(Vec::new, |set| set.java_order(false));
        let mut deleted = Vec::new();
        let listed_set: BTreeSet<&str> = listed.iter().map(String::as_str).collect();
        let leftovers = local.iter().filter(|p| !listed_set.contains(p.as_str()));
        for path in listed.iter().chain(leftovers) {
            if let OpResult::Deleted { path } = self.delete(header.zxid, path, events, &mut None) {
                deleted.push(path);
            }
        }
        OpResult::SessionClosed { deleted }
    }

    /// All or nothing. A multi holding an `Error` was refused when prepared: nothing is
    /// applied and each op is reported as ZooKeeper does. If an op fails now (the txn does
    /// not fit this tree), everything already applied is undone and reported the same way.
    fn apply_multi(
        &mut self,
        header: &TxnHeader,
        ops: &[Txn],
        events: &mut Vec<WatchedEvent>,
    ) -> OpResult {
        if ops.iter().any(|op| matches!(op, Txn::Error { .. })) {
            let mut after_failure = false;
            let results = ops
                .iter()
                .map(|op| match op {
                    Txn::Error { code } => {
                        after_failure = true;
                        OpResult::Error(*code)
                    }
                    _ if after_failure => OpResult::Error(ErrorCode::RuntimeInconsistency),
                    _ => OpResult::Error(ErrorCode::Ok),
                })
                .collect();
            return OpResult::Multi(results);
        }
        let mut undo = Some(Vec::new());
        let mut multi_events = Vec::new();
        let mut results = Vec::with_capacity(ops.len());
        for (index, op) in ops.iter().enumerate() {
            let result = match op {
                Txn::Create { .. }
                | Txn::Delete { .. }
                | Txn::SetData { .. }
                | Txn::Check { .. } => self.apply_single(header, op, &mut multi_events, &mut undo),
                // ZooKeeper's MultiTxn carries no other kind of op.
                _ => OpResult::Error(ErrorCode::MarshallingError),
            };
            if let OpResult::Error(code) = result {
                self.rollback(undo.take().unwrap_or_default());
                let results = (0..ops.len())
                    .map(|i| match i.cmp(&index) {
                        Ordering::Less => OpResult::Error(ErrorCode::Ok),
                        Ordering::Equal => OpResult::Error(code),
                        Ordering::Greater => OpResult::Error(ErrorCode::RuntimeInconsistency),
                    })
                    .collect();
                return OpResult::Multi(results);
            }
            results.push(result);
        }
        events.extend(multi_events);
        OpResult::Multi(results)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::txn::{sequential_path, TTL_MAX_MS};
    use crate::data::types::{perms, Id};

    /// Drives a tree the way a leader would: one zxid per txn, prepared like
    /// PrepRequestProcessor prepares them (parent cversion + 1, sequential suffixes).
    struct Leader {
        tree: DataTree,
        zxid: Zxid,
        time_ms: i64,
        session: SessionId,
    }

    impl Leader {
        fn new() -> Leader {
            Leader {
                tree: DataTree::new(),
                zxid: Zxid::ZERO,
                time_ms: 1_000,
                session: 0x100,
            }
        }

        /// Starts counting zxids from `zxid` (to replay a transcript of the real server).
        fn at_zxid(zxid: i64) -> Leader {
            let mut leader = Leader::new();
            leader.zxid = Zxid(zxid - 1);
            leader
        }

        fn header(&mut self, op: OpCode) -> TxnHeader {
            self.zxid = self.zxid.next();
            self.time_ms += 10;
            TxnHeader {
                session_id: self.session,
                cxid: 0,
                zxid: self.zxid,
                time_ms: self.time_ms,
                op,
            }
        }

        fn apply(&mut self, op: OpCode, txn: Txn) -> ApplyOutcome {
            let header = self.header(op);
            self.tree.apply(&header, &txn)
        }

        fn create_txn(&self, path: &str, data: &[u8], kind: EphemeralType) -> Txn {
            let parent = path::parent(path).unwrap_or("/");
            let cversion = self
                .tree
                .node(parent)
                .map_or(0, |node| node.persisted_cversion);
            Txn::create(
                path,
                data.to_vec(),
                Acl::open_unsafe(),
                kind,
                cversion.wrapping_add(1),
            )
        }

        fn create_kind(&mut self, path: &str, data: &[u8], kind: EphemeralType) -> OpResult {
            let txn = self.create_txn(path, data, kind);
            self.apply(OpCode::Create2, txn).result
        }

        fn create(&mut self, path: &str, data: &[u8]) -> OpResult {
            self.create_kind(path, data, EphemeralType::Persistent)
        }

        fn create_sequential(&mut self, prefix: &str) -> String {
            let parent = path::parent(&format!("{prefix}x"))
                .unwrap_or("/")
                .to_string();
            let counter = self.tree.node(&parent).map_or(0, |n| n.persisted_cversion);
            let path = sequential_path(prefix, counter);
            match self.create(&path, b"") {
                OpResult::Created { path, .. } => path,
                other => panic!("sequential create failed: {other:?}"),
            }
        }

        fn delete(&mut self, path: &str) -> OpResult {
            self.apply(OpCode::Delete, Txn::Delete { path: path.into() })
                .result
        }

        fn set_data(&mut self, path: &str, data: &[u8]) -> OpResult {
            self.set_data_or_null(path, Some(data))
        }

        fn set_data_or_null(&mut self, path: &str, data: Option<&[u8]>) -> OpResult {
            let version = self.tree.stat(path).map_or(0, |s| s.version + 1);
            self.apply(
                OpCode::SetData,
                Txn::SetData {
                    path: path.into(),
                    data: data.map(<[u8]>::to_vec),
                    version,
                },
            )
            .result
        }

        /// (czxid, mzxid, pzxid, version, cversion, aversion, ephemeralOwner, dataLength,
        /// numChildren): the tuple the kazoo transcripts printed.
        fn tuple(&self, path: &str) -> (i64, i64, i64, i32, i32, i32, i64, i32, i32) {
            let s = self.tree.stat(path).expect("node exists");
            (
                s.czxid,
                s.mzxid,
                s.pzxid,
                s.version,
                s.cversion,
                s.aversion,
                s.ephemeral_owner,
                s.data_length,
                s.num_children,
            )
        }
    }

    fn events(list: &[(EventType, &str)]) -> Vec<WatchedEvent> {
        list.iter().map(|&(t, p)| event(t, p)).collect()
    }

    /// Checked against a fresh ZooKeeper 3.8.0 (kazoo get, get_acls, get_children on each).
    #[test]
    fn fresh_tree_matches_a_fresh_zookeeper() {
        let tree = DataTree::new();
        let root = tree.node("/").unwrap();
        assert_eq!(
            root.stat,
            Stat {
                cversion: -1,
                num_children: 1,
                ..Stat::default()
            }
        );
        assert_eq!(root.acl, Acl::open_unsafe().as_slice());
        assert_eq!(
            tree.stat("/zookeeper"),
            Some(Stat {
                cversion: -2,
                num_children: 2,
                ..Stat::default()
            })
        );
        assert_eq!(tree.stat("/zookeeper/quota"), Some(Stat::default()));
        let config = tree.node("/zookeeper/config").unwrap();
        assert_eq!(
            config.stat,
            Stat {
                aversion: -1,
                ..Stat::default()
            }
        );
        assert_eq!(config.acl, Acl::read_unsafe().as_slice());
        assert_eq!(config.data, Some(&b""[..]));
        for path in ["/", "/zookeeper", "/zookeeper/quota"] {
            assert_eq!(tree.node(path).unwrap().data, Some(&b""[..]), "{path}");
        }
        assert_eq!(tree.children("/"), Some(vec!["zookeeper".to_string()]));
        assert_eq!(
            tree.children("/zookeeper"),
            Some(vec!["config".to_string(), "quota".to_string()])
        );
        assert_eq!(tree.node_count(), 4);
        assert_eq!(tree.all_children_number("/"), Some(3));
        // 1 + 10 + 16 + 17 path characters, no data.
        assert_eq!(tree.approximate_data_size(), 44);
        assert_eq!(tree.acl_cache_size(), 2);
    }

    /// Replays a transcript of the real server (zxids as it assigned them) and compares every
    /// Stat field it printed: persisted vs visible cversion, pzxid on create and delete, the
    /// sequential suffix taken from the persisted cversion, setData and setACL versions.
    #[test]
    fn stat_fields_follow_the_real_servers_transcript() {
        let mut zk = Leader::at_zxid(4);
        zk.create("/p", b"x");
        assert_eq!(zk.tuple("/p"), (4, 4, 4, 0, 0, 0, 0, 1, 0));
        zk.create("/p/a", b"");
        assert_eq!(zk.tuple("/p"), (4, 4, 5, 0, 1, 0, 0, 1, 1));
        zk.create("/p/b", b"");
        assert_eq!(zk.tuple("/p"), (4, 4, 6, 0, 2, 0, 0, 1, 2));
        zk.delete("/p/a");
        assert_eq!(zk.tuple("/p"), (4, 4, 7, 0, 3, 0, 0, 1, 1));
        assert_eq!(zk.create_sequential("/p/s-"), "/p/s-0000000002");
        assert_eq!(zk.tuple("/p"), (4, 4, 8, 0, 4, 0, 0, 1, 2));
        zk.delete("/p/b");
        assert_eq!(zk.tuple("/p"), (4, 4, 9, 0, 5, 0, 0, 1, 1));
        assert_eq!(zk.create_sequential("/p/s-"), "/p/s-0000000003");
        assert_eq!(zk.tuple("/p"), (4, 4, 10, 0, 6, 0, 0, 1, 2));
        zk.set_data("/p", b"hello");
        assert_eq!(zk.tuple("/p"), (4, 11, 10, 1, 6, 0, 0, 5, 2));
        let outcome = zk.apply(
            OpCode::SetAcl,
            Txn::SetAcl {
                path: "/p".into(),
                acl: Acl::open_unsafe(),
                version: 1,
            },
        );
        assert_eq!(zk.tuple("/p"), (4, 11, 10, 1, 6, 1, 0, 5, 2));
        assert!(outcome.events.is_empty(), "setACL fires no watch");
    }

    #[test]
    fn create_reports_the_new_stat_and_times_from_the_header() {
        let mut zk = Leader::new();
        let header = zk.header(OpCode::Create2);
        let txn = zk.create_txn("/a", b"abc", EphemeralType::Persistent);
        let outcome = zk.tree.apply(&header, &txn);
        let expected = Stat {
            czxid: header.zxid.0,
            mzxid: header.zxid.0,
            pzxid: header.zxid.0,
            ctime: header.time_ms,
            mtime: header.time_ms,
            data_length: 3,
            ..Stat::default()
        };
        assert_eq!(
            outcome.result,
            OpResult::Created {
                path: "/a".into(),
                stat: expected
            }
        );
        assert_eq!(zk.tree.node("/a").unwrap().data, Some(&b"abc"[..]));
        assert_eq!(zk.tree.last_processed_zxid(), header.zxid);
    }

    /// Event order checked against the real server: NodeCreated then the parent's
    /// NodeChildrenChanged; NodeDeleted then the parent's NodeChildrenChanged.
    #[test]
    fn writes_fire_events_in_zookeepers_order() {
        let mut zk = Leader::new();
        let txn = zk.create_txn("/w", b"", EphemeralType::Persistent);
        assert_eq!(
            zk.apply(OpCode::Create, txn).events,
            events(&[
                (EventType::NodeCreated, "/w"),
                (EventType::NodeChildrenChanged, "/")
            ])
        );
        let txn = zk.create_txn("/w/x", b"", EphemeralType::Persistent);
        assert_eq!(
            zk.apply(OpCode::Create, txn).events,
            events(&[
                (EventType::NodeCreated, "/w/x"),
                (EventType::NodeChildrenChanged, "/w")
            ])
        );
        let set = Txn::SetData {
            path: "/w/x".into(),
            data: Some(b"1".to_vec()),
            version: 1,
        };
        assert_eq!(
            zk.apply(OpCode::SetData, set).events,
            events(&[(EventType::NodeDataChanged, "/w/x")])
        );
        let delete = Txn::Delete {
            path: "/w/x".into(),
        };
        assert_eq!(
            zk.apply(OpCode::Delete, delete).events,
            events(&[
                (EventType::NodeDeleted, "/w/x"),
                (EventType::NodeChildrenChanged, "/w")
            ])
        );
    }

    #[test]
    fn create_refuses_what_does_not_fit_and_changes_nothing() {
        let mut zk = Leader::new();
        zk.create("/a", b"");
        zk.create_kind("/eph", b"", EphemeralType::Session(0x100));
        let before = zk.tree.clone();
        let cases = [
            ("/missing/x", 0, ErrorCode::NoNode),
            ("/a", 0, ErrorCode::NodeExists),
            ("/eph/x", 0, ErrorCode::NoChildrenForEphemerals),
            ("/a/", 0, ErrorCode::BadArguments),
            ("/a/\u{0}", 0, ErrorCode::BadArguments),
            ("/", 0, ErrorCode::BadArguments),
            ("relative", 0, ErrorCode::BadArguments),
            (
                "/a/b",
                0xff00_0100_0000_0000_u64 as i64,
                ErrorCode::BadArguments,
            ),
        ];
        for (path, owner, code) in cases {
            let txn = Txn::Create {
                path: path.into(),
                data: Some(Vec::new()),
                acl: Acl::open_unsafe(),
                ephemeral_owner: owner,
                parent_cversion: 5,
            };
            let outcome = zk.apply(OpCode::Create2, txn);
            assert_eq!(outcome.result, OpResult::Error(code), "{path:?}");
            assert!(outcome.events.is_empty());
        }
        assert_same_tree(&before, &zk.tree);
    }

    /// ZooKeeper's replay fix: a top-level `create` (opcode 1 only) that meets an existing
    /// node still moves the parent's cversion and pzxid forward.
    #[test]
    fn replayed_create_of_an_existing_node_still_bumps_the_parent() {
        let mut zk = Leader::new();
        zk.create("/a", b"");
        let parent_before = zk.tree.node("/").unwrap().persisted_cversion;
        let replay = Txn::create(
            "/a",
            Vec::new(),
            Acl::open_unsafe(),
            EphemeralType::Persistent,
            parent_before + 3,
        );
        let outcome = zk.apply(OpCode::Create2, replay.clone());
        assert_eq!(outcome.result, OpResult::Error(ErrorCode::NodeExists));
        assert_eq!(zk.tree.node("/").unwrap().persisted_cversion, parent_before);
        let outcome = zk.apply(OpCode::Create, replay);
        assert_eq!(outcome.result, OpResult::Error(ErrorCode::NodeExists));
        let root = zk.tree.node("/").unwrap();
        assert_eq!(root.persisted_cversion, parent_before + 3);
        assert_eq!(root.stat.pzxid, zk.zxid.0);
    }

    #[test]
    fn delete_refuses_a_parent_and_raises_pzxid_even_for_a_missing_child() {
        let mut zk = Leader::new();
        zk.create("/a", b"");
        zk.create("/a/b", b"");
        assert_eq!(zk.delete("/a"), OpResult::Error(ErrorCode::NotEmpty));
        assert!(zk.tree.exists("/a"));
        assert_eq!(zk.delete("/"), OpResult::Error(ErrorCode::BadArguments));
        assert_eq!(zk.delete("/nope/x"), OpResult::Error(ErrorCode::NoNode));
        let before = zk.tree.stat("/a").unwrap();
        assert_eq!(zk.delete("/a/zz"), OpResult::Error(ErrorCode::NoNode));
        let after = zk.tree.stat("/a").unwrap();
        assert_eq!(
            after.pzxid, zk.zxid.0,
            "DataTree.deleteNode raises pzxid first"
        );
        assert_eq!(
            (after.cversion, after.num_children),
            (before.cversion, before.num_children)
        );
        assert_eq!(
            zk.delete("/a/b"),
            OpResult::Deleted {
                path: "/a/b".into()
            }
        );
        assert_eq!(zk.delete("/a"), OpResult::Deleted { path: "/a".into() });
    }

    #[test]
    fn set_data_and_set_acl_need_the_node_and_report_its_stat() {
        let mut zk = Leader::new();
        assert_eq!(zk.set_data("/x", b"1"), OpResult::Error(ErrorCode::NoNode));
        let set_acl = Txn::SetAcl {
            path: "/x".into(),
            acl: Acl::read_unsafe(),
            version: 1,
        };
        assert_eq!(
            zk.apply(OpCode::SetAcl, set_acl).result,
            OpResult::Error(ErrorCode::NoNode)
        );
        zk.create("/x", b"old");
        let created = zk.tree.stat("/x").unwrap();
        match zk.set_data("/x", b"new!") {
            OpResult::DataSet { path, stat } => {
                assert_eq!(path, "/x");
                assert_eq!(stat.version, 1);
                assert_eq!(stat.mzxid, zk.zxid.0);
                assert_eq!(stat.mtime, zk.time_ms);
                assert_eq!((stat.czxid, stat.ctime), (created.czxid, created.ctime));
                assert_eq!(stat.pzxid, created.pzxid, "setData leaves pzxid");
                assert_eq!(stat.data_length, 4);
            }
            other => panic!("{other:?}"),
        }
        let set_acl = Txn::SetAcl {
            path: "/x".into(),
            acl: Acl::read_unsafe(),
            version: 7,
        };
        match zk.apply(OpCode::SetAcl, set_acl).result {
            OpResult::AclSet { stat, .. } => {
                assert_eq!(stat.aversion, 7);
                assert_eq!(stat.version, 1);
                assert_ne!(stat.mzxid, zk.zxid.0, "setACL leaves mzxid");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            zk.tree.node("/x").unwrap().acl,
            Acl::read_unsafe().as_slice()
        );
        assert_eq!(zk.tree.node("/x").unwrap().data, Some(&b"new!"[..]));
    }

    /// Checked against the real server: a multi of create, check and setData on one node
    /// gives it czxid = mzxid = the multi's zxid and version 1.
    #[test]
    fn multi_applies_every_op_under_one_zxid_and_concatenates_events() {
        let mut zk = Leader::new();
        let create = zk.create_txn("/m1", b"", EphemeralType::Persistent);
        let multi = Txn::Multi(vec![
            create,
            Txn::Check {
                path: "/m1".into(),
                version: 0,
            },
            Txn::SetData {
                path: "/m1".into(),
                data: Some(b"z".to_vec()),
                version: 1,
            },
        ]);
        let outcome = zk.apply(OpCode::Multi, multi);
        let zxid = zk.zxid.0;
        match &outcome.result {
            OpResult::Multi(results) => {
                assert!(matches!(&results[0], OpResult::Created { path, .. } if path == "/m1"));
                assert_eq!(results[1], OpResult::Checked { path: "/m1".into() });
                assert!(matches!(&results[2], OpResult::DataSet { stat, .. } if stat.version == 1));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(outcome.result.error_code(), ErrorCode::Ok);
        assert_eq!(zk.tuple("/m1"), (zxid, zxid, zxid, 1, 0, 0, 0, 1, 0));
        assert_eq!(
            outcome.events,
            events(&[
                (EventType::NodeCreated, "/m1"),
                (EventType::NodeChildrenChanged, "/"),
                (EventType::NodeDataChanged, "/m1"),
            ])
        );
    }

    /// The real server answered [RolledBack(0), NoNode, RuntimeInconsistency x2] for
    /// create /m1, create /nonexist/x, create /m2, setData, and created nothing.
    #[test]
    fn failed_multi_changes_nothing_and_reports_like_zookeeper() {
        let mut zk = Leader::new();
        let before = zk.tree.clone();
        let create = zk.create_txn("/m1", b"", EphemeralType::Persistent);
        let multi = Txn::Multi(vec![
            create,
            Txn::Error {
                code: ErrorCode::NoNode,
            },
            Txn::Error {
                code: ErrorCode::RuntimeInconsistency,
            },
            Txn::Error {
                code: ErrorCode::RuntimeInconsistency,
            },
        ]);
        let outcome = zk.apply(OpCode::Multi, multi);
        assert_eq!(
            outcome.result,
            OpResult::Multi(vec![
                OpResult::Error(ErrorCode::Ok),
                OpResult::Error(ErrorCode::NoNode),
                OpResult::Error(ErrorCode::RuntimeInconsistency),
                OpResult::Error(ErrorCode::RuntimeInconsistency),
            ])
        );
        assert_eq!(outcome.result.error_code(), ErrorCode::NoNode);
        assert!(outcome.events.is_empty());
        assert_same_tree(&before, &zk.tree);
        assert_eq!(
            zk.tree.last_processed_zxid(),
            zk.zxid,
            "the failure used a zxid"
        );
    }

    #[test]
    fn multi_that_fails_while_applying_is_undone_completely() {
        let mut zk = Leader::new();
        zk.create("/keep", b"big");
        zk.create_kind("/e1", b"", EphemeralType::Session(0x100));
        let before = zk.tree.clone();
        let acl_before = zk.tree.acl_cache_size();
        let odd_acl = vec![Acl {
            perms: perms::READ | perms::WRITE,
            id: Id::new("digest", "u:x"),
        }];
        let multi = Txn::Multi(vec![
            Txn::Create {
                path: "/x".into(),
                data: Some(vec![7; 500]),
                acl: odd_acl,
                ephemeral_owner: 0,
                parent_cversion: -1,
            },
            Txn::Create {
                path: "/x/y".into(),
                data: Some(Vec::new()),
                acl: Acl::open_unsafe(),
                ephemeral_owner: 0,
                parent_cversion: -1,
            },
            Txn::SetData {
                path: "/keep".into(),
                data: Some(vec![1; 300]),
                version: 1,
            },
            Txn::Delete { path: "/e1".into() },
            Txn::Delete {
                path: "/not-there".into(),
            },
            Txn::Check {
                path: "/keep".into(),
                version: 1,
            },
        ]);
        let outcome = zk.apply(OpCode::Multi, multi);
        assert_eq!(
            outcome.result,
            OpResult::Multi(vec![
                OpResult::Error(ErrorCode::Ok),
                OpResult::Error(ErrorCode::Ok),
                OpResult::Error(ErrorCode::Ok),
                OpResult::Error(ErrorCode::Ok),
                OpResult::Error(ErrorCode::NoNode),
                OpResult::Error(ErrorCode::RuntimeInconsistency),
            ])
        );
        assert!(outcome.events.is_empty());
        // The failed delete raised "/"'s pzxid, and that too was undone.
        assert_same_tree(&before, &zk.tree);
        assert_eq!(zk.tree.acl_cache_size(), acl_before);
        assert_eq!(zk.tree.ephemerals_of(0x100), vec!["/e1".to_string()]);
    }

    #[test]
    fn multi_accepts_only_the_ops_zookeeper_allows_in_one() {
        let mut zk = Leader::new();
        for op in [
            Txn::CreateSession { timeout_ms: 1 },
            Txn::SetAcl {
                path: "/".into(),
                acl: Acl::open_unsafe(),
                version: 0,
            },
            Txn::Multi(Vec::new()),
            Txn::CloseSession {
                paths_to_delete: Vec::new(),
            },
        ] {
            let outcome = zk.apply(OpCode::Multi, Txn::Multi(vec![op]));
            assert_eq!(
                outcome.result,
                OpResult::Multi(vec![OpResult::Error(ErrorCode::MarshallingError)])
            );
        }
    }

    /// Deletion order observed on the real server when a session with ephemerals
    /// /e/n0../e/n19 closed (watch events recorded by a second session).
    #[test]
    fn closing_a_session_deletes_its_ephemerals_in_zookeepers_order() {
        let mut zk = Leader::new();
        zk.create("/e", b"");
        let names: Vec<String> = (0..20).map(|i| format!("/e/n{i}")).collect();
        for name in &names {
            zk.create_kind(name, b"", EphemeralType::Session(0x100));
        }
        let observed = [
            9, 16, 17, 14, 15, 5, 6, 7, 18, 8, 19, 12, 13, 10, 11, 1, 2, 3, 4, 0,
        ]
        .map(|i| format!("/e/n{i}"));
        assert_eq!(zk.tree.ephemerals_of(0x100), observed);
        let paths_to_delete = zk.tree.ephemerals_of(0x100);
        let outcome = zk.apply(OpCode::CloseSession, Txn::CloseSession { paths_to_delete });
        assert_eq!(
            outcome.result,
            OpResult::SessionClosed {
                deleted: observed.to_vec()
            }
        );
        let expected: Vec<WatchedEvent> = observed
            .iter()
            .flat_map(|p| {
                [
                    event(EventType::NodeDeleted, p),
                    event(EventType::NodeChildrenChanged, "/e"),
                ]
            })
            .collect();
        assert_eq!(outcome.events, expected);
        assert_eq!(zk.tree.children("/e"), Some(Vec::new()));
        assert!(zk.tree.sessions_with_ephemerals().is_empty());
    }

    /// Two more orders from the real server: mixed names, and a set that grew to 30 (so its
    /// table doubled) before 20 were deleted.
    #[test]
    fn ephemeral_order_follows_java_hash_capacity_and_insertion() {
        let mut zk = Leader::new();
        for dir in ["/e", "/f", "/e/b-dir"] {
            zk.create(dir, b"");
        }
        for name in [
            "/e/a",
            "/f/zz",
            "/e/b-1",
            "/e/b.1",
            "/e/b",
            "/e/lock-0000000001",
        ] {
            zk.create_kind(name, b"", EphemeralType::Session(0x200));
        }
        assert_eq!(
            zk.tree.ephemerals_of(0x200),
            [
                "/e/b-1",
                "/e/b.1",
                "/e/lock-0000000001",
                "/f/zz",
                "/e/a",
                "/e/b"
            ]
        );
        for i in 0..30 {
            zk.create_kind(&format!("/e/x{i}"), b"", EphemeralType::Session(0x300));
        }
        for i in 0..20 {
            zk.delete(&format!("/e/x{i}"));
        }
        let observed = [21, 22, 20, 25, 26, 23, 24, 29, 27, 28].map(|i| format!("/e/x{i}"));
        assert_eq!(zk.tree.ephemerals_of(0x300), observed);
        // With no list in the txn the live set's own order is used (capacity 64 here).
        let outcome = zk.apply(
            OpCode::CloseSession,
            Txn::CloseSession {
                paths_to_delete: Vec::new(),
            },
        );
        let session = zk.session;
        assert_eq!(session, 0x100, "the leader's session owns nothing");
        assert_eq!(
            outcome.result,
            OpResult::SessionClosed {
                deleted: Vec::new()
            }
        );
        zk.session = 0x300;
        let OpResult::SessionClosed { deleted } = zk
            .apply(
                OpCode::CloseSession,
                Txn::CloseSession {
                    paths_to_delete: vec!["/e/x29".into(), "/e/x0".into()],
                },
            )
            .result
        else {
            panic!("close failed");
        };
        assert_eq!(deleted[0], "/e/x29", "listed paths go first");
        assert_eq!(deleted.len(), 10, "then every ephemeral the list missed");
        assert!(zk.tree.ephemerals_of(0x300).is_empty());
        assert_eq!(
            zk.tree.children("/e").unwrap().len(),
            6,
            "b-dir and 0x200's five"
        );
    }

    #[test]
    fn get_ephemerals_prefix_is_a_plain_string_prefix() {
        let mut zk = Leader::new();
        zk.create("/ab", b"");
        for path in ["/a", "/ab/c", "/b"] {
            zk.create_kind(path, b"", EphemeralType::Session(0x100));
        }
        let mut with_a = zk.tree.ephemerals_with_prefix(0x100, "/a");
        with_a.sort();
        assert_eq!(with_a, ["/a", "/ab/c"]);
        assert_eq!(zk.tree.ephemerals_with_prefix(0x100, " / ").len(), 3);
        assert_eq!(zk.tree.ephemerals_with_prefix(0x100, "").len(), 3);
        assert_eq!(zk.tree.ephemerals_with_prefix(0x100, "/b"), ["/b"]);
        assert!(zk.tree.ephemerals_with_prefix(0x999, "/").is_empty());
    }

    /// Checked against the real server: container and TTL znodes show ephemeralOwner 0.
    #[test]
    fn clients_see_owner_only_for_session_ephemerals() {
        let mut zk = Leader::new();
        zk.create_kind("/c", b"", EphemeralType::Container);
        zk.create_kind("/t", b"", EphemeralType::Ttl { ttl_ms: 5000 });
        zk.create_kind("/e", b"", EphemeralType::Session(0x1234));
        assert_eq!(zk.tree.stat("/c").unwrap().ephemeral_owner, 0);
        assert_eq!(zk.tree.stat("/t").unwrap().ephemeral_owner, 0);
        assert_eq!(zk.tree.stat("/e").unwrap().ephemeral_owner, 0x1234);
        assert_eq!(
            zk.tree.node("/t").unwrap().kind(),
            Some(EphemeralType::Ttl { ttl_ms: 5000 })
        );
        assert_eq!(
            zk.tree.node("/c").unwrap().kind(),
            Some(EphemeralType::Container)
        );
    }

    /// ContainerManager.getCandidates: empty and (cversion > 0, or older than the
    /// never-used interval when one is set).
    #[test]
    fn container_candidates_follow_the_container_managers_rule() {
        let mut zk = Leader::new();
        zk.create_kind("/fresh", b"", EphemeralType::Container);
        zk.create_kind("/used", b"", EphemeralType::Container);
        zk.create("/used/child", b"");
        zk.create_kind("/busy", b"", EphemeralType::Container);
        zk.create("/busy/child", b"");
        zk.create("/plain", b"");
        let fresh_mtime = zk.tree.stat("/fresh").unwrap().mtime;
        let now = zk.time_ms + 1;
        assert!(zk.tree.container_candidates(now, 0).is_empty());
        zk.delete("/used/child");
        assert_eq!(zk.tree.container_candidates(now, 0), ["/used"]);
        // Never used: only once strictly older than the interval.
        assert_eq!(
            zk.tree.container_candidates(fresh_mtime + 100, 100),
            ["/used"]
        );
        assert_eq!(
            zk.tree.container_candidates(fresh_mtime + 101, 100),
            ["/fresh", "/used"]
        );
        zk.delete("/used");
        assert_eq!(zk.tree.container_candidates(now, 0), Vec::<String>::new());
    }

    /// ContainerManager.getCandidates for TTLs: no children and now - mtime > ttl.
    #[test]
    fn ttl_nodes_expire_strictly_after_their_ttl_since_last_change() {
        let mut zk = Leader::new();
        zk.create_kind("/t", b"", EphemeralType::Ttl { ttl_ms: 100 });
        zk.create_kind("/parent", b"", EphemeralType::Ttl { ttl_ms: 100 });
        zk.create("/parent/child", b"");
        zk.create_kind("/forever", b"", EphemeralType::Ttl { ttl_ms: TTL_MAX_MS });
        let mtime = zk.tree.stat("/t").unwrap().mtime;
        assert!(zk.tree.expired_ttl_nodes(mtime + 100).is_empty());
        assert_eq!(zk.tree.expired_ttl_nodes(mtime + 101), ["/t"]);
        zk.set_data("/t", b"touch");
        let touched = zk.tree.stat("/t").unwrap().mtime;
        assert!(zk.tree.expired_ttl_nodes(touched + 100).is_empty());
        assert_eq!(zk.tree.expired_ttl_nodes(touched + 101), ["/t"]);
        zk.delete("/t");
        // Only the childless ones, however late it is.
        assert_eq!(zk.tree.expired_ttl_nodes(i64::MAX), ["/forever"]);
    }

    /// '-' and '.' sort before '/', so a node's subtree is not right after it; children and
    /// descendant counts must not be fooled by it.
    #[test]
    fn children_enumeration_handles_names_that_sort_around_the_slash() {
        let mut zk = Leader::new();
        for path in [
            "/a", "/a-b", "/a.b", "/a0", "/a/c", "/a/c/d", "/a/c-d", "/a/c.d", "/a/c/d/e", "/a/c0",
            "/a-b/x", "/a.b/y",
        ] {
            assert!(
                matches!(zk.create(path, b""), OpResult::Created { .. }),
                "{path}"
            );
        }
        assert_eq!(
            zk.tree.children("/"),
            Some(
                ["a", "a-b", "a.b", "a0", "zookeeper"]
                    .map(String::from)
                    .to_vec()
            )
        );
        assert_eq!(
            zk.tree.children("/a"),
            Some(["c", "c-d", "c.d", "c0"].map(String::from).to_vec())
        );
        assert_eq!(zk.tree.children("/a/c"), Some(vec!["d".to_string()]));
        assert_eq!(zk.tree.children("/a0"), Some(Vec::new()));
        assert_eq!(zk.tree.children("/nope"), None);
        assert_eq!(zk.tree.all_children_number("/a"), Some(6));
        assert_eq!(zk.tree.all_children_number("/a/c"), Some(2));
        assert_eq!(zk.tree.all_children_number("/a-b"), Some(1));
        assert_eq!(zk.tree.all_children_number("/a0"), Some(0));
        assert_eq!(zk.tree.all_children_number("/"), Some(3 + 12));
        assert_eq!(zk.tree.all_children_number("/nope"), None);
        assert_eq!(zk.tree.stat("/a").unwrap().num_children, 4);
    }

    #[test]
    fn acl_lists_are_stored_once_and_freed_when_unused() {
        let mut zk = Leader::new();
        zk.create("/d", b"");
        for i in 0..200 {
            zk.create(&format!("/d/n{i}"), b"");
        }
        assert_eq!(zk.tree.acl_cache_size(), 2, "open and read-only lists only");
        let custom = vec![Acl {
            perms: perms::ALL,
            id: Id::new("digest", "user:hash"),
        }];
        for i in 0..3 {
            zk.apply(
                OpCode::SetAcl,
                Txn::SetAcl {
                    path: format!("/d/n{i}"),
                    acl: custom.clone(),
                    version: 1,
                },
            );
        }
        assert_eq!(zk.tree.acl_cache_size(), 3);
        assert_eq!(zk.tree.node("/d/n2").unwrap().acl, custom.as_slice());
        for i in 0..2 {
            zk.delete(&format!("/d/n{i}"));
        }
        assert_eq!(zk.tree.acl_cache_size(), 3, "still used by /d/n2");
        zk.apply(
            OpCode::SetAcl,
            Txn::SetAcl {
                path: "/d/n2".into(),
                acl: Acl::open_unsafe(),
                version: 2,
            },
        );
        assert_eq!(zk.tree.acl_cache_size(), 2);
    }

    /// What a snapshot relies on: a clone shares pages and data with the original, and
    /// changing the original afterwards (which copies what it changes) leaves the clone as
    /// it was at the moment it was taken.
    #[test]
    fn a_clone_keeps_its_moment_while_the_original_changes() {
        let mut zk = Leader::new();
        let big = vec![0xab; INLINE_DATA_MAX + 1];
        zk.create("/big", &big);
        for i in 0..200 {
            zk.create(&format!("/n{i:03}"), b"small");
        }
        let listing = |tree: &DataTree| -> Vec<(String, Option<Vec<u8>>, Stat)> {
            tree.iter()
                .map(|node| {
                    (
                        node.path.to_string(),
                        node.data.map(<[u8]>::to_vec),
                        node.stat,
                    )
                })
                .collect()
        };
        let snapshot = zk.tree.clone();
        let before = listing(&zk.tree);
        assert_eq!(listing(&snapshot), before);
        zk.set_data("/big", &[0xcd; 300]);
        zk.create("/n050x", b"new");
        zk.delete("/n100");
        assert_ne!(listing(&zk.tree), before);
        assert_eq!(listing(&snapshot), before, "the clone did not move");
        assert_eq!(snapshot.node("/big").unwrap().data, Some(&big[..]));
        assert_eq!(zk.tree.node("/big").unwrap().data, Some(&[0xcd; 300][..]));
        assert!(snapshot.exists("/n100") && !zk.tree.exists("/n100"));
    }

    #[test]
    fn node_meta_agrees_with_node_and_shares_the_acl() {
        let mut zk = Leader::new();
        zk.create("/m", &[1; INLINE_DATA_MAX + 5]);
        zk.set_data("/m", b"x");
        zk.create("/m/c", b"");
        let node = zk.tree.node("/m").unwrap();
        let meta = zk.tree.node_meta("/m").unwrap();
        assert_eq!(meta.acl[..], *node.acl);
        assert_eq!(
            (
                meta.version,
                meta.aversion,
                meta.num_children,
                meta.ephemeral_owner
            ),
            (
                node.stat.version,
                node.stat.aversion,
                node.stat.num_children,
                0
            )
        );
        assert_eq!(meta.persisted_cversion, node.persisted_cversion);
        let again = zk.tree.node_meta("/m/c").unwrap();
        assert!(
            Arc::ptr_eq(&meta.acl, &again.acl),
            "one interned ACL, shared"
        );
        assert!(zk.tree.node_meta("/missing").is_none());
        assert!(zk.tree.node_meta("/m\0").is_none());
    }

    #[test]
    fn large_data_survives_parent_updates_and_size_is_tracked() {
        let mut zk = Leader::new();
        let big = vec![0xab; INLINE_DATA_MAX + 1];
        let base = zk.tree.approximate_data_size();
        zk.create("/big", &big);
        assert_eq!(zk.tree.approximate_data_size(), base + 4 + big.len() as i64);
        zk.create("/big/child", b"12");
        zk.delete("/big/child");
        assert_eq!(zk.tree.node("/big").unwrap().data, Some(big.as_slice()));
        zk.set_data("/big", b"small");
        assert_eq!(zk.tree.node("/big").unwrap().data, Some(&b"small"[..]));
        zk.set_data("/big", &big);
        assert_eq!(zk.tree.stat("/big").unwrap().data_length, big.len() as i32);
        zk.delete("/big");
        assert_eq!(zk.tree.approximate_data_size(), base);
        assert!(zk.tree.large_data.is_empty());
    }

    /// Checked against the real server (a client sending a buffer of length -1): the znode
    /// keeps null data and getData answers null, not an empty buffer; its dataLength is 0
    /// and approximateDataSize counts only its path; setData with null makes data null again,
    /// with an empty buffer empty.
    #[test]
    fn null_data_is_kept_apart_from_empty_data() {
        let mut zk = Leader::new();
        let base = zk.tree.approximate_data_size();
        let txn = Txn::create("/n", None, Acl::open_unsafe(), EphemeralType::Persistent, 1);
        match zk.apply(OpCode::Create2, txn).result {
            OpResult::Created { stat, .. } => assert_eq!(stat.data_length, 0),
            other => panic!("{other:?}"),
        }
        assert_eq!(zk.tree.node("/n").unwrap().data, None);
        assert_eq!(zk.tree.stat("/n").unwrap().data_length, 0);
        assert_eq!(zk.tree.approximate_data_size(), base + 2);
        zk.create("/e", b"");
        assert_eq!(zk.tree.node("/e").unwrap().data, Some(&b""[..]));
        assert_eq!(zk.tree.approximate_data_size(), base + 4);

        // Metadata updates (a child created and deleted, an ACL set) keep the null.
        zk.create("/n/c", b"x");
        zk.delete("/n/c");
        zk.apply(
            OpCode::SetAcl,
            Txn::SetAcl {
                path: "/n".into(),
                acl: Acl::read_unsafe(),
                version: 1,
            },
        );
        assert_eq!(zk.tree.node("/n").unwrap().data, None);

        zk.create("/x", b"abc");
        match zk.set_data_or_null("/x", None) {
            OpResult::DataSet { stat, .. } => assert_eq!((stat.data_length, stat.version), (0, 1)),
            other => panic!("{other:?}"),
        }
        assert_eq!(zk.tree.node("/x").unwrap().data, None);
        zk.set_data("/x", b"");
        assert_eq!(zk.tree.node("/x").unwrap().data, Some(&b""[..]));
        zk.set_data_or_null("/x", None);
        zk.set_data("/x", b"q");
        assert_eq!(zk.tree.node("/x").unwrap().data, Some(&b"q"[..]));
        zk.set_data_or_null("/e", None);
        assert_eq!(zk.tree.node("/e").unwrap().data, None);
        assert_eq!(zk.tree.approximate_data_size(), base + 2 + 2 + 2 + 1);

        // Out-of-line data to null and back: the side map follows.
        let big = vec![5; INLINE_DATA_MAX + 1];
        zk.create("/big", &big);
        zk.set_data_or_null("/big", None);
        assert_eq!(zk.tree.node("/big").unwrap().data, None);
        assert!(zk.tree.large_data.is_empty());
        zk.set_data("/big", &big);
        assert_eq!(zk.tree.node("/big").unwrap().data, Some(big.as_slice()));
        assert_eq!(zk.tree.large_data.len(), 1);
        assert_eq!(
            zk.tree.iter().filter(|n| n.data.is_none()).count(),
            2,
            "/n and /e"
        );
    }

    /// A multi creates and sets null data too, and undoing a failed one restores the null.
    #[test]
    fn multi_keeps_null_data_and_its_rollback_restores_it() {
        let mut zk = Leader::new();
        zk.create_kind("/n", b"", EphemeralType::Persistent);
        zk.set_data_or_null("/n", None);
        let multi = Txn::Multi(vec![
            Txn::create("/m", None, Acl::open_unsafe(), EphemeralType::Container, -1),
            Txn::SetData {
                path: "/n".into(),
                data: None,
                version: 2,
            },
        ]);
        assert_eq!(
            zk.apply(OpCode::Multi, multi).result.error_code(),
            ErrorCode::Ok
        );
        assert_eq!(zk.tree.node("/m").unwrap().data, None);
        assert_eq!(zk.tree.node("/n").unwrap().data, None);
        let before = zk.tree.clone();
        let failing = Txn::Multi(vec![
            Txn::SetData {
                path: "/n".into(),
                data: Some(b"now".to_vec()),
                version: 3,
            },
            Txn::SetData {
                path: "/m".into(),
                data: Some(Vec::new()),
                version: 1,
            },
            Txn::Delete {
                path: "/missing".into(),
            },
        ]);
        assert_eq!(
            zk.apply(OpCode::Multi, failing).result.error_code(),
            ErrorCode::NoNode
        );
        assert_same_tree(&before, &zk.tree);
        assert_eq!(zk.tree.node("/n").unwrap().data, None);
    }

    /// A snapshot (the tree through serde) keeps null, empty, inline and out-of-line data.
    #[test]
    fn snapshot_round_trip_keeps_null_apart_from_empty() {
        let mut zk = Leader::new();
        let big = vec![9; INLINE_DATA_MAX + 10];
        zk.create("/empty", b"");
        zk.create("/small", b"abc");
        zk.create("/big", &big);
        zk.create("/null", b"abc");
        zk.set_data_or_null("/null", None);
        let txn = Txn::create(
            "/null/child",
            None,
            Acl::open_unsafe(),
            EphemeralType::Session(0x100),
            -1,
        );
        zk.apply(OpCode::Create, txn);
        let bytes = postcard::to_allocvec(&zk.tree).unwrap();
        let restored: DataTree = postcard::from_bytes(&bytes).unwrap();
        assert_same_tree(&zk.tree, &restored);
        assert_eq!(restored.node("/null").unwrap().data, None);
        assert_eq!(restored.node("/null/child").unwrap().data, None);
        assert_eq!(restored.node("/empty").unwrap().data, Some(&b""[..]));
        assert_eq!(restored.node("/small").unwrap().data, Some(&b"abc"[..]));
        assert_eq!(restored.node("/big").unwrap().data, Some(big.as_slice()));
        assert_eq!(restored.stat("/null").unwrap().data_length, 0);
    }

    /// Past i32::MAX the prepared parent cversion wraps negative; the tree only moves it
    /// forward, so it sticks at i32::MAX (and the next sequential name repeats), as ZooKeeper.
    #[test]
    fn parent_cversion_sticks_at_i32_max() {
        let mut zk = Leader::new();
        zk.create("/q", b"");
        let at_max = Txn::create(
            "/q/a",
            Vec::new(),
            Acl::open_unsafe(),
            EphemeralType::Persistent,
            i32::MAX,
        );
        zk.apply(OpCode::Create, at_max);
        let pzxid = zk.zxid.0;
        assert_eq!(zk.tree.node("/q").unwrap().persisted_cversion, i32::MAX);
        let wrapped = zk.create_txn("/q/b", b"", EphemeralType::Persistent);
        assert!(matches!(
            wrapped,
            Txn::Create {
                parent_cversion: i32::MIN,
                ..
            }
        ));
        zk.apply(OpCode::Create, wrapped);
        let q = zk.tree.node("/q").unwrap();
        assert_eq!(q.persisted_cversion, i32::MAX);
        assert_eq!(q.stat.pzxid, pzxid);
        assert_eq!(q.stat.num_children, 2);
        assert_eq!(q.stat.cversion, i32::MAX.wrapping_mul(2).wrapping_sub(2));
        assert_eq!(
            sequential_path("/q/s-", q.persisted_cversion),
            "/q/s-2147483647"
        );
    }

    #[test]
    fn session_txns_and_errors_change_no_znode_but_use_a_zxid() {
        let mut zk = Leader::new();
        let before = zk.tree.clone();
        let outcome = zk.apply(
            OpCode::CreateSession,
            Txn::CreateSession { timeout_ms: 30_000 },
        );
        assert_eq!(outcome.result, OpResult::SessionCreated);
        let outcome = zk.apply(
            OpCode::Delete,
            Txn::Error {
                code: ErrorCode::NoNode,
            },
        );
        assert_eq!(outcome.result.error_code(), ErrorCode::NoNode);
        let outcome = zk.apply(
            OpCode::Check,
            Txn::Check {
                path: "/whatever".into(),
                version: 3,
            },
        );
        assert!(outcome.events.is_empty());
        assert_same_tree(&before, &zk.tree);
        assert_eq!(zk.tree.last_processed_zxid(), Zxid::new(0, 3));
    }

    #[test]
    fn lookups_of_paths_with_nul_find_nothing() {
        let mut zk = Leader::new();
        zk.create("/a", b"");
        assert!(!zk.tree.exists("/a\u{0}"));
        assert!(zk.tree.node("/a\u{0}b").is_none());
        assert_eq!(zk.delete("/a\u{0}"), OpResult::Error(ErrorCode::NoNode));
        assert!(zk.tree.exists("/a"));
    }

    #[test]
    fn records_round_trip_extreme_values() {
        let meta = Meta {
            czxid: i64::MAX,
            mzxid: i64::MIN,
            pzxid: -1,
            ctime: i64::MIN,
            mtime: i64::MAX,
            version: i32::MIN,
            cversion: i32::MAX,
            aversion: -1,
            ephemeral_owner: i64::MIN,
            num_children: i32::MAX,
            acl: u32::MAX,
        };
        let record = Record::encode("/x/y", &meta, Stored::Inline(b"data"));
        assert_eq!(Record(&record).path(), "/x/y");
        assert_eq!(
            Record(&record).decode(),
            (meta, Stored::Inline(&b"data"[..]))
        );
        let outside = Record::encode("/x", &Meta::default(), Stored::OutOfLine);
        assert_eq!(
            Record(&outside).decode(),
            (Meta::default(), Stored::OutOfLine)
        );
        // Null and empty data are told apart by the flags byte alone: same length.
        let null = Record::encode("/x/y", &meta, Stored::Null);
        assert_eq!(Record(&null).decode(), (meta, Stored::Null));
        let empty = Record::encode("/x/y", &meta, Stored::Inline(b""));
        assert_eq!(Record(&empty).decode(), (meta, Stored::Inline(&b""[..])));
        assert_eq!(null.len(), empty.len());
        assert_eq!(null.len(), record.len() - 4);
        // A truncated record decodes to zeros instead of panicking.
        assert_eq!(Record(b"/t\0").decode().0, Meta::default());
    }

    fn assert_same_tree(a: &DataTree, b: &DataTree) {
        let dump = |tree: &DataTree| {
            tree.iter()
                .map(|n| {
                    (
                        n.path.to_string(),
                        n.data.map(<[u8]>::to_vec),
                        n.stat,
                        n.acl.to_vec(),
                        n.persisted_cversion,
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(dump(a), dump(b));
        assert_eq!(a.node_count(), b.node_count());
        assert_eq!(a.approximate_data_size(), b.approximate_data_size());
        assert_eq!(a.containers, b.containers);
        assert_eq!(a.ttls, b.ttls);
    }

    /// The page store against a plain map: random inserts, replacements and removals of
    /// records of very different sizes, so pages split, merge and get re-keyed.
    mod pages {
        use super::*;
        use proptest::prelude::*;

        fn record(name: u16, len: usize) -> Vec<u8> {
            let meta = Meta {
                czxid: i64::from(name),
                ..Meta::default()
            };
            Record::encode(
                &format!("/k{name:05}"),
                &meta,
                Stored::Inline(&vec![7; len]),
            )
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            #[test]
            fn page_store_behaves_like_an_ordered_map(
                ops in prop::collection::vec((any::<bool>(), 0..400u16, prop_oneof![0..40usize, 0..3000usize]), 1..400),
                ascending in 0..600u16,
            ) {
                let mut store = RecordStore::default();
                let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
                // A sequential run first, the pattern the split rule is tuned for.
                for name in 1000..1000 + ascending {
                    let r = record(name, 10);
                    store.insert(&r);
                    model.insert(Record(&r).key().to_vec(), r);
                }
                // A clone taken halfway (as a snapshot takes one) must not see later changes.
                let halfway = ops.len() / 2;
                let mut snapshot = None;
                for (index, (insert, name, len)) in ops.into_iter().enumerate() {
                    if index == halfway {
                        snapshot = Some((store.clone(), model.clone()));
                    }
                    let r = record(name, len);
                    let key = Record(&r).key().to_vec();
                    if insert {
                        store.insert(&r);
                        model.insert(key, r);
                    } else {
                        prop_assert_eq!(store.remove(&key), model.remove(&key));
                    }
                }
                let stored: Vec<&[u8]> = store.iter().map(|r| r.0).collect();
                let expected: Vec<&[u8]> = model.values().map(Vec::as_slice).collect();
                prop_assert_eq!(&stored, &expected);
                for (key, value) in &model {
                    prop_assert_eq!(store.get(key).map(|r| r.0), Some(value.as_slice()));
                }
                prop_assert!(store.get(&probe("/k99999")).is_none());
                let from = probe("/k00200");
                let tail: Vec<&[u8]> = store.range_from(&from).map(|r| r.0).collect();
                let expected_tail: Vec<&[u8]> = model.range(from.clone()..).map(|(_, v)| v.as_slice()).collect();
                prop_assert_eq!(tail, expected_tail);
                for (first, page) in &store.pages {
                    let head = entries(page).next().map(|(_, _, r)| r.key());
                    prop_assert_eq!(head, Some(&first[..]));
                    prop_assert!(page.len() <= PAGE_MAX || entries(page).count() == 1);
                }
                if let Some((clone, then)) = snapshot {
                    let kept: Vec<&[u8]> = clone.iter().map(|r| r.0).collect();
                    let expected: Vec<&[u8]> = then.values().map(Vec::as_slice).collect();
                    prop_assert_eq!(kept, expected);
                }
            }
        }

        #[test]
        fn comparing_a_record_with_a_key_orders_like_comparing_keys() {
            let paths = [
                "/", "/a", "/a/b", "/a-b", "/a.b", "/ab", "/a0", "/a/b/c", "/b", "/\u{e9}",
            ];
            for record_path in paths {
                let r = Record::encode(record_path, &Meta::default(), Stored::Inline(b"\0\xff"));
                for key_path in paths {
                    let key = probe(key_path);
                    assert_eq!(
                        Record(&r).cmp_key(&key),
                        Record(&r).key().cmp(&key[..]),
                        "{record_path} against {key_path}"
                    );
                }
            }
        }

        #[test]
        fn sequential_inserts_fill_pages() {
            let mut store = RecordStore::default();
            for name in 0..20_000u16 {
                store.insert(&record(name, 10));
            }
            let bytes: usize = store.pages.values().map(|page| page.len()).sum();
            assert!(
                bytes / store.pages.len() > PAGE_MAX * 9 / 10,
                "{} pages for {bytes} bytes",
                store.pages.len()
            );
        }
    }

    mod model {
        use super::*;
        use proptest::prelude::*;

        #[derive(Clone, Debug)]
        enum Op {
            Create {
                path: String,
                len: usize,
                ephemeral: bool,
            },
            Delete {
                path: String,
            },
            /// `len: None` sets null data.
            SetData {
                path: String,
                len: Option<usize>,
            },
            Close,
        }

        fn any_path() -> impl Strategy<Value = String> {
            let name = prop::sample::select(vec!["a", "a-b", "a.b", "a0", "b"]);
            prop::collection::vec(name, 1..4).prop_map(|names| format!("/{}", names.join("/")))
        }

        fn any_op() -> impl Strategy<Value = Op> {
            prop_oneof![
                4 => (any_path(), 0..200usize, any::<bool>())
                    .prop_map(|(path, len, ephemeral)| Op::Create { path, len, ephemeral }),
                2 => any_path().prop_map(|path| Op::Delete { path }),
                1 => (any_path(), prop::option::of(0..200usize)).prop_map(|(path, len)| Op::SetData { path, len }),
                1 => Just(Op::Close),
            ]
        }

        /// The obvious model: every node with an explicit children set.
        #[derive(Default)]
        struct Node {
            children: BTreeSet<String>,
            creates: i32,
            /// `None`: null data.
            len: Option<usize>,
            ephemeral: bool,
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(96))]
            #[test]
            fn random_writes_keep_counts_and_children_consistent(ops in prop::collection::vec(any_op(), 1..60)) {
                let mut zk = Leader::new();
                let mut model: BTreeMap<String, Node> = BTreeMap::new();
                for path in ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"] {
                    model.insert(path.to_string(), Node { len: Some(0), ..Node::default() });
                }
                model.get_mut("/").unwrap().children.insert("zookeeper".into());
                for child in ["quota", "config"] {
                    model.get_mut("/zookeeper").unwrap().children.insert(child.into());
                }
                for op in ops {
                    match op {
                        Op::Create { path, len, ephemeral } => {
                            let parent = path::parent(&path).unwrap().to_string();
                            let kind = if ephemeral { EphemeralType::Session(0x100) } else { EphemeralType::Persistent };
                            let result = zk.create_kind(&path, &vec![1; len], kind);
                            let expected = match model.get(&parent) {
                                None => ErrorCode::NoNode,
                                Some(_) if model.contains_key(&path) => ErrorCode::NodeExists,
                                Some(p) if p.ephemeral => ErrorCode::NoChildrenForEphemerals,
                                Some(_) => ErrorCode::Ok,
                            };
                            prop_assert_eq!(result.error_code(), expected);
                            if expected == ErrorCode::Ok {
                                let p = model.get_mut(&parent).unwrap();
                                p.children.insert(path::name(&path).to_string());
                                p.creates += 1;
                                model.insert(path, Node { len: Some(len), ephemeral, ..Node::default() });
                            }
                        }
                        Op::Delete { path } => {
                            let result = zk.delete(&path);
                            let expected = match model.get(&path) {
                                None => ErrorCode::NoNode,
                                Some(n) if !n.children.is_empty() => ErrorCode::NotEmpty,
                                Some(_) => ErrorCode::Ok,
                            };
                            prop_assert_eq!(result.error_code(), expected);
                            if expected == ErrorCode::Ok {
                                model.remove(&path);
                                let parent = path::parent(&path).unwrap();
                                model.get_mut(parent).unwrap().children.remove(path::name(&path));
                            }
                        }
                        Op::SetData { path, len } => {
                            let data = len.map(|len| vec![2; len]);
                            let result = zk.set_data_or_null(&path, data.as_deref());
                            match model.get_mut(&path) {
                                None => prop_assert_eq!(result.error_code(), ErrorCode::NoNode),
                                Some(n) => {
                                    prop_assert_eq!(result.error_code(), ErrorCode::Ok);
                                    n.len = len;
                                }
                            }
                        }
                        Op::Close => {
                            let paths_to_delete = zk.tree.ephemerals_of(0x100);
                            zk.apply(OpCode::CloseSession, Txn::CloseSession { paths_to_delete });
                            let gone: Vec<String> = model.iter().filter(|(_, n)| n.ephemeral).map(|(p, _)| p.clone()).collect();
                            for path in gone {
                                model.remove(&path);
                                let parent = path::parent(&path).unwrap();
                                model.get_mut(parent).unwrap().children.remove(path::name(&path));
                            }
                        }
                    }
                    prop_assert_eq!(zk.tree.node_count(), model.len() as u64);
                    prop_assert_eq!(zk.tree.iter().count(), model.len());
                    let mut ephemerals: Vec<String> = zk.tree.ephemerals_of(0x100);
                    ephemerals.sort();
                    let expected: Vec<String> = model.iter().filter(|(_, n)| n.ephemeral).map(|(p, _)| p.clone()).collect();
                    prop_assert_eq!(ephemerals, expected);
                    for (path, node) in &model {
                        let stat = zk.tree.stat(path).unwrap();
                        let n = node.children.len() as i32;
                        prop_assert_eq!(stat.num_children, n, "{}", path);
                        prop_assert_eq!(stat.cversion, 2 * node.creates - n, "{}", path);
                        prop_assert_eq!(stat.data_length as usize, node.len.unwrap_or(0));
                        let data = zk.tree.node(path).unwrap().data;
                        prop_assert_eq!(data.map(<[u8]>::len), node.len, "{}", path);
                        let children = zk.tree.children(path).unwrap();
                        prop_assert_eq!(&children, &node.children.iter().cloned().collect::<Vec<_>>());
                        let descendants = model.keys().filter(|p| p.starts_with(&descendant_prefix(path)) && *p != "/").count();
                        prop_assert_eq!(zk.tree.all_children_number(path), Some(descendants as i32));
                    }
                }
            }
        }
    }
}
