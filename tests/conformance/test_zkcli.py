"""The shells that ship with ZooKeeper, driven non-interactively against both servers.

zkCli.sh (the Java client) runs its commands synchronously, so its own output is in
a fixed order; only watch notifications are printed by another thread, so those lines
are compared as a sorted list apart from the rest. cli_mt (the C client) runs most
commands asynchronously and prints their results from its completion thread; the
driver sends one command, then `ls` of a path that never exists, and waits for that
`ls`'s "rc = -101" (completions run in order) before the next command, so the output
order is fixed too.
"""

import os
import queue
import re
import subprocess
import threading

ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"
CLI_MT = "/usr/lib/zookeeper/bin/cli_mt"

ZKCLI_SCRIPT = """\
create /cli hello
create /cli hello
get -s /cli
set /cli world
set -v 0 /cli again
set -s -v 1 /cli again
stat /cli
ls /
ls -s /cli
create -s /cli/seq- a
create -s /cli/seq- b
create -e /cli/eph e
create /cli/eph/child x
create -c /cli/container
create -t 60000 /cli/ttl t
ls -R /cli
getAllChildrenNumber /cli
getEphemerals
getEphemerals /cli/e
whoami
addauth digest alice:secret
whoami
create /cli/secret s digest:alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=:cdrwa
getAcl /cli/secret
setAcl /cli/secret world:anyone:r
getAcl /cli/secret
set /cli/secret nope
get -w /cli
addWatch -m PERSISTENT_RECURSIVE /cli
sync /cli
delete /cli
delete -v 7 /cli/seq-0000000000
delete /cli/seq-0000000000
get /nothing
stat /nothing
ls /nothing
deleteall /cli/container
config
version
quit
"""

CLI_MT_SCRIPT = [
    "create /m",
    "create /m",
    "create2 +s /m/s",
    "create2 +s /m/s",
    "set /m hello",
    "get /m",
    "ls /m",
    "ls2 /m",
    "exists /m",
    "wexists /born",
    "create /born",
    "sync /m",
    "delete /m",
    "create +e /eph",
    "create /eph/c",
    "create2 +c /cont",
    "create2 +t=60000 /ttl",
    "get /nothing",
    "ls /nothing",
    "addauth digest u:p",
    "delete /born",
    "delete /born",
]

TIME = re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \w{3} +\d+ \d\d:\d\d:\d\d (?:\w+ )?\d{4}\b")


class Ids:
    """Maps session ids (in whatever hex spelling a shell prints) to S1, S2, ..."""

    def __init__(self):
        self.names = {}

    def __call__(self, hex_id):
        value = int(hex_id, 16)
        if value == 0:
            return "0x0"
        return self.names.setdefault(value, "<session S%d>" % (len(self.names) + 1))


def normalize(text, port):
    ids = Ids()
    out = []
    for line in text.splitlines():
        if line.startswith("SLF4J:") or re.match(r"time = \d+ msec", line.strip()):
            continue
        line = line.replace(str(port), "<port>")
        line = TIME.sub("<time>", line)
        line = re.sub(r"(ephemeralOwner ?= ?)(0x)?([0-9a-f]+)",
                      lambda m: m.group(1) + ids(m.group(3)), line)
        line = re.sub(r"(session id: )0x([0-9a-f]+)", lambda m: m.group(1) + ids(m.group(2)), line)
        line = re.sub(r"ZooKeeper CLI version: .*", "ZooKeeper CLI version: <version>", line)
        out.append(line.rstrip())
    return sort_listings(out)


def sort_listings(lines):
    """Apache lists children and a connection's identities in hash order: sort `[a, b]`
    lists, runs of `/path` lines (zkCli ls -R), of tab-indented names (cli_mt ls/ls2)
    and of `scheme: id` lines (zkCli whoami)."""
    out, run = [], []

    def flush():
        out.extend(sorted(run))
        run.clear()

    for line in lines:
        m = re.fullmatch(r"\[(.*)\]", line)
        if m and m.group(1):
            line = "[%s]" % ", ".join(sorted(m.group(1).split(", ")))
        listing = (line.startswith("/") and " " not in line
                   or line.startswith("\t") and "=" not in line
                   or re.fullmatch(r"(ip|digest|super|world|sasl|x509): \S*", line))
        if listing:
            run.append(line)
        else:
            flush()
            out.append(line)
    flush()
    return out


