"""Load: many clients against a socketpool server, connect/close churn, a UDP flood.

The socketpool side is the target's pool; the other side is raw CPython sockets (threads, or a
separate process for the UDP sender) on loopback. SOCKETPOOL_HEAVY=1 scales every figure up.
"""

import errno
import os
import socket
import subprocess
import sys
import threading
import time
import tracemalloc

from .conftest import open_fds, scaled

TIMEOUT = 10.0  # every peer socket wait


def _free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EchoServer:
    """A socketpool TCP server multiplexed with non-blocking calls: one 16-byte request per
    connection, echoed, then closed. It accepts whenever a connection is pending; when the pool has
    no free slot, ``accept`` raises RuntimeError and socketpool closes that connection (counted)."""

    REQUEST = 16

    def __init__(self, pool, port):
        self.pool = pool
        self.port = port
        self.served = 0
        self.refused = 0
        self.max_open = 0
        self.error = None
        self.stop = threading.Event()

    def run(self, expected, deadline):
        pool = self.pool
        ls = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
        conns = {}  # socket -> bytearray received so far
        try:
            ls.setsockopt(pool.SOL_SOCKET, pool.SO_REUSEADDR, 1)
            ls.bind(("127.0.0.1", self.port))
            ls.listen(16)
            ls.setblocking(False)
            while self.served < expected and time.monotonic() < deadline and not self.stop.is_set():
                busy = False
                try:
                    c, _addr = ls.accept()
                    c.setblocking(False)
                    conns[c] = bytearray()
                    busy = True
                except RuntimeError as e:
                    assert str(e) == "Out of sockets"
                    self.refused += 1
                except OSError as e:
                    assert e.errno == errno.EAGAIN, e
                self.max_open = max(self.max_open, len(conns))
                buf = bytearray(64)
                for c in list(conns):
                    try:
                        n = c.recv_into(buf)
                    except OSError as e:
                        if e.errno == errno.EAGAIN:
                            continue
                        n = 0  # reset by a client that gave up: drop it
                    busy = True
                    got = conns[c]
                    got += buf[:n]
                    if n == 0 or len(got) >= self.REQUEST:
                        if len(got) >= self.REQUEST:
                            c.settimeout(TIMEOUT)
                            c.sendall(bytes(got[: self.REQUEST]))
                            self.served += 1
                        c.close()
                        del conns[c]
                if not busy:
                    time.sleep(0.0005)
        except BaseException as e:  # re-raised in the test
            self.error = e
        finally:
            for c in conns:
                c.close()
            ls.close()


def _client(port, ident, results, attempts=20):
    """Connect, hold the connection briefly, send 16 bytes, expect them back; retry when the
    server refused (closed or reset before answering). Records how it ended."""
    msg = ("client%010d" % ident).encode()
    for attempt in range(attempts):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
                time.sleep(0.02)  # hold the slot a while, so the pool runs full
                s.sendall(msg)
                got = b""
                while len(got) < len(msg):
                    d = s.recv(64)
                    if not d:
                        break
                    got += d
            if got == msg:
                results[ident] = ("ok", attempt)
                return
        except (ConnectionResetError, BrokenPipeError, ConnectionRefusedError):
            pass
        time.sleep(0.01 * (attempt + 1))
    results[ident] = ("gave up", attempts)


def test_server_serves_more_clients_than_slots_without_hanging(os_peer_target, pool):
    clients = scaled(200, 2000)
    concurrency = 24  # well above the slot count: some connections wait or are refused
    port = _free_port()
    server = EchoServer(pool, port)
    deadline = time.monotonic() + scaled(60, 300)
    st = threading.Thread(target=server.run, args=(clients, deadline), daemon=True)
    st.start()
    time.sleep(0.1)
    results = {}
    pending = list(range(clients))
    workers = []

    def worker():
        while pending:
            try:
                ident = pending.pop()
            except IndexError:
                return
            _client(port, ident, results)

    for _ in range(concurrency):
        t = threading.Thread(target=worker, daemon=True)
        t.start()
        workers.append(t)
    for t in workers:
        t.join(max(1.0, deadline - time.monotonic() + 5))
    server.stop.set()
    st.join(TIMEOUT)
    assert not st.is_alive(), "server hung"
    if server.error:
        raise server.error
    failed = {k: v for k, v in results.items() if v[0] != "ok"}
    assert len(results) == clients and not failed, failed
    assert server.served == clients
    assert server.max_open <= os_peer_target.slots - 1  # the listener holds one slot
    assert server.refused > 0  # the pool did run out, and the server kept serving
    print("served %d clients, %d accepts refused for want of a slot, at most %d open at once"
          % (server.served, server.refused, server.max_open))


