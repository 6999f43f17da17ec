//! Answering reads (the read half of ZooKeeper's `FinalRequestProcessor`): lookups in the
//! tree, ACL checks, and the watches a read leaves behind, in ZooKeeper's order (a getData on
//! a missing node is NoNode before any ACL check, and leaves no watch; an exists leaves one
//! either way).

use super::{ConnId, ZkServer, PING_XID};
use crate::data::types::{perms, AddWatchMode, ErrorCode, Id, SessionId, WatcherType};
use crate::data::watch::SetWatches as WatchReRegistration;
use crate::proto::records::{
    ClientInfo, ErrorResponse, GetAclResponse, GetAllChildrenNumberResponse, GetChildren2Response,
    GetDataResponse, MultiOp, MultiOpResult, MultiResponse, PathResponse, PathWatchRequest,
    Request, Response, StatResponse, StringListResponse, WhoAmIResponse,
};

impl ZkServer {
    /// Answers one read (or session-level request) that has reached the head of the queue.
    pub(super) fn read(&mut self, conn: ConnId, xid: i32, request: Request) {
        let Some(session) = self.connections.get(&conn).and_then(|c| c.session) else {
            return;
        };
        let result = match &request {
            Request::Ping => {
                self.reply(conn, PING_XID, ErrorCode::Ok, None);
                return;
            }
            Request::SetWatches(set) => {
                let request = WatchReRegistration {
                    relative_zxid: set.relative_zxid,
                    data: set.data_watches.clone(),
                    exist: set.exist_watches.clone(),
                    child: set.child_watches.clone(),
                    ..WatchReRegistration::default()
                };
                self.set_watches(conn, session, request);
                Ok(None)
            }
            Request::SetWatches2(set) => {
                let request = WatchReRegistration {
                    relative_zxid: set.relative_zxid,
                    data: set.data_watches.clone(),
                    exist: set.exist_watches.clone(),
                    child: set.child_watches.clone(),
                    persistent: set.persistent_watches.clone(),
                    persistent_recursive: set.persistent_recursive_watches.clone(),
                };
                self.set_watches(conn, session, request);
                Ok(None)
            }
            other => self.answer_read(conn, session, other),
        };
        match result {
            Ok(body) => self.reply(conn, xid, ErrorCode::Ok, body),
            Err(code) => self.reply(conn, xid, code, None),
        }
    }

    fn answer_read(
        &mut self,
        conn: ConnId,
        session: SessionId,
        request: &Request,
    ) -> Result<Option<Response>, ErrorCode> {
        Ok(Some(match request {
            Request::Exists(exists) => {
                if exists.path.contains('\0') {
                    return Err(ErrorCode::BadArguments);
                }
                if exists.watch {
                    self.watches.watch_exists(session, &exists.path);
                }
                let stat = self.tree.stat(&exists.path).ok_or(ErrorCode::NoNode)?;
                Response::Stat(StatResponse { stat })
            }
            Request::GetData(get) => Response::Data(self.get_data(conn, session, get)?),
            Request::GetChildren(get) => Response::StringList(StringListResponse {
                names: self.get_children(conn, session, get)?,
            }),
            Request::GetChildren2(get) => {
                let children = self.get_children(conn, session, get)?;
                let stat = self.tree.stat(&get.path).ok_or(ErrorCode::NoNode)?;
                Response::Children2(GetChildren2Response { children, stat })
            }
            Request::GetAcl(get) => {
                let node = self.tree.node(&get.path).ok_or(ErrorCode::NoNode)?;
                self.check_read_acl(conn, node.acl, perms::READ | perms::ADMIN)?;
                let stat = node.stat;
                // Without ADMIN a reader sees digest ids with their hash blanked out.
                let acl = if self.check_read_acl(conn, node.acl, perms::ADMIN).is_ok() {
                    node.acl.to_vec()
                } else {
                    node.acl
                        .iter()
                        .map(|entry| {
                            let mut entry = entry.clone();
                            if entry.id.scheme == "digest" {
                                let user = entry.id.id.split(':').next().unwrap_or("");
                                entry.id = Id::new("digest", &format!("{user}:x"));
                            }
                            entry
                        })
                        .collect()
                };
                Response::Acl(GetAclResponse { acl, stat })
            }
            Request::Sync(sync) => Response::Path(PathResponse {
                path: sync.path.clone(),
            }),
            Request::GetAllChildrenNumber(get) => {
                let node = self.tree.node(&get.path).ok_or(ErrorCode::NoNode)?;
                self.check_read_acl(conn, node.acl, perms::READ)?;
                let total_number = self
                    .tree
                    .all_children_number(&get.path)
                    .ok_or(ErrorCode::NoNode)?;
                Response::Count(GetAllChildrenNumberResponse { total_number })
            }
            Request::GetEphemerals(get) => Response::StringList(StringListResponse {
                names: self.tree.ephemerals_with_prefix(session, &get.path),
            }),
            Request::WhoAmI => {
                let auth = self
                    .connections
                    .get(&conn)
                    .map(|c| c.auth.who_am_i())
                    .unwrap_or_default();
                Response::WhoAmI(WhoAmIResponse {
                    client_info: auth
                        .into_iter()
                        .map(|info| ClientInfo {
                            auth_scheme: info.auth_scheme,
                            user: info.user,
                        })
                        .collect(),
                })
            }
            Request::AddWatch(add) => {
                let mode = AddWatchMode::from_code(add.mode).ok_or(ErrorCode::MarshallingError)?;
                self.watches.add_watch(session, &add.path, mode);
                Response::ErrorCode(ErrorResponse { err: 0 })
            }
            Request::CheckWatches(check) => {
                let kind = WatcherType::from_code(check.watcher_type)
                    .ok_or(ErrorCode::MarshallingError)?;
                self.watches.check_watches(&check.path, kind)?;
                return Ok(None);
            }
            Request::RemoveWatches(remove) => {
                let kind = WatcherType::from_code(remove.watcher_type)
                    .ok_or(ErrorCode::MarshallingError)?;
                self.watches.remove_watches(session, &remove.path, kind)?;
                return Ok(None);
            }
            Request::MultiRead(ops) => {
                // A write inside a multiRead makes the whole request unreadable to ZooKeeper.
                if !ops
                    .iter()
                    .all(|op| matches!(op, MultiOp::GetChildren(_) | MultiOp::GetData(_)))
                {
                    return Err(ErrorCode::MarshallingError);
                }
                Response::Multi(MultiResponse {
                    results: ops.iter().map(|op| self.multi_read_op(conn, op)).collect(),
                })
            }
            _ => return Err(ErrorCode::Unimplemented),
        }))
    }

