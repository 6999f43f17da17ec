//! The records of ZooKeeper's client protocol (`zookeeper.jute`), and the typed requests and
//! replies built from them. Both directions are here: a server decodes requests and encodes
//! replies, a client (the CLI, the simulator's clients, the benchmark) does the opposite.
//!
//! Field types follow what is observable. Node data is `Option<Vec<u8>>` because a znode created
//! with null data reads back as null (`-1`), distinct from empty, in zkCli and the Java client.
//! Paths, names and the other strings read a null as empty, since ZooKeeper rejects null and
//! empty paths alike; vectors likewise. Codes that travel raw (op types, error codes, event
//! types) stay `i32` so that values this crate does not know survive a round trip.

use super::jute::{DecodeError, JuteReader, JuteWriter, Record};
use crate::data::types::{Acl, ErrorCode, EventType, Id, KeeperState, OpCode, Stat, Zxid};

/// The xid of a watch notification (server to client).
pub const NOTIFICATION_XID: i32 = -1;
/// The xid of a ping.
pub const PING_XID: i32 = -2;
/// The xid of an auth packet.
pub const AUTH_XID: i32 = -4;
/// The xid of the setWatches a client sends first after reconnecting.
pub const SET_WATCHES_XID: i32 = -8;

// ---------------------------------------------------------------------------------------------
// Shared data records

impl Record for Id {
    fn encode(&self, writer: &mut JuteWriter) {
        writer.write_ustring(&self.scheme);
        writer.write_ustring(&self.id);
    }

    fn decode(reader: &mut JuteReader<'_>) -> Result<Self, DecodeError> {
        Ok(Id {
            scheme: reader.read_string()?,
            id: reader.read_string()?,
        })
    }
}

impl Record for Acl {
    fn encode(&self, writer: &mut JuteWriter) {
        writer.write_int(self.perms);
        writer.write_record(&self.id);
    }

    fn decode(reader: &mut JuteReader<'_>) -> Result<Self, DecodeError> {
        Ok(Acl {
            perms: reader.read_int()?,
            id: reader.read_record()?,
        })
    }
}

impl Record for Stat {
    fn encode(&self, writer: &mut JuteWriter) {
        writer.write_long(self.czxid);
        writer.write_long(self.mzxid);
        writer.write_long(self.ctime);
        writer.write_long(self.mtime);
        writer.write_int(self.version);
        writer.write_int(self.cversion);
        writer.write_int(self.aversion);
        writer.write_long(self.ephemeral_owner);
        writer.write_int(self.data_length);
        writer.write_int(self.num_children);
        writer.write_long(self.pzxid);
    }

    fn decode(reader: &mut JuteReader<'_>) -> Result<Self, DecodeError> {
        Ok(Stat {
            czxid: reader.read_long()?,
            mzxid: reader.read_long()?,
            ctime: reader.read_long()?,
            mtime: reader.read_long()?,
            version: reader.read_int()?,
            cversion: reader.read_int()?,
            aversion: reader.read_int()?,
            ephemeral_owner: reader.read_long()?,
            data_length: reader.read_int()?,
            num_children: reader.read_int()?,
            pzxid: reader.read_long()?,
        })
    }
}

fn write_acl_list(writer: &mut JuteWriter, acl: &[Acl]) {
    writer.write_vector(acl, |writer, entry| writer.write_record(entry));
}

fn read_acl_list(reader: &mut JuteReader<'_>) -> Result<Vec<Acl>, DecodeError> {
    reader.read_vector_or_empty(JuteReader::read_record)
}

fn read_string_list(reader: &mut JuteReader<'_>) -> Result<Vec<String>, DecodeError> {
    reader.read_vector_or_empty(JuteReader::read_string)
}

/// Declares a record struct whose fields are encoded in declaration order, each with the
/// named writer and reader, so that a record's layout is stated exactly once.
macro_rules! jute_record {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$field_meta:meta])* $field:ident : $ty:ty => $write:ident / $read:ident, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            $( $(#[$field_meta])* pub $field: $ty, )*
        }

        impl Record for $name {
            #[allow(unused_variables)]
            fn encode(&self, writer: &mut JuteWriter) {
                $( field_codec::$write(writer, &self.$field); )*
            }

            #[allow(unused_variables)]
            fn decode(reader: &mut JuteReader<'_>) -> Result<Self, DecodeError> {
                Ok($name {
                    $( $field: field_codec::$read(reader)?, )*
                })
            }
        }
    };
}

/// Field writers and readers named by `jute_record!`, one pair per jute field type.
mod field_codec {
    use super::*;

