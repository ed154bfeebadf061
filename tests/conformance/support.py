"""Helpers the conformance cases share (public socketpool API and peers only)."""

import collections
import contextlib
import errno
import socket

import pytest

from . import peers

Net = collections.namedtuple("Net", "name af peer_host target_host")


def bulk_bytes(target, want):
    """``want`` bytes, or what the target's heap can spare for one buffer if that is less (a
    board's heap is a few hundred KB: ``bulk_limit``, measured when the target is set up). A case
    that builds a big buffer on the target makes its point with what fits. A whole number of
    8-byte items: the buffer cases view it as arrays of up to 8-byte items (``d``), which drop a
    tail shorter than one item (27709 bytes as ``i`` items are 27708)."""
    limit = getattr(target, "bulk_limit", None)
    return min(want, limit - limit % 8) if limit else want


def need_heap(target, nbytes, what):
    """Skip where the target's free heap (measured at set-up) cannot hold ``what`` of ``nbytes``
    bytes and the copy the harness makes of it: a limit of a small board (a Pico W's firmware
    with the MicroPython engine has about 60 KB free), not of the contract."""
    free = getattr(target, "free_heap", None)
    if free and free < 2 * nbytes:
        pytest.skip("target %s has %d bytes of free heap: no room for %s of %d bytes"
                    % (target.name, free, what, nbytes))


def make_net(name, target, pool):
    if name == "ipv6" and not target.ipv6:
        pytest.skip("target %s has no IPv6 (contract section 6)" % target.name)
    peer_host, target_host = peers.loopback(name, target)
    af = pool.AF_INET6 if name == "ipv6" else pool.AF_INET
    return Net(name, af, peer_host, target_host)


@contextlib.contextmanager
def raises_errno(code):
    """Expect an OSError whose ``errno`` is ``code`` (compared by name via the errno module)."""
    with pytest.raises(OSError) as info:
        yield info
    got = info.value.errno
    assert got == code, "expected OSError %s, got %r (errno %s)" % (
        errno.errorcode.get(code, code), info.value, errno.errorcode.get(got, got))


def raw_icmp_socket(target, pool):
    """A SOCK_RAW ICMP socket; skips where the target has none or this process may not make one
    (EPERM, a host without the permission); any other OSError fails."""
    if not target.raw:
        pytest.skip("target %s has no SOCK_RAW" % target.name)
    try:
        return pool.socket(pool.AF_INET, pool.SOCK_RAW, pool.IPPROTO_ICMP)
    except OSError as e:
        assert e.errno == errno.EPERM, e
        pytest.skip("no raw socket for this process: %r" % (e,))


def assert_stalled_connect_raises(sockets, net, timeout, code):
    """connect() with ``timeout`` set, to a listener that never answers the SYN
    (peers.StalledListener), raises OSError ``code``."""
    with peers.StalledListener(net.peer_host) as stalled:
        s = sockets(net.af)
        s.settimeout(timeout)
        with raises_errno(code):
            s.connect(stalled.addr)


def assert_echoed(s, data):
    """``data`` sent on ``s``, connected to a peers.echo peer, comes back whole (in at most 5
    reads)."""
    s.sendall(data)
    buf = bytearray(len(data))
    got = 0
    for _ in range(5):
        got += s.recv_into(memoryview(buf)[got:])
        if got == len(data):
            break
    assert bytes(buf) == data


def tcp_client(sockets, net, peer, timeout=5):
    """A target TCP socket connected to ``peer`` (a peers.TcpPeer), with ``timeout``."""
    s = sockets(net.af)
    s.settimeout(timeout)
    s.connect((net.peer_host, peer.port))
    peer.connected.set()
    return s


def bound_socket(sockets, net, kind=None, host=None, timeout=5):
    """A target socket of ``kind`` (default TCP) bound to a port that is free on ``host`` (default
    the target's address); returns (socket, port). The port is probed on this computer, and the
    target's stack may still hold it (lwIP's TIME_WAIT of an earlier case): EADDRINUSE is retried."""
    host = net.target_host if host is None else host
    os_kind = socket.SOCK_DGRAM if kind == 2 else socket.SOCK_STREAM
    for _ in range(5):
        port = peers.free_port(net.target_host, os_kind)
        s = sockets(net.af) if kind is None else sockets(net.af, kind)
        try:
            s.bind((host, port))
        except OSError as e:
            s.close()
            if e.errno == errno.EADDRINUSE:
                continue  # somebody took the port between the probe and the bind
            raise
        s.settimeout(timeout)
        return s, port
    raise AssertionError("no free port found for a target socket")


def tcp_listener(sockets, pool, net, backlog=2, timeout=5):
    """A listening target TCP socket and the port the peer reaches it on."""
    s, port = bound_socket(sockets, net, host="", timeout=timeout)
    s.listen(backlog)
    return s, port


def udp_socket(sockets, pool, net, timeout=5):
    """A target UDP socket bound to a free loopback port; returns (socket, port)."""
    return bound_socket(sockets, net, pool.SOCK_DGRAM, timeout=timeout)


def fill_send_buffer(sock, chunk=16384, rounds=50, per_round=2000):
    """Send on non-blocking ``sock`` until the stack holds no more (the peer is not reading).
    ``chunk``: bytes per send; on a board ``bulk_bytes(target, 16384)`` (the chunk is built there).

    Repeats until a round's first send already says EAGAIN, since acknowledged data frees room
    for a moment after the first EAGAIN. Returns the bytes accepted. Bounded in count.
    """
    sock.setblocking(False)
    data = bytes(chunk)
    total = 0
    for _ in range(rounds):
        first = True
        for _ in range(per_round):
            try:
                total += sock.send(data)
            except OSError as e:
                assert e.errno == errno.EAGAIN, "filling the send buffer: %r" % (e,)
                break
            first = False
        else:
            raise AssertionError("send buffer never filled (%d bytes)" % total)
        if first:
            return total
        peers.settle(0.05)
    raise AssertionError("send buffer kept draining (%d bytes)" % total)
