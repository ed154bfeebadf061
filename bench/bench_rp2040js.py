"""socketpool inside the emulated Pico W (rp2040js), against the firmware's own ``socket`` on
the same firmware in the same run, with the peer on this computer over the board's SLIP link.

Needs firmware built for the SLIP test board (ports/rp2040_cyw43/boards/RPI_PICO_W_SLIP), the
RP2040 bootrom (``socketpool bootrom``), rp2040js (npm), root and /dev/net/tun for the link
(docs/emulated-pico-w.md). With the native module in the firmware, socketpool runs on the native
engine (through the API layer); without it, on the MicroPython engine.

Measured on the board, in emulated time (``time.ticks_us``; rp2040js counts cycles at 125 MHz):
receive (the peer sends, the board ``recv_into`` / ``readinto`` a chunk at a time) and send
(``sendall`` / ``write``) with 32 B, 512 B and 4 KiB chunks, and a 1-byte round trip. Rounds
alternate between socketpool and the raw socket; the figure is the median of per-round ratios
(socketpool rate / socket rate; for the round trip socket time / socketpool time), so above 1
means socketpool is faster. Not a test: it asserts nothing, it reports.

    python bench/bench_rp2040js.py build-RPI_PICO_W_SLIP/firmware.uf2 --bootrom bootrom.bin
"""

import argparse
import json
import os
import socket
import sys
import threading

import benchlib

CHUNKS = (32, 512, 4096)

BOARD_SCRIPT = r"""
import gc, socket, time
PORT = ARGS["port"]
HOST = ARGS["host"]
_bench_pool = _sp_pool


def raw_connect(cmd):
    s = socket.socket()
    s.connect(socket.getaddrinfo(HOST, PORT)[0][-1])
    s.write(cmd)
    return s


def pool_connect(cmd):
    s = _bench_pool.socket()
    s.settimeout(60)
    s.connect((HOST, PORT))
    s.sendall(cmd)
    return s


def recv_case(kind, chunk, total):
    buf = bytearray(chunk)
    if kind == "raw":
        s = raw_connect(b"R%d\n" % total)
        read = s.readinto
    else:
        s = pool_connect(b"R%d\n" % total)
        read = s.recv_into
    got = 0
    t = time.ticks_us()
    while got < total:
        n = read(buf)
        if not n:
            break
        got += n
    dt = time.ticks_diff(time.ticks_us(), t)
    s.close()
    return got / dt if got >= total and dt > 0 else 0.0


def send_case(kind, chunk, total):
    buf = bytearray(b"\xa5" * chunk)
    if kind == "raw":
        s = raw_connect(b"S\n")
        write = s.write
    else:
        s = pool_connect(b"S\n")
        write = s.sendall
    sent = 0
    t = time.ticks_us()
    while sent < total:
        write(buf)
        sent += chunk
    dt = time.ticks_diff(time.ticks_us(), t)
    s.close()
    return sent / dt if dt > 0 else 0.0


def rtt_case(kind, n):
    one = b"x"
    buf = bytearray(1)
    if kind == "raw":
        s = raw_connect(b"E\n")
        write, read = s.write, s.readinto
    else:
        s = pool_connect(b"E\n")
        write, read = s.send, s.recv_into
    i = 0
    t = time.ticks_us()
    while i < n:
        write(one)
        if read(buf) != 1:
            break
        i += 1
    dt = time.ticks_diff(time.ticks_us(), t)
    s.close()
    return dt / n if i == n else 0.0


out = {"engine": _sp_pool_engine_name(), "rounds": []}
for r in range(ARGS["rounds"]):
    rnd = {}
    for chunk in ARGS["chunks"]:
        total = ARGS["totals"][str(chunk)]
        for kind in ("pool", "raw") if r % 2 else ("raw", "pool"):
            rnd["recv_%s_%d" % (kind, chunk)] = recv_case(kind, chunk, total)
            rnd["send_%s_%d" % (kind, chunk)] = send_case(kind, chunk, total)
            gc.collect()
    for kind in ("pool", "raw") if r % 2 else ("raw", "pool"):
        rnd["rtt_%s" % kind] = rtt_case(kind, ARGS["rtt_n"])
    out["rounds"].append(rnd)
print("RESULT " + json.dumps(out))
"""

ENGINE_NAME = """
def _sp_pool_engine_name():
    import socketpool
    return socketpool._engine.NAME
"""


def peer(srv, stop):
    """R<n>: send n bytes, then close; S: drain to EOF; E: echo each byte until EOF."""
    block = b"\xa5" * 65536
    while not stop.is_set():
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(conn, block), daemon=True).start()


