"""Contract section 3: SocketPool(radio) and socket()."""

import errno
import socket

import pytest

from . import peers
from .support import raises_errno, raw_icmp_socket


@pytest.fixture
def module_and_radio(target):
    """The target's socketpool module and wifi.radio (proxies of them on a remote target)."""
    return target.socketpool, target.radio


def test_socketpool_of_the_same_radio_is_the_same_pool(module_and_radio, pool):
    socketpool, radio = module_and_radio
    assert socketpool.SocketPool(radio) is socketpool.SocketPool(radio)


@pytest.mark.parametrize("radio", [None, 0, "wifi.radio", object()])
def test_socketpool_rejects_what_is_not_a_radio(module_and_radio, radio):
    socketpool, _radio = module_and_radio
    with pytest.raises(ValueError):
        socketpool.SocketPool(radio)


def test_new_socket_is_stream_by_default(sockets):
    s = sockets()
    assert s.type == 1


def test_socket_takes_family_type_and_proto(pool):
    s = pool.socket(pool.AF_INET, pool.SOCK_DGRAM, pool.IPPROTO_UDP)
    try:
        assert s.type == pool.SOCK_DGRAM
    finally:
        s.close()


def test_socket_takes_keywords(pool):
    s = pool.socket(family=pool.AF_INET, type=pool.SOCK_DGRAM, proto=0)
    try:
        assert s.type == pool.SOCK_DGRAM
    finally:
        s.close()


@pytest.mark.parametrize("family", [0, 1, 3, 17, 99])
def test_socket_with_unknown_family_raises_notimplementederror(pool, family):
    with pytest.raises(NotImplementedError):
        pool.socket(family, pool.SOCK_STREAM)


def test_socket_af_inet6_without_ipv6_raises_notimplementederror(target, pool):
    if target.engine_ipv6:  # the engine's IPv6 (a link without it still leaves the engine its sockets)
        pytest.skip("target %s has IPv6" % target.name)
    with pytest.raises(NotImplementedError):
        pool.socket(pool.AF_INET6, pool.SOCK_STREAM)


def test_socket_af_inet6_with_ipv6_is_created(target, pool):
    if not target.engine_ipv6:
        pytest.skip("target %s has no IPv6" % target.name)
    with pool.socket(pool.AF_INET6, pool.SOCK_DGRAM) as s:
        assert s.type == pool.SOCK_DGRAM


@pytest.mark.parametrize("type_", [0, 4, 5, 99])
def test_socket_with_unknown_type_raises_valueerror(pool, type_):
    with pytest.raises(ValueError):
        pool.socket(pool.AF_INET, type_)


def test_socket_raw_without_engine_support_raises_notimplementederror(target, pool):
    if target.raw:
        pytest.skip("target %s can make SOCK_RAW sockets" % target.name)
    with pytest.raises(NotImplementedError):
        pool.socket(pool.AF_INET, pool.SOCK_RAW, pool.IPPROTO_ICMP)


def test_socket_raw_is_created_or_says_eperm(target, pool):
    with raw_icmp_socket(target, pool) as s:  # EPERM (a host without the permission): skipped
        assert s.type == pool.SOCK_RAW


@pytest.mark.parametrize("bad", [("2",), (None,), (2.0,)])
def test_socket_with_non_int_family_raises_typeerror(pool, bad):
    with pytest.raises(TypeError):
        pool.socket(bad[0], 1)


def test_new_socket_is_blocking(pool, sockets, net4):
    # a blocking recv waits for a datagram that comes later (non-blocking would say EAGAIN)
    s = sockets(pool.AF_INET, pool.SOCK_DGRAM)
    port = peers.free_port(net4.target_host, socket.SOCK_DGRAM)
    s.bind((net4.target_host, port))
    with peers.UdpPeer(net4.peer_host) as peer:
        t = peer.send_later(b"later", (net4.target_host, port), delay=0.2)
        buf = bytearray(16)
        n, _addr = s.recvfrom_into(buf)
        peers.join(t)
    assert bytes(buf[:n]) == b"later"


def test_new_socket_is_not_connected(sockets):
    s = sockets()
    with pytest.raises(BrokenPipeError):
        s.send(b"x")
    with raises_errno(errno.ENOTCONN):
        s.recv_into(bytearray(4))