    /// One op of a multiRead. Its watch flag is ignored: ZooKeeper's multiRead sets no watches.
    fn multi_read_op(&mut self, conn: ConnId, op: &MultiOp) -> MultiOpResult {
        let without_watch = |get: &PathWatchRequest| PathWatchRequest {
            path: get.path.clone(),
            watch: false,
        };
        let result = match op {
            MultiOp::GetChildren(get) => self
                .get_children(conn, 0, &without_watch(get))
                .map(|names| MultiOpResult::GetChildren(StringListResponse { names })),
            MultiOp::GetData(get) => self
                .get_data(conn, 0, &without_watch(get))
                .map(MultiOpResult::GetData),
            _ => Err(ErrorCode::MarshallingError),
        };
        result.unwrap_or_else(|code| MultiOpResult::Error(ErrorResponse { err: code.code() }))
    }

    fn get_data(
        &mut self,
        conn: ConnId,
        session: SessionId,
        get: &PathWatchRequest,
    ) -> Result<GetDataResponse, ErrorCode> {
        let node = self.tree.node(&get.path).ok_or(ErrorCode::NoNode)?;
        self.check_read_acl(conn, node.acl, perms::READ)?;
        let response = GetDataResponse {
            // Null data stays null (length -1 on the wire), as ZooKeeper answers it.
            data: node.data.map(<[u8]>::to_vec),
            stat: node.stat,
        };
        if get.watch {
            self.watches.watch_data(session, &get.path);
        }
        Ok(response)
    }

    fn get_children(
        &mut self,
        conn: ConnId,
        session: SessionId,
        get: &PathWatchRequest,
    ) -> Result<Vec<String>, ErrorCode> {
        let node = self.tree.node(&get.path).ok_or(ErrorCode::NoNode)?;
        self.check_read_acl(conn, node.acl, perms::READ)?;
        let children = self.tree.children(&get.path).ok_or(ErrorCode::NoNode)?;
        if get.watch {
            self.watches.watch_children(session, &get.path);
        }
        Ok(children)
    }

    fn check_read_acl(
        &self,
        conn: ConnId,
        acl: &[crate::data::types::Acl],
        perm: i32,
    ) -> Result<(), ErrorCode> {
        let auth = self
            .connections
            .get(&conn)
            .map(|c| &c.auth)
            .ok_or(ErrorCode::SessionExpired)?;
        self.providers.check_acl(acl, perm, auth)
    }

