"""Watches: which events fire, to whom, how often, and in what order."""

import zkraw


def test_data_watch_fires_once_on_change(zk):
    def scenario(s):
        a = s.kazoo("A")
        b = s.kazoo("B")
        a.create("/w", b"0")
        s.step("get with watch", b.get, "/w", watch=s.watch("B", "get /w"))
        a.set("/w", b"1")
        s.flush("B")
        # One-shot: the second change is not reported.
        a.set("/w", b"2")
        s.flush("B")
    zk.compare(scenario)


def test_exists_watch_on_a_missing_node_fires_on_create(zk):
    def scenario(s):
        a = s.kazoo("A")
        b = s.kazoo("B")
        s.step("exists with watch", b.exists, "/later", watch=s.watch("B", "exists /later"))
        a.create("/later", b"")
        s.flush("B")
        s.step("exists with watch again", b.exists, "/later", watch=s.watch("B", "exists again"))
        a.delete("/later")
        s.flush("B")
    zk.compare(scenario)


def test_child_watch_fires_on_child_create_and_delete_not_on_data_change(zk):
    def scenario(s):
        a = s.kazoo("A")
        b = s.kazoo("B")
        a.create("/p/c", b"", makepath=True)
        b.get_children("/p", watch=s.watch("B", "children /p #1"))
        a.set("/p", b"data")
        a.set("/p/c", b"data")
        s.flush("B")
        a.create("/p/d")
        s.flush("B")
        b.get_children("/p", watch=s.watch("B", "children /p #2"))
        a.delete("/p/d")
        s.flush("B")
    zk.compare(scenario)


def test_delete_fires_data_and_child_watches_of_the_node_and_child_watch_of_parent(zk):
    def scenario(s):
        a = s.kazoo("A")
        b = s.raw("B")
        a.create("/p/n", b"", makepath=True)
        b.get_data("/p/n", watch=True)
        b.get_children("/p/n", watch=True)
        b.get_children("/p", watch=True)
        b.exists("/p", watch=True)
        a.delete("/p/n")
        s.flush("B")
    zk.compare(scenario)


def test_one_connection_watching_a_path_twice_gets_one_event(zk):
    def scenario(s):
        a = s.raw("A")
        b = s.raw("B")
        a.create("/w")
        b.exists("/w", watch=True)
        b.get_data("/w", watch=True)
        b.add_watch("/w", zkraw.PERSISTENT_WATCH)
        a.set_data("/w", b"x")
        s.flush("B")
        a.set_data("/w", b"y")
        s.flush("B")
    zk.compare(scenario)


def test_watch_event_arrives_before_the_reply_to_the_next_read(zk):
    def scenario(s):
        a = s.raw("A")
        b = s.raw("B")
        a.create("/w", b"0")
        b.get_data("/w", watch=True)
        a.set_data("/w", b"1")
        s.step("B reads the new data", b.get_data, "/w")
        s.record("B's arrivals (event before the reply carrying the new data)", list(b.arrivals))
    zk.compare(scenario)


def test_own_write_event_arrives_before_the_writes_reply(zk):
    def scenario(s):
        a = s.raw("A")
        a.create("/w", b"0")
        a.get_data("/w", watch=True)
        a.get_children("/", watch=True)
        s.step("setData by the watcher itself", a.set_data, "/w", b"1")
        s.step("create by the watcher itself", a.create, "/x")
        s.record("arrivals", list(a.arrivals))
    zk.compare(scenario)


def test_events_from_several_writes_arrive_in_write_order(zk):
    def scenario(s):
        a = s.kazoo("A")
        b = s.raw("B")
        for p in ["/a", "/b", "/c"]:
            a.create(p)
        for p in ["/a", "/b", "/c"]:
            b.get_data(p, watch=True)
        b.exists("/d", watch=True)
        b.get_children("/", watch=True)
        a.set("/c", b"1")
        a.delete("/a")
        a.create("/d")
        a.set("/b", b"1")
        s.flush("B")
    zk.compare(scenario)


def test_kazoo_watchers_see_events_in_write_order(zk):
    def scenario(s):
        a = s.kazoo("A")
        b = s.kazoo("B")
        for p in ["/a", "/b"]:
            a.create(p)
        b.get("/a", watch=s.watch("B", "get /a"))
        b.get("/b", watch=s.watch("B", "get /b"))
        b.get_children("/", watch=s.watch("B", "children /"))
        b.exists("/c", watch=s.watch("B", "exists /c"))
        a.set("/b", b"x")
        a.create("/c")
        a.delete("/a")
        s.flush("B")
    zk.compare(scenario)


def test_persistent_watch_fires_every_time_for_its_path_only(zk):
    def scenario(s):
        a = s.raw("A")
        b = s.raw("B")
        s.step("addWatch persistent on a missing node", b.add_watch, "/p", zkraw.PERSISTENT_WATCH)
        a.create("/p")
        a.set_data("/p", b"1")
        a.set_data("/p", b"2")
        a.create("/p/c")
        a.set_data("/p/c", b"1")
        a.create("/p/c/d")
        a.delete("/p/c/d")
        a.delete("/p/c")
        a.delete("/p")
        a.create("/p")
        s.flush("B")
    zk.compare(scenario)


