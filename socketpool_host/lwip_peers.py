"""Test peers inside the host lwIP: a stand-in for CPython's ``socket`` module.

A host-lwIP engine's sockets live in an lwIP inside this process (its own loopback netif at
127.0.0.1 and ::1), which the OS's loopback cannot reach, so the peer side of a test must live in
that lwIP too. ``PeerStack`` offers what peer code uses of the ``socket`` module (``socket()``,
``create_connection()``, the constants, ``timeout``); its sockets are made straight from lwIP's
BSD calls (``lwip_socket`` ...), never through the core under test, and take no pool slot.

Debian's liblwip-dev is built with the OS's socket headers, so its numbers (AF_*, SOL_SOCKET,
SO_*, MSG_DONTWAIT, O_NONBLOCK, poll bits, errno) are Linux's, which are CPython's ``socket``
module's here: the constants below are CPython's and go to lwIP unchanged.

Blocking calls wait with ``lwip_poll`` in 50 ms slices, bounded by the socket's timeout
(default None = forever, as CPython; peers.py sets one everywhere).
"""

import ctypes
import errno
import os
import socket as _os
import struct
import time

_SLICE_MS = 50
_HANDOFF_S = 0.002
_MSG_DONTWAIT = 0x40
_F_SETFL = 4
_O_NONBLOCK = 0o4000
_POLLIN, _POLLOUT = 1, 4


class _PollFd(ctypes.Structure):
    _fields_ = [("fd", ctypes.c_int), ("events", ctypes.c_short), ("revents", ctypes.c_short)]


def _sockaddr(family, host, port):
    if family == _os.AF_INET6:
        raw = struct.pack("=H", _os.AF_INET6) + struct.pack("!HI", port, 0)
        raw += _os.inet_pton(_os.AF_INET6, host or "::") + struct.pack("=I", 0)
    else:
        raw = struct.pack("=H", _os.AF_INET) + struct.pack("!H", port)
        raw += _os.inet_pton(_os.AF_INET, host or "0.0.0.0") + bytes(8)
    return ctypes.create_string_buffer(raw, len(raw)), len(raw)


def _parse_sockaddr(buf):
    raw = buf.raw
    family = struct.unpack("=H", raw[:2])[0]
    port = struct.unpack("!H", raw[2:4])[0]
    if family == _os.AF_INET6:
        return (_os.inet_ntop(_os.AF_INET6, raw[8:24]), port, 0, 0)
    return (_os.inet_ntop(_os.AF_INET, raw[4:8]), port)


