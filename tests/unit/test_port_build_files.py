"""The user C module build files of both native engines (ports/esp32, ports/rp2040_cyw43): each
port folder has both (micropython.cmake, micropython.mk), both build THE binding in ports/common,
they name only sources that exist, and a USER_C_MODULES can never pull in both ports (both define
`_socketpool`). The make files are read by GNU make through the same loop MicroPython's py/py.mk
runs over USER_C_MODULES (every <dir>/*/micropython.mk, with USERMOD_DIR set)."""

import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PORTS = os.path.join(ROOT, "ports")
CORES = {"esp32": "sp_core_esp32.c", "rp2040_cyw43": "sp_core_rp2.c"}

# py/py.mk (MicroPython v1.28.0), the part that includes user C modules
PY_MK_LOOP = """\
SRC_USERMOD_C :=
CFLAGS_USERMOD :=
LDFLAGS_USERMOD :=
$(foreach module, $(wildcard $(USER_C_MODULES)/*/micropython.mk), \\
    $(eval USERMOD_DIR = $(patsubst %/,%,$(dir $(module))))\\
    $(eval include $(module))\\
)
all:
\t@echo $(abspath $(SRC_USERMOD_C))
"""


@pytest.mark.parametrize("folder", sorted(CORES))
def test_cmake_builds_the_common_binding_from_sources_that_exist(folder):
    here = os.path.join(PORTS, folder)
    cmake = open(os.path.join(here, "micropython.cmake")).read()
    assert "include(${CMAKE_CURRENT_LIST_DIR}/../common/socketpool.cmake)" in cmake
    common = open(os.path.join(PORTS, "common", "socketpool.cmake")).read()
    srcs = [os.path.join(here, s) for s in re.findall(r"\$\{CMAKE_CURRENT_LIST_DIR\}/([\w./]+\.c)(?!\w)", cmake)]
    srcs += [os.path.join(PORTS, "common", s)
             for s in re.findall(r"\$\{CMAKE_CURRENT_LIST_DIR\}/([\w./]+\.c)(?!\w)", common)]
    names = {os.path.relpath(os.path.normpath(s), PORTS) for s in srcs}
    assert {"common/modsocketpool.c", "common/sp_errno.c", folder + "/" + CORES[folder]} <= names
    for src in srcs:
        assert os.path.isfile(src), src
    assert "target_link_libraries(usermod INTERFACE usermod_socketpool)" in common
    # a second port's cmake file in the same USER_C_MODULES list stops the build
    assert "if(TARGET usermod_socketpool)" in common and "FATAL_ERROR" in common


def test_no_port_folder_keeps_a_binding_of_its_own():
    for folder in CORES:
        names = os.listdir(os.path.join(PORTS, folder))
        assert not [n for n in names if n.startswith("modsocketpool")], names


def _make(tmp_path, *args):
    if shutil.which("make") is None:
        pytest.skip("needs GNU make")
    mk = tmp_path / "py.mk"
    mk.write_text(PY_MK_LOOP)
    # the build sees only its command line: SOCKETPOOL_ENGINE in this process's environment is the
    # run-time engine choice of the target under test (e.g. "host")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOCKETPOOL_", "MAKE"))}
    return subprocess.run(["make", "-s", "-f", str(mk), *args], capture_output=True, text=True,
                          timeout=60, env=env)


@pytest.mark.parametrize("engine,folder", [("esp32", "esp32"), ("rp2", "rp2040_cyw43")])
def test_make_picks_one_engine_of_the_ports_folder(tmp_path, engine, folder):
    for host in ("0", "1"):
        p = _make(tmp_path, "USER_C_MODULES=" + PORTS, "SOCKETPOOL_ENGINE=" + engine,
                  "SOCKETPOOL_HOST_LWIP=" + host)
        assert p.returncode == 0, p.stderr
        srcs = p.stdout.split()
        assert os.path.join(PORTS, "common", "modsocketpool.c") in srcs
        assert os.path.join(PORTS, folder, CORES[folder]) in srcs
        other = [f for f in CORES if f != folder][0]
        assert not [s for s in srcs if "/%s/" % other in s], srcs
        for src in srcs:
            assert os.path.isfile(src), src


