"""socketpool's API layer + the MicroPython engine, run on the unix-port VM against CPython peers
on loopback. Each test runs one MicroPython script (the target half) and the peer here."""

import errno
import hashlib
import socket
import struct
import threading

import pytest

from vm import free_port

TIMEOUT = 10


def tcp_server(family=socket.AF_INET):
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, 0))
    srv.listen(4)
    srv.settimeout(TIMEOUT)
    return srv


def in_thread(fn, *args):
    box = {}

    def run():
        try:
            box["value"] = fn(*args)
        except BaseException as e:  # reported by join()
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()

    def join():
        t.join(TIMEOUT * 3)
        assert not t.is_alive(), "peer thread did not finish"
        if "error" in box:
            raise box["error"]
        return box.get("value")

    return join


CONTRACT_CONSTANTS = {
    "AF_INET": 2, "AF_INET6": 10, "SOCK_STREAM": 1, "SOCK_DGRAM": 2, "SOCK_RAW": 3,
    "SOL_SOCKET": 0xFFF, "SO_REUSEADDR": 4, "TCP_NODELAY": 1, "IPPROTO_IP": 0, "IPPROTO_ICMP": 1,
    "IPPROTO_TCP": 6, "IPPROTO_UDP": 17, "IPPROTO_IPV6": 41, "IPPROTO_RAW": 255,
    "IP_MULTICAST_TTL": 5, "EAI_NONAME": -2,
}


def test_pool_constants_and_module_names_on_micropython(vm):
    # the conformance suite's name cases run in-process only; this is their MicroPython half
    r = vm.run(
        """
import socketpool
consts = {}
for name in ARGS["names"]:
    consts[name] = getattr(pool, name)
public = sorted(n for n in dir(socketpool) if not n.startswith("_"))
result([consts, public, issubclass(pool.gaierror, OSError), hasattr(socketpool, "gaierror")])
""",
        {"names": sorted(CONTRACT_CONSTANTS)},
    )
    assert r[0] == CONTRACT_CONSTANTS
    assert r[1] == ["Socket", "SocketPool"]
    assert r[2:] == [True, False]


def test_import_picks_the_micropython_engine_and_names_match_contract(vm):
    r = vm.run(
        """
import socketpool
result([socketpool._engine.NAME, pool.AF_INET, pool.AF_INET6, pool.SOCK_STREAM, pool.SOL_SOCKET,
        hasattr(socketpool, "AF_INET"), err(socketpool.Socket), hasattr(pool, "timeout"),
        socketpool.SocketPool(wifi.radio) is pool, err(socketpool.SocketPool, 42)[0]])
"""
    )
    assert r == ["micropython", 2, 10, 1, 0xFFF, False, ["TypeError", r[6][1]], False, True, "ValueError"]


def test_tcp_sendall_and_recv_into_roundtrip_200k_is_byte_exact(vm):
    srv = tcp_server()
    port = srv.getsockname()[1]

    def echo():
        conn, _ = srv.accept()
        with conn:
            conn.settimeout(TIMEOUT)
            got = b""
            while len(got) < 200 * 1024:
                chunk = conn.recv(65536)
                assert chunk
                got += chunk
            conn.sendall(got)
        return hashlib.sha256(got).hexdigest()

    join = in_thread(echo)
    r = vm.run(
        """
import hashlib
data = bytes(range(256)) * 800
s = pool.socket()
s.settimeout(5)
s.connect(("127.0.0.1", ARGS["port"]))
s.sendall(data)
buf = bytearray(4096)
got = bytearray()
while len(got) < len(data):
    n = s.recv_into(buf)
    if n == 0:
        break
    got.extend(buf[:n])
ends = [s.recv_into(buf), s.recv_into(buf)]
s.close()
result([len(got), got == data, ends])
""",
        {"port": port},
    )
    assert r == [200 * 1024, True, [0, 0]]
    assert join() == hashlib.sha256(bytes(range(256)) * 800).hexdigest()
    srv.close()


def test_recv_into_returns_0_after_peer_close_nonblocking(vm):
    srv = tcp_server()
    port = srv.getsockname()[1]

    def close_after_hello():
        conn, _ = srv.accept()
        conn.sendall(b"hello")
        conn.close()

    join = in_thread(close_after_hello)
    r = vm.run(
        """
import select
s = pool.socket()
s.settimeout(5)
s.connect(("127.0.0.1", ARGS["port"]))
buf = bytearray(16)
n = s.recv_into(buf)
s.setblocking(False)
p = select.poll(); p.register(s, select.POLLIN)
ready = p.poll(3000)
ends = [s.recv_into(buf) for i in range(3)]
s.close()
result([n, bytes(buf[:n]).decode(), ends, len(ready)])
""",
        {"port": port},
    )
    join()
    assert r[0] == 5 and r[1] == "hello"
    assert r[2] == [0, 0, 0]
    assert r[3] == 1
    srv.close()


