"""Run one scenario against REFERENCE and TARGET and compare what the clients saw.

A scenario is a function of one argument, a `Side`. It runs twice, concurrently, once
per server, and must do the same thing on both (decisions come from its code or a
seeded RNG, never from what a server answered). Everything it wants compared goes
through `Side.step` / `Side.record` / `Side.flush`, which append normalized entries to
the side's transcript:

- results and errors: errors become ("error", "NoNode") whether they came from kazoo
  or from the raw client, other exceptions ("exception", class name);
- Stats: ctime/mtime become "t" (0 stays 0), ephemeralOwner becomes the symbolic
  session name ("session A"), zxids are compared exactly (both servers start empty);
- watch events: per client, in arrival order, collected at `flush` points. A flush is
  a round trip on that client's own connection, after which ZooKeeper guarantees that
  every event for a write that completed before it has arrived.

Times are not compared between servers but checked on each: the same zxid always
carries the same time, a larger zxid never an earlier time, and every time lies in
the wall-clock window of the run.

On a mismatch the test fails with the first differing step side by side.
"""

import itertools
import os
import pprint
import threading
import time
import traceback

from kazoo.client import KazooClient
from kazoo.exceptions import ZookeeperError
from kazoo.protocol.states import Callback

import zkraw

EVENT_NAMES = {-1: "NONE", 1: "CREATED", 2: "DELETED", 3: "CHANGED", 4: "CHILD",
               5: "DATA_WATCH_REMOVED", 6: "CHILD_WATCH_REMOVED"}
STATE_NAMES = {0: "DISCONNECTED", 3: "CONNECTED", 4: "AUTH_FAILED", 5: "CONNECTED_RO",
               -112: "EXPIRED_SESSION", 7: "CLOSED"}


class ScenarioError(Exception):
    """The scenario itself broke (a bug in the test, not a server difference)."""