def test_make_refuses_a_user_c_modules_that_pulls_in_both_ports(tmp_path):
    p = _make(tmp_path, "USER_C_MODULES=" + PORTS)
    assert p.returncode != 0
    assert "two native engines" in p.stderr and "SOCKETPOOL_ENGINE" in p.stderr


def test_make_with_a_folder_of_one_port_needs_no_choice(tmp_path):
    mods = tmp_path / "mods"
    mods.mkdir()
    for name in ("esp32", "common", "host"):
        os.symlink(os.path.join(PORTS, name), str(mods / name))
    p = _make(tmp_path, "USER_C_MODULES=" + str(mods))
    assert p.returncode == 0, p.stderr
    assert "sp_core_esp32.c" in p.stdout and "modsocketpool.c" in p.stdout


def test_make_refuses_a_run_time_engine_name_as_the_engine_to_build(tmp_path):
    p = _make(tmp_path, "USER_C_MODULES=" + PORTS, "SOCKETPOOL_ENGINE=host")
    assert p.returncode != 0
    assert "SOCKETPOOL_ENGINE=host names no native engine" in p.stderr
    assert not p.stdout.split()  # no sources listed: the build stopped


# MicroPython's esp32 port (v1.28.0 esp32_common.cmake) in miniature: py/usermod.cmake makes the
# INTERFACE library `usermod` in the `main` component's directory and includes USER_C_MODULES
# there; the component links it with the plain signature, so `usermod`'s interface sources also
# reach the executable made in the top-level directory, which compiles them a second time. Those
# top-level objects are the ones linked into micropython.elf (its map file names them).
ESP32_TOP = """\
cmake_minimum_required(VERSION 3.16)
project(fw C)
add_subdirectory(main)
add_executable(fw.elf fw.c)
target_link_libraries(fw.elf __idf_main)
"""
ESP32_MAIN = """\
add_library(usermod INTERFACE)
include({module})
add_library(__idf_main STATIC main.c)
target_link_libraries(__idf_main usermod)
"""


def test_cmake_module_sources_build_with_werror_in_every_target_that_compiles_them(tmp_path):
    """The C3 firmware build found the linked copies of our objects built without -Werror: the
    source property was set only in the `main` component's directory."""
    import json

    if shutil.which("cmake") is None:
        pytest.skip("needs cmake")
    (tmp_path / "main").mkdir()
    (tmp_path / "CMakeLists.txt").write_text(ESP32_TOP)
    (tmp_path / "fw.c").write_text("int main(void) { return 0; }\n")
    (tmp_path / "main" / "main.c").write_text("int sp_main_part;\n")
    (tmp_path / "main" / "CMakeLists.txt").write_text(
        ESP32_MAIN.format(module=os.path.join(PORTS, "esp32", "micropython.cmake").replace("\\", "/")))
    build = tmp_path / "build"
    p = subprocess.run(["cmake", "-S", str(tmp_path), "-B", str(build), "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    ours = {os.path.join(PORTS, "common", "modsocketpool.c"), os.path.join(PORTS, "common", "sp_errno.c"),
            os.path.join(PORTS, "esp32", CORES["esp32"])}
    entries = [e for e in json.loads((build / "compile_commands.json").read_text())
               if os.path.normpath(e["file"]) in ours]
    # each of our sources compiled by both targets, as in the firmware
    assert len(entries) == 2 * len(ours), [e["file"] for e in entries]
    for e in entries:
        args = e.get("command", " ".join(e.get("arguments", []))).split()
        assert {"-Wall", "-Wextra", "-Werror"} <= set(args), e