def test_persistent_recursive_watch_covers_the_subtree_without_child_events(zk):
    def scenario(s):
        a = s.raw("A")
        b = s.raw("B")
        s.step("addWatch recursive", b.add_watch, "/r", zkraw.PERSISTENT_RECURSIVE_WATCH)
        a.create("/r")
        a.create("/r/a")
        a.create("/r/a/b")
        a.set_data("/r/a/b", b"x")
        a.create("/rx")               # a sibling sharing the prefix is not in the subtree
        a.delete("/r/a/b")
        a.set_data("/r", b"y")
        s.flush("B")
    zk.compare(scenario)


def test_standard_and_recursive_watches_on_one_connection_give_one_event_per_change(zk):
    def scenario(s):
        a = s.raw("A")
        b = s.raw("B")
        a.create("/r")
        a.create("/r/x")
        b.add_watch("/r", zkraw.PERSISTENT_RECURSIVE_WATCH)
        b.get_data("/r/x", watch=True)
        b.get_children("/r", watch=True)
        a.set_data("/r/x", b"1")
        a.create("/r/y")
        a.set_data("/r/x", b"2")
        s.flush("B")
    zk.compare(scenario)


def test_remove_watches_by_type_and_no_watcher_errors(zk):
    def scenario(s):
        a = s.raw("A")
        b = s.raw("B")
        a.create("/w")
        b.get_data("/w", watch=True)
        b.get_children("/w", watch=True)
        s.step("checkWatches data", b.check_watches, "/w", zkraw.WATCH_DATA)
        s.step("checkWatches children", b.check_watches, "/w", zkraw.WATCH_CHILDREN)
        s.step("checkWatches any", b.check_watches, "/w", zkraw.WATCH_ANY)
        s.step("checkWatches on unwatched path", b.check_watches, "/zookeeper", zkraw.WATCH_ANY)
        s.step("removeWatches data", b.remove_watches, "/w", zkraw.WATCH_DATA)
        s.step("removeWatches data again", b.remove_watches, "/w", zkraw.WATCH_DATA)
        s.step("checkWatches data after removal", b.check_watches, "/w", zkraw.WATCH_DATA)
        s.step("other connection has none", a.check_watches, "/w", zkraw.WATCH_ANY)
        a.set_data("/w", b"x")          # the removed data watch must stay silent
        a.create("/w/c")                # the child watch still fires
        s.flush("B")
        b.get_data("/w", watch=True)
        b.exists("/w", watch=True)
        s.step("removeWatches any", b.remove_watches, "/w", zkraw.WATCH_ANY)
        a.set_data("/w", b"y")
        s.flush("B")
        s.step("removeWatches on a missing path", b.remove_watches, "/none", zkraw.WATCH_ANY)
        s.step("removeWatches bad type", b.remove_watches, "/w", 9)
        s.record("B's arrivals", list(b.arrivals))
    zk.compare(scenario)


def test_remove_persistent_watches(zk):
    def scenario(s):
        a = s.raw("A")
        b = s.raw("B")
        a.create("/p")
        b.add_watch("/p", zkraw.PERSISTENT_WATCH)
        b.add_watch("/q", zkraw.PERSISTENT_RECURSIVE_WATCH)
        s.step("checkWatches persistent as data", b.check_watches, "/p", zkraw.WATCH_DATA)
        s.step("checkWatches persistent as children", b.check_watches, "/p", zkraw.WATCH_CHILDREN)
        s.step("checkWatches recursive as any", b.check_watches, "/q", zkraw.WATCH_ANY)
        s.step("remove persistent data part", b.remove_watches, "/p", zkraw.WATCH_DATA)
        a.set_data("/p", b"1")
        a.create("/p/c")
        s.flush("B")
        s.step("remove recursive", b.remove_watches, "/q", zkraw.WATCH_ANY)
        a.create("/q")
        s.flush("B")
    zk.compare(scenario)


def test_get_children_of_a_missing_node_sets_no_watch_but_exists_does(zk):
    def scenario(s):
        a = s.raw("A")
        b = s.raw("B")
        s.step("getChildren watch on missing", b.get_children, "/m", watch=True)
        s.step("getData watch on missing", b.get_data, "/m", watch=True)
        s.step("checkWatches after failed reads", b.check_watches, "/m", zkraw.WATCH_ANY)
        s.step("exists watch on missing", b.exists, "/m", watch=True)
        s.step("checkWatches after exists", b.check_watches, "/m", zkraw.WATCH_DATA)
        a.create("/m")
        a.create("/m/c")
        s.flush("B")
    zk.compare(scenario)


def test_watches_of_a_closed_session_are_gone(zk):
    def scenario(s):
        a = s.raw("A")
        b = s.raw("B")
        c = s.raw("C")
        a.create("/w")
        b.get_data("/w", watch=True)
        c.get_data("/w", watch=True)
        b.close()
        a.set_data("/w", b"x")
        s.flush("C")
        s.record("closed B received", list(b.arrivals))
    zk.compare(scenario)


def test_multi_read_sets_no_watches_even_when_asked(zk):
    # Apache rebuilds each read op without its watch flag.
    def scenario(s):
        a = s.raw("A")
        b = s.raw("B")
        a.create("/m")
        s.step("multiRead with watches", b.multi_read,
               [zkraw.op_get_data("/m", watch=True), zkraw.op_get_children("/m", watch=True)])
        a.create("/m/c")
        a.set_data("/m", b"1")
        s.flush("B")
    zk.compare(scenario)
