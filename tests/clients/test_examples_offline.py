"""Every example the README and docs/clients.md show runs offline with the command written there,
against the local servers of scripts/example-servers.sh (HTTP, HTTPS, mosquitto, NTP on loopback).
The commands are taken from the docs and run as written, through the installed
`.venv/bin/socketpool` (no PYTHONPATH), with only the port numbers swapped for free ones."""

import os
import re
import queue
import signal
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

from client_support import ROOT, free_port

SOCKETPOOL = os.path.join(ROOT, ".venv", "bin", "socketpool")
DEFAULT_PORTS = {"8080": "HTTP_PORT", "8443": "HTTPS_PORT", "1883": "MQTT_PORT", "12300": "NTP_PORT", "8000": "EXAMPLE_SERVER_PORT"}
RUN = re.compile(r"^(?:[A-Z_]+=\S+ )*\.venv/bin/socketpool run \S+.*$")


def doc_commands(path):
    """The `socketpool run` command lines of a doc's sh blocks (comments cut)."""
    text = open(os.path.join(ROOT, path), encoding="utf-8").read()
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.split("   #", 1)[0].strip()
            if RUN.match(line):
                out.append(line)
    return out


def examples_named(commands):
    return {m.group(1) for c in commands for m in [re.search(r"run examples/(\w+)", c)] if m}


def test_every_example_has_an_offline_command_in_the_docs():
    readme, docs = doc_commands("README.md"), doc_commands("docs/clients.md")
    shown = examples_named(readme)
    assert {"socketpool_simpletest", "http_get"} <= shown  # the README's own
    every = {d for d in os.listdir(os.path.join(ROOT, "examples")) if not d.startswith(".")}
    documented = examples_named(docs) | ({"https_get"} if any("HTTPS_URL=" in c for c in docs) else set())
    assert every <= documented, every - documented
    for c in readme:  # the README's lines point the example at a local server
        assert "127.0.0.1" in c, c


@pytest.fixture(scope="module")
def example_servers():
    if not os.access(SOCKETPOOL, os.X_OK):
        pytest.skip(".venv/bin/socketpool is not installed (./scripts/setup.sh)")
    ports = {name: str(free_port(socket.SOCK_DGRAM if name == "NTP_PORT" else socket.SOCK_STREAM))
             for name in DEFAULT_PORTS.values()}
    env = dict(os.environ, **ports)
    env.pop("PYTHONPATH", None)
    proc = subprocess.Popen([os.path.join(ROOT, "scripts", "example-servers.sh")], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    got = queue.Queue()
    threading.Thread(target=lambda: [got.put(x.rstrip("\n")) for x in proc.stdout], daemon=True).start()
    lines, end = [], time.monotonic() + 90
    while time.monotonic() < end and not (lines and lines[-1].startswith("ready")):
        try:
            lines.append(got.get(timeout=1.0))
        except queue.Empty:
            if proc.poll() is not None:
                break
    try:
        assert lines and lines[-1].startswith("ready"), lines
        assert not [x for x in lines if "FAILED" in x or "skipped" in x], lines
        yield ports, lines
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def localise(command, ports, lines):
    for default, name in DEFAULT_PORTS.items():
        command = re.sub(r"\b%s\b" % default, ports[name], command)
    if "<the https_get copy it prints>" in command:
        copy = [x.split()[-1] for x in lines if x.startswith("https ")][0]
        command = command.replace("<the https_get copy it prints>", copy)
    return command


def run_command(command, **kw):
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, **kw)


EXPECT = {
    "socketpool_simpletest": "hello from the test server",
    "http_get": "Status: 200",
    "HTTPS_URL": "Status: 200",
    "mqtt_pubsub": "Got 3 of 3 messages back",
    "ntp_time": "Unix time (ns):",
}


@pytest.mark.parametrize("doc", ["README.md", "docs/clients.md"])
def test_documented_commands_run_against_the_local_servers(example_servers, doc):
    ports, lines = example_servers
    ran = 0
    for command in doc_commands(doc):
        if "examples/http_server" in command:
            continue  # the server example: its own test below
        key = [k for k in EXPECT if k in command]
        assert key, "no expectation for %s" % command
        r = run_command(localise(command, ports, lines), timeout=120)
        assert r.returncode == 0, command + "\n" + r.stdout + r.stderr
        assert EXPECT[key[0]] in r.stdout and r.stdout.rstrip().endswith("Code done running."), r.stdout
        ran += 1
    assert ran >= 2


def test_documented_server_example_answers_and_stops(example_servers):
    ports, lines = example_servers
    command = [c for c in doc_commands("docs/clients.md") if "examples/http_server" in c][0]
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    proc = subprocess.Popen(["bash", "-c", localise(command, ports, lines)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        body, end = None, time.monotonic() + 60
        while body is None and time.monotonic() < end:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%s/" % ports["EXAMPLE_SERVER_PORT"], timeout=5) as r:
                    body = r.read()
            except OSError:
                time.sleep(0.2)
        assert body, "the example server never answered"
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C, as a user stops it
        out, _ = proc.communicate(timeout=30)
    assert "Code done running." in out, out
