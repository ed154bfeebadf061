"""Faults: test hosts in network namespaces; every case ends in the contract's error, frees its slot.

The socketpool side is the target's pool, its sockets made inside namespace ``client`` (the test
thread steps into it for the ``socket()`` call); the peers are raw CPython sockets made inside
namespace ``server``. The namespaces, cables, nftables rules and the relay process belong to the
test and are removed after it. No traffic leaves them.

Each case records (case, timeout, seconds until the error) to print at the end and, when
SOCKETPOOL_FAULT_FIGURES names a file, as JSON lines there (``socketpool bench --faults`` reads
it); the tests themselves assert the error, never a duration.
"""

import contextlib
import errno
import hashlib
import json
import os
import random
import socket
import struct
import threading
import time

import pytest

from . import netns
from .conftest import scaled

CLIENT_IP, SERVER_IP = "10.201.0.1", "10.201.0.2"
NO_NEIGHBOUR_IP = "10.201.0.99"  # on the cable's subnet, but nobody answers ARP
NO_ROUTE_IP = "10.250.0.1"  # the client has no route there at all
PEER_WAIT = 15.0
FIGURES = []


def record(case, timeout, seconds):
    FIGURES.append((case, timeout, seconds))
    path = os.environ.get("SOCKETPOOL_FAULT_FIGURES")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"case": case, "timeout": timeout, "seconds": seconds}) + "\n")


@pytest.fixture(scope="module", autouse=True)
def _print_figures():
    yield
    for case, timeout, seconds in FIGURES:
        print("\n%-45s timeout %5s s  error after %.3f s" % (case, timeout, seconds), end="")


@pytest.fixture
def hosts(target):
    if target.remote or target.name != "host":
        pytest.skip("pool sockets must be made inside a namespace: needs target host, not %s" % target.name)
    why = netns.unavailable()
    if why:
        pytest.skip(why)
    client, server = netns.Netns("client"), netns.Netns("server")
    try:
        yield client, server
    finally:
        client.close()
        server.close()


@pytest.fixture
def cabled(hosts):
    client, server = hosts
    netns.veth_pair(client, server, CLIENT_IP, SERVER_IP)
    return client, server


def pool_socket(pool, client, kind=None):
    with client.entered():
        return pool.socket(pool.AF_INET, kind or pool.SOCK_STREAM)


class Peer:
    """One raw TCP connection accepted inside the server namespace, handled in a thread."""

    def __init__(self, server, handler):
        with server.entered():
            self.listener = socket.socket()
        self.listener.bind((SERVER_IP, 0))
        self.listener.listen(1)
        self.listener.settimeout(PEER_WAIT)
        self.port = self.listener.getsockname()[1]
        self.handler = handler
        self.result = None
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            conn, _ = self.listener.accept()
            conn.settimeout(PEER_WAIT)
            with conn:
                self.result = self.handler(conn)
        except BaseException as e:  # re-raised by join()
            self.error = e

    def join(self):
        self.thread.join(PEER_WAIT + 5)
        self.listener.close()
        assert not self.thread.is_alive(), "peer hung"
        if self.error:
            raise self.error
        return self.result


@contextlib.contextmanager
def connection(pool, hosts, handler, timeout=5):
    """A pool socket in ``client`` connected to a ``Peer`` in ``server`` running ``handler``;
    yields (socket, peer); the socket is closed after the block."""
    client, server = hosts
    peer = Peer(server, handler)
    with pool_socket(pool, client) as s:
        s.settimeout(timeout)
        s.connect((SERVER_IP, peer.port))
        yield s, peer


def reset(conn):
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def timed_error(fn, *args):
    t0 = time.monotonic()
    with pytest.raises(OSError) as info:
        fn(*args)
    return info.value, time.monotonic() - t0


# --- a long transfer over a bad link ----------------------------------------------------------
@pytest.mark.timeout(900)  # a slow CI machine: TCP over this link runs at a few MiB/s at best
def test_transfer_under_loss_delay_and_reordering_arrives_byte_exact(hosts, pool):
    why = netns.nft_unavailable()
    if why:
        pytest.skip(why)
    client, server = hosts
    size = scaled(64, 256) << 20
    link = netns.TunLink(client, server, CLIENT_IP, SERVER_IP, delay_ms=25, jitter_ms=8, reorder_percent=10)
    try:
        netns.drop_randomly(client, 5)
        netns.drop_randomly(server, 5)

        def send_random(conn):
            digest = hashlib.sha256()
            rnd = random.Random(8)
            left = size
            while left:
                block = rnd.randbytes(min(left, 1 << 20))
                conn.sendall(block)
                digest.update(block)
                left -= len(block)
            return digest.hexdigest()

        t0 = time.monotonic()
        with connection(pool, hosts, send_random, PEER_WAIT) as (s, peer):
            digest = hashlib.sha256()
            buf = bytearray(65536)
            view = memoryview(buf)
            got = 0
            for _ in range(size):  # bounded; ends at end of stream
                n = s.recv_into(buf)
                if n == 0:
                    break
                digest.update(view[:n])
                got += n
            seconds = time.monotonic() - t0
        sent_digest = peer.join()
        lost = netns.dropped(client) + netns.dropped(server)
    finally:
        link.close()
    assert got == size
    assert digest.hexdigest() == sent_digest
    assert lost > 0  # the link really lost packets
    print("\n%d MiB over 5%% loss each way (%d packets dropped), 50 ms round trip, 10%% reordered: "
          "%.1f s, %.2f MiB/s" % (size >> 20, lost, seconds, size / seconds / (1 << 20)), end="")


