"""A timeout never fires early (issue 11): one case per blocking call.

Each call waits for something that does not come, with a timeout of WAIT seconds, and must
raise ETIMEDOUT no sooner than WAIT after it started. Only the lower bound is checked (measured
here, around the whole call, so a remote target's round trip only adds); that the call ended at
all is the ETIMEDOUT itself, within the case's generous pytest-timeout. WAIT is a few slices of
the engines' waits, so a deadline lost between slices or taken from a stale clock would show.
"""

import errno
import time

import pytest

from . import peers
from .support import bulk_bytes, fill_send_buffer, raises_errno, tcp_client, tcp_listener, udp_socket

WAIT = 0.35
SLACK = 0.005  # the deadline is kept in whole milliseconds; the clock here reads finer


def waited(call, *args):
    """Seconds ``call(*args)`` took to raise ETIMEDOUT."""
    start = time.monotonic()
    with raises_errno(errno.ETIMEDOUT):
        call(*args)
    return time.monotonic() - start


@pytest.mark.parametrize("call", ["recv_into", "recvfrom_into"])
def test_tcp_receive_timeout_does_not_fire_early(sockets, net4, call):
    with peers.TcpPeer(net4.peer_host, peers.holder) as peer:
        s = tcp_client(sockets, net4, peer)
        s.settimeout(WAIT)
        assert waited(getattr(s, call), bytearray(4)) >= WAIT - SLACK


def test_udp_recvfrom_into_timeout_does_not_fire_early(sockets, pool, net4):
    u, _port = udp_socket(sockets, pool, net4, timeout=WAIT)
    assert waited(u.recvfrom_into, bytearray(4)) >= WAIT - SLACK


def test_accept_timeout_does_not_fire_early(sockets, pool, net4):
    s, _port = tcp_listener(sockets, pool, net4, timeout=WAIT)
    assert waited(s.accept) >= WAIT - SLACK


def test_connect_timeout_does_not_fire_early(sockets, net4):
    with peers.StalledListener(net4.peer_host) as stalled:
        s = sockets(net4.af)
        s.settimeout(WAIT)
        assert waited(s.connect, stalled.addr) >= WAIT - SLACK


def test_sendall_timeout_does_not_fire_early(target, sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.holder, rcvbuf=4096) as peer:
        s = tcp_client(sockets, net4, peer)
        fill_send_buffer(s, bulk_bytes(target, 16384))
        s.settimeout(WAIT)
        assert waited(s.sendall, bytes(bulk_bytes(target, 1 << 20))) >= WAIT - SLACK