def test_connect_close_cycles_free_every_slot_and_leak_no_descriptor(os_peer_target, pool):
    cycles = scaled(10000, 100000)
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(128)
    ls.settimeout(1.0)
    port = ls.getsockname()[1]
    stop = threading.Event()
    accepted = [0]

    def acceptor():
        while not stop.is_set():
            try:
                c, _ = ls.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            c.close()
            accepted[0] += 1

    t = threading.Thread(target=acceptor, daemon=True)
    t.start()
    used_before = os_peer_target.slots_in_use()
    fds_before = open_fds()
    try:
        for i in range(cycles):
            s = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
            s.settimeout(TIMEOUT)
            s.connect(("127.0.0.1", port))
            if i % 10 == 9:
                del s  # forgotten: the finaliser gives the slot back
            else:
                s.close()
    finally:
        stop.set()
        t.join(TIMEOUT)
        ls.close()
    os_peer_target.gc_collect()
    assert os_peer_target.slots_in_use() == used_before
    # minus the peer's listener, closed above (<=: another test's peer thread may end meanwhile)
    assert open_fds() <= fds_before - 1
    assert accepted[0] > 0


_UDP_SENDER = r"""
import socket, sys, time
port, count = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = bytes(range(256)) * 6
for i in range(count):
    size = 1 + (i * 7919) % 1400
    s.sendto(payload[:size], ("127.0.0.1", port))
    if i % 64 == 63:
        time.sleep(0.0005)  # bursts, so the receiver keeps up most of the time
s.sendto(b"END", ("127.0.0.1", port))
"""


def _rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def test_udp_flood_at_socketpool_receiver_keeps_memory_bounded(os_peer_target, pool):
    count = scaled(100000, 1000000)
    port = _free_port(socket.SOCK_DGRAM)
    r = pool.socket(pool.AF_INET, pool.SOCK_DGRAM)
    try:
        r.bind(("127.0.0.1", port))
        r.settimeout(2.0)
        buf = bytearray(512)  # smaller than many datagrams: they are cut, the rest dropped
        sender = subprocess.Popen([sys.executable, "-c", _UDP_SENDER, str(port), str(count)])
        received = 0
        cut = 0
        tracemalloc.start()
        rss_start = _rss_kib()
        traced_after_warmup = None
        try:
            for i in range(count + 1):
                try:
                    n, addr = r.recvfrom_into(buf)
                except OSError as e:
                    assert e.errno == errno.ETIMEDOUT
                    break  # the sender is done and the queue is empty
                assert 0 < n <= len(buf) and addr[0] == "127.0.0.1"
                if n == 3 and buf[:3] == b"END":
                    break
                received += 1
                cut += n == len(buf)
                if received == 1000:
                    traced_after_warmup = tracemalloc.get_traced_memory()[0]
            traced_end = tracemalloc.get_traced_memory()[0]
            rss_end = _rss_kib()
        finally:
            tracemalloc.stop()
            sender.wait(60)
    finally:
        r.close()
    assert sender.returncode == 0
    assert received >= 1000, "only %d of %d datagrams arrived" % (received, count)
    assert cut > 0
    growth = traced_end - traced_after_warmup
    print("received %d of %d datagrams (%d cut to 512 B); Python heap growth %d B after warm-up; "
          "RSS growth %d KiB" % (received, count, cut, growth, rss_end - rss_start))
    assert growth < 64 * 1024
    assert rss_end - rss_start < 16 * 1024
