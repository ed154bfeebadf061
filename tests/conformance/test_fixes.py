"""Contract section 5: each CircuitPython port bug the contract deliberately does not reproduce.

One case per row, named after the fix.
"""

import errno

import pytest

from . import peers
from .support import (assert_echoed, assert_stalled_connect_raises, bulk_bytes, fill_send_buffer, raises_errno,
                      tcp_client, tcp_listener, udp_socket)


def test_fix_blocking_send_waits_for_room_so_sendall_completes(target, sockets, net4):
    # espressif: EAGAIN from a blocking send with a full buffer made sendall fail part-way
    data = bytes(range(256)) * (bulk_bytes(target, 4 << 20) // 256)  # 4 MiB (a board: what fits)
    with peers.TcpPeer(net4.peer_host, peers.gated_reader, rcvbuf=4096) as peer:
        s = tcp_client(sockets, net4, peer)
        queued = fill_send_buffer(s, bulk_bytes(target, 16384))  # the peer reads nothing yet: no room at all
        s.setblocking(True)
        opener = peers.run_later(0.2, peer.go.set)  # the peer starts reading a bit later
        n = s.send(data)  # waits for room instead of EAGAIN
        peers.join(opener)
        assert 0 < n <= len(data)
        assert s.sendall(data) is None  # meets full buffers again and again, completes
        s.close()
    assert len(peer.result) == queued + n + len(data)
    assert peer.result[queued:queued + n] == data[:n]
    assert peer.result[queued + n:] == data


def test_fix_nonblocking_connect_raises_einprogress_and_socket_works_once_connected(sockets, net):
    # espressif: ETIMEDOUT, and the socket could never send
    with peers.TcpPeer(net.peer_host, peers.echo) as peer:
        s = sockets(net.af)
        s.setblocking(False)
        with raises_errno(errno.EINPROGRESS):
            s.connect((net.peer_host, peer.port))
        for _ in range(200):  # poll for completion through the public API, bounded
            try:
                s.connect((net.peer_host, peer.port))
            except OSError as e:
                if e.errno == errno.EISCONN:
                    break
                assert e.errno == errno.EALREADY, e
            peers.settle(0.01)
        else:
            pytest.fail("connect did not complete")
        s.settimeout(5)
        assert_echoed(s, b"works")
        s.close()


def test_fix_connect_timeout_raises_etimedout_not_einprogress(sockets, net4):
    # raspberrypi: EINPROGRESS
    assert_stalled_connect_raises(sockets, net4, 0.1, errno.ETIMEDOUT)


@pytest.mark.parametrize("mode", ["blocking", "nonblocking"])
def test_fix_refused_connect_raises_econnrefused_not_econnreset(sockets, net, mode):
    # both ports: ECONNRESET
    port = peers.free_port(net.peer_host)
    s = sockets(net.af)
    if mode == "blocking":
        s.settimeout(5)
        with raises_errno(errno.ECONNREFUSED):
            s.connect((net.peer_host, port))
        return
    s.setblocking(False)
    with raises_errno(errno.EINPROGRESS):
        s.connect((net.peer_host, port))
    peers.settle()
    with raises_errno(errno.ECONNREFUSED):  # the next connect reports the outcome
        s.connect((net.peer_host, port))


def test_fix_nonblocking_recv_at_end_of_stream_returns_0_not_enotconn(sockets, net4):
    # espressif: ENOTCONN
    with peers.TcpPeer(net4.peer_host, peers.closer) as peer:
        s = tcp_client(sockets, net4, peer)
        peer.close()
        peers.settle()
        s.setblocking(False)
        assert s.recv_into(bytearray(8)) == 0
        assert s.recvfrom_into(bytearray(8))[0] == 0


def test_fix_after_reset_every_call_raises_econnreset_not_ebadf(sockets, net4):
    # raspberrypi: EBADF after the first ECONNRESET
    with peers.TcpPeer(net4.peer_host, peers.resetter()) as peer:
        s = tcp_client(sockets, net4, peer, timeout=1)
        with raises_errno(errno.ECONNRESET):
            s.recv_into(bytearray(8))
        s.settimeout(None)  # blocking: nothing may wait on a reset socket
        for call in (lambda: s.recv_into(bytearray(8)), lambda: s.recvfrom_into(bytearray(8)),
                     lambda: s.send(b"x"), lambda: s.sendall(b"x")):
            with raises_errno(errno.ECONNRESET):
                call()
    s.close()  # never raises, even after a reset


def test_fix_recv_into_gathers_queued_segments_up_to_bufsize(sockets, net4):
    # raspberrypi: at most one segment per call
    parts = [bytes([48 + i]) * 50 for i in range(8)]
    with peers.TcpPeer(net4.peer_host, peers.sender(*parts, close=False)) as peer:
        s = tcp_client(sockets, net4, peer)
        peer.wait_sent()
        buf = bytearray(400)
        assert s.recv_into(buf, 120) == 120
        assert s.recv_into(buf) == 280
        assert bytes(buf[:280]) == b"".join(parts)[120:]


def test_fix_udp_socket_queues_at_least_4_datagrams(sockets, pool, net4):
    # raspberrypi: one datagram buffered per socket
    s, port = udp_socket(sockets, pool, net4, timeout=1)
    with peers.UdpPeer(net4.peer_host) as peer:
        for i in range(4):
            peer.sock.sendto(b"datagram %d" % i, (net4.target_host, port))
        peers.settle()
        buf = bytearray(32)
        for i in range(4):
            n, _addr = s.recvfrom_into(buf)
            assert bytes(buf[:n]) == b"datagram %d" % i


@pytest.mark.parametrize("timeout", [None, 0.1, 0])
def test_fix_accepted_socket_inherits_listener_timeout(sockets, pool, net4, timeout):
    # espressif: accepted sockets were non-blocking whatever the listener's timeout
    listener, port = tcp_listener(sockets, pool, net4, timeout=timeout)
    with peers.connect_to(net4.target_host, port) as client:
        peers.settle(0.1)  # pending, so even a non-blocking accept finds it
        conn, _addr = listener.accept()
        check_inherited(conn, client, timeout)


def check_inherited(conn, client, timeout):
    try:
        buf = bytearray(4)
        if timeout == 0:
            with raises_errno(errno.EAGAIN):
                conn.recv_into(buf)
        elif timeout is None:  # blocking: waits for data sent later
            t = peers.run_later(0.2, client.sendall, b"late")
            try:
                assert conn.recv_into(buf) >= 1
            finally:
                peers.join(t)
        else:
            with raises_errno(errno.ETIMEDOUT):
                conn.recv_into(buf)
    finally:
        conn.close()


def test_fix_listen_error_is_raised_not_ignored(pool, sockets):
    # espressif: listen errors were ignored
    s = sockets(pool.AF_INET, pool.SOCK_DGRAM)
    with raises_errno(errno.EOPNOTSUPP):
        s.listen(1)


def test_fix_calls_on_closed_socket_raise_ebadf_at_once_not_spin(sockets, net4):
    # espressif: operations on closed sockets spun forever
    with peers.TcpPeer(net4.peer_host, peers.holder) as peer:
        s = tcp_client(sockets, net4, peer, timeout=None)  # blocking: a wait would hang
        s.close()
        for call in (lambda: s.recv_into(bytearray(4)), lambda: s.send(b"x"),
                     lambda: s.accept(), lambda: s.connect((net4.peer_host, peer.port))):
            with raises_errno(errno.EBADF):
                call()


def test_fix_getaddrinfo_accepts_proto_keyword(pool):
    # shared layer: proto= was rejected
    result = pool.getaddrinfo("127.0.0.1", 80, proto=pool.IPPROTO_TCP)
    assert result[0][2] == pool.IPPROTO_TCP


def test_fix_timeout_below_1ms_rounds_up_not_nonblocking(sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.holder) as peer:
        s = tcp_client(sockets, net4, peer)
        s.settimeout(0.0004)
        with raises_errno(errno.ETIMEDOUT):
            s.recv_into(bytearray(4))


def test_fix_negative_timeout_raises_valueerror(sockets):
    with pytest.raises(ValueError):
        sockets().settimeout(-0.001)


def test_fix_failed_lookup_is_silent(pool, capfd):
    # raspberrypi: printed to the console
    with pytest.raises(pool.gaierror):
        pool.getaddrinfo("x" * 64 + ".invalid", 80)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_fix_setsockopt_on_closed_socket_raises_ebadf(pool, sockets):
    # raspberrypi: dereferenced NULL
    s = sockets()
    s.close()
    with raises_errno(errno.EBADF):
        s.setsockopt(pool.SOL_SOCKET, pool.SO_REUSEADDR, 1)
