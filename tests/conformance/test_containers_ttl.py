"""Container and TTL znodes, removed by the server's container manager.

Both servers check every CONTAINER_CHECK_INTERVAL_MS (100 ms, see servers.py) instead
of Apache's default minute. Each removal is a transaction (deleteContainer) with its
own zxid, so a scenario waits for it before writing anything else.
"""

import zkraw

TTL_MAX = (1 << 40) - 1


def test_container_is_removed_after_its_last_child_goes(zk):
    def scenario(s):
        a = s.raw("A")
        b = s.raw("B")
        s.step("never-used container", a.create, "/never", kind=zkraw.CREATE_CONTAINER,
               flags=zkraw.CONTAINER)
        s.step("createContainer", a.create, "/c", b"data", kind=zkraw.CREATE_CONTAINER,
               flags=zkraw.CONTAINER)
        a.create("/c/x")
        s.step("container stat shows no owner", a.exists, "/c")
        b.exists("/c", watch=True)
        b.get_children("/", watch=True)
        a.delete("/c/x")
        s.wait_for("container removed", lambda: a.exists("/c") is None)
        s.flush("B")
        # The removal had its own zxid, the one after the child's delete.
        s.step("root after removal", a.exists, "/")
        s.step("a container that never had a child stays", a.exists, "/never")
    zk.compare(scenario)


def test_container_goes_when_its_ephemeral_child_session_closes(zk):
    def scenario(s):
        a = s.raw("A")
        b = s.raw("B")
        a.create("/lock", kind=zkraw.CREATE_CONTAINER, flags=zkraw.CONTAINER)
        b.create("/lock/owner-", flags=zkraw.EPHEMERAL_SEQUENTIAL)
        b.close()
        s.wait_for("container removed", lambda: a.exists("/lock") is None)
        s.step("root", a.exists, "/")
    zk.compare(scenario)


def test_container_create_variants(zk):
    def scenario(s):
        a = s.raw("A")
        s.step("container via plain create op", a.create, "/c1", flags=zkraw.CONTAINER)
        s.step("createContainer with persistent flags", a.create, "/c2",
               kind=zkraw.CREATE_CONTAINER, flags=zkraw.PERSISTENT)
        s.step("children", lambda: sorted(a.get_children("/")))
        s.step("stat c1", a.exists, "/c1")
    zk.compare(scenario)


def test_ttl_node_without_children_is_removed_after_its_ttl(zk):
    # Nothing here depends on how fast the steps run: the watch is persistent and set
    # before the node exists, and the kept node gets its child in the same multi.
    def scenario(s):
        a = s.raw("A")
        b = s.raw("B")
        b.add_watch("/t", zkraw.PERSISTENT_WATCH)
        s.step("TTL node created with a child", a.multi, [
            zkraw.op_create("/kept", b"", flags=zkraw.PERSISTENT_WITH_TTL,
                            kind=zkraw.CREATE_TTL, ttl=200),
            zkraw.op_create("/kept/child", b""),
        ])
        s.step("createTTL: the stat shows no owner", a.create, "/t", b"x",
               kind=zkraw.CREATE_TTL, flags=zkraw.PERSISTENT_WITH_TTL, ttl=200)
        s.wait_for("TTL node removed", lambda: a.exists("/t") is None)
        s.flush("B")
        s.step("root after removal", a.exists, "/")
        s.step("a TTL node with a child is kept", a.exists, "/kept")
        a.delete("/kept/child")
        s.wait_for("childless expired TTL node removed", lambda: a.exists("/kept") is None)
        s.step("root after second removal", a.exists, "/")
    zk.compare(scenario)


def test_ttl_bounds_and_modes(zk):
    def scenario(s):
        a = s.raw("A")
        # (No short valid TTL here: its removal would land at an unpredictable zxid.)
        for ttl in [0, -1, TTL_MAX, TTL_MAX + 1]:
            s.step("ttl %d" % ttl, a.create, "/t%d" % ttl, kind=zkraw.CREATE_TTL,
                   flags=zkraw.PERSISTENT_WITH_TTL, ttl=ttl)
        s.step("sequential TTL", a.create, "/s", kind=zkraw.CREATE_TTL,
               flags=zkraw.PERSISTENT_SEQUENTIAL_WITH_TTL, ttl=60000)
        s.step("TTL with ephemeral flags", a.create, "/e", kind=zkraw.CREATE_TTL,
               flags=zkraw.EPHEMERAL, ttl=60000)
        s.step("TTL with container flags", a.create, "/c", kind=zkraw.CREATE_TTL,
               flags=zkraw.CONTAINER, ttl=60000)
        s.step("children", lambda: sorted(a.get_children("/")))
    zk.compare(scenario)


def test_ttl_and_container_creates_inside_multi(zk):
    def scenario(s):
        a = s.raw("A")
        s.step("multi with createTTL and createContainer", a.multi, [
            zkraw.op_create("/t", b"", flags=zkraw.PERSISTENT_WITH_TTL, kind=zkraw.CREATE_TTL,
                            ttl=60000),
            zkraw.op_create("/c", b"", flags=zkraw.CONTAINER, kind=zkraw.CREATE_CONTAINER),
            zkraw.op_create("/c/k", b"", kind=zkraw.CREATE2),
        ])
        s.step("multi with an invalid TTL", a.multi, [
            zkraw.op_create("/u", b""),
            zkraw.op_create("/t2", b"", flags=zkraw.PERSISTENT_WITH_TTL, kind=zkraw.CREATE_TTL,
                            ttl=0),
        ])
        s.step("children", lambda: sorted(a.get_children("/")))
    zk.compare(scenario)