    pub fn int(writer: &mut JuteWriter, value: &i32) {
        writer.write_int(*value);
    }
    pub fn read_int(reader: &mut JuteReader<'_>) -> Result<i32, DecodeError> {
        reader.read_int()
    }
    pub fn long(writer: &mut JuteWriter, value: &i64) {
        writer.write_long(*value);
    }
    pub fn read_long(reader: &mut JuteReader<'_>) -> Result<i64, DecodeError> {
        reader.read_long()
    }
    pub fn zxid(writer: &mut JuteWriter, value: &Zxid) {
        writer.write_long(value.0);
    }
    pub fn read_zxid(reader: &mut JuteReader<'_>) -> Result<Zxid, DecodeError> {
        reader.read_long().map(Zxid)
    }
    pub fn bool(writer: &mut JuteWriter, value: &bool) {
        writer.write_bool(*value);
    }
    pub fn read_bool(reader: &mut JuteReader<'_>) -> Result<bool, DecodeError> {
        reader.read_bool()
    }
    pub fn string(writer: &mut JuteWriter, value: &String) {
        writer.write_ustring(value);
    }
    pub fn read_string(reader: &mut JuteReader<'_>) -> Result<String, DecodeError> {
        reader.read_string()
    }
    pub fn buffer(writer: &mut JuteWriter, value: &Vec<u8>) {
        writer.write_buffer(value);
    }
    pub fn read_buffer(reader: &mut JuteReader<'_>) -> Result<Vec<u8>, DecodeError> {
        reader.read_buffer_or_empty()
    }
    pub fn data(writer: &mut JuteWriter, value: &Option<Vec<u8>>) {
        writer.write_optional_buffer(value.as_deref());
    }
    pub fn read_data(reader: &mut JuteReader<'_>) -> Result<Option<Vec<u8>>, DecodeError> {
        reader.read_buffer()
    }
    pub fn acl(writer: &mut JuteWriter, value: &Vec<Acl>) {
        write_acl_list(writer, value);
    }
    pub fn read_acl(reader: &mut JuteReader<'_>) -> Result<Vec<Acl>, DecodeError> {
        read_acl_list(reader)
    }
    pub fn strings(writer: &mut JuteWriter, value: &Vec<String>) {
        writer.write_string_vector(value);
    }
    pub fn read_strings(reader: &mut JuteReader<'_>) -> Result<Vec<String>, DecodeError> {
        read_string_list(reader)
    }
    pub fn stat(writer: &mut JuteWriter, value: &Stat) {
        writer.write_record(value);
    }
    pub fn read_stat(reader: &mut JuteReader<'_>) -> Result<Stat, DecodeError> {
        reader.read_record()
    }
    pub fn client_infos(writer: &mut JuteWriter, value: &Vec<ClientInfo>) {
        writer.write_vector(value, |writer, info| writer.write_record(info));
    }
    pub fn read_client_infos(reader: &mut JuteReader<'_>) -> Result<Vec<ClientInfo>, DecodeError> {
        reader.read_vector_or_empty(JuteReader::read_record)
    }
}

// ---------------------------------------------------------------------------------------------
// Handshake

/// The first frame a client sends. `read_only` is `None` when the client omitted the trailing
/// flag (clients older than 3.4); the server then omits it from its answer too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectRequest {
    pub protocol_version: i32,
    pub last_zxid_seen: Zxid,
    pub timeout_ms: i32,
    pub session_id: i64,
    pub passwd: Vec<u8>,
    pub read_only: Option<bool>,
}

impl Record for ConnectRequest {
    fn encode(&self, writer: &mut JuteWriter) {
        writer.write_int(self.protocol_version);
        writer.write_long(self.last_zxid_seen.0);
        writer.write_int(self.timeout_ms);
        writer.write_long(self.session_id);
        writer.write_buffer(&self.passwd);
        if let Some(read_only) = self.read_only {
            writer.write_bool(read_only);
        }
    }

    /// Reads the optional flag when a byte is left, as the Java server does.
    fn decode(reader: &mut JuteReader<'_>) -> Result<Self, DecodeError> {
        Ok(ConnectRequest {
            protocol_version: reader.read_int()?,
            last_zxid_seen: Zxid(reader.read_long()?),
            timeout_ms: reader.read_int()?,
            session_id: reader.read_long()?,
            passwd: reader.read_buffer_or_empty()?,
            read_only: read_optional_flag(reader)?,
        })
    }
}

/// The server's answer to the handshake. An unknown or expired session is answered with
/// `timeout_ms` 0, `session_id` 0 and 16 zero bytes of password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectResponse {
    pub protocol_version: i32,
    pub timeout_ms: i32,
    pub session_id: i64,
    pub passwd: Vec<u8>,
    pub read_only: Option<bool>,
}

impl Record for ConnectResponse {
    fn encode(&self, writer: &mut JuteWriter) {
        writer.write_int(self.protocol_version);
        writer.write_int(self.timeout_ms);
        writer.write_long(self.session_id);
        writer.write_buffer(&self.passwd);
        if let Some(read_only) = self.read_only {
            writer.write_bool(read_only);
        }
    }

    fn decode(reader: &mut JuteReader<'_>) -> Result<Self, DecodeError> {
        Ok(ConnectResponse {
            protocol_version: reader.read_int()?,
            timeout_ms: reader.read_int()?,
            session_id: reader.read_long()?,
            passwd: reader.read_buffer_or_empty()?,
            read_only: read_optional_flag(reader)?,
        })
    }
}

fn read_optional_flag(reader: &mut JuteReader<'_>) -> Result<Option<bool>, DecodeError> {
    if reader.is_empty() {
        Ok(None)
    } else {
        reader.read_bool().map(Some)
    }
}