def serve(conn, block):
    with conn:
        conn.settimeout(300)
        line = b""
        while not line.endswith(b"\n") and len(line) < 32:
            c = conn.recv(1)
            if not c:
                return
            line += c
        cmd = line.strip()
        try:
            if cmd.startswith(b"R"):
                left = int(cmd[1:])
                while left > 0:
                    n = min(left, len(block))
                    conn.sendall(block[:n])
                    left -= n
            elif cmd == b"S":
                while conn.recv(65536):
                    pass
            elif cmd == b"E":
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                while True:
                    c = conn.recv(1)
                    if not c:
                        break
                    conn.sendall(c)
        except OSError:
            pass


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("firmware", help="firmware.uf2 built for RPI_PICO_W_SLIP")
    ap.add_argument("--bootrom", default=None, help="RP2040 bootrom image (or $SOCKETPOOL_RP2040_BOOTROM)")
    ap.add_argument("--kib", type=int, default=64, help="KiB per transfer at 4 KiB and 512 B chunks (default 64)")
    ap.add_argument("--small-kib", type=int, default=16, help="KiB per transfer at 32 B chunks (default 16)")
    ap.add_argument("--rtt", type=int, default=100, help="1-byte round trips per case (default 100)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds, alternating the order (default 3)")
    ap.add_argument("--json", default=None, metavar="FILE", help="write the results (benchlib format)")
    ap.add_argument("--deploy", action="store_true",
                    help="copy this checkout's socketpool onto the board first (a firmware without the "
                    "frozen layer); default: the firmware's own")
    ap.add_argument("--target-log", default=None, metavar="DIR")
    args = ap.parse_args(argv)
    benchlib.add_project_to_path()
    from socketpool_tools.remote_target import RemoteTarget, TargetOptions
    from socketpool_tools.target_names import parse_target

    opts = TargetOptions(log_dir=args.target_log, call_timeout=3600, bootrom=args.bootrom, link="slip",
                         deploy=args.deploy)
    target = RemoteTarget(parse_target("rp2040js:" + args.firmware), opts)
    try:
        srv = socket.socket()  # in the link's network namespace (the target moved this thread there)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((target.peer_host, 0))
        srv.listen(16)
        srv.settimeout(0.2)
        stop = threading.Event()
        threading.Thread(target=peer, args=(srv, stop), daemon=True).start()
        totals = {str(c): (args.small_kib if c < 512 else args.kib) * 1024 for c in CHUNKS}
        board_args = {"port": srv.getsockname()[1], "host": target.peer_host, "chunks": list(CHUNKS),
                      "totals": totals, "rounds": args.rounds, "rtt_n": args.rtt}
        text = target.session.exec_statements(
            "import json\nARGS = %r\n" % board_args + ENGINE_NAME + BOARD_SCRIPT, timeout=3600)
        stop.set()
        srv.close()
    finally:
        target.close()
    line = [ln for ln in text.splitlines() if ln.startswith("RESULT ")]
    if not line:
        print("the board printed no result:\n" + text, file=sys.stderr)
        return 1
    res = json.loads(line[-1][len("RESULT "):])
    engine, rounds = res["engine"], res["rounds"]
    rows = []
    for chunk in CHUNKS:
        for what in ("recv", "send"):
            pool = [r["%s_pool_%d" % (what, chunk)] for r in rounds]
            raw = [r["%s_raw_%d" % (what, chunk)] for r in rounds]
            ratios = [p / q for p, q in zip(pool, raw) if q]
            rows.append(benchlib.row("%s %d B chunks" % (what, chunk), "MB/s", benchlib.median(raw),
                                     benchlib.median(pool), None, baseline_name="firmware socket",
                                     ratio=benchlib.median(ratios) if ratios else float("nan")))
    pool = [r["rtt_pool"] for r in rounds]
    raw = [r["rtt_raw"] for r in rounds]
    ratios = [q / p for p, q in zip(pool, raw) if p]
    rows.append(benchlib.row("1-byte round trip", "us", benchlib.median(raw), benchlib.median(pool), None,
                             baseline_name="firmware socket",
                             ratio=benchlib.median(ratios) if ratios else float("nan")))
    print("socketpool (%s engine) in the emulated Pico W against the firmware's socket, %d rounds, "
          "emulated time" % (engine, len(rounds)))
    print("(ratio: socketpool / socket for MB/s, socket / socketpool for the round trip: > 1 is faster)")
    print(benchlib.format_table(rows))
    benchlib.write_json(args.json, "rp2040js", engine, rows, notes=[
        "peer on this computer over the SLIP link; %s" % os.path.basename(args.firmware)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
