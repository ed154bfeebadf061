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
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

TARGET = "<= 1.15"


def build(out_dir):
    return benchlib.build_core_driver(out_dir, "callgrind_rp2", ["rp2040_cyw43/sp_core_rp2.c"],
                                      ["-I" + os.path.join(benchlib.ROOT, "ports", "rp2040_cyw43"),
                                       "-DSP_DNS=0", "-DSP_IPV6=0"])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=int, default=16, help="MiB received per run (default 16)")
    ap.add_argument("--json", help="write the result rows here (bench/benchlib.py format)")
    args = ap.parse_args(argv)
    ir = benchlib.callgrind_modes(build, ("engine", "raw"), [args.mib])
    if ir is None:
        return 2
    kib = args.mib * 1024
    engine, raw = ir["engine"], ir["raw"]
    rows = [benchlib.row("receive path, 64 KiB buffer", "Ir/KiB", raw / kib, engine / kib, TARGET,
                         baseline_name="direct raw API (tcp_recv)")]
    benchlib.print_receive_path(
        "rp2 core receive path, %d MiB over host lwIP loopback (callgrind Ir)" % args.mib, kib,
        ("engine (sp_recv_into)", engine), ("direct raw API (tcp_recv)", raw), "raw", rows[0])
    benchlib.write_json(args.json, "callgrind_rp2", "lwip-rp2", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
