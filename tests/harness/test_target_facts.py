"""Facts the harness measures on a remote target. The float width (remote_target.FLOAT_BITS):
the suite skips the 1e300/1e306 timeout cases only where the float is 32-bit (the Pico W
firmware), so the test must tell the widths apart, not assume one from the target's name. The
free heap (FREE_HEAP, which sizes the cases' big buffers): counted after a collection, not with
the set-up's garbage still in it."""

import ctypes
import subprocess

import pytest

from socketpool_tools.local_target import LocalTarget
from socketpool_tools.paths import find_micropython
from socketpool_tools.remote_target import FLOAT_BITS, FREE_HEAP, LARGEST_FREE, largest_free_block


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


def test_the_free_heap_is_counted_after_a_collection():
    binary = find_micropython()
    if binary is None:
        pytest.skip("no MicroPython unix port here")
    code = ("import gc\ngc.collect()\nx = [bytes(1000) for i in range(200)]\nx = None\n"
            "v = %s\ngc.collect()\nprint(v >= gc.mem_free() - 1024)" % FREE_HEAP)
    out = subprocess.run([binary, "-c", code], capture_output=True, timeout=30)
    assert out.stdout.strip() == b"True", out


def test_the_largest_free_piece_of_the_heap_is_read_from_mem_info():
    binary = find_micropython()
    if binary is None:
        pytest.skip("no MicroPython unix port here")
    code = LARGEST_FREE + "print('free', gc.mem_free())\n"
    out = subprocess.run([binary, "-c", code], capture_output=True, timeout=30, text=True)
    largest = largest_free_block(out.stdout)
    free = int(out.stdout.split("free ")[-1])
    assert largest is not None and 0 < largest <= free, out
    assert largest_free_block("no mem_info here") is None
