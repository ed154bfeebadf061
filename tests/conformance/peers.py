"""The other side of every conformance connection: real CPython sockets on loopback (or, for a
host-lwIP target, in the network namespace at the far end of its link).

Peers run in this pytest process (never on the target). Servers run their handler in a thread;
every socket has a timeout and every thread is joined with a timeout, so no peer can hang a test.
A handler's exception is re-raised in the test when the peer is closed.
"""

import errno
import socket
import struct
import threading
import time

_OS_SOCKET = socket
_IP_FREEBIND = 15  # Linux; IPv6 sockets honour it too


def use_stack(module=None):
    """Make peers with ``module`` in place of CPython's ``socket`` (None: back to the OS).

    A host-lwIP target's sockets live in an lwIP inside this process, which reaches this
    computer through a TUN link into a network namespace; ``module`` (the target's
    ``peer_socket_module``) makes the peers' kernel sockets inside that namespace.
    """
    global socket
    socket = module or _OS_SOCKET

TIMEOUT = 5.0  # every peer socket wait
JOIN = 10.0  # every peer thread join
# a holding peer's own bound (it is released at once by the peer's close): longer than a case
# takes to fill a send buffer on the slowest target (the emulated Pico W: 10 s was not enough,
# the peer let go and its kernel reset the connection)
HOLD = 120.0
GRACE = 1.0  # how long a closing peer waits for the target's end of stream
IPV6_HOST = "::1"


def loopback(family_name, target):
    """(host the target reaches the peer at, host the peer reaches the target at)."""
    if family_name == "ipv6":
        return getattr(target, "peer_host6", IPV6_HOST), getattr(target, "host6", IPV6_HOST)
    return target.peer_host, target.host


def os_family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def free_port(host, kind=socket.SOCK_STREAM):
    """A port that is free on ``host`` right now (for a target listener: it has no getsockname).

    When ``host`` is the target's own address on a link (not this stack's), the port is one this
    stack would give out (IP_FREEBIND); a clash with the target's ports shows as EADDRINUSE at
    the target's bind, which the callers retry."""
    with socket.socket(os_family(host), kind) as s:
        try:
            s.bind((host, 0))
        except OSError as e:
            if e.errno != errno.EADDRNOTAVAIL:
                raise
            s.setsockopt(socket.SOL_IP, _IP_FREEBIND, 1)
            s.bind((host, 0))
        return s.getsockname()[1]


def settle(seconds=0.2):
    """Give in-flight loopback packets time to be queued at the far side (not a timing assertion)."""
    time.sleep(seconds)


def reset(conn):
    """Close ``conn`` with SO_LINGER 0: the other side gets a TCP reset."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def recv_all(conn, limit=1 << 26):
    """Everything ``conn`` receives until end of stream (or a reset), bounded by ``limit`` bytes."""
    chunks = []
    total = 0
    while total < limit:
        try:
            data = conn.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            break
        chunks.append(data)
        total += len(data)
    return b"".join(chunks)


def sees_eof_or_reset(conn):
    """True when ``conn``'s next read reports end of stream or a reset (False on data/timeout)."""
    try:
        return conn.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class TcpPeer:
    """A TCP server on loopback; ``handler(conn, peer)`` runs in a thread for each connection.

    ``with TcpPeer(host, handler) as peer:`` then connect the target to ``(host, peer.port)``.
    ``peer.release`` is an event handlers may wait on; ``peer.result`` holds the last handler
    return value after the ``with`` block.
    """

    def __init__(self, host, handler, connections=1, rcvbuf=None, backlog=8):
        self.host = host
        self.handler = handler
        self.connections = connections
        self.release = threading.Event()
        self.accepted = threading.Event()
        self.sent = threading.Event()  # set by handlers that send, once they have sent
        self.go = threading.Event()  # lets a gated handler start
        # set by support.tcp_client once the target's connect() has returned: a peer that resets
        # waits for it, or a loaded machine can deliver the reset while the target is still
        # connecting, which the contract rightly calls a refusal
        self.connected = threading.Event()
        self.result = None
        self.error = None
        self.conn = None
        self.listener = socket.socket(os_family(host), socket.SOCK_STREAM)
        self.listener.settimeout(TIMEOUT)
        if rcvbuf:
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.listener.bind((host, 0))
        self.listener.listen(backlog)
        self.port = self.listener.getsockname()[1]
        self.addr = (host, self.port)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            for _ in range(self.connections):
                conn, _addr = self.listener.accept()
                self.conn = conn
                self.accepted.set()
                with conn:
                    conn.settimeout(TIMEOUT)
                    self.result = self.handler(conn, self)
        except BaseException as e:  # handed to the test thread in close()
            self.error = e

    def __enter__(self):
        self.thread.start()
        return self

    def wait_sent(self):
        """Wait until the handler has sent everything, then for loopback delivery."""
        assert self.sent.wait(JOIN), "the peer did not send within %s s" % JOIN
        settle(0.1)

    def close(self):
        self.release.set()
        self.go.set()
        self.thread.join(GRACE)
        conn = self.conn
        if self.thread.is_alive() and conn is not None:
            # the target side is still open and the handler waits for its end of stream
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.thread.join(JOIN)
        self.listener.close()
        if self.thread.is_alive():
            raise AssertionError("peer thread did not finish within %s s" % JOIN)
        if self.error is not None:
            raise self.error

    def __exit__(self, *exc):
        if exc[0] is None:
            self.close()
        else:  # the test already failed: finish the peer, keep the test's error
            try:
                self.close()
            except BaseException:
                pass


