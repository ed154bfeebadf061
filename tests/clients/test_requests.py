"""adafruit_requests, unmodified, over socketpool against a real HTTP(S) server on loopback."""

import errno
import json

import pytest

adafruit_requests = pytest.importorskip("adafruit_requests")

from servers.http_app import MIB, pattern  # noqa: E402


@pytest.fixture(params=["http", "https"])
def server(request, http_server, https_server):
    return http_server if request.param == "http" else https_server


@pytest.fixture
def session(managed_pool, ssl_context):
    return adafruit_requests.Session(managed_pool, ssl_context)


def test_get_returns_status_and_body(session, server):
    with session.get(server.url + "/get") as r:
        assert r.status_code == 200
        assert r.text == "hello from the test server"


def test_post_sends_the_body(session, server):
    with session.post(server.url + "/post", data="name=value&x=1") as r:
        assert r.status_code == 200
        assert r.json()["received"] == "name=value&x=1"


def test_post_json_is_sent_as_json(session, server):
    with session.post(server.url + "/post", json={"temp": 21.5, "on": True}) as r:
        reply = r.json()
    assert reply["type"] == "application/json"
    assert json.loads(reply["received"]) == {"temp": 21.5, "on": True}


def test_json_response_is_parsed(session, server):
    with session.get(server.url + "/json") as r:
        assert r.json() == {"answer": 42, "list": [1, 2, 3]}


def test_chunked_response_is_reassembled(session, server):
    with session.get(server.url + "/chunked") as r:
        assert r.text == "first chunk;second chunk;" + "x" * 5000 + ";last"


def test_streamed_one_mib_arrives_byte_exact(session, server):
    got = bytearray()
    with session.get(server.url + "/stream", stream=True) as r:
        assert int(r.headers["content-length"]) == MIB
        for chunk in r.iter_content(chunk_size=4096):
            got += chunk
            assert len(got) <= MIB
    assert len(got) == MIB
    assert got == pattern(MIB)


def test_redirect_is_followed(session, server):
    with session.get(server.url + "/redirect") as r:
        assert r.status_code == 200
        assert r.text == "hello from the test server"


def test_missing_page_gives_404(session, server):
    with session.get(server.url + "/no-such-page") as r:
        assert r.status_code == 404
        assert r.text == "not found"


def test_read_timeout_ends_in_etimedout(session, server):
    # /slow answers after 3 s; requests tries twice, then raises OutOfRetries from the socket's
    # OSError(ETIMEDOUT), which on CPython is also a TimeoutError
    with pytest.raises(adafruit_requests.OutOfRetries) as info:
        session.get(server.url + "/slow", timeout=0.5)
    cause = info.value.__cause__
    assert isinstance(cause, OSError) and cause.errno == errno.ETIMEDOUT
    assert isinstance(cause, TimeoutError)


def test_connection_refused_raises_econnrefused(session, server):
    from client_support import free_port

    url = "%s://127.0.0.1:%d/get" % (server.url.split(":")[0], free_port())
    with pytest.raises(OSError) as info:
        session.get(url)
    assert info.value.errno == errno.ECONNREFUSED


def test_session_reuses_its_socket_between_requests(session, server, managed_pool):
    before = managed_pool._slots_in_use()
    for _ in range(5):
        with session.get(server.url + "/get") as r:
            assert r.status_code == 200
    assert managed_pool._slots_in_use() == before + 1
