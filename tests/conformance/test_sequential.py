"""Sequential names: a ten-digit, zero-padded suffix taken from the parent.

Overflow of the counter (past 2147483647, when Apache formats a negative int with
%010d) cannot be reached here: the counter only moves when a child is created, so
it would take 2^31 creates. It belongs in the server's unit tests.
"""

import zkraw


def test_sequential_suffix_is_ten_digits_from_the_count_of_child_creations(zk):
    def scenario(s):
        a = s.kazoo("A")
        a.create("/q", b"")
        s.step("first", a.create, "/q/n-", sequence=True)
        s.step("second", a.create, "/q/n-", sequence=True)
        s.step("a plain child", a.create, "/q/plain")
        s.step("after a plain child", a.create, "/q/n-", sequence=True)
        a.delete("/q/plain")
        # A delete changes the visible cversion but not the sequence counter.
        s.step("parent stat after a delete", a.exists, "/q")
        s.step("after a delete", a.create, "/q/n-", sequence=True)
        s.step("empty prefix", a.create, "/q/", sequence=True)
        s.step("other prefix", a.create, "/q/other", sequence=True)
        s.step("children", lambda: sorted(a.get_children("/q")))
    zk.compare(scenario)


def test_sequential_counter_ignores_failed_creates_and_counts_ephemerals(zk):
    def scenario(s):
        a = s.kazoo("A")
        a.create("/q", b"")
        a.create("/q/x")
        s.step("failed create", a.create, "/q/x")
        s.step("then sequential", a.create, "/q/s", sequence=True)
        s.step("ephemeral sequential", a.create, "/q/e", ephemeral=True, sequence=True)
        s.step("then sequential", a.create, "/q/s", sequence=True)
        s.step("stat", a.exists, "/q/e0000000002")
    zk.compare(scenario)


def test_sequential_names_are_per_parent(zk):
    def scenario(s):
        a = s.kazoo("A")
        a.create("/p1")
        a.create("/p2")
        for p in ["/p1/x", "/p2/x", "/p1/x", "/x"]:
            s.step("sequential " + p, a.create, p, sequence=True)
    zk.compare(scenario)


def test_sequential_name_that_exists_already_is_node_exists(zk):
    # The next name is computed, then checked like any other: a node created earlier
    # under that exact name makes the sequential create fail.
    def scenario(s):
        a = s.kazoo("A")
        a.create("/q")
        a.create("/q/n0000000001")
        s.step("clashes with the existing name", a.create, "/q/n", sequence=True)
        s.step("a failed create does not move the counter", a.create, "/q/n", sequence=True)
        a.create("/q/other")
        s.step("another child moves it", a.create, "/q/n", sequence=True)
    zk.compare(scenario)


def test_sequential_ttl_and_container_children(zk):
    def scenario(s):
        r = s.raw("R")
        r.create("/q")
        s.step("persistent sequential with TTL", r.create, "/q/t", b"",
               flags=zkraw.PERSISTENT_SEQUENTIAL_WITH_TTL, kind=zkraw.CREATE_TTL, ttl=60000)
        s.step("container parent", r.create, "/c", kind=zkraw.CREATE_CONTAINER,
               flags=zkraw.CONTAINER)
        s.step("sequential child of a container", r.create, "/c/k", flags=zkraw.PERSISTENT_SEQUENTIAL)
    zk.compare(scenario)
