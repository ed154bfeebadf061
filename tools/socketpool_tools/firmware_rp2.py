"""Pico W firmware with the native socketpool engine: the rp2 side of ``build`` and ``flash``.

``build``: the user's MicroPython checkout (its rp2 port and the pico-sdk it pins, or
``--pico-sdk``), ``BOARD=RPI_PICO_W`` by default or a board directory of one's own
(``--board-dir``, MicroPython's ``BOARD_DIR``: e.g. the project's test boards under
ports/rp2040_cyw43/boards), our module as ``USER_C_MODULES`` (ports/rp2040_cyw43/micropython.cmake)
and the API layer frozen in: ``FROZEN_MANIFEST`` is a manifest written under ``--out`` (default
``build/rp2`` in the project) that includes the board's own manifest and the project's
``manifest.py``. ``make submodules`` runs in a git clone; a checkout without ``.git`` must already
hold them (pico-sdk, tinyusb, cyw43-driver, lwip, btstack, mbedtls, micropython-lib). The port's
Makefile runs cmake only for a new build directory, so a directory configured before is
configured again with this build's module and manifest. pico-sdk 2.x wants an installed picotool
(``picotool_DIR``), else it downloads one. Produces ``ports/rp2/build-<board>/firmware.uf2``
(``<board>`` is the last part of ``--board-dir``).

``flash``: a UF2 image copied to the board's boot drive (``RPI-RP2``, the mass-storage drive a
Pico shows when started with BOOTSEL held, or after ``machine.bootloader()``), or loaded with
``picotool load -x`` when asked or when no drive is mounted but picotool is installed.

Host tool only (never copied to a board).
"""

import glob
import os
import shutil
import struct
import subprocess
import sys
import time

from socketpool_tools import firmware

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE_CMAKE = os.path.join(ROOT, "ports", "rp2040_cyw43", "micropython.cmake")
DEFAULT_BOARD = "RPI_PICO_W"
# what an offline (non-git) checkout must hold for a Pico W build
SUBMODULES = ("pico-sdk", "tinyusb", "cyw43-driver", "lwip", "btstack", "mbedtls", "micropython-lib")

UF2_MAGIC_START0 = 0x0A324655
UF2_MAGIC_START1 = 0x9E5D5157
UF2_MAGIC_END = 0x0AB16F30
UF2_BLOCK = 512


FirmwareError = firmware.FirmwareError  # one class for both ports


# --- build ------------------------------------------------------------------------------------
def board_name(board=DEFAULT_BOARD, board_dir=None):
    return os.path.basename(os.path.normpath(board_dir)) if board_dir else board


def build_dir(micropython, board=DEFAULT_BOARD, board_dir=None):
    return os.path.join(micropython, "ports", "rp2", "build-" + board_name(board, board_dir))


def is_git_checkout(micropython):
    return os.path.exists(os.path.join(micropython, ".git"))


def build_commands(micropython, board=DEFAULT_BOARD, jobs=None, pico_sdk=None, board_dir=None,
                   manifest=None, submodules=True, reconfigure=False):
    """The commands ``build`` runs, as (argv, env-additions) pairs, in order."""
    port = os.path.join(micropython, "ports", "rp2")
    jobs = jobs or os.cpu_count() or 2
    env = {"PICO_SDK_PATH": os.path.abspath(pico_sdk)} if pico_sdk else {}
    which = ["BOARD_DIR=" + os.path.abspath(board_dir)] if board_dir else ["BOARD=" + board]
    cmds = [(["make", "-C", os.path.join(micropython, "mpy-cross"), "-j%d" % jobs], {})]
    if submodules and not pico_sdk:  # the SDK, cyw43-driver, lwIP ... that this MicroPython pins
        cmds.append((["make", "-C", port] + which + ["submodules"], {}))
    defs = ["-DUSER_C_MODULES=" + MODULE_CMAKE]
    if manifest:
        defs.append("-DMICROPY_FROZEN_MANIFEST=" + manifest)
    if reconfigure:  # the Makefile would keep the cache of an earlier configure
        cmds.append((["cmake", "-S", port, "-B", build_dir(micropython, board, board_dir)] + defs, env))
    make = ["make", "-C", port] + which + ["USER_C_MODULES=" + MODULE_CMAKE]
    if manifest:
        make.append("FROZEN_MANIFEST=" + manifest)
    cmds.append((make + ["-j%d" % jobs], env))
    return cmds


def firmware_path(micropython, board=DEFAULT_BOARD, board_dir=None):
    return os.path.join(build_dir(micropython, board, board_dir), "firmware.uf2")


def _empty(path):
    return not os.path.isdir(path) or not os.listdir(path)


def check_checkout(micropython, board_dir=None, pico_sdk=None):
    if not os.path.isfile(os.path.join(micropython, "ports", "rp2", "Makefile")):
        raise FirmwareError(
            "%s is not a MicroPython checkout (no ports/rp2/Makefile); "
            "git clone https://github.com/micropython/micropython" % micropython)
    if board_dir and not os.path.isfile(os.path.join(board_dir, "mpconfigboard.cmake")):
        raise FirmwareError("%s is not a board directory (no mpconfigboard.cmake)" % board_dir)
    if not is_git_checkout(micropython):
        missing = [m for m in SUBMODULES if not (m == "pico-sdk" and pico_sdk)
                   and _empty(os.path.join(micropython, "lib", m))]
        if missing:
            raise FirmwareError(
                "%s is not a git clone (so `make submodules` cannot fill lib/) and lib/%s is "
                "empty: use a git clone, or put the commits this MicroPython pins there "
                "(`git ls-tree HEAD lib/` in a clone lists them)" % (micropython, ", lib/".join(missing)))
    if not shutil.which("arm-none-eabi-gcc"):
        raise FirmwareError("arm-none-eabi-gcc not found: install gcc-arm-none-eabi and "
                            "libnewlib-arm-none-eabi (Debian/Ubuntu) or Arm's toolchain")
    if not shutil.which("picotool") and not os.environ.get("picotool_DIR"):
        print("note: no picotool found; pico-sdk 2.x then downloads and builds one "
              "(needs network). Set picotool_DIR to an installed picotool >= 2.1.1 to avoid it.",
              file=sys.stderr)