// ---------------------------------------------------------------------------------------------
// Headers and small records

jute_record! {
    /// Precedes every request after the handshake.
    pub struct RequestHeader {
        xid: i32 => int / read_int,
        /// The raw op code, so that codes this crate does not know can still be answered.
        op_code: i32 => int / read_int,
    }
}

jute_record! {
    /// Precedes every server message after the handshake: replies, pings and notifications.
    pub struct ReplyHeader {
        xid: i32 => int / read_int,
        zxid: Zxid => zxid / read_zxid,
        /// The raw error code; a body follows only when it is 0.
        err: i32 => int / read_int,
    }
}

impl ReplyHeader {
    /// The header of a watch notification: xid -1 and, in 3.8, zxid -1.
    pub fn notification() -> ReplyHeader {
        ReplyHeader {
            xid: NOTIFICATION_XID,
            zxid: Zxid(-1),
            err: 0,
        }
    }

    pub fn error_code(&self) -> Option<ErrorCode> {
        ErrorCode::from_code(self.err)
    }
}

jute_record! {
    /// The body of a watch notification.
    pub struct WatcherEvent {
        /// An `EventType` code.
        event_type: i32 => int / read_int,
        /// A `KeeperState` code: SyncConnected (3) for every notification a server sends.
        state: i32 => int / read_int,
        path: String => string / read_string,
    }
}

impl WatcherEvent {
    pub fn new(event_type: EventType, state: KeeperState, path: &str) -> WatcherEvent {
        WatcherEvent {
            event_type: event_type.code(),
            state: state.code(),
            path: path.to_string(),
        }
    }
}

jute_record! {
    /// addauth: sent with xid -4. `auth_type` is always 0.
    pub struct AuthPacket {
        auth_type: i32 => int / read_int,
        scheme: String => string / read_string,
        auth: Vec<u8> => buffer / read_buffer,
    }
}

jute_record! {
    /// Precedes each operation of a multi request and each result of a multi response.
    pub struct MultiHeader {
        op_type: i32 => int / read_int,
        done: bool => bool / read_bool,
        err: i32 => int / read_int,
    }
}

impl MultiHeader {
    /// The header that ends a multi request or response.
    pub const TERMINATOR: MultiHeader = MultiHeader {
        op_type: -1,
        done: true,
        err: -1,
    };
}

// ---------------------------------------------------------------------------------------------
// Request bodies

jute_record! {
    /// create, create2 and createContainer.
    pub struct CreateRequest {
        path: String => string / read_string,
        data: Option<Vec<u8>> => data / read_data,
        acl: Vec<Acl> => acl / read_acl,
        /// A `CreateMode` flag.
        flags: i32 => int / read_int,
    }
}

jute_record! {
    pub struct CreateTtlRequest {
        path: String => string / read_string,
        data: Option<Vec<u8>> => data / read_data,
        acl: Vec<Acl> => acl / read_acl,
        flags: i32 => int / read_int,
        ttl: i64 => long / read_long,
    }
}

jute_record! {
    pub struct DeleteRequest {
        path: String => string / read_string,
        /// -1 matches any version.
        version: i32 => int / read_int,
    }
}

jute_record! {
    /// exists, getData, getChildren and getChildren2: a path and whether to leave a watch.
    pub struct PathWatchRequest {
        path: String => string / read_string,
        watch: bool => bool / read_bool,
    }
}

jute_record! {
    pub struct SetDataRequest {
        path: String => string / read_string,
        data: Option<Vec<u8>> => data / read_data,
        version: i32 => int / read_int,
    }
}

jute_record! {
    /// getACL, sync, getEphemerals (a path prefix) and getAllChildrenNumber: just a path.
    pub struct PathRequest {
        path: String => string / read_string,
    }
}

jute_record! {
    pub struct SetAclRequest {
        path: String => string / read_string,
        acl: Vec<Acl> => acl / read_acl,
        version: i32 => int / read_int,
    }
}

jute_record! {
    pub struct CheckVersionRequest {
        path: String => string / read_string,
        version: i32 => int / read_int,
    }
}

jute_record! {
    /// checkWatches and removeWatches.
    pub struct WatchTypeRequest {
        path: String => string / read_string,
        /// A `WatcherType` code.
        watcher_type: i32 => int / read_int,
    }
}

jute_record! {
    pub struct AddWatchRequest {
        path: String => string / read_string,
        /// An `AddWatchMode` code.
        mode: i32 => int / read_int,
    }
}

jute_record! {
    /// Re-registers a reconnecting client's watches (type 101, xid -8).
    pub struct SetWatches {
        relative_zxid: Zxid => zxid / read_zxid,
        data_watches: Vec<String> => strings / read_strings,
        exist_watches: Vec<String> => strings / read_strings,
        child_watches: Vec<String> => strings / read_strings,
    }
}

jute_record! {
    /// setWatches with persistent watches too (type 105, xid -8).
    pub struct SetWatches2 {
        relative_zxid: Zxid => zxid / read_zxid,
        data_watches: Vec<String> => strings / read_strings,
        exist_watches: Vec<String> => strings / read_strings,
        child_watches: Vec<String> => strings / read_strings,
        persistent_watches: Vec<String> => strings / read_strings,
        persistent_recursive_watches: Vec<String> => strings / read_strings,
    }
}