# --- resets, half-close -----------------------------------------------------------------------
def test_reset_by_peer_during_recv_raises_econnreset_and_stays_reset(cabled, pool):
    def reset_soon(conn):
        time.sleep(0.3)
        reset(conn)

    with connection(pool, cabled, reset_soon) as (s, peer):
        e, seconds = timed_error(s.recv_into, bytearray(100))
        assert e.errno == errno.ECONNRESET
        again, _ = timed_error(s.recv_into, bytearray(100))
        assert again.errno == errno.ECONNRESET
    peer.join()
    record("reset during recv_into", 5, seconds)


def test_reset_by_peer_during_sendall_raises_econnreset(cabled, pool):
    def read_then_reset(conn):
        conn.recv(1000)
        time.sleep(0.3)
        reset(conn)

    with connection(pool, cabled, read_then_reset) as (s, peer):
        e, seconds = timed_error(s.sendall, bytes(64 << 20))  # far more than the buffers hold
        assert e.errno == errno.ECONNRESET
    peer.join()
    record("reset during sendall", 5, seconds)


def test_half_close_by_peer_gives_0_forever_and_sending_still_works(cabled, pool):
    def send_then_shut(conn):
        conn.sendall(b"last words")
        conn.shutdown(socket.SHUT_WR)
        got = b""
        while len(got) < 5:
            d = conn.recv(100)
            if not d:
                break
            got += d
        return got

    with connection(pool, cabled, send_then_shut) as (s, peer):
        buf = bytearray(100)
        got = b""
        for _ in range(100):
            n = s.recv_into(buf)
            if n == 0:
                break
            got += buf[:n]
        assert got == b"last words"
        assert s.recv_into(buf) == 0
        s.setblocking(False)
        assert s.recv_into(buf) == 0  # end of stream is 0 in every mode
        s.settimeout(5)
        s.sendall(b"reply")
    assert peer.join() == b"reply"


# --- connection failures ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "case, ip, port, timeout, code",
    [
        ("connect, no route", NO_ROUTE_IP, 80, 5, errno.EHOSTUNREACH),
        ("connect, no neighbour (ARP fails)", NO_NEIGHBOUR_IP, 80, 10, errno.EHOSTUNREACH),  # ~3 s
        ("connect, refused", SERVER_IP, 9, 5, errno.ECONNREFUSED),
    ],
    ids=["no-route-ehostunreach", "arp-fails-ehostunreach", "refused-econnrefused"],
)
def test_failed_connect_raises_the_contract_errno(cabled, pool, case, ip, port, timeout, code):
    client, _server = cabled
    s = pool_socket(pool, client)
    with s:
        s.settimeout(timeout)
        e, seconds = timed_error(s.connect, (ip, port))
    assert e.errno == code
    record(case, timeout, seconds)


def test_black_holed_syn_raises_etimedout_and_frees_the_slot(cabled, pool, target):
    client, server = cabled
    why = netns.nft_unavailable()
    if why:
        pytest.skip(why)
    netns.black_hole_tcp_port(server, 7)
    used = target.slots_in_use()
    s = pool_socket(pool, client)
    s.settimeout(1.0)
    e, seconds = timed_error(s.connect, (SERVER_IP, 7))
    assert e.errno == errno.ETIMEDOUT and isinstance(e, TimeoutError)
    del s
    target.gc_collect()
    assert target.slots_in_use() == used
    record("connect, SYN black-holed", 1.0, seconds)


def test_name_lookup_without_reachable_resolver_raises_gaierror(cabled, pool):
    """Inside the client namespace the host's resolver is out of reach (only the cable exists):
    the lookup fails, and socketpool says gaierror, for getaddrinfo and for connect by name."""
    client, _server = cabled
    with client.entered():
        t0 = time.monotonic()
        with pytest.raises(pool.gaierror) as info:
            pool.getaddrinfo("socketpool-test.invalid", 80)
        seconds = time.monotonic() - t0
        assert info.value.errno == pool.EAI_NONAME
        s = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
        with s:
            s.settimeout(5)
            with pytest.raises(pool.gaierror):
                s.connect(("socketpool-test.invalid", 80))
    record("getaddrinfo, resolver unreachable", None, seconds)
