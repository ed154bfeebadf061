"""Fuzzing: random sequences of pool and socket calls with random arguments, on any target.

A hypothesis RuleBasedStateMachine drives the target's pool (the `pool` fixture, so it runs on every
engine CI has: host, host-lwIP builds, the MicroPython proxy). What it pins:

* only the contract's exceptions escape: OSError and its subclasses, RuntimeError('Out of
  sockets'), ValueError, TypeError, NotImplementedError;
* nothing hangs: every socket gets a short timeout (or none at all: non-blocking) before any call
  that can wait, and the machine puts it back whenever a fuzzed settimeout made it long;
* any call on a socket the machine closed raises EBADF;
* the slots in use never exceed the open sockets; at the end every slot is back (the `pool`
  fixture checks that after the machine closed or dropped everything).

Peers are real CPython sockets in threads: an echo server, a server that resets, a UDP sink,
and a port nobody listens on. Every address is on loopback; the only name used is "localhost".
"""

import collections
import errno
import socket
import struct
import threading

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from .conftest import scaled

SHORT = 0.01  # the longest timeout a fuzzed socket keeps
PEER_WAIT = 1.0


def contract_error(e):
    """True when ``e`` is one of the exceptions the contract lets escape."""
    if isinstance(e, NotImplementedError):  # a RuntimeError subclass, allowed with any message
        return True
    if isinstance(e, RuntimeError):
        return str(e) == "Out of sockets"
    return isinstance(e, (OSError, ValueError, TypeError, NotImplementedError))


