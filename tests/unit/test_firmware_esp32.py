"""`socketpool build` / `flash` for esp32: commands, board copy, port detection (pyserial's port
list is faked: no board is attached in CI), and the module's build files."""

import collections
import os
import re

import pytest

from socketpool_tools import cli, firmware, firmware_esp32 as fw

Port = collections.namedtuple("Port", "device vid")
ROOT = fw.ROOT


def fake_checkout(tmp_path, board="ESP32_GENERIC_S3"):
    mp = tmp_path / "micropython"
    bdir = mp / "ports" / "esp32" / "boards" / board
    bdir.mkdir(parents=True)
    (mp / "ports" / "esp32" / "Makefile").write_text("# esp32\n")
    (bdir / "mpconfigboard.cmake").write_text("set(SDKCONFIG_DEFAULTS boards/sdkconfig.base)\n")
    (bdir / "board.json").write_text("{}\n")
    return mp


def test_find_port_picks_the_espressif_native_usb_board():
    ports = [Port("/dev/ttyS0", None), Port("/dev/ttyUSB0", 0x1A86), Port("/dev/ttyACM0", 0x303A)]
    assert fw.find_port(ports) == "/dev/ttyACM0"


def test_find_port_with_no_esp32_board_names_the_ports_it_saw():
    with pytest.raises(fw.FirmwareError, match="/dev/ttyS0"):
        fw.find_port([Port("/dev/ttyS0", None)])


def test_find_port_with_two_alike_boards_asks_for_serial():
    with pytest.raises(fw.FirmwareError, match="--serial"):
        fw.find_port([Port("/dev/ttyUSB0", 0x10C4), Port("/dev/ttyUSB1", 0x10C4)])


def test_flash_of_a_build_directory_uses_its_flash_args(tmp_path):
    (tmp_path / "flash_args").write_text("0x1000 bootloader/bootloader.bin\n")
    (cmd,) = fw.flash_commands(str(tmp_path), "/dev/ttyACM0")
    assert cmd[1:3] == ["-m", "esptool"] and cmd[-2:] == ["write_flash", "@%s/flash_args" % tmp_path]
    assert ["--port", "/dev/ttyACM0"] == cmd[cmd.index("--port"):cmd.index("--port") + 2]


def test_flash_of_a_lone_bin_goes_at_the_chip_offset_and_needs_a_chip(tmp_path):
    image = str(tmp_path / "firmware.bin")
    assert fw.flash_commands(image, "p", chip="esp32")[-1][-3:] == ["-z", "0x1000", image]
    assert fw.flash_commands(image, "p", chip="esp32s3")[-1][-3:] == ["-z", "0x0", image]
    erase, write = fw.flash_commands(image, "p", chip="esp32c3", erase=True)
    assert erase[-1] == "erase_flash" and write[-1] == image
    with pytest.raises(fw.FirmwareError, match="--chip"):
        fw.flash_commands(image, "p", chip="auto")


def test_flash_runs_esptool_on_the_detected_port_with_its_output_shown(tmp_path, capsys):
    image = tmp_path / "firmware.bin"
    image.write_bytes(b"\xe9" + bytes(15))
    ran = []

    class Done:
        returncode = 0

    def run(argv, cwd=None):  # stands in for esptool talking to a board (none attached here)
        ran.append((argv, cwd))
        return Done()

    msg = fw.flash(str(image), chip="esp32", run=run, ports=[Port("/dev/ttyUSB3", 0x10C4)])
    assert "/dev/ttyUSB3" in msg and len(ran) == 1
    assert ran[0][0][ran[0][0].index("--port") + 1] == "/dev/ttyUSB3"
    assert "+ " in capsys.readouterr().out  # the command is echoed; esptool prints its progress


def test_build_copies_the_board_and_appends_the_sdkconfig_fragment(tmp_path):
    mp = fake_checkout(tmp_path)
    dst = fw.board_copy(str(mp), "ESP32_GENERIC_S3", str(tmp_path / "out"))
    text = open(os.path.join(dst, "mpconfigboard.cmake")).read()
    assert text.startswith("set(SDKCONFIG_DEFAULTS boards/sdkconfig.base)")
    assert "list(APPEND SDKCONFIG_DEFAULTS %s)" % fw.SDKCONFIG_FRAGMENT in text
    assert os.path.isfile(os.path.join(dst, "board.json"))
    assert "socketpool" not in (mp / "ports" / "esp32" / "boards" / "ESP32_GENERIC_S3" /
                                "mpconfigboard.cmake").read_text()


