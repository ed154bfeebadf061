"""The code folder as the board's drive, for ``socketpool run``.

On a CircuitPython board code.py sees one filesystem, CIRCUITPY, mounted at ``/``, with the
current directory ``/``: ``open("/static/index.html")``, ``os.listdir("/sd")`` and
``open("/settings.toml")`` name files on that drive. ``Drive`` gives a run the same view of its
code folder: while it is installed, every path that code.py or the libraries it imports hand to
``open`` or to ``os``'s file functions is read as a board path (absolute from the drive's root,
relative to the board's current directory, ``..`` never above the root) and resolved inside the
folder, so nothing outside it is read or written through them. ``os.getcwd()`` answers the board
path (``/`` at first) and ``os.chdir`` moves within the drive (the process's own directory follows,
so C code handed a relative path lands in the drive too).

Left as they are: a path already inside the folder (a library's ``__file__`` and paths made from
it), a path inside Python's own directories or the import path (where import machinery and
libraries find their files), calls made by socketpool itself (its engines read the computer's network
configuration), an integer file descriptor, and paths handed straight to C code. The pool's ssl
context (socketpool_host.tls) reads certificate, key and CA file names as drive paths too, as
CircuitPython's ``load_cert_chain("/cert.pem", "/key.pem")`` does.
"""

import builtins
import io
import os
import posixpath
import sys

# os functions whose first argument is a path; rename/replace take two
_PATH_FUNCTIONS = ("stat", "lstat", "listdir", "scandir", "mkdir", "rmdir", "remove", "unlink",
                   "open", "access", "utime", "chmod", "statvfs", "truncate", "readlink")
_TWO_PATH_FUNCTIONS = ("rename", "replace")
# frames of these modules are the plumbing between the caller and the patched function (their
# code objects are named "<frozen os>" in a CPython that freezes them, else by their file)
_PLUMBING_MODULES = (os, posixpath, sys.modules["genericpath"])
_PLUMBING = {"<frozen %s>" % m.__name__ for m in _PLUMBING_MODULES} | {m.__file__ for m in _PLUMBING_MODULES}
_PLUMBING.add(__file__)  # this module's own wrappers
_CALLER_DEPTH = 8


def _package_dir(name):
    """The directory of top-level package ``name`` (found, not imported), with a trailing sep."""
    import importlib.util

    mod = sys.modules.get(name)
    path = getattr(mod, "__file__", None)
    if path is None:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        path = spec.origin if spec is not None else None
    return os.path.dirname(os.path.abspath(path)) + os.sep if path else None


class Drive:
    """Install with ``with Drive(folder):``; ``board_to_host(path)`` is the translation."""

    def __init__(self, root):
        self.root = os.path.realpath(root)
        self.cwd = "/"  # the board's current directory
        self._saved = None
        self._own = ()
        self._host_dirs = ()

    # --- the translation ---
    def board_path(self, path):
        """``path`` (str) as an absolute, normalised board path."""
        p = posixpath.normpath(posixpath.join(self.cwd, path.replace(os.sep, "/")))
        while p.startswith("//"):
            p = p[1:]
        return p if p.startswith("/") else "/" + p

    def board_to_host(self, path):
        """The file of the code folder that board path ``path`` names (str, bytes or PathLike)."""
        path = os.fspath(path)
        if isinstance(path, bytes):
            return os.fsencode(self.board_to_host(os.fsdecode(path)))
        p = self.board_path(path)
        return self.root if p == "/" else os.path.join(self.root, p[1:])

    def _from_machinery(self):
        """True when the call comes from socketpool's own modules (they see the computer)."""
        f = sys._getframe(1)
        for _ in range(_CALLER_DEPTH):
            if f is None:
                return False
            name = f.f_code.co_filename  # no os call here: os is what is patched
            if name not in _PLUMBING:
                return name.startswith(self._own)
            f = f.f_back
        return False

    def _map(self, path):
        if isinstance(path, int) or self._from_machinery():
            return path
        return self.user_file(path)

    def user_file(self, path):
        """The file a path from code.py or its libraries names (what ``_map`` does for them)."""
        text = os.fsdecode(os.fspath(path))
        if text == self.root or text.startswith(self.root + os.sep):
            return path  # already a file of the drive (a library's __file__ and what is made from it)
        if text.startswith(self._host_dirs):
            return path  # Python's and the libraries' own files, as import machinery looks them up
        return self.board_to_host(path)

    # --- installing ---
    def __enter__(self):
        import socketpool_tools

        own = [_package_dir(n) for n in ("socketpool", "socketpool_host", "wifi")]
        own.append(os.path.dirname(os.path.abspath(socketpool_tools.__file__)) + os.sep)
        self._own = tuple(d for d in own if d)
        lib = os.path.join(self.root, "lib")
        dirs = [d for d in sys.path if d and os.path.isabs(d) and d.rstrip(os.sep) and d not in (self.root, lib)]
        dirs += [sys.prefix, sys.base_prefix, sys.exec_prefix]
        self._host_dirs = self._own + tuple(os.path.join(d, "") for d in dirs)
        self._saved = {"open": builtins.open, "io.open": io.open, "os.getcwd": os.getcwd,
                       "os.chdir": os.chdir, "cwd": os.getcwd()}
        for name in _PATH_FUNCTIONS + _TWO_PATH_FUNCTIONS:
            if hasattr(os, name):
                self._saved["os." + name] = getattr(os, name)
        real_open = builtins.open

        def open_(file, *args, **kwargs):
            return real_open(self._map(file), *args, **kwargs)

        builtins.open = io.open = open_
        for name in _PATH_FUNCTIONS:
            if "os." + name in self._saved:
                setattr(os, name, self._wrap_one(self._saved["os." + name]))
        for name in _TWO_PATH_FUNCTIONS:
            if "os." + name in self._saved:
                setattr(os, name, self._wrap_two(self._saved["os." + name]))
        os.getcwd = self._getcwd
        os.chdir = self._chdir
        from socketpool_host import tls

        self._saved["tls.user_file"] = tls.user_file
        tls.user_file = self.user_file  # certificate files named by code.py are drive files too
        self._saved["os.chdir"](self.root)
        return self

    def __exit__(self, *exc):
        s = self._saved
        builtins.open, io.open = s["open"], s["io.open"]
        from socketpool_host import tls

        tls.user_file = s["tls.user_file"]
        for key, fn in s.items():
            if key.startswith("os."):
                setattr(os, key[3:], fn)
        s["os.chdir"](s["cwd"])
        self._saved = None

    def _wrap_one(self, fn):
        def wrapped(path=".", *args, **kwargs):
            return fn(self._map(path), *args, **kwargs)

        wrapped.__name__ = fn.__name__
        wrapped.__doc__ = fn.__doc__
        return wrapped

    def _wrap_two(self, fn):
        def wrapped(src, dst, *args, **kwargs):
            return fn(self._map(src), self._map(dst), *args, **kwargs)

        wrapped.__name__ = fn.__name__
        return wrapped

    def _getcwd(self):
        if self._from_machinery():
            return self._saved["os.getcwd"]()
        return self.cwd

    def _chdir(self, path):
        if self._from_machinery():
            return self._saved["os.chdir"](path)
        host = self.board_to_host(path)
        self._saved["os.chdir"](host)  # raises as the OS does for a missing or non-directory path
        self.cwd = self.board_path(os.fsdecode(os.fspath(path)))
