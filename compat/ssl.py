"""CircuitPython's ``ssl`` for pool sockets on MicroPython, over the firmware's ``tls`` (mbedTLS).

As on CircuitPython, ``wrap_socket`` only remembers the socket: the handshake happens in
``connect()``. Waits and timeouts stay the pool socket's own: mbedTLS reads and writes through the
pool socket, so a timeout is still ``OSError(ETIMEDOUT)``. MicroPython has no CA store:
``create_default_context()`` verifies certificates (against $SSL_CERT_FILE on the unix port,
as CPython's does), so load a CA with
``load_verify_locations(cadata=...)`` (PEM str or DER bytes; of a PEM bundle the first
certificate) or set ``verify_mode = CERT_NONE``.
"""

import binascii
import io
import tls

CERT_NONE = tls.CERT_NONE
CERT_OPTIONAL = tls.CERT_OPTIONAL
CERT_REQUIRED = tls.CERT_REQUIRED
PROTOCOL_TLS_CLIENT = tls.PROTOCOL_TLS_CLIENT
PROTOCOL_TLS_SERVER = tls.PROTOCOL_TLS_SERVER

# CPython's names that libraries import when ``sys.implementation.name`` is not "circuitpython"
# (adafruit_httpserver): TLS failures here are the OSErrors mbedTLS raises, so SSLError is OSError.
SSLError = OSError
_X509_CERT_VERIFY_FAILED = -0x2700  # mbedTLS's MBEDTLS_ERR_X509_CERT_VERIFY_FAILED


class Purpose:
    SERVER_AUTH = "SERVER_AUTH"  # a context for clients, checking servers
    CLIENT_AUTH = "CLIENT_AUTH"  # a context for servers


def _pem_or_der(data):
    """DER bytes: mbedTLS in some firmware (the unix port's) parses no PEM. A PEM bundle gives its
    first block."""
    if isinstance(data, str):
        data = data.encode()
    if data[:5] != b"-----":
        return data
    body = []
    for line in bytes(data).split(b"\n"):
        line = line.strip()
        if line.startswith(b"-----END"):
            break
        if line and not line.startswith(b"-----"):
            body.append(line)
    return binascii.a2b_base64(b"".join(body))


def _read(path):
    with open(path, "rb") as f:
        return f.read()


class SSLContext:
    """A TLS context; ``wrap_socket`` takes a pool socket and returns an ``SSLSocket``."""

    def __init__(self, protocol=PROTOCOL_TLS_CLIENT):
        self._protocol = protocol
        self.check_hostname = protocol == PROTOCOL_TLS_CLIENT
        self.verify_mode = CERT_REQUIRED if protocol == PROTOCOL_TLS_CLIENT else CERT_NONE
        self._cadata = None
        self._chain = None

    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        if cafile is not None:
            cadata = _read(cafile)
        if cadata is None:
            raise ValueError("cafile or cadata needed")
        self._cadata = _pem_or_der(cadata)

    def load_cert_chain(self, certfile, keyfile=None):
        cert = certfile if isinstance(certfile, (bytes, bytearray)) else _read(certfile)
        key = keyfile if isinstance(keyfile, (bytes, bytearray)) else _read(keyfile or certfile)
        self._chain = (_pem_or_der(cert), _pem_or_der(key))

    def set_default_verify_paths(self):
        """Trust the file $SSL_CERT_FILE names, where the firmware has an environment (the unix
        port; CPython's default context reads the same variable). Boards have no CA store:
        ``load_verify_locations`` is the way there."""
        try:
            from os import getenv
        except ImportError:
            return
        cafile = getenv("SSL_CERT_FILE")
        if cafile:
            self.load_verify_locations(cafile=cafile)

    def _native(self, server_side):
        ctx = tls.SSLContext(PROTOCOL_TLS_SERVER if server_side else PROTOCOL_TLS_CLIENT)
        ctx.verify_mode = CERT_NONE if server_side else self.verify_mode
        if self._cadata is not None:
            ctx.load_verify_locations(self._cadata)
        if self._chain is not None:
            ctx.load_cert_chain(self._chain[0], self._chain[1])
        return ctx

    def wrap_socket(self, sock, server_side=False, server_hostname=None):
        """Remember ``sock``; the handshake happens in ``connect()`` (or ``accept()``)."""
        if server_hostname == "":
            # an empty name checks nothing: refused on every engine, as CPython does
            raise ValueError("server_hostname cannot be an empty string")
        return SSLSocket(self, sock, server_side, server_hostname)


