"""CircuitPython's ``ssl`` for pool sockets, built on CPython's ``ssl``.

``SSLContext.wrap_socket(sock)`` takes a ``socketpool`` socket and returns an ``SSLSocket`` that
behaves like CircuitPython's: the handshake runs in ``connect()`` / ``accept()``, never in
``wrap_socket()``, and errors follow the socketpool contract (ETIMEDOUT, EAGAIN, EBADF,
BrokenPipeError ...). TLS failures are CPython's ``ssl.SSLError`` family, which are OSErrors, as
on CircuitPython (where they are OSErrors carrying an mbedTLS code).

Why ``ssl.MemoryBIO`` and not CPython's socket wrapping: the TLS engine reads and writes only
memory, and every byte crosses the network through the pool socket's public ``send`` /
``recv_into``. So it works on every engine (host, host-lwIP builds), timeouts, slots and errors
stay the API layer's, and nothing depends on an OS descriptor.
"""

import errno
import os
import ssl as _ssl
import time

_ETIMEDOUT = errno.ETIMEDOUT
_EAGAIN = errno.EAGAIN

# CircuitPython loops its handshake until it completes, even on a non-blocking socket. Here a
# non-blocking socket's handshake waits at most this long, so a silent peer cannot hang a server.
NONBLOCKING_HANDSHAKE_S = 10.0

# close() waits at most this long for held ciphertext and close_notify to leave
CLOSE_LINGER_S = 2.0

_RECORD = 16384  # largest TLS plaintext record: what one send() accepts
_SOCK_STREAM = 1

_NONBLOCKING = False  # a deadline meaning "do not wait"
# The file a name from code.py (certificate, key, CA file) stands for: `socketpool run` sets it to
# its drive's translation, so "/server.pem" is a file of the code folder, as on CIRCUITPY.
user_file = os.fspath


def _oserror(code):
    return OSError(code, errno.errorcode.get(code, str(code)))


