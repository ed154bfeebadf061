"""``mip`` installs socketpool on MicroPython's unix port, from a local copy of the repository:
MicroPython's own ``mip`` (frozen in the port) fetching the repository's package.json and an
index built by ``socketpool deploy --mip-index`` over a loopback HTTP server, and ``mpremote mip``
talking to the port on a pty as it would to a board. What was installed then runs a TCP exchange
on its own (MICROPYPATH: the install folder and the frozen modules only)."""

import functools
import http.server
import json
import os
import subprocess
import sys
import threading

import pytest

from test_deploy import run_smoke
from vm import ROOT, unix_port_on_pty

from socketpool_tools import cli
from socketpool_tools.deploy import board_files

NAME = "circuitpython-socketpool"


@pytest.fixture
def serve():
    """``serve(folder)`` -> base URL of a loopback HTTP server for that folder (stopped after);
    ``serve.paths``: the paths it was asked for."""
    servers = []

    def start(folder):
        handler = functools.partial(_QuietHandler, directory=folder)
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        srv.paths = start.paths
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        servers.append(srv)
        return "http://127.0.0.1:%d" % srv.server_address[1]

    start.paths = []
    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        self.server.paths.append(self.path)


def _listed_files():
    with open(os.path.join(ROOT, "package.json")) as f:
        return sorted(dest for dest, _src in json.load(f)["urls"])


def _installed(folder):
    return sorted(os.path.relpath(os.path.join(b, f), folder).replace(os.sep, "/")
                  for b, _d, fs in os.walk(folder) for f in fs)


def _mip(binary, *args):
    r = subprocess.run([binary, "-m", "mip", "install"] + list(args), capture_output=True,
                       text=True, timeout=120, env=dict(os.environ, MICROPYPATH=".frozen"))
    assert r.returncode == 0 and "Done" in r.stdout, r.stdout + r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def mip_index(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("mip-index"))
    assert cli.main(["deploy", "--mip-index", out]) == 0
    return out


def test_mip_on_the_unix_port_installs_package_json_from_the_repository(micropython_binary, tmp_path, serve):
    url = serve(ROOT)  # a local copy of the repository, as a web host would serve it
    target = tmp_path / "lib"
    _mip(micropython_binary, "--target", str(target), url + "/package.json")
    assert _installed(target) == _listed_files()
    # package.json lists every board file, byte for byte as in the repository
    for src, rel in board_files(ROOT):
        with open(src, "rb") as a:
            assert (target / rel).read_bytes() == a.read(), rel
    r = run_smoke(micropython_binary, str(target) + ":.frozen", str(tmp_path))
    assert r[0] == str(target / "socketpool" / "__init__.py") and r[1] == str(target / "ssl.py")
    assert r[2:] == [True, "from mpy"]


def test_mip_on_the_unix_port_picks_the_mpy_variant_of_the_index(micropython_binary, tmp_path, serve, mip_index):
    target = tmp_path / "lib"
    _mip(micropython_binary, "--target", str(target), "--index", serve(mip_index), NAME)
    assert "/package/6/%s/latest.json" % NAME in serve.paths  # the port's sys.implementation._mpy
    expected = sorted(rel[:-3] + ".mpy" for rel in _listed_files())
    assert _installed(target) == expected
    assert (target / "socketpool" / "__init__.mpy").read_bytes()[:2] == b"M\x06"
    r = run_smoke(micropython_binary, str(target) + ":.frozen", str(tmp_path))
    assert r[0].endswith("socketpool/__init__.mpy") and r[1].endswith("ssl.mpy")
    assert r[2:] == [True, "from mpy"]
    # a pinned version and the .py variant are in the index too
    with open(os.path.join(ROOT, "package.json")) as f:
        version = json.load(f)["version"]
    _mip(micropython_binary, "--target", str(tmp_path / "py"), "--index", serve(mip_index),
         "--no-mpy", NAME + "@" + version)
    assert "/package/py/%s/%s.json" % (NAME, version) in serve.paths
    assert _installed(tmp_path / "py") == _listed_files()


@pytest.mark.parametrize("source", ["package.json", "index"])
def test_mpremote_mip_installs_onto_the_unix_port_on_a_pty(micropython_binary, tmp_path, mip_index, source):
    device = tmp_path / "device"
    device.mkdir()
    what = [os.path.join(ROOT, "package.json")] if source == "package.json" else ["--index", mip_index, NAME]
    with unix_port_on_pty(micropython_binary, str(device)) as pty:
        # "resume": no soft reset first (the unix port would exit on one)
        r = subprocess.run([sys.executable, "-m", "mpremote", "connect", pty, "resume", "mip",
                            "install", "--target", str(device / "lib")] + what,
                           capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "Done" in r.stdout, r.stdout + r.stderr
    expected = _listed_files()
    if source == "index":  # mpremote asks the device for its bytecode version: the .mpy variant
        expected = sorted(rel[:-3] + ".mpy" for rel in expected)
    assert _installed(device / "lib") == expected
    r = run_smoke(micropython_binary, str(device / "lib") + ":.frozen", str(tmp_path))
    assert r[2:] == [True, "from mpy"]
