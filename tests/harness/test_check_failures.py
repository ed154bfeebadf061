"""The paths a user falls off, each ending in one clear line and exit status 2, before any case
runs: targets that cannot be opened, a missing interpreter, a missing firmware file, a missing
MicroPython checkout, bad numbers. Every command is run as a user runs it (a fresh process)."""

import os
import socket
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def socketpool(tmp_path, *argv, env=None):
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([ROOT, os.path.join(ROOT, "tools"), e.get("PYTHONPATH", "")])
    e.pop("SOCKETPOOL_RP2040_BOOTROM", None)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "socketpool_tools", *argv], cwd=str(tmp_path), env=e,
                          capture_output=True, text=True, timeout=120)


def assert_one_line_and_nothing_ran(proc, tmp_path, command, *words):
    out = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 2, out
    assert len(out.splitlines()) == 1, out
    assert out.startswith("socketpool %s: " % command), out
    assert "Traceback" not in out
    for w in words:
        assert w in out, out
    assert not (tmp_path / "reports").exists()  # no suite ran, no report was written


def closed_port():
    """A loopback TCP port nobody listens on (bound once, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serial_device_that_does_not_exist(tmp_path):
    proc = socketpool(tmp_path, "check", "--target", "/dev/ttyNOPE")
    assert_one_line_and_nothing_ran(proc, tmp_path, "check", "/dev/ttyNOPE", "No such file or directory")


@pytest.mark.parametrize("scheme", ["socket", "rfc2217"])
def test_serial_server_that_refuses(tmp_path, scheme):
    url = "%s://127.0.0.1:%d" % (scheme, closed_port())
    proc = socketpool(tmp_path, "check", "--target", url)
    assert_one_line_and_nothing_ran(proc, tmp_path, "check", url, "refused")


def test_auto_with_no_board_attached(tmp_path):
    from serial.tools.list_ports import comports

    if any(p.vid is not None for p in comports()):
        pytest.skip("a USB serial board is attached to this machine")
    proc = socketpool(tmp_path, "check", "--target", "auto")
    assert_one_line_and_nothing_ran(proc, tmp_path, "check", "no USB serial board found")


def test_emulator_without_its_firmware_file(tmp_path):
    proc = socketpool(tmp_path, "check", "--target", "rp2040js:%s" % (tmp_path / "missing.uf2"))
    assert_one_line_and_nothing_ran(proc, tmp_path, "check", "no firmware image at", "missing.uf2")


def test_emulator_without_a_bootrom(tmp_path):
    image = tmp_path / "fw.uf2"
    image.write_bytes(bytes(512))
    proc = socketpool(tmp_path, "check", "--target", "rp2040js:%s" % image)
    assert_one_line_and_nothing_ran(proc, tmp_path, "check", "bootrom")


def test_emulator_with_a_bootrom_path_that_does_not_exist(tmp_path):
    image = tmp_path / "fw.uf2"
    image.write_bytes(bytes(512))
    proc = socketpool(tmp_path, "check", "--target", "rp2040js:%s" % image, "--bootrom", str(tmp_path / "nope.bin"))
    assert_one_line_and_nothing_ran(proc, tmp_path, "check", "--bootrom", "no such file")


def test_micropython_binary_that_does_not_exist_is_an_error_not_the_bundled_vm(tmp_path):
    proc = socketpool(tmp_path, "check", "--target", "micropython:/no/such/binary")
    assert_one_line_and_nothing_ran(proc, tmp_path, "check", "no MicroPython binary at /no/such/binary")


def test_micropython_binary_that_is_not_micropython(tmp_path):
    fake = tmp_path / "micropython"
    fake.write_text("#!/bin/sh\necho CPython\n")
    fake.chmod(0o755)
    proc = socketpool(tmp_path, "check", "--target", "micropython:%s" % fake)
    assert_one_line_and_nothing_ran(proc, tmp_path, "check", "is not MicroPython's unix port")


@pytest.mark.parametrize("argv, words", [
    (["--retries", "-1"], ["--retries"]),
    (["--case-timeout", "0"], ["--case-timeout"]),
    (["-k", " "], ["-k needs an expression"]),
    (["--target", "esp32"], ["unknown target 'esp32'"]),
    (["--target", "host,esp32"], ["unknown target 'esp32'"]),
    (["--suite", "/no/such/suite"], ["--suite /no/such/suite"]),
])
def test_check_arguments_are_checked_first(tmp_path, argv, words):
    proc = socketpool(tmp_path, "check", *argv)
    assert_one_line_and_nothing_ran(proc, tmp_path, "check", *words)


def test_unreadable_settings_toml_is_named(tmp_path):
    (tmp_path / "settings.toml").write_text("CIRCUITPY_WIFI_PASSWORD = unquoted\n")
    proc = socketpool(tmp_path, "check", "--target", "host")
    assert_one_line_and_nothing_ran(proc, tmp_path, "check", "settings.toml", "line 1")


def test_one_bad_target_of_several_stops_all_before_any_runs(tmp_path):
    proc = socketpool(tmp_path, "check", "--target", "host,/dev/ttyNOPE")
    assert_one_line_and_nothing_ran(proc, tmp_path, "check", "/dev/ttyNOPE")


def test_flash_of_a_missing_image(tmp_path):
    proc = socketpool(tmp_path, "flash", "--port", "rp2", "missing.uf2")
    assert_one_line_and_nothing_ran(proc, tmp_path, "flash", "missing.uf2: no such file")


def test_flash_of_a_file_that_is_not_uf2_says_so_without_a_traceback(tmp_path):
    (tmp_path / "fw.uf2").write_bytes(b"not a uf2")
    proc = socketpool(tmp_path, "flash", "--port", "rp2", "fw.uf2", "--drive", str(tmp_path))
    out = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 1 and out.splitlines() == [out] and "is not a UF2 image" in out, out


@pytest.mark.parametrize("extra", [[], ["--dry-run"]])
@pytest.mark.parametrize("port", ["esp32", "rp2"])
def test_build_with_a_micropython_checkout_that_does_not_exist(tmp_path, port, extra):
    proc = socketpool(tmp_path, "build", "--port", port, "--micropython", "/nonexistent", *extra)
    assert_one_line_and_nothing_ran(proc, tmp_path, "build", "/nonexistent: no such directory")
    assert "make" not in proc.stdout


def test_build_with_a_directory_that_is_not_a_micropython_checkout(tmp_path):
    proc = socketpool(tmp_path, "build", "--port", "rp2", "--micropython", str(tmp_path))
    assert_one_line_and_nothing_ran(proc, tmp_path, "build", "is not a MicroPython checkout")


def test_report_of_a_missing_junit_file(tmp_path):
    proc = socketpool(tmp_path, "report", "nope.xml")
    assert_one_line_and_nothing_ran(proc, tmp_path, "report", "no such file: nope.xml")


def test_target_that_passes_the_probe_but_does_not_start_stops_the_suite_at_once(run_pytest, tmp_path):
    # a "MicroPython" that exits at once: the plugin opens the target once, says why, runs nothing
    fake = tmp_path / "mp"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    r = run_pytest({"test_two.py": """
        def test_one(pool):
            pass
        def test_two(pool):
            pass
    """}, "--target", "micropython:%s" % fake)
    assert r.returncode == 2, r.stdout
    assert "socketpool: cannot open target micropython:%s: MicroPython did not start" % fake in r.stdout
    assert "error" not in r.stdout.lower().replace("_pytest.outcomes", "")
    assert "<testcase" not in r.xml  # no case ran, none errored


def test_deploy_to_a_device_that_does_not_exist(tmp_path):
    proc = socketpool(tmp_path, "deploy", "--device", "/dev/ttyNOPE")
    assert_one_line_and_nothing_ran(proc, tmp_path, "deploy", "/dev/ttyNOPE", "No such file or directory")


def test_deploy_into_a_folder_that_cannot_be_made(tmp_path):
    (tmp_path / "file").write_text("")
    proc = socketpool(tmp_path, "deploy", "--dry-run", "--out", str(tmp_path / "file" / "mpy"))
    assert_one_line_and_nothing_ran(proc, tmp_path, "deploy", "--out")


@pytest.mark.parametrize("argv, words", [
    (["--engines", "host,nope"], ["unknown engine nope"]),
    (["--out", "/proc/socketpool-bench"], ["--out /proc/socketpool-bench"]),
])
def test_bench_arguments_are_checked_first(tmp_path, argv, words):
    proc = socketpool(tmp_path, "bench", *argv)
    assert_one_line_and_nothing_ran(proc, tmp_path, "bench", *words)


def test_run_of_a_folder_without_code_py(tmp_path):
    proc = socketpool(tmp_path, "run", str(tmp_path))
    assert_one_line_and_nothing_ran(proc, tmp_path, "run", "no code.py or main.py")
