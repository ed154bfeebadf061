"""Unmodified adafruit_requests, adafruit_minimqtt, adafruit_httpserver and adafruit_ntp from PyPI,
running ON the MicroPython VM through socketpool and the compat pieces, against real peers on
loopback (CPython's HTTP server and client, Debian's mosquitto, the tests' own SNTP server).

The libraries' .py files are copied from the installed PyPI packages onto the VM's path at test
time; none of their code is kept in this repository."""

import importlib.util
import os
import shutil
import sys
import uuid
import zlib

import pytest

from vm import free_port

# The real servers of the client-library suite (issue 3): tests/clients/client_support.py
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "clients"))
import client_support  # noqa: E402
from servers.http_app import pattern  # noqa: E402


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    return client_support.Certs(str(tmp_path_factory.mktemp("certs")))


@pytest.fixture(scope="session")
def http_server():
    srv = client_support._http()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def https_server(certs):
    srv = client_support._http(certs)
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory, certs):
    client_support._need("mosquitto", ["/usr/sbin/mosquitto"])
    broker = client_support.Mosquitto(str(tmp_path_factory.mktemp("mosquitto")), certs)
    broker.start()
    yield broker
    broker.stop()


LIBS = ("adafruit_requests", "adafruit_connection_manager", "adafruit_ticks", "adafruit_minimqtt",
        "adafruit_httpserver", "adafruit_ntp")


