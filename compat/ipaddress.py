"""CircuitPython's ``ipaddress`` for MicroPython, which has none: ``IPv4Address`` and
``ip_address``, so programs written for CircuitPython run, e.g.
``wifi.radio.ping(ipaddress.ip_address("192.168.1.1"))``. Only IPv4, as in CircuitPython; an int
is read big-endian, as CPython's ``ipaddress`` does. (``wifi.radio``'s own addresses stay str on
MicroPython: docs/wifi.md.)"""


def _parse(text):
    parts = text.split(".")
    if len(parts) != 4:
        raise ValueError("Not a valid IP string")
    out = bytearray(4)
    for i in range(4):
        p = parts[i]
        if not p or len(p) > 3 or not p.isdigit() or int(p) > 255:
            raise ValueError("Not a valid IP string")
        out[i] = int(p)
    return bytes(out)


class IPv4Address:
    """An IPv4 address from a dotted str, 4 bytes, or an int."""

    version = 4

    def __init__(self, address):
        if isinstance(address, IPv4Address):
            packed = address.packed
        elif isinstance(address, int):
            if not 0 <= address <= 0xFFFFFFFF:
                raise ValueError("Not a valid IP address")
            packed = address.to_bytes(4, "big")
        elif isinstance(address, str):
            packed = _parse(address)
        else:
            packed = bytes(address)
            if len(packed) != 4:
                raise ValueError("Address must be 4 bytes long")
        self.packed = packed

    def __str__(self):
        return "%d.%d.%d.%d" % tuple(self.packed)

    def __repr__(self):
        return "IPv4Address('%s')" % self

    def __eq__(self, other):
        return isinstance(other, IPv4Address) and other.packed == self.packed

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self.packed)


def ip_address(obj):
    """An ``IPv4Address`` from an int or a str; ValueError for anything else, as CircuitPython."""
    if isinstance(obj, (int, str)):
        return IPv4Address(obj)
    raise ValueError("Only int or string supported for ip")
