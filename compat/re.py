"""``re`` whose match objects have ``groups()``, for MicroPython builds without it (the unix
port from PyPI, and rp2/esp32 firmware: MICROPY_PY_RE_MATCH_GROUPS is only on at the "everything"
feature level). adafruit_httpserver reads route parameters with it. Where the firmware's match
objects already have ``groups()`` this module is the built-in one, unwrapped. MicroPython's ``re``
is extensible: this file is imported as ``re`` and the built-in stays reachable as ``ure``.
"""

from ure import *  # noqa: F401,F403
from ure import compile as _compile

if not hasattr(_compile("").match(""), "groups"):

    class _Match:
        __slots__ = ("_m",)

        def __init__(self, m):
            self._m = m

        def group(self, n=0):
            return self._m.group(n)

        def groups(self, default=None):
            out = []
            i = 1
            while True:
                try:
                    g = self._m.group(i)
                except IndexError:
                    return tuple(out)
                out.append(default if g is None else g)
                i += 1

    def _wrap(m):
        return None if m is None else _Match(m)

    class _Pattern:
        __slots__ = ("_p",)

        def __init__(self, p):
            self._p = p

        def match(self, string, *pos):
            return _wrap(self._p.match(string, *pos))

        def search(self, string, *pos):
            return _wrap(self._p.search(string, *pos))

        def sub(self, repl, string, count=0):
            return self._p.sub(repl, string, count)

        def split(self, string, maxsplit=0):
            return self._p.split(string, maxsplit)

    def compile(pattern, flags=0):  # noqa: A001
        return _Pattern(_compile(pattern, flags))

    def match(pattern, string, flags=0):
        return compile(pattern, flags).match(string)

    def search(pattern, string, flags=0):
        return compile(pattern, flags).search(string)
