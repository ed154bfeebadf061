"""Contract section 4 over TCP: results and "other errors" of every Socket row.

The "timeout expires" and "non-blocking, not ready" columns are in test_timeouts.py.
"""

import errno

import pytest

from . import peers
from .support import assert_echoed, bound_socket, bulk_bytes, raises_errno, tcp_client, tcp_listener

BROADCAST = "255.255.255.255"  # no stack routes a TCP connection to it; nothing is sent


# --- connect ------------------------------------------------------------------------------
def test_connect_returns_none_and_data_round_trips(sockets, net):
    with peers.TcpPeer(net.peer_host, peers.echo) as peer:
        s = sockets(net.af)
        s.settimeout(5)
        assert s.connect((net.peer_host, peer.port)) is None
        assert_echoed(s, b"hello")
        s.close()
        assert peer.result is None or peer.result == 5


def test_connect_takes_a_list_address(sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.closer) as peer:
        s = sockets(net4.af)
        s.settimeout(5)
        assert s.connect([net4.peer_host, peer.port]) is None


def test_connect_resolves_a_host_name(sockets, pool, net4):
    # "localhost" is the target's own loopback (a board's, an lwIP's), so the listener is the
    # target's too: this holds on every target, however it reaches this computer
    lst, port = tcp_listener(sockets, pool, net4)
    s = sockets(net4.af)
    s.settimeout(5)
    s.connect(("localhost", port))
    conn, _ = lst.accept()
    try:
        conn.settimeout(5)
        conn.send(b"named")
        buf = bytearray(8)
        assert s.recv_into(buf) == 5 and bytes(buf[:5]) == b"named"
    finally:
        conn.close()


def test_connect_to_unresolvable_name_raises_gaierror(pool, sockets):
    s = sockets()
    s.settimeout(1)
    with pytest.raises(pool.gaierror):
        s.connect(("x" * 64 + ".invalid", 80))


def test_connect_refused_raises_econnrefused(sockets, net):
    port = peers.free_port(net.peer_host)
    s = sockets(net.af)
    s.settimeout(5)
    with raises_errno(errno.ECONNREFUSED):
        s.connect((net.peer_host, port))


def test_connect_without_route_raises_ehostunreach(sockets, net4):
    s = sockets(net4.af)
    s.settimeout(5)
    with raises_errno(errno.EHOSTUNREACH):
        s.connect((BROADCAST, 9))


def test_connect_when_connected_raises_eisconn(sockets, net):
    with peers.TcpPeer(net.peer_host, peers.holder) as peer:
        s = tcp_client(sockets, net, peer)
        with raises_errno(errno.EISCONN):
            s.connect((net.peer_host, peer.port))


def test_connect_while_in_progress_raises_ealready(sockets, net4):
    with peers.StalledListener(net4.peer_host) as stalled:
        s = sockets(net4.af)
        s.setblocking(False)
        with raises_errno(errno.EINPROGRESS):
            s.connect(stalled.addr)
        with raises_errno(errno.EALREADY):
            s.connect(stalled.addr)


@pytest.mark.parametrize("address", [("127.0.0.1",), ("127.0.0.1", 80, 0), ()])
def test_address_of_wrong_length_raises_valueerror(sockets, address):
    s = sockets()
    with pytest.raises(ValueError):
        s.connect(address)


@pytest.mark.parametrize("address", ["127.0.0.1:80", ("127.0.0.1", "80"), (127, 80), None])
def test_address_of_wrong_type_raises_typeerror(sockets, address):
    s = sockets()
    with pytest.raises(TypeError):
        s.connect(address)


@pytest.mark.parametrize("port", [-1, 65536])
def test_address_port_out_of_range_raises_valueerror(sockets, port):
    s = sockets()
    with pytest.raises(ValueError):
        s.connect(("127.0.0.1", port))


# --- bind / listen / accept -------------------------------------------------------------
def test_bind_returns_none_and_listener_accepts(sockets, pool, net):
    s, port = tcp_listener(sockets, pool, net)
    with peers.connect_to(net.target_host, port) as client:
        conn, addr = s.accept()
        try:
            assert addr == tuple(client.getsockname()[:2])
            assert conn.type == pool.SOCK_STREAM
            client.sendall(b"ping")
            buf = bytearray(8)
            assert conn.recv_into(buf) == 4 and bytes(buf[:4]) == b"ping"
            conn.sendall(b"pong")
            assert client.recv(8) == b"pong"
        finally:
            conn.close()


