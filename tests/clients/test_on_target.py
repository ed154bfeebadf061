"""The Adafruit clients running ON the target: the board itself runs unmodified
adafruit_requests, adafruit_minimqtt, adafruit_ntp and adafruit_httpserver (from PyPI, compiled
with mpy-cross and loaded into the board's heap for the run) over its socketpool, against real
servers on this computer at the target's peer address: CPython's HTTP server, Debian's mosquitto
and the tests' SNTP server; the board's httpserver answers CPython's HTTP client.

Remote targets only (a board, the emulated Pico W, MicroPython's unix port), e.g.
``pytest tests/clients/test_on_target.py --target rp2040js:firmware.uf2 --bootrom bootrom.bin``:
behind the emulated Pico W's SLIP link the servers listen on the link's 10.78.0.1 in its
network namespace (docs/emulated-pico-w.md)."""

import errno
import importlib.util
import os
import socket
import threading
import time
import uuid

import pytest

import client_support

pytestmark = pytest.mark.on_target


def _library_files(*names):
    """[(source .py, path under the library folder)] of installed PyPI packages and modules."""
    out = []
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None:
            pytest.skip("%s is not installed (pip install -e .[test])" % name)
        if spec.submodule_search_locations:
            src = list(spec.submodule_search_locations)[0]
            for f in sorted(os.listdir(src)):
                if f.endswith(".py"):
                    out.append((os.path.join(src, f), name + "/" + f))
        else:
            out.append((spec.origin, name + ".py"))
    return out


@pytest.fixture(scope="module")
def board(target):
    if not getattr(target, "remote", False):
        pytest.skip("the clients run on the target: remote targets only")
    return target


def _unload(board, *names):
    """The modules ``names`` leave the target's heap (the next client needs the room)."""
    board.session.exec_statements("import gc, sys\nfor _n in %r:\n    sys.modules.pop(_n, None)\ngc.collect()"
                                  % (names,))


def _run(board, code, timeout=None):
    """Statements on the target; the value of ``_out`` (set by the code) comes back."""
    s = board.session
    s.exec_statements(code, timeout=timeout or max(60, board.options.call_timeout))
    return s.run("_out")


# --- adafruit_requests ------------------------------------------------------------------------
@pytest.fixture
def requests_on_board(board):
    board.load_modules(_library_files("adafruit_ticks", "adafruit_connection_manager", "adafruit_requests"),
                       ["adafruit_connection_manager", "adafruit_requests"])
    board.session.exec_statements("_rq = adafruit_requests.Session(_sp_pool)")
    yield board
    board.session.exec_statements("adafruit_connection_manager.connection_manager_close_all(_sp_pool)\n"
                                  "_rq = adafruit_requests = adafruit_connection_manager = None")
    _unload(board, "adafruit_requests", "adafruit_connection_manager", "adafruit_ticks")


@pytest.fixture(scope="module")
def web(board):
    srv = client_support._http(host=board.peer_host)
    yield srv
    srv.stop()


def test_requests_from_the_board(requests_on_board, web):
    """GET, POST (form and JSON), a JSON reply, a 404, a redirect, a chunked reply and a refused
    connection: one test, so the library is loaded onto the board once."""
    board = requests_on_board
    refused_port = client_support.free_port(host=board.peer_host)  # nothing listens there
    out = _run(board, """
_u = %r
_out = []
with _rq.get(_u + "/get") as r:
    _out.append([r.status_code, r.text])
with _rq.post(_u + "/post", data="name=value&x=1") as r:
    _out.append(r.json()["received"])
with _rq.post(_u + "/post", json={"on": True}) as r:
    _out.append(r.json()["type"])
with _rq.get(_u + "/json") as r:
    _out.append(r.json())
with _rq.get(_u + "/nowhere") as r:
    _out.append(r.status_code)
with _rq.get(_u + "/redirect") as r:
    _out.append([r.status_code, r.text])
with _rq.get(_u + "/chunked") as r:
    _t = r.text
_out.append([len(_t), _t[:25], _t[-5:]])
_t = None
try:
    _rq.get("http://%s:%d/get", timeout=10)
    _out.append(None)
except OSError as e:
    _out.append(e.errno)
""" % (web.url, board.peer_host, refused_port))
    assert out == [
        [200, "hello from the test server"],
        "name=value&x=1",
        "application/json",
        {"answer": 42, "list": [1, 2, 3]},
        404,
        [200, "hello from the test server"],
        [len("first chunk;second chunk;") + 5000 + len(";last"), "first chunk;second chunk;", ";last"],
        errno.ECONNREFUSED,
    ]


# --- adafruit_minimqtt against mosquitto -------------------------------------------------------
@pytest.fixture(scope="module")
def broker(board, tmp_path_factory):
    client_support._need("mosquitto", ["/usr/sbin/mosquitto"])
    certs = client_support.Certs(str(tmp_path_factory.mktemp("certs")))
    b = client_support.Mosquitto(str(tmp_path_factory.mktemp("mosquitto")), certs, host=board.peer_host)
    b.start()
    yield b
    b.stop()


