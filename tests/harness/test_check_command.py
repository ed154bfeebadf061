"""``socketpool check``: runs the conformance suite on a target, prints the compatibility table
and writes the HTML report (end to end, on the MicroPython VM through the raw REPL)."""

import os
import subprocess
import sys

from socketpool_tools.targets import best_local_target

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_default_target_is_the_micropython_vm_when_installed(micropython_binary):
    assert best_local_target() == "micropython"


def test_check_on_the_default_target_prints_table_and_writes_html(tmp_path, micropython_binary):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(ROOT, "tools"), env.get("PYTHONPATH", "")])
    # the whole suite, as a user's `socketpool check` runs it (under a minute on the VM)
    proc = subprocess.run([sys.executable, "-m", "socketpool_tools", "check"],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=900)
    out = proc.stdout
    assert "socketpool check: target micropython (remote)" in out, out + proc.stderr
    assert "socketpool compatibility on target micropython:" in out
    assert "Deliberate fixes (contract section 5)" in out
    assert "[no test found by name]" not in out  # every fix row found its tests and ran them
    assert "  pass  numeric ipv4 is returned as is" in out
    html = tmp_path / "reports" / "check-micropython.html"
    assert html.exists() and "<h1>socketpool compatibility on target <code>micropython</code></h1>" in html.read_text()
    assert (tmp_path / "reports" / "target-micropython.log").stat().st_size > 0
    assert proc.returncode == (1 if "FAIL " in out else 0)


def test_check_rejects_an_unknown_target(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(ROOT, "tools"), env.get("PYTHONPATH", "")])
    proc = subprocess.run([sys.executable, "-m", "socketpool_tools", "check", "--target", "esp32"],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "unknown target 'esp32'" in proc.stderr
