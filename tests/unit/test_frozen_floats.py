"""The API layer freezes into firmware with 32-bit floats (rp2, ESP32): MicroPython's mpy-tool packs
every float constant of a frozen module as a C float there, and a literal beyond float32's range
(such as 1e300) stops the firmware build ("float too large to pack with f format"). Checked on the
sources of every module the project's manifest.py freezes."""

import ast
import glob
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def frozen_sources():
    """The .py files manifest.py names (package(...) directories, module(...) files)."""
    out = []
    tree = ast.parse(open(os.path.join(ROOT, "manifest.py")).read())
    for call in [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]:
        if call.func.id not in ("package", "module") or not call.args:
            continue
        name = call.args[0].value
        base = next((k.value.value for k in call.keywords if k.arg == "base_path"), ".")
        path = os.path.join(ROOT, base, name)
        out += sorted(glob.glob(os.path.join(path, "**", "*.py"), recursive=True)) if call.func.id == "package" else [path]
    return out


def test_manifest_names_the_api_layer():
    names = [os.path.relpath(p, ROOT) for p in frozen_sources()]
    assert os.path.join("socketpool", "__init__.py") in names and all(os.path.isfile(p) for p in frozen_sources())


def test_no_float_constant_of_a_frozen_module_is_beyond_float32():
    bad = []
    for path in frozen_sources():
        for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
            if isinstance(node, ast.Constant) and isinstance(node.value, float):
                try:
                    struct.pack("<f", node.value)
                except OverflowError:
                    bad.append("%s:%d %r" % (os.path.relpath(path, ROOT), node.lineno, node.value))
    assert not bad, "float32 ports cannot freeze: %s" % bad