def test_recv_into_timeout_is_etimedout_and_timeouterror(vm):
    srv = tcp_server()
    port = srv.getsockname()[1]

    def silent():
        conn, _ = srv.accept()
        conn.recv(1)  # returns when the VM closes
        conn.close()

    join = in_thread(silent)
    r = vm.run(
        """
s = pool.socket()
s.settimeout(5)
s.connect(("127.0.0.1", ARGS["port"]))
s.settimeout(0.2)
buf = bytearray(8)
out = []
try:
    s.recv_into(buf)
except OSError as e:
    out += [e.errno == errno.ETIMEDOUT, isinstance(e, TimeoutError)]
s.setblocking(False)
out.append(err(s.recv_into, buf) == ["OSError", errno.EAGAIN])
s.close()
out.append(err(s.recv_into, buf) == ["OSError", errno.EBADF])
result(out)
""",
        {"port": port},
    )
    join()
    assert r == [True, True, True, True]
    srv.close()


def test_connect_refused_is_econnrefused(vm):
    port = free_port()
    r = vm.run(
        """
s = pool.socket()
s.settimeout(5)
e = err(s.connect, ("127.0.0.1", ARGS["port"]))
s.close()
result([e, errno.ECONNREFUSED])
""",
        {"port": port},
    )
    assert r[0] == ["OSError", r[1]]


def test_nonblocking_connect_is_einprogress_then_usable(vm):
    srv = tcp_server()
    port = srv.getsockname()[1]

    def reply():
        conn, _ = srv.accept()
        conn.settimeout(TIMEOUT)
        assert conn.recv(4) == b"ping"
        conn.sendall(b"pong")
        conn.close()

    join = in_thread(reply)
    r = vm.run(
        """
import select
s = pool.socket()
s.setblocking(False)
e = err(s.connect, ("127.0.0.1", ARGS["port"]))
p = select.poll(); p.register(s, select.POLLOUT)
p.poll(3000)
s.settimeout(5)
s.sendall(b"ping")
buf = bytearray(4)
n = s.recv_into(buf)
again = err(s.connect, ("127.0.0.1", ARGS["port"]))
s.close()
result([e, errno.EINPROGRESS, n, bytes(buf).decode(), again, errno.EISCONN if hasattr(errno, "EISCONN") else 106])
""",
        {"port": port},
    )
    join()
    assert r[0] == ["OSError", r[1]]
    assert r[2:4] == [4, "pong"]
    assert r[4] == ["OSError", r[5]]
    srv.close()


def test_accept_with_timeout_inherits_it_and_reports_peer_address(vm):
    port = free_port()
    proc = vm.start(
        """
srv = pool.socket()
srv.setsockopt(pool.SOL_SOCKET, pool.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", ARGS["port"]))
srv.listen(2)
srv.settimeout(0.2)
first = err(srv.accept)
print("LISTENING")
srv.settimeout(5)
conn, addr = srv.accept()
buf = bytearray(16)
n = conn.recv_into(buf)
conn.send(b"thanks")
conn.settimeout(0.2)
late = err(conn.recv_into, buf)
conn.close(); srv.close()
result([first, errno.ETIMEDOUT, list(addr), bytes(buf[:n]).decode(), late])
""",
        {"port": port},
    )
    line = proc.stdout.readline()
    assert line.strip() == "LISTENING"
    c = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    c.sendall(b"hi")
    assert c.recv(6) == b"thanks"
    r = vm.finish(proc)
    assert r[0] == ["TimeoutError", r[1]]
    assert r[2] == ["127.0.0.1", c.getsockname()[1]]
    assert r[3] == "hi"
    assert r[4] == ["TimeoutError", r[1]]  # the accepted socket inherited the 0.2 s timeout
    c.close()


