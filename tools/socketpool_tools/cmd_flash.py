"""``socketpool flash``: put firmware built by ``socketpool build`` onto a board.

* ``--port esp32`` (default): esptool with its progress output; the board's serial port is
  found with pyserial's list_ports unless ``--serial`` names it. IMAGE is a firmware.bin or an
  esp32 build directory (its flash_args give every offset).
* ``--port rp2``: the UF2 copied to the RPI-RP2 boot drive (``--drive``), or ``picotool load``.
"""

import os
import sys

from socketpool_tools.firmware import PORTS, port_module

HELP = "flash firmware onto a board (esp32: esptool; rp2: UF2 drive or picotool)"


def add_arguments(p):
    p.add_argument("image", help="firmware.bin / build directory (esp32) or firmware.uf2 (rp2)")
    p.add_argument("--port", choices=PORTS, default="esp32", help="MicroPython port (default esp32)")
    p.add_argument("--serial", default=None, help="esp32: serial device (default: auto-detected)")
    p.add_argument("--chip", default="auto", help="esp32: esptool --chip (default auto)")
    p.add_argument("--baud", type=int, default=460800, help="esp32: baud rate (default 460800)")
    p.add_argument("--offset", type=lambda v: int(v, 0), default=None,
                   help="esp32: flash offset for a lone .bin (default by --chip)")
    p.add_argument("--erase", action="store_true", help="esp32: erase the whole flash first")
    p.add_argument("--drive", default=None, help="rp2: the mounted RPI-RP2 drive")
    p.add_argument("--picotool", action="store_true", help="rp2: load with picotool")
    p.add_argument("--wait", type=float, default=0.0, help="rp2: seconds to wait for the drive")


def main(args):
    if not os.path.exists(args.image):
        print("socketpool flash: %s: no such file (build one with `socketpool build --port %s`)"
              % (args.image, args.port), file=sys.stderr)
        return 2
    if args.drive and not os.path.isdir(args.drive):
        print("socketpool flash: --drive %s: no such directory" % args.drive, file=sys.stderr)
        return 2
    fw = port_module(args.port)
    try:
        if args.port == "esp32":
            done = fw.flash(args.image, port=args.serial, chip=args.chip, baud=args.baud,
                            erase=args.erase, offset=args.offset)
        else:
            done = fw.flash(args.image, drive=args.drive, picotool=args.picotool, wait_s=args.wait)
    except (fw.FirmwareError, OSError) as e:
        print("socketpool flash: %s" % e, file=sys.stderr)
        return 1
    print(done)
    return 0
