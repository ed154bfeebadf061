"""``json`` whose ``load`` also reads objects with ``read()`` (as CircuitPython's does), for
MicroPython, whose ``json.load`` takes only native streams. adafruit_requests' ``Response.json()``
needs it. MicroPython's ``json`` is extensible: this file is imported as ``json`` and the built-in
stays reachable as ``ujson``.
"""

from ujson import *  # noqa: F401,F403
from ujson import load as _load, loads as _loads


def load(stream):
    try:
        return _load(stream)
    except OSError as e:
        if not (e.args and isinstance(e.args[0], str)):
            raise  # a real I/O error, not "stream operation not supported"
    return _loads(stream.read())
