"""The target's float width (remote_target.FLOAT_BITS): the suite skips the 1e300/1e306 timeout
cases only where the float is 32-bit (the Pico W firmware), so the test must tell the widths
apart, not assume one from the target's name."""

import ctypes
import subprocess

import pytest

from socketpool_tools.local_target import LocalTarget
from socketpool_tools.paths import find_micropython
from socketpool_tools.remote_target import FLOAT_BITS


def test_a_double_is_64_bits():
    assert eval(FLOAT_BITS) == 64
    assert LocalTarget.float_bits == 64


def test_a_single_precision_float_is_32_bits():
    # float() of a firmware built with MICROPY_FLOAT_IMPL_FLOAT: the value as a C float holds it
    def float32(text):
        return ctypes.c_float(float(text)).value

    assert eval(FLOAT_BITS, {"float": float32}) == 32


def test_the_micropython_unix_port_has_64_bit_floats():
    binary = find_micropython()
    if binary is None:
        pytest.skip("no MicroPython unix port here")
    out = subprocess.run([binary, "-c", "print(%s)" % FLOAT_BITS], capture_output=True, timeout=30)
    assert out.stdout.strip() == b"64", out
