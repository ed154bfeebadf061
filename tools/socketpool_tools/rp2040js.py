"""The emulated Pico W target (``rp2040js:<firmware>``): the node command line that runs
rp2040js_run.cjs, the launcher beside this file (it ships in the wheel), and the RP2040 bootrom
image it needs, made from ``demo/bootrom.ts`` of wokwi/rp2040js (``bootrom_from_ts``; the
``socketpool emulate --bootrom-ts`` step writes it once as ``bootrom.bin``)."""

import os
import re
import shutil
import struct

from socketpool_tools.transport import TargetError

EMULATOR_BOOT_S = 300  # rp2040js runs a Pico W's boot at a fraction of real speed
LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rp2040js_run.cjs")


BOOTROM_BYTES = 16384  # the RP2040's mask ROM
_WORD = re.compile(r"0x([0-9a-fA-F]{1,8})")


def bootrom_from_ts(text):
    """The bootrom bytes from the TypeScript source that holds them as one ``Uint32Array([...])``
    of little-endian words (rp2040js's demo/bootrom.ts). ValueError if it is not that."""
    start = text.find("Uint32Array([")
    end = text.find("])", start)
    if start < 0 or end < 0:
        raise ValueError("no Uint32Array([...]) in the bootrom source")
    body = text[start + len("Uint32Array(["):end]
    body = re.sub(r"//[^\n]*", "", body)
    words = [int(w, 16) for w in _WORD.findall(body)]
    data = struct.pack("<%dI" % len(words), *words)
    if len(data) != BOOTROM_BYTES:
        raise ValueError("the bootrom source holds %d bytes, not the RP2040's %d" % (len(data), BOOTROM_BYTES))
    return data


def rp2040js_command(firmware, bootrom=None):
    """The node command line that boots ``firmware`` in rp2040js with its console on stdio."""
    if not os.path.isfile(firmware):
        raise TargetError("no firmware image at %s" % firmware)
    bootrom = bootrom or os.environ.get("SOCKETPOOL_RP2040_BOOTROM")
    if not bootrom or not os.path.isfile(bootrom):
        raise TargetError("rp2040js needs the RP2040 bootrom image: --bootrom PATH or $SOCKETPOOL_RP2040_BOOTROM")
    node = shutil.which("node")
    if not node:
        raise TargetError("rp2040js needs Node.js (node) on PATH")
    return [node, LAUNCHER, os.path.abspath(firmware), os.path.abspath(bootrom)]
