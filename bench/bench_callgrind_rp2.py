"""Instructions per KiB received: the Pico W core (sp_recv_into) vs direct raw-API code.

Builds bench/callgrind_rp2.c against Debian's liblwip-dev with the rp2 core, then runs it twice
under ``valgrind --tool=callgrind`` on the same transfer over host lwIP's loopback netif:

* ``engine``: the receiver is a core socket read with ``sp_recv_into`` (waits with ``sp_poll``);
* ``raw``: the receiver is minimal raw-API code (a ``tcp_recv`` callback queueing pbufs, a reader
  copying them out and calling ``tcp_recved``), waiting on the same wake counter.

Both share the sender (a raw PCB refilled from ``tcp_sent`` in lwIP's thread). Collection is
toggled around the transfer in the receiving thread (callgrind's collection state is per
thread), so the figures are the receive path's instructions: set-up, the sender and lwIP's TCP
input are outside both. Prints Ir/KiB for each and the ratio (target: engine <= 1.15 x raw).

    python bench/bench_callgrind_rp2.py [--mib 16] [--json FILE]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = "<= 1.15"


def build(out_dir):
    exe = os.path.join(out_dir, "callgrind_rp2")
    cmd = [
        "cc", "-std=gnu11", "-O2", "-g", "-Wall", "-Wextra", "-Werror",
        "-I" + os.path.join(ROOT, "ports", "common"),
        "-I" + os.path.join(ROOT, "ports", "rp2040_cyw43"),
        "-I/usr/include/lwip", "-DSP_DNS=0", "-DSP_IPV6=0",
        "-o", exe,
        os.path.join(ROOT, "bench", "callgrind_rp2.c"),
        os.path.join(ROOT, "ports", "rp2040_cyw43", "sp_core_rp2.c"),
        os.path.join(ROOT, "ports", "common", "sp_errno.c"),
        os.path.join(ROOT, "ports", "host", "sp_host_platform.c"),
        "-llwip", "-lpthread",
    ]
    subprocess.run(cmd, check=True)
    return exe


def instructions(exe, mode, mib, out_dir):
    return benchlib.callgrind_instructions([exe, mode, mib], os.path.join(out_dir, "callgrind.%s.out" % mode))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=int, default=16, help="MiB received per run (default 16)")
    ap.add_argument("--json", help="write the result rows here (bench/benchlib.py format)")
    args = ap.parse_args(argv)
    if not shutil.which("valgrind"):
        print("valgrind is not installed (Debian package valgrind)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench_rp2_") as tmp:
        exe = build(tmp)
        kib = args.mib * 1024
        engine = instructions(exe, "engine", args.mib, tmp)
        raw = instructions(exe, "raw", args.mib, tmp)
    rows = [benchlib.row("receive path, 64 KiB buffer", "Ir/KiB", raw / kib, engine / kib, TARGET,
                         baseline_name="direct raw API (tcp_recv)")]
    print("rp2 core receive path, %d MiB over host lwIP loopback (callgrind Ir)" % args.mib)
    print("  %-28s %12s %10s" % ("receiver", "Ir total", "Ir/KiB"))
    print("  %-28s %12d %10.1f" % ("engine (sp_recv_into)", engine, engine / kib))
    print("  %-28s %12d %10.1f" % ("direct raw API (tcp_recv)", raw, raw / kib))
    print("  ratio engine/raw = %.3f (target %s: %s)" % (
        rows[0]["ratio"], TARGET, "met" if rows[0]["ok"] else "NOT met"))
    benchlib.write_json(args.json, "callgrind_rp2", "lwip-rp2", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
