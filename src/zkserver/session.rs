//! Session tracking as ZooKeeper does it: sessions expire in batches at tick boundaries,
//! ids carry the server id in their top byte, and passwords are derived from the id so that
//! any server can check a reconnecting client without having stored anything.

use crate::data::types::SessionId;
use crate::time::VirtualTime;
use std::collections::{BTreeMap, BTreeSet};

/// ZooKeeper's container znodes use this owner value, so no session may have it as an id.
const CONTAINER_EPHEMERAL_OWNER: SessionId = i64::MIN;

/// Mixed into the password seed (ZooKeeperServer's "super secret").
const PASSWORD_SECRET: i64 = 0xB341_5C00;

pub const PASSWORD_LEN: usize = 16;

/// Session timeout bounds, from zoo.cfg's minSessionTimeout and maxSessionTimeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeoutBounds {
    pub min_ms: i32,
    pub max_ms: i32,
}

impl TimeoutBounds {
    /// ZooKeeper's defaults: 2 and 20 ticks.
    pub fn from_tick(tick_ms: i32) -> TimeoutBounds {
        TimeoutBounds {
            min_ms: tick_ms.saturating_mul(2),
            max_ms: tick_ms.saturating_mul(20),
        }
    }

    /// The timeout a client gets for the one it asked for.
    pub fn negotiate(self, requested_ms: i32) -> i32 {
        requested_ms.max(self.min_ms).min(self.max_ms)
    }
}

/// The first session id a server hands out: its id in the top byte, then 40 bits of the
/// time it started, then 16 zero bits, so that ids from different servers and different
/// starts of one server do not collide. Never 0 (that owner means "persistent", and id 0 can
/// never be resumed) nor the container owner: a simulated server starting at time 0 would
/// otherwise get 0.
pub fn first_session_id(server_id: u64, started_ms: u64) -> SessionId {
    let time_part = ((started_ms << 24) >> 8) as i64;
    let id = time_part | ((server_id as i64) << 56);
    if id == CONTAINER_EPHEMERAL_OWNER || id == 0 {
        id + 1
    } else {
        id
    }
}

/// The password of a session: 16 bytes from Java's `java.util.Random` seeded with
/// `id ^ secret`, byte for byte what Apache ZooKeeper sends, so clients can reconnect across
/// servers (and across ZooKeeper and zooscope) with the password they were given.
pub fn session_password(id: SessionId) -> [u8; PASSWORD_LEN] {
    let mut random = JavaRandom::new(id ^ PASSWORD_SECRET);
    let mut password = [0u8; PASSWORD_LEN];
    for chunk in password.chunks_mut(4) {
        let word = random.next_int();
        for (i, byte) in chunk.iter_mut().enumerate() {
            *byte = (word >> (8 * i)) as u8;
        }
    }
    password
}

/// Whether `password` is the one `id` was given. Id 0 never matches (no session has it).
pub fn password_matches(id: SessionId, password: &[u8]) -> bool {
    id != 0 && password == session_password(id)
}

/// Java's 48-bit linear congruential generator, for `session_password` only.
struct JavaRandom {
    seed: u64,
}

impl JavaRandom {
    const MULTIPLIER: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;

    fn new(seed: i64) -> JavaRandom {
        JavaRandom {
            seed: (seed as u64 ^ Self::MULTIPLIER) & Self::MASK,
        }
    }

    fn next_int(&mut self) -> i32 {
        self.seed = (self.seed.wrapping_mul(Self::MULTIPLIER).wrapping_add(0xB)) & Self::MASK;
        (self.seed >> 16) as i32
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub timeout_ms: i32,
    /// The tick boundary at which the session expires unless touched before.
    pub expires_at: VirtualTime,
    /// Set once expiry or close has begun: the session accepts no more requests.
    pub closing: bool,
}

/// Why a session cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionError {
    Unknown,
    Closing,
}

/// The live sessions and their expiry buckets.
pub struct SessionTracker {
    tick_ms: u64,
    next_id: SessionId,
    sessions: BTreeMap<SessionId, Session>,
    /// Expiry time -> sessions due then. Every key is a multiple of the tick.
    buckets: BTreeMap<VirtualTime, BTreeSet<SessionId>>,
}

impl SessionTracker {
    pub fn new(tick_ms: u64, first_id: SessionId) -> SessionTracker {
        SessionTracker {
            tick_ms: tick_ms.max(1),
            next_id: first_id,
            sessions: BTreeMap::new(),
            buckets: BTreeMap::new(),
        }
    }