def test_bind_to_a_port_in_use_raises_eaddrinuse(sockets, net4):
    port = peers.free_port(net4.target_host)
    a = sockets(net4.af)
    a.bind((net4.target_host, port))
    b = sockets(net4.af)
    with raises_errno(errno.EADDRINUSE):
        b.bind((net4.target_host, port))


@pytest.mark.parametrize("kind", ["SOCK_STREAM", "SOCK_DGRAM"])
def test_bind_to_an_address_the_machine_lacks_is_eaddrnotavail(target, pool, sockets, net4, kind):
    # TEST-NET-2 (RFC 5737) is no address of this machine nor of the link; bind sends nothing
    if target.engine.NAME == "micropython" and not target.engine.BIND_CHECKS_ADDRESS:
        pytest.skip("the MicroPython engine on lwIP firmware cannot tell its own addresses (lwIP "
                    "binds any; the firmware's socket lists no netif): a stated limit, "
                    "docs/contract-notes.md")
    s = sockets(pool.AF_INET, getattr(pool, kind))
    with raises_errno(errno.EADDRNOTAVAIL):
        s.bind(("198.51.100.7", 0))
    # the socket is still usable: the link's own address and the wildcard still bind
    t = sockets(pool.AF_INET, getattr(pool, kind))
    assert t.bind((net4.target_host, 0)) is None
    u = sockets(pool.AF_INET, getattr(pool, kind))
    assert u.bind(("0.0.0.0", 0)) is None


def test_bind_never_sets_so_reuseaddr_implicitly(pool, sockets, net4):
    # two bound, non-listening sockets may share a port only if both asked for SO_REUSEADDR
    port = peers.free_port(net4.target_host)
    a = sockets(net4.af)
    a.setsockopt(pool.SOL_SOCKET, pool.SO_REUSEADDR, 1)
    a.bind((net4.target_host, port))
    b = sockets(net4.af)
    with raises_errno(errno.EADDRINUSE):
        b.bind((net4.target_host, port))
    c = sockets(net4.af)
    c.setsockopt(pool.SOL_SOCKET, pool.SO_REUSEADDR, 1)
    assert c.bind((net4.target_host, port)) is None


def test_listen_requires_backlog(sockets):
    s = sockets()
    with pytest.raises(TypeError):
        s.listen()


@pytest.mark.parametrize("backlog", [-5, 0, 1000])
def test_listen_clamps_backlog_and_still_accepts(sockets, pool, net4, backlog):
    s, port = tcp_listener(sockets, pool, net4, backlog=backlog)
    with peers.connect_to(net4.target_host, port):
        conn, _addr = s.accept()
        conn.close()


def test_listen_on_udp_socket_raises_eopnotsupp(pool, sockets):
    s = sockets(pool.AF_INET, pool.SOCK_DGRAM)
    with raises_errno(errno.EOPNOTSUPP):
        s.listen(1)


def test_accept_when_not_listening_raises_einval(sockets, net4):
    s, _port = bound_socket(sockets, net4, timeout=1)
    with raises_errno(errno.EINVAL):
        s.accept()


# --- recv_into / recvfrom_into --------------------------------------------------------------
def test_recv_into_gathers_everything_queued(sockets, net):
    parts = [bytes([65 + i]) * 100 for i in range(5)]
    with peers.TcpPeer(net.peer_host, peers.sender(*parts, close=False)) as peer:
        s = tcp_client(sockets, net, peer)
        peer.wait_sent()
        buf = bytearray(1000)
        assert s.recv_into(buf) == 500
        assert bytes(buf[:500]) == b"".join(parts)


def test_recv_into_stops_at_bufsize(sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.sender(b"0123456789", close=False)) as peer:
        s = tcp_client(sockets, net4, peer)
        peer.wait_sent()
        buf = bytearray(10)
        assert s.recv_into(buf, 3) == 3
        assert bytes(buf[:3]) == b"012"
        assert s.recv_into(buf, 0) == 7  # 0: the whole buffer
        assert bytes(buf[:7]) == b"3456789"


@pytest.mark.parametrize("bufsize", [0, -1, None])
def test_recv_into_bufsize_zero_negative_or_omitted_means_len_buf(sockets, net4, bufsize):
    with peers.TcpPeer(net4.peer_host, peers.sender(b"abcdefgh", close=False)) as peer:
        s = tcp_client(sockets, net4, peer)
        peer.wait_sent()
        buf = bytearray(6)
        n = s.recv_into(buf) if bufsize is None else s.recv_into(buf, bufsize)
        assert n == 6 and bytes(buf) == b"abcdef"


