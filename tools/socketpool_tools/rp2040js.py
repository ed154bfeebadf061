"""The emulated Pico W target (``rp2040js:<firmware>``): the node command line that runs
rp2040js_run.cjs, the launcher beside this file (it ships in the wheel)."""

import os
import shutil

from socketpool_tools.transport import TargetError

EMULATOR_BOOT_S = 300  # rp2040js runs a Pico W's boot at a fraction of real speed
LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rp2040js_run.cjs")


def rp2040js_command(firmware, bootrom=None):
    """The node command line that boots ``firmware`` in rp2040js with its console on stdio."""
    bootrom = bootrom or os.environ.get("SOCKETPOOL_RP2040_BOOTROM")
    if not bootrom or not os.path.isfile(bootrom):
        raise TargetError("rp2040js needs the RP2040 bootrom image: --bootrom PATH or $SOCKETPOOL_RP2040_BOOTROM")
    if not os.path.isfile(firmware):
        raise TargetError("no firmware image at %s" % firmware)
    node = shutil.which("node")
    if not node:
        raise TargetError("rp2040js needs Node.js (node) on PATH")
    return [node, LAUNCHER, os.path.abspath(firmware), os.path.abspath(bootrom)]