jute_record! {
    pub struct ReconfigRequest {
        joining_servers: String => string / read_string,
        leaving_servers: String => string / read_string,
        new_members: String => string / read_string,
        cur_config_id: i64 => long / read_long,
    }
}

jute_record! {
    /// A SASL token, in a sasl request (102) or its reply.
    pub struct SaslToken {
        token: Vec<u8> => buffer / read_buffer,
    }
}

// ---------------------------------------------------------------------------------------------
// Reply bodies

jute_record! {
    /// create and sync: the resulting path.
    pub struct PathResponse {
        path: String => string / read_string,
    }
}

jute_record! {
    /// create2, createContainer and createTTL.
    pub struct Create2Response {
        path: String => string / read_string,
        stat: Stat => stat / read_stat,
    }
}

jute_record! {
    /// exists, setData, setACL (and a standalone check, which 3.8 answers like setData).
    pub struct StatResponse {
        stat: Stat => stat / read_stat,
    }
}

jute_record! {
    /// getData and reconfig.
    pub struct GetDataResponse {
        data: Option<Vec<u8>> => data / read_data,
        stat: Stat => stat / read_stat,
    }
}

jute_record! {
    pub struct GetAclResponse {
        acl: Vec<Acl> => acl / read_acl,
        stat: Stat => stat / read_stat,
    }
}

jute_record! {
    /// getChildren (child names) and getEphemerals (full paths): a list of strings.
    pub struct StringListResponse {
        names: Vec<String> => strings / read_strings,
    }
}

jute_record! {
    pub struct GetChildren2Response {
        children: Vec<String> => strings / read_strings,
        stat: Stat => stat / read_stat,
    }
}

jute_record! {
    pub struct GetAllChildrenNumberResponse {
        total_number: i32 => int / read_int,
    }
}

jute_record! {
    /// addWatch's 4-byte reply body (always 0), and the body of a failed multi result.
    pub struct ErrorResponse {
        err: i32 => int / read_int,
    }
}

jute_record! {
    /// One identity of the caller, as whoAmI reports it.
    pub struct ClientInfo {
        auth_scheme: String => string / read_string,
        user: String => string / read_string,
    }
}

jute_record! {
    pub struct WhoAmIResponse {
        client_info: Vec<ClientInfo> => client_infos / read_client_infos,
    }
}

// ---------------------------------------------------------------------------------------------
// Multi

/// One operation of a multi (transaction) or multiRead request. Which operations each may
/// hold is the server's rule to enforce; the codec accepts any of these in either.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MultiOp {
    Create(CreateRequest),
    Create2(CreateRequest),
    CreateContainer(CreateRequest),
    CreateTtl(CreateTtlRequest),
    Delete(DeleteRequest),
    SetData(SetDataRequest),
    Check(CheckVersionRequest),
    GetChildren(PathWatchRequest),
    GetData(PathWatchRequest),
}

impl MultiOp {
    pub fn op_code(&self) -> OpCode {
        match self {
            MultiOp::Create(_) => OpCode::Create,
            MultiOp::Create2(_) => OpCode::Create2,
            MultiOp::CreateContainer(_) => OpCode::CreateContainer,
            MultiOp::CreateTtl(_) => OpCode::CreateTtl,
            MultiOp::Delete(_) => OpCode::Delete,
            MultiOp::SetData(_) => OpCode::SetData,
            MultiOp::Check(_) => OpCode::Check,
            MultiOp::GetChildren(_) => OpCode::GetChildren,
            MultiOp::GetData(_) => OpCode::GetData,
        }
    }

    fn encode_body(&self, writer: &mut JuteWriter) {
        match self {
            MultiOp::Create(request) | MultiOp::Create2(request) => writer.write_record(request),
            MultiOp::CreateContainer(request) => writer.write_record(request),
            MultiOp::CreateTtl(request) => writer.write_record(request),
            MultiOp::Delete(request) => writer.write_record(request),
            MultiOp::SetData(request) => writer.write_record(request),
            MultiOp::Check(request) => writer.write_record(request),
            MultiOp::GetChildren(request) | MultiOp::GetData(request) => {
                writer.write_record(request)
            }
        }
    }

    fn decode_body(op_type: i32, reader: &mut JuteReader<'_>) -> Result<MultiOp, DecodeError> {
        let op = OpCode::from_code(op_type).ok_or(DecodeError::InvalidMultiOpType(op_type))?;
        Ok(match op {
            OpCode::Create => MultiOp::Create(reader.read_record()?),
            OpCode::Create2 => MultiOp::Create2(reader.read_record()?),
            OpCode::CreateContainer => MultiOp::CreateContainer(reader.read_record()?),
            OpCode::CreateTtl => MultiOp::CreateTtl(reader.read_record()?),
            OpCode::Delete => MultiOp::Delete(reader.read_record()?),
            OpCode::SetData => MultiOp::SetData(reader.read_record()?),
            OpCode::Check => MultiOp::Check(reader.read_record()?),
            OpCode::GetChildren => MultiOp::GetChildren(reader.read_record()?),
            OpCode::GetData => MultiOp::GetData(reader.read_record()?),
            _ => return Err(DecodeError::InvalidMultiOpType(op_type)),
        })
    }
}