class Side:
    """One server's run of a scenario: its clients and its transcript."""

    def __init__(self, role, server):
        self.role = role
        self.server = server
        self.transcript = []           # [(label, normalized value)]
        self.sessions = {}             # session id -> symbolic name
        self.clients = {}              # name -> KazooClient | RawClient
        self.pending = {}              # name -> [(tag, event)] kazoo events not yet flushed
        self.raw_seen = {}             # name -> number of raw events already flushed
        self.times = {}                # zxid -> time, to check time consistency
        self.time_problems = []
        self.start_ms = int(time.time() * 1000)
        self.lock = threading.Lock()

    # ------------------------------------------------------------ clients
    def kazoo(self, name, timeout=10.0, **kw):
        """A started kazoo client whose session is known as `name`."""
        k = KazooClient(hosts=self.server.hosts, timeout=timeout,
                        connection_retry=dict(max_tries=-1, delay=0.05, max_delay=0.5), **kw)
        k.start(timeout=15)
        self.clients[name] = k
        self.pending.setdefault(name, [])
        self.name_session(k.client_id[0], name)
        return k

    def raw(self, name, **kw):
        """A connected raw-protocol client whose session is known as `name`."""
        c = zkraw.RawClient(zkraw_host(self.server), self.server.port, **kw)
        self.clients[name] = c
        self.raw_seen.setdefault(name, 0)
        if not c.expired:
            self.name_session(c.session_id, name)
        return c

    def name_session(self, session_id, name):
        self.sessions.setdefault(session_id, name)

    def watch(self, client, tag):
        """A kazoo watch function that files its events under `client` with `tag`."""
        def fire(event):
            with self.lock:
                self.pending[client].append((tag, ("event", event.type, event.state, event.path)))
        return fire

    # ------------------------------------------------------------ recording
    def step(self, label, fn, *args, **kw):
        """Runs fn(*args, **kw), records its normalized result or error, returns the raw
        result (or None on error)."""
        try:
            result = fn(*args, **kw)
        except Exception as e:  # noqa: BLE001 - every error is part of the transcript
            self.transcript.append((label, self.norm_error(e)))
            return None
        self.transcript.append((label, self.norm(result)))
        return result

    def record(self, label, value):
        self.transcript.append((label, self.norm(value)))

    def flush(self, client):
        """Records the events `client` received since its last flush. Makes a round trip
        on that client's connection first, so events that must precede it are in."""
        c = self.clients[client]
        if isinstance(c, zkraw.RawClient):
            if c.closed is None:
                try:
                    c.exists("/")
                except (zkraw.ConnectionClosed, TimeoutError, OSError):
                    pass
            with c.cv:
                new = c.events[self.raw_seen[client]:]
                self.raw_seen[client] = len(c.events)
            events = [("event", EVENT_NAMES.get(e.type, e.type),
                       STATE_NAMES.get(e.state, e.state), e.path) for e in new]
        else:
            if c.connected:
                try:
                    c.exists("/")
                except Exception:  # noqa: BLE001 - a dead connection has nothing to flush
                    pass
            drained = threading.Event()
            # The callback queue is FIFO: once this runs, earlier watch callbacks have too.
            c.handler.dispatch_callback(Callback("watch", drained.set, ()))
            drained.wait(10)
            with self.lock:
                pending, self.pending[client] = self.pending[client], []
            events = _canonical_kazoo_events(pending)
        self.transcript.append(("events of " + client, events))
        return events

    def wait_for(self, what, predicate, timeout=15.0, interval=0.02):
        """Polls until predicate() is true; records a timeout (which the other side will
        most likely not have) instead of raising, so the diff shows where it happened."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if predicate():
                    return True
            except Exception:  # noqa: BLE001 - not ready yet
                pass
            if time.monotonic() > deadline:
                self.transcript.append(("wait: " + what, "TIMED OUT after %.0fs" % timeout))
                return False
            time.sleep(interval)

    def close_all(self):
        for c in self.clients.values():
            try:
                if isinstance(c, zkraw.RawClient):
                    c.drop()
                else:
                    c.stop()
                    c.close()
            except Exception:  # noqa: BLE001 - best effort at the end of a run
                pass

    # ------------------------------------------------------------ normalization
    def norm_error(self, e):
        code = getattr(e, "code", None)
        if isinstance(e, (ZookeeperError, zkraw.ZkError)) and isinstance(code, int):
            return ("error", zkraw.ERROR_NAMES.get(code, code))
        return ("exception", type(e).__name__)

    def norm(self, v):
        if isinstance(v, BaseException):
            return self.norm_error(v)
        if hasattr(v, "czxid") and hasattr(v, "pzxid"):
            return self.norm_stat(v)
        if hasattr(v, "perms") and hasattr(v, "id"):
            if hasattr(v.id, "scheme"):          # kazoo ACL(perms, Id(scheme, id))
                return ("acl", v.perms, v.id.scheme, v.id.id)
            return ("acl", v.perms, v.scheme, v.id)
        if isinstance(v, zkraw.Event):
            return ("event", EVENT_NAMES.get(v.type, v.type), STATE_NAMES.get(v.state, v.state),
                    v.path)
        if isinstance(v, (list, tuple)):
            return [self.norm(x) for x in v]
        if isinstance(v, dict):
            return {k: self.norm(x) for k, x in v.items()}
        return v

    def owner(self, value):
        if value == 0:
            return 0
        if value in self.sessions:
            return "session " + self.sessions[value]
        return "unknown owner 0x%x" % (value & 0xFFFFFFFFFFFFFFFF)

    def norm_stat(self, s):
        self._note_time(s.czxid, s.ctime, "ctime")
        self._note_time(s.mzxid, s.mtime, "mtime")
        if s.mtime < s.ctime:
            self.time_problems.append("mtime %d < ctime %d (czxid %d)" % (s.mtime, s.ctime, s.czxid))
        return {
            "czxid": s.czxid, "mzxid": s.mzxid, "pzxid": s.pzxid,
            "ctime": 0 if s.ctime == 0 else "t", "mtime": 0 if s.mtime == 0 else "t",
            "version": s.version, "cversion": s.cversion, "aversion": s.aversion,
            "ephemeralOwner": self.owner(s.ephemeralOwner),
            "dataLength": s.dataLength, "numChildren": s.numChildren,
        }

    def _note_time(self, zxid, t, field):
        if t == 0 and zxid == 0:
            return                    # the nodes every server starts with
        now = int(time.time() * 1000)
        if not (self.start_ms - 2000 <= t <= now + 2000):
            self.time_problems.append("%s %d of zxid %d is outside the run's window [%d, %d]"
                                      % (field, t, zxid, self.start_ms, now))
        known = self.times.setdefault(zxid, t)
        if known != t:
            self.time_problems.append("zxid %d carries two times, %d and %d" % (zxid, known, t))

    def check_times(self):
        ordered = sorted(self.times.items())
        for (z1, t1), (z2, t2) in zip(ordered, ordered[1:]):
            if t2 < t1:
                self.time_problems.append("zxid %d has time %d, earlier than zxid %d's %d"
                                          % (z2, t2, z1, t1))
        return self.time_problems


def zkraw_host(server):
    return server.hosts.rsplit(":", 1)[0]


def _canonical_kazoo_events(pending):
    """kazoo hands one notification to all its watchers in set order (which differs
    between runs); sort the tags within each run of identical events."""
    out = []
    for event, group in itertools.groupby(pending, key=lambda te: te[1]):
        for tag in sorted(t for t, _ in group):
            out.append((tag,) + event[1:])
    return out


def sorted_children(result):
    """get_children results with the children sorted (Apache returns hash order)."""
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], list):
        return (sorted(result[0]), result[1])
    return sorted(result)


# ---------------------------------------------------------------- running and comparing
def run_side(role, server, scenario):
    side = Side(role, server)
    try:
        scenario(side)
        side.crash = None
    except Exception:  # noqa: BLE001 - reported below
        side.crash = traceback.format_exc()
    finally:
        side.close_all()
    return side


def compare(scenario, ref_server, tgt_server):
    """Runs `scenario` on both servers at once and asserts identical transcripts."""
    __tracebackhide__ = True  # pytest: show the diff, not this function
    results = {}

    def run(role, server):
        results[role] = run_side(role, server, scenario)

    threads = [threading.Thread(target=run, args=("reference", ref_server)),
               threading.Thread(target=run, args=("target", tgt_server))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ref, tgt = results["reference"], results["target"]
    if ref.crash:
        raise ScenarioError("the scenario failed against the REFERENCE server, so the test "
                            "itself is wrong:\n" + ref.crash)
    problems = []
    if tgt.crash:
        problems.append("the scenario crashed against the TARGET:\n" + tgt.crash)
    diff = first_difference(ref.transcript, tgt.transcript)
    if diff:
        problems.append(diff)
    for side in (ref, tgt):
        for p in side.check_times()[:5]:
            problems.append("%s: time inconsistency: %s" % (side.role.upper(), p))
    if os.environ.get("ZKCONF_SHOW"):
        for i, (label, value) in enumerate(ref.transcript):
            print("#%d %s -> %s" % (i + 1, label, _fmt(value)))
    if problems:
        raise AssertionError("\n\n".join(problems))
    return ref.transcript


def _fmt(value):
    return pprint.pformat(value, width=int(os.environ.get("ZKCONF_WIDTH", "160")), compact=True)


def first_difference(ref, tgt, context=3):
    for i, (a, b) in enumerate(itertools.zip_longest(ref, tgt)):
        if a == b:
            continue
        lines = ["transcripts differ at step %d (of %d reference / %d target steps)"
                 % (i + 1, len(ref), len(tgt))]
        for j in range(max(0, i - context), i):
            lines.append("  same  #%d %s -> %s" % (j + 1, ref[j][0], _short(ref[j][1])))
        for role, entry in (("REFERENCE", a), ("TARGET", b)):
            if entry is None:
                lines.append("  %-9s #%d (no such step: the run ended)" % (role, i + 1))
            else:
                lines.append("  %-9s #%d %s ->\n%s" % (role, i + 1, entry[0],
                                                        _indent(_fmt(entry[1]))))
        if a is not None and b is not None:
            leaves = _leaf_diffs(a[1], b[1], "")
            if leaves:
                lines.append("  differing: " + "; ".join(
                    "%s reference %r, target %r" % d for d in leaves[:6]))
        return "\n".join(lines)
    return None


def _short(value, limit=150):
    text = pprint.pformat(value, width=10000, compact=True)
    return text if len(text) <= limit else text[:limit] + " ..."


def _leaf_diffs(a, b, where):
    """The innermost places where two normalized values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in list(a) + [k for k in b if k not in a]:
            out += _leaf_diffs(a.get(k), b.get(k), "%s.%s" % (where, k) if where else k)
        return out
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += _leaf_diffs(x, y, "%s[%d]" % (where, i))
        return out
    return [] if a == b else [(where or "value", a, b)]


def _indent(text, prefix="            "):
    return "\n".join(prefix + line for line in text.splitlines())
