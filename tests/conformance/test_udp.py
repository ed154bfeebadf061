"""Contract section 4 over UDP: sendto, recvfrom_into, recv_into, connect, errors."""

import contextlib
import errno

import pytest

from . import peers
from .support import Net, need_heap, raises_errno, udp_socket


def test_sendto_returns_length_and_peer_gets_one_datagram(sockets, pool, net):
    s, port = udp_socket(sockets, pool, net)
    with peers.UdpPeer(net.peer_host) as peer:
        assert s.sendto(b"datagram", peer.addr) == 8
        data, addr = peer.sock.recvfrom(100)
    assert data == b"datagram"
    assert addr[1] == port


def test_recvfrom_into_returns_count_and_sender_address(sockets, pool, net):
    s, port = udp_socket(sockets, pool, net)
    with peers.UdpPeer(net.peer_host) as peer:
        peer.sock.sendto(b"hello", (net.target_host, port))
        buf = bytearray(32)
        n, addr = s.recvfrom_into(buf)
    assert n == 5 and bytes(buf[:5]) == b"hello"
    assert addr == (net.peer_host, peer.port)


@contextlib.contextmanager
def udp_socket_sent(sockets, pool, net, *datagrams):
    """A target UDP socket to which a peer has sent ``datagrams``, one sendto each (settled:
    queued at the target)."""
    s, port = udp_socket(sockets, pool, net)
    with peers.UdpPeer(net.peer_host) as peer:
        for d in datagrams:
            peer.sock.sendto(d, (net.target_host, port))
        peers.settle()
        yield s


def test_recvfrom_into_gives_one_datagram_per_call(sockets, pool, net4):
    with udp_socket_sent(sockets, pool, net4, b"one", b"two") as s:
        buf = bytearray(32)
        assert s.recvfrom_into(buf)[0] == 3 and bytes(buf[:3]) == b"one"
        assert s.recvfrom_into(buf)[0] == 3 and bytes(buf[:3]) == b"two"


def test_recvfrom_into_cuts_datagram_to_buffer_and_drops_the_rest(sockets, pool, net4):
    with udp_socket_sent(sockets, pool, net4, b"0123456789", b"next") as s:
        small = bytearray(4)
        assert s.recvfrom_into(small)[0] == 4 and bytes(small) == b"0123"
        buf = bytearray(32)
        n, _addr = s.recvfrom_into(buf)
        assert bytes(buf[:n]) == b"next"  # the rest of the first datagram is gone


def test_recv_into_on_udp_gives_one_datagram(sockets, pool, net4):
    with udp_socket_sent(sockets, pool, net4, b"first", b"second") as s:
        buf = bytearray(32)
        assert s.recv_into(buf) == 5
        assert s.recv_into(buf) == 6 and bytes(buf[:6]) == b"second"


def test_sendto_resolves_a_host_name(sockets, pool):
    # "localhost" is the target's own loopback (a board's, an lwIP's): both ends are the target's,
    # so this holds on every target, however it reaches this computer
    local = Net("ipv4", pool.AF_INET, "127.0.0.1", "127.0.0.1")
    receiver, port = udp_socket(sockets, pool, local)
    s, _port = udp_socket(sockets, pool, local)
    assert s.sendto(b"named", ("localhost", port)) == 5
    buf = bytearray(100)
    assert receiver.recvfrom_into(buf)[0] == 5 and bytes(buf[:5]) == b"named"


def test_sendto_too_big_raises_emsgsize(target, sockets, pool, net):
    need_heap(target, 70000, "a datagram beyond 65507")
    s, _port = udp_socket(sockets, pool, net)
    with peers.UdpPeer(net.peer_host) as peer:
        with raises_errno(errno.EMSGSIZE):
            s.sendto(bytes(70000), peer.addr)


@pytest.mark.parametrize("method", ["send", "sendall"])
def test_send_too_big_on_a_connected_udp_socket_raises_emsgsize(target, sockets, pool, net, method):
    # as sendto: a datagram is never cut, and the socket stays usable (found by the fuzzer)
    need_heap(target, 70000, "a datagram beyond 65507")
    s, _port = udp_socket(sockets, pool, net)
    with peers.UdpPeer(net.peer_host) as peer:
        s.connect(peer.addr)
        with raises_errno(errno.EMSGSIZE):
            getattr(s, method)(bytes(70000))
        assert s.send(b"after") == 5
        assert peer.sock.recvfrom(100)[0] == b"after"


def test_sendto_unresolvable_name_raises_gaierror(sockets, pool, net4):
    s, _port = udp_socket(sockets, pool, net4)
    with pytest.raises(pool.gaierror):
        s.sendto(b"x", ("x" * 64 + ".invalid", 9))


@pytest.mark.parametrize("address", [("127.0.0.1",), ("127.0.0.1", 9, 0)])
def test_sendto_address_of_wrong_length_raises_valueerror(sockets, pool, net4, address):
    s, _port = udp_socket(sockets, pool, net4)
    with pytest.raises(ValueError):
        s.sendto(b"x", address)


@pytest.mark.parametrize("address", ["127.0.0.1", ("127.0.0.1", "9"), (None, 9)])
def test_sendto_address_of_wrong_type_raises_typeerror(sockets, pool, net4, address):
    s, _port = udp_socket(sockets, pool, net4)
    with pytest.raises(TypeError):
        s.sendto(b"x", address)


def test_sendto_port_out_of_range_raises_valueerror(sockets, pool, net4):
    s, _port = udp_socket(sockets, pool, net4)
    with pytest.raises(ValueError):
        s.sendto(b"x", ("127.0.0.1", 65536))


def test_sendto_non_bytes_raises_typeerror(sockets, pool, net4):
    s, _port = udp_socket(sockets, pool, net4)
    with pytest.raises(TypeError):
        s.sendto("text", ("127.0.0.1", 9))


def test_recvfrom_into_unwritable_buffer_raises_typeerror(sockets, pool, net4):
    s, _port = udp_socket(sockets, pool, net4)
    with pytest.raises(TypeError):
        s.recvfrom_into(b"immutable")


def test_udp_send_without_connect_raises_brokenpipeerror(sockets, pool):
    s = sockets(pool.AF_INET, pool.SOCK_DGRAM)
    with pytest.raises(BrokenPipeError):
        s.send(b"x")


def test_udp_connect_then_send_reaches_the_peer(sockets, pool, net):
    s, _port = udp_socket(sockets, pool, net)
    with peers.UdpPeer(net.peer_host) as peer:
        assert s.connect(peer.addr) is None
        assert s.send(b"connected") == 9
        assert peer.sock.recvfrom(100)[0] == b"connected"


def test_unbound_udp_socket_can_sendto_and_get_the_reply(sockets, pool, net4):
    s = sockets(pool.AF_INET, pool.SOCK_DGRAM)
    s.settimeout(5)
    with peers.UdpPeer(net4.peer_host) as peer:
        s.sendto(b"ask", peer.addr)
        data, addr = peer.sock.recvfrom(100)
        peer.sock.sendto(b"answer", addr)
        buf = bytearray(16)
        n, from_addr = s.recvfrom_into(buf)
    assert bytes(buf[:n]) == b"answer"
    assert from_addr == peer.addr
