"""pytest plugin: ``--target`` picks where the conformance suite runs."""

import pytest

from socketpool_tools.targets import make_target


def pytest_addoption(parser):
    group = parser.getgroup("socketpool")
    group.addoption(
        "--target",
        default="host",
        help="where socketpool runs: host, host-lwip-esp32, host-lwip-rp2 (default host)",
    )


@pytest.fixture(scope="session")
def target(request):
    t = make_target(request.config.getoption("--target"))
    yield t
    t.close()


@pytest.fixture
def pool(target):
    """The target's SocketPool; the test must give back every slot it took."""
    target.gc_collect()
    before = target.slots_in_use()
    yield target.pool
    target.gc_collect()
    after = target.slots_in_use()
    assert after == before, "test leaked %d socket slot(s)" % (after - before)
