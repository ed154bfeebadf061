"""Targets the conformance suite runs on: ``make_target`` opens one by its ``--target`` name.

A target gives the tests a ``pool`` (a real ``socketpool.SocketPool`` for in-process targets, a
proxy of one on a board or VM) and the few facts and hooks the suite needs. Tests use only the
public socketpool API through ``target.pool`` plus the members listed in
tests/conformance/conftest.py. Names: target_names.py; in-process targets: local_target.py;
boards, VMs and the emulator: remote_target.py.
"""

from socketpool_tools.local_target import LocalTarget
from socketpool_tools.paths import find_micropython
from socketpool_tools.remote_target import RemoteTarget
from socketpool_tools.target_names import TargetSpec, parse_target


def make_target(name, options=None):
    spec = name if isinstance(name, TargetSpec) else parse_target(name)
    if spec.kind == "local":
        return LocalTarget(spec.name)
    return RemoteTarget(spec, options)


def best_local_target():
    """The best target this machine has without hardware: the MicroPython VM, else host."""
    return "micropython" if find_micropython() else "host"
