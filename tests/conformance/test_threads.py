"""Contract section 4, Threads: one socket used by two threads at once (one sending, one
receiving) moves every byte in order and ends; close() from another thread makes a call blocked
on the socket end with EBADF (within one wait slice); nothing crashes or hangs.

The threads run where the target's sockets are: the scenarios below are one source text (the
*board half*, ``BOARD``) in the subset of Python that CPython and MicroPython share, using only
``_thread``, ``time`` and the pool. On an in-process target it runs in this interpreter; on a remote
target (MicroPython, a board) it is sent once and called through the session, since the proxy
serialises calls and cannot block in two threads at once. Peers are the suite's loopback peers.

Every loop is bounded in count, every wait has a generous "it ended" bound; nothing asserts
elapsed time. A target without ``_thread`` skips.
"""

import errno
import os

import pytest

from . import peers
from .support import tcp_listener, udp_socket

# runs of the two-thread echo: a hang seen about once in 20 runs shows up in 60 runs with a
# probability of about 95 % (SOCKETPOOL_THREAD_RUNS overrides, e.g. for a soak)
ECHO_RUNS = int(os.environ.get("SOCKETPOOL_THREAD_RUNS", "60"))
ENDED_S = 20  # "it ended": far beyond what any case needs, far below the case timeout
BLOCK_S = 60  # the blocked call's own timeout: longer than ENDED_S, so EBADF cannot be a timeout