class SSLContext:
    """Settings for TLS connections over pool sockets, as CircuitPython's ``ssl.SSLContext``.

    A new context verifies peers against the host's default CA store (CircuitPython: its
    certificate bundle). ``load_verify_locations()`` replaces the trusted CAs; an empty
    ``cadata`` turns verification off, as on CircuitPython.
    """

    def __init__(self, protocol=None):
        # ``protocol`` is accepted and ignored, as CircuitPython does (CPython code passes one)
        self._verify = True
        self._cafile = None
        self._cadata = None
        self._chain = None  # (certfile, keyfile)
        self._check_hostname = True
        self._built = {}  # server_side -> CPython SSLContext

    # --- trust ---
    def set_default_verify_paths(self):
        """Trust the host's default CA store (CircuitPython: the built-in bundle)."""
        self._verify = True
        self._cafile = self._cadata = None
        self._built.clear()

    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        """Trust exactly these CAs from now on (PEM ``cadata`` str, or a PEM/DER file).

        ``cadata=""`` turns verification off, as on CircuitPython. CircuitPython itself only
        accepts ``cadata``: ``cafile`` here is an extension; ``capath`` is not implemented.
        """
        if capath is not None:
            raise NotImplementedError("capath")
        if cafile is None and cadata is None:
            raise TypeError("cafile or cadata is required")
        if cadata is not None and not isinstance(cadata, (str, bytes, bytearray)):
            raise TypeError("cadata must be a str")
        if cafile is None and not cadata:
            self._verify = False
            self._cafile = self._cadata = None
            self._built.clear()
            return
        if cafile is not None:
            cafile = user_file(cafile)
        probe = _ssl.SSLContext(_ssl.PROTOCOL_TLS_CLIENT)  # raises now for a bad file or PEM
        probe.load_verify_locations(cafile=cafile, cadata=cadata or None)
        self._verify = True
        self._cafile = os.fspath(cafile) if cafile is not None else None
        self._cadata = cadata or None
        self._built.clear()

    def load_cert_chain(self, certfile, keyfile=None):
        """This side's certificate (and its chain) and private key, as PEM files."""
        certfile = user_file(certfile)
        keyfile = user_file(keyfile) if keyfile is not None else None
        probe = _ssl.SSLContext(_ssl.PROTOCOL_TLS_SERVER)  # raises now for a bad file or key
        probe.load_cert_chain(certfile, keyfile)
        self._chain = (certfile, keyfile)
        self._built.clear()

    @property
    def check_hostname(self):
        """Whether the peer certificate must match the host name (default True)."""
        return self._check_hostname

    @check_hostname.setter
    def check_hostname(self, value):
        self._check_hostname = bool(value)
        self._built.clear()

    # CPython-style knob that adafruit_httpserver's CPython branch sets; not on CircuitPython.
    @property
    def verify_mode(self):
        return _ssl.CERT_REQUIRED if self._verify else _ssl.CERT_NONE

    @verify_mode.setter
    def verify_mode(self, value):
        self._verify = value != _ssl.CERT_NONE
        self._built.clear()

    def _context(self, server_side):
        ctx = self._built.get(server_side)
        if ctx is not None:
            return ctx
        ctx = _ssl.SSLContext(_ssl.PROTOCOL_TLS_SERVER if server_side else _ssl.PROTOCOL_TLS_CLIENT)
        if self._chain:
            ctx.load_cert_chain(*self._chain)
        if self._verify:
            if self._cafile or self._cadata:
                ctx.load_verify_locations(cafile=self._cafile, cadata=self._cadata)
            else:
                ctx.load_default_certs(
                    _ssl.Purpose.CLIENT_AUTH if server_side else _ssl.Purpose.SERVER_AUTH
                )
            # as CircuitPython: a verifying server asks the client for a certificate too
            ctx.verify_mode = _ssl.CERT_REQUIRED
            ctx.check_hostname = self._check_hostname and not server_side
        else:
            ctx.check_hostname = False
            ctx.verify_mode = _ssl.CERT_NONE
        self._built[server_side] = ctx
        return ctx

    def wrap_socket(self, sock, *, server_side=False, server_hostname=None):
        """An ``SSLSocket`` over pool socket ``sock``; the handshake waits for connect/accept."""
        return wrap_pool_socket(self, sock, server_side, server_hostname)


class CPythonSettings:
    """A CPython ``ssl.SSLContext`` used as it is for pool sockets (plain ``python code.py``:
    ``ssl.create_default_context().wrap_socket(pool_socket)``, see cpy_ssl.install): its CAs,
    verify_mode, check_hostname, certificate chain and protocol versions all apply."""

    def __init__(self, cpython_context):
        self._cpython = cpython_context

    def _context(self, server_side):
        return self._cpython


def wrap_pool_socket(settings, sock, server_side=False, server_hostname=None):
    """An ``SSLSocket`` over pool socket ``sock`` with ``settings`` (an SSLContext here or a
    CPythonSettings); the handshake waits for connect/accept, as on CircuitPython."""
    if server_side and server_hostname is not None:
        raise ValueError("Server side context cannot have hostname")
    if server_hostname is not None and not isinstance(server_hostname, str):
        raise TypeError("server_hostname must be a str")
    if server_hostname == "":
        # an empty name checks nothing: refused on every engine, as CPython does
        raise ValueError("server_hostname cannot be an empty string")
    if getattr(sock, "type", None) != _SOCK_STREAM:
        raise RuntimeError("Invalid socket for TLS")
    return SSLSocket(settings, sock, bool(server_side), server_hostname)


def create_default_context(purpose=None, **_cpython_only):
    """A new ``SSLContext`` that verifies peers (``purpose`` is accepted for CPython code)."""
    ctx = SSLContext()
    if purpose is not None and purpose == _ssl.Purpose.CLIENT_AUTH:
        ctx._verify = False  # CPython's server-side default: no client certificate asked
    return ctx


