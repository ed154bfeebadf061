"""ESP32-family firmware with the native socketpool engine: the esp32 side of ``build`` and
``flash``.

``build``: the user's MicroPython checkout (ports/esp32) and ESP-IDF (``idf.py`` on PATH, or
``--idf`` naming an ESP-IDF directory whose ``export.sh`` is sourced first), a ``BOARD`` (and
optional ``BOARD_VARIANT``), our module as ``USER_C_MODULES`` (ports/esp32/micropython.cmake).
The engine's sdkconfig fragment (ports/esp32/sdkconfig.socketpool) is added without touching
the checkout: the board's directory is copied under ``--out`` with one line appended to its
``mpconfigboard.cmake``, and the build is pointed at that copy with ``BOARD_DIR``. The API layer
is frozen in: ``FROZEN_MANIFEST`` is a manifest written under ``--out`` that includes the board's
own manifest and the project's ``manifest.py``. ``make submodules`` runs in a git clone; a checkout
without ``.git`` (a release tarball) must already hold them. Our sources compile with
``-Wall -Wextra -Werror`` (ports/esp32/micropython.cmake). Extra ``idf.py`` options go through
MicroPython's own ``IDFPY_FLAGS`` environment variable. Produces
``ports/esp32/build-<BOARD>[-<VARIANT>]/firmware.bin`` and its ``flash_args``.

``flash``: esptool (``python -m esptool``), its own progress output shown as it runs; the serial
port is found with pyserial's ``list_ports`` (USB bridges used on ESP32 boards and Espressif's
native USB) unless ``--serial`` names one. With a build directory (``flash_args`` present) every
image goes at the offsets the build chose; a lone ``.bin`` goes at the chip's image offset.

Host tool only (never copied to a board).
"""

import os
import shutil
import subprocess
import sys

from socketpool_tools import firmware

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE_CMAKE = os.path.join(ROOT, "ports", "esp32", "micropython.cmake")
SDKCONFIG_FRAGMENT = os.path.join(ROOT, "ports", "esp32", "sdkconfig.socketpool")
DEFAULT_BOARD = "ESP32_GENERIC"

# USB vendor ids of the serial bridges on ESP32 boards, most specific first
USB_VIDS = {
    0x303A: "Espressif native USB",
    0x10C4: "Silicon Labs CP210x",
    0x1A86: "WCH CH34x",
    0x0403: "FTDI",
}

# where a merged MicroPython firmware.bin starts, by chip (MicroPython's esp32 download page)
IMAGE_OFFSET = {"esp32": 0x1000, "esp32s2": 0x1000}
DEFAULT_IMAGE_OFFSET = 0x0  # esp32s3, esp32c3, esp32c6, esp32c2, esp32h2, esp32p4


FirmwareError = firmware.FirmwareError  # one class for both ports


# --- build ------------------------------------------------------------------------------------
def build_name(board, variant=None):
    return board + ("-" + variant if variant else "")


def build_dir(micropython, board=DEFAULT_BOARD, variant=None):
    return os.path.join(micropython, "ports", "esp32", "build-" + build_name(board, variant))


def firmware_path(micropython, board=DEFAULT_BOARD, variant=None):
    return os.path.join(build_dir(micropython, board, variant), "firmware.bin")


def board_copy(micropython, board, out):
    """Copy ports/esp32/boards/<board> to ``out`` and add our sdkconfig fragment to it."""
    src = os.path.join(micropython, "ports", "esp32", "boards", board)
    if not os.path.isfile(os.path.join(src, "mpconfigboard.cmake")):
        raise FirmwareError("no board %s in %s (see ports/esp32/boards)" % (board, micropython))
    dst = os.path.join(os.path.abspath(out), "boards", board)
    if os.path.isdir(dst):
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    with open(os.path.join(dst, "mpconfigboard.cmake"), "a") as f:
        f.write("\n# added by `socketpool build`: the native socketpool engine's lwIP options\n")
        f.write("list(APPEND SDKCONFIG_DEFAULTS %s)\n" % SDKCONFIG_FRAGMENT.replace("\\", "/"))
    return dst


def is_git_checkout(micropython):
    return os.path.exists(os.path.join(micropython, ".git"))


def build_commands(micropython, board=DEFAULT_BOARD, variant=None, jobs=None, board_dir=None,
                   manifest=None, submodules=True):
    """The commands ``build`` runs, as argv lists, in order (run in an ESP-IDF environment)."""
    port = os.path.join(micropython, "ports", "esp32")
    jobs = jobs or os.cpu_count() or 2
    common = ["BOARD=" + board, "USER_C_MODULES=" + MODULE_CMAKE]
    if variant:
        common.append("BOARD_VARIANT=" + variant)
    if board_dir:
        common.append("BOARD_DIR=" + board_dir)
    if manifest:
        common.append("FROZEN_MANIFEST=" + manifest)
    cmds = [["make", "-C", os.path.join(micropython, "mpy-cross"), "-j%d" % jobs]]
    if submodules:
        cmds.append(["make", "-C", port] + common + ["submodules"])
    cmds.append(["make", "-C", port] + common + ["-j%d" % jobs])
    return cmds


def _in_idf(argv, idf):
    """argv run inside ESP-IDF's environment (``export.sh`` sourced) when ``idf`` is given."""
    if not idf:
        return argv
    export = os.path.join(os.path.abspath(idf), "export.sh")
    quoted = " ".join("'%s'" % a.replace("'", "'\\''") for a in argv)
    return ["bash", "-c", ". '%s' >/dev/null && exec %s" % (export, quoted)]


