"""Helpers for the client-library tests: real servers started and stopped by pid on loopback
free ports, and ``socketpool run`` in a subprocess. (A module of its own, not conftest.py, so
that ``import client_support`` cannot find another directory's conftest.)

HTTP(S): tests/clients/servers/http_app.py (CPython's ThreadingHTTPServer). MQTT: Debian's
mosquitto with a temporary config (plain and TLS listeners). NTP: tests/clients/servers/ntp_server.py
(SNTP over real UDP on a free loopback port, answering with this computer's clock; it never sets it).
TLS certificates come from a throwaway CA made by ``trustme``.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import ssl
import sys
import threading
import time
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def free_port(kind=socket.SOCK_STREAM, host="127.0.0.1"):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=10.0, host="127.0.0.1"):
    """Until something accepts TCP connections on host:port (bounded)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError("server exited early with status %s: %s" % (proc.returncode, err))
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on port %d after %.0f s" % (port, timeout))


def stop(proc, timeout=5.0):
    """Stop a server we started, by its pid."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout)


def _write_chain(cert, tmpdir, name):
    """(certfile with leaf + chain, keyfile) of a trustme certificate, written to ``tmpdir``."""
    certfile = os.path.join(tmpdir, name + ".pem")
    keyfile = os.path.join(tmpdir, name + ".key")
    cert.private_key_pem.write_to_path(keyfile)
    with open(certfile, "wb") as f:
        for blob in cert.cert_chain_pems:
            f.write(blob.bytes())
    return certfile, keyfile


class Certs:
    def __init__(self, tmpdir):
        trustme = pytest.importorskip("trustme")
        self.ca = trustme.CA()
        self.ca_pem = self.ca.cert_pem.bytes().decode()
        self.cafile = os.path.join(tmpdir, "ca.pem")
        self.ca.cert_pem.write_to_path(self.cafile)
        self.certfile, self.keyfile = _write_chain(
            self.ca.issue_cert("localhost", "127.0.0.1"), tmpdir, "server")
        # signed by the same CA for another host only: refused unless that name is checked
        self.elsewhere_certfile, self.elsewhere_keyfile = _write_chain(
            self.ca.issue_cert("other-host.example"), tmpdir, "elsewhere")
        # a second, unrelated CA: its certificates must be refused
        other = trustme.CA()
        self.other_ca_pem = other.cert_pem.bytes().decode()
        self.other_certfile, self.other_keyfile = _write_chain(
            other.issue_cert("localhost", "127.0.0.1"), tmpdir, "other")


class Server:
    """A server process on a port of ``host`` (loopback unless a target's peer address is
    given); ``url`` is its base URL."""

    def __init__(self, argv, port, scheme="http", host="127.0.0.1"):
        self.argv = argv
        self.port = port
        self.host = host
        self.url = "%s://%s:%d" % (scheme, host, port)
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_port(self.port, self.proc, host=self.host)

    def stop(self):
        if self.proc is not None:
            stop(self.proc)


def _http(certs=None, host="127.0.0.1"):
    port = free_port(host=host)
    argv = [sys.executable, os.path.join(HERE, "servers", "http_app.py"), str(port)]
    argv += [certs.certfile, certs.keyfile] if certs else ["", ""]
    argv.append(host)
    srv = Server(argv, port, "https" if certs else "http", host)
    srv.start()
    return srv


class Mosquitto(Server):
    def __init__(self, tmpdir, certs, host="127.0.0.1"):
        self.tls_port = free_port(host=host)
        port = free_port(host=host)
        conf = os.path.join(tmpdir, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(
                # "user": as root, mosquitto would drop to user mosquitto, who cannot read our files
                "user %s\nper_listener_settings false\nallow_anonymous true\npersistence false\n"
                "log_dest stderr\nlog_type error\n"
                "listener %d %s\n"
                "listener %d %s\ncafile %s\ncertfile %s\nkeyfile %s\n"
                % (pwd.getpwuid(os.geteuid()).pw_name, port, host, self.tls_port, host, certs.cafile,
                   certs.certfile, certs.keyfile)
            )
        super().__init__([shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", conf], port, "mqtt", host)

    def start(self):
        super().start()
        wait_for_port(self.tls_port, self.proc, host=self.host)


def mqtt_publish(host, port, topic, payload):
    """A QoS 0 PUBLISH from a minimal MQTT 3.1.1 client on CPython (bounded by timeouts)."""

    def packet(kind, body):
        n, length = len(body), b""
        while True:
            b, n = n % 128, n // 128
            length += bytes([b | (0x80 if n else 0)])
            if not n:
                return bytes([kind]) + length + body

    def s(text):
        return len(text).to_bytes(2, "big") + text

    with socket.create_connection((host, port), timeout=10) as c:
        c.sendall(packet(0x10, s(b"MQTT") + b"\x04\x02\x00\x3c" + s(b"host-" + uuid.uuid4().hex[:8].encode())))
        assert c.recv(4)[:2] == b"\x20\x02"  # CONNACK
        c.sendall(packet(0x30, s(topic.encode()) + payload))
        c.sendall(b"\xe0\x00")  # DISCONNECT


def _need(program, paths):
    for p in [shutil.which(program)] + paths:
        if p and os.path.exists(p):
            return p
    pytest.skip("%s is not installed (scripts/setup.sh installs it)" % program)


def ntp_server(host="127.0.0.1"):
    """A started NtpServer (tests/clients/servers/ntp_server.py: SNTP on a free UDP port of
    ``host`` answering with this computer's clock)."""
    sys.path.insert(0, os.path.join(HERE, "servers"))
    try:
        from ntp_server import NtpServer
    finally:
        sys.path.pop(0)
    return NtpServer(host).start()


def run_env(**settings):
    """Environment for ``socketpool run`` in a subprocess: the project importable, settings set."""
    path = [ROOT, os.path.join(ROOT, "tools")]
    if os.environ.get("PYTHONPATH"):
        path.append(os.environ["PYTHONPATH"])
    # the host engine: the servers the code talks to are OS processes on loopback
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path), SOCKETPOOL_ENGINE="host")
    env.update({k: str(v) for k, v in settings.items()})
    return env


