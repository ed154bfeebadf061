"""The compat modules on the MicroPython VM, by what CPython code calls (the libraries that need
them run in test_adafruit_vm.py)."""


def test_struct_unpack_from_takes_offset_as_a_keyword(vm):
    r = vm.run("""
import struct
data = bytes(range(12))
result([struct.unpack_from("!B", data, offset=2)[0], list(struct.unpack_from("!HH", data, 4)),
        list(struct.unpack_from("<I", data)), struct.calcsize("!II"), err(struct.unpack_from, "!I", data, 10)])
""")
    assert r[:4] == [2, [0x0405, 0x0607], [0x03020100], 8]
    assert r[4] is not None and r[4][0] == "ValueError"  # past the end: the built-in's error


def test_traceback_prints_and_formats_both_call_forms(vm):
    r = vm.run("""
import io, traceback
try:
    raise KeyError("k")
except KeyError as e:
    exc = e
one, three = io.StringIO(), io.StringIO()
traceback.print_exception(exc, file=one)
traceback.print_exception(type(exc), exc, None, file=three)
lines = traceback.format_exception(exc)
result([one.getvalue(), three.getvalue(), lines])
""")
    assert r[0] == r[1] and r[0].startswith("Traceback (most recent call last):")
    assert r[0].rstrip().endswith("KeyError: k")
    assert r[2] == [r[0]]


def test_re_match_objects_have_groups(vm):
    r = vm.run("""
import re
m = re.compile(r"^/led/([^/]+)/(on|off)?$").match("/led/red/")
s = re.search(r"(\\d+)-(\\d+)", "x 12-34 y")
result([list(m.groups()), list(m.groups("-")), m.group(1), m.group(), list(s.groups()),
        re.match("z", "a"), re.sub(r"\\.", "_", "a.b"), re.compile(",").split("a,b")])
""")
    assert r == [["red", None], ["red", "-"], "red", "/led/red/", ["12", "34"], None, "a_b", ["a", "b"]]