def create_default_context(purpose=Purpose.SERVER_AUTH):
    """A client context that verifies certificates and host names (``Purpose.CLIENT_AUTH``: a
    server context, asking clients for no certificate, as CPython's)."""
    if purpose == Purpose.CLIENT_AUTH:
        return SSLContext(PROTOCOL_TLS_SERVER)
    ctx = SSLContext(PROTOCOL_TLS_CLIENT)
    ctx.set_default_verify_paths()
    return ctx


class _Transport(io.IOBase):
    """The pool socket as the stream mbedTLS reads and writes; waits are the pool socket's."""

    def __init__(self, sock):
        self._sock = sock

    def readinto(self, buf):
        return self._sock.recv_into(buf)

    def write(self, buf):
        return self._sock.send(buf)

    def ioctl(self, req, arg):
        return self._sock.ioctl(req, arg)


NONBLOCKING_HANDSHAKE_S = 10  # an accepted non-blocking socket's handshake waits at most this


class SSLSocket:
    """A pool socket with TLS on top: ``connect``, ``send``, ``recv_into``, ``close`` ..."""

    def __init__(self, context, sock, server_side, server_hostname):
        self._context = context
        self._sock = sock
        self._server_side = server_side
        self._hostname = server_hostname
        self._tls = None
        self._timeout = None

    def _handshake(self, server_side, hostname):
        ctx = self._context._native(server_side)
        try:
            self._tls = ctx.wrap_socket(
                _Transport(self._sock), server_side=server_side, server_hostname=hostname
            )
        except ValueError as e:
            # MicroPython's tls reports a refused certificate as ValueError; CircuitPython (and
            # CPython's SSLCertVerificationError) as an OSError: mbedTLS's verify-failed code
            raise SSLError(_X509_CERT_VERIFY_FAILED, str(e).strip())

    def connect(self, address):
        hostname = self._hostname
        named = isinstance(address, (tuple, list)) and len(address) == 2
        if hostname is None and named:
            hostname = address[0]  # the name given to connect() names the peer
        if not hostname or not isinstance(hostname, str):
            hostname = None
            if named and self._context.check_hostname and self._context.verify_mode != CERT_NONE:
                # mbedTLS given no name checks none: any valid certificate would do. Refused
                # before anything is sent, as on the host (docs/contract-notes.md)
                raise ValueError("check_hostname requires server_hostname")
        self._sock.connect(address)
        try:
            self._handshake(False, hostname)
        except BaseException:
            self._sock.close()
            raise

    def bind(self, address):
        self._sock.bind(address)

    def listen(self, backlog):
        self._sock.listen(backlog)

    def accept(self):
        """Accept a connection and do its TLS handshake (as CircuitPython): ``(SSLSocket, addr)``."""
        sock, addr = self._sock.accept()
        child = SSLSocket(self._context, sock, True, None)
        child._timeout = self._timeout  # the accepted pool socket inherited it too
        try:
            # as CircuitPython: the handshake completes even on a non-blocking socket (here
            # within NONBLOCKING_HANDSHAKE_S, so a silent client cannot hang the server)
            if self._timeout == 0:
                sock.settimeout(NONBLOCKING_HANDSHAKE_S)
            child._handshake(True, None)
            if self._timeout == 0:
                sock.settimeout(0)
        except BaseException:
            sock.close()
            raise
        return child, addr

    def _live(self):
        if self._tls is None:
            self._sock._live()  # EBADF when closed
            raise OSError(_errno_enotconn())
        return self._tls

    def send(self, data):
        return self._live().write(data)

    def sendall(self, data):
        view = memoryview(data)
        sent = 0
        while sent < len(view):
            sent += self._live().write(view[sent:])

    def recv_into(self, buffer, nbytes=0):
        # the tls object's recv returns what one record holds; its recv_into would wait to fill
        # the whole buffer, which a socket's recv_into must not do
        n = nbytes if nbytes > 0 else len(buffer)
        data = self._live().recv(n)
        got = len(data)
        buffer[0:got] = data
        return got

    def recv(self, bufsize):
        return self._live().recv(bufsize)

    def settimeout(self, value):
        self._sock.settimeout(value)
        self._timeout = value

    def setblocking(self, flag):
        self._sock.setblocking(flag)
        self._timeout = None if flag else 0

    def setsockopt(self, *args):
        self._sock.setsockopt(*args)

    @property
    def type(self):
        return self._sock.type

    def close(self):
        t = self._tls
        self._tls = None
        if t is not None:
            try:
                t.close()
            except OSError:
                pass
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _errno_enotconn():
    import errno

    return errno.ENOTCONN