def split_watcher_lines(lines):
    """zkCli prints watch notifications from its event thread: take them out of the
    ordered output and return them sorted."""
    ordered, watcher = [], []
    for line in lines:
        if line in ("WATCHER::", "") or line.startswith("WatchedEvent "):
            if line:
                watcher.append(line)
        else:
            ordered.append(line)
    return ordered, sorted(watcher)


def run_both(zk, run):
    results = {}

    def go(server):
        results[server.role] = run(server)

    threads = [threading.Thread(target=go, args=(server,)) for server in zk.each()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results["reference"], results["target"]


def first_line_difference(name, ref, tgt):
    for i in range(max(len(ref), len(tgt))):
        a = ref[i] if i < len(ref) else "(nothing)"
        b = tgt[i] if i < len(tgt) else "(nothing)"
        if a != b:
            context = "\n".join("    " + line for line in ref[max(0, i - 4):i])
            return ("%s differs at line %d:\n  same before:\n%s\n  REFERENCE: %s\n  TARGET:    %s"
                    % (name, i + 1, context, a, b))
    return None


def assert_same(pairs):
    if os.environ.get("ZKCONF_SHOW"):
        for name, ref, _ in pairs:
            print("== %s (reference)\n%s" % (name, "\n".join(ref)))
    problems = [d for d in (first_line_difference(n, r, t) for n, r, t in pairs) if d]
    assert not problems, "\n\n".join(problems)


def test_zkcli_session_prints_the_same_against_both_servers(zk):
    def run(server):
        proc = subprocess.run([ZKCLI, "-server", server.hosts], input=ZKCLI_SCRIPT,
                              capture_output=True, text=True, timeout=90)
        out, watch_out = split_watcher_lines(normalize(proc.stdout, server.port))
        err, watch_err = split_watcher_lines(normalize(proc.stderr, server.port))
        return proc.returncode, out, err, watch_out + watch_err

    ref, tgt = run_both(zk, run)
    assert ref[1], "zkCli printed nothing against the reference: %r" % (ref,)
    assert "hello" in ref[1] and "Node already exists: /cli" in ref[2], \
        "the reference transcript lacks expected output; is zkCli working?\n%s" % (ref,)
    assert_same([("zkCli exit status", [str(ref[0])], [str(tgt[0])]),
                 ("zkCli stdout", ref[1], tgt[1]),
                 ("zkCli stderr", ref[2], tgt[2]),
                 ("zkCli watch notifications (sorted)", ref[3], tgt[3])])


def drive_cli_mt(server):
    """Runs CLI_MT_SCRIPT one command at a time, each followed by `ls` of a path that does
    not exist; returns the exit status and the output."""
    proc = subprocess.Popen([CLI_MT, server.hosts], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            bufsize=1)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in proc.stderr] + [lines.put(None)],
                     daemon=True).start()
    output = []
    try:
        for i, command in enumerate(["sync /"] + CLI_MT_SCRIPT):
            marker = "/zkconf-sentinel-%d" % i
            proc.stdin.write("%s\nls %s\n" % (command, marker))
            proc.stdin.flush()
            while True:
                line = lines.get(timeout=20)
                if line is None:
                    return proc.wait(), output
                output.append(line.rstrip("\n"))
                if line.startswith(marker + ": rc = "):
                    break
        proc.stdin.close()
        while True:
            line = lines.get(timeout=20)
            if line is None:
                break
            output.append(line.rstrip("\n"))
        return proc.wait(20), output
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_mt_session_prints_the_same_against_both_servers(zk):
    def run(server):
        status, output = drive_cli_mt(server)
        return status, normalize("\n".join(output), server.port)

    ref, tgt = run_both(zk, run)
    assert "/zkconf-sentinel-%d: rc = -101" % len(CLI_MT_SCRIPT) in ref[1], \
        "cli_mt did not get through its script against the reference:\n%s" % "\n".join(ref[1])
    assert_same([("cli_mt exit status", [str(ref[0])], [str(tgt[0])]),
                 ("cli_mt output", ref[1], tgt[1])])