fn encode_multi_ops(writer: &mut JuteWriter, ops: &[MultiOp]) {
    for op in ops {
        writer.write_record(&MultiHeader {
            op_type: op.op_code().code(),
            done: false,
            err: -1,
        });
        op.encode_body(writer);
    }
    writer.write_record(&MultiHeader::TERMINATOR);
}

/// Reads operations until a header marked done; like the Java server, only `done` ends the list.
fn decode_multi_ops(reader: &mut JuteReader<'_>) -> Result<Vec<MultiOp>, DecodeError> {
    let mut ops = Vec::new();
    loop {
        let header: MultiHeader = reader.read_record()?;
        if header.done {
            return Ok(ops);
        }
        ops.push(MultiOp::decode_body(header.op_type, reader)?);
    }
}

/// One result of a multi or multiRead response. The variant fixes the result's wire type:
/// a Java client only understands the types below, so createContainer and createTTL results
/// travel as `Create2`, and an op that failed (or was rolled back) is `Error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MultiOpResult {
    Create(PathResponse),
    Create2(Create2Response),
    Delete,
    SetData(StatResponse),
    Check,
    GetChildren(StringListResponse),
    GetData(GetDataResponse),
    /// In a failed multi: 0 for the ops before the failing one, its error code, then
    /// RuntimeInconsistency (-2) for the ops after it.
    Error(ErrorResponse),
}

impl MultiOpResult {
    fn header(&self) -> MultiHeader {
        let (op_type, err) = match self {
            MultiOpResult::Create(_) => (OpCode::Create.code(), 0),
            MultiOpResult::Create2(_) => (OpCode::Create2.code(), 0),
            MultiOpResult::Delete => (OpCode::Delete.code(), 0),
            MultiOpResult::SetData(_) => (OpCode::SetData.code(), 0),
            MultiOpResult::Check => (OpCode::Check.code(), 0),
            MultiOpResult::GetChildren(_) => (OpCode::GetChildren.code(), 0),
            MultiOpResult::GetData(_) => (OpCode::GetData.code(), 0),
            MultiOpResult::Error(error) => (OpCode::Error.code(), error.err),
        };
        MultiHeader {
            op_type,
            done: false,
            err,
        }
    }

    fn encode_body(&self, writer: &mut JuteWriter) {
        match self {
            MultiOpResult::Create(body) => writer.write_record(body),
            MultiOpResult::Create2(body) => writer.write_record(body),
            MultiOpResult::Delete | MultiOpResult::Check => {}
            MultiOpResult::SetData(body) => writer.write_record(body),
            MultiOpResult::GetChildren(body) => writer.write_record(body),
            MultiOpResult::GetData(body) => writer.write_record(body),
            MultiOpResult::Error(body) => writer.write_record(body),
        }
    }

    fn decode_body(
        result_type: i32,
        reader: &mut JuteReader<'_>,
    ) -> Result<MultiOpResult, DecodeError> {
        let invalid = DecodeError::InvalidMultiResultType(result_type);
        Ok(match OpCode::from_code(result_type).ok_or(invalid.clone())? {
            OpCode::Create => MultiOpResult::Create(reader.read_record()?),
            OpCode::Create2 => MultiOpResult::Create2(reader.read_record()?),
            OpCode::Delete => MultiOpResult::Delete,
            OpCode::SetData => MultiOpResult::SetData(reader.read_record()?),
            OpCode::Check => MultiOpResult::Check,
            OpCode::GetChildren => MultiOpResult::GetChildren(reader.read_record()?),
            OpCode::GetData => MultiOpResult::GetData(reader.read_record()?),
            OpCode::Error => MultiOpResult::Error(reader.read_record()?),
            _ => return Err(invalid),
        })
    }
}

/// The body of a multi or multiRead reply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MultiResponse {
    pub results: Vec<MultiOpResult>,
}

impl Record for MultiResponse {
    fn encode(&self, writer: &mut JuteWriter) {
        for result in &self.results {
            writer.write_record(&result.header());
            result.encode_body(writer);
        }
        writer.write_record(&MultiHeader::TERMINATOR);
    }

