"""Each client operation on its own: results, Stat fields, error codes, zxids."""

import zkraw
from harness import sorted_children
from kazoo.security import OPEN_ACL_UNSAFE, make_digest_acl


def test_fresh_server_has_the_zookeeper_nodes_and_zxid_zero(zk):
    def scenario(s):
        c = s.raw("A")
        # Nothing has been written yet: the handshake's createSession is zxid 1.
        s.record("reply zxid of first ping", c.ping())
        s.step("children of /", lambda: sorted(c.get_children("/")))
        s.step("stat of /", c.exists, "/")
        s.step("children of /zookeeper", lambda: sorted(c.get_children("/zookeeper")))
        s.step("getData /zookeeper/config", c.get_data, "/zookeeper/config")
        s.step("getData /zookeeper/quota", c.get_data, "/zookeeper/quota")
        s.step("getACL /", c.get_acl, "/")
        s.step("getACL /zookeeper", c.get_acl, "/zookeeper")
        s.step("getAllChildrenNumber /", c.get_all_children_number, "/")
    zk.compare(scenario)


def test_create_returns_the_path_and_create2_also_the_stat(zk):
    def scenario(s):
        a = s.kazoo("A")
        r = s.raw("R")
        s.step("create /c", a.create, "/c", b"one")
        s.step("create2 /c2", a.create, "/c2", b"two", include_data=True)
        s.step("raw create2 /c3", r.create, "/c3", b"", kind=zkraw.CREATE2)
        s.step("raw create2 null data", r.create, "/c4", None, kind=zkraw.CREATE2)
        s.step("getData null-data node", r.get_data, "/c4")
        s.step("create2 makes parent pzxid/cversion move", a.exists, "/")
    zk.compare(scenario)


def test_create_errors_and_their_precedence(zk):
    def scenario(s):
        a = s.kazoo("A")
        r = s.raw("R")
        a.create("/p", b"")
        s.step("create existing", a.create, "/p")
        s.step("create under missing parent", a.create, "/missing/child")
        for bad in ["p", "/p/", "/p//x", "/p/./x", "/p/../x", "", "/p/x\x00y"]:
            s.step("raw create bad path %r" % bad, r.create, bad)
        s.step("create /", r.create, "/")
        s.step("create under /zookeeper", r.create, "/zookeeper/x")
        # The ACL is checked before the parent is looked up: InvalidACL beats NoNode.
        s.step("empty ACL under missing parent", r.create, "/missing/x", b"", [])
        s.step("empty ACL", r.create, "/p/x", b"", [])
        # TTL given for a non-TTL mode, and no TTL for a TTL mode.
        s.step("ttl with persistent flags", r.create, "/p/t", b"", flags=0,
               kind=zkraw.CREATE_TTL, ttl=1000)
        s.step("create with TTL flag but op create", r.create, "/p/t", b"",
               flags=zkraw.PERSISTENT_WITH_TTL)
        s.step("unknown create flags", r.create, "/p/u", b"", flags=42)
        s.step("nothing was created", lambda: sorted(r.get_children("/p")))
        s.step("failed creates consumed zxids", r.exists, "/p")
        s.record("reply zxid", r.reply_zxid)
    zk.compare(scenario)


def test_stat_fields_after_every_kind_of_write(zk):
    def scenario(s):
        a = s.kazoo("A")
        s.step("create", a.create, "/n", b"abc", include_data=True)
        s.step("setData", a.set, "/n", b"abcdef")
        s.step("setData empty", a.set, "/n", b"")
        s.step("setACL", a.set_acls, "/n", OPEN_ACL_UNSAFE + [make_digest_acl("u", "p", all=True)])
        s.step("create child", a.create, "/n/c1", b"x", include_data=True)
        s.step("create child 2", a.create, "/n/c2", b"xy", include_data=True)
        s.step("after children", a.exists, "/n")
        s.step("delete child", a.delete, "/n/c1")
        s.step("after delete: cversion counts creates and deletes", a.exists, "/n")
        s.step("setData on child does not touch parent", a.set, "/n/c2", b"z")
        s.step("parent unchanged", a.exists, "/n")
        s.step("getData", a.get, "/n")
        s.step("getChildren2", lambda: sorted_children(a.get_children("/n", include_data=True)))
    zk.compare(scenario)


def test_conditional_set_data_with_right_wrong_and_any_version(zk):
    def scenario(s):
        a = s.kazoo("A")
        a.create("/v", b"0")
        s.step("set v=0", a.set, "/v", b"1", version=0)
        s.step("set stale v=0", a.set, "/v", b"x", version=0)
        s.step("set future v=5", a.set, "/v", b"x", version=5)
        s.step("set v=-1", a.set, "/v", b"2", version=-1)
        s.step("set v=-2", a.set, "/v", b"x", version=-2)
        s.step("set missing", a.set, "/nope", b"x")
        s.step("data", a.get, "/v")
    zk.compare(scenario)


