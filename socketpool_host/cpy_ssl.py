"""The ``ssl`` module that a CircuitPython ``code.py`` sees under ``socketpool run``.

CircuitPython's ``ssl`` has ``create_default_context``, ``SSLContext`` and ``SSLSocket``, working
on pool sockets: those come from socketpool_host.tls. ``socketpool run`` puts this module in
``sys.modules['ssl']`` only while code.py runs. Other names (``SSLError``, ``CERT_NONE``,
``Purpose`` ...) are CPython's, for libraries that take a CPython branch on this computer.
"""

import ssl as _cpython_ssl

from socketpool_host.tls import SSLContext, SSLSocket, create_default_context  # noqa: F401


def __getattr__(name):
    return getattr(_cpython_ssl, name)
