"""The rp2 side of ``build`` and ``flash`` (tools/socketpool_tools/firmware_rp2.py).

No Pico W and no ARM toolchain here: the build is checked as the commands it would run, and the
flash against a temporary directory standing in for the RPI-RP2 boot drive (a fake drive, named
as such; the copy, UF2 check and drive detection are the real code).
"""

import os
import struct

import pytest

from socketpool_tools import firmware_rp2 as fw


def make_uf2(path, blocks=3):
    with open(path, "wb") as f:
        for i in range(blocks):
            payload = bytes([i]) * 256
            head = struct.pack("<IIIIIIII", fw.UF2_MAGIC_START0, fw.UF2_MAGIC_START1, 0x2000,
                               0x10000000 + 256 * i, 256, i, blocks, 0xE48BFF56)
            block = head + payload + bytes(476 - len(payload)) + struct.pack("<I", fw.UF2_MAGIC_END)
            assert len(block) == 512
            f.write(block)
    return str(path)


def fake_boot_drive(tmp_path, name="RPI-RP2", info="UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\nBoard-ID: RPI-RP2\n"):
    drive = tmp_path / "media" / name
    drive.mkdir(parents=True)
    (drive / "INFO_UF2.TXT").write_text(info)
    return drive


def test_build_puts_the_rp2_module_into_user_c_modules_for_rpi_pico_w():
    cmds = fw.build_commands("/src/micropython", jobs=2)
    last_argv, _env = cmds[-1]
    assert "BOARD=RPI_PICO_W" in last_argv
    module = [a for a in last_argv if a.startswith("USER_C_MODULES=")][0].split("=", 1)[1]
    assert module.endswith(os.path.join("ports", "rp2040_cyw43", "micropython.cmake"))
    assert os.path.isfile(module)
    assert last_argv[:3] == ["make", "-C", "/src/micropython/ports/rp2"]
    assert any("submodules" in argv for argv, _ in cmds)  # the SDK this MicroPython pins


def test_build_with_a_pico_sdk_sets_pico_sdk_path_and_fetches_no_submodules(tmp_path):
    cmds = fw.build_commands("/src/mp", board="RPI_PICO2_W", pico_sdk=str(tmp_path))
    assert not any("submodules" in argv for argv, _ in cmds)
    argv, env = cmds[-1]
    assert "BOARD=RPI_PICO2_W" in argv
    assert env == {"PICO_SDK_PATH": str(tmp_path)}


def test_build_dry_run_prints_the_commands_and_the_uf2_path(capsys):
    uf2 = fw.build("/src/mp", dry_run=True, jobs=3)
    out = capsys.readouterr().out
    assert "USER_C_MODULES=" in out and "-j3" in out
    assert uf2 == "/src/mp/ports/rp2/build-RPI_PICO_W/firmware.uf2"


def test_build_outside_a_micropython_checkout_says_what_to_clone(tmp_path):
    with pytest.raises(fw.FirmwareError, match="not a MicroPython checkout"):
        fw.build(str(tmp_path))


def test_check_uf2_counts_blocks_and_rejects_other_files(tmp_path):
    assert fw.check_uf2(make_uf2(tmp_path / "fw.uf2", blocks=5)) == 5
    bad = tmp_path / "fw.bin"
    bad.write_bytes(b"\x00" * 1024)
    with pytest.raises(fw.FirmwareError, match="bad magic"):
        fw.check_uf2(str(bad))
    odd = tmp_path / "odd.uf2"
    odd.write_bytes(b"x" * 100)
    with pytest.raises(fw.FirmwareError, match="multiple of 512"):
        fw.check_uf2(str(odd))


def test_find_boot_drive_picks_the_rpi_rp2_drive_only(tmp_path):
    other = tmp_path / "media" / "USBSTICK"
    other.mkdir(parents=True)
    (other / "INFO_UF2.TXT").write_text("Board-ID: SAMD21\n")
    drive = fake_boot_drive(tmp_path)
    roots = [str(tmp_path / "media" / "*")]
    assert fw.find_boot_drive(roots) == str(drive)
    (drive / "INFO_UF2.TXT").unlink()
    assert fw.find_boot_drive(roots) is None


def test_flash_copies_the_image_to_the_boot_drive_byte_for_byte(tmp_path):
    uf2 = make_uf2(tmp_path / "firmware.uf2", blocks=4)
    drive = fake_boot_drive(tmp_path)
    msg = fw.flash(uf2, roots=[str(tmp_path / "media" / "*")])
    assert "4 UF2 blocks" in msg
    with open(uf2, "rb") as a, open(drive / "firmware.uf2", "rb") as b:
        assert a.read() == b.read()


def test_flash_refuses_a_file_that_is_not_uf2_before_touching_the_drive(tmp_path):
    drive = fake_boot_drive(tmp_path)
    bad = tmp_path / "firmware.uf2"
    bad.write_bytes(b"\xff" * 512)
    with pytest.raises(fw.FirmwareError):
        fw.flash(str(bad), drive=str(drive))
    assert not (drive / "firmware.uf2").exists()