def test_conditional_delete_with_right_wrong_and_any_version(zk):
    def scenario(s):
        a = s.kazoo("A")
        r = s.raw("R")
        a.create("/d", b"")
        a.set("/d", b"1")
        s.step("delete wrong version", a.delete, "/d", version=0)
        s.step("delete right version", a.delete, "/d", version=1)
        s.step("delete again", a.delete, "/d")
        a.create("/e", b"")
        s.step("delete any version", a.delete, "/e", version=-1)
        s.step("delete /", r.delete, "/")
        s.step("delete /zookeeper", r.delete, "/zookeeper")
        s.step("delete /zookeeper/quota", r.delete, "/zookeeper/quota")
        s.step("delete bad path", r.delete, "/e/")
    zk.compare(scenario)


def test_delete_of_a_parent_with_children_is_not_empty(zk):
    def scenario(s):
        a = s.kazoo("A")
        a.create("/p/c", b"", makepath=True)
        s.step("delete non-empty", a.delete, "/p")
        # Version is checked before emptiness: a wrong version wins over NotEmpty.
        s.step("delete non-empty, wrong version", a.delete, "/p", version=7)
        s.step("still there", lambda: sorted(a.get_children("/p")))
        s.step("delete child", a.delete, "/p/c")
        s.step("delete now empty", a.delete, "/p")
        s.step("recursive delete", lambda: (a.create("/q/r/s", makepath=True),
                                            a.delete("/q", recursive=True)))
        s.step("gone", a.exists, "/q")
    zk.compare(scenario)


def test_reads_of_a_missing_node(zk):
    def scenario(s):
        a = s.kazoo("A")
        r = s.raw("R")
        s.step("exists", a.exists, "/none")
        s.step("get", a.get, "/none")
        s.step("getChildren", a.get_children, "/none")
        s.step("getChildren2", a.get_children, "/none", include_data=True)
        s.step("getACL", a.get_acls, "/none")
        s.step("getAllChildrenNumber", r.get_all_children_number, "/none")
        s.step("exists bad path", r.exists, "/none/")
        s.step("getData bad path", r.get_data, "/none/")
        s.step("sync missing path", r.sync, "/none")
    zk.compare(scenario)


def test_get_children_and_get_children2(zk):
    def scenario(s):
        a = s.kazoo("A")
        for name in ["b", "a", "c", "zz", "a1"]:
            a.create("/p/" + name, makepath=True)
        s.step("getChildren", lambda: sorted(a.get_children("/p")))
        s.step("getChildren2", lambda: sorted_children(a.get_children("/p", include_data=True)))
        s.step("leaf", lambda: sorted_children(a.get_children("/p/a", include_data=True)))
    zk.compare(scenario)


def test_sync_answers_with_the_path(zk):
    def scenario(s):
        a = s.kazoo("A")
        r = s.raw("R")
        s.step("sync /", a.sync, "/")
        s.step("raw sync /zookeeper", r.sync, "/zookeeper")
        s.record("sync does not consume a zxid", r.reply_zxid)
    zk.compare(scenario)


def test_get_acl_and_set_acl_with_versions(zk):
    def scenario(s):
        a = s.kazoo("A")
        a.create("/a", b"")
        open_acl = list(a.get_acls("/a")[0])
        s.step("getACL", a.get_acls, "/a")
        s.step("setACL v=0", a.set_acls, "/a", open_acl, version=0)
        s.step("setACL stale v=0", a.set_acls, "/a", open_acl, version=0)
        s.step("setACL v=-1", a.set_acls, "/a", open_acl, version=-1)
        s.step("setACL missing", a.set_acls, "/none", open_acl)
        # The ACL is validated before the node is looked up.
        s.step("setACL empty on missing", a.set_acls, "/none", [])
        s.step("setACL empty", a.set_acls, "/a", [])
        s.step("aversion moved, version did not", a.exists, "/a")
    zk.compare(scenario)


def test_standalone_check_errors_and_zxids(zk):
    # A successful check outside a multi makes Apache 3.8.0 throw while serializing the
    # reply (NullPointerException: no reply is ever sent), so only failures are pinned.
    def scenario(s):
        r = s.raw("R")
        r.create("/c")
        s.step("check missing", r.check, "/none", 0)
        s.step("check wrong version", r.check, "/c", 3)
        s.record("failed checks consumed zxids", r.reply_zxid)
        s.step("next create", r.create, "/d", b"", kind=zkraw.CREATE2)
    zk.compare(scenario)


