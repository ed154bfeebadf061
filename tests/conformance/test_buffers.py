"""Buffers are sized in bytes (contract section 4, "Buffers"; issue 11 item 1).

Every call that takes a buffer counts it in bytes, as CircuitPython does: an ``array.array('i')``
or a ``memoryview`` cast to ``'I'`` is ``len() * itemsize`` bytes, never ``len()``. A buffer that
must be written to and cannot be (bytes, a read-only memoryview) is TypeError, and nothing queued
is lost by the refused call. The odd buffers are made on the target (``target.buffer``): a remote
proxy passes only bytes and bytearray by value.
"""

import errno

import pytest

from . import peers
from .support import bulk_bytes, raises_errno, tcp_client, udp_socket

# (kind, typecode): array.array, a memoryview of one, a bytearray's memoryview.cast (MicroPython
# has no cast: a memoryview of an array there)
WIDE = [("array", "i"), ("memoryview", "I"), ("cast", "I"), ("array", "h"), ("array", "d")]
WIDE_IDS = ["%s-%s" % k for k in WIDE]


def pattern(n):
    return bytes((i * 7 + 3) & 255 for i in range(n))


@pytest.mark.parametrize("kind,tc", WIDE, ids=WIDE_IDS)
def test_sendall_sends_every_byte_of_a_wide_item_buffer(target, sockets, net4, kind, tc):
    data = pattern(bulk_bytes(target, 2 * 1024 * 1024))  # on a board: what its heap spares
    buf = target.buffer(kind, tc, data)
    with peers.TcpPeer(net4.peer_host, peers.sink) as peer:
        s = tcp_client(sockets, net4, peer, timeout=20)
        assert s.sendall(buf) is None
        s.close()
    assert len(peer.result) == len(data)
    assert peer.result == data


@pytest.mark.parametrize("kind,tc", WIDE, ids=WIDE_IDS)
def test_send_returns_a_byte_count(target, sockets, net4, kind, tc):
    data = pattern(64)
    buf = target.buffer(kind, tc, data)
    with peers.TcpPeer(net4.peer_host, peers.sink) as peer:
        s = tcp_client(sockets, net4, peer)
        assert s.send(buf) == 64  # 64 bytes always fit an empty send buffer
        s.close()
    assert peer.result == data


@pytest.mark.parametrize("kind,tc", WIDE[:3], ids=WIDE_IDS[:3])
def test_recv_into_counts_bytes_of_a_wide_item_buffer(target, sockets, net4, kind, tc):
    with peers.TcpPeer(net4.peer_host, peers.sender(b"0123456789", close=False)) as peer:
        s = tcp_client(sockets, net4, peer)
        peer.wait_sent()
        buf = target.buffer(kind, tc, bytes(16))  # 4 items of 4 bytes
        assert s.recv_into(buf) == 10
        assert target.buffer_bytes(buf) == b"0123456789" + bytes(6)


def test_recv_into_bufsize_is_in_bytes(target, sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.sender(b"0123456789", close=False)) as peer:
        s = tcp_client(sockets, net4, peer)
        peer.wait_sent()
        buf = target.buffer("array", "i", bytes(16))
        with pytest.raises(ValueError):
            s.recv_into(buf, 17)  # more than the 16 bytes the array holds
        assert s.recv_into(buf, 6) == 6  # part of an item: bytes, not items
        assert target.buffer_bytes(buf)[:6] == b"012345"
        assert s.recv_into(buf, 16) == 4
        assert target.buffer_bytes(buf)[:4] == b"6789"


@pytest.mark.parametrize("kind,tc", WIDE[:3], ids=WIDE_IDS[:3])
def test_recvfrom_into_counts_bytes_of_a_wide_item_buffer(target, sockets, pool, net4, kind, tc):
    s, port = udp_socket(sockets, pool, net4)
    with peers.UdpPeer(net4.peer_host) as peer:
        peer.sock.sendto(b"0123456789", (net4.target_host, port))
        buf = target.buffer(kind, tc, bytes(16))
        n, addr = s.recvfrom_into(buf)
        assert n == 10
        assert addr == (net4.peer_host, peer.port)
        assert target.buffer_bytes(buf) == b"0123456789" + bytes(6)
        # a datagram longer than the buffer is cut at its byte size (16), not its item count (4)
        peer.sock.sendto(pattern(40), (net4.target_host, port))
        assert s.recvfrom_into(buf)[0] == 16
        assert target.buffer_bytes(buf) == pattern(16)