def test_recv_into_accepts_memoryview(sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.sender(b"view", close=False)) as peer:
        s = tcp_client(sockets, net4, peer)
        buf = bytearray(8)
        n = s.recv_into(memoryview(buf)[2:])
        assert bytes(buf[2:2 + n]) == b"view"[:n] and n >= 1


def test_recv_into_bufsize_larger_than_buffer_raises_valueerror(sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.holder) as peer:
        s = tcp_client(sockets, net4, peer)
        with pytest.raises(ValueError):
            s.recv_into(bytearray(4), 5)


@pytest.mark.parametrize("buf", [b"immutable", "text"])
def test_recv_into_unwritable_buffer_raises_typeerror(sockets, net4, buf):
    with peers.TcpPeer(net4.peer_host, peers.holder) as peer:
        s = tcp_client(sockets, net4, peer)
        with pytest.raises(TypeError):
            s.recv_into(buf)


@pytest.mark.parametrize("mode", ["blocking", "timeout", "nonblocking"])
def test_recv_into_returns_0_after_peer_close_in_every_mode(sockets, net, mode):
    with peers.TcpPeer(net.peer_host, peers.sender(b"last")) as peer:
        s = tcp_client(sockets, net, peer)
        peer.close()  # the peer has sent and closed
        peers.settle()
        s.settimeout({"blocking": None, "timeout": 1, "nonblocking": 0}[mode])
        buf = bytearray(16)
        assert s.recv_into(buf) == 4
        assert s.recv_into(buf) == 0
        assert s.recv_into(buf) == 0  # every time it is asked


@pytest.mark.parametrize("call", ["recv_into", "recvfrom_into"])
def test_recv_after_reset_raises_econnreset(sockets, net, call):
    with peers.TcpPeer(net.peer_host, peers.resetter()) as peer:
        s = tcp_client(sockets, net, peer)
        with raises_errno(errno.ECONNRESET):
            getattr(s, call)(bytearray(16))


@pytest.mark.parametrize("call", ["recv_into", "recvfrom_into"])
def test_recv_never_connected_raises_enotconn(sockets, call):
    s = sockets()
    s.settimeout(1)
    with raises_errno(errno.ENOTCONN):
        getattr(s, call)(bytearray(4))


@pytest.mark.parametrize("call", ["recv_into", "recvfrom_into"])
def test_recv_on_listener_raises_enotconn(sockets, pool, net4, call):
    s, _port = tcp_listener(sockets, pool, net4, timeout=1)
    with raises_errno(errno.ENOTCONN):
        getattr(s, call)(bytearray(4))


def test_recvfrom_into_on_tcp_returns_count_and_peer_address(sockets, net):
    with peers.TcpPeer(net.peer_host, peers.sender(b"from", close=False)) as peer:
        s = tcp_client(sockets, net, peer)
        buf = bytearray(8)
        n, addr = s.recvfrom_into(buf)
        assert bytes(buf[:n]) == b"from"[:n] and n >= 1
        assert addr == (net.peer_host, peer.port)


def test_recvfrom_into_returns_0_after_peer_close(sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.closer) as peer:
        s = tcp_client(sockets, net4, peer)
        n, _addr = s.recvfrom_into(bytearray(8))
        assert n == 0


def test_recvfrom_into_bufsize_larger_than_buffer_raises_valueerror(sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.holder) as peer:
        s = tcp_client(sockets, net4, peer)
        with pytest.raises(ValueError):
            s.recvfrom_into(bytearray(4), 5)


def test_recvfrom_into_unwritable_buffer_raises_typeerror(sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.holder) as peer:
        s = tcp_client(sockets, net4, peer)
        with pytest.raises(TypeError):
            s.recvfrom_into(b"immutable")


# --- send / sendall / sendto ----------------------------------------------------------------
@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_send_returns_count_of_bytes_taken(sockets, net4, kind):
    data = b"x" * 1000
    with peers.TcpPeer(net4.peer_host, peers.sink) as peer:
        s = tcp_client(sockets, net4, peer)
        sent = 0
        for _ in range(100):
            n = s.send(kind(data[sent:]))
            assert 0 < n <= len(data) - sent
            sent += n
            if sent == len(data):
                break
        s.close()
    assert peer.result == data


