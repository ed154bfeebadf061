"""Every examples/ code.py runs unchanged under ``socketpool run``, against local servers.

The examples read their server addresses with os.getenv; the environment overrides their
settings.toml, so here every address points at a server on loopback.
"""

import os
import shutil
import time
import urllib.request
import uuid


from client_support import ROOT, RunProcess, free_port, run_code_py

EXAMPLES = os.path.join(ROOT, "examples")
WIFI = {"CIRCUITPY_WIFI_SSID": "test network", "CIRCUITPY_WIFI_PASSWORD": "test password"}


def ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("code.py output:\n")
    assert result.stdout.rstrip().endswith("Code done running.")
    return result.stdout


def test_http_get_example(http_server):
    out = ok(run_code_py(os.path.join(EXAMPLES, "http_get"), HTTP_URL=http_server.url + "/get", **WIFI))
    assert "Status: 200\nhello from the test server\n" in out


def example_on_a_drive(tmp_path, name, **files):
    """A copy of examples/<name> as a board's drive, with ``files`` ({name: text}) added to it."""
    drive = tmp_path / name
    shutil.copytree(os.path.join(EXAMPLES, name), str(drive))
    for fname, text in files.items():
        (drive / fname).write_text(text)
    return str(drive)


def test_https_get_example_verifies_with_the_ca_it_is_given(https_server, certs, tmp_path):
    # as on a board, the CA file is on the drive: HTTPS_CA_FILE names it from the drive's root
    drive = example_on_a_drive(tmp_path, "https_get", **{"ca.pem": certs.ca_pem})
    out = ok(run_code_py(drive, HTTPS_URL=https_server.url + "/get", HTTPS_CA_FILE="/ca.pem", **WIFI))
    assert "Status: 200\nhello from the test server\n" in out


def test_https_get_example_refuses_an_untrusted_server(https_server, tmp_path, certs):
    drive = example_on_a_drive(tmp_path, "https_get", **{"other-ca.pem": certs.other_ca_pem})
    result = run_code_py(drive, HTTPS_URL=https_server.url + "/get", HTTPS_CA_FILE="/other-ca.pem", **WIFI)
    assert result.returncode == 1
    assert "CERTIFICATE_VERIFY_FAILED" in result.stdout
    assert "Status:" not in result.stdout


def test_mqtt_pubsub_example(mosquitto):
    out = ok(
        run_code_py(
            os.path.join(EXAMPLES, "mqtt_pubsub"),
            MQTT_BROKER="127.0.0.1",
            MQTT_PORT=mosquitto.port,
            MQTT_TOPIC="socketpool/example/" + uuid.uuid4().hex[:8],
            **WIFI,
        )
    )
    assert "Got 3 of 3 messages back" in out


def test_ntp_time_example(ntp_port):
    before = time.time_ns()
    out = ok(run_code_py(os.path.join(EXAMPLES, "ntp_time"), NTP_SERVER="127.0.0.1", NTP_PORT=ntp_port, **WIFI))
    after = time.time_ns()
    line = [l for l in out.splitlines() if l.startswith("Unix time (ns):")][0]
    ns = int(line.split(":")[1])
    assert before - 10**9 < ns < after + 10**9  # the NTP answer is this host's clock


def test_http_server_example_serves_until_ctrl_c():
    port = free_port()
    server = RunProcess(os.path.join(EXAMPLES, "http_server"), HTTP_HOST="127.0.0.1", HTTP_PORT=port, **WIFI)
    try:
        server.wait_for("Started development server")  # the library's debug line
        base = "http://127.0.0.1:%d" % port
        with urllib.request.urlopen(base + "/", timeout=10) as r:
            assert r.read() == b"Hello from CircuitPython!"
        req = urllib.request.Request(base + "/echo", data=b"ping", method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.read() == b"You sent: ping"
    finally:
        out = server.interrupt()  # Ctrl-C: serve_forever stops, code.py ends
    assert server.proc.returncode == 0, out
    assert out.rstrip().endswith("Code done running.")
