"""``traceback``'s ``print_exception`` and ``format_exception`` (CircuitPython's forms), for
MicroPython, which has no ``traceback`` module. adafruit_httpserver needs it. Both take the
exception alone (CircuitPython) or CPython's ``(type, value, tb)``; ``limit`` and ``chain`` are
accepted and ignored (MicroPython keeps neither a frame limit nor exception chains).
"""

import sys


def _exception(exc, value):
    return exc if isinstance(exc, BaseException) else value


def print_exception(exc, value=None, tb=None, limit=None, file=None, chain=True):
    """Print the exception and its traceback to ``file`` (default ``sys.stderr``)."""
    sys.print_exception(_exception(exc, value), sys.stderr if file is None else file)


def format_exception(exc, value=None, tb=None, limit=None, chain=True):
    """The lines ``print_exception`` would print, as a list of one string."""
    import io

    out = io.StringIO()
    sys.print_exception(_exception(exc, value), out)
    return [out.getvalue()]