def test_sendall_hands_every_byte_to_the_peer(target, sockets, net):
    data = bytes(range(256)) * (bulk_bytes(target, 1 << 20) // 256)  # 1 MiB (a board: what fits)
    with peers.TcpPeer(net.peer_host, peers.sink) as peer:
        s = tcp_client(sockets, net, peer, timeout=20)
        assert s.sendall(data) is None
        s.close()
    assert peer.result == data


def test_sendto_on_tcp_ignores_the_address(sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.sink) as peer:
        s = tcp_client(sockets, net4, peer)
        assert s.sendto(b"ignored address", ("127.0.0.2", 9)) == 15
        s.close()
    assert peer.result == b"ignored address"


@pytest.mark.parametrize("call", ["send", "sendall", "sendto"])
@pytest.mark.parametrize("data", ["text", 42, None, [1, 2]])
def test_send_of_non_bytes_raises_typeerror(sockets, net4, call, data):
    with peers.TcpPeer(net4.peer_host, peers.holder) as peer:
        s = tcp_client(sockets, net4, peer)
        with pytest.raises(TypeError):
            if call == "sendto":
                s.sendto(data, (net4.peer_host, peer.port))
            else:
                getattr(s, call)(data)


@pytest.mark.parametrize("call", ["send", "sendall", "sendto"])
def test_send_when_not_connected_raises_brokenpipeerror(sockets, call):
    s = sockets()
    s.settimeout(1)
    with pytest.raises(BrokenPipeError):
        if call == "sendto":
            s.sendto(b"x", ("127.0.0.1", 9))
        else:
            getattr(s, call)(b"x")


@pytest.mark.parametrize("call", ["send", "sendall", "sendto"])
def test_send_after_reset_raises_econnreset(sockets, net, call):
    with peers.TcpPeer(net.peer_host, peers.resetter()) as peer:
        s = tcp_client(sockets, net, peer, timeout=1)
        peer.close()  # the peer has reset
        with raises_errno(errno.ECONNRESET):
            # the reset may still be on its way: the first send can be accepted
            for _ in range(50):
                if call == "sendto":
                    s.sendto(b"x", (net.peer_host, peer.port))
                else:
                    getattr(s, call)(b"x")
                peers.settle(0.02)


# --- setsockopt -------------------------------------------------------------------------------
def test_setsockopt_reuseaddr_and_nodelay_on_tcp(pool, sockets):
    s = sockets()
    assert s.setsockopt(pool.SOL_SOCKET, pool.SO_REUSEADDR, 1) is None
    assert s.setsockopt(pool.IPPROTO_TCP, pool.TCP_NODELAY, 1) is None
    assert s.setsockopt(pool.IPPROTO_TCP, pool.TCP_NODELAY, True) is None
    assert s.setsockopt(pool.IPPROTO_TCP, pool.TCP_NODELAY, 0) is None


def test_setsockopt_multicast_ttl_and_reuseaddr_on_udp(pool, sockets):
    s = sockets(pool.AF_INET, pool.SOCK_DGRAM)
    assert s.setsockopt(pool.IPPROTO_IP, pool.IP_MULTICAST_TTL, 4) is None
    assert s.setsockopt(pool.SOL_SOCKET, pool.SO_REUSEADDR, 1) is None


def test_setsockopt_takes_bytes_like_value(pool, sockets):
    s = sockets()
    one = (1).to_bytes(4, "little")
    assert s.setsockopt(pool.SOL_SOCKET, pool.SO_REUSEADDR, one) is None
    assert s.setsockopt(pool.SOL_SOCKET, pool.SO_REUSEADDR, bytearray(one)) is None


@pytest.mark.parametrize("level,opt", [(0xFFF, 0x7777), (6, 0x7777), (0x7777, 1)])
def test_setsockopt_unsupported_option_raises_enoprotoopt(sockets, level, opt):
    s = sockets()
    with raises_errno(errno.ENOPROTOOPT):
        s.setsockopt(level, opt, 1)


@pytest.mark.parametrize("value", ["1", None, 1.5, [1]])
def test_setsockopt_bad_value_type_raises_typeerror(pool, sockets, value):
    s = sockets()
    with pytest.raises(TypeError):
        s.setsockopt(pool.SOL_SOCKET, pool.SO_REUSEADDR, value)