class Peers:
    """Raw CPython peers on loopback, each handling connections in its own thread."""

    def __init__(self, host, net=socket):
        self.host = host
        self.net = net  # CPython's socket module, or a host-lwIP target's link namespace sockets
        self.stop = threading.Event()
        self.threads = []
        self.handlers = []
        self.sockets = []
        self.echo_port = self._tcp_server(self._echo)
        self.reset_port = self._tcp_server(self._reset)
        udp = net.socket(net.AF_INET, net.SOCK_DGRAM)
        udp.bind((host, 0))
        self.sockets.append(udp)
        self.udp_port = udp.getsockname()[1]
        self.closed_port = self.free_port()
        self.bind_ports = [self.free_port() for _ in range(3)]

    def free_port(self):
        with self.net.socket() as s:
            s.bind((self.host, 0))
            return s.getsockname()[1]

    def _tcp_server(self, handler):
        ls = self.net.socket()
        ls.bind((self.host, 0))
        ls.listen(64)
        ls.settimeout(0.2)
        self.sockets.append(ls)
        t = threading.Thread(target=self._serve, args=(ls, handler), daemon=True)
        t.start()
        self.threads.append(t)
        return ls.getsockname()[1]

    def _serve(self, ls, handler):
        while not self.stop.is_set():
            try:
                conn, _ = ls.accept()
            except self.net.timeout:
                continue
            except OSError:
                return
            conn.settimeout(PEER_WAIT)
            t = threading.Thread(target=self._handle, args=(conn, handler), daemon=True)
            t.start()
            self.handlers.append(t)

    def _handle(self, conn, handler):
        try:
            handler(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def _echo(self, conn):
        conn.sendall(b"hello\n")
        for _ in range(1000):  # bounded: each wait is PEER_WAIT at most
            data = conn.recv(65536)
            if not data:
                return
            conn.sendall(data)

    def _reset(self, conn):
        conn.sendall(b"x" * 100)
        conn.setsockopt(self.net.SOL_SOCKET, self.net.SO_LINGER, struct.pack("ii", 1, 0))

    def knock(self, port):
        """Connect to a target listener from the peer side and leave at once."""
        try:
            with self.net.create_connection((self.host, port), timeout=0.2) as s:
                s.sendall(b"knock")
        except OSError:
            pass

    def close(self):
        self.stop.set()
        for s in self.sockets:
            s.close()
        for t in self.threads + self.handlers:
            t.join(PEER_WAIT + 1)


junk = st.sampled_from([None, "2", 2.5, b"1", [], object()])


def mostly(good, bad):
    """Three draws in four from ``good``: the working paths get deep, the checks still get hit."""
    return st.one_of(good, good, good, bad)


def build_machine(target, pool, peers, outcomes):
    h = target.peer_host
    # the MicroPython engine on stock firmware has no finaliser: a forgotten socket keeps its slot
    # (docs/engine-micropython.md), so only engines with one get the "forget" rule
    finalisers = getattr(target, "engine_name", None) != "micropython"
    addresses = mostly(
        st.sampled_from([(h, peers.echo_port), [h, peers.echo_port], ("localhost", peers.echo_port),
                         (h, peers.reset_port), (h, peers.closed_port), (h, peers.udp_port)])
        | st.sampled_from(peers.bind_ports).map(lambda p: (h, p)),
        st.sampled_from([(h, 0), ("::1", peers.closed_port), (h,), (h, peers.echo_port, 0), (h, -1),
                         (h, 65536), (h, "80"), (1, 2), h, None]),
    )
    timeouts = st.sampled_from([None, 0, 0.0001, 0.001, SHORT, 1, -1, -0.5, True, "1", 1e-9, 5.0])
    buffers = mostly(
        st.integers(0, 70000).map(bytearray) | st.integers(0, 64).map(lambda n: memoryview(bytearray(n))),
        st.one_of(st.binary(max_size=16), st.text(max_size=4), junk),
    )
    payloads = mostly(
        st.binary(max_size=70000) | st.binary(max_size=64).map(bytearray) | st.binary(max_size=64).map(memoryview),
        st.one_of(st.text(max_size=8), st.integers(), junk),
    )
    ints = mostly(st.integers(-3, 300), st.one_of(st.integers(), junk, st.booleans()))
    bad_families = st.sampled_from([0, 1, 99, -1]) | junk
    bad_kinds = st.sampled_from([0, 4, -1]) | junk

    class PoolMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.socks = []  # [socket, closed_by_us]
            self.listening = {}  # id(socket) -> port it is bound to

        # -- helpers --
        def call(self, fn, *args):
            try:
                return fn(*args)
            except Exception as e:  # noqa: BLE001 - the point: classify everything
                if not contract_error(e):
                    raise AssertionError("non-contract exception %r from %s%r" % (e, fn.__name__, args))
                return e

        def on_socket(self, data, method, *args):
            entry = data.draw(st.sampled_from(self.socks))
            sock, closed = entry
            r = self.call(getattr(sock, method), *args)
            outcomes[(method, "error" if isinstance(r, Exception) else "ok")] += 1
            if closed and method not in ("settimeout", "setblocking", "close"):
                assert isinstance(r, OSError) and r.errno == errno.EBADF, (method, args, r)
            return sock, r

        def keep_short(self, sock):
            """A fuzzed timeout may block or be long: put a short one back before the next wait."""
            sock.settimeout(SHORT)

        # -- pool --
        def open_count(self):
            return sum(1 for _s, closed in self.socks if not closed)

        @precondition(lambda self: self.open_count() <= target.slots)  # one past: Out of sockets
        @rule(family=st.sampled_from([2, 2, 2, 10]), kind=st.sampled_from([1, 1, 2, 3]),
              proto=st.sampled_from([0, 0, 6, 17, 1]), nonblocking=st.booleans())
        def socket(self, family, kind, proto, nonblocking):
            if kind == 3 and proto not in (0, 1):
                proto = 1  # raw sockets only as ICMP: the kernel writes the IP header, to loopback
            r = self.call(pool.socket, family, kind, proto)
            outcomes[("socket", "error" if isinstance(r, Exception) else "ok")] += 1
            if not isinstance(r, Exception):
                r.settimeout(0 if nonblocking else SHORT)
                self.socks.append([r, False])

        @precondition(lambda self: self.open_count() < target.slots)
        @rule(payload=st.binary(min_size=1, max_size=4096), bufsize=st.integers(1, 8192))
        def talk_to_echo_peer(self, payload, bufsize):
            """A working connection in the mix: connect, greet, send, read (each may still fail,
            as any call may, but only with a contract error)."""
            r = self.call(pool.socket, pool.AF_INET, pool.SOCK_STREAM)
            if isinstance(r, Exception):
                return
            r.settimeout(0.5)  # long enough for loopback on a busy machine, still bounded
            self.socks.append([r, False])
            for method, args in (("connect", ((h, peers.echo_port),)), ("recv_into", (bytearray(6),)),
                                 ("sendall", (payload,)), ("recv_into", (bytearray(bufsize),))):
                out = self.call(getattr(r, method), *args)
                outcomes[(method, "error" if isinstance(out, Exception) else "ok")] += 1
                if isinstance(out, Exception):
                    break
            r.settimeout(SHORT)

        @rule(family=mostly(bad_families, st.just(2)), kind=mostly(bad_kinds, st.just(1)),
              proto=mostly(st.sampled_from([0, 6]), junk))
        def socket_with_bad_arguments(self, family, kind, proto):
            r = self.call(pool.socket, family, kind, proto)
            if not isinstance(r, Exception):  # all three happened to be valid
                r.close()

        # names: only "localhost" (from /etc/hosts), so no lookup leaves the machine
        @rule(host=st.sampled_from(["127.0.0.1", "localhost", "::1", "", "1.2.3", 5, None]),
              port=ints, family=ints, kind=ints, proto=ints, flags=ints)
        def getaddrinfo(self, host, port, family, kind, proto, flags):
            r = self.call(pool.getaddrinfo, host, port, family, kind, proto, flags)
            if not isinstance(r, Exception):
                assert isinstance(r, list) and all(len(x) == 5 for x in r)

        # -- socket --
        @precondition(lambda self: self.socks)
        @rule(data=st.data(), value=timeouts)
        def settimeout(self, data, value):
            sock, r = self.on_socket(data, "settimeout", value)
            if r is None and (value is None or value is True or value > SHORT):
                self.keep_short(sock)

        @precondition(lambda self: self.socks)
        @rule(data=st.data(), flag=st.booleans())
        def setblocking(self, data, flag):
            sock, r = self.on_socket(data, "setblocking", flag)
            if flag:
                self.keep_short(sock)

        @precondition(lambda self: self.socks)
        @rule(data=st.data(), address=addresses)
        def connect(self, data, address):
            self.on_socket(data, "connect", address)

        @precondition(lambda self: self.socks)
        @rule(data=st.data(), address=addresses)
        def bind(self, data, address):
            sock, r = self.on_socket(data, "bind", address)
            if r is None:
                self.listening[id(sock)] = address[1]

        @precondition(lambda self: self.socks)
        @rule(data=st.data(), backlog=ints)
        def listen(self, data, backlog):
            self.on_socket(data, "listen", backlog)

        @precondition(lambda self: self.listening)
        @rule(data=st.data())
        def peer_connects(self, data):
            peers.knock(data.draw(st.sampled_from(sorted(self.listening.values()))))

        @precondition(lambda self: self.socks)
        @rule(data=st.data())
        def accept(self, data):
            _sock, r = self.on_socket(data, "accept")
            if isinstance(r, tuple):
                new, addr = r
                assert isinstance(addr, tuple) and len(addr) >= 2
                self.socks.append([new, False])

        @precondition(lambda self: self.socks)
        @rule(data=st.data(), buf=buffers, bufsize=mostly(st.integers(-5, 70001), junk))
        def recv_into(self, data, buf, bufsize):
            _sock, r = self.on_socket(data, "recv_into", buf, bufsize)
            if isinstance(r, int) and not isinstance(bufsize, bool):
                assert 0 <= r <= len(buf)

        @precondition(lambda self: self.socks)
        @rule(data=st.data(), buf=buffers)
        def recvfrom_into(self, data, buf):
            _sock, r = self.on_socket(data, "recvfrom_into", buf)
            if isinstance(r, tuple):
                assert 0 <= r[0] <= len(buf)

        @precondition(lambda self: self.socks)
        @rule(data=st.data(), payload=payloads, whole=st.booleans())
        def send(self, data, payload, whole):
            _sock, r = self.on_socket(data, "sendall" if whole else "send", payload)
            if isinstance(r, int):
                assert 0 <= r <= len(memoryview(payload).cast("B"))

        @precondition(lambda self: self.socks)
        @rule(data=st.data(), payload=payloads, address=addresses)
        def sendto(self, data, payload, address):
            self.on_socket(data, "sendto", payload, address)

        @precondition(lambda self: self.socks)
        @rule(data=st.data(),
              level=mostly(st.sampled_from([0xFFF, 6, 0, 41, 1]), ints),
              opt=mostly(st.sampled_from([4, 1, 5, 8, 0x20, 99]), ints),
              value=st.one_of(st.integers(0, 300), st.booleans(), st.binary(max_size=8), junk))
        def setsockopt(self, data, level, opt, value):
            self.on_socket(data, "setsockopt", level, opt, value)

        @precondition(lambda self: self.socks)
        @rule(data=st.data())
        def close(self, data):
            entry = data.draw(st.sampled_from(self.socks))
            assert self.call(entry[0].close) is None  # never raises, idempotent
            entry[1] = True
            self.listening.pop(id(entry[0]), None)

        @precondition(lambda self: self.socks and finalisers)
        @rule(data=st.data())
        def forget(self, data):
            """Drop every reference without closing: the finaliser must give the slot back."""
            i = data.draw(st.integers(0, len(self.socks) - 1))
            sock, _closed = self.socks.pop(i)
            self.listening.pop(id(sock), None)
            del sock

        @invariant()
        def slots_never_exceed_open_sockets(self):
            open_now = self.open_count()
            used = target.slots_in_use() - self.baseline
            assert used <= target.slots
            # forgotten sockets may hold a slot until garbage collection; closed ones never do
            if used > open_now:
                target.gc_collect()
                assert target.slots_in_use() - self.baseline <= open_now

        def teardown(self):
            for sock, _closed in self.socks:
                sock.close()
            self.socks = []
            if target.slots_in_use() != self.baseline:  # a forgotten socket still in a cycle
                target.gc_collect()  # (only then: a full collection is slow on hypothesis' heap)
            assert target.slots_in_use() == self.baseline

    PoolMachine.baseline = target.slots_in_use()
    return PoolMachine


@pytest.mark.timeout(900)  # the heavy variant; the default run takes seconds
def test_random_call_sequences_raise_only_contract_errors_and_return_every_slot(target, pool):
    peers = Peers(target.peer_host, getattr(target, "peer_socket_module", None) or socket)
    try:
        outcomes = collections.Counter()
        machine = build_machine(target, pool, peers, outcomes)
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=scaled(100, 300),
                stateful_step_count=scaled(40, 80),
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
                derandomize=False,
            ),
        )
    finally:
        peers.close()
    print("\n" + ", ".join("%s %s: %d" % (m, r, n) for (m, r), n in sorted(outcomes.items())))
    # the machine reached the working paths, not only the argument checks
    for method in ("socket", "connect", "sendall", "recv_into"):
        assert outcomes[(method, "ok")] > 0, method


@pytest.mark.parametrize("error", [OSError(5), TimeoutError(), RuntimeError("Out of sockets"), ValueError(),
                                   TypeError(), NotImplementedError()])
def test_contract_error_accepts_the_contract_exceptions(error):
    assert contract_error(error)


@pytest.mark.parametrize("error", [RuntimeError("other"), AttributeError(), KeyError(), IndexError(),
                                   AssertionError(), MemoryError()])
def test_contract_error_rejects_everything_else(error):
    assert not contract_error(error)
