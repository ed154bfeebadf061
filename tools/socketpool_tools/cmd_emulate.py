"""``socketpool emulate``: an emulated Pico W (rp2040js) for an interactive session.

Boots the firmware image in the harness's own launcher (rp2040js_run.cjs) behind a pty and
prints its path, for ``mpremote connect <pty>`` or a terminal program. With the SLIP test
board's firmware (RPI_PICO_W_SLIP) and ``--link`` (default on where this machine allows it:
root, /dev/net/tun), the board's UART1 is its network link: the board is 10.78.0.2, this side
of the link 10.78.0.1, inside a network namespace of its own; the command prints how to run a
server there (``nsenter``). Runs until Ctrl-C or until the emulator ends.
"""

import os
import sys
import time

from socketpool_tools import slip_link
from socketpool_tools.rp2040js import rp2040js_command
from socketpool_tools.transport import PtyProcess, TargetError

HELP = "boot a firmware image in rp2040js behind a pty, for mpremote or a terminal"


def add_arguments(p):
    p.add_argument("image", help="firmware.uf2 or .hex")
    p.add_argument("--bootrom", default=None, help="RP2040 bootrom image (or $SOCKETPOOL_RP2040_BOOTROM; "
                   "`socketpool bootrom` makes one)")
    p.add_argument("--link", default="auto", choices=("auto", "slip", "none"),
                   help="the SLIP link on UART1 (default auto: when this machine allows it)")


def main(args):
    link = None
    try:
        argv = rp2040js_command(args.image, args.bootrom)
        env = None
        if args.link != "none":
            try:
                link = slip_link.Link.open(log=sys.stderr)
                env = dict(os.environ, RP2040JS_UART1=link.socket_path)
            except slip_link.LinkError as e:
                if args.link == "slip":
                    raise TargetError(str(e))
                print("no SLIP link: %s" % e, file=sys.stderr)
        proc = PtyProcess(argv, env=env)
    except TargetError as e:
        if link:
            link.close()
        print("socketpool emulate: %s" % e, file=sys.stderr)
        return 1
    proc.start()
    print("emulated Pico W console: %s   (mpremote connect %s)" % (proc.device, proc.device))
    if link:
        print("SLIP link: board %s, this side %s; a server the board can reach:\n"
              "  nsenter --net=/proc/%d/ns/net <command>" % (link.board_addr, link.peer_addr, link.proc.pid))
    sys.stdout.flush()
    try:
        while proc.alive():
            time.sleep(0.5)
        print("the emulator ended")
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        proc.stop()
        if link:
            link.close()
