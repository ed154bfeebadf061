"""The host engine: CPython's ``socket`` + ``select.poll`` behind docs/engine-interface.md.

OS sockets are kept non-blocking; the API layer does every wait through ``poll``. Numbers
cross the interface in lwIP numbering and are translated here.
"""

import errno
import os
import select
import time
import socket as _s

NAME = "host"
MAX_SLOTS = int(os.environ.get("SOCKETPOOL_SLOTS", "8"))
IPV6 = _s.has_ipv6
RAW = True

_FAMILY = {2: _s.AF_INET, 10: _s.AF_INET6}
_FAMILY_BACK = {_s.AF_INET: 2, _s.AF_INET6: 10}
_TYPE = {1: _s.SOCK_STREAM, 2: _s.SOCK_DGRAM, 3: _s.SOCK_RAW}

# (lwIP level, lwIP option) -> (OS level, OS option)
_OPTIONS = {
    (0xFFF, 4): (_s.SOL_SOCKET, _s.SO_REUSEADDR),
    (0xFFF, 0x20): (_s.SOL_SOCKET, _s.SO_BROADCAST),
    (0xFFF, 8): (_s.SOL_SOCKET, _s.SO_KEEPALIVE),
    (6, 1): (_s.IPPROTO_TCP, _s.TCP_NODELAY),
    (0, 5): (_s.IPPROTO_IP, _s.IP_MULTICAST_TTL),
    (0, 3): (_s.IPPROTO_IP, _s.IP_ADD_MEMBERSHIP),
}
OPTIONS = tuple(sorted(_OPTIONS))

_POLL_MASK = select.POLLIN | select.POLLOUT | select.POLLERR | select.POLLHUP

_EAGAIN = -errno.EAGAIN


def _err(e):
    return -(e.errno or errno.EIO)