def build(micropython, board=DEFAULT_BOARD, jobs=None, pico_sdk=None, board_dir=None, out=None,
          dry_run=False, run=subprocess.run):
    """Build the firmware; returns the UF2 path (or, with dry_run, prints the commands)."""
    micropython = os.path.abspath(micropython)
    port = os.path.join(micropython, "ports", "rp2")
    board_dir = os.path.abspath(board_dir) if board_dir else None
    name = board_name(board, board_dir)
    out = os.path.abspath(out or os.path.join(ROOT, "build", "rp2"))
    manifest = os.path.join(out, "manifest-%s.py" % name)
    reconfigure = os.path.isfile(os.path.join(build_dir(micropython, board, board_dir), "CMakeCache.txt"))
    cmds = build_commands(micropython, board, jobs, pico_sdk, board_dir, manifest,
                          submodules=dry_run or is_git_checkout(micropython), reconfigure=reconfigure)
    if dry_run:
        for argv, env in cmds:
            print(" ".join(["%s=%s" % kv for kv in env.items()] + argv))
        return firmware_path(micropython, board, board_dir)
    check_checkout(micropython, board_dir, pico_sdk)
    firmware.write_frozen_manifest(
        manifest, firmware.board_manifest(port, board_dir or os.path.join(port, "boards", board)))
    return firmware.run_build(cmds, run, firmware_path(micropython, board, board_dir))


# --- flash ------------------------------------------------------------------------------------
def check_uf2(path):
    """Raise FirmwareError unless ``path`` is a UF2 image; returns its block count."""
    size = os.path.getsize(path)
    if size == 0 or size % UF2_BLOCK:
        raise FirmwareError("%s is not a UF2 image (size %d is not a multiple of 512)" % (path, size))
    with open(path, "rb") as f:
        first = f.read(UF2_BLOCK)
    start0, start1 = struct.unpack_from("<II", first, 0)
    (end,) = struct.unpack_from("<I", first, UF2_BLOCK - 4)
    if (start0, start1, end) != (UF2_MAGIC_START0, UF2_MAGIC_START1, UF2_MAGIC_END):
        raise FirmwareError("%s is not a UF2 image (bad magic numbers)" % path)
    return size // UF2_BLOCK


def boot_drive_roots():
    """Where operating systems mount removable drives."""
    user = os.environ.get("USER") or os.environ.get("USERNAME") or "*"
    roots = ["/media/%s/*" % user, "/media/*", "/run/media/%s/*" % user, "/mnt/*", "/Volumes/*"]
    if os.name == "nt":
        roots += ["%s:\\" % c for c in "DEFGHIJKLMNOPQRSTUVWXYZ"]
    return roots


def find_boot_drive(roots=None):
    """The mounted RP2 boot drive (holds INFO_UF2.TXT naming RPI-RP2 or an RP2 board), or None."""
    for pattern in roots if roots is not None else boot_drive_roots():
        for mount in sorted(glob.glob(pattern)):
            info = os.path.join(mount, "INFO_UF2.TXT")
            try:
                with open(info, encoding="ascii", errors="replace") as f:
                    text = f.read(1024)
            except OSError:
                continue
            if "RPI-RP2" in text or "RP2040" in text or "RP2350" in text:
                return mount
    return None


def copy_to_drive(uf2, drive):
    """Copy the image; the board reboots into it once the last block is written."""
    target = os.path.join(drive, os.path.basename(uf2) or "firmware.uf2")
    with open(uf2, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, 64 * 1024)
        dst.flush()
        os.fsync(dst.fileno())
    return target


def flash(uf2, drive=None, picotool=False, wait_s=0.0, roots=None, run=subprocess.run):
    """Flash ``uf2``; returns a one-line description of what was done."""
    blocks = check_uf2(uf2)
    if picotool:
        return _picotool_load(uf2, run)
    deadline = time.monotonic() + wait_s
    while drive is None:
        drive = find_boot_drive(roots)
        if drive is not None or time.monotonic() >= deadline:
            break
        time.sleep(0.25)
    if drive is None:
        if shutil.which("picotool"):
            return _picotool_load(uf2, run)
        raise FirmwareError(
            "no RPI-RP2 boot drive is mounted: hold BOOTSEL while plugging the Pico W in (or run "
            "`mpremote bootloader` on a running board), then try again, or pass --drive")
    target = copy_to_drive(uf2, drive)
    return "copied %s (%d UF2 blocks) to %s; the board restarts into it" % (uf2, blocks, target)


def _picotool_load(uf2, run):
    exe = shutil.which("picotool")
    if not exe:
        raise FirmwareError("picotool not found (install it, or copy to the RPI-RP2 drive)")
    argv = [exe, "load", "-x", uf2, "-f"]
    done = run(argv)
    if done.returncode != 0:
        raise FirmwareError("picotool failed (exit %d): %s" % (done.returncode, " ".join(argv)))
    return "loaded %s with picotool and started it" % uf2
