"""``socketpool build``: MicroPython firmware with the native socketpool engine built in.

One branch per port, each in ``firmware_<port>.py`` with ``build(...)`` and ``FirmwareError``:

* ``--port esp32`` (default): the user's MicroPython checkout + ESP-IDF, ``--board``
  (default ESP32_GENERIC; ESP32_GENERIC_S3, ESP32_GENERIC_C3 ...), ``--variant``, our
  ports/esp32/micropython.cmake as USER_C_MODULES and its sdkconfig fragment;
* ``--port rp2``: the user's MicroPython checkout + pico-sdk, ``--board`` (default RPI_PICO_W)
  or ``--board-dir``, ports/rp2040_cyw43/micropython.cmake as USER_C_MODULES.

Both freeze the API layer in (the project's manifest.py over the board's own manifest).

``--dry-run`` prints the commands without running them.
"""

import os
import sys

from socketpool_tools.firmware import PORTS, port_module

HELP = "build MicroPython firmware with the native socketpool engine (esp32 or rp2)"


def add_arguments(p):
    p.add_argument("--port", choices=PORTS, default="esp32", help="MicroPython port (default esp32)")
    p.add_argument("--micropython", default=os.environ.get("MICROPYTHON_DIR"),
                   help="your MicroPython checkout (or $MICROPYTHON_DIR)")
    p.add_argument("--board", help="board name (default: ESP32_GENERIC / RPI_PICO_W)")
    p.add_argument("--variant", help="esp32: BOARD_VARIANT (SPIRAM, OTA, ...)")
    p.add_argument("--idf", default=None,
                   help="esp32: ESP-IDF directory to source export.sh from (default: the "
                   "environment idf.py already runs in)")
    p.add_argument("--pico-sdk", default=None, help="rp2: a pico-sdk to use instead of the pinned one")
    p.add_argument("--board-dir", default=None,
                   help="rp2: a board directory of your own (MicroPython's BOARD_DIR), e.g. "
                   "ports/rp2040_cyw43/boards/RPI_PICO_W_SLIP; the build is build-<its name>")
    p.add_argument("--jobs", "-j", type=int, default=None, help="parallel jobs")
    p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")


def main(args):
    if not args.micropython:
        print("socketpool build: pass --micropython <your MicroPython checkout> "
              "(git clone https://github.com/micropython/micropython)", file=sys.stderr)
        return 2
    mp_port = os.path.join(args.micropython, "ports", args.port)
    if not os.path.isdir(args.micropython):
        print("socketpool build: --micropython %s: no such directory" % args.micropython, file=sys.stderr)
        return 2
    if not os.path.isfile(os.path.join(mp_port, "Makefile")):
        print("socketpool build: %s is not a MicroPython checkout (no ports/%s/Makefile)"
              % (args.micropython, args.port), file=sys.stderr)
        return 2
    if args.jobs is not None and args.jobs < 1:
        print("socketpool build: --jobs must be 1 or more", file=sys.stderr)
        return 2
    fw = port_module(args.port)
    board = args.board or fw.DEFAULT_BOARD
    try:
        if args.port == "esp32":
            image = fw.build(args.micropython, board=board, variant=args.variant, jobs=args.jobs,
                             idf=args.idf, dry_run=args.dry_run)
        else:
            image = fw.build(args.micropython, board=board, jobs=args.jobs,
                             pico_sdk=args.pico_sdk, board_dir=args.board_dir, dry_run=args.dry_run)
    except fw.FirmwareError as e:
        print("socketpool build: %s" % e, file=sys.stderr)
        return 1
    print(("would build " if args.dry_run else "built ") + image)
    return 0
