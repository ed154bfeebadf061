"""TLS in plain ``python code.py`` (not ``socketpool run``): CPython's own ``ssl`` module, with
certificate and host name verification on, over pool sockets.

``ssl.create_default_context()`` trusts the system store; the test points it at the test CA the
way a user would, with ``SSL_CERT_FILE`` (CPython's default verify paths read it), so the programs
stay as they would be written for a real server.
"""

import os
import subprocess
import sys
import textwrap

import pytest

from client_support import ROOT

pytest.importorskip("adafruit_requests")

REQUESTS_DEFAULT_CONTEXT = """
import os, ssl
import socketpool, wifi
import adafruit_requests

pool = socketpool.SocketPool(wifi.radio)
requests = adafruit_requests.Session(pool, ssl.create_default_context())
with requests.get(os.getenv("URL") + "/get") as r:
    print("status", r.status_code, r.text)
"""

CONNECTION_MANAGER = """
import os
import adafruit_connection_manager, adafruit_requests
import wifi

pool = adafruit_connection_manager.get_radio_socketpool(wifi.radio)
ssl_context = adafruit_connection_manager.get_radio_ssl_context(wifi.radio)
requests = adafruit_requests.Session(pool, ssl_context)
with requests.get(os.getenv("URL") + "/get") as r:
    print("status", r.status_code, r.text)
"""

# the pool socket and CPython sockets side by side, and a name the certificate does not carry
RAW = """
import os, socket, ssl
import socketpool, wifi

port = int(os.getenv("PORT"))
ctx = ssl.create_default_context()
pool = socketpool.SocketPool(wifi.radio)
s = ctx.wrap_socket(pool.socket(pool.AF_INET, pool.SOCK_STREAM), server_hostname=os.getenv("NAME"))
print("type", type(s).__module__, type(s).__name__)
s.settimeout(5)
try:
    s.connect(("127.0.0.1", port))
except ssl.SSLCertVerificationError as e:
    print("refused", e.verify_message)
else:
    s.send(b"GET /get HTTP/1.0\\r\\n\\r\\n")
    buf = bytearray(512)
    print("pool", bytes(buf[: s.recv_into(buf)]).split(b"\\r\\n")[0].decode())
    s.close()
# an OS socket still gets CPython's own SSLSocket
with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
    try:
        with ctx.wrap_socket(raw, server_hostname=os.getenv("NAME")) as t:
            print("os", type(t).__module__, type(t).__name__)
    except ssl.SSLCertVerificationError as e:
        print("os refused", e.verify_message)
"""


def plain_python(tmp_path, program, **env):
    code = tmp_path / "code.py"
    code.write_text(textwrap.dedent(program))
    full = dict(os.environ, SOCKETPOOL_ENGINE="host", PYTHONPATH=ROOT)
    full.pop("SSL_CERT_FILE", None)
    full.update(env)
    return subprocess.run([sys.executable, str(code)], cwd=str(tmp_path), env=full,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("program", [REQUESTS_DEFAULT_CONTEXT, CONNECTION_MANAGER],
                         ids=["create_default_context", "get_radio_ssl_context"])
def test_context_verifies_and_works(tmp_path, https_server, certs, program):
    r = plain_python(tmp_path, program, URL=https_server.url, SSL_CERT_FILE=certs.cafile)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "status 200 hello from the test server"
    # the same program with the system's CAs only: the test CA is unknown, so it is refused
    r = plain_python(tmp_path, program, URL=https_server.url)
    assert r.returncode != 0
    assert "CERTIFICATE_VERIFY_FAILED" in r.stderr, r.stderr


def test_host_name_is_verified_and_os_sockets_are_untouched(tmp_path, https_server, certs):
    port = str(https_server.port)
    ok = plain_python(tmp_path, RAW, PORT=port, NAME="localhost", SSL_CERT_FILE=certs.cafile)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines() == [
        "type socketpool_host.tls SSLSocket",
        "pool HTTP/1.1 200 OK",
        "os ssl SSLSocket",
    ]
    wrong = plain_python(tmp_path, RAW, PORT=port, NAME="wrong.example", SSL_CERT_FILE=certs.cafile)
    assert wrong.returncode == 0, wrong.stderr
    lines = wrong.stdout.splitlines()
    assert lines[1].startswith("refused Hostname mismatch"), lines
    assert lines[2].startswith("os refused Hostname mismatch"), lines
