"""``--target auto``: the first USB serial port, as ``mpremote connect auto`` picks it (pyserial's
port list is faked: there is no board here)."""

import pytest
import serial.tools.list_ports

from socketpool_tools.remote_target import find_auto_port
from socketpool_tools.targets import make_target
from socketpool_tools.transport import TargetError


class FakePort:
    """Stands in for pyserial's ListPortInfo (only the fields auto-detection reads)."""

    def __init__(self, device, vid=None, pid=None):
        self.device, self.vid, self.pid = device, vid, pid


def test_auto_picks_the_first_port_with_a_usb_id_in_device_order():
    ports = [FakePort("/dev/ttyS0"), FakePort("/dev/ttyACM1", 0x2E8A, 0x0005),
             FakePort("/dev/ttyACM0", 0x303A, 0x1001)]
    assert find_auto_port(lambda: ports) == "/dev/ttyACM0"


def test_auto_skips_ports_without_usb_ids():
    ports = [FakePort("/dev/ttyS0"), FakePort("/dev/ttyS1", 0x1234, None)]
    assert find_auto_port(lambda: ports) is None


def test_auto_uses_pyserials_port_list_by_default(monkeypatch):
    monkeypatch.setattr(serial.tools.list_ports, "comports",
                        lambda: [FakePort("/dev/ttyUSB3", 0x10C4, 0xEA60)])
    assert find_auto_port() == "/dev/ttyUSB3"


def test_auto_target_without_a_board_says_so(monkeypatch):
    monkeypatch.setattr(serial.tools.list_ports, "comports", lambda: [FakePort("/dev/ttyS0")])
    with pytest.raises(TargetError, match="no USB serial board"):
        make_target("auto")