    fn decode(reader: &mut JuteReader<'_>) -> Result<Self, DecodeError> {
        let mut results = Vec::new();
        loop {
            let header: MultiHeader = reader.read_record()?;
            if header.done {
                return Ok(MultiResponse { results });
            }
            results.push(MultiOpResult::decode_body(header.op_type, reader)?);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Typed requests

/// A client request, one variant per op code, as it follows its `RequestHeader`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    Create(CreateRequest),
    Create2(CreateRequest),
    CreateContainer(CreateRequest),
    CreateTtl(CreateTtlRequest),
    Delete(DeleteRequest),
    Exists(PathWatchRequest),
    GetData(PathWatchRequest),
    SetData(SetDataRequest),
    GetAcl(PathRequest),
    SetAcl(SetAclRequest),
    GetChildren(PathWatchRequest),
    GetChildren2(PathWatchRequest),
    Sync(PathRequest),
    Check(CheckVersionRequest),
    Multi(Vec<MultiOp>),
    MultiRead(Vec<MultiOp>),
    Reconfig(ReconfigRequest),
    CheckWatches(WatchTypeRequest),
    RemoveWatches(WatchTypeRequest),
    GetEphemerals(PathRequest),
    GetAllChildrenNumber(PathRequest),
    WhoAmI,
    AddWatch(AddWatchRequest),
    SetWatches(SetWatches),
    SetWatches2(SetWatches2),
    Auth(AuthPacket),
    Sasl(SaslToken),
    Ping,
    CloseSession,
    /// An op code that no client request uses, or that this crate does not know. ZooKeeper
    /// answers it with Unimplemented (-6) and closes the connection.
    Unknown { op_code: i32, body: Vec<u8> },
}

impl Request {
    /// The op code this request travels under.
    pub fn op_code(&self) -> i32 {
        let op = match self {
            Request::Create(_) => OpCode::Create,
            Request::Create2(_) => OpCode::Create2,
            Request::CreateContainer(_) => OpCode::CreateContainer,
            Request::CreateTtl(_) => OpCode::CreateTtl,
            Request::Delete(_) => OpCode::Delete,
            Request::Exists(_) => OpCode::Exists,
            Request::GetData(_) => OpCode::GetData,
            Request::SetData(_) => OpCode::SetData,
            Request::GetAcl(_) => OpCode::GetAcl,
            Request::SetAcl(_) => OpCode::SetAcl,
            Request::GetChildren(_) => OpCode::GetChildren,
            Request::GetChildren2(_) => OpCode::GetChildren2,
            Request::Sync(_) => OpCode::Sync,
            Request::Check(_) => OpCode::Check,
            Request::Multi(_) => OpCode::Multi,
            Request::MultiRead(_) => OpCode::MultiRead,
            Request::Reconfig(_) => OpCode::Reconfig,
            Request::CheckWatches(_) => OpCode::CheckWatches,
            Request::RemoveWatches(_) => OpCode::RemoveWatches,
            Request::GetEphemerals(_) => OpCode::GetEphemerals,
            Request::GetAllChildrenNumber(_) => OpCode::GetAllChildrenNumber,
            Request::WhoAmI => OpCode::WhoAmI,
            Request::AddWatch(_) => OpCode::AddWatch,
            Request::SetWatches(_) => OpCode::SetWatches,
            Request::SetWatches2(_) => OpCode::SetWatches2,
            Request::Auth(_) => OpCode::Auth,
            Request::Sasl(_) => OpCode::Sasl,
            Request::Ping => OpCode::Ping,
            Request::CloseSession => OpCode::CloseSession,
            Request::Unknown { op_code, .. } => return *op_code,
        };
        op.code()
    }

    /// The shape of the body a successful reply to this request carries.
    pub fn response_kind(&self) -> ResponseKind {
        match self {
            Request::Create(_) | Request::Sync(_) => ResponseKind::Path,
            Request::Create2(_) | Request::CreateContainer(_) | Request::CreateTtl(_) => {
                ResponseKind::Create2
            }
            Request::Exists(_) | Request::SetData(_) | Request::SetAcl(_) | Request::Check(_) => {
                ResponseKind::Stat
            }
            Request::GetData(_) | Request::Reconfig(_) => ResponseKind::Data,
            Request::GetAcl(_) => ResponseKind::Acl,
            Request::GetChildren(_) | Request::GetEphemerals(_) => ResponseKind::StringList,
            Request::GetChildren2(_) => ResponseKind::Children2,
            Request::GetAllChildrenNumber(_) => ResponseKind::Count,
            Request::Multi(_) | Request::MultiRead(_) => ResponseKind::Multi,
            Request::WhoAmI => ResponseKind::WhoAmI,
            Request::AddWatch(_) => ResponseKind::ErrorCode,
            Request::Sasl(_) => ResponseKind::Sasl,
            Request::Delete(_)
            | Request::CheckWatches(_)
            | Request::RemoveWatches(_)
            | Request::SetWatches(_)
            | Request::SetWatches2(_)
            | Request::Auth(_)
            | Request::Ping
            | Request::CloseSession
            | Request::Unknown { .. } => ResponseKind::None,
        }
    }

    fn encode_body(&self, writer: &mut JuteWriter) {
        match self {
            Request::Create(body) | Request::Create2(body) | Request::CreateContainer(body) => {
                writer.write_record(body)
            }
            Request::CreateTtl(body) => writer.write_record(body),
            Request::Delete(body) => writer.write_record(body),
            Request::Exists(body)
            | Request::GetData(body)
            | Request::GetChildren(body)
            | Request::GetChildren2(body) => writer.write_record(body),
            Request::SetData(body) => writer.write_record(body),
            Request::GetAcl(body)
            | Request::Sync(body)
            | Request::GetEphemerals(body)
            | Request::GetAllChildrenNumber(body) => writer.write_record(body),
            Request::SetAcl(body) => writer.write_record(body),
            Request::Check(body) => writer.write_record(body),
            Request::Multi(ops) | Request::MultiRead(ops) => encode_multi_ops(writer, ops),
            Request::Reconfig(body) => writer.write_record(body),
            Request::CheckWatches(body) | Request::RemoveWatches(body) => {
                writer.write_record(body)
            }
            Request::AddWatch(body) => writer.write_record(body),
            Request::SetWatches(body) => writer.write_record(body),
            Request::SetWatches2(body) => writer.write_record(body),
            Request::Auth(body) => writer.write_record(body),
            Request::Sasl(body) => writer.write_record(body),
            Request::WhoAmI | Request::Ping | Request::CloseSession => {}
            Request::Unknown { body, .. } => writer.write_raw(body),
        }
    }

    fn decode_body(op_code: i32, reader: &mut JuteReader<'_>) -> Result<Request, DecodeError> {
        let Some(op) = OpCode::from_code(op_code) else {
            return Ok(Request::unknown(op_code, reader));
        };
        Ok(match op {
            OpCode::Create => Request::Create(reader.read_record()?),
            OpCode::Create2 => Request::Create2(reader.read_record()?),
            OpCode::CreateContainer => Request::CreateContainer(reader.read_record()?),
            OpCode::CreateTtl => Request::CreateTtl(reader.read_record()?),
            OpCode::Delete => Request::Delete(reader.read_record()?),
            OpCode::Exists => Request::Exists(reader.read_record()?),
            OpCode::GetData => Request::GetData(reader.read_record()?),
            OpCode::SetData => Request::SetData(reader.read_record()?),
            OpCode::GetAcl => Request::GetAcl(reader.read_record()?),
            OpCode::SetAcl => Request::SetAcl(reader.read_record()?),
            OpCode::GetChildren => Request::GetChildren(reader.read_record()?),
            OpCode::GetChildren2 => Request::GetChildren2(reader.read_record()?),
            OpCode::Sync => Request::Sync(reader.read_record()?),
            OpCode::Check => Request::Check(reader.read_record()?),
            OpCode::Multi => Request::Multi(decode_multi_ops(reader)?),
            OpCode::MultiRead => Request::MultiRead(decode_multi_ops(reader)?),
            OpCode::Reconfig => Request::Reconfig(reader.read_record()?),
            OpCode::CheckWatches => Request::CheckWatches(reader.read_record()?),
            OpCode::RemoveWatches => Request::RemoveWatches(reader.read_record()?),
            OpCode::GetEphemerals => Request::GetEphemerals(reader.read_record()?),
            OpCode::GetAllChildrenNumber => Request::GetAllChildrenNumber(reader.read_record()?),
            OpCode::WhoAmI => Request::WhoAmI,
            OpCode::AddWatch => Request::AddWatch(reader.read_record()?),
            OpCode::SetWatches => Request::SetWatches(reader.read_record()?),
            OpCode::SetWatches2 => Request::SetWatches2(reader.read_record()?),
            OpCode::Auth => Request::Auth(reader.read_record()?),
            OpCode::Sasl => Request::Sasl(reader.read_record()?),
            OpCode::Ping => Request::Ping,
            OpCode::CloseSession => Request::CloseSession,
            OpCode::Notification
            | OpCode::DeleteContainer
            | OpCode::CreateSession
            | OpCode::Error => Request::unknown(op_code, reader),
        })
    }

    fn unknown(op_code: i32, reader: &mut JuteReader<'_>) -> Request {
        let body = reader.rest().to_vec();
        Request::Unknown { op_code, body }
    }
}

/// Decodes a request frame's payload (any frame after the handshake).
///
/// Bytes left after a complete request are ignored, as the Java server ignores them (checked
/// against 3.8.0: a getData with three extra bytes is answered normally).
pub fn decode_request(payload: &[u8]) -> Result<(RequestHeader, Request), DecodeError> {
    let mut reader = JuteReader::new(payload);
    let header: RequestHeader = reader.read_record()?;
    let request = Request::decode_body(header.op_code, &mut reader)?;
    Ok((header, request))
}

/// Encodes a request frame's payload (header and body, without the frame length).
pub fn encode_request(xid: i32, request: &Request) -> Vec<u8> {
    let mut writer = JuteWriter::new();
    writer.write_record(&RequestHeader {
        xid,
        op_code: request.op_code(),
    });
    request.encode_body(&mut writer);
    writer.into_bytes()
}

// ---------------------------------------------------------------------------------------------
// Typed replies

/// The body of a successful reply, one variant per shape on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    /// create, sync.
    Path(PathResponse),
    /// create2, createContainer, createTTL.
    Create2(Create2Response),
    /// exists, setData, setACL, check.
    Stat(StatResponse),
    /// getData, reconfig.
    Data(GetDataResponse),
    Acl(GetAclResponse),
    /// getChildren, getEphemerals.
    StringList(StringListResponse),
    Children2(GetChildren2Response),
    /// getAllChildrenNumber.
    Count(GetAllChildrenNumberResponse),
    /// addWatch.
    ErrorCode(ErrorResponse),
    WhoAmI(WhoAmIResponse),
    /// multi, multiRead.
    Multi(MultiResponse),
    Sasl(SaslToken),
    /// A watch notification (header xid -1).
    Notification(WatcherEvent),
}

/// Which body shape a client should expect after a reply header; see `Request::response_kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseKind {
    /// A header alone: delete, ping, auth, setWatches, check/removeWatches, closeSession.
    None,
    Path,
    Create2,
    Stat,
    Data,
    Acl,
    StringList,
    Children2,
    Count,
    ErrorCode,
    WhoAmI,
    Multi,
    Sasl,
    Notification,
}

