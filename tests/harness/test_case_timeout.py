"""--case-timeout and a case's own timeout marker: the longer one holds. A case that needs more
than the default marks its own timeout (the SYN give-up case: 90 s); on a slow target
(--case-timeout 300, the emulated Pico W) that marker must not cut it shorter than every other
case gets (it failed there at 90 s under load)."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CASES = '''
import pytest

@pytest.mark.timeout(90)
def test_marked():
    pass

def test_plain():
    pass
'''

REPORT = '''
import pytest

@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        m = item.get_closest_marker("timeout")
        print("TIMEOUT", item.name, m.args[0] if m else None)
'''


def timeouts(tmp_path, *argv):
    (tmp_path / "test_cases.py").write_text(CASES)
    (tmp_path / "conftest.py").write_text(REPORT)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "tools"))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "socketpool_tools.pytest_plugin",
                           "--collect-only", "-q", "-s", "-p", "no:cacheprovider", *argv],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120)
    out = {}
    for line in proc.stdout.splitlines():
        if line.startswith("TIMEOUT "):
            _, name, value = line.split()
            out[name] = value
    assert out, proc.stdout + proc.stderr
    return out


def test_a_longer_case_timeout_holds_for_marked_cases_too(tmp_path):
    assert timeouts(tmp_path, "--case-timeout", "300") == {"test_marked": "300.0", "test_plain": "300.0"}


def test_a_case_keeps_its_own_longer_timeout(tmp_path):
    assert timeouts(tmp_path, "--case-timeout", "30") == {"test_marked": "90", "test_plain": "30.0"}
    assert timeouts(tmp_path) == {"test_marked": "90", "test_plain": "None"}
