"""The MicroPython ports ``build`` and ``flash`` know: one module ``firmware_<port>.py`` each, with
``DEFAULT_BOARD``, ``build(...)``, ``flash(...)`` and ``FirmwareError``."""

import importlib
import os
import re

PORTS = ("esp32", "rp2")


def port_module(port):
    return importlib.import_module("socketpool_tools.firmware_" + port)


class FirmwareError(Exception):
    """A build or flash step that cannot go on; the message says what to do."""


def run_build(steps, run, image):
    """Runs a port's build commands, ``steps`` of (argv, environment to add or None), printing
    each; returns the built ``image``, which must exist afterwards."""
    for argv, env in steps:
        print("+ " + " ".join(argv), flush=True)
        done = run(argv) if env is None else run(argv, env=dict(os.environ, **env))
        if done.returncode != 0:
            raise FirmwareError("command failed (exit %d): %s" % (done.returncode, " ".join(argv)))
    if not os.path.isfile(image):
        raise FirmwareError("the build finished but %s is missing" % image)
    return image


# --- the frozen API layer (both ports) --------------------------------------------------------
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MANIFEST = os.path.join(ROOT, "manifest.py")  # socketpool, wifi and the compat modules, frozen

_SET_MANIFEST = re.compile(r"^\s*set\s*\(\s*MICROPY_FROZEN_MANIFEST\s+\"?([^\s\")]+)\"?\s*\)",
                           re.MULTILINE | re.IGNORECASE)


def board_manifest(port_dir, board_dir):
    """The frozen manifest a MicroPython board builds with: the one its mpconfigboard.cmake
    sets (``${MICROPY_BOARD_DIR}`` / ``${MICROPY_PORT_DIR}`` expanded), else the port's
    ``boards/manifest.py``."""
    found = None
    cmake = os.path.join(board_dir, "mpconfigboard.cmake")
    if os.path.isfile(cmake):
        with open(cmake) as f:
            m = _SET_MANIFEST.findall(f.read())
        if m:
            found = m[-1].replace("${MICROPY_BOARD_DIR}", board_dir)
            found = found.replace("${MICROPY_PORT_DIR}", port_dir)
            if not os.path.isabs(found):
                found = os.path.join(port_dir, found)
    return os.path.normpath(found or os.path.join(port_dir, "boards", "manifest.py"))


def write_frozen_manifest(path, board_manifest_path, manifest=MANIFEST):
    """Write the manifest ``build`` freezes: the board's own, then the API layer's."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write("# written by `socketpool build`: the board's frozen modules, then socketpool's\n")
        f.write("include(%r)\n" % board_manifest_path.replace("\\", "/"))
        f.write("include(%r)\n" % manifest.replace("\\", "/"))
    return path
