"""Contract section 4: settimeout/setblocking, and the "timeout expires" and "non-blocking, not
ready" columns of every Socket row. Timeouts are short; the cases check the error, never the
elapsed time."""

import errno

import pytest

from . import peers
from .support import (assert_stalled_connect_raises, bulk_bytes, fill_send_buffer, raises_errno, tcp_client,
                      tcp_listener, udp_socket)

SHORT = 0.1


def waiting_client(sockets, net, peer, timeout):
    """A target client of ``peer`` (which sends nothing) with ``timeout`` set after connecting."""
    s = tcp_client(sockets, net, peer)
    s.settimeout(timeout)
    return s


# --- settimeout / setblocking ---------------------------------------------------------------
@pytest.mark.parametrize("value", [None, 0, 0.0, 1, 2.5, 0.0001])
def test_settimeout_takes_none_zero_int_and_float(sockets, value):
    assert sockets().settimeout(value) is None


def test_settimeout_negative_raises_valueerror(sockets):
    with pytest.raises(ValueError):
        sockets().settimeout(-1)
    with pytest.raises(ValueError):
        sockets().settimeout(-0.5)


@pytest.mark.parametrize("value", ["1", b"1", [1], object()])
def test_settimeout_not_a_number_raises_typeerror(sockets, value):
    with pytest.raises(TypeError):
        sockets().settimeout(value)


@pytest.mark.parametrize("value", [0.0001, 0.0000001])
def test_timeout_below_1ms_rounds_up_and_times_out(sockets, net4, value):
    with peers.TcpPeer(net4.peer_host, peers.holder) as peer:
        s = waiting_client(sockets, net4, peer, value)
        with raises_errno(errno.ETIMEDOUT):  # not EAGAIN: it did not become non-blocking
            s.recv_into(bytearray(4))


def test_timeout_error_is_oserror_etimedout_and_timeouterror(sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.holder) as peer:
        s = waiting_client(sockets, net4, peer, SHORT)
        with pytest.raises(TimeoutError) as info:
            s.recv_into(bytearray(4))
    assert isinstance(info.value, OSError)
    assert info.value.errno == errno.ETIMEDOUT


def test_setblocking_false_makes_calls_say_eagain(sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.holder) as peer:
        s = tcp_client(sockets, net4, peer)
        assert s.setblocking(False) is None
        with raises_errno(errno.EAGAIN):
            s.recv_into(bytearray(4))


def test_setblocking_true_makes_calls_wait(sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.delayed_sender(b"late", delay=0.2)) as peer:
        s = tcp_client(sockets, net4, peer)
        s.setblocking(False)
        assert s.setblocking(True) is None
        buf = bytearray(4)
        assert s.recv_into(buf) >= 1  # waited for the data instead of EAGAIN


def test_settimeout_none_after_timeout_blocks_again(sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.delayed_sender(b"late", delay=0.3)) as peer:
        s = tcp_client(sockets, net4, peer)
        s.settimeout(0.05)
        s.settimeout(None)
        assert s.recv_into(bytearray(4)) >= 1


def test_timeout_long_enough_returns_data(sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.delayed_sender(b"late", delay=0.1)) as peer:
        s = waiting_client(sockets, net4, peer, 5)
        assert s.recv_into(bytearray(4)) >= 1


# --- connect ------------------------------------------------------------------------------------
def test_connect_timeout_raises_etimedout(sockets, net):
    assert_stalled_connect_raises(sockets, net, SHORT, errno.ETIMEDOUT)


def test_connect_timeout_closes_the_socket_and_frees_its_slot(target, sockets, net4):
    # lead's decision (docs/contract-notes.md): a timed-out attempt is abandoned
    with peers.StalledListener(net4.peer_host) as stalled:
        s = sockets(net4.af)
        in_use = target.slots_in_use()
        s.settimeout(SHORT)
        with raises_errno(errno.ETIMEDOUT):
            s.connect(stalled.addr)
        assert target.slots_in_use() == in_use - 1
        with raises_errno(errno.EBADF):
            s.send(b"x")
        with raises_errno(errno.EBADF):
            s.connect(stalled.addr)


def test_connect_nonblocking_raises_einprogress(sockets, net):
    with peers.StalledListener(net.peer_host) as stalled:
        s = sockets(net.af)
        s.setblocking(False)
        with raises_errno(errno.EINPROGRESS):
            s.connect(stalled.addr)


# --- accept -------------------------------------------------------------------------------------
def test_accept_timeout_raises_etimedout(sockets, pool, net):
    s, _port = tcp_listener(sockets, pool, net, timeout=SHORT)
    with raises_errno(errno.ETIMEDOUT):
        s.accept()


def test_accept_nonblocking_without_pending_raises_eagain(sockets, pool, net4):
    s, _port = tcp_listener(sockets, pool, net4, timeout=0)
    with raises_errno(errno.EAGAIN):
        s.accept()


