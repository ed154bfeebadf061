"""Fixtures for the client-library tests: real servers on loopback (see client_support.py)."""

import os

import pytest

from client_support import (
    Certs,
    Mosquitto,
    _http,
    _need,
    ntp_server,
)


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    return Certs(str(tmp_path_factory.mktemp("certs")))


@pytest.fixture(scope="session")
def http_server():
    srv = _http()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def https_server(certs):
    srv = _http(certs)
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory, certs):
    _need("mosquitto", ["/usr/sbin/mosquitto"])
    broker = Mosquitto(str(tmp_path_factory.mktemp("mosquitto")), certs)
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def ntp_port():
    """The UDP port of a real SNTP server on 127.0.0.1 serving this computer's clock."""
    server = ntp_server()
    yield server.port
    server.stop()


@pytest.fixture
def ssl_context(certs):
    """A CircuitPython-style context that trusts the test CA."""
    from socketpool_host import tls

    ctx = tls.create_default_context()
    ctx.load_verify_locations(cadata=certs.ca_pem)
    return ctx


@pytest.fixture
def managed_pool(pool):
    """The target's pool, with every socket adafruit_connection_manager kept closed afterwards."""
    import adafruit_connection_manager as acm

    yield pool
    try:
        acm.connection_manager_close_all(pool)
    except RuntimeError:  # "SocketPool not managed": the test never used a manager
        pass


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "any_engine: runs on every in-process target (the rest need the host network)"
    )
    config.addinivalue_line(
        "markers", "on_target: the client runs on a remote target itself (test_on_target.py)"
    )


def pytest_collection_modifyitems(config, items):
    """Real servers run as OS processes on the host's loopback: only the host engine reaches
    them. Tests marked any_engine talk to themselves through the pool and also run on the
    host-lwIP targets. (Skipped at collection, so no module fixture starts a server for them.)"""
    target = config.getoption("--target", default="host")
    here = os.path.dirname(os.path.abspath(__file__))
    in_process = target in ("host-lwip-esp32", "host-lwip-rp2")
    for item in items:
        if not str(item.fspath).startswith(here + os.sep):
            continue
        if item.get_closest_marker("on_target") is not None:  # the board runs the client code
            if target == "host" or in_process:
                item.add_marker(pytest.mark.skip(reason="the client runs on the target: remote targets only"))
            continue
        if target == "host":
            continue
        if item.get_closest_marker("any_engine") is None:
            item.add_marker(pytest.mark.skip(reason="needs the host network (servers are OS processes): target host only"))
        elif not in_process:
            item.add_marker(pytest.mark.skip(reason="client-library tests run in this process: in-process targets only"))
