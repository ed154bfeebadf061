"""Loopback benchmark of socketpool on a CPython-driven engine against raw CPython sockets.

Measured in the same run, interleaved (raw, socketpool, raw, ...), medians reported:

* bulk receive: the measured side ``recv_into``s TOTAL bytes (64 KiB buffer) that the peer sends;
* bulk send: the measured side ``sendall``s TOTAL bytes in 64 KiB pieces to the peer;
* round trip: SIZE-byte ping-pong (TCP_NODELAY both sides), many iterations, time per round trip;
* with ``--sweep``: receive throughput against buffer size, for the plot of ``socketpool bench``.

On the host engine the peer is a separate process with raw sockets. A host-lwIP engine's lwIP
lives inside this process and reaches the kernel through the harness's TUN link into a network
namespace (tools/socketpool_tools/netlink.py; needs root), so there the peer is a thread in this
process with kernel sockets in that namespace, and the baseline is raw CPython sockets on the OS
loopback with the same threaded peer (the ratio then also contains lwIP and the TUN link).

    python bench/bench_host.py [--engine host] [--total-mib 256] [--trials 5] [--sweep] [--json F]

Targets (issue 2): throughput >= 0.9x raw, round trip <= 1.3x raw.
"""

import argparse
import os
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

HEADER = struct.Struct("!cQII")  # op, total bytes, buffer or message size, iterations
KIB = 1024
MIB = 1024 * 1024
GIB = 1024 * MIB
CPU = {"raw": [], "socketpool": []}  # CPU seconds per GiB of the measured side, per bulk run


def _recv_exact(sock, view):
    got = 0
    total = len(view)
    while got < total:
        n = sock.recv_into(view[got:])
        if n == 0:
            raise ConnectionError("peer closed early")
        got += n


# --- the peer: raw-socket API subset shared by CPython sockets and pool sockets --------------
def serve_one(conn):
    hdr = bytearray(HEADER.size)
    _recv_exact(conn, memoryview(hdr))
    op, total, size, iters = HEADER.unpack(hdr)
    if op == b"S":  # peer sends total bytes
        buf = memoryview(bytearray(size))
        left = total
        while left > 0:
            n = size if left >= size else left
            conn.sendall(buf[:n])
            left -= n
    elif op == b"R":  # peer receives total bytes, then acknowledges with one byte
        buf = bytearray(size)
        left = total
        while left > 0:
            n = conn.recv_into(buf, min(size, left))
            if n == 0:
                raise ConnectionError("measured side closed early")
            left -= n
        conn.sendall(b"k")
    elif op == b"P":  # echo size-byte messages, iters times
        view = memoryview(bytearray(size))
        for _ in range(iters):
            _recv_exact(conn, view)
            conn.sendall(view)


def serve_forever(listener, stop=None):
    while stop is None or not stop.is_set():
        try:
            conn, _addr = listener.accept()
        except socket.timeout:
            continue  # a thread peer's listener wakes up to look at ``stop``
        except OSError:
            if stop is not None and stop.is_set():
                return
            raise
        try:
            _nodelay(conn)
            serve_one(conn)
        except (OSError, ConnectionError):
            pass
        finally:
            conn.close()


def _nodelay(sock):
    try:
        sock.setsockopt(6, 1, 1)  # IPPROTO_TCP, TCP_NODELAY: same numbers in lwIP and Linux
    except OSError:
        pass


def _peer_process_main():
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    sys.stdout.write("%d\n" % ls.getsockname()[1])
    sys.stdout.flush()
    serve_forever(ls)


