//! Preparing writes (ZooKeeper's `PrepRequestProcessor`): a write request is checked against
//! the tree as outstanding changes will leave it, and turned into a fully resolved
//! [`Txn`]. The checks run in ZooKeeper's order, because the order decides which error a
//! client sees when several apply (an InvalidACL before a NoNode, a NoAuth before a
//! NodeExists). A refused write still becomes a transaction ([`Txn::Error`]) with a zxid.

use super::pending::{NodeState, PendingChanges};
use crate::data::acl::{AuthInfo, AuthProviders};
use crate::data::path;
use crate::data::tree::DataTree;
use crate::data::txn::{sequential_path, EphemeralType, Txn};
use crate::data::types::{perms, Acl, CreateMode, ErrorCode, OpCode, SessionId, Zxid};
use crate::proto::records::{CreateRequest, CreateTtlRequest, MultiOp, Request};

/// The znodes ZooKeeper will not let a client delete.
const SPECIAL_PATHS: [&str; 4] = ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"];

/// Everything preparing one request may read, and the overlay it updates.
pub struct Prep<'a> {
    pub tree: &'a DataTree,
    pub pending: &'a mut PendingChanges,
    pub providers: &'a AuthProviders,
    pub auth: &'a AuthInfo,
    pub session: SessionId,
    pub zxid: Zxid,
    pub extended_types_enabled: bool,
}

/// A create request of any flavour, reduced to what preparing it needs.
struct CreateArgs<'r> {
    path: &'r str,
    data: &'r Option<Vec<u8>>,
    acl: &'r [Acl],
    flags: i32,
    ttl: i64,
    op: OpCode,
}

impl<'r> CreateArgs<'r> {
    fn plain(request: &'r CreateRequest, op: OpCode) -> Self {
        CreateArgs {
            path: &request.path,
            data: &request.data,
            acl: &request.acl,
            flags: request.flags,
            ttl: -1,
            op,
        }
    }

    fn ttl(request: &'r CreateTtlRequest) -> Self {
        CreateArgs {
            path: &request.path,
            data: &request.data,
            acl: &request.acl,
            flags: request.flags,
            ttl: request.ttl,
            op: OpCode::CreateTtl,
        }
    }
}

/// The parent of a path as ZooKeeper's create finds it: everything before the last slash
/// (the root for `/x`); a path without a slash or with a NUL is BadArguments.
fn parent_for_create(path: &str) -> Result<&str, ErrorCode> {
    let last_slash = path.rfind('/').ok_or(ErrorCode::BadArguments)?;
    if path.contains('\0') {
        return Err(ErrorCode::BadArguments);
    }
    Ok(if last_slash == 0 {
        "/"
    } else {
        &path[..last_slash]
    })
}

/// `checkAndIncVersion`: -1 matches any version.
fn next_version(current: i32, expected: i32) -> Result<i32, ErrorCode> {
    if expected != -1 && expected != current {
        return Err(ErrorCode::BadVersion);
    }
    Ok(current.wrapping_add(1))
}

fn validate(path: &str) -> Result<(), ErrorCode> {
    path::validate_path(path).map_err(|_| ErrorCode::BadArguments)
}