    pub fn get(&self, id: SessionId) -> Option<&Session> {
        self.sessions.get(&id)
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    pub fn sessions(&self) -> impl Iterator<Item = &Session> {
        self.sessions.values()
    }

    /// The id the next created session will get.
    pub fn peek_next_id(&self) -> SessionId {
        self.next_id
    }

    /// Starts tracking a new session and returns its id.
    pub fn create(&mut self, timeout_ms: i32, now: VirtualTime) -> SessionId {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.track(id, timeout_ms, now);
        id
    }

    /// Tracks a session with a known id (one recovered from disk or learned from a leader).
    /// Returns false if it was already tracked; its expiry is refreshed either way.
    pub fn track(&mut self, id: SessionId, timeout_ms: i32, now: VirtualTime) -> bool {
        let added = !self.sessions.contains_key(&id);
        if added {
            self.sessions.insert(
                id,
                Session {
                    id,
                    timeout_ms,
                    expires_at: VirtualTime::ZERO,
                    closing: false,
                },
            );
        }
        self.reschedule(id, now);
        added
    }

    /// A sign of life from the session's client: pushes its expiry back by its timeout.
    pub fn touch(&mut self, id: SessionId, now: VirtualTime) -> Result<(), SessionError> {
        self.check(id)?;
        self.reschedule(id, now);
        Ok(())
    }

    /// Whether requests may be accepted for this session.
    pub fn check(&self, id: SessionId) -> Result<(), SessionError> {
        match self.sessions.get(&id) {
            None => Err(SessionError::Unknown),
            Some(session) if session.closing => Err(SessionError::Closing),
            Some(_) => Ok(()),
        }
    }

    /// Marks a session as closing (a close request is on its way): it takes no more requests.
    pub fn set_closing(&mut self, id: SessionId) {
        if let Some(session) = self.sessions.get_mut(&id) {
            session.closing = true;
        }
    }

    /// Clears a close that was begun but will not happen (its transaction was never committed).
    pub fn reopen(&mut self, id: SessionId) {
        if let Some(session) = self.sessions.get_mut(&id) {
            session.closing = false;
        }
    }

    /// Forgets a session whose close has been applied.
    pub fn remove(&mut self, id: SessionId) -> Option<Session> {
        let session = self.sessions.remove(&id)?;
        self.unbucket(id, session.expires_at);
        Some(session)
    }

    /// The next tick boundary at which some session is due, if any.
    pub fn next_expiry(&self) -> Option<VirtualTime> {
        self.buckets.keys().next().copied()
    }

    /// Every session due at or before `now`, marked closing, in id order within each bucket.
    /// The caller then closes each one (a closeSession transaction).
    pub fn expire_due(&mut self, now: VirtualTime) -> Vec<SessionId> {
        let mut expired = Vec::new();
        while let Some(entry) = self.buckets.first_entry() {
            if *entry.key() > now {
                break;
            }
            expired.extend(entry.remove());
        }
        for &id in &expired {
            self.set_closing(id);
        }
        expired
    }

    /// Rounds up to the next tick boundary strictly after `time`: ZooKeeper's grace period.
    fn round_to_next_tick(&self, time: VirtualTime) -> VirtualTime {
        let ms = time.as_millis();
        VirtualTime::from_millis((ms / self.tick_ms + 1) * self.tick_ms)
    }

    fn reschedule(&mut self, id: SessionId, now: VirtualTime) {
        let Some(session) = self.sessions.get(&id) else {
            return;
        };
        let old = session.expires_at;
        let timeout_ms = u64::try_from(session.timeout_ms).unwrap_or(0);
        let new = self.round_to_next_tick(now + timeout_ms);
        if old == new && self.buckets.get(&new).is_some_and(|b| b.contains(&id)) {
            return;
        }
        self.unbucket(id, old);
        self.buckets.entry(new).or_default().insert(id);
        if let Some(session) = self.sessions.get_mut(&id) {
            session.expires_at = new;
        }
    }

    fn unbucket(&mut self, id: SessionId, at: VirtualTime) {
        if let Some(bucket) = self.buckets.get_mut(&at) {
            bucket.remove(&id);
            if bucket.is_empty() {
                self.buckets.remove(&at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> VirtualTime {
        VirtualTime::from_millis(ms)
    }

    #[test]
    fn timeouts_are_clamped_to_two_and_twenty_ticks_by_default() {
        let bounds = TimeoutBounds::from_tick(2000);
        assert_eq!(bounds.negotiate(1000), 4000);
        assert_eq!(bounds.negotiate(10_000), 10_000);
        assert_eq!(bounds.negotiate(90_000), 40_000);
    }

    #[test]
    fn first_session_id_puts_server_id_in_the_top_byte() {
        let id = first_session_id(3, 0x12_3456_789A);
        assert_eq!((id as u64) >> 56, 3);
        assert_eq!(id & 0xFFFF, 0, "low 16 bits start at zero");
        assert_eq!(first_session_id(1, 5), 0x0100_0000_0005_0000);
        assert_eq!(
            first_session_id(0, 0),
            1,
            "never 0, the owner of persistent znodes"
        );
    }

    #[test]
    fn password_is_javas_random_bytes_seeded_from_the_id() {
        // Expected bytes printed by Java 17: new java.util.Random(id ^ 0xB3415C00L).nextBytes(16 bytes).
        let cases: [(i64, [u8; 16]); 3] = [
            (
                0,
                [
                    0xf2, 0x2a, 0xcd, 0x4a, 0x97, 0xe6, 0x9d, 0x6d, 0x20, 0xa4, 0x9b, 0xb6, 0x38,
                    0xea, 0xdb, 0x38,
                ],
            ),
            (
                0x0100_0000_0500_0000,
                [
                    0xf2, 0x09, 0x4d, 0xaa, 0x97, 0xd9, 0x69, 0x8d, 0x20, 0x1b, 0xc4, 0x80, 0x38,
                    0x95, 0x00, 0x5b,
                ],
            ),
            (
                -5,
                [
                    0xd4, 0x71, 0x44, 0xb5, 0xe4, 0x5e, 0x45, 0xc4, 0x9c, 0x3b, 0x7f, 0xdc, 0xd6,
                    0x62, 0x57, 0xba,
                ],
            ),
        ];
        for (id, expected) in cases {
            assert_eq!(
                session_password(id),
                expected,
                "password of session {id:#x}"
            );
        }
    }

    #[test]
    fn password_check_accepts_only_the_derived_password() {
        let id = first_session_id(1, 1_700_000_000_000);
        assert!(password_matches(id, &session_password(id)));
        assert!(!password_matches(id, &session_password(id + 1)));
        assert!(!password_matches(id, &[0; 16]));
        assert!(
            !password_matches(0, &session_password(0)),
            "id 0 is never a session"
        );
    }

    #[test]
    fn ids_are_handed_out_in_sequence() {
        let mut tracker = SessionTracker::new(2000, 100);
        assert_eq!(tracker.create(4000, at(0)), 100);
        assert_eq!(tracker.create(4000, at(0)), 101);
        assert_eq!(tracker.len(), 2);
    }

    #[test]
    fn expiry_is_rounded_up_to_the_next_tick_boundary() {
        let mut tracker = SessionTracker::new(2000, 1);
        let id = tracker.create(4000, at(500));
        // 500 + 4000 = 4500, rounded up to the next multiple of 2000.
        assert_eq!(tracker.get(id).unwrap().expires_at, at(6000));
        let exact = tracker.create(4000, at(0));
        assert_eq!(
            tracker.get(exact).unwrap().expires_at,
            at(6000),
            "a boundary rounds to the next one"
        );
    }

    #[test]
    fn untouched_session_expires_at_its_boundary_and_is_marked_closing() {
        let mut tracker = SessionTracker::new(2000, 1);
        let id = tracker.create(4000, at(500));
        assert!(tracker.expire_due(at(5999)).is_empty());
        assert_eq!(tracker.expire_due(at(6000)), vec![id]);
        assert_eq!(tracker.check(id), Err(SessionError::Closing));
        assert_eq!(tracker.touch(id, at(6001)), Err(SessionError::Closing));
    }

    #[test]
    fn touching_a_session_postpones_its_expiry() {
        let mut tracker = SessionTracker::new(2000, 1);
        let id = tracker.create(4000, at(0));
        tracker.touch(id, at(3000)).unwrap();
        assert!(tracker.expire_due(at(6000)).is_empty());
        assert_eq!(tracker.next_expiry(), Some(at(8000)));
        assert_eq!(tracker.expire_due(at(8000)), vec![id]);
    }

    #[test]
    fn sessions_due_in_the_same_tick_expire_together() {
        let mut tracker = SessionTracker::new(1000, 10);
        let a = tracker.create(3000, at(100));
        let b = tracker.create(3000, at(900));
        let c = tracker.create(9000, at(0));
        assert_eq!(tracker.expire_due(at(4000)), vec![a, b]);
        assert_eq!(tracker.get(c).map(|s| s.closing), Some(false));
    }

    #[test]
    fn removed_session_is_unknown_and_never_expires() {
        let mut tracker = SessionTracker::new(1000, 10);
        let id = tracker.create(3000, at(0));
        assert!(tracker.remove(id).is_some());
        assert_eq!(tracker.check(id), Err(SessionError::Unknown));
        assert!(tracker.expire_due(at(100_000)).is_empty());
        assert_eq!(tracker.next_expiry(), None);
    }

    #[test]
    fn tracking_a_known_id_refreshes_instead_of_duplicating() {
        let mut tracker = SessionTracker::new(1000, 10);
        assert!(tracker.track(77, 3000, at(0)));
        assert!(!tracker.track(77, 3000, at(5000)));
        assert_eq!(tracker.len(), 1);
        assert_eq!(tracker.get(77).unwrap().expires_at, at(9000));
    }
}