def test_failed_writes_consume_a_zxid_and_reads_do_not(zk):
    def scenario(s):
        r = s.raw("R")
        zx = []
        r.create("/x")
        zx.append(r.reply_zxid)
        for label, fn in [
            ("create existing", lambda: r.create("/x")),
            ("delete missing", lambda: r.delete("/none")),
            ("setData bad version", lambda: r.set_data("/x", b"", 9)),
            ("setACL bad version", lambda: r.set_acl("/x", zkraw.OPEN_ACL_UNSAFE, 9)),
            ("getData", lambda: r.get_data("/x")),
            ("exists missing", lambda: r.exists("/none")),
            ("getChildren", lambda: r.get_children("/")),
            ("sync", lambda: r.sync("/")),
            ("setData", lambda: r.set_data("/x", b"v")),
        ]:
            s.step(label, fn)
            s.record(label + ": reply zxid", r.reply_zxid)
        s.record("ping zxid", r.ping())
    zk.compare(scenario)


def test_sessions_consume_zxids_on_create_and_close(zk):
    def scenario(s):
        a = s.raw("A")
        s.record("after A connects", a.ping())
        b = s.raw("B")
        s.record("after B connects", b.ping())
        b.close()
        s.record("after B closes", a.ping())
        c = s.kazoo("C")
        s.step("a create sees all four", a.create, "/z", b"", kind=zkraw.CREATE2)
        c.stop()
        s.record("after kazoo closes", a.ping())
    zk.compare(scenario)


def test_get_all_children_number_counts_every_descendant(zk):
    def scenario(s):
        r = s.raw("R")
        for p in ["/a", "/a/b", "/a/b/c", "/a/b/d", "/a/e", "/f"]:
            r.create(p)
        for p in ["/", "/a", "/a/b", "/a/b/c", "/f", "/zookeeper"]:
            s.step("getAllChildrenNumber " + p, r.get_all_children_number, p)
    zk.compare(scenario)


def test_get_ephemerals_lists_the_sessions_own_by_string_prefix(zk):
    def scenario(s):
        r = s.raw("R")
        other = s.raw("O")
        for p in ["/e", "/ex", "/p"]:
            r.create(p)
        for p in ["/e/1", "/e/2", "/ex/3", "/e4"]:
            r.create(p, flags=zkraw.EPHEMERAL)
        other.create("/e/other", flags=zkraw.EPHEMERAL)
        r.create("/p/seq-", flags=zkraw.EPHEMERAL_SEQUENTIAL)
        for prefix in ["/", "", "/e", "/e/", "/ex", "/p/seq", "/nothing", " / "]:
            s.step("getEphemerals %r" % prefix, lambda: sorted(r.get_ephemerals(prefix)))
        s.step("other session's", lambda: sorted(other.get_ephemerals("/")))
    zk.compare(scenario)


def test_who_am_i_reports_the_connections_identities(zk):
    def scenario(s):
        # Apache keeps a connection's identities in a hash set: the order is not part
        # of the contract, so the lists are sorted.
        r = s.raw("R")
        s.step("anonymous", r.who_am_i)
        r.add_auth("digest", b"alice:secret")
        s.step("after digest auth", lambda: sorted(r.who_am_i()))
        r.add_auth("digest", b"bob:pw")
        s.step("after a second digest auth", lambda: sorted(r.who_am_i()))
        r.add_auth("digest", b"alice:secret")
        s.step("same auth twice", lambda: sorted(r.who_am_i()))
    zk.compare(scenario)


def test_ping_reply_carries_the_last_zxid(zk):
    def scenario(s):
        r = s.raw("R")
        s.record("ping", r.ping())
        r.create("/x")
        s.record("ping after a create", r.ping())
        s.record("arrivals exclude pings", list(r.arrivals))
    zk.compare(scenario)


def test_close_session_is_answered_then_the_connection_closed(zk):
    def scenario(s):
        r = s.raw("R")
        other = s.raw("O")
        r.create("/eph", flags=zkraw.EPHEMERAL)
        s.step("closeSession reply body", lambda: r.call(zkraw.CLOSE_SESSION).remaining())
        s.record("closeSession zxid", r.reply_zxid)
        s.record("server closed the socket", r.wait_closed(5))
        s.step("ephemeral gone", other.exists, "/eph")
    zk.compare(scenario)


def test_request_frames_longer_than_jute_maxbuffer_close_the_connection(zk):
    # A create frame is 8 (header) + 4+len(path) + 4+len(data) + 27 (one world ACL) + 4
    # (flags) bytes; the server takes frames up to jute.maxbuffer = 0xfffff bytes.
    limit = 0xFFFFF

    def data_for(path, frame):
        return b"x" * (frame - len(path) - 47)

    def scenario(s):
        a = s.raw("A")
        s.step("frame of exactly 0xfffff bytes", lambda: a.create(
            "/at", data_for("/at", limit), kind=zkraw.CREATE2)[1])
        b = s.raw("B")
        s.step("frame one byte longer", b.create, "/over", data_for("/over", limit + 1))
        s.record("connection closed", b.wait_closed(5))
        s.step("nothing written, no zxid used", lambda: (a.exists("/over"), a.ping()))
    zk.compare(scenario)
