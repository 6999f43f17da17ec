"""Sessions: timeouts, ephemerals, close, expiry, reconnect with setWatches."""

import socket

import zkraw


def test_negotiated_timeout_is_clamped_to_two_and_twenty_ticks(zk):
    def scenario(s):
        for asked in [1, 3999, 4000, 10000, 40000, 40001, 600000]:
            c = s.raw("asked %d" % asked, timeout_ms=asked)
            s.record("asked %d ms" % asked, (c.timeout_ms, c.protocol_version, len(c.passwd),
                                            c.read_only))
            c.close()
    zk.compare(scenario)


def test_ephemeral_owner_is_the_creating_session(zk):
    def scenario(s):
        a = s.kazoo("A")
        b = s.raw("B")
        s.step("kazoo ephemeral", a.create, "/ka", ephemeral=True, include_data=True)
        s.step("raw ephemeral", b.create, "/rb", flags=zkraw.EPHEMERAL, kind=zkraw.CREATE2)
        s.step("seen by the other", b.exists, "/ka")
        s.step("persistent has none", a.create, "/p", include_data=True)
    zk.compare(scenario)


def test_ephemerals_cannot_have_children(zk):
    def scenario(s):
        a = s.kazoo("A")
        a.create("/e", ephemeral=True)
        s.step("child of ephemeral", a.create, "/e/c")
        s.step("sequential child of ephemeral", a.create, "/e/c", sequence=True)
        s.step("ephemeral child of ephemeral", a.create, "/e/c", ephemeral=True)
        # The name clash is checked first: NodeExists beats NoChildrenForEphemerals.
        s.step("create the ephemeral itself again", a.create, "/e")
        s.step("parent untouched", a.exists, "/e")
    zk.compare(scenario)


def test_ephemerals_vanish_when_their_session_closes_and_others_are_told(zk):
    def scenario(s):
        a = s.kazoo("A")
        b = s.kazoo("B")
        a.create("/dir")
        a.create("/dir/e1", ephemeral=True)
        a.create("/dir/e2", b"x", ephemeral=True)
        b.exists("/dir/e1", watch=s.watch("B", "exists e1"))
        b.get("/dir/e2", watch=s.watch("B", "get e2"))
        b.get_children("/dir", watch=s.watch("B", "children /dir"))
        a.stop()
        s.flush("B")
        s.step("children after close", lambda: sorted(b.get_children("/dir")))
        # All deletions share the closeSession's zxid.
        s.step("parent pzxid is the closeSession zxid", b.exists, "/dir")
    zk.compare(scenario)


def test_closing_session_receives_events_for_its_own_ephemerals_before_the_reply(zk):
    def scenario(s):
        a = s.raw("A")
        a.create("/e", flags=zkraw.EPHEMERAL)
        a.exists("/e", watch=True)
        a.get_children("/", watch=True)
        s.step("closeSession", lambda: a.call(zkraw.CLOSE_SESSION).remaining())
        a.wait_closed(5)
        s.record("arrivals of the closing session", list(a.arrivals))
    zk.compare(scenario)


def test_requests_after_close_session_are_not_answered(zk):
    def scenario(s):
        a = s.raw("A")
        a.call(zkraw.CLOSE_SESSION)
        s.record("connection closed", a.wait_closed(5))
        s.step("request on the closed connection", a.exists, "/")
    zk.compare(scenario)


def test_session_survives_reconnect_with_id_and_password(zk):
    def scenario(s):
        a = s.raw("A")
        a.create("/e", b"", flags=zkraw.EPHEMERAL)
        sid, pw, seen = a.session_id, a.passwd, a.last_zxid
        a.drop()
        a2 = s.raw("A again", session_id=sid, passwd=pw, last_zxid=seen)
        s.record("same session, same timeout", (a2.session_id == sid, a2.timeout_ms,
                                                a2.passwd == pw))
        s.step("ephemeral still owned by A", a2.exists, "/e")
        s.step("getEphemerals", a2.get_ephemerals, "/")
    zk.compare(scenario)


def test_reconnect_with_a_wrong_password_or_unknown_session_is_expired(zk):
    def scenario(s):
        a = s.raw("A")
        a.create("/e", flags=zkraw.EPHEMERAL)
        unknown = s.raw("unknown", session_id=a.session_id + 1000, passwd=b"\0" * 16)
        s.record("unknown session", (unknown.expired, unknown.timeout_ms, unknown.session_id,
                                     unknown.passwd))
        s.step("the real session's connection is unaffected", a.exists, "/")
        bad = s.raw("bad password", session_id=a.session_id, passwd=b"\x01" * 16)
        s.record("wrong password", (bad.expired, bad.timeout_ms, bad.session_id, bad.passwd))
        s.record("connection closed", bad.wait_closed(5))
        # The server drops the session's current connection before it checks the password.
        s.step("the real session's connection was closed", a.exists, "/")
        again = s.raw("A again", session_id=a.session_id, passwd=a.passwd)
        s.record("but the session lives on", (again.expired, again.session_id == a.session_id))
        s.step("with its ephemeral", again.exists, "/e")
    zk.compare(scenario)


