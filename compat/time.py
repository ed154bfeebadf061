"""``time`` with CircuitPython's ``monotonic`` and ``monotonic_ns``, for MicroPython.

MicroPython's ``time`` is extensible: this file, found on the path, is imported as ``time`` and
the built-in stays reachable as ``utime``. The clock counts ``ticks_ms`` across its wrap-around
(call it at least once every few days).
"""

from utime import *  # noqa: F401,F403
from utime import ticks_diff as _ticks_diff, ticks_ms as _ticks_ms

_last = _ticks_ms()
_total = 0


def monotonic_ns():
    """Nanoseconds since an arbitrary start, never going back (millisecond resolution)."""
    global _last, _total
    now = _ticks_ms()
    _total += _ticks_diff(now, _last)
    _last = now
    return _total * 1000000


def monotonic():
    """Seconds since an arbitrary start, as a float, never going back."""
    return monotonic_ns() / 1000000000