def test_accept_nonblocking_with_pending_connection_returns_it(sockets, pool, net4):
    s, port = tcp_listener(sockets, pool, net4, timeout=0)
    with peers.connect_to(net4.target_host, port):
        peers.settle()
        conn, _addr = s.accept()
        conn.close()


# --- recv_into / recvfrom_into -----------------------------------------------------------------
@pytest.mark.parametrize("call", ["recv_into", "recvfrom_into"])
def test_recv_timeout_raises_etimedout(sockets, net, call):
    with peers.TcpPeer(net.peer_host, peers.holder) as peer:
        s = waiting_client(sockets, net, peer, SHORT)
        with raises_errno(errno.ETIMEDOUT):
            getattr(s, call)(bytearray(4))


@pytest.mark.parametrize("call", ["recv_into", "recvfrom_into"])
def test_recv_nonblocking_without_data_raises_eagain(sockets, net, call):
    with peers.TcpPeer(net.peer_host, peers.holder) as peer:
        s = waiting_client(sockets, net, peer, 0)
        with raises_errno(errno.EAGAIN):
            getattr(s, call)(bytearray(4))


def test_recv_nonblocking_with_data_returns_it(sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.sender(b"ready", close=False)) as peer:
        s = waiting_client(sockets, net4, peer, 0)
        peer.wait_sent()
        buf = bytearray(8)
        assert s.recv_into(buf) == 5 and bytes(buf[:5]) == b"ready"


@pytest.mark.parametrize("call", ["recv_into", "recvfrom_into"])
def test_udp_recv_timeout_raises_etimedout(sockets, pool, net, call):
    s, _port = udp_socket(sockets, pool, net, timeout=SHORT)
    with raises_errno(errno.ETIMEDOUT):
        getattr(s, call)(bytearray(4))


@pytest.mark.parametrize("call", ["recv_into", "recvfrom_into"])
def test_udp_recv_nonblocking_raises_eagain(sockets, pool, net4, call):
    s, _port = udp_socket(sockets, pool, net4, timeout=0)
    with raises_errno(errno.EAGAIN):
        getattr(s, call)(bytearray(4))


# --- send / sendall / sendto ----------------------------------------------------------------------
def send_call(s, call, data, addr):
    if call == "sendto":
        return s.sendto(data, addr)
    return getattr(s, call)(data)


@pytest.mark.parametrize("call", ["send", "sendall", "sendto"])
def test_send_timeout_when_peer_reads_nothing_raises_etimedout(target, sockets, net, call):
    with peers.TcpPeer(net.peer_host, peers.holder, rcvbuf=4096) as peer:
        s = tcp_client(sockets, net, peer)
        fill_send_buffer(s, bulk_bytes(target, 16384))
        s.settimeout(SHORT)
        with raises_errno(errno.ETIMEDOUT):
            # a little room can free up after the fill (the peer's kernel compacts its queue; over
            # a slow target link that takes a call or two): send may accept it, then must wait
            for _ in range(20):
                send_call(s, call, bytes(bulk_bytes(target, 256 * 1024)), (net.peer_host, peer.port))


@pytest.mark.parametrize("call", ["send", "sendall", "sendto"])
def test_send_nonblocking_when_buffer_full_raises_eagain(target, sockets, net, call):
    with peers.TcpPeer(net.peer_host, peers.holder, rcvbuf=4096) as peer:
        s = tcp_client(sockets, net, peer)
        fill_send_buffer(s, bulk_bytes(target, 16384))
        with raises_errno(errno.EAGAIN):
            for _ in range(20):  # room freed after the fill may be taken first (see above)
                send_call(s, call, bytes(bulk_bytes(target, 65536)), (net.peer_host, peer.port))


def test_sendall_timeout_bounds_the_whole_call(target, sockets, net4):
    # the peer keeps reading a little, so every single wait ends well within the timeout; only a
    # deadline for the whole call stops sendall before the 4 MiB are through (about 20 s). A
    # board's heap holds far less: the peer then reads 1/16 as fast (the whole buffer still takes
    # seconds, each wait still ends within milliseconds)
    n = bulk_bytes(target, 4 << 20)
    if n < 16384:
        # the stack's send buffer and the peer's window hold it all: sendall never waits
        pytest.skip("target %s spares %d bytes for one buffer: too few to outlast the buffers "
                    "(a small board's fragmented heap, docs/emulated-pico-w.md)" % (target.name, n))
    reader = peers.trickle_reader if n == 4 << 20 else peers.slow_trickle_reader
    with peers.TcpPeer(net4.peer_host, reader, rcvbuf=4096) as peer:
        s = tcp_client(sockets, net4, peer)
        s.settimeout(0.3)
        with raises_errno(errno.ETIMEDOUT):
            s.sendall(bytes(n))
        s.close()
