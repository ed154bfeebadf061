"""adafruit_connection_manager, unmodified, with wifi.radio and socketpool.

get_radio_socketpool() picks socketpool by the radio's class name ``Radio`` and then calls
``ssl.create_default_context()``; on this computer that is CPython's ssl unless the code runs
under ``socketpool run``, so the in-process tests install the CircuitPython-style ssl module
for the duration of the call, exactly as ``run`` does.
"""

import errno
import sys

import pytest

acm = pytest.importorskip("adafruit_connection_manager")


@pytest.fixture
def radio_objects(pool):
    import wifi

    from socketpool_host import cpy_ssl

    saved = sys.modules.get("ssl")
    sys.modules["ssl"] = cpy_ssl
    try:
        got_pool = acm.get_radio_socketpool(wifi.radio)
        got_ctx = acm.get_radio_ssl_context(wifi.radio)
    finally:
        sys.modules["ssl"] = saved
    yield got_pool, got_ctx
    try:
        acm.connection_manager_close_all(got_pool, release_references=True)
    except RuntimeError:
        pass
    # forget the radio so that later tests start fresh
    acm._global_socketpools.pop(acm._get_radio_hash_key(wifi.radio), None)
    acm._global_ssl_contexts.pop(acm._get_radio_hash_key(wifi.radio), None)
    acm._global_key_by_socketpool.pop(got_pool, None)


def test_get_radio_socketpool_returns_the_socketpool_of_the_radio(radio_objects, pool):
    got_pool, _ = radio_objects
    assert got_pool is pool  # one pool per radio


def test_get_radio_ssl_context_returns_a_working_context(radio_objects, https_server, certs):
    import adafruit_requests

    from socketpool_host import tls

    got_pool, ctx = radio_objects
    assert isinstance(ctx, tls.SSLContext)
    ctx.load_verify_locations(cadata=certs.ca_pem)
    with adafruit_requests.Session(got_pool, ctx).get(https_server.url + "/get") as r:
        assert r.text == "hello from the test server"


def test_default_context_refuses_a_server_signed_by_an_unknown_ca(radio_objects, https_server):
    import ssl

    got_pool, ctx = radio_objects  # verification on, host CA store: the test CA is not in it
    cm = acm.get_connection_manager(got_pool)
    with pytest.raises(ssl.SSLCertVerificationError):
        cm.get_socket("127.0.0.1", https_server.port, "https:", ssl_context=ctx, timeout=5)
    assert cm.managed_socket_count == 0


def test_socket_is_reused_after_free_socket(managed_pool, http_server):
    cm = acm.get_connection_manager(managed_pool)
    used = managed_pool._slots_in_use()
    s1 = cm.get_socket("127.0.0.1", http_server.port, "http:", timeout=5)
    cm.free_socket(s1)
    assert cm.available_socket_count == 1
    s2 = cm.get_socket("127.0.0.1", http_server.port, "http:", timeout=5)
    assert s2 is s1
    assert managed_pool._slots_in_use() == used + 1
    cm.close_socket(s2)
    assert managed_pool._slots_in_use() == used


def test_second_socket_to_a_busy_key_is_refused_until_freed(managed_pool, http_server):
    cm = acm.get_connection_manager(managed_pool)
    s1 = cm.get_socket("127.0.0.1", http_server.port, "http:", timeout=5)
    with pytest.raises(RuntimeError):
        cm.get_socket("127.0.0.1", http_server.port, "http:", timeout=5)
    s2 = cm.get_socket("127.0.0.1", http_server.port, "http:", session_id="other", timeout=5)
    assert s2 is not s1
    cm.close_socket(s1)
    cm.close_socket(s2)


def test_close_all_closes_every_managed_socket_and_frees_slots(managed_pool, http_server, https_server, ssl_context):
    cm = acm.get_connection_manager(managed_pool)
    used = managed_pool._slots_in_use()
    socks = [
        cm.get_socket("127.0.0.1", http_server.port, "http:", session_id=str(i), timeout=5) for i in range(3)
    ]
    socks.append(cm.get_socket("127.0.0.1", https_server.port, "https:", ssl_context=ssl_context, timeout=5))
    cm.free_socket(socks[0])
    assert managed_pool._slots_in_use() == used + 4
    acm.connection_manager_close_all(managed_pool)
    assert cm.managed_socket_count == 0
    assert cm.available_socket_count == 0
    assert managed_pool._slots_in_use() == used
    buf = bytearray(1)
    for s in socks:
        with pytest.raises(OSError) as info:
            s.recv_into(buf)
        assert info.value.errno == errno.EBADF


def test_free_sockets_are_closed_to_make_room_when_slots_run_out(managed_pool, http_server):
    cm = acm.get_connection_manager(managed_pool)
    free = managed_pool._max - managed_pool._slots_in_use()
    socks = [cm.get_socket("127.0.0.1", http_server.port, "http:", session_id=str(i), timeout=5) for i in range(free)]
    for s in socks:
        cm.free_socket(s)
    # every slot is taken; the manager closes its free sockets and tries again
    extra = cm.get_socket("127.0.0.1", http_server.port, "http:", session_id="extra", timeout=5)
    assert cm.managed_socket_count == 1
    cm.close_socket(extra)