def run_argv(path, *extra):
    return [sys.executable, "-m", "socketpool_tools", "run", path] + list(extra)


def run_code_py(path, timeout=60, **settings):
    """Run a code.py under ``socketpool run`` to its end; the CompletedProcess (text output)."""
    return subprocess.run(
        run_argv(path), env=run_env(**settings), capture_output=True, text=True, timeout=timeout
    )


class RunProcess:
    """A long-running ``socketpool run`` (a server code.py), its output read by a thread."""

    def __init__(self, path, *extra, **settings):
        import queue
        import threading

        self.lines = []
        self._queue = queue.Queue()
        self.proc = subprocess.Popen(
            run_argv(path, *extra),
            env=run_env(**settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, text, timeout=15.0):
        """Until a line containing ``text`` is printed (bounded); without probing the port."""
        import queue

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = self._queue.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            if text in line:
                return line
        raise RuntimeError("%r not printed; output so far:\n%s" % (text, "".join(self.lines)))

    def interrupt(self, timeout=10.0):
        """Ctrl-C (SIGINT), as on a board; returns the whole output."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            stop(self.proc)
        self._reader.join(timeout)
        return "".join(self.lines)

    def stop(self):
        stop(self.proc)
        self._reader.join(5)


class TLSPeer:
    """A CPython TLS server on loopback, one connection, in a thread (bounded by timeouts)."""

    def __init__(self, certs, action, handshake=True, elsewhere=False, accept_timeout=10):
        """``elsewhere``: serve the certificate for other-host.example (same CA)."""
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if elsewhere:
            self.ctx.load_cert_chain(certs.elsewhere_certfile, certs.elsewhere_keyfile)
        else:
            self.ctx.load_cert_chain(certs.certfile, certs.keyfile)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(accept_timeout)
        self.port = self.listener.getsockname()[1]
        self.action, self.handshake = action, handshake
        self.error = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.listener.accept()
            conn.settimeout(10)
            if self.handshake:
                conn = self.ctx.wrap_socket(conn, server_side=True)
            self.action(conn)
            conn.close()
        except Exception as e:  # reported by join()
            self.error = e

    def join(self):
        self.thread.join(15)
        self.listener.close()
        return self.error


def echo_once(conn):
    conn.sendall(conn.recv(1000).upper())
