"""adafruit_httpserver, unmodified, serving through socketpool (a code.py under ``socketpool run``).

Clients: Python's http.client and urllib, curl, and 50 concurrent bounded client threads.
"""

import concurrent.futures
import http.client
import json
import os
import shutil
import socket
import subprocess

import pytest

from client_support import HERE, RunProcess, free_port
from servers.http_app import MIB, pattern

APP = os.path.join(HERE, "apps", "httpserver")


def on_a_drive(tmp_path):
    """The app copied to a folder that ``socketpool run`` treats as the board's drive (as on
    CIRCUITPY), with an empty ``/static`` in it; returns (drive, the static folder)."""
    drive = tmp_path / "drive"
    shutil.copytree(APP, str(drive))
    (drive / "static").mkdir()
    return str(drive), drive / "static"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    drive, static = on_a_drive(tmp_path_factory.mktemp("httpserver"))
    (static / "big.bin").write_bytes(pattern(MIB))
    (static / "index.html").write_text("<h1>static index</h1>")
    port = free_port()
    proc = RunProcess(drive, HTTP_PORT=port, STATIC_DIR="/static")
    proc.wait_for("READY")
    proc.port = port
    yield proc
    out = proc.interrupt()
    assert proc.proc.returncode == 0, out


def get(port, path, method="GET", body=None, headers=None, timeout=15):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read(), r
    finally:
        conn.close()


def test_route_answers(app):
    status, body, _ = get(app.port, "/hello")
    assert (status, body) == (200, b"hello")


def test_route_with_parameter_and_query(app):
    status, body, r = get(app.port, "/items/42?q=lamp")
    assert status == 200
    assert r.getheader("Content-Type").startswith("application/json")
    assert json.loads(body) == {"id": "42", "query": "lamp"}


def test_post_body_reaches_the_handler(app):
    payload = "temperature=21.5&" + "x" * 3000  # larger than the server's 1 KiB buffer
    status, body, _ = get(
        app.port, "/submit", "POST", payload.encode(), {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 200
    reply = json.loads(body)
    assert reply == {"length": len(payload), "text": payload, "type": "application/x-www-form-urlencoded"}


def test_unknown_path_is_404(app):
    status, _, _ = get(app.port, "/no/such/thing")
    assert status == 404


def test_static_file_of_one_mib_arrives_byte_exact(app):
    status, body, r = get(app.port, "/big.bin")
    assert status == 200
    assert int(r.getheader("Content-Length")) == MIB
    assert body == pattern(MIB)


def test_fifty_concurrent_clients_all_get_answers(app):
    def one(i):
        if i % 10 == 0:
            return get(app.port, "/big.bin", timeout=60)[1] == pattern(MIB)
        return get(app.port, "/items/%d" % i, timeout=60)[1] == b'{"id": "%d", "query": null}' % i

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(one, range(50), timeout=120))
    assert results == [True] * 50


def test_silent_client_does_not_stop_the_server(app):
    # connects and sends nothing, and stays: the server's 1 s socket timeout ends that request
    with socket.create_connection(("127.0.0.1", app.port), timeout=10) as silent:
        status, body, _ = get(app.port, "/hello", timeout=30)
        assert (status, body) == (200, b"hello")
        if shutil.which("curl"):  # and curl, too
            out = subprocess.run(
                ["curl", "-sS", "--max-time", "20", "http://127.0.0.1:%d/hello" % app.port],
                capture_output=True,
                timeout=30,
            )
            assert out.stdout == b"hello", out.stderr
        silent.settimeout(10)
        assert silent.recv(100) == b""  # the server closed the silent connection


@pytest.mark.skipif(not shutil.which("curl"), reason="curl is not installed (scripts/setup.sh)")
def test_curl_gets_route_post_and_static_file(app, tmp_path):
    base = "http://127.0.0.1:%d" % app.port
    out = subprocess.run(["curl", "-sS", "--max-time", "20", base + "/hello"], capture_output=True, timeout=30)
    assert out.returncode == 0 and out.stdout == b"hello"
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "20", "-d", "a=1&b=2", base + "/submit"], capture_output=True, timeout=30
    )
    assert json.loads(out.stdout)["text"] == "a=1&b=2"
    target = tmp_path / "big.bin"
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "30", "-o", str(target), "-w", "%{http_code}", base + "/big.bin"],
        capture_output=True,
        timeout=40,
    )
    assert out.stdout == b"200"
    assert target.read_bytes() == pattern(MIB)


@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed (scripts/setup.sh)")
def test_wrk_load_gets_no_errors(app):
    out = subprocess.run(
        ["wrk", "-t2", "-c50", "-d3s", "--timeout", "10s", "http://127.0.0.1:%d/hello" % app.port],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "requests in" in out.stdout
    assert "Socket errors" not in out.stdout, out.stdout
    assert "Non-2xx" not in out.stdout, out.stdout


def test_upstream_bug_client_closing_without_sending_makes_httpserver_spin(tmp_path):
    """adafruit_httpserver 4.8.2 loops forever in Server._receive_header_bytes when recv_into
    returns 0 (peer closed before sending): the library's bug, documented in docs/clients.md.
    Our side keeps the contract (recv_into returns 0 at once, every time) and Ctrl-C still
    ends the server cleanly. When this test fails, upstream has fixed it: update the docs."""
    port = free_port()
    drive, _ = on_a_drive(tmp_path)
    proc = RunProcess(drive, HTTP_PORT=port, STATIC_DIR="/static")
    try:
        proc.wait_for("READY")
        socket.create_connection(("127.0.0.1", port), timeout=10).close()
        with pytest.raises(OSError):  # timeout: the server is stuck on the closed connection
            get(port, "/hello", timeout=3)
    finally:
        out = proc.interrupt()
    assert proc.proc.returncode == 0, out  # Ctrl-C reached the spinning loop and ended it
    assert out.rstrip().endswith("Code done running.")


def test_https_server_through_the_ssl_module_of_run(tmp_path, certs):
    """Server(https=True) wraps its pool socket with the ssl that ``run`` provides; the
    handshake happens in accept(). Checked with curl against the test CA, and with Python."""
    import ssl

    drive, static = on_a_drive(tmp_path)
    (static / "file.txt").write_text("static over tls")
    shutil.copy(certs.certfile, os.path.join(drive, "server.pem"))
    shutil.copy(certs.keyfile, os.path.join(drive, "server.key"))
    port = free_port()
    proc = RunProcess(drive, HTTP_PORT=port, STATIC_DIR="/static", HTTPS_CERT="/server.pem", HTTPS_KEY="/server.key")
    try:
        proc.wait_for("READY")
        ctx = ssl.create_default_context(cadata=certs.ca_pem)
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=15, context=ctx)
        try:
            conn.request("GET", "/hello")
            r = conn.getresponse()
            assert (r.status, r.read()) == (200, b"hello")
        finally:
            conn.close()
        if shutil.which("curl"):
            out = subprocess.run(
                ["curl", "-sS", "--max-time", "20", "--cacert", certs.cafile, "https://127.0.0.1:%d/file.txt" % port],
                capture_output=True,
                timeout=30,
            )
            assert out.stdout == b"static over tls", out.stderr
    finally:
        out = proc.interrupt()
    assert proc.proc.returncode == 0, out