@pytest.fixture
def mqtt_on_board(board):
    board.load_modules(_library_files("adafruit_ticks", "adafruit_connection_manager", "adafruit_minimqtt"),
                       ["adafruit_connection_manager", "adafruit_minimqtt.adafruit_minimqtt"])
    board.session.exec_statements("""
import adafruit_minimqtt.adafruit_minimqtt as _MQTT
_got = []
def _mqtt(host, port, cid):
    c = _MQTT.MQTT(broker=host, port=port, socket_pool=_sp_pool, client_id=cid,
                   socket_timeout=1, recv_timeout=10, connect_retries=3)
    c.on_message = lambda c, t, m: _got.append([t, m])
    return c
def _loop_until(c, n, rounds=30):
    for i in range(rounds):
        if len(_got) >= n:
            break
        c.loop(timeout=1)
    return len(_got) >= n
""")
    yield board
    board.session.exec_statements("adafruit_connection_manager.connection_manager_close_all(_sp_pool)\n"
                                  "_c = _MQTT = _mqtt = _got = adafruit_connection_manager = adafruit_minimqtt = None")
    _unload(board, "adafruit_minimqtt", "adafruit_minimqtt.adafruit_minimqtt", "adafruit_minimqtt.matcher",
            "adafruit_connection_manager", "adafruit_ticks")


def test_minimqtt_on_the_board_publishes_subscribes_and_hears_the_host(mqtt_on_board, broker):
    board, topic = mqtt_on_board, "sp/board/" + uuid.uuid4().hex[:8]
    out = _run(board, """
_got.clear()
_c = _mqtt(%r, %d, %r)
_c.connect()
_c.subscribe(%r + "/0", qos=0)
_c.subscribe(%r + "/1", qos=1)
_c.subscribe(%r + "/host", qos=0)
_c.publish(%r + "/0", "zero", qos=0)
_c.publish(%r + "/1", "one", qos=1)
_out = [_loop_until(_c, 2), sorted(_got), _c.is_connected()]
""" % ((board.peer_host, broker.port, "pico-" + uuid.uuid4().hex[:8]) + (topic,) * 5))
    assert out == [True, [[topic + "/0", "zero"], [topic + "/1", "one"]], True]
    client_support.mqtt_publish(board.peer_host, broker.port, topic + "/host", b"from the host")
    out = _run(board, """
_out = [_loop_until(_c, 3), _got[2:], _c.is_connected()]
_c.disconnect()
_out.append(_c.is_connected())
""")
    assert out == [True, [[topic + "/host", "from the host"]], True, False]


# --- adafruit_ntp ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ntp(board):
    server = client_support.ntp_server(host=board.peer_host)
    yield server
    server.stop()


def test_ntp_on_the_board_gets_this_computers_time(board, ntp):
    board.load_modules(_library_files("adafruit_ntp"), ["adafruit_ntp"])
    before = time.time()
    out = _run(board, """
_n = adafruit_ntp.NTP(_sp_pool, server=%r, port=%d, tz_offset=0, socket_timeout=10, cache_seconds=0)
_out = [_n.utc_ns // 1000000000, tuple(_n.datetime)[:3]]
""" % (board.peer_host, ntp.port))
    after = time.time()
    # the board's answer, in whole seconds, lies within the call (an emulator's clock is slow,
    # but the time comes from this computer's server)
    assert int(before) - 1 <= out[0] <= int(after) + 1, (before, out, after)
    assert list(out[1]) == list(time.gmtime(out[0])[:3])
    assert ntp.requests >= 1
    board.session.exec_statements("_n = adafruit_ntp = None")
    _unload(board, "adafruit_ntp")


# --- adafruit_httpserver on the board, CPython's client on this computer -----------------------
def _get_from_board(host, port, path, deadline):
    import http.client

    for _ in range(600):  # bounded: the board's server may still be starting
        if time.monotonic() > deadline:
            break
        conn = http.client.HTTPConnection(host, port, timeout=60)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read().decode()
        except (ConnectionRefusedError, socket.timeout):
            time.sleep(0.2)
        finally:
            conn.close()
    return None


def test_httpserver_on_the_board_answers_this_computer(board):
    board.load_modules(_library_files("adafruit_httpserver"), ["adafruit_httpserver"])
    try:
        port = client_support.free_port(host=board.host)  # the unix port: this computer's address
    except OSError:
        port = 8080  # a board's own address
    answers = []

    def client():
        deadline = time.monotonic() + 240
        answers.append(_get_from_board(board.host, port, "/hello/pico?x=1", deadline))
        answers.append(_get_from_board(board.host, port, "/nothing", deadline))

    t = threading.Thread(target=client, name="http-client", daemon=True)
    t.start()
    out = _run(board, """
import time
from adafruit_httpserver import Server, Request, Response
_srv = Server(_sp_pool, None, debug=False)
@_srv.route("/hello/<name>")
def _hello(request, name):
    return Response(request, "hello " + name + " " + request.query_params.get("x", "-"))
_srv.start(%r, %d)
_handled = 0
for _i in range(3000):  # bounded (about 30 s of the board's time): two requests, then stop
    if _srv.poll() == "request_handled_response_sent":
        _handled += 1
    if _handled >= 2:
        break
    time.sleep(0.01)
_srv.stop()
_out = _handled
""" % ("0.0.0.0", port), timeout=300)
    t.join(60)
    assert out == 2
    assert answers[0] == (200, "hello pico 1")
    assert answers[1] is not None and answers[1][0] == 404
