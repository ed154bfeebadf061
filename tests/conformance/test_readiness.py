"""Contract section 7: a pool socket works with CPython's ``select`` and ``selectors``.

These use the target's sockets directly in this process (fileno()), so they run on local
targets only; on MicroPython the same promise is about ``select.poll()`` on the VM.
"""

import select
import selectors

import pytest

from . import peers
from .support import tcp_client, tcp_listener, udp_socket

pytestmark = pytest.mark.usefixtures("local_only")

WAIT = 2.0  # upper bound of every readiness wait


def readable(s, timeout=WAIT):
    r, _w, _x = select.select([s], [], [], timeout)
    return s in r


def writable(s, timeout=WAIT):
    _r, w, _x = select.select([], [s], [], timeout)
    return s in w


def test_fileno_is_a_descriptor_select_accepts(sockets):
    s = sockets()
    assert isinstance(s.fileno(), int) and s.fileno() >= 0
    select.select([s], [s], [s], 0)


def test_select_reports_not_readable_without_data(sockets, net):
    with peers.TcpPeer(net.peer_host, peers.holder) as peer:
        s = tcp_client(sockets, net, peer)
        assert not readable(s, 0)


def test_select_reports_readable_when_data_arrives(sockets, net):
    with peers.TcpPeer(net.peer_host, peers.delayed_sender(b"data", delay=0.1)) as peer:
        s = tcp_client(sockets, net, peer)
        assert readable(s)
        assert s.recv_into(bytearray(4)) >= 1


def test_select_reports_readable_at_end_of_stream(sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.closer) as peer:
        s = tcp_client(sockets, net4, peer)
        assert readable(s)
        assert s.recv_into(bytearray(4)) == 0


def test_select_reports_listener_readable_with_pending_connection(sockets, pool, net):
    s, port = tcp_listener(sockets, pool, net)
    assert not readable(s, 0)
    with peers.connect_to(net.target_host, port):
        assert readable(s)
        conn, _addr = s.accept()
        conn.close()


def test_select_reports_writable_when_connected(sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.holder) as peer:
        s = tcp_client(sockets, net4, peer)
        assert writable(s)


def test_select_reports_writable_once_nonblocking_connect_completes(sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.holder) as peer:
        s = sockets(net4.af)
        s.setblocking(False)
        try:
            s.connect((net4.peer_host, peer.port))
        except OSError:
            pass
        assert writable(s)
        s.send(b"x")


def test_select_reports_udp_readable_when_a_datagram_arrives(sockets, pool, net4):
    s, port = udp_socket(sockets, pool, net4)
    assert not readable(s, 0)
    with peers.UdpPeer(net4.peer_host) as peer:
        peer.sock.sendto(b"d", (net4.target_host, port))
        assert readable(s)


def test_poll_reports_err_or_hup_after_reset(sockets, net4):
    with peers.TcpPeer(net4.peer_host, peers.resetter()) as peer:
        s = tcp_client(sockets, net4, peer)
        peer.close()
        p = select.poll()
        p.register(s, select.POLLIN)
        events = 0
        for _ in range(20):  # the reset may still be on its way
            ready = p.poll(100)
            events = ready[0][1] if ready else 0
            if events & (select.POLLERR | select.POLLHUP):
                break
        assert events & (select.POLLERR | select.POLLHUP), "poll events %#x" % events


def test_selectors_register_pool_socket_and_report_read(sockets, net):
    with peers.TcpPeer(net.peer_host, peers.delayed_sender(b"sel", delay=0.1)) as peer:
        s = tcp_client(sockets, net, peer)
        with selectors.DefaultSelector() as sel:
            sel.register(s, selectors.EVENT_READ, data="mine")
            events = sel.select(WAIT)
            assert [(key.fileobj, key.data, mask) for key, mask in events] == [
                (s, "mine", selectors.EVENT_READ)]
            sel.unregister(s)
        buf = bytearray(3)
        assert s.recv_into(buf) >= 1


def test_selectors_serve_two_connections_from_one_listener(sockets, pool, net4):
    listener, port = tcp_listener(sockets, pool, net4)
    listener.setblocking(False)
    with selectors.DefaultSelector() as sel:
        sel.register(listener, selectors.EVENT_READ)
        clients = [peers.connect_to(net4.target_host, port) for _ in range(2)]
        conns = []
        try:
            for _ in range(20):
                if len(conns) == 2:
                    break
                for key, _mask in sel.select(WAIT):
                    if key.fileobj is listener:
                        conn, _addr = listener.accept()
                        conns.append(conn)
            assert len(conns) == 2
            for i, c in enumerate(clients):
                c.sendall(b"%d" % i)
            sel.unregister(listener)
            for conn in conns:
                sel.register(conn, selectors.EVENT_READ)
            got = set()
            for _ in range(20):
                if len(got) == 2:
                    break
                for key, _mask in sel.select(WAIT):
                    buf = bytearray(1)
                    key.fileobj.setblocking(False)
                    if key.fileobj.recv_into(buf) == 1:
                        got.add(bytes(buf))
                        sel.unregister(key.fileobj)
            assert got == {b"0", b"1"}
        finally:
            for c in clients:
                c.close()
            for conn in conns:
                conn.close()
