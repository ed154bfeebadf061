"""CircuitPython's ``ssl`` on CPython, for ``socketpool run`` and for plain ``python code.py``.

Under ``socketpool run`` this module is ``sys.modules['ssl']`` while code.py runs: CircuitPython's
``create_default_context``, ``SSLContext`` and ``SSLSocket``, working on pool sockets, come from
socketpool_host.tls. Other names (``SSLError``, ``CERT_NONE``, ``Purpose`` ...) are CPython's, for
libraries that take a CPython branch on this computer.

In plain ``python code.py`` the program's ``ssl`` is CPython's own, whose ``wrap_socket`` wants an
OS socket (it calls ``getsockopt`` and ``fileno`` on it). ``install()`` (run when socketpool loads
its engine on CPython) teaches ``ssl.SSLContext.wrap_socket`` one more kind of socket: a pool
socket gets socketpool_host.tls's ``SSLSocket`` driven by that very CPython context, so its CAs,
``verify_mode`` and ``check_hostname`` apply (``create_default_context()``: the system CAs,
certificate and host name verified). Any other socket goes to CPython's own method untouched.
"""

import ssl as _cpython_ssl
import sys

from socketpool_host import tls as _tls
from socketpool_host.tls import SSLContext, SSLSocket, create_default_context  # noqa: F401


def __getattr__(name):
    return getattr(_cpython_ssl, name)


def _is_pool_socket(sock):
    pool_module = sys.modules.get("socketpool")
    return pool_module is not None and isinstance(sock, pool_module.Socket)


_cpython_wrap_socket = _cpython_ssl.SSLContext.wrap_socket


def _wrap_socket(self, sock, server_side=False, do_handshake_on_connect=True,
                 suppress_ragged_eofs=True, server_hostname=None, session=None):
    if not _is_pool_socket(sock):
        return _cpython_wrap_socket(self, sock, server_side=server_side,
                                    do_handshake_on_connect=do_handshake_on_connect,
                                    suppress_ragged_eofs=suppress_ragged_eofs,
                                    server_hostname=server_hostname, session=session)
    if session is not None:
        raise NotImplementedError("TLS session reuse over a pool socket")
    # CircuitPython's order: the handshake runs in connect()/accept(), whatever
    # do_handshake_on_connect says (the pool socket is not connected yet)
    return _tls.wrap_pool_socket(_tls.CPythonSettings(self), sock, server_side, server_hostname)


_wrap_socket.__doc__ = _cpython_wrap_socket.__doc__
_wrap_socket.socketpool_pool_sockets = True  # marks the installed method


def install():
    """Let CPython's ``ssl.SSLContext.wrap_socket`` take pool sockets (idempotent)."""
    if not getattr(_cpython_ssl.SSLContext.wrap_socket, "socketpool_pool_sockets", False):
        _cpython_ssl.SSLContext.wrap_socket = _wrap_socket
