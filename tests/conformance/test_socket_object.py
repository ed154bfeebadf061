"""Contract section 4: close, EBADF after close, the ``with`` form, hash/eq, ``type``."""

import errno

import pytest

from . import peers
from .support import bulk_bytes, raises_errno, tcp_client

ADDR = ("127.0.0.1", 9)

# every call that touches the connection, with arguments that would otherwise be valid
CALLS = {
    "connect": lambda s, p: s.connect(ADDR),
    "bind": lambda s, p: s.bind(("", 0)),
    "listen": lambda s, p: s.listen(1),
    "accept": lambda s, p: s.accept(),
    "recv_into": lambda s, p: s.recv_into(bytearray(4)),
    "recv_into_bufsize": lambda s, p: s.recv_into(bytearray(4), 2),
    "recvfrom_into": lambda s, p: s.recvfrom_into(bytearray(4)),
    "send": lambda s, p: s.send(b"x"),
    "sendall": lambda s, p: s.sendall(b"x"),
    "sendto": lambda s, p: s.sendto(b"x", ADDR),
    "setsockopt": lambda s, p: s.setsockopt(p.SOL_SOCKET, p.SO_REUSEADDR, 1),
}


@pytest.mark.parametrize("timeout", [None, 5, 0])
@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("type_name", ["SOCK_STREAM", "SOCK_DGRAM"])
def test_every_call_after_close_raises_ebadf_at_once(pool, type_name, call, timeout):
    s = pool.socket(pool.AF_INET, getattr(pool, type_name))
    s.settimeout(timeout)
    s.close()
    with raises_errno(errno.EBADF):
        CALLS[call](s, pool)


@pytest.mark.parametrize("call", sorted(CALLS))
def test_every_call_after_close_of_a_connected_socket_raises_ebadf(pool, sockets, net4, call):
    with peers.TcpPeer(net4.peer_host, peers.sender(b"queued", close=False)) as peer:
        s = tcp_client(sockets, net4, peer)
        peer.wait_sent()
        s.close()
        with raises_errno(errno.EBADF):
            CALLS[call](s, pool)


def test_call_after_close_of_a_reset_socket_raises_ebadf(pool, sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.resetter()) as peer:
        s = tcp_client(sockets, net4, peer)
        with raises_errno(errno.ECONNRESET):
            s.recv_into(bytearray(4))
        assert s.close() is None
        with raises_errno(errno.EBADF):
            s.recv_into(bytearray(4))


def test_close_returns_none_and_is_idempotent(pool):
    s = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
    assert s.close() is None
    assert s.close() is None
    assert s.close() is None


def test_close_frees_the_slot_once(pool, target):
    before = target.slots_in_use()
    s = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
    s.close()
    s.close()
    assert target.slots_in_use() == before


def test_close_is_graceful_peer_gets_all_data_then_end_of_stream(target, sockets, net):
    data = bytes(range(256)) * (bulk_bytes(target, 256 * 1024) // 256)
    with peers.TcpPeer(net.peer_host, peers.sink) as peer:
        s = tcp_client(sockets, net, peer)
        s.sendall(data)
        s.close()
    assert peer.result == data


def test_close_with_unsent_data_and_a_stalled_peer_returns(target, sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.holder, rcvbuf=4096) as peer:
        s = tcp_client(sockets, net4, peer)
        s.setblocking(False)
        for _ in range(100):
            try:
                s.send(bytes(bulk_bytes(target, 16384)))  # built on the target: sized to its heap
            except OSError as e:
                assert e.errno == errno.EAGAIN
                break
        before = target.slots_in_use()
        assert s.close() is None
        assert target.slots_in_use() == before - 1


def test_with_returns_the_socket_and_closes_it(pool, target):
    before = target.slots_in_use()
    s = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
    with s as entered:
        assert entered == s
    assert target.slots_in_use() == before
    with raises_errno(errno.EBADF):
        s.send(b"x")


def test_with_closes_on_exception_and_lets_it_through(pool, target):
    before = target.slots_in_use()
    with pytest.raises(KeyError):
        with pool.socket(pool.AF_INET, pool.SOCK_STREAM):
            raise KeyError("inside")
    assert target.slots_in_use() == before


def test_exit_takes_exception_arguments(pool):
    s = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
    s.__enter__()
    s.__exit__(None, None, None)
    with raises_errno(errno.EBADF):
        s.send(b"x")


def test_sockets_compare_and_hash_by_identity(pool):
    a = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
    b = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
    try:
        assert a == a and b == b
        assert a != b and not (a == b)
        assert hash(a) == hash(a)
        assert len({a, b, a}) == 2
        table = {a: "a", b: "b"}
        assert table[a] == "a" and table[b] == "b"
    finally:
        a.close()
        b.close()


def test_closed_socket_keeps_its_identity(pool):
    a = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
    h = hash(a)
    a.close()
    assert hash(a) == h and a == a


@pytest.mark.parametrize("type_name", ["SOCK_STREAM", "SOCK_DGRAM"])
def test_type_is_the_int_socket_type(pool, type_name):
    with pool.socket(pool.AF_INET, getattr(pool, type_name)) as s:
        assert s.type == getattr(pool, type_name)
        assert isinstance(s.type, int)


def test_type_is_read_only(pool):
    with pool.socket(pool.AF_INET, pool.SOCK_STREAM) as s:
        with pytest.raises(AttributeError):
            s.type = 2
        assert s.type == 1


def test_type_is_readable_after_close(pool):
    s = pool.socket(pool.AF_INET, pool.SOCK_DGRAM)
    s.close()
    assert s.type == pool.SOCK_DGRAM


def test_settimeout_and_setblocking_after_close_do_not_raise(pool):
    # decision (docs/contract-notes.md): they only store a value, as on CircuitPython and CPython
    s = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
    s.close()
    assert s.settimeout(1) is None
    assert s.setblocking(False) is None