def test_udp_recvfrom_into_queues_four_datagrams_and_cuts_to_buffer(vm):
    port = free_port(kind=socket.SOCK_DGRAM)
    proc = vm.start(
        """
s = pool.socket(pool.AF_INET, pool.SOCK_DGRAM)
s.bind(("127.0.0.1", ARGS["port"]))
print("BOUND")
s.settimeout(5)
buf = bytearray(4)
got = []
for i in range(4):
    n, addr = s.recvfrom_into(buf)
    got.append([bytes(buf[:n]).decode(), list(addr)])
s.sendto(b"back", tuple(addr))
s.settimeout(0)
tail = err(s.recvfrom_into, buf)
s.close()
result([got, tail, errno.EAGAIN])
""",
        {"port": port},
    )
    assert proc.stdout.readline().strip() == "BOUND"
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    u.settimeout(TIMEOUT)
    for i in range(4):
        u.sendto(b"dgram%d" % i, ("127.0.0.1", port))
    assert u.recvfrom(16)[0] == b"back"
    r = vm.finish(proc)
    me = ["127.0.0.1", u.getsockname()[1]]
    assert r[0] == [["dgra", me]] * 4
    assert r[1] == ["OSError", r[2]]
    u.close()


def test_reset_by_peer_is_econnreset_and_latched(vm):
    srv = tcp_server()
    port = srv.getsockname()[1]

    def reset():
        conn, _ = srv.accept()
        conn.settimeout(TIMEOUT)
        conn.recv(5)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()  # RST

    join = in_thread(reset)
    r = vm.run(
        """
import select
s = pool.socket()
s.settimeout(5)
s.connect(("127.0.0.1", ARGS["port"]))
s.sendall(b"hello")
p = select.poll(); p.register(s, select.POLLIN)
ev = p.poll(3000)
bits = ev[0][1] if ev else 0
buf = bytearray(8)
out = [err(s.recv_into, buf), err(s.recv_into, buf), err(s.send, b"x")]
s.close()
result([out, errno.ECONNRESET, bits & (select.POLLERR | select.POLLHUP | select.POLLIN) != 0])
""",
        {"port": port},
    )
    join()
    code = r[1]
    assert r[0] == [["OSError", code]] * 3
    assert r[2]
    srv.close()


def test_send_on_unconnected_socket_is_broken_pipe(vm):
    r = vm.run(
        """
s = pool.socket()
e = err(s.send, b"x")
try:
    s.send(b"x")
except BrokenPipeError as x:
    caught = isinstance(x, ConnectionError) and isinstance(x, OSError)
s.close()
result([e[0], caught])
"""
    )
    assert r == ["BrokenPipeError", True]


def test_getaddrinfo_resolves_localhost_and_failure_is_gaierror(vm):
    r = vm.run(
        """
a = pool.getaddrinfo("localhost", 80, pool.AF_INET)
b = pool.getaddrinfo("127.0.0.1", 8080, proto=6)
try:
    pool.getaddrinfo("no-such-host.invalid", 80)
    c = None
except pool.gaierror as e:
    c = [isinstance(e, OSError), e.args[0]]
result([[list(x[4]) for x in a], [x[0] for x in a], [list(x[4]) for x in b], c])
"""
    )
    assert ["127.0.0.1", 80] in r[0] and set(r[1]) == {2}
    assert r[2] == [["127.0.0.1", 8080]]
    assert r[3] == [True, -2]


def test_ipv6_loopback_tcp(vm):
    srv = tcp_server(socket.AF_INET6)
    port = srv.getsockname()[1]

    def echo():
        conn, addr = srv.accept()
        conn.settimeout(TIMEOUT)
        conn.sendall(conn.recv(16))
        conn.close()
        return addr[1]

    join = in_thread(echo)
    r = vm.run(
        """
s = pool.socket(pool.AF_INET6, pool.SOCK_STREAM)
s.settimeout(5)
s.connect(("::1", ARGS["port"]))
s.send(b"six")
buf = bytearray(8)
n = s.recv_into(buf)
info = pool.getaddrinfo("::1", 5, pool.AF_INET6)[0]
s.close()
result([bytes(buf[:n]).decode(), list(info[4])])
""",
        {"port": port},
    )
    join()
    assert r == ["six", ["::1", 5, 0, 0]]
    srv.close()


