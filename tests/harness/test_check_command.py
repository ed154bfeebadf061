"""``socketpool check``: runs the conformance suite on a target, prints the compatibility table
and writes the HTML report (end to end, on the MicroPython VM through the raw REPL)."""

import os
import re
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


def test_partial_run_keeps_the_whole_runs_report_and_says_what_was_not_run(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(ROOT, "tools"), env.get("PYTHONPATH", "")])
    reports = tmp_path / "reports"
    reports.mkdir()
    whole = reports / "check-host.html"
    whole.write_text("the whole run's report")
    proc = subprocess.run([sys.executable, "-m", "socketpool_tools", "check", "--target", "host", "-k", "getaddrinfo"],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert whole.read_text() == "the whole run's report"
    assert (reports / "check-host-k-getaddrinfo.html").exists() and (reports / "check-host-k-getaddrinfo.xml").exists()
    assert "partial run (-k getaddrinfo):" in out
    assert "[no test found by name]" not in out  # every fix row's tests exist: run or deselected
    assert "[not run: deselected]" in out
    assert "  pass  shared layer: proto= keyword to getaddrinfo is rejected" in out
    assert "the whole run's reports/check-host.html is left as it was" in out


def test_several_targets_give_one_matrix_page_beside_the_per_target_pages(tmp_path, micropython_binary):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(ROOT, "tools"), env.get("PYTHONPATH", "")])
    proc = subprocess.run([sys.executable, "-m", "socketpool_tools", "check", "--target", "host,micropython",
                           "-k", "getaddrinfo"], cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    reports = tmp_path / "reports"
    page = (reports / "check-matrix-k-getaddrinfo.html").read_text()
    assert "<a href='check-host-k-getaddrinfo.html'>host</a>" in page
    assert "<a href='check-micropython-k-getaddrinfo.html'>micropython</a>" in page
    assert "<h2>Contract section 3: getaddrinfo()</h2>" in page
    assert (reports / "check-host-k-getaddrinfo.html").exists() and (reports / "check-micropython-k-getaddrinfo.html").exists()
    # the same files through `socketpool report`, into a Markdown page's generated part
    md = tmp_path / "compat.md"
    md.write_text("# hand-written title\n")
    proc = subprocess.run([sys.executable, "-m", "socketpool_tools", "report", "--markdown", str(md),
                           "--html", str(tmp_path / "m.html"),
                           str(reports / "check-host-k-getaddrinfo.xml"), str(reports / "check-micropython-k-getaddrinfo.xml")],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = md.read_text()
    assert text.startswith("# hand-written title\n")
    assert re.search(r"\| `host` \| \*\*[1-9]\d* passed, 0 failed, \d+ skipped\*\* \(partial run \(-k getaddrinfo\)", text), text
    assert "| contract area (cases) | `host` | `micropython` |" in text
    assert "Behaviours where the targets differ:" in text
