"""``socketpool bootrom``: the RP2040 bootrom image that the emulated Pico W needs, as bytes.

rp2040js ships no bootrom; its repository holds one (revision B1) as TypeScript source,
``demo/bootrom.ts`` (a ``Uint32Array`` of 4096 words). This writes those 16384 bytes to a file
(default ``bootrom.bin``), for ``--bootrom`` / ``$SOCKETPOOL_RP2040_BOOTROM``.
"""

import sys

from socketpool_tools.rp2040js import bootrom_from_ts

HELP = "write the RP2040 bootrom image (bootrom.bin) from rp2040js's demo/bootrom.ts"


def add_arguments(p):
    p.add_argument("source", help="demo/bootrom.ts of a wokwi/rp2040js checkout")
    p.add_argument("-o", "--output", default="bootrom.bin", help="where to write it (default bootrom.bin)")


def main(args):
    try:
        with open(args.source, encoding="utf-8") as f:
            data = bootrom_from_ts(f.read())
    except (OSError, UnicodeDecodeError, ValueError) as e:
        print("socketpool bootrom: %s: %s" % (args.source, e), file=sys.stderr)
        return 1
    with open(args.output, "wb") as f:
        f.write(data)
    print("wrote %s (%d bytes)" % (args.output, len(data)))
    return 0
