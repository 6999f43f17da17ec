"""ACLs and authentication: which op needs which permission, schemes, refusals."""

from kazoo.security import make_digest_acl_credential

import zkraw
from servers import SUPER_PASSWORD, SUPER_USER

PERMS = {"READ": zkraw.READ, "WRITE": zkraw.WRITE, "CREATE": zkraw.CREATE_PERM,
         "DELETE": zkraw.DELETE_PERM, "ADMIN": zkraw.ADMIN, "ALL": zkraw.ALL}


def digest_id(user, password):
    return make_digest_acl_credential(user, password)


def test_each_operation_needs_its_permission(zk):
    def scenario(s):
        owner = s.raw("owner")
        other = s.raw("other")
        for name, perm in PERMS.items():
            path = "/" + name.lower()
            owner.create(path, b"d")
            owner.create(path + "/child")
            owner.set_acl(path, [zkraw.Acl(perm, "world", "anyone")])
            for label, fn in [
                ("exists (never checked)", lambda: other.exists(path)),
                ("getData", lambda: other.get_data(path)),
                ("getChildren", lambda: sorted(other.get_children(path))),
                ("getChildren2", lambda: other.get_children2(path)),
                ("getAllChildrenNumber", lambda: other.get_all_children_number(path)),
                ("getACL", lambda: other.get_acl(path)),
                ("check in multi", lambda: other.multi([zkraw.op_check(path, 0)])),
                ("setData", lambda: other.set_data(path, b"x")),
                ("create child", lambda: other.create(path + "/new")),
                ("create child that exists", lambda: other.create(path + "/child")),
                ("delete missing child", lambda: other.delete(path + "/none")),
                ("delete child", lambda: other.delete(path + "/child")),
                ("setACL", lambda: other.set_acl(path, [zkraw.Acl(perm, "world", "anyone")])),
            ]:
                s.step("%s with only %s" % (label, name), fn)
    zk.compare(scenario)


def test_digest_auth_grants_access_to_digest_acls(zk):
    def scenario(s):
        owner = s.kazoo("owner")
        owner.add_auth("digest", "alice:secret")
        acl = [zkraw.Acl(zkraw.ALL, "digest", digest_id("alice", "secret")),
               zkraw.Acl(zkraw.READ, "world", "anyone")]
        s.step("create with digest ACL", owner.create, "/d", b"x",
               acl=[_kazoo_acl(a) for a in acl])
        anon = s.raw("anon")
        bob = s.raw("bob")
        bob.add_auth("digest", b"bob:pw")
        alice = s.raw("alice")
        alice.add_auth("digest", b"alice:secret")
        s.step("anonymous setData", anon.set_data, "/d", b"y")
        s.step("bob setData", bob.set_data, "/d", b"y")
        s.step("alice setData", alice.set_data, "/d", b"y")
        # Without ADMIN the digest ids come back masked as user:x.
        s.step("getACL without ADMIN", bob.get_acl, "/d")
        s.step("getACL with ADMIN", alice.get_acl, "/d")
        s.step("owner's kazoo getACL", owner.get_acls, "/d")
    zk.compare(scenario)


def test_auth_scheme_acl_becomes_the_sessions_identities(zk):
    def scenario(s):
        anon = s.raw("anon")
        s.step("auth ACL without any identity", anon.create, "/a", b"", [zkraw.Acl(zkraw.ALL, "auth", "")])
        alice = s.raw("alice")
        alice.add_auth("digest", b"alice:secret")
        s.step("auth ACL with one identity", alice.create, "/a", b"",
               [zkraw.Acl(zkraw.ALL, "auth", "")])
        s.step("getACL", alice.get_acl, "/a")
        alice.add_auth("digest", b"carol:pw")
        s.step("auth ACL with two identities", alice.create, "/b", b"",
               [zkraw.Acl(zkraw.READ | zkraw.WRITE, "auth", "ignored")])
        s.step("getACL", lambda: (sorted(alice.get_acl("/b")[0]), alice.get_acl("/b")[1]))
        s.step("anonymous read of auth-ACL node", anon.get_data, "/a")
    zk.compare(scenario)


