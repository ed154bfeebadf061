"""scripts/setup.sh: quiet (one line per step, the detail in a log it names), never removes or
replaces a system package, and `check` mode installs only what `socketpool check` needs."""

import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SETUP = os.path.join(ROOT, "scripts", "setup.sh")


def apt_lists():
    text = open(SETUP).read()
    lists = re.findall(r"APT_PACKAGES=\(([^)]*)\)", text) + re.findall(r"APT_PACKAGES\+=\(([^)]*)\)", text)
    return text, [set(x.split()) for x in lists]


def test_no_package_that_replaces_a_system_service_is_installed():
    text, lists = apt_lists()
    assert lists and all(lists)
    names = set().union(*lists)
    assert "build-essential" in names  # the lists were read
    assert not names & {"chrony", "ntp", "ntpsec", "openntpd"}  # each would remove systemd-timesyncd
    assert re.search(r"apt-get install -y --no-remove ", text)  # apt aborts rather than remove anything


def test_check_mode_installs_less_than_test_mode():
    text, (test_list, check_list, lwip_extra) = apt_lists()
    assert check_list < test_list and lwip_extra <= test_list
    assert 'EXTRAS="check,board"' in text and 'EXTRAS="test"' in text
    check_sh = open(os.path.join(ROOT, "scripts", "check.sh")).read()
    assert "./scripts/setup.sh check" in check_sh


def test_a_set_up_checkout_says_so_in_one_line_per_step():
    proc = subprocess.run(["bash", SETUP, "check"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines and all(line.startswith("setup: ") for line in lines), proc.stdout
    assert proc.stderr == ""
    assert "!!" not in proc.stdout and "****" not in proc.stdout  # no editable-install banner


def test_unknown_mode_is_refused():
    proc = subprocess.run(["bash", SETUP, "everything"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "usage: scripts/setup.sh [check|test]" in proc.stderr