def test_recv_into_on_udp_counts_bytes(target, sockets, pool, net4):
    s, port = udp_socket(sockets, pool, net4)
    with peers.UdpPeer(net4.peer_host) as peer:
        peer.sock.sendto(b"0123456789", (net4.target_host, port))
        buf = target.buffer("array", "i", bytes(16))
        assert s.recv_into(buf) == 10
        assert target.buffer_bytes(buf)[:10] == b"0123456789"


@pytest.mark.parametrize("kind,tc", WIDE, ids=WIDE_IDS)
def test_sendto_sends_one_datagram_of_every_byte(target, sockets, pool, net4, kind, tc):
    s, _port = udp_socket(sockets, pool, net4)
    data = pattern(48)
    buf = target.buffer(kind, tc, data)
    with peers.UdpPeer(net4.peer_host) as peer:
        assert s.sendto(buf, peer.addr) == 48
        got, _addr = peer.sock.recvfrom(100)
    assert got == data


def test_sendall_takes_a_read_only_memoryview(target, sockets, net4):
    data = pattern(bulk_bytes(target, 10000))  # made on the target, and copied there
    with peers.TcpPeer(net4.peer_host, peers.sink) as peer:
        s = tcp_client(sockets, net4, peer)
        s.sendall(target.buffer("readonly", "B", data))
        s.close()
    assert peer.result == data


@pytest.mark.parametrize("call", ["recv_into", "recvfrom_into"])
@pytest.mark.parametrize("kind", ["bytes", "readonly"])
def test_receive_into_a_read_only_buffer_is_type_error_and_loses_nothing(
        target, sockets, net4, call, kind):
    with peers.TcpPeer(net4.peer_host, peers.sender(b"0123456789", close=False)) as peer:
        s = tcp_client(sockets, net4, peer)
        peer.wait_sent()
        buf = bytes(16) if kind == "bytes" else target.buffer("readonly", "B", bytes(16))
        with pytest.raises(TypeError):
            getattr(s, call)(buf)
        with pytest.raises(TypeError):
            getattr(s, call)(buf, 4)
        out = bytearray(16)
        assert s.recv_into(out) == 10  # the refused calls took nothing
        assert bytes(out[:10]) == b"0123456789"


def test_recvfrom_into_a_read_only_buffer_on_udp_is_type_error(target, sockets, pool, net4):
    s, port = udp_socket(sockets, pool, net4)
    with peers.UdpPeer(net4.peer_host) as peer:
        peer.sock.sendto(b"kept", (net4.target_host, port))
        peers.settle()
        with pytest.raises(TypeError):
            s.recvfrom_into(target.buffer("readonly", "B", bytes(8)))
        buf = bytearray(8)
        assert s.recvfrom_into(buf)[0] == 4 and bytes(buf[:4]) == b"kept"


@pytest.mark.parametrize("call", ["send", "sendall"])
def test_send_of_a_non_buffer_is_type_error(sockets, net4, call):
    with peers.TcpPeer(net4.peer_host, peers.sink) as peer:
        s = tcp_client(sockets, net4, peer)
        for bad in ("text", 5, None, [1, 2]):
            with pytest.raises(TypeError):
                getattr(s, call)(bad)
        s.sendall(b"ok")
        s.close()
    assert peer.result == b"ok"


def test_recvfrom_into_an_empty_buffer_on_an_unconnected_tcp_socket(sockets):
    """Found by the fuzzer's oracle: the MicroPython engine failed with an internal TypeError
    (no peer to name) instead of the contract's ENOTCONN."""
    s = sockets()
    s.settimeout(0.1)
    with raises_errno(errno.ENOTCONN):
        s.recvfrom_into(bytearray(0))
