"""A deliberately small ZooKeeper 3.8 client that speaks the wire protocol itself.

kazoo 2.8 cannot send createContainer, createTTL, multiRead, getEphemerals,
getAllChildrenNumber, whoAmI, addWatch, removeWatches, checkWatches, setWatches2,
a standalone check, nor stop pinging on request; this client can. It also records
everything the server sends in arrival order (`arrivals`), which is how the suite pins
"a watch event arrives before the reply to the next read".

Encoding (jute): int32/int64 big-endian, bool one byte, buffer/ustring = int32 length
(-1 = null) + bytes, vector = int32 count (-1 = null) + items. Every frame is an int32
length followed by the payload. The first frame each way is the handshake (no header);
after it, requests are RequestHeader{xid, type} + record and replies are
ReplyHeader{xid, zxid, err} + record (the record only when err == 0).

Only what the suite needs is here; each op is one small method over `call`.
"""

import socket
import struct
import threading
import time
from collections import namedtuple

# Opcodes (ZooDefs.OpCode).
CREATE, DELETE, EXISTS, GET_DATA, SET_DATA, GET_ACL, SET_ACL = 1, 2, 3, 4, 5, 6, 7
GET_CHILDREN, SYNC, PING, GET_CHILDREN2, CHECK, MULTI, CREATE2 = 8, 9, 11, 12, 13, 14, 15
CHECK_WATCHES, REMOVE_WATCHES, CREATE_CONTAINER, CREATE_TTL, MULTI_READ = 17, 18, 19, 21, 22
AUTH, SET_WATCHES, GET_EPHEMERALS, GET_ALL_CHILDREN_NUMBER = 100, 101, 103, 104
SET_WATCHES2, ADD_WATCH, WHO_AM_I, CLOSE_SESSION, ERROR = 105, 106, 107, -11, -1

# Special xids.
WATCH_XID, PING_XID, AUTH_XID, SET_WATCHES_XID = -1, -2, -4, -8

# Create flags (CreateMode).
PERSISTENT, EPHEMERAL, PERSISTENT_SEQUENTIAL, EPHEMERAL_SEQUENTIAL = 0, 1, 2, 3
CONTAINER, PERSISTENT_WITH_TTL, PERSISTENT_SEQUENTIAL_WITH_TTL = 4, 5, 6

# ACL permission bits (ZooDefs.Perms).
READ, WRITE, CREATE_PERM, DELETE_PERM, ADMIN, ALL = 1, 2, 4, 8, 16, 31

# addWatch modes and WatcherType.
PERSISTENT_WATCH, PERSISTENT_RECURSIVE_WATCH = 0, 1
WATCH_CHILDREN, WATCH_DATA, WATCH_ANY = 1, 2, 3

ERROR_NAMES = {
    0: "OK", -1: "SystemError", -2: "RuntimeInconsistency", -3: "DataInconsistency",
    -4: "ConnectionLoss", -5: "MarshallingError", -6: "Unimplemented",
    -7: "OperationTimeout", -8: "BadArguments", -12: "UnknownSession",
    -13: "NewConfigNoQuorum", -14: "ReconfigInProgress", -100: "APIError",
    -101: "NoNode", -102: "NoAuth", -103: "BadVersion", -108: "NoChildrenForEphemerals",
    -110: "NodeExists", -111: "NotEmpty", -112: "SessionExpired", -113: "InvalidCallback",
    -114: "InvalidACL", -115: "AuthFailed", -118: "SessionMoved", -119: "NotReadOnly",
    -120: "EphemeralOnLocalSession", -121: "NoWatcher", -122: "RequestTimeout",
    -123: "ReconfigDisabled", -125: "QuotaExceeded", -127: "ThrottledOp",
}

Stat = namedtuple("Stat", "czxid mzxid ctime mtime version cversion aversion "
                          "ephemeralOwner dataLength numChildren pzxid")
STAT = struct.Struct(">qqqqiiiqiiq")
Acl = namedtuple("Acl", "perms scheme id")
OPEN_ACL_UNSAFE = [Acl(31, "world", "anyone")]
Event = namedtuple("Event", "type state path")


class ZkError(Exception):
    """A reply whose header carried a non-zero err."""

    def __init__(self, code, op=None):
        super().__init__("%s(%d)%s" % (ERROR_NAMES.get(code, "?"), code,
                                        " for op %d" % op if op is not None else ""))
        self.code = code