def getaddrinfo(host, family):
    fam = _FAMILY.get(family, 0)
    try:
        infos = _s.getaddrinfo(host, None, fam, _s.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None
    out = []
    for f, _t, _p, _c, addr in infos:
        pair = (_FAMILY_BACK.get(f), addr[0])
        if pair[0] and pair not in out:
            out.append(pair)
    return out


def socket(family, type, proto):
    try:
        sock = _s.socket(_FAMILY[family], _TYPE[type], proto)
    except OSError as e:
        return _err(e)
    sock.setblocking(False)
    return HostSocket(sock, type)


_SLICE_MS = 100  # longest single OS wait: a close() from another thread is seen between slices
_CLOSED = object()


def _sliced_poll(p, sock, timeout_ms):
    """``p.poll`` for at most ``timeout_ms`` (-1: no limit) in slices of _SLICE_MS: Linux does not
    wake a poll on a descriptor another thread closes, so the wait looks between slices (then
    returns _CLOSED)."""
    end = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000
    while True:
        ms = _SLICE_MS
        if end is not None:
            ms = min(ms, max(0, int((end - time.monotonic()) * 1000 + 0.999)))
        ready = p.poll(ms)
        if ready or ms < _SLICE_MS:
            return ready
        if sock.fileno() < 0:
            return _CLOSED


class HostSocket:
    __slots__ = ("_sock", "_type", "_poll", "_state", "_reset")

    # _state: 0 new, 1 connecting, 2 connected, 3 listening
    def __init__(self, sock, type, state=0):
        self._sock = sock
        self._type = type
        self._poll = []  # idle poll objects (see poll)
        self._state = state
        self._reset = False

    def fileno(self):
        return self._sock.fileno()

    def bind(self, ip, port):
        try:
            self._sock.bind((ip, port))
        except OSError as e:
            return _err(e)
        return 0

    def listen(self, backlog):
        try:
            self._sock.listen(backlog)
        except OSError as e:
            return _err(e)
        self._state = 3
        return 0

    def accept(self):
        try:
            conn, addr = self._sock.accept()
        except BlockingIOError:
            return _EAGAIN
        except OSError as e:
            return _err(e)
        conn.setblocking(False)
        return HostSocket(conn, 1, 2), addr[0], addr[1]

    def connect(self, ip, port):
        if self._state == 2:
            return -errno.EISCONN  # Linux says 0 once more after a finished non-blocking connect
        if self._state == 1:
            r = self.connect_result()
            return -errno.EISCONN if r == 0 else -errno.EALREADY if r == -errno.EINPROGRESS else r
        r = self._sock.connect_ex((ip, port))
        if r == 0:
            self._state = 2
            return 0
        if r == errno.EINPROGRESS:
            self._state = 1
            return -errno.EINPROGRESS
        if r == errno.EALREADY:
            return -errno.EALREADY
        if r == errno.EISCONN:
            self._state = 2
            return -errno.EISCONN
        self._state = 0  # the API layer names a failed connect (_connect_failed)
        return -r

    def connect_result(self):
        err = self._sock.getsockopt(_s.SOL_SOCKET, _s.SO_ERROR)
        if err == errno.ECONNRESET:
            # Linux says ECONNREFUSED for a reset in SYN_SENT: this one came after the handshake,
            # so the connect succeeded and the next call reports the reset (latched)
            self._state = 2
            self._reset = True
            return 0
        if err:
            self._state = 0
            return -err
        try:
            self._sock.getpeername()
        except OSError:
            return -errno.EINPROGRESS
        self._state = 2
        return 0

    def _recv_failed(self, e):
        """What a receive that raised ``e`` returns."""
        if isinstance(e, BlockingIOError):
            if self._type == 1 and self._state in (0, 3):
                return -errno.ENOTCONN
            return _EAGAIN  # connected, or still connecting
        if e.errno == errno.ECONNRESET:
            self._reset = True  # Linux reports a reset once; the contract latches it
        return _err(e)

    def recv_into(self, buf, nbytes):
        if self._reset:
            return -errno.ECONNRESET
        try:
            return self._sock.recv_into(buf, nbytes)
        except OSError as e:
            return self._recv_failed(e)

    def recvfrom_into(self, buf, nbytes):
        if self._reset:
            return -errno.ECONNRESET
        try:
            n, addr = self._sock.recvfrom_into(buf, nbytes)
        except OSError as e:
            return self._recv_failed(e)
        if addr is None:  # TCP
            return n, self._sock.getpeername()[:2]
        return n, (addr[0], addr[1])

    def send(self, data):
        if self._reset:
            return -errno.ECONNRESET
        try:
            return self._sock.send(data)
        except BlockingIOError:
            return _EAGAIN
        except OSError as e:
            code = e.errno
            if code in (errno.ENOTCONN, errno.EDESTADDRREQ, errno.EPIPE):
                if self._state == 2:  # was connected: the peer has gone
                    self._reset = True
                    return -errno.ECONNRESET
                return -errno.EPIPE
            if code == errno.ECONNRESET:
                self._reset = True
            return -code

    def sendto(self, data, ip, port):
        try:
            return self._sock.sendto(data, (ip, port))
        except BlockingIOError:
            return _EAGAIN
        except OSError as e:
            return _err(e)

    def setsockopt(self, level, opt, value):
        os_opt = _OPTIONS.get((level, opt))
        if os_opt is None:
            return -errno.ENOPROTOOPT
        try:
            self._sock.setsockopt(os_opt[0], os_opt[1], value)
        except OSError as e:
            return _err(e)
        return 0

    def poll(self, events, timeout_ms):
        # register only the asked events: a writable socket must not wake a wait for POLLIN.
        # One poll object per waiting thread: a socket may be waited on by two threads at once
        # (one sending, one receiving), and CPython refuses a poll object used by two at once.
        # ``_poll`` is a list of idle (poll object, mask) pairs; list.pop/append are atomic.
        mask = (events & _POLL_MASK) | select.POLLERR | select.POLLHUP
        idle = self._poll
        try:
            p, pmask = idle.pop()
        except IndexError:
            p, pmask = select.poll(), None
        try:
            if pmask is None:
                p.register(self._sock, mask)
            elif mask != pmask:
                p.modify(self._sock, mask)
            ready = _sliced_poll(p, self._sock, timeout_ms)
        except InterruptedError:
            ready = None
        except (OSError, ValueError):  # closed by another thread meanwhile
            return select.POLLERR | select.POLLHUP
        if ready is _CLOSED:
            return select.POLLERR | select.POLLHUP
        idle.append((p, mask))
        if not ready:
            return 0
        ev = ready[0][1]
        # a TCP socket that was never connected reports POLLHUP on Linux: not an event here
        if self._type == 1 and self._state == 0:
            ev &= ~select.POLLHUP
        return ev & (events | select.POLLERR | select.POLLHUP)

    def close(self):
        self._poll = []
        self._sock.close()