impl Prep<'_> {
    fn node(&self, path: &str) -> Result<NodeState, ErrorCode> {
        self.pending
            .lookup(self.tree, path)
            .ok_or(ErrorCode::NoNode)
    }

    fn check_acl(&self, acl: &[Acl], perm: i32) -> Result<(), ErrorCode> {
        self.providers.check_acl(acl, perm, self.auth)
    }

    /// Prepares one write request. Reads and session requests are not for this function.
    pub fn write(&mut self, request: &Request) -> Result<Txn, ErrorCode> {
        match request {
            Request::Create(create) => self.create(CreateArgs::plain(create, OpCode::Create)),
            Request::Create2(create) => self.create(CreateArgs::plain(create, OpCode::Create2)),
            Request::CreateContainer(create) => {
                self.create(CreateArgs::plain(create, OpCode::CreateContainer))
            }
            Request::CreateTtl(create) => self.create(CreateArgs::ttl(create)),
            Request::Delete(delete) => self.delete(&delete.path, delete.version),
            Request::SetData(set) => self.set_data(&set.path, &set.data, set.version),
            Request::SetAcl(set) => self.set_acl(&set.path, &set.acl, set.version),
            Request::Check(check) => self.check(&check.path, check.version),
            Request::Reconfig(_) => Err(ErrorCode::ReconfigDisabled),
            _ => Err(ErrorCode::Unimplemented),
        }
    }

    /// Prepares a multi: every op with the same zxid, each seeing the ones before it. On the
    /// first failure the overlay is rolled back, the failing op becomes an Error with its
    /// code, and every later op an Error with RuntimeInconsistency. Also returns the opcode
    /// each op runs as, which decides its result's shape: as in ZooKeeper, a create's flags
    /// choose create, createContainer or createTTL, whatever opcode the client used.
    pub fn multi(&mut self, ops: &[MultiOp]) -> (Txn, Vec<OpCode>) {
        let saved = self.pending.clone();
        let mut failed = false;
        let mut txns = Vec::with_capacity(ops.len());
        let mut op_codes = Vec::with_capacity(ops.len());
        for op in ops {
            let op_code = multi_op_code(op);
            let args = match op {
                MultiOp::Create(create)
                | MultiOp::Create2(create)
                | MultiOp::CreateContainer(create) => Some(CreateArgs::plain(create, op_code)),
                MultiOp::CreateTtl(create) => Some(CreateArgs::ttl(create)),
                _ => None,
            };
            op_codes.push(op_code);
            if failed {
                txns.push(Txn::Error {
                    code: ErrorCode::RuntimeInconsistency,
                });
                continue;
            }
            let prepared = match (args, op) {
                (Some(args), _) => self.create(args),
                (None, MultiOp::Delete(delete)) => self.delete(&delete.path, delete.version),
                (None, MultiOp::SetData(set)) => self.set_data(&set.path, &set.data, set.version),
                (None, MultiOp::Check(check)) => self.check(&check.path, check.version),
                (None, _) => Err(ErrorCode::BadArguments),
            };
            match prepared {
                Ok(txn) => txns.push(txn),
                Err(code) => {
                    failed = true;
                    *self.pending = saved.clone();
                    txns.push(Txn::Error { code });
                }
            }
        }
        (Txn::Multi(txns), op_codes)
    }

    fn create(&mut self, args: CreateArgs<'_>) -> Result<Txn, ErrorCode> {
        let mode = CreateMode::from_flag(args.flags).ok_or(ErrorCode::BadArguments)?;
        if mode.is_ttl() && !self.extended_types_enabled {
            return Err(ErrorCode::Unimplemented);
        }
        // The opcode, not the flag, makes containers and TTL znodes (ZooKeeper's DataTree
        // gives createContainer and createTTL txns their owner encodings); a TTL must be in
        // range for a TTL mode, and a TTL mode needs createTTL.
        let kind = match args.op {
            OpCode::CreateContainer => EphemeralType::Container,
            OpCode::CreateTtl if mode.is_ttl() => {
                EphemeralType::ttl(args.ttl).ok_or(ErrorCode::BadArguments)?
            }
            OpCode::CreateTtl => return Err(ErrorCode::BadArguments),
            _ if mode.is_ttl() => return Err(ErrorCode::BadArguments),
            _ if mode.is_ephemeral() => EphemeralType::Session(self.session),
            _ => EphemeralType::Persistent,
        };
        let parent_path = parent_for_create(args.path)?;
        let acl = self
            .providers
            .fixup_acl(args.acl, self.auth)
            .map_err(|_| ErrorCode::InvalidAcl)?;
        let parent = self.node(parent_path)?;
        self.check_acl(&parent.acl, perms::CREATE)?;
        let path = if mode.is_sequential() {
            sequential_path(args.path, parent.cversion)
        } else {
            args.path.to_string()
        };
        validate(&path)?;
        if self.pending.lookup(self.tree, &path).is_some() {
            return Err(ErrorCode::NodeExists);
        }
        if matches!(
            EphemeralType::from_owner(parent.ephemeral_owner),
            Some(EphemeralType::Session(_))
        ) {
            return Err(ErrorCode::NoChildrenForEphemerals);
        }
        let parent_cversion = parent.cversion.wrapping_add(1);
        let mut parent_after = parent;
        parent_after.child_count += 1;
        parent_after.cversion = parent_cversion;
        self.pending
            .record(self.zxid, parent_path, Some(parent_after));
        self.pending.record(
            self.zxid,
            &path,
            Some(NodeState {
                acl: acl.as_slice().into(),
                version: 0,
                aversion: 0,
                cversion: 0,
                child_count: 0,
                ephemeral_owner: kind.owner(),
            }),
        );
        Ok(Txn::create(
            path,
            args.data.clone(),
            acl,
            kind,
            parent_cversion,
        ))
    }

    fn delete(&mut self, path: &str, version: i32) -> Result<Txn, ErrorCode> {
        let parent_path = parent_for_create(path)?;
        if SPECIAL_PATHS.contains(&path) {
            return Err(ErrorCode::BadArguments);
        }
        let parent = self.node(parent_path)?;
        self.check_acl(&parent.acl, perms::DELETE)?;
        let node = self.node(path)?;
        next_version(node.version, version)?;
        if node.child_count > 0 {
            return Err(ErrorCode::NotEmpty);
        }
        let mut parent_after = parent;
        parent_after.child_count -= 1;
        self.pending
            .record(self.zxid, parent_path, Some(parent_after));
        self.pending.record(self.zxid, path, None);
        Ok(Txn::Delete {
            path: path.to_string(),
        })
    }

    fn set_data(
        &mut self,
        path: &str,
        data: &Option<Vec<u8>>,
        version: i32,
    ) -> Result<Txn, ErrorCode> {
        validate(path)?;
        let node = self.node(path)?;
        self.check_acl(&node.acl, perms::WRITE)?;
        let new_version = next_version(node.version, version)?;
        let mut after = node;
        after.version = new_version;
        self.pending.record(self.zxid, path, Some(after));
        Ok(Txn::SetData {
            path: path.to_string(),
            data: data.clone(),
            version: new_version,
        })
    }

    fn set_acl(&mut self, path: &str, acl: &[Acl], version: i32) -> Result<Txn, ErrorCode> {
        validate(path)?;
        let acl = self
            .providers
            .fixup_acl(acl, self.auth)
            .map_err(|_| ErrorCode::InvalidAcl)?;
        let node = self.node(path)?;
        self.check_acl(&node.acl, perms::ADMIN)?;
        let new_aversion = next_version(node.aversion, version)?;
        let mut after = node;
        after.aversion = new_aversion;
        after.acl = acl.as_slice().into();
        self.pending.record(self.zxid, path, Some(after));
        Ok(Txn::SetAcl {
            path: path.to_string(),
            acl,
            version: new_aversion,
        })
    }

    fn check(&mut self, path: &str, version: i32) -> Result<Txn, ErrorCode> {
        validate(path)?;
        let node = self.node(path)?;
        self.check_acl(&node.acl, perms::READ)?;
        let next = next_version(node.version, version)?;
        Ok(Txn::Check {
            path: path.to_string(),
            version: next,
        })
    }

    /// closeSession: the session's ephemerals as the tree and outstanding changes will have
    /// them, each recorded as being deleted.
    pub fn close_session(&mut self) -> Txn {
        let (created, deleted) = self.pending.ephemeral_changes(self.session);
        let mut paths: Vec<String> = self
            .tree
            .ephemerals_of(self.session)
            .into_iter()
            .filter(|path| !deleted.contains(path))
            .collect();
        for path in created {
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
        for path in &paths {
            if let Ok(parent_path) = parent_for_create(path) {
                if let Some(mut parent) = self.pending.lookup(self.tree, parent_path) {
                    parent.child_count -= 1;
                    self.pending.record(self.zxid, parent_path, Some(parent));
                }
            }
            self.pending.record(self.zxid, path, None);
        }
        Txn::CloseSession {
            paths_to_delete: paths,
        }
    }

    /// deleteContainer, as the container manager submits it for an empty container or an
    /// expired TTL znode: refused (NotEmpty) if a child appeared meanwhile.
    pub fn delete_container(&mut self, path: &str) -> Result<Txn, ErrorCode> {
        let parent_path = parent_for_create(path)?;
        let node = self.node(path)?;
        if node.child_count > 0 {
            return Err(ErrorCode::NotEmpty);
        }
        if matches!(
            EphemeralType::from_owner(node.ephemeral_owner),
            Some(EphemeralType::Session(_))
        ) {
            return Err(ErrorCode::BadVersion);
        }
        let mut parent = self.node(parent_path)?;
        parent.child_count -= 1;
        self.pending.record(self.zxid, parent_path, Some(parent));
        self.pending.record(self.zxid, path, None);
        Ok(Txn::Delete {
            path: path.to_string(),
        })
    }
}

