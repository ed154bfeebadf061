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

from socketpool_tools.targets import TargetOptions, board_library_dirs, make_target
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
        with conn:
            while not self.stop.is_set():
                ready, _, _ = select.select([conn, self.fd], [], [], 0.2)
                for r in ready:
                    if r is conn:
                        data = conn.recv(65536)
                        if not data:
                            return
                        os.write(self.fd, data)
                    else:
                        conn.sendall(os.read(self.fd, 65536))

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

    def _serve(self):
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return

        class Link:
            def write(self, data):
                conn.sendall(data)

        manager = serial.rfc2217.PortManager(self.port_serial, Link())
        with conn:
            while not self.stop.is_set():
                ready, _, _ = select.select([conn, self.fd], [], [], 0.2)
                for r in ready:
                    if r is conn:
                        data = conn.recv(65536)
                        if not data:
                            return
                        os.write(self.fd, b"".join(manager.filter(data)))
                    else:
                        conn.sendall(b"".join(manager.escape(os.read(self.fd, 65536))))

    def close(self):
        super().close()
        self.port_serial.close()


SERVERS = {"socket": SerialServer, "rfc2217": Rfc2217Server}


@pytest.fixture(params=sorted(SERVERS))
def served_micropython(request, micropython_binary):
    env = dict(os.environ, MICROPYPATH=":".join(board_library_dirs() + [".frozen"]))
    proc = PtyProcess([micropython_binary], env=env)
    server = SERVERS[request.param](proc.device)
    server.scheme = request.param
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
    yield server
    server.close()
    proc.stop()


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
