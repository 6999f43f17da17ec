"""kazoo's recipes, which combine sequential ephemerals, versions and watches."""

import re
import threading


def _lock_nodes(client):
    """kazoo prefixes lock nodes with a random uuid: keep only the sequence part."""
    return sorted(re.sub(r"^[0-9a-f]{32}__", "<uuid>__", c) for c in client.get_children("/lock"))


def test_kazoo_lock_is_handed_over_in_queue_order(zk):
    def scenario(s):
        a, b = s.kazoo("A"), s.kazoo("B")
        la, lb = a.Lock("/lock", "A"), b.Lock("/lock", "B")
        s.step("A acquires", la.acquire, timeout=10)
        s.step("B fails without waiting", lb.acquire, blocking=False)
        got = threading.Event()
        waiter = threading.Thread(target=lambda: lb.acquire(timeout=15) and got.set())
        waiter.start()
        s.wait_for("B queued behind A", lambda: len(a.get_children("/lock")) == 2)
        s.step("contenders", la.contenders)
        s.step("B does not hold it yet", got.is_set)
        s.step("A releases", la.release)
        s.record("B acquired after the release", got.wait(15))
        waiter.join(15)
        s.step("lock nodes", _lock_nodes, a)
        s.step("B releases", lb.release)
        s.step("lock nodes after", _lock_nodes, a)
    zk.compare(scenario)


def test_kazoo_counter_and_queue(zk):
    def scenario(s):
        a, b = s.kazoo("A"), s.kazoo("B")
        ca, cb = a.Counter("/counter"), b.Counter("/counter")
        for i, (name, c) in enumerate([("A", ca), ("B", cb), ("A", ca)]):
            c += 5 + i
            s.record("counter after %s adds %d" % (name, 5 + i), c.value)
        s.step("counter znode", a.get, "/counter")
        qa, qb = a.Queue("/queue"), b.Queue("/queue")
        for item in [b"one", b"two", b"three"]:
            qa.put(item)
        qb.put(b"urgent", priority=10)
        s.step("queue length", len, qb)
        s.step("queue nodes", lambda: sorted(a.get_children("/queue")))
        s.record("taken", [qb.get() for _ in range(4)])
    zk.compare(scenario)


def test_kazoo_election_elects_the_first_contender(zk):
    def scenario(s):
        a, b = s.kazoo("A"), s.kazoo("B")
        ea, eb = a.Election("/election", "A"), b.Election("/election", "B")
        a.ensure_path("/election")
        elected = threading.Event()
        ta = threading.Thread(target=ea.run, args=(elected.wait,))
        ta.start()
        s.wait_for("A is a contender", lambda: len(a.get_children("/election")) == 1)
        tb = threading.Thread(target=eb.run, args=(lambda: None,))
        tb.start()
        s.wait_for("B is a contender", lambda: len(a.get_children("/election")) == 2)
        s.step("contenders", ea.contenders)
        elected.set()              # A's leadership function returns: A steps down
        ta.join(15)
        tb.join(15)                # then B leads and returns at once
        s.step("nobody left", lambda: sorted(a.get_children("/election")))
    zk.compare(scenario)
