//! Transactions: the unit the replicated log carries and every replica applies to its tree.
//!
//! A transaction is fully resolved by the server that prepared it (ZooKeeper's
//! `PrepRequestProcessor`): sequential names already carry their suffix, versions are the new
//! versions, ephemeral owners are concrete, the parent's new cversion is given. Applying one
//! therefore needs no clock, no session table and no randomness, and gives the same tree on
//! every replica. Failed writes are transactions too ([`Txn::Error`]): ZooKeeper gives them a
//! zxid, as it does to createSession and closeSession.
//!
//! The records mirror `zookeeper.jute`'s txn module: CreateTxn, CreateContainerTxn and
//! CreateTTLTxn become one [`Txn::Create`] whose `ephemeral_owner` carries ZooKeeper's encoding
//! of the node's kind ([`EphemeralType`]).

use crate::data::tree::DataTree;
use crate::data::types::{Acl, ErrorCode, OpCode, SessionId, Zxid};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// ZooKeeper's `TxnHeader`, with the time given rather than read from a clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnHeader {
    /// The session that asked for the change (`clientId`).
    pub session_id: SessionId,
    /// The client's request number within its session, echoed in the reply.
    pub cxid: i32,
    pub zxid: Zxid,
    /// Wall-clock milliseconds the leader stamped; becomes ctime/mtime of what the txn touches.
    pub time_ms: i64,
    /// The opcode of the request this txn answers (create, create2, createContainer, multi,
    /// closeSession, ...). Unlike ZooKeeper's header, a failed request keeps its own opcode
    /// here (its txn is [`Txn::Error`]), so a log reader can tell what was attempted; the reply
    /// also depends on it (create answers a path, create2 a path and a Stat).
    pub op: OpCode,
}

/// One replicated change. See the module doc for why every value is already resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Txn {
    /// `CreateSessionTxn`: the session's negotiated timeout. Changes no znode.
    CreateSession { timeout_ms: i32 },
    /// `CloseSessionTxn`: the session's ephemerals to delete, in the order the preparing
    /// server listed them ([`crate::data::tree::DataTree::ephemerals_of`] gives ZooKeeper's).
    /// Applying also deletes any ephemeral of the session the list missed, as ZooKeeper does.
    CloseSession { paths_to_delete: Vec<String> },
    /// `CreateTxn`, `CreateContainerTxn` or `CreateTTLTxn`.
    Create {
        /// Final path, sequential suffix included.
        path: String,
        /// `None` for null data (the client sent a buffer of length -1), which the znode
        /// keeps: getData answers null, not an empty buffer.
        #[serde(with = "serde_bytes")]
        data: Option<Vec<u8>>,
        acl: Vec<Acl>,
        /// 0 for a persistent znode, the owning session for an ephemeral one, or the
        /// container/TTL encoding of [`EphemeralType::owner`].
        ephemeral_owner: i64,
        /// The parent's new (persisted) cversion; -1 asks the tree to add one to the current.
        parent_cversion: i32,
    },
    /// `DeleteTxn` (also what deleteContainer and expired TTL znodes produce).
    Delete { path: String },
    /// `SetDataTxn`; `version` is the znode's new version.
    SetData {
        path: String,
        /// `None` for null data, as in [`Txn::Create`].
        #[serde(with = "serde_bytes")]
        data: Option<Vec<u8>>,
        version: i32,
    },
    /// `SetACLTxn`; `version` is the znode's new aversion.
    SetAcl {
        path: String,
        acl: Vec<Acl>,
        version: i32,
    },
    /// `CheckVersionTxn`: a multi's version check that passed. Changes nothing.
    Check { path: String, version: i32 },
    /// `MultiTxn`: applied all or nothing. A prepared multi that failed holds the real txns of
    /// the ops before the failing one, an `Error` with its code, then `Error`s with
    /// RuntimeInconsistency.
    Multi(Vec<Txn>),
    /// `ErrorTxn`: a write that failed while being prepared. Changes nothing.
    Error { code: ErrorCode },
}