def test_setsockopt_contract_options_and_unknown_is_enoprotoopt(vm):
    r = vm.run(
        """
t = pool.socket()
u = pool.socket(pool.AF_INET, pool.SOCK_DGRAM)
out = [err(t.setsockopt, pool.SOL_SOCKET, pool.SO_REUSEADDR, 1),
       err(t.setsockopt, pool.IPPROTO_TCP, pool.TCP_NODELAY, True),
       err(u.setsockopt, pool.IPPROTO_IP, pool.IP_MULTICAST_TTL, 2),
       err(t.setsockopt, pool.SOL_SOCKET, 0x7777, 1)]
t.close(); u.close()
out.append(err(t.setsockopt, pool.SOL_SOCKET, pool.SO_REUSEADDR, 1))
result(out)
"""
    )
    assert r[:3] == [None, None, None]
    assert r[3] == ["OSError", 92]  # Linux ENOPROTOOPT: the unix port's errno module lacks the name
    assert r[4] == ["OSError", errno.EBADF]


def test_slots_run_out_then_recover_after_close(vm):
    r = vm.run(
        """
socks = [pool.socket() for i in range(socketpool._engine.MAX_SLOTS)]
full = err(pool.socket)
used = pool._slots_in_use()
socks.pop().close()
again = pool.socket()
again.close()
for s in socks:
    s.close()
result([full, used, pool._slots_in_use()])
""".replace("socketpool._engine", "__import__('socketpool')._engine")
    )
    assert r == [["RuntimeError", "Out of sockets"], 8, 0]


def test_select_poll_accepts_pool_sockets(vm):
    srv = tcp_server()
    port = srv.getsockname()[1]

    def later():
        conn, _ = srv.accept()
        conn.settimeout(TIMEOUT)
        conn.recv(1)
        conn.sendall(b"!")
        try:
            conn.recv(1)  # the VM closes without reading "!": a reset is fine here
        except ConnectionResetError:
            pass
        conn.close()

    join = in_thread(later)
    r = vm.run(
        """
import select
s = pool.socket()
s.settimeout(5)
s.connect(("127.0.0.1", ARGS["port"]))
p = select.poll()
p.register(s, select.POLLIN)
quiet = p.poll(100)
p.modify(s, select.POLLOUT)
w = p.poll(1000)
s.send(b"?")
p.modify(s, select.POLLIN)
r = p.poll(3000)
s.close()
result([len(quiet), [x[1] & select.POLLOUT for x in w], [x[0] is s for x in r], [x[1] & select.POLLIN for x in r]])
""",
        {"port": port},
    )
    join()
    assert r == [0, [4], [True], [1]]
    srv.close()


def test_recv_into_on_ready_socket_allocates_nothing(vm):
    srv = tcp_server()
    port = srv.getsockname()[1]

    def flood():
        conn, _ = srv.accept()
        conn.settimeout(TIMEOUT)
        conn.sendall(b"x" * 64 * 1024)
        conn.recv(1)
        conn.close()

    join = in_thread(flood)
    r = vm.run(
        """
import time
s = pool.socket()
s.settimeout(5)
s.connect(("127.0.0.1", ARGS["port"]))
buf = bytearray(16)
mv = memoryview(buf)
s.recv_into(buf, 1)  # first call done: nothing left to set up lazily
time.sleep_ms(200)  # all 64 KiB queued: every call below finds data ready
def measure(s, mv):
    # locals only: storing a new global could grow the module dict mid-measurement
    total = 1
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    i = 0
    while i < 1000:  # a while loop over small ints allocates nothing itself
        total += s.recv_into(mv, 8)
        i += 1
    after = gc.mem_alloc()
    gc.enable()
    return [after - before, total]
out = measure(s, mv)
s.send(b".")
s.close()
result(out)
""",
        {"port": port},
    )
    join()
    assert r == [0, 8001]
    srv.close()


def test_connection_reset_before_connect_completes_is_econnreset_not_refusal(vm):
    srv = tcp_server()
    port = srv.getsockname()[1]

    def accept_and_reset():
        conn, _ = srv.accept()
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()  # RST after the handshake completed

    join = in_thread(accept_and_reset)
    r = vm.run(
        """
import time
s = pool.socket()
s.setblocking(False)
first = err(s.connect, ("127.0.0.1", ARGS["port"]))
time.sleep_ms(500)  # the handshake completes and the peer resets before anyone asks
s.settimeout(1)
out = [first, err(s.send, b"x"), err(s.recv_into, bytearray(4))]
s.close()
result([out, errno.EINPROGRESS, errno.ECONNRESET])
""",
        {"port": port},
    )
    join()
    assert r[0] == [["OSError", r[1]], ["OSError", r[2]], ["OSError", r[2]]]
    srv.close()