    /// setWatches on reconnect: what the client missed fires now, the rest is registered.
    fn set_watches(&mut self, conn: ConnId, session: SessionId, request: WatchReRegistration) {
        let tree = &self.tree;
        let missed = self
            .watches
            .set_watches(session, &request, |path| tree.stat(path));
        for event in missed {
            self.outputs.push_back(super::Output::Notify {
                conn,
                event: super::watcher_event(event.event_type, &event.path),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Input, Output, ZkServerConfig};
    use super::*;
    use crate::data::types::{Acl, Zxid};
    use crate::proto::records::{ConnectRequest, CreateRequest, RequestHeader, SetDataRequest};
    use crate::time::VirtualTime;
    use core::net::{IpAddr, Ipv4Addr};

    const NOW: VirtualTime = VirtualTime::from_millis(1_000);

    /// Hands the server one input and returns every output, making each write durable.
    fn drive(server: &mut ZkServer, input: Input) -> Vec<Output> {
        server.handle(NOW, input);
        let mut outputs = Vec::new();
        loop {
            let mut persisted = None;
            while let Some(output) = server.poll_output() {
                if let Output::Persist { header, .. } = &output {
                    persisted = Some(header.zxid);
                }
                outputs.push(output);
            }
            match persisted {
                Some(through) => server.handle(NOW, Input::Persisted { through }),
                None => return outputs,
            }
        }
    }

    /// Sends a request on connection 1 and returns its reply (error code and body).
    fn call(server: &mut ZkServer, xid: i32, request: Request) -> (i32, Option<Response>) {
        let header = RequestHeader {
            xid,
            op_code: request.op_code(),
        };
        let request = Input::Request {
            conn: 1,
            header,
            request,
        };
        drive(server, request)
            .into_iter()
            .find_map(|output| match output {
                Output::Reply { header, body, .. } if header.xid == xid => Some((header.err, body)),
                _ => None,
            })
            .expect("the request is answered")
    }

    fn connected_server() -> ZkServer {
        let mut server = ZkServer::new(ZkServerConfig::standalone(2000));
        let connect = Input::Connect {
            conn: 1,
            client: IpAddr::V4(Ipv4Addr::LOCALHOST),
            request: ConnectRequest {
                protocol_version: 0,
                last_zxid_seen: Zxid(0),
                timeout_ms: 10_000,
                session_id: 0,
                passwd: vec![0; 16],
                read_only: Some(false),
            },
        };
        let outputs = drive(&mut server, connect);
        assert!(outputs
            .iter()
            .any(|output| matches!(output, Output::Connected { conn: 1, .. })));
        server
    }

    fn get(path: &str) -> PathWatchRequest {
        PathWatchRequest {
            path: path.to_string(),
            watch: false,
        }
    }

    /// Checked against the real server: a znode created with a null buffer answers getData
    /// with null (length -1), not an empty buffer, and dataLength 0; so does a multiRead.
    #[test]
    fn get_data_and_multi_read_answer_null_for_null_data() {
        let mut server = connected_server();
        for (xid, (path, data)) in (2..).zip([("/null", None), ("/empty", Some(Vec::new()))]) {
            let create = Request::Create(CreateRequest {
                path: path.to_string(),
                data,
                acl: Acl::open_unsafe(),
                flags: 0,
            });
            assert_eq!(call(&mut server, xid, create).0, 0);
        }
        let data = |reply: (i32, Option<Response>)| match reply {
            (0, Some(Response::Data(body))) => (body.data, body.stat.data_length),
            other => panic!("{other:?}"),
        };
        let null = call(&mut server, 4, Request::GetData(get("/null")));
        assert_eq!(data(null), (None, 0));
        let empty = call(&mut server, 5, Request::GetData(get("/empty")));
        assert_eq!(data(empty), (Some(Vec::new()), 0));
        let set = Request::SetData(SetDataRequest {
            path: "/empty".to_string(),
            data: None,
            version: -1,
        });
        assert_eq!(call(&mut server, 6, set).0, 0);
        let ops = vec![
            MultiOp::GetData(get("/null")),
            MultiOp::GetData(get("/empty")),
        ];
        match call(&mut server, 7, Request::MultiRead(ops)) {
            (0, Some(Response::Multi(multi))) => {
                for result in multi.results {
                    let MultiOpResult::GetData(body) = result else {
                        panic!("{result:?}");
                    };
                    assert_eq!((body.data, body.stat.data_length), (None, 0));
                }
            }
            other => panic!("{other:?}"),
        }
    }
}