impl Response {
    pub fn kind(&self) -> ResponseKind {
        match self {
            Response::Path(_) => ResponseKind::Path,
            Response::Create2(_) => ResponseKind::Create2,
            Response::Stat(_) => ResponseKind::Stat,
            Response::Data(_) => ResponseKind::Data,
            Response::Acl(_) => ResponseKind::Acl,
            Response::StringList(_) => ResponseKind::StringList,
            Response::Children2(_) => ResponseKind::Children2,
            Response::Count(_) => ResponseKind::Count,
            Response::ErrorCode(_) => ResponseKind::ErrorCode,
            Response::WhoAmI(_) => ResponseKind::WhoAmI,
            Response::Multi(_) => ResponseKind::Multi,
            Response::Sasl(_) => ResponseKind::Sasl,
            Response::Notification(_) => ResponseKind::Notification,
        }
    }

    fn encode(&self, writer: &mut JuteWriter) {
        match self {
            Response::Path(body) => writer.write_record(body),
            Response::Create2(body) => writer.write_record(body),
            Response::Stat(body) => writer.write_record(body),
            Response::Data(body) => writer.write_record(body),
            Response::Acl(body) => writer.write_record(body),
            Response::StringList(body) => writer.write_record(body),
            Response::Children2(body) => writer.write_record(body),
            Response::Count(body) => writer.write_record(body),
            Response::ErrorCode(body) => writer.write_record(body),
            Response::WhoAmI(body) => writer.write_record(body),
            Response::Multi(body) => writer.write_record(body),
            Response::Sasl(body) => writer.write_record(body),
            Response::Notification(body) => writer.write_record(body),
        }
    }

