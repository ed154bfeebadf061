"""Contract section 3: the fixed number of socket slots, exhaustion and recovery."""

import contextlib
import errno
import gc

import pytest

from . import peers
from .support import tcp_listener


@contextlib.contextmanager
def taken_slots(pool, target, leave=0):
    """Take every free slot but ``leave`` (with TCP sockets: on a Pico W firmware the mDNS
    responder holds one of lwIP's UDP PCBs, so UDP runs out one short of the slots); closes them
    all afterwards. A stack with fewer PCBs than the engine has slots says "Out of sockets" first
    (the contract's error, from the stack): the slot cases cannot run there, a stated limit."""
    held = []
    try:
        for _ in range(target.slots):
            if target.slots - target.slots_in_use() <= leave:
                break
            try:
                held.append(pool.socket(pool.AF_INET, pool.SOCK_STREAM))
            except RuntimeError as e:
                if str(e) != "Out of sockets":
                    raise
                pytest.skip("the target's stack ran out of sockets at %d of the engine's %d slots "
                            "(fewer lwIP PCBs than slots: the MicroPython engine on Pico W firmware)"
                            % (len(held), target.slots))
        assert target.slots - target.slots_in_use() == leave
        yield held
    finally:
        for s in held:
            s.close()


@contextlib.contextmanager
def automatic_gc_off(target):
    """Only the pool's own gc pass may free a cycle (MicroPython collects only when asked)."""
    enabled = gc.isenabled()
    if not target.remote:
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def needs_finalisers(target):
    """A forgotten socket gives its slot back only where the gc finalises it."""
    if getattr(target, "engine_name", None) == "micropython":
        pytest.skip(
            "MicroPython engine (stock firmware): MicroPython runs no __del__ of Python classes and "
            "the unix port's sockets have no finaliser, so a forgotten socket keeps its slot until "
            "closed (docs/engine-micropython.md)"
        )


def out_of_sockets(info):
    assert str(info.value) == "Out of sockets"


def test_socket_when_no_slot_is_free_raises_out_of_sockets(pool, target):
    with taken_slots(pool, target):
        with pytest.raises(RuntimeError) as info:
            pool.socket(pool.AF_INET, pool.SOCK_STREAM)
        out_of_sockets(info)


def test_closing_a_socket_gives_its_slot_back(pool, target):
    with taken_slots(pool, target) as held:
        held[0].close()
        s = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
        assert target.slots_in_use() == target.slots
        s.close()
        assert target.slots_in_use() == target.slots - 1


def test_with_block_gives_the_slot_back(pool, target):
    before = target.slots_in_use()
    with pool.socket(pool.AF_INET, pool.SOCK_STREAM):
        assert target.slots_in_use() == before + 1
    assert target.slots_in_use() == before


def test_failed_socket_calls_take_no_slot(pool, target):
    before = target.slots_in_use()
    for family, type_, error in [(99, 1, NotImplementedError), (2, 99, ValueError)]:
        with pytest.raises(error):
            pool.socket(family, type_)
    assert target.slots_in_use() == before


def test_raw_socket_refused_takes_no_slot(pool, target):
    if not target.raw:
        pytest.skip("target %s has no SOCK_RAW" % target.name)
    before = target.slots_in_use()
    try:
        pool.socket(pool.AF_INET, pool.SOCK_RAW, pool.IPPROTO_ICMP).close()
    except OSError as e:
        assert e.errno == errno.EPERM, e
    assert target.slots_in_use() == before


def test_unreferenced_socket_is_collected_when_slots_run_out(pool, target):
    needs_finalisers(target)
    with taken_slots(pool, target, leave=1):
        with automatic_gc_off(target):
            pool.socket(pool.AF_INET, pool.SOCK_DGRAM)  # dropped at once
            s = pool.socket(pool.AF_INET, pool.SOCK_DGRAM)
        s.close()


def test_socket_kept_alive_only_by_a_cycle_is_freed_by_the_gc_pass(pool, target):
    needs_finalisers(target)
    with taken_slots(pool, target, leave=1):
        with automatic_gc_off(target):
            leaked = pool.socket(pool.AF_INET, pool.SOCK_DGRAM)
            target.leak_in_cycle(leaked)
            del leaked
            assert target.slots_in_use() == target.slots  # nothing has freed it yet
            s = pool.socket(pool.AF_INET, pool.SOCK_DGRAM)  # the gc pass closes the cycle
        assert target.slots_in_use() == target.slots
        s.close()


def test_accept_when_no_slot_is_free_raises_out_of_sockets_and_closes_the_connection(
        pool, target, sockets, net4):
    listener, port = tcp_listener(sockets, pool, net4)
    with taken_slots(pool, target):
        with peers.connect_to(net4.target_host, port) as client:
            with pytest.raises(RuntimeError) as info:
                listener.accept()
            out_of_sockets(info)
            assert peers.sees_eof_or_reset(client), "the refused connection was left open"
        assert target.slots_in_use() == target.slots
    # recovery: with a slot free the next connection is accepted
    with peers.connect_to(net4.target_host, port) as client:
        conn, _addr = listener.accept()
        client.sendall(b"after")
        buf = bytearray(8)
        assert conn.recv_into(buf) >= 1
        conn.close()


def test_accept_at_exhaustion_collects_a_cycle_socket_first(pool, target, sockets, net4):
    needs_finalisers(target)
    listener, port = tcp_listener(sockets, pool, net4)
    with taken_slots(pool, target, leave=1):
        with automatic_gc_off(target):
            leaked = pool.socket(pool.AF_INET, pool.SOCK_DGRAM)
            target.leak_in_cycle(leaked)
            del leaked
            with peers.connect_to(net4.target_host, port):
                conn, _addr = listener.accept()
        assert target.slots_in_use() == target.slots
        conn.close()


def test_accepted_socket_takes_a_slot(pool, target, sockets, net4):
    listener, port = tcp_listener(sockets, pool, net4)
    before = target.slots_in_use()
    with peers.connect_to(net4.target_host, port):
        conn, _addr = listener.accept()
        assert target.slots_in_use() == before + 1
        conn.close()
    assert target.slots_in_use() == before


def test_socket_after_exhaustion_and_recovery_works_for_traffic(pool, target, net4):
    with taken_slots(pool, target) as held:
        with pytest.raises(RuntimeError):
            pool.socket(pool.AF_INET, pool.SOCK_STREAM)
        held.pop().close()
        with peers.TcpPeer(net4.peer_host, peers.echo) as peer:
            with pool.socket(pool.AF_INET, pool.SOCK_STREAM) as s:
                s.settimeout(5)
                s.connect((net4.peer_host, peer.port))
                s.sendall(b"ok")
                buf = bytearray(2)
                assert s.recv_into(buf) >= 1

