"""Instructions per KiB received: the ESP32 core (sp_recv_into) vs direct lwip_recv.

Builds bench/callgrind_esp32.c with the ESP32 core against Debian's liblwip-dev, then runs the
same TCP transfer over host lwIP's loopback netif twice under ``valgrind --tool=callgrind``:

* ``engine``: received with ``sp_recv_into`` into a CHUNK-byte buffer, waiting with ``sp_poll``;
* ``direct``: received with ``lwip_recv(MSG_DONTWAIT)``, waiting with ``lwip_poll`` (what an
  ESP-IDF application does on its own).

Only the receiving loop is counted (CALLGRIND_TOGGLE_COLLECT in the receiving thread). Prints
Ir/KiB for each and the ratio engine/direct (target <= 1.15: the engine adds at most 15%).
callgrind counts instructions, so the figures do not depend on machine load.

    python bench/bench_callgrind_esp32.py [--mib 8] [--chunk 4096] [--json FILE]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

TARGET = "<= 1.15"


def build(out_dir):
    return benchlib.build_core_driver(out_dir, "callgrind_esp32", ["esp32/sp_core_esp32.c"],
                                      ["-DSP_WAIT_WITH_POLL=1", "-DSP_DNS=0"])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=int, default=8, help="MiB received per run (default 8)")
    ap.add_argument("--chunk", type=int, default=4096, help="receive buffer bytes (default 4096)")
    ap.add_argument("--json", help="write the result rows here (bench/benchlib.py format)")
    args = ap.parse_args(argv)
    ir = benchlib.callgrind_modes(build, ("engine", "direct"), [args.mib, args.chunk])
    if ir is None:
        return 2
    kib = args.mib * 1024
    engine, direct = ir["engine"], ir["direct"]
    rows = [benchlib.row("receive path, %d B buffer" % args.chunk, "Ir/KiB", direct / kib,
                         engine / kib, TARGET, baseline_name="direct lwip_recv")]
    benchlib.print_receive_path(
        "esp32 core receive path, %d MiB over host lwIP loopback (callgrind Ir)" % args.mib, kib,
        ("engine (sp_recv_into + sp_poll)", engine), ("direct (lwip_recv + lwip_poll)", direct), "direct", rows[0])
    benchlib.write_json(args.json, "callgrind_esp32", "lwip-esp32", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
