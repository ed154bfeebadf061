"""``socketpool deploy``: the .mpy build (CI), the copy through mpremote's raw-REPL transport to
the unix port on a pty, and the mip package.json."""

import json
import os
import socket
import subprocess
import threading

import pytest

from vm import ROOT, free_port, unix_port_on_pty

from socketpool_tools import cli
from socketpool_tools.deploy import board_files, compile_files, device_path

SMOKE = """
import sys, socketpool, wifi, ssl, time, typing, json
pool = socketpool.SocketPool(wifi.radio)
s = pool.socket()
s.settimeout(5)
s.connect(("127.0.0.1", %d))
s.sendall(b"from mpy")
buf = bytearray(8)
n = s.recv_into(buf)
s.close()
print("RESULT " + json.dumps([socketpool.__file__, ssl.__file__, hasattr(time, "monotonic"), bytes(buf[:n]).decode()]))
"""


def echo_once():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(20)

    def serve():
        try:
            conn, _ = srv.accept()
            with conn:
                conn.settimeout(10)
                conn.sendall(conn.recv(64))
        finally:
            srv.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return srv.getsockname()[1], t


def run_smoke(binary, path, cwd):
    port, t = echo_once()
    env = dict(os.environ, MICROPYPATH=path)
    out = subprocess.run([binary, "-c", SMOKE % port], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    t.join(10)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise AssertionError(out.stdout + out.stderr)


def test_dry_run_builds_every_board_module_as_mpy(tmp_path, capsys):
    out = tmp_path / "mpy"
    assert cli.main(["deploy", "--dry-run", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    expected = [rel[:-3] + ".mpy" for _src, rel in board_files(ROOT)]
    assert {"socketpool/__init__.mpy", "socketpool/_engine_mp.mpy", "wifi/_wlan.mpy", "ssl.mpy"} <= set(expected)
    for rel in expected:
        data = (out / rel).read_bytes()
        assert data[:2] == b"M\x06", rel  # .mpy format 6, what MicroPython >= 1.22 loads
        assert rel in printed
    assert "-> /ssl.mpy" in printed and "-> /lib/socketpool/__init__.mpy" in printed


def test_built_mpy_files_run_on_the_vm_without_sources(micropython_binary, tmp_path):
    built = compile_files(board_files(ROOT), str(tmp_path))
    assert built
    r = run_smoke(micropython_binary, str(tmp_path) + ":.frozen", str(tmp_path))
    assert r[0].endswith("socketpool/__init__.mpy") and r[1].endswith("ssl.mpy")
    assert r[2:] == [True, "from mpy"]


def test_deploy_copies_through_raw_repl_to_unix_port_on_a_pty(micropython_binary, tmp_path, capsys):
    device_root = tmp_path / "device"
    device_root.mkdir()
    with unix_port_on_pty(micropython_binary, str(device_root)) as device:
        # the deploy command opens the pty as it would a board's port
        status = cli.main(["deploy", "--device", device, "--lib", str(device_root / "lib"),
                           "--root", str(device_root)])
    assert status == 0
    written = capsys.readouterr().out
    assert str(device_root / "ssl.mpy") in written
    assert str(device_root / "lib" / "socketpool" / "_engine_mp.mpy") in written
    for _src, rel in board_files(ROOT):
        assert os.path.getsize(device_path(rel[:-3] + ".mpy", str(device_root / "lib"), str(device_root))) > 0
    # what was copied runs: the device's root first, then its lib, as on a board
    r = run_smoke(micropython_binary, "%s:%s:.frozen" % (device_root, device_root / "lib"), str(device_root))
    assert r[0] == str(device_root / "lib" / "socketpool" / "__init__.mpy")
    assert r[3] == "from mpy"


def test_package_json_lists_every_board_file_for_mip():
    with open(os.path.join(ROOT, "package.json")) as f:
        pkg = json.load(f)
    listed = {dest: src for dest, src in pkg["urls"]}
    expected = {rel: os.path.relpath(src, ROOT) for src, rel in board_files(ROOT)}
    assert listed == expected
    for src in listed.values():
        assert os.path.isfile(os.path.join(ROOT, src))