BOARD = r'''
import time as _spt_time
try:
    import _thread as _spt_thread
except ImportError:
    _spt_thread = None


def _spt_has_threads():
    return _spt_thread is not None


def _spt_no_second_core():
    """True on an RP2040 whose core 1 is missing: MicroPython's rp2 port starts a thread on core
    1 through the SIO FIFO and waits for core 1's answer, forever where there is none. rp2040js
    emulates core 0 only and reads the FIFO status as 0xffffffff (an RP2040 reads its reserved
    bits 4-31 as 0)."""
    import sys

    if sys.platform != "rp2":
        return False
    import machine

    return machine.mem32[0xD0000050] >> 4 != 0


def _spt_wait(st, key, seconds):
    """Wait (bounded: 100 steps per second) until st[key] is set; True when it was."""
    for _ in range(int(seconds * 100)):
        if st[key]:
            return True
        _spt_time.sleep(0.01)
    return bool(st[key])


_SPT_PERIOD = 251  # a prime: a byte out of place or lost shows in the next comparison


def _spt_ref(chunk):
    return bytes((i * 7 + 3) % 256 for i in range(_SPT_PERIOD)) * (chunk // _SPT_PERIOD + 2)


def _spt_two_threads(s, size, chunk, ended_s):
    """On connected TCP socket ``s`` (the far end echoes): this thread sendall()s ``size`` bytes
    in ``chunk``-byte pieces while a second thread recv_into()s the echo. Returns (sent,
    received, received intact, the receiver's error, the sender's error, the receiver ended)."""
    ref = _spt_ref(chunk)
    st = {"got": 0, "ok": True, "err": None, "done": False}

    def receive():
        buf = bytearray(chunk)
        got = 0
        try:
            for _ in range(size + 1):  # at least one byte per call until the end
                if got >= size:
                    break
                n = s.recv_into(buf)
                if n == 0:
                    break
                at = got % _SPT_PERIOD
                if buf[:n] != ref[at:at + n]:
                    st["ok"] = False
                got += n
        except Exception as e:  # reported to the test, never lost in the thread
            st["err"] = repr(e)
        st["got"] = got
        st["done"] = True

    _spt_thread.start_new_thread(receive, ())
    sent = 0
    serr = None
    try:
        while sent < size:
            at = sent % _SPT_PERIOD
            n = min(chunk, size - sent)
            s.sendall(ref[at:at + n])
            sent += n
    except Exception as e:
        serr = repr(e)
    ended = _spt_wait(st, "done", ended_s)
    if not ended:
        s.close()  # a stuck receiver must end too (EBADF): then wait for it
        _spt_wait(st, "done", ended_s)
    return (sent, st["got"], st["ok"], st["err"], serr, ended)


def _spt_echo(pool, host, port, size, chunk, ended_s):
    """_spt_two_threads on a connection to the echo peer at (host, port)."""
    s = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
    try:
        s.settimeout(ended_s)
        s.connect((host, port))
        return _spt_two_threads(s, size, chunk, ended_s)
    finally:
        s.close()


def _spt_self_echo(pool, first_port, size, chunk, ended_s):
    """_spt_two_threads where the echo is the target's own: a third thread serves a listener of
    the same pool on 127.0.0.1 (both ends of the connection in the target's stack)."""
    lst = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
    s = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
    st = {"done": False, "err": None, "echoed": 0}
    try:
        port = None
        for p in range(first_port, first_port + 20):
            try:
                lst.bind(("127.0.0.1", p))
                port = p
                break
            except OSError:
                pass
        if port is None:
            return "no free port from %d" % first_port
        lst.listen(1)
        lst.settimeout(ended_s)

        def serve():
            try:
                conn, _ = lst.accept()
                try:
                    conn.settimeout(ended_s)
                    buf = bytearray(chunk)
                    for _ in range(size + 1):
                        n = conn.recv_into(buf)
                        if n == 0:
                            break
                        conn.sendall(memoryview(buf)[:n])
                        st["echoed"] += n
                finally:
                    conn.close()
            except Exception as e:
                st["err"] = repr(e)
            st["done"] = True

        _spt_thread.start_new_thread(serve, ())
        s.settimeout(ended_s)
        s.connect(("127.0.0.1", port))
        r = _spt_two_threads(s, size, chunk, ended_s)
        s.close()  # the server's end of stream
        served = _spt_wait(st, "done", ended_s)
        return r + (served, st["err"], st["echoed"])
    finally:
        s.close()
        lst.close()
        if not st["done"]:
            _spt_wait(st, "done", ended_s)


def _spt_blocked_close(s, op, arg, ended_s):
    """Start ``op`` (a blocking call on socket ``s``) in a second thread, let it block, close
    ``s`` from this thread. Returns (the call ended, its errno or None, what it raised or
    returned)."""
    st = {"started": False, "done": False, "errno": None, "what": None}

    def call():
        st["started"] = True
        try:
            if op == "recv_into":
                st["what"] = s.recv_into(bytearray(16))
            elif op == "recvfrom_into":
                st["what"] = s.recvfrom_into(bytearray(16))
            elif op == "accept":
                r = s.accept()
                r[0].close()
                st["what"] = "accepted"
            elif op == "sendall":
                data = bytes(arg)
                for _ in range(64):  # until the peer's window and the stack's buffer are full
                    s.sendall(data)
                st["what"] = "sent everything"
        except OSError as e:
            st["errno"] = e.errno
            st["what"] = repr(e)
        except Exception as e:
            st["what"] = repr(e)
        st["done"] = True

    _spt_thread.start_new_thread(call, ())
    _spt_wait(st, "started", ended_s)
    _spt_time.sleep(0.3)  # let the call reach its wait (not a timing assertion)
    blocked = not st["done"]
    s.close()
    ended = _spt_wait(st, "done", ended_s)
    return (blocked, ended, st["errno"], st["what"])
'''


class Board:
    """The board half, callable the same way on every target."""

    def __init__(self, target):
        self.remote = target.remote
        if self.remote:
            target.session.exec_statements(BOARD)
            self.session = target.session
        else:
            self.ns = {"__name__": "_sp_threads"}
            exec(compile(BOARD, "<board half>", "exec"), self.ns)
        if not self.call("_spt_has_threads"):
            pytest.skip("target %s has no _thread" % target.name)
        if self.call("_spt_no_second_core"):
            pytest.skip("target %s has no core 1 for a second thread (rp2040js emulates core 0 only)"
                        % target.name)

    def call(self, name, *args):
        if self.remote:
            s = self.session
            return s.run("%s(%s)" % (name, ",".join(s.src(a) for a in args)))
        return self.ns[name](*args)


@pytest.fixture(scope="module")
def board(target):
    return Board(target)


# --- one socket, two threads ----------------------------------------------------------------
def assert_transfer(result, size):
    sent, got, intact, rerr, serr, ended = result[:6]
    assert serr is None, "the sending thread raised %s" % serr
    assert rerr is None, "the receiving thread raised %s" % rerr
    assert ended, "the receiving thread did not end"
    assert (sent, got) == (size, size)
    assert intact, "the echo came back changed or out of order"