def _copy_libs(dest):
    """The Adafruit libraries' .py files, as installed from PyPI, onto the VM's path."""
    for name in LIBS:
        spec = importlib.util.find_spec(name)
        if spec is None:
            pytest.skip("%s is not installed (pip install -e .[test])" % name)
        if spec.submodule_search_locations:
            src = list(spec.submodule_search_locations)[0]
            shutil.copytree(src, os.path.join(dest, name), ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(spec.origin, dest)


@pytest.fixture
def libvm(vm, tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    _copy_libs(str(lib))
    vm.extra_path = [str(lib)]
    return vm


SESSION = """
import adafruit_connection_manager, adafruit_requests
pool = adafruit_connection_manager.get_radio_socketpool(wifi.radio)
ssl_context = adafruit_connection_manager.get_radio_ssl_context(wifi.radio)
requests = adafruit_requests.Session(pool, ssl_context)
"""


def test_requests_get_and_post_on_micropython(libvm, http_server):
    r = libvm.run(
        SESSION
        + """
import sys
with requests.get(ARGS["url"] + "/get") as resp:
    get = [resp.status_code, resp.text]
with requests.post(ARGS["url"] + "/post", json={"temp": 21.5}) as resp:
    post = [resp.status_code, resp.json()]
with requests.get(ARGS["url"] + "/nowhere") as resp:
    missing = resp.status_code
result([sys.implementation.name, type(pool).__name__, get, post, missing])
""",
        {"url": http_server.url},
    )
    assert r[0] == "micropython" and r[1] == "SocketPool"
    assert r[2] == [200, "hello from the test server"]
    assert r[3][0] == 200
    assert r[3][1]["type"] == "application/json"
    assert r[3][1]["received"].replace(" ", "") == '{"temp":21.5}'
    assert r[4] == 404


def test_requests_wifi_simpletest_opening_on_micropython(libvm, http_server):
    """Adafruit's requests_wifi_simpletest.py reads wifi.radio.ap_info.rssi before connecting:
    on the unix port (no radio) it gets None from a Network that says it is not Wi-Fi."""
    r = libvm.run(
        SESSION
        + """
rssi = wifi.radio.ap_info.rssi
wifi.radio.connect("test network", "test password")
with requests.get(ARGS["url"] + "/get") as resp:
    status = resp.status_code
result([rssi, wifi.radio.ap_info.ssid, wifi.radio.connected, status])
""",
        {"url": http_server.url},
    )
    assert r == [None, "host network (not Wi-Fi)", True, 200]


def test_requests_streams_one_mib_byte_exact_on_micropython(libvm, http_server):
    mib = 1024 * 1024
    r = libvm.run(
        SESSION
        + """
import binascii
total = 0
crc = 0
with requests.get(ARGS["url"] + "/stream", stream=True) as resp:
    length = int(resp.headers["content-length"])
    for chunk in resp.iter_content(chunk_size=4096):
        total += len(chunk)
        crc = binascii.crc32(chunk, crc)
result([length, total, crc])
""",
        {"url": http_server.url},
        timeout=120,
    )
    expected = pattern(mib)
    assert r == [mib, mib, zlib.crc32(expected)]


def test_requests_read_timeout_on_micropython(libvm, http_server):
    r = libvm.run(
        SESSION
        + """
import socketpool
seen = []  # what the pool sockets raised under the library (observed, the library is unchanged)
_recv_into = socketpool.Socket.recv_into
def recv_into(self, *args):
    try:
        return _recv_into(self, *args)
    except OSError as e:
        seen.append([type(e).__name__, e.errno == errno.ETIMEDOUT, isinstance(e, TimeoutError)])
        raise
socketpool.Socket.recv_into = recv_into
try:
    requests.get(ARGS["url"] + "/slow", timeout=0.5)
    out = None
except Exception as e:  # adafruit_requests retries once, then raises OutOfRetries
    out = type(e).__name__
result([out, seen])
""",
        {"url": http_server.url},
    )
    assert r[0] == "OutOfRetries"  # as on CPython (tests/clients/test_requests.py)
    assert r[1] == [["TimeoutError", True, True]] * 2


def test_requests_connection_refused_on_micropython(libvm):
    r = libvm.run(
        SESSION
        + """
try:
    requests.get("http://127.0.0.1:%d/get" % ARGS["port"], timeout=2)
    out = None
except OSError as e:
    out = [type(e).__name__, e.errno, errno.ECONNREFUSED]
result(out)
""",
        {"port": free_port()},
    )
    assert r is not None and r[1] == r[2]


MQTT = """
import adafruit_connection_manager
import adafruit_minimqtt.adafruit_minimqtt as MQTT
pool = adafruit_connection_manager.get_radio_socketpool(wifi.radio)
received = []
def on_message(client, topic, message):
    received.append([topic, message])
def make(cid):
    c = MQTT.MQTT(broker="127.0.0.1", port=ARGS["port"], socket_pool=pool, client_id=cid,
                  socket_timeout=1, recv_timeout=3, connect_retries=3)
    c.on_message = on_message
    return c
def loop_until(c, pred, rounds=20):
    for i in range(rounds):
        if pred():
            break
        c.loop(timeout=1)
    return pred()
"""


def test_minimqtt_publish_subscribe_qos0_and_qos1_on_micropython(libvm, mosquitto):
    r = libvm.run(
        MQTT
        + """
c = make(ARGS["cid"])
c.connect()
c.subscribe(ARGS["topic"] + "/0", qos=0)
c.subscribe(ARGS["topic"] + "/1", qos=1)
c.publish(ARGS["topic"] + "/0", "zero", qos=0)
c.publish(ARGS["topic"] + "/1", "one", qos=1)
ok = loop_until(c, lambda: len(received) >= 2)
connected = c.is_connected()
c.disconnect()
result([ok, sorted(received), connected, c.is_connected()])
""",
        {"port": mosquitto.port, "cid": "mp-" + uuid.uuid4().hex[:10], "topic": "sp/" + uuid.uuid4().hex[:8]},
    )
    assert r[0] is True
    topic = r[1][0][0].rsplit("/", 1)[0]
    assert r[1] == [[topic + "/0", "zero"], [topic + "/1", "one"]]
    assert r[2:] == [True, False]


def test_minimqtt_idle_loop_keeps_connection_and_receives_from_host(libvm, mosquitto):
    topic = "sp/" + uuid.uuid4().hex[:8]
    proc = libvm.start(
        MQTT
        + """
c = make(ARGS["cid"])
c.connect()
c.subscribe(ARGS["topic"], qos=1)
print("SUBSCRIBED")
idle = []
for i in range(3):  # idle loops: nothing arrives, nothing breaks
    idle.append(c.loop(timeout=1))
print("IDLE DONE")
ok = loop_until(c, lambda: len(received) >= 1, rounds=15)
alive = c.is_connected()
c.disconnect()
result([[x for x in idle if x], ok, received, alive])
""",
        {"port": mosquitto.port, "cid": "mp-" + uuid.uuid4().hex[:10], "topic": topic},
    )
    assert proc.stdout.readline().strip() == "SUBSCRIBED"
    assert proc.stdout.readline().strip() == "IDLE DONE"
    client_support.mqtt_publish("127.0.0.1", mosquitto.port, topic, b"from the host")
    r = libvm.finish(proc, timeout=60)
    assert r[0] == []  # idle loops returned no packets
    assert r[1] is True
    assert r[2] == [[topic, "from the host"]]
    assert r[3] is True


def test_requests_https_get_through_compat_ssl_on_micropython(libvm, https_server, certs):
    r = libvm.run(
        """
import ssl, adafruit_connection_manager, adafruit_requests
pool = adafruit_connection_manager.get_radio_socketpool(wifi.radio)
ctx = adafruit_connection_manager.get_radio_ssl_context(wifi.radio)
ctx.load_verify_locations(cadata=ARGS["ca"])
requests = adafruit_requests.Session(pool, ctx)
with requests.get(ARGS["url"] + "/get") as resp:
    ok = [resp.status_code, resp.text]
with requests.post(ARGS["url"] + "/post", data="over tls") as resp:
    post = resp.json()["received"]
# a context that trusts another CA refuses the server
bad = ssl.create_default_context()
bad.load_verify_locations(cadata=ARGS["other_ca"])
s = bad.wrap_socket(pool.socket(), server_hostname="localhost")
s.settimeout(5)
refused = err(s.connect, ("127.0.0.1", ARGS["port"]))
s.close()
result([type(ctx).__module__ if hasattr(type(ctx), "__module__") else "ssl", ok, post, refused is not None])
""",
        {"url": https_server.url, "ca": certs.ca_pem, "other_ca": certs.other_ca_pem, "port": https_server.port},
    )
    assert r[1] == [200, "hello from the test server"]
    assert r[2] == "over tls"
    assert r[3] is True


DEFAULT_CONTEXT_GET = """
import adafruit_connection_manager, adafruit_requests
pool = adafruit_connection_manager.get_radio_socketpool(wifi.radio)
requests = adafruit_requests.Session(pool, adafruit_connection_manager.get_radio_ssl_context(wifi.radio))
try:
    with requests.get(ARGS["url"] + "/get") as resp:
        out = [resp.status_code, resp.text]
except OSError as e:
    out = ["refused", type(e).__name__]
result(out)
"""


def test_default_context_trusts_ssl_cert_file_on_the_unix_port(libvm, https_server, certs, monkeypatch):
    # an unchanged program: the CA comes from $SSL_CERT_FILE, as CPython's default context reads it
    monkeypatch.setenv("SSL_CERT_FILE", certs.cafile)
    assert libvm.run(DEFAULT_CONTEXT_GET, {"url": https_server.url}) == [200, "hello from the test server"]
    monkeypatch.setenv("SSL_CERT_FILE", certs.other_certfile)  # a certificate of another CA
    assert libvm.run(DEFAULT_CONTEXT_GET, {"url": https_server.url})[0] == "refused"
    monkeypatch.delenv("SSL_CERT_FILE")  # no CA at all: verification still on, so refused
    assert libvm.run(DEFAULT_CONTEXT_GET, {"url": https_server.url})[0] == "refused"


HTTPSERVER = """
import time
from adafruit_httpserver import Server, Request, Response
server = Server(pool, "/static", debug=True)

@server.route("/hello/<name>")
def hello(request: Request, name: str):
    return Response(request, "hello " + name + " " + request.query_params.get("x", "-"))

@server.route("/boom")
def boom(request: Request):
    raise ValueError("handler failed")

server.start("127.0.0.1", ARGS["port"])
handled, raised = 0, []
for i in range(3000):  # bounded: at most ~30 s
    try:
        if server.poll() == "request_handled_response_sent":
            handled += 1
    except ValueError as e:
        raised.append(str(e))
    if handled + len(raised) >= 2:
        break
    time.sleep(0.01)
server.stop()
result([handled, raised])
"""


def _http_get(port, path, attempts=300):
    """GET from the VM's server (it may still be starting: bounded retries)."""
    import http.client
    import time

    for i in range(attempts):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read().decode()
        except ConnectionRefusedError:
            time.sleep(0.05)
        except (ConnectionResetError, http.client.RemoteDisconnected) as e:
            return "closed", type(e).__name__
        finally:
            conn.close()
    raise AssertionError("the VM's server never listened on port %d" % port)


def test_httpserver_routes_and_a_failing_handler_on_micropython(libvm):
    port = free_port()
    proc = libvm.start(HTTPSERVER, {"port": port})
    try:
        assert _http_get(port, "/hello/pico?x=1") == (200, "hello pico 1")
        assert _http_get(port, "/boom")[0] == "closed"  # the server closes, then re-raises
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert 'RESULT [1, ["handler failed"]]' in out, out + err
    # debug=True prints the handler's exception through traceback.print_exception (compat)
    assert "ValueError: handler failed" in err and "Traceback" in err, err


HTTPS_SERVER = """
import time
from adafruit_httpserver import Server, Request, Response
server = Server(pool, "/static", https=True, certfile=ARGS["cert"], keyfile=ARGS["key"])

@server.route("/")
def base(request: Request):
    return Response(request, "hello over tls")

server.start("127.0.0.1", ARGS["port"])  # listening socket non-blocking, as the library sets it
handled = 0
for i in range(3000):  # bounded: at most ~30 s
    if server.poll() == "request_handled_response_sent":
        handled += 1
        break
    time.sleep(0.01)
server.stop()
result(handled)
"""


def test_httpserver_https_through_compat_ssl_on_micropython(libvm, certs):
    import http.client
    import ssl
    import time

    port = free_port()
    proc = libvm.start(HTTPS_SERVER, {"port": port, "cert": certs.certfile, "key": certs.keyfile})
    try:
        ctx = ssl.create_default_context(cafile=certs.cafile)  # verifies the VM's certificate
        for i in range(300):  # bounded: the VM may still be starting
            conn = http.client.HTTPSConnection("localhost", port, timeout=10, context=ctx)
            try:
                conn.request("GET", "/")
                resp = conn.getresponse()
                got = (resp.status, resp.read().decode())
                break
            except ConnectionRefusedError:
                time.sleep(0.05)
            finally:
                conn.close()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    # the handshake ran in accept() on a non-blocking listener, as on CircuitPython
    assert got == (200, "hello over tls")
    assert "RESULT 1" in out, out + err


@pytest.fixture(scope="session")
def ntp_port():
    server = client_support.ntp_server()
    yield server.port
    server.stop()


def test_ntp_time_from_a_local_ntp_server_on_micropython(libvm, ntp_port):
    import time

    r = libvm.run(
        """
import adafruit_ntp, time
ntp = adafruit_ntp.NTP(pool, server="127.0.0.1", port=ARGS["port"], tz_offset=0, socket_timeout=5)
result([ntp.utc_ns // 1000000000, list(ntp.datetime)[:6]])
""",
        {"port": ntp_port},
    )
    now = time.time()
    # the server answers with this host's clock: the VM's answer lies within a few seconds of it
    assert abs(r[0] - now) < 30, (r, now)
    assert r[1][:3] == list(time.gmtime(r[0])[:3])
