"""``socketpool deploy --for CODE_DIR``: only the compat pieces the program imports, and they are
enough: unmodified Adafruit libraries from PyPI import on the VM with exactly those pieces."""

import importlib.util
import os
import shutil
import subprocess

import pytest

from vm import ROOT

from socketpool_tools import cli
from socketpool_tools.deploy import board_files, compat_used, compile_files

CASES = {
    "adafruit_ntp": {"struct", "time"},
    "adafruit_httpserver": {"json", "re", "ssl", "time", "traceback"},
    "adafruit_requests": {"circuitpython_typing", "json", "ssl", "types", "typing"},
    # through adafruit_connection_manager, which it imports
    "adafruit_minimqtt": {"circuitpython_typing", "ssl", "struct", "time", "typing"},
}


def _program(tmp_path, libs):
    """A CIRCUITPY-like folder: code.py importing ``libs``, their PyPI files in lib/."""
    code = tmp_path / "code"
    (code / "lib").mkdir(parents=True)
    for name in libs + ["adafruit_ticks", "adafruit_connection_manager"]:
        spec = importlib.util.find_spec(name)
        if spec is None:
            pytest.skip("%s is not installed (pip install -e .[test])" % name)
        if spec.submodule_search_locations:
            shutil.copytree(list(spec.submodule_search_locations)[0], str(code / "lib" / name),
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(spec.origin, str(code / "lib"))
    (code / "code.py").write_text("".join("import %s\n" % n for n in libs) + "print('imported')\n")
    return code


def _import_on_vm(binary, code, compat, tmp_path):
    board = tmp_path / "board"
    compile_files(board_files(ROOT, compat=compat), str(board))
    env = dict(os.environ, MICROPYPATH=":".join([str(code / "lib"), str(board), ".frozen"]))
    return subprocess.run([binary, str(code / "code.py")], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("lib", sorted(CASES))
def test_the_pieces_a_library_imports_are_chosen_and_enough(micropython_binary, tmp_path, lib):
    code = _program(tmp_path, [lib])
    chosen = compat_used(str(code), ROOT)
    assert chosen == CASES[lib]
    r = _import_on_vm(micropython_binary, code, chosen, tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == "imported", r.stdout + r.stderr


def test_a_piece_left_out_is_missed(micropython_binary, tmp_path):
    code = _program(tmp_path, ["adafruit_httpserver"])
    r = _import_on_vm(micropython_binary, code, compat_used(str(code), ROOT) - {"traceback"}, tmp_path)
    assert r.returncode != 0 and "no module named 'traceback'" in r.stdout + r.stderr


def test_deploy_for_builds_only_those_pieces(tmp_path, capsys):
    code = _program(tmp_path, ["adafruit_ntp"])
    out = tmp_path / "mpy"
    assert cli.main(["deploy", "--dry-run", "--out", str(out), "--for", str(code)]) == 0
    printed = capsys.readouterr().out
    assert "compat pieces %s imports: struct, time" % code in printed
    built = sorted(os.path.relpath(os.path.join(b, f), out) for b, _d, fs in os.walk(out) for f in fs)
    assert "struct.mpy" in built and "time.mpy" in built and "socketpool/__init__.mpy" in built
    assert not {"ssl.mpy", "traceback.mpy", "re.mpy", "json.mpy", "typing.mpy"} & set(built)


def test_deploy_for_a_missing_folder_is_an_error(tmp_path, capsys):
    assert cli.main(["deploy", "--dry-run", "--for", str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err
