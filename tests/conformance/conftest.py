"""Fixtures of the conformance suite: the contract (design/contract.md) as tests.

Tests use only the public socketpool API through ``pool`` and the ``target`` members (name,
remote, host, peer_host, pool, ipv6, raw, slots, gc_collect(), slots_in_use(), buffer(), buffer_bytes(),
leak_in_cycle(sock)), so the same cases run on every engine.
"""

import gc
import os

import pytest

from . import peers
from .support import make_net

# a single hung case must not eat the run: fail it long before the global timeout
CASE_TIMEOUT = 30


HERE = os.path.dirname(os.path.abspath(__file__))  # tests/conformance, or the installed copy


def pytest_collection_modifyitems(config, items):
    for item in items:
        if str(item.fspath).startswith(HERE + os.sep):
            if item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(CASE_TIMEOUT))


@pytest.fixture(scope="session", autouse=True)
def long_lived_objects_frozen(target):
    """The pool fixture collects garbage around every case; leave pytest's own objects out of it
    (objects made by the cases, such as sockets in cycles, are still collected)."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(scope="session", autouse=True)
def peer_stack(target):
    """Peers where the target reaches them (host-lwIP targets: in their link's namespace)."""
    peers.use_stack(getattr(target, "peer_socket_module", None))
    yield
    peers.use_stack(None)


@pytest.fixture(params=["ipv4", "ipv6"])
def net(request, target, pool):
    """The address family a case runs over, with the loopback hosts of both sides."""
    return make_net(request.param, target, pool)


@pytest.fixture
def net4(target, pool):
    return make_net("ipv4", target, pool)


@pytest.fixture
def local_only(target):
    if target.remote:
        pytest.skip("needs the target's sockets in this process (select on fileno())")
    if not getattr(getattr(target, "engine", None), "SELECTABLE", True):
        pytest.skip("the engine's sockets have no OS descriptor (host-lwIP: an lwIP inside "
                    "this process); on a board select.poll() goes through the binding")


@pytest.fixture
def sockets(pool):
    """``sockets(family, type)``: a new pool socket that is closed when the case ends."""
    made = []

    def new(family=None, type=None):
        s = pool.socket(pool.AF_INET if family is None else family,
                        pool.SOCK_STREAM if type is None else type)
        made.append(s)
        return s

    yield new
    for s in made:
        s.close()