class ConnectionClosed(Exception):
    """The server closed the socket (or the client dropped it)."""


# ---------------------------------------------------------------- jute encoding
class W:
    def __init__(self):
        self.b = bytearray()

    def int(self, v):
        self.b += struct.pack(">i", v)
        return self

    def long(self, v):
        self.b += struct.pack(">q", v)
        return self

    def bool(self, v):
        self.b += b"\x01" if v else b"\x00"
        return self

    def buffer(self, v):
        if v is None:
            return self.int(-1)
        self.int(len(v))
        self.b += v
        return self

    def string(self, v):
        return self.buffer(None if v is None else v.encode())

    def strings(self, vs):
        self.int(len(vs))
        for v in vs:
            self.string(v)
        return self

    def acls(self, acls):
        self.int(len(acls))
        for a in acls:
            self.int(a.perms).string(a.scheme).string(a.id)
        return self


class R:
    def __init__(self, data, offset=0):
        self.d, self.o = data, offset

    def _take(self, fmt):
        v = struct.unpack_from(fmt, self.d, self.o)[0]
        self.o += struct.calcsize(fmt)
        return v

    def int(self):
        return self._take(">i")

    def long(self):
        return self._take(">q")

    def bool(self):
        return self._take(">?")

    def buffer(self):
        n = self.int()
        if n < 0:
            return None
        v = bytes(self.d[self.o:self.o + n])
        self.o += n
        return v

    def string(self):
        v = self.buffer()
        return None if v is None else v.decode()

    def strings(self):
        n = self.int()
        return None if n < 0 else [self.string() for _ in range(n)]

    def stat(self):
        v = Stat._make(STAT.unpack_from(self.d, self.o))
        self.o += STAT.size
        return v

    def acls(self):
        return [Acl(self.int(), self.string(), self.string()) for _ in range(self.int())]

    def remaining(self):
        return len(self.d) - self.o


def create_record(path, data, acl, flags, ttl=None):
    w = W().string(path).buffer(data).acls(acl).int(flags)
    if ttl is not None:
        w.long(ttl)
    return w.b


# ---------------------------------------------------------------- multi ops
# Each op: (opcode, record bytes). Build them with these helpers.
def op_create(path, data=b"", acl=OPEN_ACL_UNSAFE, flags=0, kind=CREATE, ttl=None):
    return (kind, create_record(path, data, acl, flags, ttl))


def op_delete(path, version=-1):
    return (DELETE, W().string(path).int(version).b)


def op_set_data(path, data, version=-1):
    return (SET_DATA, W().string(path).buffer(data).int(version).b)


def op_check(path, version):
    return (CHECK, W().string(path).int(version).b)


def op_get_data(path, watch=False):
    return (GET_DATA, W().string(path).bool(watch).b)


def op_get_children(path, watch=False):
    return (GET_CHILDREN, W().string(path).bool(watch).b)


def _read_multi(r):
    """MultiResponse: (type, done, err) headers, each followed by that op's result."""
    results = []
    while True:
        kind, done, err = r.int(), r.bool(), r.int()
        if done:
            return results
        if kind == ERROR:
            results.append(("error", ERROR_NAMES.get(r.int(), "?")))
        elif kind == CREATE:
            results.append(("create", r.string()))
        elif kind in (CREATE2, CREATE_TTL, CREATE_CONTAINER):
            results.append(("create2" if kind == CREATE2 else kind, r.string(), r.stat()))
        elif kind in (DELETE, CHECK):
            results.append(("delete" if kind == DELETE else "check",))
        elif kind == SET_DATA:
            results.append(("setData", r.stat()))
        elif kind == GET_DATA:
            results.append(("getData", r.buffer(), r.stat()))
        elif kind == GET_CHILDREN:
            results.append(("getChildren", sorted(r.strings())))
        else:
            raise ValueError("unexpected multi result type %d" % kind)


