"""socketpool_host.tls: CircuitPython's ssl over pool sockets, against CPython TLS peers."""

import errno
import socket
import ssl
import threading

import pytest

from client_support import TLSPeer, echo_once, free_port
from socketpool_host import tls


def echo_over(s, peer, data):
    """Send ``data`` to an echo_once peer, check the upper-cased reply, close both ends."""
    s.send(data)
    buf = bytearray(len(data))
    assert s.recv_into(buf) == len(data) and buf == data.upper()
    s.close()
    assert peer.join() is None


def pool_tls_pair(pool, certs, certfile, keyfile, backlog=1):
    """A listening pool-socket TLS server with ``certfile`` (asking no client certificate), its
    port, and a client context that trusts the test CA."""
    server_ctx = tls.create_default_context()
    server_ctx.load_verify_locations(cadata="")
    server_ctx.load_cert_chain(certfile, keyfile)
    client_ctx = tls.create_default_context()
    client_ctx.load_verify_locations(cadata=certs.ca_pem)
    port = free_port()
    listener = server_ctx.wrap_socket(pool.socket(), server_side=True)
    listener.settimeout(10)
    listener.bind(("127.0.0.1", port))
    listener.listen(backlog)
    return listener, port, client_ctx


def tls_client(pool, ctx, port, timeout=5):
    s = ctx.wrap_socket(pool.socket(pool.AF_INET, pool.SOCK_STREAM), server_hostname="localhost")
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def test_handshake_waits_for_connect_not_wrap_socket(pool, ssl_context, certs):
    peer = TLSPeer(certs, echo_once)
    raw = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
    s = ssl_context.wrap_socket(raw, server_hostname="localhost")
    with pytest.raises(OSError) as info:
        s.recv_into(bytearray(4))  # not connected yet: no handshake has happened
    assert info.value.errno == errno.ENOTCONN
    with pytest.raises(BrokenPipeError):
        s.send(b"x")
    s.settimeout(5)
    s.connect(("127.0.0.1", peer.port))
    assert s.send(b"hello") == 5
    buf = bytearray(10)
    assert s.recv_into(buf) == 5 and buf[:5] == b"HELLO"
    s.close()
    assert peer.join() is None


def test_recv_into_returns_0_after_peer_closes_every_time(pool, ssl_context, certs):
    peer = TLSPeer(certs, lambda conn: conn.sendall(b"bye"))
    s = tls_client(pool, ssl_context, peer.port)
    buf = bytearray(10)
    assert s.recv_into(buf) == 3
    assert [s.recv_into(buf) for _ in range(3)] == [0, 0, 0]
    s.close()
    assert peer.join() is None


def test_recv_into_times_out_with_etimedout(pool, ssl_context, certs):
    done = threading.Event()
    peer = TLSPeer(certs, lambda conn: done.wait(10))
    s = tls_client(pool, ssl_context, peer.port, timeout=0.2)
    with pytest.raises(OSError) as info:
        s.recv_into(bytearray(10))
    assert info.value.errno == errno.ETIMEDOUT and isinstance(info.value, TimeoutError)
    done.set()
    s.close()
    peer.join()


def test_nonblocking_recv_into_raises_eagain(pool, ssl_context, certs):
    done = threading.Event()
    peer = TLSPeer(certs, lambda conn: done.wait(10))
    s = tls_client(pool, ssl_context, peer.port)
    s.setblocking(False)
    with pytest.raises(OSError) as info:
        s.recv_into(bytearray(10))
    assert info.value.errno == errno.EAGAIN
    done.set()
    s.close()
    peer.join()


def test_handshake_timeout_against_a_silent_peer_is_etimedout(pool, ssl_context, certs):
    done = threading.Event()
    peer = TLSPeer(certs, lambda conn: done.wait(10), handshake=False)  # accepts, never answers
    s = ssl_context.wrap_socket(pool.socket(pool.AF_INET, pool.SOCK_STREAM), server_hostname="localhost")
    s.settimeout(0.3)
    with pytest.raises(OSError) as info:
        s.connect(("127.0.0.1", peer.port))
    assert info.value.errno == errno.ETIMEDOUT
    done.set()
    s.close()
    peer.join()


def test_calls_on_a_closed_tls_socket_raise_ebadf(pool, ssl_context, certs):
    peer = TLSPeer(certs, echo_once)
    s = tls_client(pool, ssl_context, peer.port)
    s.close()
    s.close()  # idempotent
    for call in (lambda: s.recv_into(bytearray(1)), lambda: s.send(b"x"), lambda: s.connect(("127.0.0.1", 1))):
        with pytest.raises(OSError) as info:
            call()
        assert info.value.errno == errno.EBADF
    peer.join()


