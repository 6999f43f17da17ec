"""multi (all or nothing, one zxid) and multiRead (each op on its own)."""

import zkraw


def test_multi_result_types_follow_the_create_mode_not_the_opcode(zk):
    # Inside a multi, Apache rebuilds every create from its flags: a create2 op with
    # persistent flags answers as a create (path only), a container or TTL create as a
    # create2 (path and stat), whichever opcode the client used.
    def scenario(s):
        a = s.raw("A")
        s.step("multi", a.multi, [
            zkraw.op_create("/c2", b"", kind=zkraw.CREATE2),
            zkraw.op_create("/cont", b"", flags=zkraw.CONTAINER, kind=zkraw.CREATE),
            zkraw.op_create("/cc", b"", flags=zkraw.PERSISTENT, kind=zkraw.CREATE_CONTAINER),
            zkraw.op_create("/cont/k", b"", kind=zkraw.CREATE),
        ])
        s.step("stat of the container", a.exists, "/cont")
    zk.compare(scenario)


def test_multi_success_returns_a_result_per_op_under_one_zxid(zk):
    def scenario(s):
        a = s.kazoo("A")
        a.create("/old", b"")
        a.create("/gone", b"")
        t = a.transaction()
        t.create("/m", b"1")
        t.create("/m/s-", b"", sequence=True)
        t.create("/m/s-", b"", sequence=True)
        t.set_data("/old", b"new")
        t.check("/old", 1)
        t.delete("/gone")
        t.create("/e", b"", ephemeral=True)
        s.step("commit", t.commit)
        s.step("all ops share the multi's zxid", a.exists, "/m/s-0000000001")
        s.step("setData stat", a.exists, "/old")
        s.step("ephemeral", a.exists, "/e")
    zk.compare(scenario)


def test_multi_failure_applies_nothing_and_reports_each_op(zk):
    def scenario(s):
        a = s.kazoo("A")
        b = s.raw("B")
        a.create("/x", b"0")
        b.get_data("/x", watch=True)
        b.get_children("/", watch=True)
        t = a.transaction()
        t.create("/new", b"")
        t.set_data("/x", b"1")
        t.delete("/missing")
        t.create("/later", b"")
        s.step("commit (kazoo)", t.commit)
        s.step("raw multi failing on a version check", b.multi, [
            zkraw.op_create("/new", b""),
            zkraw.op_check("/x", 5),
            zkraw.op_set_data("/x", b"2"),
        ])
        s.record("the failed multis consumed zxids", b.reply_zxid)
        s.step("nothing created", lambda: sorted(a.get_children("/")))
        s.step("nothing changed", a.get, "/x")
        s.flush("B")                       # and no watch fired
    zk.compare(scenario)


def test_multi_error_codes_for_each_kind_of_op(zk):
    def scenario(s):
        b = s.raw("B")
        b.create("/p", b"")
        b.create("/p/c", b"")
        b.create("/e", b"", flags=zkraw.EPHEMERAL)
        for label, op in [
            ("create existing", zkraw.op_create("/p")),
            ("create without parent", zkraw.op_create("/none/x")),
            ("create under ephemeral", zkraw.op_create("/e/x")),
            ("create bad path", zkraw.op_create("/p/")),
            ("create invalid acl", zkraw.op_create("/q", acl=[])),
            ("delete non-empty", zkraw.op_delete("/p")),
            ("delete bad version", zkraw.op_delete("/p/c", 3)),
            ("setData missing", zkraw.op_set_data("/none", b"")),
            ("check missing", zkraw.op_check("/none", 0)),
        ]:
            s.step(label, b.multi, [zkraw.op_create("/ok", b""), op, zkraw.op_create("/ok2", b"")])
        s.step("nothing created", lambda: sorted(b.get_children("/")))
    zk.compare(scenario)


def test_multi_sees_its_own_earlier_ops(zk):
    def scenario(s):
        b = s.raw("B")
        s.step("create then use in the same multi", b.multi, [
            zkraw.op_create("/a", b"", kind=zkraw.CREATE2),
            zkraw.op_create("/a/b", b"v"),
            zkraw.op_set_data("/a/b", b"w", 0),
            zkraw.op_check("/a/b", 1),
            zkraw.op_delete("/a/b", 1),
            zkraw.op_create("/a/b", b"again", flags=zkraw.EPHEMERAL),
        ])
        s.step("result", b.get_data, "/a/b")
        s.step("parent", b.exists, "/a")
        s.step("delete then recreate fails when the check sees the old version", b.multi, [
            zkraw.op_delete("/a/b"),
            zkraw.op_check("/a/b", 0),
        ])
    zk.compare(scenario)


def test_empty_multi(zk):
    def scenario(s):
        b = s.raw("B")
        s.step("empty multi", b.multi, [])
        s.record("zxid", b.reply_zxid)
        s.step("empty multiRead", b.multi_read, [])
        s.record("zxid", b.reply_zxid)
    zk.compare(scenario)


def test_multi_events_fire_after_the_whole_multi_in_op_order(zk):
    def scenario(s):
        a = s.raw("A")
        b = s.raw("B")
        a.create("/x", b"")
        a.create("/y", b"")
        b.get_data("/y", watch=True)
        b.get_data("/x", watch=True)
        b.exists("/z", watch=True)
        b.get_children("/", watch=True)
        s.step("multi", a.multi, [zkraw.op_set_data("/y", b"1"), zkraw.op_create("/z", b""),
                                  zkraw.op_delete("/x")])
        s.flush("B")
    zk.compare(scenario)


def test_multi_read_reports_each_op_on_its_own(zk):
    def scenario(s):
        a = s.raw("A")
        a.create("/r", b"data")
        a.create("/r/c1")
        a.create("/r/c2")
        a.create("/secret", b"s", acl=[zkraw.Acl(zkraw.WRITE, "world", "anyone")])
        s.step("multiRead", a.multi_read, [
            zkraw.op_get_data("/r"),
            zkraw.op_get_children("/r"),
            zkraw.op_get_data("/missing"),
            zkraw.op_get_children("/missing"),
            zkraw.op_get_data("/secret"),
            zkraw.op_get_children("/r/c1"),
        ])
        s.record("multiRead consumes no zxid", a.reply_zxid)
        s.step("multiRead with a write op in it", a.multi_read, [zkraw.op_create("/w")])
        s.record("zxid", a.reply_zxid)
        s.step("multi with a read op in it", a.multi, [zkraw.op_get_data("/r")])
        s.record("zxid", a.reply_zxid)
        s.step("nothing written", a.exists, "/w")
    zk.compare(scenario)
