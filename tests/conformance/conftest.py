"""Fixtures: a fresh REFERENCE/TARGET pair per test, and `zk` to compare a scenario.

    def test_something(zk):
        def scenario(s):          # s: harness.Side, one per server
            a = s.kazoo("A")
            s.step("create /x", a.create, "/x", b"v")
        zk.compare(scenario)

Extra zoo.cfg keys for one test: @pytest.mark.zkcfg(minSessionTimeout="2000").
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import harness  # noqa: E402
import servers  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "zkcfg(dict): extra zoo.cfg keys for both servers")


def pytest_report_header(config):
    return "conformance: REFERENCE = Apache ZooKeeper 3.8.0, TARGET = %s" % servers.target_cmd()


class Pair:
    def __init__(self, ref, tgt):
        self.reference, self.target = ref, tgt

    def compare(self, scenario):
        """Runs the scenario on both servers; returns the (equal) transcript."""
        __tracebackhide__ = True
        return harness.compare(scenario, self.reference, self.target)

    def each(self):
        return (self.reference, self.target)


_pool = servers.PairPool()


@pytest.fixture
def zk(request):
    marker = request.node.get_closest_marker("zkcfg")
    extra = dict(marker.args[0]) if marker else {}
    ref, tgt = _pool.take(extra)
    try:
        yield Pair(ref, tgt)
    finally:
        _pool.release((ref, tgt))