/// What a znode's `ephemeralOwner` encodes (`EphemeralType`, with ZooKeeper's extended types
/// enabled, which TTL znodes require).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EphemeralType {
    /// Owner 0.
    Persistent,
    /// An ordinary ephemeral, deleted when its session closes.
    Session(SessionId),
    /// A container (owner `i64::MIN`), deleted once empty.
    Container,
    /// A TTL znode (high byte 0xff, then two zero bytes, then the TTL in ms).
    Ttl { ttl_ms: i64 },
}

/// The owner that marks a container znode (`EphemeralType.CONTAINER_EPHEMERAL_OWNER`).
pub const CONTAINER_EPHEMERAL_OWNER: i64 = i64::MIN;
/// The largest TTL ZooKeeper accepts: 2^40 - 1 ms, about 34 years (checked: the real server
/// accepts this value and answers BadArguments for one more, for 0 and for -1).
pub const TTL_MAX_MS: i64 = (1 << 40) - 1;

const EXTENDED_MASK: u64 = 0xff00_0000_0000_0000;
const EXTENDED_FEATURE_MASK: u64 = 0x00ff_ff00_0000_0000;
const EXTENDED_FEATURE_TTL: u64 = 0;

impl EphemeralType {
    /// Decodes an owner; `None` for an extended owner whose feature bits name no known
    /// feature (ZooKeeper throws "Invalid ephemeralOwner" for those).
    pub fn from_owner(owner: i64) -> Option<EphemeralType> {
        let bits = owner as u64;
        if bits & EXTENDED_MASK == EXTENDED_MASK {
            if (bits & EXTENDED_FEATURE_MASK) >> 40 != EXTENDED_FEATURE_TTL {
                return None;
            }
            return Some(EphemeralType::Ttl {
                ttl_ms: (bits & !(EXTENDED_MASK | EXTENDED_FEATURE_MASK)) as i64,
            });
        }
        Some(match owner {
            0 => EphemeralType::Persistent,
            CONTAINER_EPHEMERAL_OWNER => EphemeralType::Container,
            session => EphemeralType::Session(session),
        })
    }

    /// The `ephemeralOwner` value stored for this kind. A TTL outside 1..=TTL_MAX_MS is
    /// masked to 40 bits; use [`EphemeralType::ttl`] to validate one first.
    pub fn owner(self) -> i64 {
        match self {
            EphemeralType::Persistent => 0,
            EphemeralType::Session(session) => session,
            EphemeralType::Container => CONTAINER_EPHEMERAL_OWNER,
            EphemeralType::Ttl { ttl_ms } => {
                (EXTENDED_MASK | (ttl_ms as u64 & !(EXTENDED_MASK | EXTENDED_FEATURE_MASK))) as i64
            }
        }
    }

    /// A TTL kind, or `None` when ZooKeeper would refuse the TTL (BadArguments).
    pub fn ttl(ttl_ms: i64) -> Option<EphemeralType> {
        (1..=TTL_MAX_MS)
            .contains(&ttl_ms)
            .then_some(EphemeralType::Ttl { ttl_ms })
    }

    /// The `ephemeralOwner` a client sees in a Stat: only ordinary ephemerals show their
    /// session; containers and TTL znodes show 0 (checked against the real server).
    pub fn client_visible_owner(owner: i64) -> i64 {
        match EphemeralType::from_owner(owner) {
            Some(EphemeralType::Session(session)) => session,
            _ => 0,
        }
    }
}

/// The name of a sequential znode: the client's path followed by the parent's persisted
/// cversion as Java's `%010d` writes it. The counter is a Java int: past 2^31-1 it wraps and
/// the suffix turns negative (`-2147483648`, and `-000000005` for -5).
pub fn sequential_path(requested_path: &str, parent_cversion: i32) -> String {
    format!("{requested_path}{parent_cversion:010}")
}