/// The opcode a multi's op runs as, which shapes its result: a create's flags make it a
/// container or TTL create whatever record it came in.
pub fn multi_op_code(op: &MultiOp) -> OpCode {
    match op {
        MultiOp::Create(create) | MultiOp::Create2(create) | MultiOp::CreateContainer(create) => {
            match CreateMode::from_flag(create.flags) {
                Some(mode) if mode.is_container() => OpCode::CreateContainer,
                Some(mode) if mode.is_ttl() => OpCode::CreateTtl,
                _ => OpCode::Create,
            }
        }
        MultiOp::CreateTtl(_) => OpCode::CreateTtl,
        other => other.op_code(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::records::{DeleteRequest, SetDataRequest};

    struct Fixture {
        tree: DataTree,
        pending: PendingChanges,
        providers: AuthProviders,
        auth: AuthInfo,
    }

    impl Fixture {
        fn new() -> Self {
            Fixture {
                tree: DataTree::new(),
                pending: PendingChanges::default(),
                providers: AuthProviders::default(),
                auth: AuthInfo::new(),
            }
        }

        fn prep(&mut self, zxid: i64) -> Prep<'_> {
            Prep {
                tree: &self.tree,
                pending: &mut self.pending,
                providers: &self.providers,
                auth: &self.auth,
                session: 0x77,
                zxid: Zxid(zxid),
                extended_types_enabled: true,
            }
        }
    }

    fn create(path: &str, flags: i32) -> Request {
        Request::Create(CreateRequest {
            path: path.to_string(),
            data: Some(b"x".to_vec()),
            acl: Acl::open_unsafe(),
            flags,
        })
    }

    #[test]
    fn pipelined_create_sees_its_parent_before_it_is_applied() {
        let mut fixture = Fixture::new();
        assert!(fixture.prep(1).write(&create("/a", 0)).is_ok());
        let child = fixture.prep(2).write(&create("/a/b", 0)).unwrap();
        assert!(
            matches!(child, Txn::Create { ref path, parent_cversion: 1, .. } if path == "/a/b")
        );
        assert_eq!(
            fixture.prep(3).write(&create("/a", 0)),
            Err(ErrorCode::NodeExists)
        );
    }

    #[test]
    fn sequential_names_follow_the_pending_parent_cversion() {
        let mut fixture = Fixture::new();
        fixture.prep(1).write(&create("/q", 0)).unwrap();
        let names: Vec<String> = (2..5)
            .map(
                |zxid| match fixture.prep(zxid).write(&create("/q/n-", 2)).unwrap() {
                    Txn::Create { path, .. } => path,
                    other => panic!("unexpected {other:?}"),
                },
            )
            .collect();
        assert_eq!(
            names,
            ["/q/n-0000000000", "/q/n-0000000001", "/q/n-0000000002"]
        );
    }

    #[test]
    fn ephemeral_parent_refuses_children() {
        let mut fixture = Fixture::new();
        fixture.prep(1).write(&create("/e", 1)).unwrap();
        assert_eq!(
            fixture.prep(2).write(&create("/e/child", 0)),
            Err(ErrorCode::NoChildrenForEphemerals)
        );
    }

    #[test]
    fn invalid_acl_is_reported_before_a_missing_parent() {
        let mut fixture = Fixture::new();
        let request = Request::Create(CreateRequest {
            path: "/missing/child".to_string(),
            data: None,
            acl: vec![],
            flags: 0,
        });
        assert_eq!(fixture.prep(1).write(&request), Err(ErrorCode::InvalidAcl));
    }

    #[test]
    fn versions_are_checked_and_incremented() {
        let mut fixture = Fixture::new();
        fixture.prep(1).write(&create("/v", 0)).unwrap();
        let set = |version| {
            Request::SetData(SetDataRequest {
                path: "/v".to_string(),
                data: Some(b"y".to_vec()),
                version,
            })
        };
        assert_eq!(fixture.prep(2).write(&set(3)), Err(ErrorCode::BadVersion));
        assert!(matches!(
            fixture.prep(3).write(&set(0)),
            Ok(Txn::SetData { version: 1, .. })
        ));
        assert!(matches!(
            fixture.prep(4).write(&set(-1)),
            Ok(Txn::SetData { version: 2, .. })
        ));
    }

    #[test]
    fn special_paths_cannot_be_deleted_and_parents_must_be_empty() {
        let mut fixture = Fixture::new();
        let delete = |path: &str| {
            Request::Delete(DeleteRequest {
                path: path.to_string(),
                version: -1,
            })
        };
        assert_eq!(
            fixture.prep(1).write(&delete("/zookeeper")),
            Err(ErrorCode::BadArguments)
        );
        fixture.prep(2).write(&create("/p", 0)).unwrap();
        fixture.prep(3).write(&create("/p/c", 0)).unwrap();
        assert_eq!(
            fixture.prep(4).write(&delete("/p")),
            Err(ErrorCode::NotEmpty)
        );
        assert!(fixture.prep(5).write(&delete("/p/c")).is_ok());
        assert!(
            fixture.prep(6).write(&delete("/p")).is_ok(),
            "the pending delete emptied it"
        );
    }

    #[test]
    fn failed_multi_rolls_back_its_earlier_ops() {
        let mut fixture = Fixture::new();
        let ops = vec![
            MultiOp::Create(CreateRequest {
                path: "/m".to_string(),
                data: None,
                acl: Acl::open_unsafe(),
                flags: 0,
            }),
            MultiOp::Delete(DeleteRequest {
                path: "/nope".to_string(),
                version: -1,
            }),
            MultiOp::Delete(DeleteRequest {
                path: "/m".to_string(),
                version: -1,
            }),
        ];
        let (Txn::Multi(txns), _) = fixture.prep(1).multi(&ops) else {
            panic!("a multi prepares to a multi");
        };
        assert!(matches!(txns[0], Txn::Create { .. }));
        assert_eq!(
            txns[1],
            Txn::Error {
                code: ErrorCode::NoNode
            }
        );
        assert_eq!(
            txns[2],
            Txn::Error {
                code: ErrorCode::RuntimeInconsistency
            }
        );
        assert!(
            fixture.pending.is_empty(),
            "nothing of the failed multi stays outstanding"
        );
        assert!(fixture.prep(2).write(&create("/m", 0)).is_ok());
    }

    /// A null buffer (length -1 on the wire) stays null in every create flavour, in setData
    /// and inside a multi; an empty one stays empty. Applied, the tree keeps the difference.
    #[test]
    fn null_data_is_prepared_as_null_not_empty() {
        let mut fixture = Fixture::new();
        let plain = |path: &str, data: Option<Vec<u8>>| CreateRequest {
            path: path.to_string(),
            data,
            acl: Acl::open_unsafe(),
            flags: 0,
        };
        let requests = [
            Request::Create(plain("/c1", None)),
            Request::Create2(plain("/c2", None)),
            Request::CreateContainer(CreateRequest {
                flags: 4,
                ..plain("/c3", None)
            }),
            Request::CreateTtl(CreateTtlRequest {
                path: "/c4".to_string(),
                data: None,
                acl: Acl::open_unsafe(),
                flags: 5,
                ttl: 1000,
            }),
            Request::Create(plain("/empty", Some(Vec::new()))),
            Request::SetData(SetDataRequest {
                path: "/empty".to_string(),
                data: None,
                version: -1,
            }),
            Request::SetData(SetDataRequest {
                path: "/c1".to_string(),
                data: Some(Vec::new()),
                version: -1,
            }),
        ];
        let mut txns = Vec::new();
        for (zxid, request) in (1..).zip(&requests) {
            txns.push(fixture.prep(zxid).write(request).unwrap());
        }
        let data: Vec<Option<Vec<u8>>> = txns
            .iter()
            .map(|txn| match txn {
                Txn::Create { data, .. } | Txn::SetData { data, .. } => data.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        let empty = Some(Vec::new());
        assert_eq!(
            data,
            [None, None, None, None, empty.clone(), None, empty.clone()]
        );
        let (multi, _) = fixture.prep(8).multi(&[
            MultiOp::Create(plain("/m", None)),
            MultiOp::SetData(SetDataRequest {
                path: "/c2".to_string(),
                data: Some(b"d".to_vec()),
                version: -1,
            }),
            MultiOp::SetData(SetDataRequest {
                path: "/c2".to_string(),
                data: None,
                version: -1,
            }),
        ]);
        let Txn::Multi(ops) = &multi else {
            panic!("{multi:?}");
        };
        assert!(matches!(&ops[0], Txn::Create { data: None, .. }));
        assert!(matches!(&ops[2], Txn::SetData { data: None, .. }));
        txns.push(multi);
        for (zxid, txn) in (1..).zip(&txns) {
            let header = crate::data::txn::TxnHeader {
                session_id: 0x77,
                cxid: 0,
                zxid: Zxid(zxid),
                time_ms: 0,
                op: OpCode::Create2,
            };
            fixture.tree.apply(&header, txn);
        }
        let data_of = |path: &str| fixture.tree.node(path).unwrap().data.map(<[u8]>::to_vec);
        for path in ["/c2", "/c3", "/c4", "/empty", "/m"] {
            assert_eq!(data_of(path), None, "{path}");
        }
        assert_eq!(data_of("/c1"), empty);
    }

    #[test]
    fn ttl_nodes_need_extended_types_and_a_valid_ttl() {
        let mut fixture = Fixture::new();
        let ttl = |ttl| {
            Request::CreateTtl(CreateTtlRequest {
                path: "/t".to_string(),
                data: None,
                acl: Acl::open_unsafe(),
                flags: 5,
                ttl,
            })
        };
        assert_eq!(fixture.prep(1).write(&ttl(0)), Err(ErrorCode::BadArguments));
        assert!(fixture.prep(2).write(&ttl(1000)).is_ok());
        let mut prep = fixture.prep(3);
        prep.extended_types_enabled = false;
        assert_eq!(prep.write(&ttl(1000)), Err(ErrorCode::Unimplemented));
    }
}