def check_checkout(micropython, idf=None):
    if not os.path.isfile(os.path.join(micropython, "ports", "esp32", "Makefile")):
        raise FirmwareError(
            "%s is not a MicroPython checkout (no ports/esp32/Makefile); "
            "git clone https://github.com/micropython/micropython" % micropython)
    if idf:
        if not os.path.isfile(os.path.join(idf, "export.sh")):
            raise FirmwareError("%s is not an ESP-IDF directory (no export.sh)" % idf)
    elif not shutil.which("idf.py") or not os.environ.get("IDF_PATH"):
        raise FirmwareError(
            "ESP-IDF is not set up: run `. <esp-idf>/export.sh` first, or pass --idf <esp-idf> "
            "(the version your MicroPython names in ports/esp32/README.md)")
    if not is_git_checkout(micropython) and not os.path.isfile(
            os.path.join(micropython, "lib", "micropython-lib", "README.md")):
        raise FirmwareError(
            "%s is not a git clone and has no lib/micropython-lib: use a git clone (its "
            "submodules are fetched for you) or a release tarball, which includes them" % micropython)


def build(micropython, board=DEFAULT_BOARD, variant=None, jobs=None, idf=None, out=None,
          dry_run=False, run=subprocess.run):
    """Build the firmware; returns the firmware.bin path (dry_run: prints the commands)."""
    micropython = os.path.abspath(micropython)
    out = os.path.abspath(out or os.path.join(ROOT, "build", "esp32"))
    board_dir = os.path.join(out, "boards", board)
    manifest = os.path.join(out, "manifest-%s.py" % build_name(board, variant))
    cmds = [_in_idf(c, idf) for c in build_commands(
        micropython, board, variant, jobs, board_dir, manifest,
        submodules=dry_run or is_git_checkout(micropython))]
    if dry_run:
        for argv in cmds:
            print(" ".join(argv))
        return firmware_path(micropython, board, variant)
    check_checkout(micropython, idf)
    board_copy(micropython, board, out)
    port = os.path.join(micropython, "ports", "esp32")
    firmware.write_frozen_manifest(manifest, firmware.board_manifest(port, board_dir))
    return firmware.run_build([(argv, None) for argv in cmds], run, firmware_path(micropython, board, variant))


# --- flash ------------------------------------------------------------------------------------
def list_ports():
    from serial.tools import list_ports as lp  # pyserial, installed with esptool

    return list(lp.comports())


def find_port(ports=None):
    """The serial device of the one ESP32 board attached (by USB vendor id), else FirmwareError."""
    ports = list_ports() if ports is None else ports
    found = [p for p in ports if getattr(p, "vid", None) in USB_VIDS]
    if not found:
        seen = ", ".join(p.device for p in ports) or "none"
        raise FirmwareError("no ESP32 board found on USB (serial ports: %s); plug one in or "
                            "pass --serial" % seen)
    rank = list(USB_VIDS)
    found.sort(key=lambda p: (rank.index(p.vid), p.device))
    if len(found) > 1 and found[0].vid == found[1].vid:
        raise FirmwareError("several ESP32 boards found (%s): pass --serial"
                            % ", ".join(p.device for p in found))
    return found[0].device


def flash_commands(image, port, chip="auto", baud=460800, erase=False, offset=None):
    """esptool argv lists for ``image`` (a firmware.bin, or a build directory with flash_args)."""
    base = [sys.executable, "-m", "esptool", "--chip", chip, "--port", port, "--baud", str(baud)]
    cmds = []
    if erase:
        cmds.append(base + ["erase_flash"])
    if os.path.isdir(image):
        args = os.path.join(image, "flash_args")
        if not os.path.isfile(args):
            raise FirmwareError("%s has no flash_args: is it an esp32 build directory?" % image)
        cmds.append(base + ["write_flash", "@" + args])
    else:
        if offset is None:
            offset = IMAGE_OFFSET.get(chip, DEFAULT_IMAGE_OFFSET if chip != "auto" else None)
        if offset is None:
            raise FirmwareError("pass --chip (esp32, esp32s3, ...) or --offset for a lone .bin")
        cmds.append(base + ["write_flash", "-z", "0x%x" % offset, image])
    return cmds


def flash(image, port=None, chip="auto", baud=460800, erase=False, offset=None,
          run=subprocess.run, ports=None):
    """Flash with esptool, showing its progress; returns a one-line description."""
    if not os.path.exists(image):
        raise FirmwareError("%s does not exist (run `socketpool build` first)" % image)
    beside = os.path.dirname(os.path.abspath(image))
    if offset is None and chip == "auto" and os.path.isfile(os.path.join(beside, "flash_args")):
        image = beside  # a firmware.bin still in its build directory: flash as the build says
    port = port or find_port(ports)
    cwd = image if os.path.isdir(image) else None  # flash_args names files relative to it
    for argv in flash_commands(image, port, chip, baud, erase, offset):
        print("+ " + " ".join(argv), flush=True)
        done = run(argv, cwd=cwd)  # esptool's own progress goes straight to the terminal
        if done.returncode != 0:
            raise FirmwareError("esptool failed (exit %d); hold BOOT while resetting the board "
                                "to enter its download mode, then try again" % done.returncode)
    return "flashed %s through %s" % (image, port)