def test_wrong_hostname_is_refused_when_check_hostname_is_on(pool, ssl_context, certs):
    peer = TLSPeer(certs, echo_once)
    s = ssl_context.wrap_socket(pool.socket(), server_hostname="not-the-server.example")
    s.settimeout(5)
    with pytest.raises(ssl.SSLCertVerificationError):
        s.connect(("127.0.0.1", peer.port))
    with pytest.raises(OSError) as info:  # as CircuitPython: a failed handshake closes it
        s.send(b"x")
    assert info.value.errno == errno.EBADF
    s.close()
    peer.join()


# --- which name is checked (issue 11 item 4) ---------------------------------------------------
def test_empty_server_hostname_is_refused_at_wrap_socket(pool, ssl_context):
    with pool.socket() as s:
        with pytest.raises(ValueError):
            ssl_context.wrap_socket(s, server_hostname="")


def test_connect_with_no_name_at_all_is_refused_before_anything_is_sent(pool, ssl_context, certs):
    """connect(("", port)) without server_hostname names no host: CPython's TLS object would
    then check no name and take any certificate the CA signed (here one for another host)."""
    peer = TLSPeer(certs, echo_once, elsewhere=True, accept_timeout=1)
    s = ssl_context.wrap_socket(pool.socket())
    s.settimeout(5)
    with pytest.raises(ValueError):
        s.connect(("", peer.port))
    assert isinstance(peer.join(), socket.timeout)  # the server saw no connection
    with pytest.raises(OSError) as info:
        s.recv_into(bytearray(4))
    assert info.value.errno == errno.ENOTCONN  # nothing half-open
    s.close()


def test_certificate_for_another_host_is_refused_for_the_connect_address(pool, ssl_context, certs):
    peer = TLSPeer(certs, echo_once, elsewhere=True)
    s = ssl_context.wrap_socket(pool.socket())  # the name checked is connect()'s host
    s.settimeout(5)
    with pytest.raises(ssl.SSLCertVerificationError):
        s.connect(("127.0.0.1", peer.port))
    s.close()
    peer.join()


def test_certificate_for_another_host_is_accepted_under_that_name(pool, ssl_context, certs):
    """The control of the two above: the certificate is valid, only its name differs."""
    peer = TLSPeer(certs, echo_once, elsewhere=True)
    s = ssl_context.wrap_socket(pool.socket(), server_hostname="other-host.example")
    s.settimeout(5)
    s.connect(("127.0.0.1", peer.port))
    echo_over(s, peer, b"named")


@pytest.mark.any_engine
def test_the_checked_name_is_the_same_on_every_engine(pool, certs):
    """The three cases above with a pool-socket TLS server (so they also run on the host-lwIP
    engines): no name is ValueError before connecting, connect()'s address is checked, and the
    certificate's own name is accepted."""
    listener, port, client_ctx = pool_tls_pair(
        pool, certs, certs.elsewhere_certfile, certs.elsewhere_keyfile, backlog=2)
    served = []

    def serve():
        for _ in range(2):  # the refused client, then the named one
            try:
                conn, _ = listener.accept()
                with conn:
                    buf = bytearray(16)
                    n = conn.recv_into(buf)
                    conn.send(bytes(buf[:n]).upper())
                served.append("ok")
            except OSError as e:  # the refused client's handshake ends this one
                served.append(type(e).__name__)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    with client_ctx.wrap_socket(pool.socket()) as c:
        c.settimeout(10)
        with pytest.raises(ValueError):
            c.connect(("", port))
    with client_ctx.wrap_socket(pool.socket()) as c:
        c.settimeout(10)
        with pytest.raises(ssl.SSLCertVerificationError):
            c.connect(("127.0.0.1", port))
    with client_ctx.wrap_socket(pool.socket(), server_hostname="other-host.example") as c:
        c.settimeout(10)
        c.connect(("127.0.0.1", port))
        c.send(b"named")
        buf = bytearray(8)
        assert c.recv_into(buf) == 5 and buf[:5] == b"NAMED"
    t.join(15)
    listener.close()
    assert len(served) == 2 and served[0] != "ok" and served[1] == "ok"


def test_check_hostname_off_connects_with_no_name(pool, ssl_context, certs):
    peer = TLSPeer(certs, echo_once, elsewhere=True)
    ssl_context.check_hostname = False
    s = ssl_context.wrap_socket(pool.socket())
    s.settimeout(5)
    s.connect(("127.0.0.1", peer.port))
    echo_over(s, peer, b"unnamed")


def test_check_hostname_off_accepts_another_name_signed_by_the_ca(pool, ssl_context, certs):
    peer = TLSPeer(certs, echo_once)
    ssl_context.check_hostname = False
    s = ssl_context.wrap_socket(pool.socket(), server_hostname="not-the-server.example")
    s.settimeout(5)
    s.connect(("127.0.0.1", peer.port))
    echo_over(s, peer, b"ok")


def test_empty_cadata_turns_verification_off(pool, certs):
    peer = TLSPeer(certs, echo_once)
    ctx = tls.create_default_context()
    ctx.load_verify_locations(cadata="")  # as adafruit_httpserver does on CircuitPython
    s = tls_client(pool, ctx, peer.port)
    echo_over(s, peer, b"ab")


