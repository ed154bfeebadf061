"""The signatures of ``socketpool`` and ``wifi`` against Adafruit's circuitpython-stubs (mypy's
stubtest), with the deliberate differences in stubtest-allowlist.txt, each with its reason.

stubtest imports the runtime modules (this checkout, through PYTHONPATH) and reads the stubs
installed from PyPI. It runs in an empty directory: mypy would otherwise take the checkout's
``wifi/`` and ``socketpool/`` sources for the stubs.
"""

import importlib.metadata
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ALLOWLIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stubtest-allowlist.txt")


def _need(distribution):
    try:
        importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        message = "%s is not installed (pip install -e .[test])" % distribution
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs the test extra: a missing package is a failure
        pytest.skip(message)


def stubtest(tmp_path, *args):
    _need("mypy")
    _need("circuitpython-stubs")
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("MYPYPATH", None)
    return subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "wifi", "socketpool", *args],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300,
    )


def test_signatures_agree_with_circuitpython_stubs(tmp_path):
    proc = stubtest(tmp_path, "--allowlist", ALLOWLIST)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success: no issues found" in proc.stdout


def test_without_the_allowlist_stubtest_reports_the_differences(tmp_path):
    """The check can fail: without the allowlist the known differences are errors."""
    proc = stubtest(tmp_path)
    assert proc.returncode != 0
    for name in ("wifi.Monitor is not present at runtime", "socketpool.Socket.fileno is not present in stub",
                 "wifi.Radio.ap_info is read-only at runtime"):
        assert name in proc.stdout, proc.stdout


def test_the_runtime_is_this_checkout_and_packages_are_typed(tmp_path):
    import socketpool
    import wifi

    for module in (socketpool, wifi):
        directory = os.path.dirname(module.__file__)
        assert os.path.dirname(directory) == ROOT
        assert os.path.isfile(os.path.join(directory, "py.typed"))
