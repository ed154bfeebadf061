"""A board behind a serial server (``socket://host:port`` and ``rfc2217://host:port``): pyserial's
URL handlers, mpremote's raw REPL and the proxy, end to end. MicroPython's unix port on a pty,
served on a loopback TCP port (a plain relay, or pyserial's RFC 2217 PortManager), stands in for
the board (a soft reset would end the unix port, so the target is told not to do one, and the
library is on its MICROPYPATH instead of deployed)."""

import os
import select
import socket
import threading
import tty

import pytest
import serial
import serial.rfc2217

from socketpool_tools.paths import board_library_dirs
from socketpool_tools.remote_target import TargetOptions
from socketpool_tools.targets import make_target
from socketpool_tools.transport import PtyProcess


class SerialServer:
    """One TCP client at a time gets the bytes of a serial device (here a pty), both ways."""

    def __init__(self, device):
        self.fd = os.open(device, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(30)
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        to_device, to_client = self._coding(conn)
        with conn:
            while not self.stop.is_set():
                ready, _, _ = select.select([conn, self.fd], [], [], 0.2)
                for r in ready:
                    if r is conn:
                        data = conn.recv(65536)
                        if not data:
                            return
                        os.write(self.fd, to_device(data))
                    else:
                        conn.sendall(to_client(os.read(self.fd, 65536)))

    def _coding(self, conn):
        """(client bytes -> device bytes, device bytes -> client bytes): a plain relay."""
        return bytes, bytes

    def close(self):
        self.stop.set()
        self.listener.close()
        self.thread.join(5)
        os.close(self.fd)


class PtySerial(serial.Serial):
    """A pty as a pyserial port: it has no modem lines (the RFC 2217 client sets DTR/RTS)."""

    def _update_dtr_state(self):
        pass

    def _update_rts_state(self):
        pass

    cts = dsr = ri = cd = property(lambda self: False)


class Rfc2217Server(SerialServer):
    """The serial device served over RFC 2217 (telnet with serial-port control) by pyserial."""

    def __init__(self, device):
        super().__init__(device)
        self.port_serial = PtySerial(timeout=0.2)
        self.port_serial.port = device
        self.port_serial.open()

    def _coding(self, conn):
        """The telnet/RFC 2217 layer: commands from the client are answered on ``conn`` and
        filtered out, device bytes are escaped."""

        class Link:
            def write(self, data):
                conn.sendall(data)

        manager = serial.rfc2217.PortManager(self.port_serial, Link())
        return (lambda data: b"".join(manager.filter(data)), lambda data: b"".join(manager.escape(data)))

    def close(self):
        super().close()
        self.port_serial.close()


SERVERS = {"socket": SerialServer, "rfc2217": Rfc2217Server}


def serve(binary, kind, extra_path=()):
    """Start the unix port on a pty and serve it with a ``kind`` server; wait for its prompt."""
    env = dict(os.environ, MICROPYPATH=":".join(list(extra_path) + board_library_dirs() + [".frozen"]))
    # the unix port puts its cwd first on sys.path: run it where only the extra modules are
    proc = PtyProcess([binary], env=env, cwd=(list(extra_path) or [None])[0])
    server = SERVERS[kind](proc.device)
    server.scheme, server.proc = kind, proc
    proc.start()
    banner = b""
    for _ in range(100):  # bounded: the prompt comes within a second
        ready, _, _ = select.select([server.fd], [], [], 0.3)
        if ready:
            banner += os.read(server.fd, 4096)
        if banner.endswith(b">>> "):
            break
    assert banner.endswith(b">>> "), banner
    server.thread.start()
    return server


def stop(server):
    server.close()
    server.proc.stop()


@pytest.fixture(params=sorted(SERVERS))
def served_micropython(request, micropython_binary):
    server = serve(micropython_binary, request.param)
    yield server
    stop(server)


def test_serial_server_url_target_runs_the_pool_on_the_device(served_micropython, tmp_path):
    url = "%s://127.0.0.1:%d" % (served_micropython.scheme, served_micropython.port)
    t = make_target(url, TargetOptions(deploy=False, soft_reset=False, log_dir=str(tmp_path), call_timeout=20))
    try:
        assert (t.remote, t.engine_name) == (True, "micropython")
        pool = t.pool
        peer = socket.socket()
        peer.bind(("127.0.0.1", 0))
        peer.listen(1)
        peer.settimeout(5)
        with pool.socket(pool.AF_INET, pool.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(("127.0.0.1", peer.getsockname()[1]))
            conn, _ = peer.accept()
            with conn:
                assert s.send(b"over a serial server") == 20
                conn.settimeout(5)
                assert conn.recv(100) == b"over a serial server"
                conn.sendall(b"back")
                buf = bytearray(8)
                assert s.recv_into(buf) == 4 and buf[:4] == b"back"
        peer.close()
        assert t.slots_in_use() == 0
    finally:
        t.close()
    log = tmp_path / "target-{}___127.0.0.1_{}.log".format(served_micropython.scheme, served_micropython.port)
    assert "connect" in log.read_text()


FAKE_WIFI = """
# FAKE radio (named as a fake): the unix port has no Wi-Fi; this stands in for a board's
# wifi.radio so the harness's join-and-address path runs. It records how it was joined.
class Radio:
    def __init__(self):
        self.connected = False
        self.joined = None
        self.ipv4_address = None
    def connect(self, ssid, password):
        self.joined = (ssid, password)
        self.connected = True
        self.ipv4_address = "127.0.0.1"
radio = Radio()
"""


def test_wifi_board_joins_with_settings_and_the_password_is_never_logged(micropython_binary, tmp_path):
    fake = tmp_path / "fakeradio"
    (fake / "wifi").mkdir(parents=True)
    (fake / "wifi" / "__init__.py").write_text(FAKE_WIFI)
    settings = tmp_path / "settings.toml"
    settings.write_text('CIRCUITPY_WIFI_SSID = "Bench Lab"\nCIRCUITPY_WIFI_PASSWORD = "pw-for-the-bench"\n')
    server = serve(micropython_binary, "socket", extra_path=[str(fake)])
    try:
        t = make_target("socket://127.0.0.1:%d" % server.port,
                        TargetOptions(deploy=False, soft_reset=False, log_dir=str(tmp_path / "logs"),
                                      settings=str(settings), call_timeout=20))
        try:
            assert t.session.run("_sp_wifi.joined") == ("Bench Lab", "pw-for-the-bench")
            # the board's address, and this computer's address on the route to it
            assert (t.host, t.peer_host) == ("127.0.0.1", "127.0.0.1")
        finally:
            t.close()
    finally:
        stop(server)
    log = (tmp_path / "logs" / "target-socket___127.0.0.1_{}.log".format(server.port)).read_text()
    assert "_sp_wifi.connect(" in log
    assert "pw-for-the-bench" not in log and "Bench Lab" not in log