def test_cafile_is_accepted_as_well_as_cadata(pool, certs):
    peer = TLSPeer(certs, echo_once)
    ctx = tls.create_default_context()
    ctx.load_verify_locations(cafile=certs.cafile)
    s = tls_client(pool, ctx, peer.port)
    echo_over(s, peer, b"cd")


def test_wrap_socket_checks_its_arguments(pool, ssl_context):
    with pool.socket(pool.AF_INET, pool.SOCK_DGRAM) as udp:
        with pytest.raises(RuntimeError):
            ssl_context.wrap_socket(udp)
    with pool.socket() as s:
        with pytest.raises(ValueError):
            ssl_context.wrap_socket(s, server_side=True, server_hostname="x")
        with pytest.raises(TypeError):
            ssl_context.wrap_socket(s, False, "x")  # keyword-only, as on CircuitPython
    with pytest.raises(NotImplementedError):
        ssl_context.load_verify_locations(capath="/etc/ssl/certs")


def test_tls_server_accepts_and_handshakes_in_accept(pool, certs):
    ctx = tls.create_default_context()
    ctx.load_verify_locations(cadata="")  # no client certificate asked (see docs/clients.md)
    ctx.load_cert_chain(certs.certfile, certs.keyfile)
    listener = ctx.wrap_socket(pool.socket(), server_side=True)
    listener.settimeout(5)
    port = free_port()
    listener.bind(("127.0.0.1", port))
    listener.listen(1)
    result = {}

    def client():
        c = ssl.create_default_context(cadata=certs.ca_pem)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with c.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"over tls")
                result["reply"] = s.recv(100)

    t = threading.Thread(target=client, daemon=True)
    t.start()
    conn, addr = listener.accept()
    assert addr[0] == "127.0.0.1"
    buf = bytearray(100)
    n = conn.recv_into(buf)
    conn.send(bytes(buf[:n]).upper())
    t.join(10)
    conn.close()
    listener.close()
    assert result["reply"] == b"OVER TLS"


@pytest.mark.any_engine
def test_tls_between_two_pool_sockets_on_the_target_engine(pool, certs):
    """Both ends are this module's SSLSockets over pool sockets: the TLS bytes cross only the
    pool's send/recv_into, so it works on every engine (the host-lwIP ones included)."""
    listener, port, client_ctx = pool_tls_pair(pool, certs, certs.certfile, certs.keyfile)
    errors = []

    def serve():
        try:
            conn, _ = listener.accept()
            with conn:
                buf = bytearray(4096)
                for _ in range(1000):
                    n = conn.recv_into(buf)
                    if n == 0:
                        break
                    view = memoryview(buf)[:n]
                    while view:
                        view = view[conn.send(view):]
        except Exception as e:  # reported below
            errors.append(e)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    data = bytes(range(256)) * 64  # 16 KiB per round
    with client_ctx.wrap_socket(pool.socket(), server_hostname="localhost") as c:
        c.settimeout(10)
        c.connect(("127.0.0.1", port))
        for _ in range(8):
            view = memoryview(data)
            while view:
                view = view[c.send(view):]
            back = bytearray(len(data))
            got = 0
            while got < len(data):
                n = c.recv_into(memoryview(back)[got:])
                assert n > 0
                got += n
            assert back == data
    t.join(15)
    listener.close()
    assert errors == []


def test_nonblocking_send_raises_eagain_when_full_and_loses_nothing(pool, ssl_context, certs):
    import hashlib

    start = threading.Event()
    got = {}

    def drain(conn):
        start.wait(10)
        h, total = hashlib.sha256(), 0
        while True:
            data = conn.recv(65536)
            if not data:
                break
            h.update(data)
            total += len(data)
        got["total"], got["sha"] = total, h.hexdigest()

    peer = TLSPeer(certs, drain)
    s = tls_client(pool, ssl_context, peer.port)
    s.setblocking(False)
    chunk = bytes(range(256)) * 64
    sent = hashlib.sha256()
    total = 0
    for _ in range(10000):  # the peer does not read yet: the buffers fill up
        try:
            n = s.send(chunk)
        except OSError as e:
            assert e.errno == errno.EAGAIN
            break
        sent.update(chunk[:n])
        total += n
    else:
        pytest.fail("send never raised EAGAIN")
    start.set()
    s.settimeout(10)
    n = s.send(chunk)  # held ciphertext goes first, then this
    sent.update(chunk[:n])
    total += n
    s.close()
    assert peer.join() is None
    assert (got["total"], got["sha"]) == (total, sent.hexdigest())


def test_forgotten_tls_socket_gives_its_slot_back(pool, ssl_context, certs):
    import gc

    peer = TLSPeer(certs, echo_once)
    before = pool._slots_in_use()
    s = tls_client(pool, ssl_context, peer.port)
    assert pool._slots_in_use() == before + 1  # TLS takes no slot of its own, as on CircuitPython
    del s
    gc.collect()
    assert pool._slots_in_use() == before
    assert peer.join() is None