    fn decode(kind: ResponseKind, reader: &mut JuteReader<'_>) -> Result<Option<Response>, DecodeError> {
        Ok(Some(match kind {
            ResponseKind::None => return Ok(None),
            ResponseKind::Path => Response::Path(reader.read_record()?),
            ResponseKind::Create2 => Response::Create2(reader.read_record()?),
            ResponseKind::Stat => Response::Stat(reader.read_record()?),
            ResponseKind::Data => Response::Data(reader.read_record()?),
            ResponseKind::Acl => Response::Acl(reader.read_record()?),
            ResponseKind::StringList => Response::StringList(reader.read_record()?),
            ResponseKind::Children2 => Response::Children2(reader.read_record()?),
            ResponseKind::Count => Response::Count(reader.read_record()?),
            ResponseKind::ErrorCode => Response::ErrorCode(reader.read_record()?),
            ResponseKind::WhoAmI => Response::WhoAmI(reader.read_record()?),
            ResponseKind::Multi => Response::Multi(reader.read_record()?),
            ResponseKind::Sasl => Response::Sasl(reader.read_record()?),
            ResponseKind::Notification => Response::Notification(reader.read_record()?),
        }))
    }
}

/// Encodes a server message's payload: the header, then the body only when `header.err` is 0
/// (a failed request's reply is the header alone, whatever body is passed).
pub fn encode_reply(header: &ReplyHeader, body: Option<&Response>) -> Vec<u8> {
    let mut writer = JuteWriter::new();
    writer.write_record(header);
    if header.err == 0 {
        if let Some(body) = body {
            body.encode(&mut writer);
        }
    }
    writer.into_bytes()
}

/// Encodes a watch notification's payload.
pub fn encode_notification(event: &WatcherEvent) -> Vec<u8> {
    encode_reply(
        &ReplyHeader::notification(),
        Some(&Response::Notification(event.clone())),
    )
}

/// Reads just the header of a server message, so that a client can tell notifications, pings
/// and replies apart (by xid) before choosing the body kind for `decode_reply`.
pub fn decode_reply_header(payload: &[u8]) -> Result<ReplyHeader, DecodeError> {
    JuteReader::new(payload).read_record()
}

/// Decodes a server message's payload, expecting a body of `kind` when the header's err is 0.
///
/// A successful reply's body must fill the payload exactly: left-over bytes mean the wrong kind
/// was expected. After a non-zero err anything that follows is ignored, as the Java client does.
pub fn decode_reply(
    payload: &[u8],
    kind: ResponseKind,
) -> Result<(ReplyHeader, Option<Response>), DecodeError> {
    let mut reader = JuteReader::new(payload);
    let header: ReplyHeader = reader.read_record()?;
    if header.err != 0 {
        return Ok((header, None));
    }
    let body = Response::decode(kind, &mut reader)?;
    reader.expect_end()?;
    Ok((header, body))
}