def test_build_commands_pass_our_module_board_dir_and_variant(tmp_path):
    cmds = fw.build_commands("/mp", "ESP32_GENERIC", "SPIRAM", 3, board_dir="/o/boards/ESP32_GENERIC")
    final = cmds[-1]
    assert final[:3] == ["make", "-C", "/mp/ports/esp32"]
    assert "USER_C_MODULES=" + fw.MODULE_CMAKE in final
    assert "BOARD_VARIANT=SPIRAM" in final and "BOARD_DIR=/o/boards/ESP32_GENERIC" in final
    assert cmds[1][-1] == "submodules" and "-j3" in final
    wrapped = fw._in_idf(final, "/opt/esp-idf")
    assert wrapped[:2] == ["bash", "-c"] and ". '/opt/esp-idf/export.sh'" in wrapped[2]


def test_build_without_esp_idf_says_how_to_set_it_up(tmp_path, monkeypatch):
    mp = fake_checkout(tmp_path)
    monkeypatch.delenv("IDF_PATH", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no idf.py anywhere
    with pytest.raises(fw.FirmwareError, match="export.sh"):
        fw.build(str(mp), out=str(tmp_path / "out"))


def test_build_command_dry_run_prints_the_make_lines(capsys, tmp_path):
    mp = tmp_path / "mp"
    (mp / "ports" / "esp32").mkdir(parents=True)
    (mp / "ports" / "esp32" / "Makefile").write_text("")  # a checkout as far as `build` checks
    assert cli.main(["build", "--micropython", str(mp), "--board", "ESP32_GENERIC_C3", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "make -C %s/ports/esp32 BOARD=ESP32_GENERIC_C3" % mp in out
    assert "build-ESP32_GENERIC_C3/firmware.bin" in out


def test_the_sdkconfig_fragment_sets_the_socket_limit():
    # the build files of both port folders: tests/unit/test_port_build_files.py
    assert "CONFIG_LWIP_MAX_SOCKETS=" in open(fw.SDKCONFIG_FRAGMENT).read()


def test_flash_of_a_bin_in_its_build_directory_needs_no_chip(tmp_path):
    (tmp_path / "flash_args").write_text("0x0 micropython.bin\n")
    image = tmp_path / "firmware.bin"
    image.write_bytes(b"\xe9" + bytes(15))
    ran = []

    class Done:
        returncode = 0

    fw.flash(str(image), port="/dev/ttyACM1", run=lambda argv, cwd=None: ran.append((argv, cwd)) or Done())
    argv, cwd = ran[0]
    assert argv[-1] == "@%s/flash_args" % tmp_path and cwd == str(tmp_path)


def _idf_on_path(tmp_path, monkeypatch):
    """An ``idf.py`` on PATH and IDF_PATH set, so ``build`` gets past its environment check
    (the commands themselves go to a recording ``run``: no ESP-IDF is installed in CI)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    idf = bindir / "idf.py"
    idf.write_text("#!/bin/sh\nexit 1\n")
    idf.chmod(0o755)
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.setenv("IDF_PATH", str(tmp_path / "esp-idf"))


class _Recorder:
    def __init__(self):
        self.argvs = []

    def __call__(self, argv):
        self.argvs.append(argv)

        class Done:
            returncode = 0

        return Done()


def _make_vars(argv):
    return dict(a.split("=", 1) for a in argv if "=" in a and not a.startswith("-"))


def test_build_freezes_the_api_layer_over_the_boards_own_manifest(tmp_path, monkeypatch):
    mp = fake_checkout(tmp_path, "ESP32_GENERIC_C3")
    (mp / ".git").mkdir()
    _idf_on_path(tmp_path, monkeypatch)
    run = _Recorder()
    out = tmp_path / "out"
    with pytest.raises(fw.FirmwareError, match="firmware.bin is missing"):
        fw.build(str(mp), board="ESP32_GENERIC_C3", jobs=2, out=str(out), run=run)
    mpy_cross, submodules, final = run.argvs
    assert mpy_cross[:3] == ["make", "-C", str(mp / "mpy-cross")]
    assert submodules[-1] == "submodules"
    v = _make_vars(final)
    assert v["BOARD"] == "ESP32_GENERIC_C3" and v["USER_C_MODULES"] == fw.MODULE_CMAKE
    assert v["BOARD_DIR"] == str(out / "boards" / "ESP32_GENERIC_C3")
    manifest = open(v["FROZEN_MANIFEST"]).read()
    includes = re.findall(r"include\('([^']+)'\)", manifest)
    # the board's default manifest first (the board keeps its frozen modules), then ours
    assert includes == [str(mp / "ports" / "esp32" / "boards" / "manifest.py"), firmware.MANIFEST]


def test_a_board_that_sets_its_manifest_keeps_it_under_ours(tmp_path, monkeypatch):
    mp = fake_checkout(tmp_path, "MY_BOARD")
    bdir = mp / "ports" / "esp32" / "boards" / "MY_BOARD"
    (bdir / "mpconfigboard.cmake").write_text(
        "set(SDKCONFIG_DEFAULTS boards/sdkconfig.base)\n"
        "set(MICROPY_FROZEN_MANIFEST ${MICROPY_BOARD_DIR}/manifest.py)\n")
    (bdir / "manifest.py").write_text("freeze('$(PORT_DIR)/modules')\n")
    (mp / ".git").mkdir()
    _idf_on_path(tmp_path, monkeypatch)
    run = _Recorder()
    with pytest.raises(fw.FirmwareError):
        fw.build(str(mp), board="MY_BOARD", out=str(tmp_path / "out"), run=run)
    manifest = open(_make_vars(run.argvs[-1])["FROZEN_MANIFEST"]).read()
    first = re.findall(r"include\('([^']+)'\)", manifest)[0]
    assert first == str(tmp_path / "out" / "boards" / "MY_BOARD" / "manifest.py")
    assert open(first).read() == "freeze('$(PORT_DIR)/modules')\n"  # the board copy has it


def test_a_checkout_without_git_skips_make_submodules_or_says_what_is_missing(tmp_path, monkeypatch):
    mp = fake_checkout(tmp_path)
    _idf_on_path(tmp_path, monkeypatch)
    with pytest.raises(fw.FirmwareError, match="lib/micropython-lib"):
        fw.build(str(mp), board="ESP32_GENERIC_S3", out=str(tmp_path / "out"), run=_Recorder())
    lib = mp / "lib" / "micropython-lib"
    lib.mkdir(parents=True)
    (lib / "README.md").write_text("micropython-lib\n")  # a release tarball has its submodules
    run = _Recorder()
    with pytest.raises(fw.FirmwareError, match="missing"):
        fw.build(str(mp), board="ESP32_GENERIC_S3", out=str(tmp_path / "out"), run=run)
    assert [a[-1] for a in run.argvs if a[-1] == "submodules"] == []
    assert len(run.argvs) == 2


def test_the_frozen_manifest_names_every_api_layer_file():
    text = open(firmware.MANIFEST).read()
    assert not re.search(r"^include\(", text, re.M)  # board-independent: `build` puts the board's manifest first
    pkgs = re.findall(r'^package\("([\w]+)"(?:, base_path="(\w+)")?\)', text, re.M)
    mods = re.findall(r'^module\("([\w.]+)", base_path="(\w+)"\)', text, re.M)
    named = {(base or ".", name) for name, base in pkgs} | {(base, name) for name, base in mods}
    for base, name in named:
        assert os.path.exists(os.path.join(ROOT, base, name)), (base, name)
    assert {(".", "socketpool"), (".", "wifi")} <= named
    # every compat module is frozen except ssl (the boards freeze micropython-lib's ssl)
    compat = {n for n in os.listdir(os.path.join(ROOT, "compat")) if not n.startswith("_")
              and (n.endswith(".py") or os.path.isdir(os.path.join(ROOT, "compat", n)))}
    assert {n for b, n in named if b == "compat"} == compat - {"ssl.py", "__pycache__"}


def test_the_modules_sources_build_with_werror_in_firmware():
    port = open(os.path.join(ROOT, "ports", "esp32", "micropython.cmake")).read()
    assert "set(SOCKETPOOL_WERROR ON)" in port
    # the part both port folders share (ports/common/socketpool.cmake) applies it
    cmake = open(os.path.join(ROOT, "ports", "common", "socketpool.cmake")).read()
    assert "target_sources(usermod_socketpool INTERFACE ${SOCKETPOOL_SOURCES})" in cmake
    assert re.search(r'set_source_files_properties\(\$\{SOCKETPOOL_SOURCES\} PROPERTIES '
                     r'COMPILE_OPTIONS "-Wall;-Wextra;-Werror"\)', cmake)