def test_reconnect_claiming_a_future_zxid_is_refused(zk):
    def scenario(s):
        a = s.raw("A")
        s.step("handshake with lastZxidSeen ahead of the server",
               lambda: s.raw("from the future", session_id=0, last_zxid=1000).expired)
        s.step("server still serves", a.exists, "/")
    zk.compare(scenario)


def test_set_watches_on_reconnect_reports_what_was_missed(zk):
    def scenario(s):
        a = s.raw("A")
        w = s.raw("W")
        for p in ["/d", "/gone", "/p", "/same", "/created-before"]:
            a.create(p)
        w.get_data("/d", watch=True)
        w.get_data("/gone", watch=True)
        w.exists("/born", watch=True)
        w.get_children("/p", watch=True)
        w.get_data("/same", watch=True)
        sid, pw, seen = w.session_id, w.passwd, w.last_zxid
        w.drop()
        a.set_data("/d", b"x")
        a.delete("/gone")
        a.create("/born")
        a.create("/p/c")
        w2 = s.raw("W", session_id=sid, passwd=pw, last_zxid=seen)
        s.step("setWatches", w2.set_watches, seen, data=["/d", "/gone", "/same"],
               exist=["/born", "/never", "/created-before"], child=["/p"])
        s.flush("W")
        s.record("arrivals: events before the setWatches reply", list(w2.arrivals))
        # Watches that had nothing to report are armed again.
        a.set_data("/same", b"y")
        a.create("/never")
        s.flush("W")
    zk.compare(scenario)


def test_set_watches2_restores_persistent_watches(zk):
    def scenario(s):
        a = s.raw("A")
        w = s.raw("W")
        a.create("/p")
        w.add_watch("/p", zkraw.PERSISTENT_WATCH)
        w.add_watch("/r", zkraw.PERSISTENT_RECURSIVE_WATCH)
        sid, pw, seen = w.session_id, w.passwd, w.last_zxid
        w.drop()
        a.set_data("/p", b"missed")
        a.create("/r")
        w2 = s.raw("W", session_id=sid, passwd=pw, last_zxid=seen)
        s.step("setWatches2", w2.set_watches, seen, persistent=["/p"], recursive=["/r"])
        s.flush("W")
        a.set_data("/p", b"after")
        a.create("/r/x")
        a.set_data("/r/x", b"1")
        s.flush("W")
    zk.compare(scenario)


def test_kazoo_reconnect_resumes_the_session(zk):
    # kazoo 2.8 sends no setWatches: on a connection loss it fires its watchers with a
    # NONE event and forgets them (the raw-client tests cover setWatches).
    def scenario(s):
        a = s.kazoo("A")
        b = s.kazoo("B")
        a.create("/k", b"0")
        b.get("/k", watch=s.watch("B", "get /k"))
        sid = b.client_id[0]
        # Drop kazoo's socket; it reconnects with its session and sends setWatches.
        b._connection._socket.shutdown(socket.SHUT_RDWR)
        a.set("/k", b"1")
        s.wait_for("B reconnected", lambda: b.connected and b.exists("/k") is not None)
        s.record("same session", b.client_id[0] == sid)
        s.flush("B")
    zk.compare(scenario)


def test_session_expiry_deletes_ephemerals_and_fires_watches_of_others(zk):
    def scenario(s):
        a = s.raw("A", timeout_ms=4000)
        b = s.raw("B")
        a.create("/dir")
        a.create("/dir/e", b"", flags=zkraw.EPHEMERAL)
        a.create("/dir/f", b"", flags=zkraw.EPHEMERAL)
        b.exists("/dir/e", watch=True)
        b.get_children("/dir", watch=True)
        a.get_data("/dir/e", watch=True)
        a.pings_paused.set()          # the socket stays open, the session goes silent
        s.wait_for("ephemerals gone", lambda: b.exists("/dir/e") is None, timeout=20)
        s.flush("B")
        s.record("server closed A's connection", a.wait_closed(5))
        s.step("children", lambda: sorted(b.get_children("/dir")))
        s.step("parent pzxid is the expiry's closeSession zxid", b.exists, "/dir")
        again = s.raw("A again", session_id=a.session_id, passwd=a.passwd)
        s.record("reconnecting to the expired session",
                 (again.expired, again.timeout_ms, again.session_id, again.passwd))
    zk.compare(scenario)
