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
    pub fn string(writer: &mut JuteWriter, value: &str) {
        writer.write_ustring(value);
    }
    pub fn read_string(reader: &mut JuteReader<'_>) -> Result<String, DecodeError> {
        reader.read_string()
    }
    pub fn buffer(writer: &mut JuteWriter, value: &[u8]) {
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
    pub fn acl(writer: &mut JuteWriter, value: &[Acl]) {
        write_acl_list(writer, value);
    }
    pub fn read_acl(reader: &mut JuteReader<'_>) -> Result<Vec<Acl>, DecodeError> {
        read_acl_list(reader)
    }
    pub fn strings(writer: &mut JuteWriter, value: &[String]) {
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
    pub fn client_infos(writer: &mut JuteWriter, value: &[ClientInfo]) {
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

/// Decodes the handshake frame's payload. Bytes after the optional read-only flag are ignored,
/// as the Java server ignores them.
pub fn decode_connect_request(payload: &[u8]) -> Result<ConnectRequest, DecodeError> {
    ConnectRequest::decode(&mut JuteReader::new(payload))
}

/// Decodes the server's answer to the handshake, ignoring any bytes after the read-only flag.
pub fn decode_connect_response(payload: &[u8]) -> Result<ConnectResponse, DecodeError> {
    ConnectResponse::decode(&mut JuteReader::new(payload))
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

// Headers are small plain values, handy to copy around.
impl Copy for RequestHeader {}
impl Copy for ReplyHeader {}
impl Copy for MultiHeader {}

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
        Ok(
            match OpCode::from_code(result_type).ok_or(invalid.clone())? {
                OpCode::Create => MultiOpResult::Create(reader.read_record()?),
                OpCode::Create2 => MultiOpResult::Create2(reader.read_record()?),
                OpCode::Delete => MultiOpResult::Delete,
                OpCode::SetData => MultiOpResult::SetData(reader.read_record()?),
                OpCode::Check => MultiOpResult::Check,
                OpCode::GetChildren => MultiOpResult::GetChildren(reader.read_record()?),
                OpCode::GetData => MultiOpResult::GetData(reader.read_record()?),
                OpCode::Error => MultiOpResult::Error(reader.read_record()?),
                _ => return Err(invalid),
            },
        )
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
    Unknown {
        op_code: i32,
        body: Vec<u8>,
    },
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
            Request::CheckWatches(body) | Request::RemoveWatches(body) => writer.write_record(body),
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

    fn decode(
        kind: ResponseKind,
        reader: &mut JuteReader<'_>,
    ) -> Result<Option<Response>, DecodeError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::types::perms;
    use proptest::prelude::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    fn open_create(path: &str, data: Option<&[u8]>) -> CreateRequest {
        CreateRequest {
            path: path.to_string(),
            data: data.map(<[u8]>::to_vec),
            acl: Acl::open_unsafe(),
            flags: 0,
        }
    }

    // -- Hand-computed layouts ------------------------------------------------------------

    #[test]
    fn stat_is_68_bytes_in_jute_field_order() {
        let stat = Stat {
            czxid: 1,
            mzxid: 2,
            ctime: 3,
            mtime: 4,
            version: 5,
            cversion: 6,
            aversion: 7,
            ephemeral_owner: 8,
            data_length: 9,
            num_children: 10,
            pzxid: 11,
        };
        let expected = hex(concat!(
            "0000000000000001",
            "0000000000000002",
            "0000000000000003",
            "0000000000000004",
            "00000005",
            "00000006",
            "00000007",
            "0000000000000008",
            "00000009",
            "0000000a",
            "000000000000000b",
        ));
        assert_eq!(expected.len(), 68);
        assert_eq!(stat.to_bytes(), expected);
        assert_eq!(Stat::from_bytes(&expected), Ok(stat));
    }

    #[test]
    fn acl_is_perms_then_scheme_then_id() {
        let acl = Acl {
            perms: perms::READ,
            id: Id::new("ip", "10.0.0.1"),
        };
        assert_eq!(
            acl.to_bytes(),
            hex("00000001000000026970000000083130 2e302e302e31"
                .replace(' ', "")
                .as_str())
        );
    }

    #[test]
    fn create_with_null_data_differs_from_empty_data() {
        let null = encode_request(1, &Request::Create(open_create("/a", None)));
        let empty = encode_request(1, &Request::Create(open_create("/a", Some(b""))));
        assert_eq!(&null[14..18], &[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(&empty[14..18], &[0, 0, 0, 0]);
        let (_, decoded) = decode_request(&null).unwrap();
        assert_eq!(decoded, Request::Create(open_create("/a", None)));
    }

    #[test]
    fn failed_reply_carries_no_body() {
        let header = ReplyHeader {
            xid: 4,
            zxid: Zxid(15),
            err: ErrorCode::NoNode.code(),
        };
        let body = Response::Stat(StatResponse {
            stat: Stat::default(),
        });
        let payload = encode_reply(&header, Some(&body));
        assert_eq!(payload, hex("00000004000000000000000fffffff9b"));
        assert_eq!(
            decode_reply(&payload, ResponseKind::Stat),
            Ok((header, None))
        );
        assert_eq!(header.error_code(), Some(ErrorCode::NoNode));
    }

    #[test]
    fn reply_decoded_with_the_wrong_kind_reports_trailing_bytes() {
        let header = ReplyHeader {
            xid: 1,
            zxid: Zxid(2),
            err: 0,
        };
        let payload = encode_reply(
            &header,
            Some(&Response::Create2(Create2Response {
                path: "/a".into(),
                stat: Stat::default(),
            })),
        );
        assert_eq!(
            decode_reply(&payload, ResponseKind::Path),
            Err(DecodeError::TrailingBytes {
                count: 68,
                offset: 22
            })
        );
    }

    #[test]
    fn multi_request_ends_with_the_terminator_header() {
        let payload = encode_request(
            3,
            &Request::Multi(vec![MultiOp::Check(CheckVersionRequest {
                path: "/".into(),
                version: 2,
            })]),
        );
        assert_eq!(
            payload,
            hex(concat!(
                "00000003",
                "0000000e",
                "0000000d00ffffffff",
                "000000012f",
                "00000002",
                "ffffffff01ffffffff",
            ))
        );
    }

    #[test]
    fn multi_op_of_a_type_that_cannot_be_batched_is_rejected() {
        let payload = hex(concat!(
            "00000001",
            "0000000e",
            "0000000300ffffffff",
            "000000012f00",
            "ffffffff01ffffffff",
        ));
        assert_eq!(
            decode_request(&payload),
            Err(DecodeError::InvalidMultiOpType(3))
        );
    }

    #[test]
    fn unknown_op_code_is_kept_with_its_body() {
        let payload = hex("0000000100000032abcd");
        assert_eq!(
            decode_request(&payload),
            Ok((
                RequestHeader {
                    xid: 1,
                    op_code: 50
                },
                Request::Unknown {
                    op_code: 50,
                    body: vec![0xab, 0xcd]
                }
            ))
        );
        assert_eq!(
            encode_request(
                1,
                &Request::Unknown {
                    op_code: 50,
                    body: vec![0xab, 0xcd]
                }
            ),
            payload
        );
    }

    #[test]
    fn truncated_request_body_is_an_error() {
        let mut payload = encode_request(
            7,
            &Request::SetData(SetDataRequest {
                path: "/a".into(),
                data: Some(b"abc".to_vec()),
                version: 1,
            }),
        );
        payload.truncate(payload.len() - 2);
        assert_eq!(
            decode_request(&payload),
            Err(DecodeError::Truncated {
                needed: 4,
                offset: 21,
                available: 2
            })
        );
    }

    #[test]
    fn watcher_event_helper_uses_wire_codes() {
        let event = WatcherEvent::new(EventType::NodeDeleted, KeeperState::SyncConnected, "/x");
        assert_eq!((event.event_type, event.state), (2, 3));
    }

    // -- Frames captured from Apache ZooKeeper 3.8.0 --------------------------------------
    //
    // Recorded with a Python socket client against a standalone 3.8.0 server; each payload is
    // a frame without its length prefix.

    const CONNECT_REQUEST: &str =
        "000000000000000000000000000075300000000000000000000000100000000000000000000000000000000000";
    const CONNECT_RESPONSE: &str =
        "000000000000753001000010c825000500000010905aaa4b8ad7ef5cc11c69e3e590b4a600";
    const CONNECT_RESPONSE_WITHOUT_READ_ONLY: &str =
        "000000000000753001000010c8250004000000107d39b04bea8b1018ccd901b81208a0d9";
    const GET_DATA_OF_NULL_DATA_RESPONSE: &str = concat!(
        "00000003000000000000000f00000000ffffffff000000000000000e000000000000000e",
        "000001a20140fc7b000001a20140fc7b0000000000000000000000000000000000000000",
        "0000000000000000000000000000000e",
    );
    const MULTI_WITH_FAILED_OP_REQUEST: &str = concat!(
        "000000050000000e0000000100ffffffff000000082f70726f746f2d6300000000000000",
        "010000001f00000005776f726c6400000006616e796f6e65000000000000000200ffffff",
        "ff000000052f6e6f7065ffffffff0000000500ffffffff000000082f70726f746f2d6200",
        "0000017affffffffffffffff01ffffffff"
    );
    const MULTI_WITH_FAILED_OP_RESPONSE: &str = concat!(
        "00000005000000000000001000000000ffffffff000000000000000000ffffffff00ffff",
        "ff9bffffff9bffffffff00fffffffefffffffeffffffff01ffffffff"
    );
    const DATA_CHANGED_NOTIFICATION: &str =
        "ffffffffffffffffffffffff000000000000000300000003000000082f70726f746f2d61";
    const MULTI_READ_REQUEST: &str = concat!(
        "00000008000000160000000400ffffffff000000082f70726f746f2d6200000000080",
        "0ffffffff000000052f6e6f706500ffffffff01ffffffff"
    );
    const MULTI_READ_RESPONSE: &str = concat!(
        "000000080000000000000011000000000000000400000000000000000278790000000000",
        "00000f000000000000000f000001a20140fc7d000001a20140fc7d000000000000000000",
        "00000000000000000000000000000200000000000000000000000fffffffff00ffffff9b",
        "ffffff9bffffffff01ffffffff"
    );

    fn captured_stat_of_proto_b() -> Stat {
        Stat {
            czxid: 0xf,
            mzxid: 0xf,
            ctime: 0x1a2_0140_fc7d,
            mtime: 0x1a2_0140_fc7d,
            version: 0,
            cversion: 0,
            aversion: 0,
            ephemeral_owner: 0,
            data_length: 2,
            num_children: 0,
            pzxid: 0xf,
        }
    }

    #[test]
    fn real_connect_request_with_read_only_flag() {
        let bytes = hex(CONNECT_REQUEST);
        let request = ConnectRequest::from_bytes(&bytes).unwrap();
        assert_eq!(
            request,
            ConnectRequest {
                protocol_version: 0,
                last_zxid_seen: Zxid(0),
                timeout_ms: 30_000,
                session_id: 0,
                passwd: vec![0; 16],
                read_only: Some(false),
            }
        );
        assert_eq!(request.to_bytes(), bytes);
    }

    #[test]
    fn connect_request_without_read_only_flag_stays_without() {
        let bytes = hex(CONNECT_REQUEST);
        let old_client = &bytes[..bytes.len() - 1];
        let request = ConnectRequest::from_bytes(old_client).unwrap();
        assert_eq!(request.read_only, None);
        assert_eq!(request.to_bytes(), old_client);
    }

    #[test]
    fn bytes_after_the_read_only_flag_are_ignored_by_the_handshake_decoders() {
        let mut bytes = hex(CONNECT_REQUEST);
        bytes.extend_from_slice(&[1, 2, 3]);
        assert_eq!(
            decode_connect_request(&bytes).map(|request| request.read_only),
            Ok(Some(false))
        );
        assert!(matches!(
            ConnectRequest::from_bytes(&bytes),
            Err(DecodeError::TrailingBytes { count: 3, .. })
        ));
        let mut bytes = hex(CONNECT_RESPONSE);
        bytes.push(9);
        assert_eq!(
            decode_connect_response(&bytes).map(|response| response.read_only),
            Ok(Some(false))
        );
    }

    #[test]
    fn real_connect_responses_echo_the_read_only_flag_only_when_asked() {
        let with_flag = hex(CONNECT_RESPONSE);
        let response = ConnectResponse::from_bytes(&with_flag).unwrap();
        assert_eq!(response.timeout_ms, 30_000);
        assert_eq!(response.session_id, 0x0100_0010_c825_0005);
        assert_eq!(response.passwd.len(), 16);
        assert_eq!(response.read_only, Some(false));
        assert_eq!(response.to_bytes(), with_flag);

        let without_flag = hex(CONNECT_RESPONSE_WITHOUT_READ_ONLY);
        let response = ConnectResponse::from_bytes(&without_flag).unwrap();
        assert_eq!(response.read_only, None);
        assert_eq!(response.to_bytes(), without_flag);
    }

    #[test]
    fn real_get_data_of_a_node_created_with_null_data_returns_null() {
        let bytes = hex(GET_DATA_OF_NULL_DATA_RESPONSE);
        let (header, body) = decode_reply(&bytes, ResponseKind::Data).unwrap();
        assert_eq!(header.zxid, Zxid(0xf));
        let Some(Response::Data(data)) = &body else {
            panic!("expected a getData body, got {body:?}");
        };
        assert_eq!(data.data, None);
        assert_eq!(data.stat.data_length, 0);
        assert_eq!(encode_reply(&header, body.as_ref()), bytes);
    }

    #[test]
    fn real_multi_with_a_failed_op_round_trips() {
        let request_bytes = hex(MULTI_WITH_FAILED_OP_REQUEST);
        let (header, request) = decode_request(&request_bytes).unwrap();
        let expected_ops = vec![
            MultiOp::Create(open_create("/proto-c", Some(b""))),
            MultiOp::Delete(DeleteRequest {
                path: "/nope".into(),
                version: -1,
            }),
            MultiOp::SetData(SetDataRequest {
                path: "/proto-b".into(),
                data: Some(b"z".to_vec()),
                version: -1,
            }),
        ];
        assert_eq!(request, Request::Multi(expected_ops));
        assert_eq!(encode_request(header.xid, &request), request_bytes);

        let response_bytes = hex(MULTI_WITH_FAILED_OP_RESPONSE);
        let (reply_header, body) = decode_reply(&response_bytes, ResponseKind::Multi).unwrap();
        assert_eq!(reply_header.err, 0);
        let error = |err| MultiOpResult::Error(ErrorResponse { err });
        assert_eq!(
            body,
            Some(Response::Multi(MultiResponse {
                results: vec![error(0), error(-101), error(-2)]
            }))
        );
        assert_eq!(encode_reply(&reply_header, body.as_ref()), response_bytes);
    }

    #[test]
    fn real_multi_read_fails_each_op_on_its_own() {
        let request_bytes = hex(MULTI_READ_REQUEST);
        let (header, request) = decode_request(&request_bytes).unwrap();
        let watchless = |p: &str| PathWatchRequest {
            path: p.into(),
            watch: false,
        };
        assert_eq!(
            request,
            Request::MultiRead(vec![
                MultiOp::GetData(watchless("/proto-b")),
                MultiOp::GetChildren(watchless("/nope")),
            ])
        );
        assert_eq!(encode_request(header.xid, &request), request_bytes);

        let response_bytes = hex(MULTI_READ_RESPONSE);
        let (reply_header, body) = decode_reply(&response_bytes, ResponseKind::Multi).unwrap();
        assert_eq!(
            body,
            Some(Response::Multi(MultiResponse {
                results: vec![
                    MultiOpResult::GetData(GetDataResponse {
                        data: Some(b"xy".to_vec()),
                        stat: captured_stat_of_proto_b(),
                    }),
                    MultiOpResult::Error(ErrorResponse { err: -101 }),
                ]
            }))
        );
        assert_eq!(encode_reply(&reply_header, body.as_ref()), response_bytes);
    }

    #[test]
    fn real_notification_has_xid_and_zxid_minus_one() {
        let bytes = hex(DATA_CHANGED_NOTIFICATION);
        let header = decode_reply_header(&bytes).unwrap();
        assert_eq!(header, ReplyHeader::notification());
        let event = WatcherEvent::new(
            EventType::NodeDataChanged,
            KeeperState::SyncConnected,
            "/proto-a",
        );
        assert_eq!(
            decode_reply(&bytes, ResponseKind::Notification),
            Ok((header, Some(Response::Notification(event.clone()))))
        );
        assert_eq!(encode_notification(&event), bytes);
    }

    #[test]
    fn real_ping_who_am_i_and_add_watch_exchanges() {
        assert_eq!(
            decode_request(&hex("fffffffe0000000b")),
            Ok((
                RequestHeader {
                    xid: PING_XID,
                    op_code: 11
                },
                Request::Ping
            ))
        );
        let ping_reply = hex("fffffffe000000000000001100000000");
        assert_eq!(
            decode_reply(&ping_reply, ResponseKind::None),
            Ok((
                ReplyHeader {
                    xid: PING_XID,
                    zxid: Zxid(0x11),
                    err: 0
                },
                None
            ))
        );

        assert_eq!(encode_request(9, &Request::WhoAmI), hex("000000090000006b"));
        let who_am_i =
            hex("0000000900000000000000110000000000000001000000026970000000093132372e302e302e31");
        let (_, body) = decode_reply(&who_am_i, ResponseKind::WhoAmI).unwrap();
        assert_eq!(
            body,
            Some(Response::WhoAmI(WhoAmIResponse {
                client_info: vec![ClientInfo {
                    auth_scheme: "ip".into(),
                    user: "127.0.0.1".into()
                }]
            }))
        );

        let add_watch = Request::AddWatch(AddWatchRequest {
            path: "/proto-b".into(),
            mode: 1,
        });
        assert_eq!(
            encode_request(10, &add_watch),
            hex("0000000a0000006a000000082f70726f746f2d6200000001")
        );
        let (_, body) = decode_reply(
            &hex("0000000a00000000000000110000000000000000"),
            ResponseKind::ErrorCode,
        )
        .unwrap();
        assert_eq!(body, Some(Response::ErrorCode(ErrorResponse { err: 0 })));
    }

    #[test]
    fn trailing_bytes_after_a_request_are_ignored_like_the_real_server() {
        // Apache ZooKeeper answered this getData (three extra bytes) normally.
        let (_, request) =
            decode_request(&hex("0000000700000004000000082f70726f746f2d6200010203")).unwrap();
        assert_eq!(
            request,
            Request::GetData(PathWatchRequest {
                path: "/proto-b".into(),
                watch: false
            })
        );
    }

    #[test]
    fn real_create2_reply_decodes_path_and_stat() {
        let bytes = hex(concat!(
            "00000002000000000000000f00000000000000082f70726f746f2d62000000000000000f",
            "000000000000000f000001a20140fc7d000001a20140fc7d000000000000000000000000",
            "00000000000000000000000200000000000000000000000f"
        ));
        let (_, body) = decode_reply(&bytes, ResponseKind::Create2).unwrap();
        assert_eq!(
            body,
            Some(Response::Create2(Create2Response {
                path: "/proto-b".into(),
                stat: captured_stat_of_proto_b()
            }))
        );
    }

    // -- Property tests -------------------------------------------------------------------

    fn arb_string() -> impl Strategy<Value = String> {
        prop_oneof!["[a-z/]{0,10}", ".{0,4}"]
    }

    fn arb_data() -> impl Strategy<Value = Option<Vec<u8>>> {
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..16))
    }

    fn arb_strings() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec(arb_string(), 0..4)
    }

    fn arb_stat() -> impl Strategy<Value = Stat> {
        (
            (any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>()),
            (any::<i32>(), any::<i32>(), any::<i32>()),
            (any::<i64>(), any::<i32>(), any::<i32>(), any::<i64>()),
        )
            .prop_map(
                |(
                    (czxid, mzxid, ctime, mtime),
                    (version, cversion, aversion),
                    (ephemeral_owner, data_length, num_children, pzxid),
                )| Stat {
                    czxid,
                    mzxid,
                    ctime,
                    mtime,
                    version,
                    cversion,
                    aversion,
                    ephemeral_owner,
                    data_length,
                    num_children,
                    pzxid,
                },
            )
    }

    fn arb_acls() -> impl Strategy<Value = Vec<Acl>> {
        proptest::collection::vec(
            (any::<i32>(), arb_string(), arb_string()).prop_map(|(perms, scheme, id)| Acl {
                perms,
                id: Id { scheme, id },
            }),
            0..3,
        )
    }

    fn arb_create() -> impl Strategy<Value = CreateRequest> {
        (arb_string(), arb_data(), arb_acls(), any::<i32>()).prop_map(|(path, data, acl, flags)| {
            CreateRequest {
                path,
                data,
                acl,
                flags,
            }
        })
    }

    fn arb_create_ttl() -> impl Strategy<Value = CreateTtlRequest> {
        (arb_create(), any::<i64>()).prop_map(|(create, ttl)| CreateTtlRequest {
            path: create.path,
            data: create.data,
            acl: create.acl,
            flags: create.flags,
            ttl,
        })
    }

    fn arb_path_watch() -> impl Strategy<Value = PathWatchRequest> {
        (arb_string(), any::<bool>()).prop_map(|(path, watch)| PathWatchRequest { path, watch })
    }

    fn arb_path() -> impl Strategy<Value = PathRequest> {
        arb_string().prop_map(|path| PathRequest { path })
    }

    fn arb_delete() -> impl Strategy<Value = DeleteRequest> {
        (arb_string(), any::<i32>()).prop_map(|(path, version)| DeleteRequest { path, version })
    }

    fn arb_set_data() -> impl Strategy<Value = SetDataRequest> {
        (arb_string(), arb_data(), any::<i32>()).prop_map(|(path, data, version)| SetDataRequest {
            path,
            data,
            version,
        })
    }

    fn arb_check() -> impl Strategy<Value = CheckVersionRequest> {
        (arb_string(), any::<i32>())
            .prop_map(|(path, version)| CheckVersionRequest { path, version })
    }

    fn arb_watch_type() -> impl Strategy<Value = WatchTypeRequest> {
        (arb_string(), any::<i32>())
            .prop_map(|(path, watcher_type)| WatchTypeRequest { path, watcher_type })
    }

    fn arb_multi_op() -> impl Strategy<Value = MultiOp> {
        prop_oneof![
            arb_create().prop_map(MultiOp::Create),
            arb_create().prop_map(MultiOp::Create2),
            arb_create().prop_map(MultiOp::CreateContainer),
            arb_create_ttl().prop_map(MultiOp::CreateTtl),
            arb_delete().prop_map(MultiOp::Delete),
            arb_set_data().prop_map(MultiOp::SetData),
            arb_check().prop_map(MultiOp::Check),
            arb_path_watch().prop_map(MultiOp::GetChildren),
            arb_path_watch().prop_map(MultiOp::GetData),
        ]
    }

    fn arb_multi_ops() -> impl Strategy<Value = Vec<MultiOp>> {
        proptest::collection::vec(arb_multi_op(), 0..4)
    }

    fn arb_set_watches2() -> impl Strategy<Value = SetWatches2> {
        (
            any::<i64>(),
            arb_strings(),
            arb_strings(),
            arb_strings(),
            arb_strings(),
            arb_strings(),
        )
            .prop_map(
                |(zxid, data, exist, child, persistent, recursive)| SetWatches2 {
                    relative_zxid: Zxid(zxid),
                    data_watches: data,
                    exist_watches: exist,
                    child_watches: child,
                    persistent_watches: persistent,
                    persistent_recursive_watches: recursive,
                },
            )
    }

    /// Op codes that `decode_request` does not map to a typed request: with an empty body, a
    /// typed op either decodes as itself or fails for want of its body.
    fn arb_unknown_op_code() -> impl Strategy<Value = i32> {
        any::<i32>().prop_filter("a typed op code", |&op_code| {
            let header_only = RequestHeader { xid: 0, op_code }.to_bytes();
            matches!(
                decode_request(&header_only),
                Ok((_, Request::Unknown { .. }))
            )
        })
    }

    fn arb_request() -> impl Strategy<Value = Request> {
        prop_oneof![
            arb_create().prop_map(Request::Create),
            arb_create().prop_map(Request::Create2),
            arb_create().prop_map(Request::CreateContainer),
            arb_create_ttl().prop_map(Request::CreateTtl),
            arb_delete().prop_map(Request::Delete),
            arb_path_watch().prop_map(Request::Exists),
            arb_path_watch().prop_map(Request::GetData),
            arb_set_data().prop_map(Request::SetData),
            arb_path().prop_map(Request::GetAcl),
            (arb_string(), arb_acls(), any::<i32>()).prop_map(|(path, acl, version)| {
                Request::SetAcl(SetAclRequest { path, acl, version })
            }),
            arb_path_watch().prop_map(Request::GetChildren),
            arb_path_watch().prop_map(Request::GetChildren2),
            arb_path().prop_map(Request::Sync),
            arb_check().prop_map(Request::Check),
            arb_multi_ops().prop_map(Request::Multi),
            arb_multi_ops().prop_map(Request::MultiRead),
            (arb_string(), arb_string(), arb_string(), any::<i64>()).prop_map(
                |(joining_servers, leaving_servers, new_members, cur_config_id)| {
                    Request::Reconfig(ReconfigRequest {
                        joining_servers,
                        leaving_servers,
                        new_members,
                        cur_config_id,
                    })
                }
            ),
            arb_watch_type().prop_map(Request::CheckWatches),
            arb_watch_type().prop_map(Request::RemoveWatches),
            arb_path().prop_map(Request::GetEphemerals),
            arb_path().prop_map(Request::GetAllChildrenNumber),
            Just(Request::WhoAmI),
            (arb_string(), any::<i32>())
                .prop_map(|(path, mode)| Request::AddWatch(AddWatchRequest { path, mode })),
            arb_set_watches2().prop_map(|w| Request::SetWatches(SetWatches {
                relative_zxid: w.relative_zxid,
                data_watches: w.data_watches,
                exist_watches: w.exist_watches,
                child_watches: w.child_watches,
            })),
            arb_set_watches2().prop_map(Request::SetWatches2),
            (any::<i32>(), arb_string(), arb_data()).prop_map(|(auth_type, scheme, auth)| {
                Request::Auth(AuthPacket {
                    auth_type,
                    scheme,
                    auth: auth.unwrap_or_default(),
                })
            }),
            arb_data().prop_map(|token| Request::Sasl(SaslToken {
                token: token.unwrap_or_default()
            })),
            Just(Request::Ping),
            Just(Request::CloseSession),
            (
                arb_unknown_op_code(),
                proptest::collection::vec(any::<u8>(), 0..8)
            )
                .prop_map(|(op_code, body)| Request::Unknown { op_code, body }),
        ]
    }

    fn arb_multi_result() -> impl Strategy<Value = MultiOpResult> {
        prop_oneof![
            arb_string().prop_map(|path| MultiOpResult::Create(PathResponse { path })),
            (arb_string(), arb_stat())
                .prop_map(|(path, stat)| MultiOpResult::Create2(Create2Response { path, stat })),
            Just(MultiOpResult::Delete),
            arb_stat().prop_map(|stat| MultiOpResult::SetData(StatResponse { stat })),
            Just(MultiOpResult::Check),
            arb_strings()
                .prop_map(|names| MultiOpResult::GetChildren(StringListResponse { names })),
            (arb_data(), arb_stat())
                .prop_map(|(data, stat)| MultiOpResult::GetData(GetDataResponse { data, stat })),
            any::<i32>().prop_map(|err| MultiOpResult::Error(ErrorResponse { err })),
        ]
    }

    fn arb_response() -> impl Strategy<Value = Response> {
        prop_oneof![
            arb_string().prop_map(|path| Response::Path(PathResponse { path })),
            (arb_string(), arb_stat())
                .prop_map(|(path, stat)| Response::Create2(Create2Response { path, stat })),
            arb_stat().prop_map(|stat| Response::Stat(StatResponse { stat })),
            (arb_data(), arb_stat())
                .prop_map(|(data, stat)| Response::Data(GetDataResponse { data, stat })),
            (arb_acls(), arb_stat())
                .prop_map(|(acl, stat)| Response::Acl(GetAclResponse { acl, stat })),
            arb_strings().prop_map(|names| Response::StringList(StringListResponse { names })),
            (arb_strings(), arb_stat()).prop_map(|(children, stat)| Response::Children2(
                GetChildren2Response { children, stat }
            )),
            any::<i32>().prop_map(
                |total_number| Response::Count(GetAllChildrenNumberResponse { total_number })
            ),
            any::<i32>().prop_map(|err| Response::ErrorCode(ErrorResponse { err })),
            proptest::collection::vec((arb_string(), arb_string()), 0..3).prop_map(|infos| {
                Response::WhoAmI(WhoAmIResponse {
                    client_info: infos
                        .into_iter()
                        .map(|(auth_scheme, user)| ClientInfo { auth_scheme, user })
                        .collect(),
                })
            }),
            proptest::collection::vec(arb_multi_result(), 0..4)
                .prop_map(|results| Response::Multi(MultiResponse { results })),
            arb_data().prop_map(|token| Response::Sasl(SaslToken {
                token: token.unwrap_or_default()
            })),
            (any::<i32>(), any::<i32>(), arb_string()).prop_map(|(event_type, state, path)| {
                Response::Notification(WatcherEvent {
                    event_type,
                    state,
                    path,
                })
            }),
        ]
    }

    fn assert_record_round_trips<R: Record + PartialEq + std::fmt::Debug>(
        record: &R,
    ) -> Result<(), TestCaseError> {
        let bytes = record.to_bytes();
        prop_assert_eq!(&R::from_bytes(&bytes)?, record);
        Ok(())
    }

    const ALL_RESPONSE_KINDS: [ResponseKind; 14] = [
        ResponseKind::None,
        ResponseKind::Path,
        ResponseKind::Create2,
        ResponseKind::Stat,
        ResponseKind::Data,
        ResponseKind::Acl,
        ResponseKind::StringList,
        ResponseKind::Children2,
        ResponseKind::Count,
        ResponseKind::ErrorCode,
        ResponseKind::WhoAmI,
        ResponseKind::Multi,
        ResponseKind::Sasl,
        ResponseKind::Notification,
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn every_request_round_trips(xid in any::<i32>(), request in arb_request()) {
            let payload = encode_request(xid, &request);
            let (header, decoded) = decode_request(&payload)?;
            prop_assert_eq!(header, RequestHeader { xid, op_code: request.op_code() });
            prop_assert_eq!(decoded, request);
        }

        #[test]
        fn every_response_round_trips(
            xid in any::<i32>(),
            zxid in any::<i64>(),
            response in arb_response(),
        ) {
            let header = ReplyHeader { xid, zxid: Zxid(zxid), err: 0 };
            let payload = encode_reply(&header, Some(&response));
            prop_assert_eq!(
                decode_reply(&payload, response.kind())?,
                (header, Some(response))
            );
        }

        #[test]
        fn handshake_and_small_records_round_trip(
            zxid in any::<i64>(),
            timeout_ms in any::<i32>(),
            session_id in any::<i64>(),
            passwd in proptest::collection::vec(any::<u8>(), 0..20),
            read_only in proptest::option::of(any::<bool>()),
            stat in arb_stat(),
            acls in arb_acls(),
            multi_header in (any::<i32>(), any::<bool>(), any::<i32>()),
        ) {
            assert_record_round_trips(&ConnectRequest {
                protocol_version: 0,
                last_zxid_seen: Zxid(zxid),
                timeout_ms,
                session_id,
                passwd: passwd.clone(),
                read_only,
            })?;
            assert_record_round_trips(&ConnectResponse {
                protocol_version: 0,
                timeout_ms,
                session_id,
                passwd,
                read_only,
            })?;
            assert_record_round_trips(&stat)?;
            for acl in &acls {
                assert_record_round_trips(acl)?;
                assert_record_round_trips(&acl.id)?;
            }
            let (op_type, done, err) = multi_header;
            assert_record_round_trips(&MultiHeader { op_type, done, err })?;
            assert_record_round_trips(&ReplyHeader { xid: timeout_ms, zxid: Zxid(zxid), err })?;
        }

        #[test]
        fn decode_request_never_panics_on_arbitrary_bytes(
            bytes in proptest::collection::vec(any::<u8>(), 0..96),
        ) {
            let _ = decode_request(&bytes);
            let _ = ConnectRequest::from_bytes(&bytes);
            let _ = ConnectResponse::from_bytes(&bytes);
        }

        #[test]
        fn decode_request_never_panics_on_known_op_codes_with_garbage_bodies(
            xid in any::<i32>(),
            op_code in prop_oneof![-12i32..24, 99i32..109],
            body in proptest::collection::vec(any::<u8>(), 0..96),
        ) {
            let mut payload = RequestHeader { xid, op_code }.to_bytes();
            payload.extend_from_slice(&body);
            let _ = decode_request(&payload);
        }

        #[test]
        fn decode_reply_never_panics_whatever_the_expected_kind(
            body in proptest::collection::vec(any::<u8>(), 0..96),
        ) {
            let mut payload = ReplyHeader { xid: 1, zxid: Zxid(1), err: 0 }.to_bytes();
            payload.extend_from_slice(&body);
            for kind in ALL_RESPONSE_KINDS {
                let _ = decode_reply(&payload, kind);
            }
            let _ = decode_reply_header(&body);
        }
    }
}