class SSLSocket:
    """A TLS connection over a pool socket (CircuitPython's ``ssl.SSLSocket``).

    Methods as on CircuitPython: accept, bind, close, connect, listen, recv_into, send,
    setblocking, setsockopt, settimeout (no ``recv``, ``sendall`` or ``fileno``).
    """

    def __init__(self, context, sock, server_side, server_hostname):
        self._context = context
        self._sock = sock
        self._server_side = server_side
        self._hostname = server_hostname
        self._timeout = None
        self._tls = None  # ssl.SSLObject once connected or accepted
        self._incoming = None
        self._outgoing = None
        self._pending = b""  # ciphertext the socket has not taken yet
        self._rbuf = None
        self._closed = False

    def __del__(self):
        # finaliser of a forgotten socket: close without waiting for the peer
        if not getattr(self, "_closed", True):
            self._close(_NONBLOCKING)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    def __repr__(self):
        return "<SSLSocket%s>" % (" closed" if self._closed else "")

    # --- timeouts and deadlines ---
    def settimeout(self, value):
        self._sock.settimeout(value)  # the pool socket checks the value
        self._timeout = value

    def setblocking(self, flag):
        self.settimeout(None if flag else 0)

    def _deadline(self, handshake=False):
        t = self._timeout
        if t == 0 and handshake:
            t = NONBLOCKING_HANDSHAKE_S
        if t is None:
            return None
        if t == 0:
            return _NONBLOCKING
        return time.monotonic() + t

    def _arm(self, deadline):
        """Give the pool socket what is left of ``deadline`` for its next call."""
        if deadline is None:
            self._sock.settimeout(None)
        elif deadline is _NONBLOCKING:
            self._sock.settimeout(0)
        else:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _oserror(_ETIMEDOUT)
            self._sock.settimeout(left)

    def _disarm(self):
        if not self._closed:
            self._sock.settimeout(self._timeout)

    def _live(self):
        if self._closed:
            raise _oserror(errno.EBADF)
        return self._tls

    # --- moving ciphertext between the TLS object and the pool socket ---
    def _flush(self, deadline):
        out = self._outgoing.read()
        if out:
            self._pending = self._pending + out if self._pending else out
        while self._pending:
            self._arm(deadline)
            n = self._sock.send(self._pending)
            self._pending = self._pending[n:]

    def _fill(self, deadline):
        self._arm(deadline)
        n = self._sock.recv_into(self._rbuf)
        if n == 0:
            self._incoming.write_eof()
        else:
            self._incoming.write(memoryview(self._rbuf)[:n])

    def _start(self, server_side, hostname):
        self._incoming = _ssl.MemoryBIO()
        self._outgoing = _ssl.MemoryBIO()
        self._rbuf = bytearray(_RECORD + 1024)
        ctx = self._context._context(server_side)
        self._tls = ctx.wrap_bio(
            self._incoming, self._outgoing, server_side=server_side, server_hostname=hostname
        )

    def _handshake(self, deadline):
        while True:
            try:
                self._tls.do_handshake()
                break
            except _ssl.SSLWantReadError:
                self._flush(deadline)
                self._fill(deadline)
        self._flush(deadline)

    # --- connection set-up ---
    def bind(self, address):
        self._live()
        self._sock.bind(address)

    def listen(self, backlog):
        self._live()
        self._sock.listen(backlog)

    def setsockopt(self, level, optname, value):
        self._live()
        self._sock.setsockopt(level, optname, value)

    def connect(self, address):
        """Connect the pool socket, then do the TLS handshake (as on CircuitPython)."""
        if self._live() is not None:
            raise _oserror(errno.EISCONN)
        hostname = self._hostname
        if hostname is None and isinstance(address, (tuple, list)) and address:
            hostname = address[0]  # the name given to connect() names the peer
        if not hostname or not isinstance(hostname, str):
            hostname = None
            if isinstance(address, (tuple, list)) and self._context._context(False).check_hostname:
                # CPython's TLS objects check no name at all when given none: any valid
                # certificate would do. Refused before anything is sent (docs/contract-notes.md)
                raise ValueError("check_hostname requires server_hostname")
        deadline = self._deadline(handshake=True)
        try:
            self._arm(deadline)
            self._sock.connect(address)
            self._start(False, hostname)
            try:
                self._handshake(deadline)
            except BaseException:
                # as CircuitPython: a failed handshake leaves the socket closed (at once: the
                # caller's timeout has already been spent)
                self._close(_NONBLOCKING)
                raise
        finally:
            self._disarm()

    def accept(self):
        """Accept a connection and do its TLS handshake: ``(SSLSocket, (ip, port))``."""
        self._live()
        sock, peer = self._sock.accept()
        child = SSLSocket(self._context, sock, True, None)
        child._timeout = self._timeout  # the accepted pool socket inherited it too
        try:
            deadline = child._deadline(handshake=True)
            child._start(True, None)
            child._handshake(deadline)
        except BaseException:
            child._close(_NONBLOCKING)
            raise
        finally:
            child._disarm()
        return child, peer

    # --- data ---
    def recv_into(self, buffer, bufsize=0):
        """Decrypted bytes into ``buffer``; 0 once the peer has closed (every time asked)."""
        tls = self._live()
        if isinstance(buffer, (bytes, str)):
            raise TypeError("buffer must be writable")
        size = len(buffer)
        if bufsize > size:
            raise ValueError("bufsize must be <= len(buffer)")
        if bufsize > 0:
            size = bufsize
        if tls is None:
            raise _oserror(errno.ENOTCONN)
        if size == 0:
            return 0
        deadline = None
        try:
            while True:
                try:
                    return tls.read(size, buffer)
                except _ssl.SSLWantReadError:
                    pass
                except (_ssl.SSLZeroReturnError, _ssl.SSLEOFError):
                    return 0  # close_notify, or a peer that just closed (as most servers do)
                if deadline is None:
                    deadline = self._deadline()
                self._flush(deadline)
                self._fill(deadline)
        finally:
            if deadline is not None:
                self._disarm()

    def send(self, data):
        """Encrypt and send up to one TLS record of ``data``; the number of bytes taken.

        Ciphertext the socket cannot take at once (non-blocking, or the timeout passes after
        the data was taken) is held and sent before anything else by the next call.
        """
        tls = self._live()
        view = memoryview(data)  # TypeError for what is not bytes-like
        if tls is None:
            raise BrokenPipeError(errno.EPIPE, "EPIPE")
        deadline = self._deadline()
        try:
            self._flush(deadline)  # earlier ciphertext first; nothing new is taken on failure
            chunk = view[:_RECORD]
            while True:
                try:
                    n = tls.write(chunk)
                    break
                except _ssl.SSLWantReadError:
                    self._fill(deadline)
            try:
                self._flush(deadline)
            except OSError as e:
                if e.errno not in (_EAGAIN, _ETIMEDOUT):
                    raise
            return n
        finally:
            self._disarm()

    def close(self):
        """Send what is held and close_notify (waiting at most ``CLOSE_LINGER_S``), read what
        the peer queued, then close the pool socket. Idempotent."""
        self._close(time.monotonic() + CLOSE_LINGER_S)

    def _close(self, deadline):
        if self._closed:
            return
        self._closed = True
        tls = self._tls
        if tls is not None:
            try:
                try:
                    tls.unwrap()
                except _ssl.SSLError:
                    pass  # it then waits for the peer's close_notify: not needed to close
                self._flush(deadline)
            except (OSError, ValueError):
                pass
            self._drain()
        self._pending = b""
        self._sock.close()

    def _drain(self):
        """Read what is queued (TLS 1.3 session tickets the application never asked for):
        closing a TCP socket with unread data sends a reset, and the peer loses what it had
        not read yet."""
        try:
            self._sock.settimeout(0)
            for _ in range(64):
                if self._sock.recv_into(self._rbuf) == 0:
                    break
        except OSError:
            pass
