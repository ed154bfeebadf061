"""``socketpool run``: run a CircuitPython ``code.py`` on this computer, unchanged.

Inside the run, as on a board: ``import wifi, socketpool, ssl`` give CircuitPython's modules
(``ssl`` is socketpool_host.cpy_ssl, for this run only), ``os.getenv`` reads ``settings.toml``
next to code.py (CircuitPython's TOML subset), the folder of code.py is the board's drive (paths
from ``/`` resolve inside it, nothing outside it is written: drive.py), it and its ``lib/`` are on the
import path, and an uncaught exception prints a CircuitPython-style traceback followed by
``Code done running.``. The process exit status is 0 when code.py finished, 1 when it raised.
"""

import os
import sys

from socketpool_tools import drive as _drive
from socketpool_tools.drive import Drive
from socketpool_tools.settings import Settings, SettingsError

HELP = "run a CircuitPython code.py on this computer (wifi, socketpool, ssl, settings.toml)"

HEADER = "code.py output:"
DONE = "Code done running."


def add_arguments(parser):
    parser.add_argument(
        "path", nargs="?", default=".", help="code.py, or the folder holding it (default: .)"
    )
    parser.add_argument(
        "--slots",
        type=int,
        default=None,
        help="socket slots of the host engine (sets SOCKETPOOL_SLOTS; default 8, as on a board)",
    )


# --- CircuitPython-style traceback ---------------------------------------------------------
def _shown_name(filename, code_dir):
    """File names as a board shows them: relative to CIRCUITPY (code dir) or to the library path."""
    full = os.path.abspath(filename)
    roots = [code_dir] + [os.path.abspath(p) for p in sys.path if p]
    for root in sorted(set(roots), key=len, reverse=True):
        if full.startswith(root.rstrip(os.sep) + os.sep):
            return os.path.relpath(full, root)
    return os.path.basename(full)


def _type_name(exc):
    t = type(exc)
    # CPython makes ConnectionRefusedError etc. out of OSError(errno); a board says OSError
    if isinstance(exc, OSError) and t.__module__ == "builtins":
        return "OSError"
    return t.__name__


def format_exception(exc, code_path, code_dir):
    """Lines of a CircuitPython-style traceback for ``exc`` (with its cause/context chain)."""
    chain = []
    seen = set()
    e = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        chain.append(e)
        if e.__cause__ is not None:
            e = e.__cause__
        elif e.__context__ is not None and not e.__suppress_context__:
            e = e.__context__
        else:
            e = None
    lines = []
    for i, e in enumerate(reversed(chain)):
        if i:
            nxt = chain[len(chain) - i - 1]
            if nxt.__cause__ is e:
                lines += ["", "The above exception was the direct cause of the following exception:", ""]
            else:
                lines += ["", "During handling of the above exception, another exception occurred:", ""]
        lines.append("Traceback (most recent call last):")
        tb = e.__traceback__
        frames = []
        while tb is not None:
            frames.append((tb.tb_frame.f_code.co_filename, tb.tb_lineno, tb.tb_frame.f_code.co_name))
            tb = tb.tb_next
        # drop this runner's own frames: the traceback starts in code.py, as on a board
        for k, (fn, _, _) in enumerate(frames):
            if os.path.abspath(fn) == code_path:
                frames = frames[k:]
                break
        else:
            frames = []
        frames = [fr for fr in frames if fr[0] != _drive.__file__]  # the drive's wrappers: not the board's
        for fn, lineno, name in frames:
            lines.append('  File "%s", line %d, in %s' % (_shown_name(fn, code_dir), lineno, name))
        if isinstance(e, SyntaxError) and e.filename:
            # as a board: where the compiler stopped, then the bare message
            lines.append('  File "%s", line %s' % (_shown_name(e.filename, code_dir), e.lineno))
            lines.append("%s: %s" % (type(e).__name__, e.msg))
            continue
        msg = str(e)
        lines.append("%s: %s" % (_type_name(e), msg) if msg else _type_name(e))
    return lines


# --- the run ---------------------------------------------------------------------------------
def find_code(path):
    if os.path.isdir(path):
        for name in ("code.py", "main.py"):
            candidate = os.path.join(path, name)
            if os.path.isfile(candidate):
                return os.path.abspath(candidate)
        raise FileNotFoundError("no code.py or main.py in %s" % path)
    if not os.path.isfile(path):
        raise FileNotFoundError("no such file: %s" % path)
    return os.path.abspath(path)


class _RunEnvironment:
    """What a board gives code.py, installed for the run and taken away after it."""

    def __init__(self, code_path, settings):
        self.code_dir = os.path.dirname(code_path)
        self.settings = settings

    def __enter__(self):
        from socketpool_host import cpy_ssl

        self._saved = (list(sys.path), sys.modules.get("ssl"), os.getenv, list(sys.argv))
        sys.path[:0] = [self.code_dir, os.path.join(self.code_dir, "lib")]
        sys.modules["ssl"] = cpy_ssl
        os.getenv = self.settings.getenv
        self.drive = Drive(self.code_dir).__enter__()  # paths from / are files of the code folder
        return self

    def __exit__(self, *exc):
        self.drive.__exit__(*exc)
        path, ssl_module, getenv, argv = self._saved
        sys.path[:] = path
        if ssl_module is None:
            sys.modules.pop("ssl", None)
        else:
            sys.modules["ssl"] = ssl_module
        os.getenv = getenv
        sys.argv[:] = argv


def run_code(code_path, out=None):
    """Run one code.py; returns the exit status (0 finished, 1 raised, 130 Ctrl-C)."""
    out = out or sys.stdout
    code_dir = os.path.dirname(code_path)
    settings_path = os.path.join(code_dir, "settings.toml")
    try:
        settings = Settings(settings_path)
    except SettingsError as e:
        print("settings.toml: %s (%s)" % (e, settings_path), file=out)
        return 1
    with open(code_path, encoding="utf-8") as f:
        source = f.read()
    print(HEADER, file=out, flush=True)
    status = 0
    with _RunEnvironment(code_path, settings):
        sys.argv[:] = [code_path]
        # as on a board, code.py is "code.py" on the drive (its directory, "", is the drive's root)
        scope = {"__name__": "__main__", "__file__": os.path.basename(code_path), "__builtins__": __builtins__}
        try:
            exec(compile(source, code_path, "exec"), scope)
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException as e:  # noqa: B036 - a board reports everything, Ctrl-C included
            out.flush()
            for line in format_exception(e, code_path, code_dir):
                print(line, file=out)
            if settings.missing:
                print(
                    "\nNote: os.getenv() found no %s in %s (nor in the environment)."
                    % (", ".join(settings.missing), settings_path),
                    file=out,
                )
            status = 130 if isinstance(e, KeyboardInterrupt) else 1
    print("\n" + DONE, file=out, flush=True)
    return status


def main(args):
    if args.slots is not None:
        if args.slots < 1:
            print("--slots must be at least 1", file=sys.stderr)
            return 2
        os.environ["SOCKETPOOL_SLOTS"] = str(args.slots)
    try:
        code_path = find_code(args.path)
    except FileNotFoundError as e:
        print("socketpool run: %s" % e, file=sys.stderr)
        return 2
    try:
        sys.stdout.reconfigure(line_buffering=True)  # a server's prints show at once
    except AttributeError:
        pass
    return run_code(code_path)
