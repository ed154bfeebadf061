# Run by test_binding_unix_lwip.py inside a MicroPython unix port built with the ESP32 binding
# over host lwIP (docs/engine-esp32.md). Both ends are pool sockets in the VM's own lwIP.
# Prints one "name value" line per check; the test reads them.
import sys
import gc

sys.path.insert(0, sys.argv[1])  # the project root: the API layer and wifi
import _socketpool
import socketpool
import wifi

pool = socketpool.SocketPool(wifi.radio)
print("engine", _socketpool.NAME, socketpool._engine is _socketpool)
print("facts", _socketpool.MAX_SLOTS, _socketpool.IPV6, _socketpool.RAW)
# the C hot path (ports/common/modsocketpool.c) took Socket.recv_into: a C function prints bare
print("hot_path", repr(socketpool.Socket.recv_into) == "<function>", repr(socketpool.Socket.sendall) == "<function>")

lst = pool.socket()
lst.bind(("127.0.0.1", 7000))
lst.listen(1)
lst.settimeout(2)
cli = pool.socket()
cli.settimeout(2)
cli.connect(("127.0.0.1", 7000))
conn, addr = lst.accept()
print("accepted", addr[0])
cli.sendall(b"x" * 100000)
buf = bytearray(65536)
conn.settimeout(2)
got = 0
for _ in range(1000):
    if got >= 100000:
        break
    got += conn.recv_into(buf)
print("received", got)
try:
    conn.recv_into(buf)
    print("timeout none")
except OSError as e:
    print("timeout", e.errno)
cli.close()
print("eof", conn.recv_into(buf), conn.recv_into(buf))
conn.setblocking(False)
gc.collect()
before = gc.mem_alloc()
for _ in range(1000):
    conn.recv_into(buf)
print("heap_per_recv", gc.mem_alloc() - before)
conn.close()
lst.close()
r = pool.socket()
r.settimeout(1)
try:
    r.connect(("127.0.0.1", 7001))
    print("refused none")
except OSError as e:
    print("refused", e.errno)
r.close()
u = pool.socket(pool.AF_INET, pool.SOCK_DGRAM)
u.bind(("127.0.0.1", 7002))
u.settimeout(1)
v = pool.socket(pool.AF_INET, pool.SOCK_DGRAM)
for i in range(4):
    v.sendto(bytes([48 + i]) * 3, ("127.0.0.1", 7002))
print("udp", "".join(chr(u.recvfrom_into(buf)[0] + 48) for _ in range(4)))
u.close()
v.close()


def forget():
    pool.socket()  # dropped at once: only the finaliser can give its slot back


for _ in range(_socketpool.MAX_SLOTS + 2):
    forget()
gc.collect()
print("finalised", _socketpool.live_slots())
print("slots", pool._slots_in_use() <= _socketpool.MAX_SLOTS)
w = pool.socket()
w.bind(("127.0.0.1", 7003))
w.listen(1)
print("ready_for_ctrl_c")
try:
    w.accept()  # blocking, no timeout: only Ctrl-C ends it
    print("interrupted none")
except KeyboardInterrupt:
    print("interrupted yes")
w.close()
print("live_at_end", _socketpool.live_slots())