def gated_echo(conn, peer):
    """Echo, but only once ``peer.go`` is set: until then the target's sender fills every buffer
    and waits for room while its receiver waits for data, on the one socket."""
    peer.go.wait(peers.JOIN)
    return peers.echo(conn, peer)


@pytest.mark.parametrize("run", range(ECHO_RUNS))
def test_two_threads_one_sends_one_receives_every_byte_echoed_in_order(board, pool, net4, run):
    size, chunk = 256 * 1024, 16 * 1024
    with peers.TcpPeer(net4.peer_host, peers.echo, rcvbuf=8192) as peer:
        result = board.call("_spt_echo", pool, net4.peer_host, peer.port, size, chunk, ENDED_S)
    assert_transfer(result, size)
    assert peer.result == size


@pytest.mark.parametrize("run", range(3))
def test_two_threads_both_waiting_on_one_socket_at_once(board, pool, net4, run):
    # more than any stack buffers: the sender waits for room for as long as the peer holds back
    size, chunk = 8 * 1024 * 1024, 64 * 1024
    with peers.TcpPeer(net4.peer_host, gated_echo, rcvbuf=8192) as peer:
        go = peers.run_later(0.5, peer.go.set)
        result = board.call("_spt_echo", pool, net4.peer_host, peer.port, size, chunk, ENDED_S)
        peers.join(go)
    assert_transfer(result, size)
    assert peer.result == size


@pytest.mark.parametrize("run", range(ECHO_RUNS // 2))
def test_two_threads_one_socket_echoed_by_the_targets_own_listener(board, pool, target, run):
    """Both ends in the target's stack (a board talking to itself: a local server and client).
    Big writes on both sides, so both receive windows close now and then."""
    size, chunk = 1024 * 1024, 256 * 1024
    result = board.call("_spt_self_echo", pool, 47100 + 20 * (run % 10), size, chunk, ENDED_S)
    assert not isinstance(result, str), result
    assert_transfer(result, size)
    served, serr, echoed = result[6:]
    assert served and serr is None, "the target's echo thread: ended %s, raised %s" % (served, serr)
    assert echoed == size


# --- close() from another thread ------------------------------------------------------------
def assert_ebadf(result):
    blocked, ended, code, what = result
    assert blocked, "the call did not block (%s): the case tests nothing" % (what,)
    assert ended, "the blocked call did not end after close() from another thread"
    assert code == errno.EBADF, "expected EBADF, got %s (%s)" % (errno.errorcode.get(code, code), what)


@pytest.fixture(params=[None, BLOCK_S], ids=["no-timeout", "timeout"])
def timeout(request):
    return request.param


def close_while_blocked_on_held_connection(board, pool, net4, timeout, method, nbytes):
    """``method`` blocked on a socket connected to a peer that neither sends nor reads, closed
    from another thread: what _spt_blocked_close saw."""
    with peers.TcpPeer(net4.peer_host, peers.holder) as peer:
        s = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
        s.settimeout(5)
        s.connect((net4.peer_host, peer.port))
        s.settimeout(timeout)
        return board.call("_spt_blocked_close", s, method, nbytes, ENDED_S)


def test_close_from_another_thread_ends_blocked_recv_into_with_ebadf(board, pool, net4, timeout):
    assert_ebadf(close_while_blocked_on_held_connection(board, pool, net4, timeout, "recv_into", 0))


def test_close_from_another_thread_ends_blocked_recvfrom_into_with_ebadf(board, pool, sockets, net4,
                                                                         timeout):
    s, _port = udp_socket(sockets, pool, net4)
    s.settimeout(timeout)
    assert_ebadf(board.call("_spt_blocked_close", s, "recvfrom_into", 0, ENDED_S))


def test_close_from_another_thread_ends_blocked_accept_with_ebadf(board, pool, sockets, net4, timeout):
    s, _port = tcp_listener(sockets, pool, net4)
    s.settimeout(timeout)
    assert_ebadf(board.call("_spt_blocked_close", s, "accept", 0, ENDED_S))


def test_close_from_another_thread_ends_blocked_sendall_with_ebadf(board, pool, net4, timeout):
    assert_ebadf(close_while_blocked_on_held_connection(board, pool, net4, timeout, "sendall", 256 * 1024))