def test_recv_wait_on_a_writable_socket_sleeps_in_poll_not_spins(vm):
    srv = tcp_server()
    port = srv.getsockname()[1]

    def silent():
        conn, _ = srv.accept()
        conn.settimeout(TIMEOUT)
        try:
            conn.recv(1)  # returns when the VM closes
        except OSError:
            pass
        conn.close()

    join = in_thread(silent)
    r = vm.run(
        """
from socketpool import _engine_mp as E
polls = [0]
_poll = E.MPSocket.poll
def counting_poll(self, events, timeout_ms):
    polls[0] += 1
    return _poll(self, events, timeout_ms)
E.MPSocket.poll = counting_poll
s = pool.socket()
s.settimeout(5)
s.connect(("127.0.0.1", ARGS["port"]))
polls[0] = 0
s.settimeout(0.5)
e = err(s.recv_into, bytearray(4))
s.close()
result([e, errno.ETIMEDOUT, polls[0]])
""",
        {"port": port},
    )
    join()
    assert r[0] == ["TimeoutError", r[1]]
    # 0.5 s given to the engine in one wait (a handful of polls at most; a spin would make thousands)
    assert 1 <= r[2] <= 20
    srv.close()


def test_two_threads_wait_on_their_own_sockets_at_once(vm):
    srv = tcp_server()
    port = srv.getsockname()[1]

    def two_peers():
        conns = [srv.accept()[0] for _ in range(2)]
        for c in conns:
            c.settimeout(TIMEOUT)
            c.recv(1)  # both VM threads are waiting now
        import time

        time.sleep(0.3)
        conns[1].sendall(b"second")
        time.sleep(0.3)
        conns[0].sendall(b"first")
        for c in conns:
            try:
                c.recv(1)
            except OSError:
                pass
            c.close()

    join = in_thread(two_peers)
    r = vm.run(
        """
import _thread, time
socks = []
for i in range(2):
    s = pool.socket()
    s.settimeout(5)
    s.connect(("127.0.0.1", ARGS["port"]))
    socks.append(s)
got = {}
def reader(i):
    buf = bytearray(16)
    socks[i].send(b"!")
    try:
        n = socks[i].recv_into(buf)
        got[i] = bytes(buf[:n]).decode()
    except OSError as e:
        got[i] = "error %s" % e.errno
for i in range(2):
    _thread.start_new_thread(reader, (i,))
for _ in range(100):  # bounded: 10 s
    if len(got) == 2:
        break
    time.sleep_ms(100)
for s in socks:
    s.close()
result([got.get(0), got.get(1)])
""",
        {"port": port},
    )
    join()
    assert r == ["first", "second"]
    srv.close()


def test_ctrl_c_interrupts_a_blocking_recv_and_leaves_the_socket_usable(vm):
    import signal

    srv = tcp_server()
    port = srv.getsockname()[1]
    box = {}

    def peer():
        conn, _ = srv.accept()
        box["conn"] = conn

    join = in_thread(peer)
    proc = vm.start(
        """
s = pool.socket()
s.settimeout(20)  # a long wait (bounded, should the interrupt not arrive)
s.connect(("127.0.0.1", ARGS["port"]))
try:
    print("WAITING")  # inside the try: an interrupt from here on is caught below
    s.recv_into(bytearray(4))
    interrupted = False
except KeyboardInterrupt:
    interrupted = True
print("AFTER")
s.settimeout(5)
buf = bytearray(4)
n = s.recv_into(buf)
s.close()
result([interrupted, bytes(buf[:n]).decode()])
""",
        {"port": port},
    )
    assert proc.stdout.readline().strip() == "WAITING"
    join()
    proc.send_signal(signal.SIGINT)  # what Ctrl-C on the unix port's console sends
    line = proc.stdout.readline().strip()
    assert line == "AFTER", line + proc.stdout.read() + proc.stderr.read()
    box["conn"].sendall(b"ok")
    r = vm.finish(proc)
    assert r == [True, "ok"]
    box["conn"].close()
    srv.close()


def test_select_poll_reports_a_pending_connection_on_a_listener(vm):
    port = free_port()
    proc = vm.start(
        """
import select
srv = pool.socket()
srv.bind(("127.0.0.1", ARGS["port"]))
srv.listen(1)
p = select.poll()
p.register(srv, select.POLLIN)
before = p.poll(0)
print("LISTENING")
ready = p.poll(5000)
conn, addr = srv.accept()
conn.close(); srv.close()
result([len(before), [x[1] & select.POLLIN for x in ready]])
""",
        {"port": port},
    )
    assert proc.stdout.readline().strip() == "LISTENING"
    c = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    r = vm.finish(proc)
    c.close()
    assert r == [0, [1]]
