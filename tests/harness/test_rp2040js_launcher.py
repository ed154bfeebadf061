"""The emulated Pico W launcher (rp2040js behind a pty), with a firmware image made here: eight
hand-assembled Thumb instructions that enable UART0 and write "OK" to it. A real MicroPython
image needs sources CI does not have (docs/harness.md); this checks the launcher's image loading
(UF2 and Intel HEX), its console and the pty path the harness uses for the emulator."""

import os
import shutil
import struct
import subprocess

import pytest

from socketpool_tools.rp2040js import rp2040js_command
from socketpool_tools.transport import PtyProcess, RawRepl, TargetError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLASH = 0x10000000

# ldr r0,=UART0; ldr r1,=0x301; str r1,[r0,#0x30] (UARTCR: enable, TX, RX);
# movs r1,#'O'; str r1,[r0]; movs r1,#'K'; str r1,[r0]; b .   then the literal pool
PROGRAM = struct.pack("<8H", 0x4803, 0x4904, 0x6301, 0x214F, 0x6001, 0x214B, 0x6001, 0xE7FE) + \
    struct.pack("<2I", 0x40034000, 0x301)


def uf2(data, addr=FLASH):
    header = struct.pack("<8I", 0x0A324655, 0x9E5D5157, 0x2000, addr, 256, 0, 1, 0xE48BFF56)
    return header + data.ljust(476, b"\0") + struct.pack("<I", 0x0AB16F30)


def intel_hex(data, addr=FLASH):
    def record(kind, offset, payload):
        body = bytes([len(payload), offset >> 8, offset & 0xFF, kind]) + payload
        return ":%s%02X\n" % (body.hex().upper(), (-sum(body)) & 0xFF)

    out = record(4, 0, struct.pack(">H", addr >> 16))
    for i in range(0, len(data), 16):
        out += record(0, (addr & 0xFFFF) + i, data[i:i + 16])
    return out + record(1, 0, b"")


@pytest.fixture
def emulator_pieces(tmp_path):
    node = shutil.which("node")
    if not node:
        pytest.skip("Node.js is not installed")
    found = subprocess.run([node, "-e", "require.resolve('rp2040js')"], cwd=ROOT, capture_output=True)
    if found.returncode != 0:
        pytest.skip("rp2040js is not installed (scripts/setup.sh installs it with npm)")
    bootrom = tmp_path / "bootrom.bin"
    bootrom.write_bytes(bytes(16384))  # the program never calls into the ROM
    return tmp_path, str(bootrom)


@pytest.mark.parametrize("kind", ["uf2", "hex"])
def test_launcher_boots_the_image_and_its_console_reaches_the_pty(emulator_pieces, kind):
    tmp_path, bootrom = emulator_pieces
    image = tmp_path / ("ok." + kind)
    if kind == "uf2":
        image.write_bytes(uf2(PROGRAM))
    else:
        image.write_text(intel_hex(PROGRAM))
    proc = PtyProcess(rp2040js_command(str(image), bootrom), env=dict(os.environ, RP2040JS_CONSOLE="uart"))
    try:
        repl = RawRepl(proc.device, interrupt=proc.interrupt)
        proc.start()
        assert repl.wait_for(b"OK", 30, alive=proc.alive)
        repl.close()
    finally:
        proc.stop()


def test_emulator_target_without_a_bootrom_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.delenv("SOCKETPOOL_RP2040_BOOTROM", raising=False)
    image = tmp_path / "fw.uf2"
    image.write_bytes(uf2(PROGRAM))
    with pytest.raises(TargetError, match="bootrom"):
        rp2040js_command(str(image))
