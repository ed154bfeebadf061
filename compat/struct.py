"""``struct`` whose ``unpack_from`` takes ``offset=`` as a keyword (CPython and CircuitPython do;
MicroPython's takes it only by position). adafruit_ntp needs it. MicroPython's ``struct`` is
extensible: this file is imported as ``struct`` and the built-in stays reachable as ``ustruct``.
"""

from ustruct import *  # noqa: F401,F403
from ustruct import unpack_from as _unpack_from


def unpack_from(fmt, buffer, offset=0):
    return _unpack_from(fmt, buffer, offset)