# --- handlers -----------------------------------------------------------------------------
def echo(conn, peer):
    """Send back everything until end of stream; returns the byte count."""
    total = 0
    while True:
        try:
            data = conn.recv(65536)
        except ConnectionResetError:
            return total
        if not data:
            return total
        conn.sendall(data)
        total += len(data)


def sink(conn, peer):
    """Read until end of stream; returns the bytes. Each wait up to HOLD, not TIMEOUT: on the
    emulated Pico W the case's buffer can take longer than 5 s to reach the board after the
    connection is made, and a sink that gave up closed with data unread (a reset)."""
    conn.settimeout(HOLD)
    return recv_all(conn)


def sender(*segments, close=True, nodelay=True):
    """Send each of ``segments`` as its own write, then close (or wait for ``peer.release``)."""

    def handler(conn, peer):
        if nodelay:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for seg in segments:
            conn.sendall(seg)
        peer.sent.set()
        if not close:
            peer.release.wait(JOIN)

    return handler


def delayed_sender(data, delay=0.2):
    """Send ``data`` after ``delay`` seconds, then wait for ``peer.release``."""

    def handler(conn, peer):
        time.sleep(delay)
        conn.sendall(data)
        peer.release.wait(JOIN)

    return handler


def closer(conn, peer):
    """Close at once: the target sees end of stream."""


def resetter(data=b""):
    """Optionally send ``data``, then reset the connection (SO_LINGER 0)."""

    def handler(conn, peer):
        peer.connected.wait(JOIN)
        if data:
            conn.sendall(data)
        reset(conn)

    return handler


def holder(conn, peer):
    """Keep the connection open, reading nothing, until ``peer.release`` (the peer's close)."""
    peer.release.wait(HOLD)


def late_reader(conn, peer):
    """Read nothing until ``peer.release``; then read to end of stream; returns the byte count."""
    peer.release.wait(HOLD)
    return len(recv_all(conn))


def trickle_reader(conn, peer, chunk=4096):
    """Read ``chunk`` bytes every 20 ms until ``peer.release``: a sender always makes a little
    progress."""
    total = 0
    while not peer.release.is_set():
        time.sleep(0.02)
        try:
            data = conn.recv(chunk)
        except (ConnectionResetError, socket.timeout):
            break
        if not data:
            break
        total += len(data)
    return total


def slow_trickle_reader(conn, peer):
    """As ``trickle_reader``, 256 bytes every 20 ms (for a sender whose buffer is small)."""
    return trickle_reader(conn, peer, 256)


def gated_reader(conn, peer):
    """Read nothing until ``peer.go`` (or the peer's close); then read to end of stream; returns
    the bytes."""
    peer.go.wait(HOLD)
    return recv_all(conn)


class StalledListener:
    """A listener whose accept queue is full, so a new connect stays in progress (SYN dropped).

    Backlog 0 and one finished connection nobody accepts: the stack drops further SYNs, which
    gives a connect that times out or stays in progress without leaving loopback.
    """

    def __init__(self, host):
        self.listener = socket.socket(os_family(host), socket.SOCK_STREAM)
        self.listener.bind((host, 0))
        self.listener.listen(0)
        self.addr = (host, self.listener.getsockname()[1])
        self.filler = socket.create_connection(self.addr, timeout=TIMEOUT)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.filler.close()
        self.listener.close()


class UdpPeer:
    """A UDP socket on loopback, used from the test thread (its calls have timeouts)."""

    def __init__(self, host):
        self.host = host
        self.sock = socket.socket(os_family(host), socket.SOCK_DGRAM)
        self.sock.settimeout(TIMEOUT)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]
        self.addr = (host, self.port)

    def send_later(self, data, to, delay=0.2):
        """Send ``data`` to ``to`` from a thread after ``delay``; returns the joinable thread."""
        return run_later(delay, self.sock.sendto, data, to)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()


def run_later(delay, fn, *args):
    """Run ``fn(*args)`` in a thread after ``delay`` seconds; returns the thread (see join)."""

    def run():
        time.sleep(delay)
        fn(*args)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def connect_to(host, port):
    """A CPython client connected to a target listener at ``(host, port)`` (handshake done by the
    target's stack; the target's accept() picks it up)."""
    return socket.create_connection((host, port), timeout=TIMEOUT)


def join(thread):
    thread.join(JOIN)
    assert not thread.is_alive(), "peer thread did not finish within %s s" % JOIN

