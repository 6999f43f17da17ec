"""Starting and stopping the two servers every conformance test runs against.

REFERENCE is always Apache ZooKeeper 3.8.0. TARGET is whatever `ZOOSCOPE_TARGET_CMD`
names (a command template with `{cfg}` for the zoo.cfg path), for example
    ZOOSCOPE_TARGET_CMD='target/debug/zooscope server --config {cfg}'
and defaults to Apache as well, so that the suite validates itself.

Each server gets a free loopback port and a fresh temporary dataDir, so both start
empty and their zxids must agree exactly.
"""

import atexit
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

HOST = "127.0.0.1"

# The container manager's period. Apache's default is 60 s; both servers get 100 ms so
# that container and TTL tests take a fraction of a second.
CONTAINER_CHECK_INTERVAL_MS = 100

# `super` / `test`: the superuser digest both servers are configured with.
SUPER_USER, SUPER_PASSWORD = "super", "test"
SUPER_DIGEST = "super:D/InIHSb7yEEbrWz8b9l71RjZJU="

# Apache reads `znode.container.checkIntervalMs` only as a JVM system property (an
# unknown zoo.cfg key becomes the property `zookeeper.<key>`, which ContainerManager
# does not read), so it is passed with -D. `extendedTypesEnabled` and
# `DigestAuthenticationProvider.superDigest` are honoured from zoo.cfg because their
# properties are exactly `zookeeper.<key>`.
APACHE_CMD = (
    "java -Xshare:auto -XX:+UseSerialGC -XX:TieredStopAtLevel=1 "
    "-Dznode.container.checkIntervalMs=%d "
    "-cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-jdk14.jar "
    "org.apache.zookeeper.server.quorum.QuorumPeerMain {cfg}" % CONTAINER_CHECK_INTERVAL_MS
)


def target_cmd():
    return os.environ.get("ZOOSCOPE_TARGET_CMD") or APACHE_CMD


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def four_letter(port, word, timeout=2.0):
    """Sends a four-letter word and returns the whole text answer."""
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(word.encode())
        out = bytearray()
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return out.decode(errors="replace")
            out += chunk


def server_zxid(port):
    """The last zxid the server applied, from `srvr`."""
    for line in four_letter(port, "srvr").splitlines():
        if line.startswith("Zxid:"):
            return int(line.split(":", 1)[1].strip(), 16)
    raise AssertionError("srvr has no Zxid line")


_live = set()
_live_lock = threading.Lock()


class Server:
    """One server process on its own port and dataDir."""

    def __init__(self, role, cmd_template, extra_cfg=None):
        self.role = role
        self.cmd_template = cmd_template
        self.dir = tempfile.mkdtemp(prefix="zkconf-%s-" % role)
        self.data_dir = os.path.join(self.dir, "data")
        os.makedirs(self.data_dir)
        self.port = free_port()
        self.cfg_path = os.path.join(self.dir, "zoo.cfg")
        cfg = {
            "tickTime": "2000",
            "dataDir": self.data_dir,
            "clientPort": str(self.port),
            "clientPortAddress": HOST,
            "admin.enableServer": "false",
            "4lw.commands.whitelist": "*",
            "extendedTypesEnabled": "true",
            "DigestAuthenticationProvider.superDigest": SUPER_DIGEST,
            # For zooscope, which reads its settings from zoo.cfg only; Apache gets -D.
            "znode.container.checkIntervalMs": str(CONTAINER_CHECK_INTERVAL_MS),
        }
        cfg.update(extra_cfg or {})
        with open(self.cfg_path, "w") as f:
            f.write("".join("%s=%s\n" % kv for kv in cfg.items()))
        self.log_path = os.path.join(self.dir, "server.log")
        self.proc = None
        with _live_lock:
            _live.add(self)

    @property
    def hosts(self):
        return "%s:%d" % (HOST, self.port)

    def start(self):
        cmd = shlex.split(self.cmd_template.format(cfg=self.cfg_path))
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def wait_ready(self, timeout=30.0):
        """Ready once `ruok` says imok and `srvr` no longer says it is not serving
        (Apache answers imok before its request pipeline is up)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s server (%s) exited with %s before it was ready:\n%s"
                                   % (self.role, self.cmd_template, self.proc.returncode,
                                      self.log_tail()))
            try:
                if four_letter(self.port, "ruok", 1.0) == "imok":
                    srvr = four_letter(self.port, "srvr", 1.0)
                    if "Zxid:" in srvr and "not currently serving" not in srvr:
                        return self
                    last = srvr
            except OSError as e:
                last = e
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("%s server not ready after %.0fs (last: %r):\n%s"
                           % (self.role, timeout, last, self.log_tail()))

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace")
        except OSError:
            return "(no log)"

    def stop(self):
        """Stops the server (SIGTERM, then SIGKILL after 2 s) and removes its files."""
        if self.proc is not None and self.proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 2), (signal.SIGKILL, 5)):
                try:
                    os.killpg(self.proc.pid, sig)
                    self.proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
                except ProcessLookupError:
                    break
        if self.proc is not None:
            self.log.close()
        if not os.environ.get("ZKCONF_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)
        with _live_lock:
            _live.discard(self)


def start_pair(extra_cfg=None):
    """Starts REFERENCE and TARGET side by side and waits for both."""
    ref = Server("reference", APACHE_CMD, extra_cfg).start()
    tgt = Server("target", target_cmd(), extra_cfg).start()
    try:
        ref.wait_ready()
        tgt.wait_ready()
    except Exception:
        ref.stop()
        tgt.stop()
        raise
    return ref, tgt


class PairPool:
    """Hands out fresh pairs and starts the next default pair while a test runs, so a
    test waits for JVM start-up only when it needs special settings. Used pairs are
    stopped in the background."""

    def __init__(self):
        self._spare = None

    def _prefetch(self):
        box = {}

        def start():
            try:
                box["pair"] = start_pair()
            except Exception as e:  # noqa: BLE001 - re-raised by take()
                box["error"] = e

        # Not daemon threads: the interpreter waits for them, so no server outlives a run.
        thread = threading.Thread(target=start)
        thread.start()
        self._spare = (thread, box)

    def take(self, extra_cfg=None):
        if extra_cfg:
            return start_pair(extra_cfg)
        if self._spare is None:
            self._prefetch()
        thread, box = self._spare
        thread.join()
        self._prefetch()
        if "error" in box:
            raise box["error"]
        return box["pair"]

    @staticmethod
    def release(pair):
        for server in pair:
            threading.Thread(target=server.stop).start()


@atexit.register
def _stop_all():
    for server in list(_live):
        server.stop()