class PeerStack:
    """What peer code uses of CPython's ``socket`` module, over host lwIP."""

    timeout = _os.timeout
    error = OSError
    AF_INET = _os.AF_INET
    AF_INET6 = _os.AF_INET6
    SOCK_STREAM = _os.SOCK_STREAM
    SOCK_DGRAM = _os.SOCK_DGRAM
    SOL_SOCKET = _os.SOL_SOCKET
    SO_REUSEADDR = _os.SO_REUSEADDR
    SO_LINGER = _os.SO_LINGER
    SO_RCVBUF = _os.SO_RCVBUF
    SO_BROADCAST = _os.SO_BROADCAST
    IPPROTO_TCP = _os.IPPROTO_TCP
    TCP_NODELAY = _os.TCP_NODELAY

    def __init__(self, lib, stall_port=None, abort_fd=None):
        """``lib``: a ctypes library that links liblwip (the core); ``stall_port(port, allow)``:
        the host platform's SYN filter, for ``listen(0)``; ``abort_fd(fd)``: reset a TCP
        connection now, for a close after SO_LINGER {1, 0}."""
        self._lib = lwip = ctypes.CDLL(lib._name, use_errno=True)
        c_int, c_void_p, c_size_t = ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t
        P = ctypes.POINTER
        for name, res, args in (
            ("lwip_socket", c_int, [c_int, c_int, c_int]),
            ("lwip_bind", c_int, [c_int, c_void_p, c_int]),
            ("lwip_listen", c_int, [c_int, c_int]),
            ("lwip_accept", c_int, [c_int, c_void_p, P(ctypes.c_uint)]),
            ("lwip_connect", c_int, [c_int, c_void_p, c_int]),
            ("lwip_getsockname", c_int, [c_int, c_void_p, P(ctypes.c_uint)]),
            ("lwip_getsockopt", c_int, [c_int, c_int, c_int, c_void_p, P(ctypes.c_uint)]),
            ("lwip_setsockopt", c_int, [c_int, c_int, c_int, c_void_p, c_int]),
            ("lwip_recv", ctypes.c_ssize_t, [c_int, c_void_p, c_size_t, c_int]),
            ("lwip_recvfrom", ctypes.c_ssize_t,
             [c_int, c_void_p, c_size_t, c_int, c_void_p, P(ctypes.c_uint)]),
            ("lwip_send", ctypes.c_ssize_t, [c_int, c_void_p, c_size_t, c_int]),
            ("lwip_sendto", ctypes.c_ssize_t, [c_int, c_void_p, c_size_t, c_int, c_void_p, c_int]),
            ("lwip_poll", c_int, [P(_PollFd), ctypes.c_uint, c_int]),
            ("lwip_fcntl", c_int, [c_int, c_int, c_int]),
            ("lwip_shutdown", c_int, [c_int, c_int]),
            ("lwip_close", c_int, [c_int]),
        ):
            fn = getattr(lwip, name)
            fn.restype, fn.argtypes = res, args
        self._stall_port = stall_port
        self._abort_fd = abort_fd

    def socket(self, family=_os.AF_INET, type=_os.SOCK_STREAM, proto=0):
        return PeerSocket(self, family, type)

    def create_connection(self, address, timeout=None):
        host, port = address[0], address[1]
        s = PeerSocket(self, _os.AF_INET6 if ":" in host else _os.AF_INET, _os.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect((host, port))
        except BaseException:
            s.close()
            raise
        return s

    def getaddrinfo(self, *args, **kwargs):
        return _os.getaddrinfo(*args, **kwargs)


def _oserror(code):
    return OSError(code, os.strerror(code))


class PeerSocket:
    """A blocking, CPython-socket-like lwIP socket (only what test peers need)."""

    def __init__(self, stack, family=_os.AF_INET, type=_os.SOCK_STREAM, fd=None):
        self._stack = stack
        self._lwip = stack._lib
        self.family = family
        self.type = type
        self._timeout = None
        self._stalled = None
        self._reset_on_close = False
        if fd is None:
            fd = self._call(self._lwip.lwip_socket(family, type, 0))
        self._fd = fd
        self._lwip.lwip_fcntl(fd, _F_SETFL, _O_NONBLOCK)

    # --- plumbing ---
    def _call(self, r):
        if r < 0:
            raise _oserror(ctypes.get_errno() or errno.EIO)
        return r

    def _live(self):
        if self._fd is None:
            raise _oserror(errno.EBADF)
        return self._fd

    def _wait(self, events, deadline):
        """Wait for ``events`` until ``deadline``; socket.timeout when it passes."""
        if self._timeout == 0:
            raise _oserror(errno.EAGAIN)
        ms = _SLICE_MS
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _os.timeout("timed out")
            ms = max(1, min(_SLICE_MS, int(left * 1000)))
        pfd = _PollFd(self._live(), events, 0)
        self._lwip.lwip_poll(ctypes.byref(pfd), 1, ms)

    def _deadline(self):
        return None if self._timeout is None else time.monotonic() + self._timeout

    def _retry(self, call, events):
        """Run ``call()`` (returns an lwIP result) until it does not say EAGAIN."""
        deadline = self._deadline()
        while True:
            r = call()
            if r >= 0:
                return r
            code = ctypes.get_errno()
            if code not in (errno.EAGAIN, errno.EWOULDBLOCK):
                raise _oserror(code or errno.EIO)
            self._wait(events, deadline)

    # --- socket API ---
    def settimeout(self, t):
        self._timeout = t

    def gettimeout(self):
        return self._timeout

    def setblocking(self, flag):
        self._timeout = None if flag else 0

    def fileno(self):
        return -1

    def getsockname(self):
        buf = ctypes.create_string_buffer(28)
        n = ctypes.c_uint(28)
        self._call(self._lwip.lwip_getsockname(self._live(), buf, ctypes.byref(n)))
        return _parse_sockaddr(buf)

    def setsockopt(self, level, opt, value):
        if (level, opt) == (_os.SOL_SOCKET, _os.SO_RCVBUF):
            return  # lwIP's receive window is TCP_WND, fixed at build time: accepted, no effect
        if (level, opt) == (_os.SOL_SOCKET, _os.SO_LINGER):
            on, secs = struct.unpack("ii", bytes(value))
            self._reset_on_close = bool(on) and secs == 0
        if isinstance(value, int):
            raw = ctypes.c_int(value)
            self._call(self._lwip.lwip_setsockopt(self._live(), level, opt, ctypes.byref(raw), 4))
        else:
            b = bytes(value)
            self._call(self._lwip.lwip_setsockopt(self._live(), level, opt, b, len(b)))

    def bind(self, addr):
        sa, n = _sockaddr(self.family, addr[0], addr[1])
        self._call(self._lwip.lwip_bind(self._live(), sa, n))

    def listen(self, backlog=5):
        self._call(self._lwip.lwip_listen(self._live(), max(backlog, 1)))
        if backlog <= 0 and self._stack._stall_port is not None:
            # as Linux with a full accept queue: one connection completes, later SYNs are lost
            self._stalled = self.getsockname()[1]
            self._stack._stall_port(self._stalled, 1)

    def accept(self):
        buf = ctypes.create_string_buffer(28)
        n = ctypes.c_uint(28)
        fd = self._retry(lambda: self._lwip.lwip_accept(self._live(), buf, ctypes.byref(n)), _POLLIN)
        conn = PeerSocket(self._stack, self.family, self.type, fd)
        conn._timeout = self._timeout
        # A kernel completes the connecting side's connect() by itself; here that side is a
        # Python thread that may not have run since its SYN went out, and lwIP's socket API
        # cannot tell a reset after the handshake from a refusal once the reset is in. Give it
        # the GIL for a moment before this peer can act (a sleep releases it; a ctypes call
        # hardly does).
        time.sleep(_HANDOFF_S)
        return conn, _parse_sockaddr(buf)

    def connect(self, addr):
        sa, n = _sockaddr(self.family, addr[0], addr[1])
        if self._lwip.lwip_connect(self._live(), sa, n) == 0:
            return
        code = ctypes.get_errno()
        if code != errno.EINPROGRESS:
            raise _oserror(code or errno.EIO)
        deadline = self._deadline()
        while True:
            self._wait(_POLLOUT, deadline)
            pfd = _PollFd(self._live(), _POLLOUT, 0)
            if self._lwip.lwip_poll(ctypes.byref(pfd), 1, 0) > 0:
                err = ctypes.c_int(0)
                n = ctypes.c_uint(4)
                self._lwip.lwip_getsockopt(self._fd, _os.SOL_SOCKET, _os.SO_ERROR,
                                           ctypes.byref(err), ctypes.byref(n))
                if err.value:
                    raise _oserror(err.value)
                return

    def connect_ex(self, addr):
        try:
            self.connect(addr)
        except OSError as e:
            return e.errno or errno.EIO
        return 0

    def send(self, data):
        b = bytes(data)
        return self._retry(lambda: self._lwip.lwip_send(self._live(), b, len(b), _MSG_DONTWAIT),
                           _POLLOUT)

    def sendall(self, data):
        view = memoryview(data).cast("B")
        sent = 0
        while sent < len(view):
            sent += self.send(view[sent:sent + 65536])

    def sendto(self, data, addr):
        b = bytes(data)
        sa, n = _sockaddr(self.family, addr[0], addr[1])
        return self._retry(
            lambda: self._lwip.lwip_sendto(self._live(), b, len(b), _MSG_DONTWAIT, sa, n), _POLLOUT)

    def recv_into(self, buf, nbytes=0):
        n = nbytes or len(buf)
        if n == 0:
            return 0
        target = (ctypes.c_char * n).from_buffer(buf)
        return self._retry(lambda: self._lwip.lwip_recv(self._live(), target, n, _MSG_DONTWAIT),
                           _POLLIN)

    def recv(self, n):
        buf = bytearray(n)
        got = self.recv_into(buf, n)
        return bytes(buf[:got])

    def recvfrom(self, n):
        buf = ctypes.create_string_buffer(max(n, 1))
        sa = ctypes.create_string_buffer(28)
        alen = ctypes.c_uint(28)
        got = self._retry(lambda: self._lwip.lwip_recvfrom(
            self._live(), buf, n, _MSG_DONTWAIT, sa, ctypes.byref(alen)), _POLLIN)
        return buf.raw[:got], _parse_sockaddr(sa)

    def shutdown(self, how):
        self._call(self._lwip.lwip_shutdown(self._live(), how))

    def close(self):
        fd, self._fd = self._fd, None
        if self._stalled is not None:
            self._stack._stall_port(self._stalled, -1)
            self._stalled = None
        if fd is not None:
            if self._reset_on_close and self._stack._abort_fd is not None:
                self._stack._abort_fd(fd)  # Linux resets on close with SO_LINGER {1, 0}
            self._lwip.lwip_close(fd)

    def __del__(self):
        if getattr(self, "_fd", None) is not None:
            self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

