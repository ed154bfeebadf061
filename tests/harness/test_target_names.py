"""Target names: what --target accepts, and how a bench of boards is shared among xdist workers."""

import pytest

from socketpool_tools.paths import log_path
from socketpool_tools.remote_target import detect_lan_address
from socketpool_tools.target_names import parse_target, pick_for_worker, split_targets, worker_index


@pytest.mark.parametrize("name", ["host", "host-lwip-esp32", "host-lwip-rp2"])
def test_in_process_names_are_local_targets(name):
    spec = parse_target(name)
    assert (spec.kind, spec.remote) == ("local", False)


@pytest.mark.parametrize("name, kind, where", [
    ("micropython", "micropython", None),
    ("micropython:/opt/mp/micropython", "micropython", "/opt/mp/micropython"),
    ("/dev/ttyACM0", "serial", "/dev/ttyACM0"),
    ("/dev/serial/by-id/usb-MicroPython_Board-if00", "serial", "/dev/serial/by-id/usb-MicroPython_Board-if00"),
    ("COM7", "serial", "COM7"),
    ("rfc2217://192.168.1.20:4000", "serial", "rfc2217://192.168.1.20:4000"),
    ("socket://localhost:2217", "serial", "socket://localhost:2217"),
    ("auto", "auto", None),
    ("rp2040js:build/firmware.uf2", "rp2040js", "build/firmware.uf2"),
    ("rp2040js:fw.hex", "rp2040js", "fw.hex"),
    ("host-proxy", "host-proxy", None),
])
def test_remote_names_parse_to_their_kind_and_place(name, kind, where):
    spec = parse_target(name)
    assert (spec.kind, spec.where, spec.remote) == (kind, where, True)


@pytest.mark.parametrize("name", [
    "", "esp32", "rfc2217://nohost", "socket://host:0", "socket://host:99999", "rp2040js:", "rp2040js:fw.bin",
    "ttyACM0", "COMX",
])
def test_unknown_or_malformed_names_raise_valueerror(name):
    with pytest.raises(ValueError):
        parse_target(name)


def test_comma_list_gives_one_spec_per_board():
    specs = split_targets("/dev/ttyACM0,/dev/ttyACM1")
    assert [s.where for s in specs] == ["/dev/ttyACM0", "/dev/ttyACM1"]


@pytest.mark.parametrize("workerid, index", [(None, 0), ("gw0", 0), ("gw1", 1), ("gw12", 12), ("master", 0)])
def test_worker_index_comes_from_the_xdist_worker_id(workerid, index):
    assert worker_index(workerid) == index


def test_worker_i_uses_board_i():
    specs = split_targets("/dev/ttyACM0,/dev/ttyACM1,/dev/ttyUSB0")
    assert pick_for_worker(specs, "gw2").where == "/dev/ttyUSB0"
    assert pick_for_worker(specs, "gw0").where == "/dev/ttyACM0"


def test_one_target_serves_every_worker():
    specs = split_targets("micropython")
    assert pick_for_worker(specs, "gw5").name == "micropython"


def test_more_workers_than_boards_is_an_error():
    specs = split_targets("/dev/ttyACM0,/dev/ttyACM1")
    with pytest.raises(ValueError, match="no board"):
        pick_for_worker(specs, "gw2")


def test_lan_address_toward_loopback_is_loopback():
    assert detect_lan_address("127.0.0.1") == "127.0.0.1"


def test_log_file_name_is_safe_for_any_target_name():
    assert log_path("/logs", "rfc2217://10.0.0.5:4000") == "/logs/target-rfc2217___10.0.0.5_4000.log"
    assert log_path("/logs", "/dev/ttyACM0") == "/logs/target-dev_ttyACM0.log"
