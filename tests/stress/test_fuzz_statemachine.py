"""Fuzzing: random sequences of pool and socket calls with random arguments, on any target.

A hypothesis RuleBasedStateMachine drives the target's pool (the `pool` fixture, so it runs on every
engine CI has: host, host-lwIP builds, the MicroPython proxy). What it pins:

* each call raises only what the contract names for it: with a bad argument exactly its error
  (``Exactly``: TypeError, ValueError, OverflowError, the pool's gaierror, EOPNOTSUPP ...), on a
  closed socket exactly EBADF, with valid arguments only an errno of the call's row (``ROWS``);
* odd values are drawn too (huge ints, 1e306, nan, hosts with ':' or other scripts' digits,
  arrays and casts of wide items, read-only views, made on the target), one call in five runs
  from a second thread, and on in-process targets two sockets wait at once in two threads;
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
HUGE = st.sampled_from([2 ** 31, 2 ** 40, 2 ** 64, -(2 ** 40), 10 ** 30])
# host strings no resolver may see: each must be the pool's gaierror (test_literals.py)
NEVER_HOSTS = ["foo:bar", "\u0661\u0662\u0667.\u0660.\u0660.\u0661", "127.0.0.1\x00x", "010.0.0.1",
               "127.1", "0x7f000001", "fe80::1%lo", "[::1]", "1::2::3", "\uff11.2.3.4"]


def mostly(good, bad):
    """Three draws in four from ``good``: the working paths get deep, the checks still get hit."""
    return st.one_of(good, good, good, bad)


# --- the oracle: what the contract says each call may do ----------------------------------------
# With valid arguments a call returns, or raises an OSError whose errno is in its row of the
# contract's table (section 4; the decisions of docs/contract-notes.md named there). With a bad
# argument it raises exactly the one error the contract names for it (``expect_*`` below), and on
# a closed socket exactly EBADF. Nothing else is accepted: not "any OSError".
E = errno
ROWS = {
    "connect": {E.ETIMEDOUT, E.EINPROGRESS, E.EALREADY, E.EISCONN, E.ECONNREFUSED, E.EHOSTUNREACH,
                E.EINVAL, E.EAGAIN},
    "bind": {E.EADDRINUSE, E.EINVAL, E.EADDRNOTAVAIL},
    "listen": {E.EINVAL},
    "accept": {E.ETIMEDOUT, E.EAGAIN, E.EINVAL},
    "recv_into": {E.ETIMEDOUT, E.EAGAIN, E.ECONNRESET, E.ENOTCONN},
    "recvfrom_into": {E.ETIMEDOUT, E.EAGAIN, E.ECONNRESET, E.ENOTCONN},
    "send": {E.ETIMEDOUT, E.EAGAIN, E.ECONNRESET, E.EPIPE, E.EMSGSIZE},  # EMSGSIZE: connected UDP
    "sendall": {E.ETIMEDOUT, E.EAGAIN, E.ECONNRESET, E.EPIPE, E.EMSGSIZE},
    "sendto": {E.ETIMEDOUT, E.EAGAIN, E.ECONNRESET, E.EPIPE, E.EMSGSIZE, E.EINVAL, E.EHOSTUNREACH},
    "setsockopt": {E.ENOPROTOOPT, E.EINVAL},
    "settimeout": set(),
    "setblocking": set(),
}
# a non-blocking connect that failed is reported by the next send or receive too (Linux's
# pending socket error; docs/contract-notes.md)
for _m in ("recv_into", "recvfrom_into", "send", "sendall", "sendto"):
    ROWS[_m] |= {E.ECONNREFUSED, E.EHOSTUNREACH}
OUT_OF_SOCKETS = ("socket", "accept")
CONTRACT_OPTIONS = ((0xFFF, 4), (6, 1), (0, 5))


class Exactly:
    """The one error a call must raise: an exception type, or an OSError errno."""

    def __init__(self, kind, code=None):
        self.kind, self.code = kind, code

    def matches(self, e):
        if self.code is not None:
            return isinstance(e, OSError) and e.errno == self.code
        return type(e) is self.kind

    def __repr__(self):
        return "Exactly(%s)" % (errno.errorcode.get(self.code) if self.code else self.kind.__name__)


def short(args):
    """``args`` for a failure message: a 4 KB payload must not bury the error (CI keeps a tail)."""
    text = repr(args)
    return text if len(text) <= 120 else "%s...<%d chars>" % (text[:100], len(text))


def is_int(v):
    return isinstance(v, int)  # bools included, as in the API layer


def expect_timeout(v):
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return Exactly(TypeError)
    if v != v or v in (float("inf"), float("-inf")) or v < 0:
        return Exactly(ValueError)
    return None


def expect_address(a):
    if not isinstance(a, (tuple, list)):
        return Exactly(TypeError)
    if len(a) != 2:
        return Exactly(ValueError)
    host, port = a
    if not isinstance(host, str) or isinstance(port, bool) or not isinstance(port, int):
        return Exactly(TypeError)
    if not 0 <= port <= 65535:
        return Exactly(ValueError)
    return None


def expect_buffer(spec, writable):
    """``spec``: (kind, nbytes) of a buffer the rule made (see buffers below)."""
    kind = spec[0]
    if kind in ("bytearray", "memoryview", "array", "cast"):
        return None
    if kind in ("bytes", "readonly"):
        return Exactly(TypeError) if writable else None
    return Exactly(TypeError)  # str, int, junk


def expect_option(sock_type, level, opt, value):
    if not is_int(level) or not is_int(opt):
        return Exactly(TypeError)
    if not isinstance(value, int):
        if isinstance(value, str):
            return Exactly(TypeError)
        try:
            b = memoryview(value).tobytes()
        except TypeError:
            return Exactly(TypeError)
        if (level, opt) in CONTRACT_OPTIONS:
            if len(b) == 1 and (level, opt) == (0, 5):
                value = b[0]
            elif len(b) != 4:
                return Exactly(ValueError)
            else:
                value = struct.unpack("=i", b)[0]
    if isinstance(value, int) and not -(2 ** 31) <= value < 2 ** 31:
        return Exactly(OverflowError)
    if not -(2 ** 31) <= level < 2 ** 31 or not -(2 ** 31) <= opt < 2 ** 31:
        return Exactly(OSError, errno.ENOPROTOOPT)
    if (level, opt) == (6, 1) and sock_type != 1:
        return Exactly(OSError, errno.ENOPROTOOPT)
    if (level, opt) == (0, 5):
        if sock_type != 2:
            return Exactly(OSError, errno.ENOPROTOOPT)
        if not 0 <= value <= 255:
            return Exactly(ValueError)
    return None


def build_machine(target, pool, peers, outcomes):
    h = target.peer_host
    local = not target.remote  # concurrent calls from two threads: not through one remote console
    # the MicroPython engine on stock firmware has no finaliser: a forgotten socket keeps its slot
    # (docs/engine-micropython.md), so only engines with one get the "forget" rule
    finalisers = getattr(target, "engine_name", None) != "micropython"
    good_hosts = {h, "localhost"}
    addresses = mostly(
        st.sampled_from([(h, peers.echo_port), [h, peers.echo_port], ("localhost", peers.echo_port),
                         (h, peers.reset_port), (h, peers.closed_port), (h, peers.udp_port)])
        | st.sampled_from(peers.bind_ports).map(lambda p: (h, p)),
        st.sampled_from([(h, 0), ("::1", peers.closed_port), (h,), (h, peers.echo_port, 0), (h, -1),
                         (h, 65536), (h, "80"), (1, 2), h, None, ("", 9), ("0.0.0.0", 9), (h, 2 ** 40),
                         (h, True)])
        | st.sampled_from(NEVER_HOSTS).map(lambda host: (host, peers.echo_port)),
    )
    timeouts = st.sampled_from([None, 0, 0.0001, 0.001, SHORT, 1, -1, -0.5, True, "1", 1e-9, 5.0,
                                1e306, 10 ** 30, float("nan"), float("inf"), -1e306])
    # a buffer as (kind, nbytes); made in the rule, on the target (target.buffer) where it must be
    sizes = st.integers(0, 70000)
    buffers = mostly(
        st.tuples(st.just("bytearray"), sizes) | st.tuples(st.just("memoryview"), st.integers(0, 64))
        | st.tuples(st.sampled_from(["array", "cast"]), st.integers(0, 2048).map(lambda n: n * 8)),
        st.tuples(st.sampled_from(["bytes", "readonly", "str", "junk"]), st.integers(0, 16)),
    )
    payloads = mostly(buffers.filter(lambda b: b[0] in ("bytearray", "memoryview")).map(lambda b: ("bytes", b[1])),
                      buffers)
    ints = mostly(st.integers(-3, 300), st.one_of(st.integers(), HUGE, junk, st.booleans()))
    bad_families = st.sampled_from([0, 1, 99, -1, True, 2 ** 40]) | junk
    bad_kinds = st.sampled_from([0, 4, -1, 2 ** 40]) | junk

    def make(spec):
        kind, n = spec
        data = bytes((i * 7 + 1) & 255 for i in range(min(n, 64))) * (n // 64 + 1)
        data = data[:n]
        if kind == "bytearray":
            return bytearray(data)
        if kind == "memoryview":
            return memoryview(bytearray(data))
        if kind == "bytes":
            return data
        if kind in ("array", "cast"):
            return target.buffer(kind, "d" if kind == "array" else "I", data)
        if kind == "readonly":
            return target.buffer("readonly", "B", data)
        if kind == "str":
            return "x" * n
        return object()

    class PoolMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.socks = []  # [socket, closed_by_us, family, type]
            self.listening = {}  # id(socket) -> port it is bound to
            outcomes[("machine", "examples")] += 1  # the counts are printed for the record

        # -- helpers --
        def call(self, fn, *args, elsewhere=False):
            """``fn(*args)``'s result or exception; ``elsewhere``: from a second thread."""
            if not elsewhere:
                try:
                    return fn(*args)
                except Exception as e:  # noqa: BLE001 - the point: classify everything
                    return e
            box = []
            t = threading.Thread(target=lambda: box.append(self.call(fn, *args)), daemon=True)
            t.start()
            t.join(30)
            assert not t.is_alive(), "%s%s from a second thread did not end" % (fn.__name__, short(args))
            outcomes[("second thread", "calls")] += 1
            return box[0]

        def judge(self, method, r, expected, closed=False, gai=False, args=()):
            """Accept ``r`` only if the contract names it (see ROWS and Exactly)."""
            ok = not isinstance(r, Exception)
            outcomes[(method, "ok" if ok else "error")] += 1
            if closed and method not in ("settimeout", "setblocking", "close"):
                expected = Exactly(OSError, errno.EBADF)
            if expected is not None:
                assert not ok and expected.matches(r), "%s%s: expected %r, got %r" % (method, short(args), expected, r)
                outcomes[("exact errors", "matched")] += 1
                return
            if ok:
                return
            if isinstance(r, pool.gaierror):
                assert gai, "%s%s: gaierror for a host that resolves: %r" % (method, short(args), r)
                return
            if isinstance(r, RuntimeError) and not isinstance(r, NotImplementedError):
                assert method in OUT_OF_SOCKETS and str(r) == "Out of sockets", (method, short(args), r)
                return
            assert type(r) in (OSError, BrokenPipeError, TimeoutError, ConnectionRefusedError,
                               ConnectionResetError, ConnectionAbortedError, BlockingIOError,
                               InterruptedError) and r.errno in ROWS[method], (
                "%s%s: %r (errno %s) is not in the contract's row %s" % (
                    method, short(args), r, errno.errorcode.get(getattr(r, "errno", None)),
                    sorted(errno.errorcode[c] for c in ROWS[method])))

        def pick(self, data):
            return data.draw(st.sampled_from(self.socks))

        def on_socket(self, data, method, expected, *args, gai=False, entry=None):
            entry = entry or self.pick(data)
            elsewhere = data.draw(st.integers(0, 4)) == 0  # one call in five from a second thread
            r = self.call(getattr(entry[0], method), *args, elsewhere=elsewhere)
            self.judge(method, r, expected, entry[1], gai, args)
            return entry[0], r

        def keep_short(self, sock):
            """A fuzzed timeout may block or be long: put a short one back before the next wait."""
            sock.settimeout(SHORT)

        def host_expect(self, entry, address, bind=False):
            """(exact error, gaierror allowed) for the host of a well-formed address."""
            host = address[0]
            if host in NEVER_HOSTS or (host == "" and not bind):
                return Exactly(pool.gaierror), True
            if host == "" or (host in good_hosts and entry[2] == 2):
                return None, False
            return None, True  # e.g. an IPv4 host on an IPv6 socket: no address of that family

        # -- pool --
        def open_count(self):
            return sum(1 for e in self.socks if not e[1])

        @precondition(lambda self: self.open_count() <= target.slots)  # one past: Out of sockets
        @rule(family=st.sampled_from([2, 2, 2, 10]), kind=st.sampled_from([1, 1, 2, 3]),
              proto=st.sampled_from([0, 0, 6, 17, 1]), nonblocking=st.booleans())
        def socket(self, family, kind, proto, nonblocking):
            if kind == 3:
                proto = 1  # raw sockets only as ICMP: the kernel writes the IP header, to loopback
            r = self.call(pool.socket, family, kind, proto)
            outcomes[("socket", "error" if isinstance(r, Exception) else "ok")] += 1
            if isinstance(r, Exception):
                assert (isinstance(r, NotImplementedError) or (isinstance(r, RuntimeError) and str(r) == "Out of sockets")
                        or (kind == 3 and isinstance(r, OSError) and r.errno == errno.EPERM)), r
            else:
                r.settimeout(0 if nonblocking else SHORT)
                self.socks.append([r, False, family, kind])

        @precondition(lambda self: self.open_count() < target.slots)
        @rule(payload=st.binary(min_size=1, max_size=4096), bufsize=st.integers(1, 8192))
        def talk_to_echo_peer(self, payload, bufsize):
            """A working connection in the mix: connect, greet, send, read (each may still fail,
            as any call may, but only with a contract error)."""
            r = self.call(pool.socket, pool.AF_INET, pool.SOCK_STREAM)
            if isinstance(r, Exception):
                assert isinstance(r, RuntimeError) and str(r) == "Out of sockets", r
                return
            r.settimeout(0.5)  # long enough for loopback on a busy machine, still bounded
            entry = [r, False, 2, 1]
            self.socks.append(entry)
            for method, args in (("connect", ((h, peers.echo_port),)), ("recv_into", (bytearray(6),)),
                                 ("sendall", (payload,)), ("recv_into", (bytearray(bufsize),))):
                out = self.call(getattr(r, method), *args)
                self.judge(method, out, None, args=args)
                if method == "connect":
                    self.after_connect(entry, args[0], None, out)
                if isinstance(out, Exception):
                    break
            r.settimeout(SHORT)

        @rule(family=mostly(bad_families, st.just(2)), kind=mostly(bad_kinds, st.just(1)),
              proto=mostly(st.sampled_from([0, 6]), st.one_of(junk, HUGE, st.sampled_from([-1, 256]))))
        def socket_with_bad_arguments(self, family, kind, proto):
            r = self.call(pool.socket, family, kind, proto)
            if not all(is_int(v) for v in (family, kind, proto)):
                exp = Exactly(TypeError)
            elif family not in (2, 10) or (family == 10 and not target.ipv6):
                exp = Exactly(NotImplementedError)
            elif kind not in (1, 2, 3):
                exp = Exactly(ValueError)
            elif kind == 3 and not target.raw:
                exp = Exactly(NotImplementedError)
            elif not 0 <= proto <= 255:
                exp = Exactly(ValueError)
            else:
                exp = None
            if exp is None:
                if not isinstance(r, Exception):
                    r.close()
                return
            self.judge("socket", r, exp, args=(family, kind, proto))

        # names: only "localhost" (from /etc/hosts), so no lookup leaves the machine
        @rule(host=st.sampled_from(["127.0.0.1", "localhost", "::1", "", "1.2.3", 5, None] + NEVER_HOSTS),
              port=ints, family=ints, kind=ints, proto=ints, flags=ints)
        def getaddrinfo(self, host, port, family, kind, proto, flags):
            r = self.call(pool.getaddrinfo, host, port, family, kind, proto, flags)
            exp = expect_address((host, port)) if isinstance(host, str) else Exactly(TypeError)
            if exp is None and not all(is_int(v) for v in (family, kind, proto, flags)):
                exp = Exactly(TypeError)
            if exp is None and (host in NEVER_HOSTS or host in ("", "1.2.3") or family not in (0, 2, 10)):
                exp = Exactly(pool.gaierror)
            outcomes[("getaddrinfo", "error" if isinstance(r, Exception) else "ok")] += 1
            if exp is not None:
                assert isinstance(r, Exception) and exp.matches(r), (host, port, exp, r)
                outcomes[("exact errors", "matched")] += 1
            elif isinstance(r, Exception):
                assert isinstance(r, pool.gaierror), r  # a family with no address of it
            else:
                assert isinstance(r, list) and all(len(x) == 5 for x in r)

        # -- socket --
        @precondition(lambda self: self.socks)
        @rule(data=st.data(), value=timeouts)
        def settimeout(self, data, value):
            sock, r = self.on_socket(data, "settimeout", expect_timeout(value), value)
            if r is None and (value is None or value is True or value > SHORT):
                self.keep_short(sock)

        @precondition(lambda self: self.socks)
        @rule(data=st.data(), flag=st.booleans())
        def setblocking(self, data, flag):
            sock, r = self.on_socket(data, "setblocking", None, flag)
            if flag:
                self.keep_short(sock)

        @precondition(lambda self: self.socks)
        @rule(data=st.data(), address=addresses)
        def connect(self, data, address):
            entry = self.pick(data)
            exp, gai = expect_address(address), False
            if exp is None:
                exp, gai = self.host_expect(entry, address)
            _sock, r = self.on_socket(data, "connect", exp, address, gai=gai, entry=entry)
            self.after_connect(entry, address, exp, r)

        def after_connect(self, entry, address, exp, r):
            """A failed or timed-out attempt closes the socket (contract); argument errors, an
            address that is no destination and the non-blocking answers do not."""
            if exp is not None or not isinstance(r, OSError) or isinstance(r, pool.gaierror):
                return
            if r.errno in (errno.EINPROGRESS, errno.EALREADY, errno.EISCONN, errno.EBADF):
                return
            if r.errno == errno.EHOSTUNREACH and address[0] in ("0.0.0.0", "::"):
                return
            entry[1] = True
            self.listening.pop(id(entry[0]), None)

        @precondition(lambda self: self.socks)
        @rule(data=st.data(), address=addresses)
        def bind(self, data, address):
            entry = self.pick(data)
            exp, gai = expect_address(address), False
            if exp is None:
                exp, gai = self.host_expect(entry, address, bind=True)
            sock, r = self.on_socket(data, "bind", exp, address, gai=gai, entry=entry)
            if r is None:
                self.listening[id(sock)] = address[1]

        @precondition(lambda self: self.socks)
        @rule(data=st.data(), backlog=ints)
        def listen(self, data, backlog):
            entry = self.pick(data)
            if isinstance(backlog, bool) or not isinstance(backlog, int):
                exp = Exactly(TypeError)
            elif entry[3] != 1:
                exp = Exactly(OSError, errno.EOPNOTSUPP)
            else:
                exp = None
            self.on_socket(data, "listen", exp, backlog, entry=entry)

        @precondition(lambda self: self.listening)
        @rule(data=st.data())
        def peer_connects(self, data):
            peers.knock(data.draw(st.sampled_from(sorted(self.listening.values()))))

        @precondition(lambda self: self.socks)
        @rule(data=st.data())
        def accept(self, data):
            entry = self.pick(data)
            exp = Exactly(OSError, errno.EOPNOTSUPP) if entry[3] != 1 else None
            _sock, r = self.on_socket(data, "accept", exp, entry=entry)
            if isinstance(r, tuple):
                new, addr = r
                assert isinstance(addr, tuple) and len(addr) >= 2
                self.socks.append([new, False, entry[2], 1])

        @precondition(lambda self: self.socks)
        @rule(data=st.data(), spec=buffers, bufsize=mostly(st.integers(-5, 70001), st.one_of(junk, HUGE)))
        def recv_into(self, data, spec, bufsize):
            exp = expect_buffer(spec, True)
            if exp is None and not is_int(bufsize):  # None too, as CircuitPython's int argument
                exp = Exactly(TypeError)
            if exp is None and is_int(bufsize) and bufsize > spec[1]:
                exp = Exactly(ValueError)
            _sock, r = self.on_socket(data, "recv_into", exp, make(spec), bufsize)
            if isinstance(r, int):
                assert 0 <= r <= (bufsize if is_int(bufsize) and bufsize > 0 else spec[1])

        @precondition(lambda self: self.socks)
        @rule(data=st.data(), spec=buffers)
        def recvfrom_into(self, data, spec):
            _sock, r = self.on_socket(data, "recvfrom_into", expect_buffer(spec, True), make(spec))
            if isinstance(r, tuple):
                assert 0 <= r[0] <= spec[1]

        @precondition(lambda self: self.socks)
        @rule(data=st.data(), spec=payloads, whole=st.booleans())
        def send(self, data, spec, whole):
            method = "sendall" if whole else "send"
            _sock, r = self.on_socket(data, method, expect_buffer(spec, False), make(spec))
            if isinstance(r, int):
                assert 0 <= r <= spec[1]

        @precondition(lambda self: self.socks)
        @rule(data=st.data(), spec=payloads, address=addresses)
        def sendto(self, data, spec, address):
            entry = self.pick(data)
            exp, gai = expect_buffer(spec, False), False
            if exp is None and entry[3] != 1:  # TCP ignores the address
                exp = expect_address(address)
                if exp is None:
                    exp, gai = self.host_expect(entry, address)
            self.on_socket(data, "sendto", exp, make(spec), address, gai=gai, entry=entry)

        @precondition(lambda self: self.socks)
        @rule(data=st.data(),
              level=mostly(st.sampled_from([0xFFF, 6, 0, 41, 1]), ints),
              opt=mostly(st.sampled_from([4, 1, 5, 8, 0x20, 99]), ints),
              value=st.one_of(st.integers(0, 300), st.booleans(), st.binary(max_size=8), junk, HUGE,
                              st.integers(-300, -1)))
        def setsockopt(self, data, level, opt, value):
            entry = self.pick(data)
            self.on_socket(data, "setsockopt", expect_option(entry[3], level, opt, value), level, opt, value,
                           entry=entry)

        @precondition(lambda self: local and len([e for e in self.socks if not e[1]]) >= 2)
        @rule(data=st.data())
        def two_threads_at_once(self, data):
            """Two sockets waiting at the same time in two threads (one socket each)."""
            live = [e for e in self.socks if not e[1]]
            a = data.draw(st.sampled_from(live))
            b = data.draw(st.sampled_from([e for e in live if e is not a]))
            box = {}

            def run(entry, key):
                box[key] = self.call(entry[0].recv_into, bytearray(64))

            threads = [threading.Thread(target=run, args=(e, k), daemon=True) for k, e in (("a", a), ("b", b))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
                assert not t.is_alive(), "a recv_into in a second thread did not end"
            outcomes[("second thread", "concurrent pairs")] += 1
            for k in ("a", "b"):
                self.judge("recv_into", box[k], None, args=("concurrent",))

        @precondition(lambda self: self.socks)
        @rule(data=st.data())
        def close(self, data):
            entry = self.pick(data)
            assert self.call(entry[0].close) is None  # never raises, idempotent
            entry[1] = True
            self.listening.pop(id(entry[0]), None)

        @precondition(lambda self: self.socks and finalisers)
        @rule(data=st.data())
        def forget(self, data):
            """Drop every reference without closing: the finaliser must give the slot back."""
            i = data.draw(st.integers(0, len(self.socks) - 1))
            sock = self.socks.pop(i)[0]
            self.listening.pop(id(sock), None)
            del sock

        @invariant()
        def slots_never_exceed_open_sockets(self):
            open_now = self.open_count()
            used = target.slots_in_use() - self.baseline
            assert used <= target.slots
            # forgotten sockets may hold a slot until garbage collection; closed ones never do.
            # A failed connect closes the socket itself (contract): fewer slots than "open" ones.
            if used > open_now:
                target.gc_collect()
                assert target.slots_in_use() - self.baseline <= open_now

        def teardown(self):
            for entry in self.socks:
                entry[0].close()
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
                print_blob=True,  # a CI failure prints @reproduce_failure(...) to replay it
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