def test_flash_without_drive_or_picotool_says_to_hold_bootsel(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no picotool on PATH
    uf2 = make_uf2(tmp_path / "firmware.uf2")
    with pytest.raises(fw.FirmwareError, match="BOOTSEL"):
        fw.flash(uf2, roots=[str(tmp_path / "nothing" / "*")])


def fake_checkout(tmp_path, empty=()):
    """A directory shaped like a MicroPython release checkout (no .git): a fake, named as such;
    nothing in it is built, the commands are recorded."""
    mp = tmp_path / "micropython"
    (mp / "ports" / "rp2" / "boards" / "RPI_PICO_W").mkdir(parents=True)
    (mp / "ports" / "rp2" / "Makefile").write_text("# fake\n")
    (mp / "ports" / "rp2" / "boards" / "RPI_PICO_W" / "mpconfigboard.cmake").write_text(
        "set(MICROPY_FROZEN_MANIFEST ${MICROPY_BOARD_DIR}/manifest.py)\n")
    for m in fw.SUBMODULES:
        (mp / "lib" / m).mkdir(parents=True)
        if m not in empty:
            (mp / "lib" / m / "README.md").write_text("x")
    return mp


class Recorder:
    def __init__(self, uf2):
        self.uf2, self.calls = uf2, []

    def __call__(self, argv, env=None):
        self.calls.append(argv)
        if argv[0] == "make" and argv[-1].startswith("-j") and "mpy-cross" not in argv[2]:
            os.makedirs(os.path.dirname(self.uf2), exist_ok=True)
            open(self.uf2, "wb").close()
        return type("Done", (), {"returncode": 0})()


@pytest.fixture
def toolchain(monkeypatch):
    real = fw.shutil.which
    monkeypatch.setattr(fw.shutil, "which", lambda n: "/usr/bin/" + n if n == "arm-none-eabi-gcc" else real(n))
    monkeypatch.setenv("picotool_DIR", "/opt/picotool")


BOARDS = os.path.join(os.path.dirname(fw.MODULE_CMAKE), "boards")


def test_build_of_a_board_dir_freezes_the_api_layer_over_the_boards_manifest(tmp_path, toolchain):
    mp = fake_checkout(tmp_path)
    board_dir = os.path.join(BOARDS, "RPI_PICO_W_SLIP")
    uf2 = str(mp / "ports" / "rp2" / "build-RPI_PICO_W_SLIP" / "firmware.uf2")
    rec = Recorder(uf2)
    assert fw.build(str(mp), board_dir=board_dir, out=str(tmp_path / "out"), jobs=2, run=rec) == uf2
    make = rec.calls[-1]
    assert "BOARD_DIR=" + board_dir in make and "-j2" in make
    assert not any("submodules" in c for c in rec.calls)  # not a git clone: lib/ is used as it is
    manifest = [a for a in make if a.startswith("FROZEN_MANIFEST=")][0].split("=", 1)[1]
    text = open(manifest).read()
    assert "include(%r)" % os.path.join(board_dir, "manifest.py") in text  # the board's own modules
    assert "include(%r)" % fw.firmware.MANIFEST in text  # then socketpool, wifi, compat
    assert not any(c[0] == "cmake" for c in rec.calls)  # a new build directory: make configures it


def test_build_configures_an_existing_build_directory_again_with_module_and_manifest(tmp_path, toolchain):
    mp = fake_checkout(tmp_path)
    build = mp / "ports" / "rp2" / "build-RPI_PICO_W"
    build.mkdir()
    (build / "CMakeCache.txt").write_text("MICROPY_FROZEN_MANIFEST:FILEPATH=/old/manifest.py\n")
    rec = Recorder(str(build / "firmware.uf2"))
    fw.build(str(mp), out=str(tmp_path / "out"), run=rec)
    cmake = [c for c in rec.calls if c[0] == "cmake"]
    assert len(cmake) == 1 and "-B" in cmake[0] and str(build) in cmake[0]
    assert any(a.startswith("-DMICROPY_FROZEN_MANIFEST=") for a in cmake[0])
    assert any(a == "-DUSER_C_MODULES=" + fw.MODULE_CMAKE for a in cmake[0])
    assert rec.calls.index(cmake[0]) < len(rec.calls) - 1  # before make


def test_build_of_a_release_checkout_with_an_empty_submodule_names_it(tmp_path, toolchain):
    mp = fake_checkout(tmp_path, empty=("lwip",))
    with pytest.raises(fw.FirmwareError, match="lib/lwip"):
        fw.build(str(mp), out=str(tmp_path / "out"), run=Recorder(str(tmp_path / "x.uf2")))


def test_build_of_a_directory_that_is_no_board_says_so(tmp_path, toolchain):
    mp = fake_checkout(tmp_path)
    with pytest.raises(fw.FirmwareError, match="not a board directory"):
        fw.build(str(mp), board_dir=str(tmp_path), out=str(tmp_path / "out"), run=Recorder(str(tmp_path / "x.uf2")))