# ---------------------------------------------------------------- the client
class RawClient:
    """One connection, one session. Requests are synchronous; a reader thread files
    replies by xid and records watch events; a pinger keeps the session alive unless
    `pings_paused` is set."""

    def __init__(self, host, port, timeout_ms=10000, session_id=0, passwd=b"\0" * 16,
                 last_zxid=0, read_only=False, io_timeout=10.0):
        self.host, self.port, self.io_timeout = host, port, io_timeout
        self.sock = socket.create_connection((host, port), timeout=io_timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._send_frame(W().int(0).long(last_zxid).int(timeout_ms).long(session_id)
                         .buffer(passwd).bool(read_only).b)
        r = R(self._recv_frame())
        self.protocol_version, self.timeout_ms = r.int(), r.int()
        self.session_id, self.passwd = r.long(), r.buffer()
        self.read_only = r.bool() if r.remaining() else None
        # An unknown or expired session is answered with timeOut 0 and session id 0.
        self.expired = self.timeout_ms == 0 and self.session_id == 0
        self.xid = 0
        self.last_zxid = last_zxid
        self.lock = threading.Lock()
        self.cv = threading.Condition()
        self.replies = {}          # xid -> (zxid, err, body R)
        self.arrivals = []         # ("event", Event) / ("reply", xid) in arrival order
        self.events = []           # Event, in arrival order
        self.closed = None         # set to a reason once the socket is gone
        self.pings_paused = threading.Event()
        self.sock.settimeout(None)
        if self.expired:
            self._mark_closed("expired at handshake")
            return
        threading.Thread(target=self._reader, daemon=True).start()
        threading.Thread(target=self._pinger, daemon=True).start()

    # -- framing
    def _send_frame(self, payload):
        self.sock.sendall(struct.pack(">i", len(payload)) + bytes(payload))

    def _recv_exact(self, n):
        out = bytearray()
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionClosed("server closed the connection")
            out += chunk
        return bytes(out)

    def _recv_frame(self):
        (n,) = struct.unpack(">i", self._recv_exact(4))
        return self._recv_exact(n)

    def _mark_closed(self, reason):
        with self.cv:
            if self.closed is None:
                self.closed = reason
            self.cv.notify_all()

    def _reader(self):
        try:
            while True:
                r = R(self._recv_frame())
                xid, zxid, err = r.int(), r.long(), r.int()
                with self.cv:
                    if xid == WATCH_XID:
                        ev = Event(r.int(), r.int(), r.string())
                        self.events.append(ev)
                        self.arrivals.append(("event", ev))
                    else:
                        if zxid > 0:
                            self.last_zxid = zxid
                        if xid != PING_XID:
                            self.arrivals.append(("reply", xid))
                        self.replies[xid] = (zxid, err, r)
                    self.cv.notify_all()
        except (OSError, ConnectionClosed, struct.error) as e:
            self._mark_closed(str(e) or type(e).__name__)

    def _pinger(self):
        interval = max(self.timeout_ms / 3000.0, 0.2)
        while self.closed is None:
            time.sleep(interval)
            if self.closed is None and not self.pings_paused.is_set():
                try:
                    with self.lock:
                        self._send_frame(W().int(PING_XID).int(PING).b)
                except OSError:
                    return

    # -- requests
    def send(self, op, record=b"", xid=None):
        """Sends one request without waiting; returns its xid."""
        with self.lock:
            if xid is None:
                self.xid += 1
                xid = self.xid
            with self.cv:
                self.replies.pop(xid, None)
            self._send_frame(W().int(xid).int(op).b + bytes(record))
        return xid

    def wait_reply(self, xid, timeout=None):
        deadline = time.monotonic() + (timeout or self.io_timeout)
        with self.cv:
            while xid not in self.replies:
                if self.closed is not None:
                    raise ConnectionClosed(self.closed)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no reply to xid %d" % xid)
                self.cv.wait(left)
            return self.replies.pop(xid)

    def call(self, op, record=b"", xid=None):
        """Sends a request, waits for its reply, raises ZkError on err != 0,
        returns a reader positioned at the reply body."""
        zxid, err, body = self.wait_reply(self.send(op, record, xid))
        self.reply_zxid = zxid
        if err != 0:
            raise ZkError(err, op)
        return body

    # -- operations
    def create(self, path, data=b"", acl=OPEN_ACL_UNSAFE, flags=PERSISTENT, kind=CREATE, ttl=None):
        """kind: CREATE -> path; CREATE2, CREATE_CONTAINER, CREATE_TTL -> (path, stat)."""
        if kind == CREATE_TTL and ttl is None:
            raise ValueError("createTTL needs ttl")
        r = self.call(kind, create_record(path, data, acl, flags, ttl))
        return r.string() if kind == CREATE else (r.string(), r.stat())

    def delete(self, path, version=-1):
        self.call(DELETE, op_delete(path, version)[1])

    def exists(self, path, watch=False):
        try:
            return self.call(EXISTS, W().string(path).bool(watch).b).stat()
        except ZkError as e:
            if e.code == -101:
                return None
            raise

    def get_data(self, path, watch=False):
        r = self.call(GET_DATA, W().string(path).bool(watch).b)
        return r.buffer(), r.stat()

    def set_data(self, path, data, version=-1):
        return self.call(SET_DATA, op_set_data(path, data, version)[1]).stat()

    def get_acl(self, path):
        r = self.call(GET_ACL, W().string(path).b)
        return r.acls(), r.stat()

    def set_acl(self, path, acl, version=-1):
        return self.call(SET_ACL, W().string(path).acls(acl).int(version).b).stat()

    def get_children(self, path, watch=False):
        return self.call(GET_CHILDREN, W().string(path).bool(watch).b).strings()

    def get_children2(self, path, watch=False):
        r = self.call(GET_CHILDREN2, W().string(path).bool(watch).b)
        return r.strings(), r.stat()

    def sync(self, path):
        return self.call(SYNC, W().string(path).b).string()

    def check(self, path, version):
        """A check outside a multi: the server answers with an empty body (3.8)."""
        r = self.call(CHECK, op_check(path, version)[1])
        return r.remaining()

    def multi(self, ops, kind=MULTI):
        w = W()
        for op, record in ops:
            w.int(op).bool(False).int(-1)
            w.b += record
        w.int(-1).bool(True).int(-1)
        return _read_multi(self.call(kind, w.b))

    def multi_read(self, ops):
        return self.multi(ops, kind=MULTI_READ)

    def add_auth(self, scheme, auth):
        """AuthPacket under xid -4; a bad credential is err -115 and the server closes."""
        self.call(AUTH, W().int(0).string(scheme).buffer(auth).b, xid=AUTH_XID)

    def set_watches(self, relative_zxid, data=(), exist=(), child=(),
                    persistent=None, recursive=None):
        """setWatches (101), or setWatches2 (105) when persistent lists are given."""
        w = W().long(relative_zxid).strings(list(data)).strings(list(exist)).strings(list(child))
        op = SET_WATCHES
        if persistent is not None or recursive is not None:
            w.strings(list(persistent or ())).strings(list(recursive or ()))
            op = SET_WATCHES2
        self.call(op, w.b, xid=SET_WATCHES_XID)

    def get_ephemerals(self, prefix):
        return self.call(GET_EPHEMERALS, W().string(prefix).b).strings()

    def get_all_children_number(self, path):
        return self.call(GET_ALL_CHILDREN_NUMBER, W().string(path).b).int()

    def who_am_i(self):
        r = self.call(WHO_AM_I)
        return [(r.string(), r.string()) for _ in range(r.int())]

    def add_watch(self, path, mode):
        """The reply body is ErrorResponse{err=0}: 4 bytes, returned as-is."""
        return self.call(ADD_WATCH, W().string(path).int(mode).b).int()

    def remove_watches(self, path, kind):
        self.call(REMOVE_WATCHES, W().string(path).int(kind).b)

    def check_watches(self, path, kind):
        self.call(CHECK_WATCHES, W().string(path).int(kind).b)

    def ping(self):
        """A synchronous ping; returns the zxid in its reply header."""
        with self.cv:
            self.replies.pop(PING_XID, None)
        with self.lock:
            self._send_frame(W().int(PING_XID).int(PING).b)
        zxid, err, _ = self.wait_reply(PING_XID)
        return zxid

    def close(self):
        """closeSession, wait for its reply, then the server closes the socket."""
        if self.closed is None:
            try:
                self.call(CLOSE_SESSION)
            except (ConnectionClosed, OSError):
                pass
        self.drop()

    def drop(self):
        """Close the socket without ending the session (a network failure)."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self._mark_closed("dropped by client")

    def wait_closed(self, timeout):
        deadline = time.monotonic() + timeout
        with self.cv:
            while self.closed is None and time.monotonic() < deadline:
                self.cv.wait(deadline - time.monotonic())
            return self.closed is not None