class ProcessPeer:
    """Raw CPython peer in a separate process (host engine)."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--peer"], stdout=subprocess.PIPE, text=True
        )
        self.port = int(self.proc.stdout.readline())

    def close(self):
        self.proc.kill()
        self.proc.wait(5)


class ThreadPeer:
    """Peer thread in this process, on sockets made by ``make_listener`` (host-lwIP engines)."""

    def __init__(self, make_listener):
        self.listener, self.port = make_listener()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=serve_forever, args=(self.listener, self.stop), daemon=True)
        self.thread.start()

    def close(self):
        self.stop.set()
        self.listener.close()
        self.thread.join(5)


# --- the measured side ----------------------------------------------------------------------
class Variant:
    def __init__(self, name, connect, peer):
        self.name = name
        self.connect = connect  # port -> connected socket with the CPython-socket subset
        self.peer = peer

    def session(self, op, total, size, iters):
        s = self.connect(self.peer.port)
        _nodelay(s)
        s.sendall(HEADER.pack(op, total, size, iters))
        return s


def bulk_recv(v, total, bufsize):
    s = v.session(b"S", total, bufsize, 0)
    buf = bytearray(bufsize)
    got = 0
    c0, t0 = time.process_time(), time.perf_counter()
    while got < total:
        n = s.recv_into(buf)
        if n == 0:
            raise ConnectionError("peer closed early")
        got += n
    dt = time.perf_counter() - t0
    CPU[v.name].append((time.process_time() - c0) / total * GIB)
    s.close()
    return total / dt / MIB


def bulk_send(v, total, bufsize):
    s = v.session(b"R", total, bufsize, 0)
    buf = bytes(bufsize)
    ack = bytearray(1)
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(total // bufsize):
        s.sendall(buf)
    if s.recv_into(ack) != 1:
        raise ConnectionError("no acknowledgement")
    dt = time.perf_counter() - t0
    CPU[v.name].append((time.process_time() - c0) / total * GIB)
    s.close()
    return total / dt / MIB


def round_trip(v, size, iters):
    s = v.session(b"P", 0, size, iters)
    msg = bytes(size)
    view = memoryview(bytearray(size))
    t0 = time.perf_counter()
    for _ in range(iters):
        s.sendall(msg)
        _recv_exact(s, view)
    dt = time.perf_counter() - t0
    s.close()
    return dt / iters * 1e6


def interleaved(variants, fn, trials, *args):
    """Median of ``fn`` per variant, alternating which variant goes first in each trial."""
    results = {v.name: [] for v in variants}
    for i in range(trials):
        order = variants if i % 2 == 0 else variants[::-1]
        for v in order:
            results[v.name].append(fn(v, *args))
    return {k: benchlib.median(x) for k, x in results.items()}


def load_pool(engine):
    os.environ["SOCKETPOOL_ENGINE"] = engine
    benchlib.add_project_to_path()
    import socketpool
    import wifi

    if socketpool._engine.NAME != engine:
        raise RuntimeError("socketpool was imported with engine %r" % socketpool._engine.NAME)
    return socketpool.SocketPool(wifi.radio), socketpool._engine


def make_variants(engine):
    link = None
    if engine != "host":  # lwIP reaches the peer through the link; made before lwIP starts
        benchlib.add_project_to_path()
        from socketpool_tools import netlink

        link = netlink.Link()
        os.environ["SOCKETPOOL_HOST_LINK"] = link.env
    pool, sp_engine = load_pool(engine)
    sp_host = link.peer_host if link else "127.0.0.1"

    def sp_connect(port):
        s = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
        s.settimeout(30)
        s.connect((sp_host, port))
        return s

    def raw_connect(port):
        s = socket.create_connection(("127.0.0.1", port))
        s.settimeout(30)
        return s

    if engine == "host":
        peer = ProcessPeer()
        raw_peer = peer
    else:
        def listener_on(module, host="127.0.0.1"):
            def make():
                ls = module.socket()
                ls.bind((host, 0))
                ls.listen(4)
                ls.settimeout(0.5)
                return ls, ls.getsockname()[1]

            return make

        sp_listener, raw_listener = listener_on(link.sockets, link.peer_host), listener_on(socket)
        peer = ThreadPeer(sp_listener)
        raw_peer = ThreadPeer(raw_listener)
    return [Variant("raw", raw_connect, raw_peer), Variant("socketpool", sp_connect, peer)], {peer, raw_peer}, link


def run(args):
    variants, peers, link = make_variants(args.engine)
    total = args.total_mib * MIB
    bufsize = 64 * KIB
    rows = []
    sweep = []
    # the targets are for the host engine; a host-lwIP ratio also holds lwIP itself
    tput, rtt = (">= 0.9", "<= 1.3") if args.engine == "host" else (None, None)
    base = "raw CPython socket" if args.engine == "host" else "raw CPython socket, same thread peer"
    try:
        # warm-up: page in, let the peer settle
        for v in variants:
            bulk_recv(v, 8 * MIB, bufsize)
            round_trip(v, 64, 200)
        for fn, call in ((bulk_recv, "recv_into"), (bulk_send, "sendall")):
            for runs in CPU.values():
                del runs[:]
            r = interleaved(variants, fn, args.trials, total, bufsize)
            rows.append(benchlib.row("bulk %s %d MiB, 64 KiB buffer" % (call, args.total_mib), "MiB/s",
                                     r["raw"], r["socketpool"], tput, base))
            # CPU time is what socketpool adds; wall time also holds the neighbours' load
            rows.append(benchlib.row("bulk %s CPU time of the measured side" % call, "s/GiB",
                                     benchlib.median(CPU["raw"]), benchlib.median(CPU["socketpool"]), None, base))
        for size in (1, 64):
            # many short trials: a median of those shrugs off a busy neighbour on a shared machine
            r = interleaved(variants, round_trip, args.rtt_trials, size, args.iterations)
            rows.append(benchlib.row("round trip %d B, %d x %d" % (size, args.rtt_trials, args.iterations), "us",
                                     r["raw"], r["socketpool"], rtt, base))
        if args.sweep:
            for bs in (1 * KIB, 4 * KIB, 16 * KIB, 64 * KIB, 256 * KIB):
                sweep_total = max(bs * 256, args.sweep_mib * MIB)
                r = interleaved(variants, bulk_recv, max(3, args.trials // 2), sweep_total, bs)
                for name, mbps in r.items():
                    sweep.append({"engine": args.engine, "variant": name, "bufsize": bs, "MBps": mbps})
    finally:
        for p in peers:
            p.close()
        if link is not None:
            link.close()
    for r in rows:
        r["engine"] = args.engine
    return rows, sweep


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engine", default="host", help="host, lwip-esp32 or lwip-rp2 (default host)")
    ap.add_argument("--total-mib", type=int, default=256, help="bytes per bulk transfer, MiB (>= 256)")
    ap.add_argument("--trials", type=int, default=11, help="interleaved trials per variant (median)")
    ap.add_argument("--iterations", type=int, default=2000, help="round trips per trial")
    ap.add_argument("--rtt-trials", type=int, default=21, help="interleaved round-trip trials (median)")
    ap.add_argument("--sweep", action="store_true", help="also measure throughput against buffer size")
    ap.add_argument("--sweep-mib", type=int, default=64, help="bytes per sweep point, MiB")
    ap.add_argument("--json", help="write the results here (bench/benchlib.py format)")
    ap.add_argument("--peer", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.peer:
        _peer_process_main()
        return 0
    rows, sweep = run(args)
    print("socketpool on engine %r vs raw CPython sockets, loopback, medians of %d interleaved trials"
          % (args.engine, args.trials))
    print(benchlib.format_table(rows))
    for p in sweep:
        print("sweep %-10s %-10s %7d B  %9.1f MiB/s" % (p["engine"], p["variant"], p["bufsize"], p["MBps"]))
    benchlib.write_json(args.json, "host", args.engine, rows, sweep)
    return 0 if all(r["ok"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