def test_ip_scheme_matches_the_client_address(zk):
    def scenario(s):
        c = s.raw("C")
        for ip in ["127.0.0.1", "127.0.0.0/8", "10.0.0.0/8", "10.1.2.3", "::1"]:
            path = "/ip-" + ip.replace("/", "_").replace(":", "c")
            s.step("create with ip:%s" % ip, c.create, path, b"",
                   [zkraw.Acl(zkraw.READ, "ip", ip)])
            s.step("read with ip:%s" % ip, c.get_data, path)
    zk.compare(scenario)


def test_invalid_acls_are_refused(zk):
    def scenario(s):
        c = s.raw("C")
        for label, acl in [
            ("empty", []),
            ("unknown scheme", [zkraw.Acl(zkraw.ALL, "foo", "bar")]),
            ("world but not anyone", [zkraw.Acl(zkraw.ALL, "world", "someone")]),
            ("digest without a colon", [zkraw.Acl(zkraw.ALL, "digest", "alice")]),
            ("bad ip", [zkraw.Acl(zkraw.ALL, "ip", "not-an-ip")]),
            ("ip with a bad mask", [zkraw.Acl(zkraw.ALL, "ip", "127.0.0.1/40")]),
            ("no permissions at all", [zkraw.Acl(0, "world", "anyone")]),
            ("permissions beyond ALL", [zkraw.Acl(0xFF, "world", "anyone")]),
            ("duplicates", [zkraw.Acl(zkraw.ALL, "world", "anyone")] * 3),
            ("super scheme", [zkraw.Acl(zkraw.ALL, "super", "")]),
        ]:
            path = "/" + label.replace(" ", "-")
            s.step("create with %s ACL" % label, c.create, path, b"", acl)
            s.step("getACL after %s" % label, c.get_acl, path)
    zk.compare(scenario)


def test_super_digest_bypasses_every_acl(zk):
    def scenario(s):
        owner = s.raw("owner")
        owner.add_auth("digest", b"alice:secret")
        owner.create("/locked", b"x", [zkraw.Acl(zkraw.ALL, "auth", "")])
        owner.create("/locked/c")
        root = s.kazoo("root")
        root.add_auth("digest", "%s:%s" % (SUPER_USER, SUPER_PASSWORD))
        s.step("super getData", root.get, "/locked")
        s.step("super getACL", root.get_acls, "/locked")
        s.step("super setData", root.set, "/locked", b"y")
        s.step("super delete child", root.delete, "/locked/c")
        s.step("super setACL", root.set_acls, "/locked", [_kazoo_acl(zkraw.Acl(zkraw.READ, "world", "anyone"))])
        raw_root = s.raw("raw root")
        raw_root.add_auth("digest", ("%s:%s" % (SUPER_USER, SUPER_PASSWORD)).encode())
        s.step("whoAmI as super", lambda: sorted(raw_root.who_am_i()))
        s.step("super with a wrong password is just a digest user", lambda: _wrong_super(s))
    zk.compare(scenario)


def _wrong_super(s):
    c = s.raw("fake super")
    c.add_auth("digest", b"super:wrong")
    return sorted(c.who_am_i()), _try(lambda: c.set_data("/locked", b"z"))


def _try(fn):
    try:
        return fn()
    except zkraw.ZkError as e:
        return ("error", zkraw.ERROR_NAMES[e.code])


def test_failed_authentication_closes_the_connection(zk):
    def scenario(s):
        a = s.raw("A")
        s.step("auth with an unknown scheme", a.add_auth, "nosuch", b"x")
        s.record("connection closed", a.wait_closed(5))
        b = s.raw("B")
        s.step("digest auth without a colon", b.add_auth, "digest", b"nocolon")
        s.step("whoAmI after it", lambda: sorted(b.who_am_i()))
        k = s.kazoo("K")
        s.step("kazoo auth with an unknown scheme", k.add_auth, "nosuch", "x")
    zk.compare(scenario)


def test_ip_and_world_auth_packets(zk):
    def scenario(s):
        a = s.raw("A")
        s.step("auth with the ip scheme", a.add_auth, "ip", b"127.0.0.1")
        s.step("whoAmI after it", lambda: sorted(a.who_am_i()))
        s.step("auth with the world scheme", a.add_auth, "world", b"anyone")
        s.step("whoAmI after that", lambda: sorted(a.who_am_i()))
    zk.compare(scenario)


def _kazoo_acl(acl):
    from kazoo.security import ACL, Id
    return ACL(acl.perms, Id(acl.scheme, acl.id))