impl Txn {
    /// A create of the given kind, with the parent's next cversion already worked out.
    /// `data` is a `Vec<u8>`, or an `Option` whose `None` is null data.
    pub fn create(
        path: impl Into<String>,
        data: impl Into<Option<Vec<u8>>>,
        acl: Vec<Acl>,
        kind: EphemeralType,
        parent_cversion: i32,
    ) -> Txn {
        Txn::Create {
            path: path.into(),
            data: data.into(),
            acl,
            ephemeral_owner: kind.owner(),
            parent_cversion,
        }
    }

    /// Whether applying this txn can change the tree.
    pub fn is_write(&self) -> bool {
        !matches!(
            self,
            Txn::CreateSession { .. } | Txn::Check { .. } | Txn::Error { .. }
        )
    }
}

/// Recovery: replays one logged transaction onto a tree and the table of open sessions
/// (id -> timeout) that a snapshot keeps beside it.
pub fn replay(
    tree: &mut DataTree,
    sessions: &mut BTreeMap<SessionId, i32>,
    header: &TxnHeader,
    txn: &Txn,
) {
    tree.apply(header, txn);
    match txn {
        Txn::CreateSession { timeout_ms } => {
            sessions.insert(header.session_id, *timeout_ms);
        }
        Txn::CloseSession { .. } => {
            sessions.remove(&header.session_id);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ephemeral_owner_encodings_round_trip() {
        for kind in [
            EphemeralType::Persistent,
            EphemeralType::Session(0x0100_0012_3456_0000),
            EphemeralType::Container,
            EphemeralType::Ttl { ttl_ms: 1 },
            EphemeralType::Ttl { ttl_ms: TTL_MAX_MS },
        ] {
            assert_eq!(EphemeralType::from_owner(kind.owner()), Some(kind));
        }
        // EphemeralType's own examples: a 1 ms TTL and the container marker.
        assert_eq!(
            EphemeralType::Ttl { ttl_ms: 1 }.owner() as u64,
            0xff00_0000_0000_0001
        );
        assert_eq!(
            EphemeralType::Container.owner() as u64,
            0x8000_0000_0000_0000
        );
        // An extended owner with an unknown feature number is invalid: so is any negative
        // session id whose high byte is 0xff (ZooKeeper keeps server ids below 255).
        assert_eq!(EphemeralType::from_owner(-5), None);
        assert_eq!(
            EphemeralType::from_owner(0xff00_0100_0000_0000_u64 as i64),
            None
        );
    }

    #[test]
    fn ttl_must_be_positive_and_fit_forty_bits() {
        assert_eq!(EphemeralType::ttl(0), None);
        assert_eq!(EphemeralType::ttl(-1), None);
        assert_eq!(EphemeralType::ttl(TTL_MAX_MS + 1), None);
        assert_eq!(
            EphemeralType::ttl(5000),
            Some(EphemeralType::Ttl { ttl_ms: 5000 })
        );
    }

    #[test]
    fn only_session_owners_are_visible_to_clients() {
        assert_eq!(EphemeralType::client_visible_owner(0x42), 0x42);
        assert_eq!(
            EphemeralType::client_visible_owner(CONTAINER_EPHEMERAL_OWNER),
            0
        );
        assert_eq!(
            EphemeralType::client_visible_owner(EphemeralType::Ttl { ttl_ms: 9 }.owner()),
            0
        );
    }

    /// Checked against the real server: `/p/` sequential gives `/p/0000000000`, and after
    /// creating a, b and deleting a, `s-` gives `s-0000000002` (the persisted cversion).
    #[test]
    fn sequential_suffix_is_ten_digits_like_javas_format() {
        assert_eq!(sequential_path("/p/", 0), "/p/0000000000");
        assert_eq!(sequential_path("/p/s-", 2), "/p/s-0000000002");
        assert_eq!(sequential_path("/q-", i32::MAX), "/q-2147483647");
        assert_eq!(
            sequential_path("/q-", i32::MAX.wrapping_add(1)),
            "/q--2147483648"
        );
        assert_eq!(sequential_path("/q-", -5), "/q--000000005");
    }

    #[test]
    fn create_helper_resolves_the_owner_and_writes_are_told_apart() {
        let txn = Txn::create(
            "/c",
            Vec::new(),
            Acl::open_unsafe(),
            EphemeralType::Container,
            3,
        );
        assert!(matches!(
            txn,
            Txn::Create {
                ephemeral_owner: CONTAINER_EPHEMERAL_OWNER,
                parent_cversion: 3,
                ..
            }
        ));
        assert!(txn.is_write());
        assert!(Txn::Multi(vec![txn]).is_write());
        assert!(!Txn::Check {
            path: "/a".into(),
            version: 1
        }
        .is_write());
        assert!(!Txn::Error {
            code: ErrorCode::NoNode
        }
        .is_write());
    }

    /// Logs written before znode data was serialized as bytes must still read back: postcard
    /// writes a byte buffer exactly as it wrote the same bytes as a sequence of u8.
    #[test]
    fn data_serialized_as_bytes_encodes_as_the_old_byte_sequence() {
        /// `Txn` as it was serialized before, up to SetData (same variants, same order).
        #[derive(Serialize)]
        #[allow(dead_code)]
        enum ElementWise {
            CreateSession {
                timeout_ms: i32,
            },
            CloseSession {
                paths_to_delete: Vec<String>,
            },
            Create {
                path: String,
                data: Option<Vec<u8>>,
                acl: Vec<Acl>,
                ephemeral_owner: i64,
                parent_cversion: i32,
            },
            Delete {
                path: String,
            },
            SetData {
                path: String,
                data: Option<Vec<u8>>,
                version: i32,
            },
        }
        for data in [Some((0..=255).collect::<Vec<u8>>()), Some(Vec::new()), None] {
            let now = Txn::SetData {
                path: "/p".to_string(),
                data: data.clone(),
                version: 7,
            };
            let before = ElementWise::SetData {
                path: "/p".to_string(),
                data: data.clone(),
                version: 7,
            };
            assert_eq!(
                postcard::to_allocvec(&now).unwrap(),
                postcard::to_allocvec(&before).unwrap()
            );
            let now = Txn::create(
                "/c",
                data.clone(),
                Acl::open_unsafe(),
                EphemeralType::Container,
                2,
            );
            let before = ElementWise::Create {
                path: "/c".to_string(),
                data: data.clone(),
                acl: Acl::open_unsafe(),
                ephemeral_owner: CONTAINER_EPHEMERAL_OWNER,
                parent_cversion: 2,
            };
            assert_eq!(
                postcard::to_allocvec(&now).unwrap(),
                postcard::to_allocvec(&before).unwrap()
            );
            let decoded: Txn =
                postcard::from_bytes(&postcard::to_allocvec(&before).unwrap()).unwrap();
            assert_eq!(decoded, now);
        }
    }

    #[test]
    fn create_helper_keeps_null_data_apart_from_empty() {
        let data_of = |txn: Txn| match txn {
            Txn::Create { data, .. } => data,
            other => panic!("{other:?}"),
        };
        let create = |data: Option<Vec<u8>>| {
            Txn::create("/n", data, Acl::open_unsafe(), EphemeralType::Persistent, 1)
        };
        assert_eq!(data_of(create(None)), None);
        assert_eq!(data_of(create(Some(Vec::new()))), Some(Vec::new()));
        let plain = Txn::create(
            "/n",
            b"x".to_vec(),
            Acl::open_unsafe(),
            EphemeralType::Persistent,
            1,
        );
        assert_eq!(data_of(plain), Some(b"x".to_vec()));
    }
}
