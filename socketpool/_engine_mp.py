"""The MicroPython engine: stock firmware's ``socket`` + ``select.poll`` behind
docs/engine-interface.md.

Native sockets are kept non-blocking for their whole life; the API layer does every wait through
``poll``. (MicroPython's blocking ``readinto`` loses the count of partial data when a timeout
fires, so blocking mode is never used.) Numbers cross the interface in lwIP numbering and errors
as negative errno values of the running interpreter, would-block always EAGAIN.
See docs/engine-micropython.md.
"""

import sys
import errno as _errno
import select as _select
import socket as _socket

try:
    from micropython import const
except ImportError:  # CPython reads this file too (tools, tests): const is the value itself

    def const(x):
        return x

# const: folded into the bytecode where used (no global lookup per call on MicroPython)
_POLLIN = const(1)
_POLLOUT = const(4)
_POLLERR = const(8)
_POLLHUP = const(16)
_POLL_ALL = const(29)  # IN | OUT | ERR | HUP

# An engine socket keeps its whole state in one int, ``_k`` (a socket costs less heap than with an
# attribute per field): the lwIP type, a V6 bit, the state, and the latched RESET bit.
_TYPE_BITS = const(3)
_V6 = const(4)
_NEW = const(0)
_CONNECTING = const(8)
_CONNECTED = const(16)
_LISTENING = const(24)
_STATE = const(24)
_RESET = const(32)
_NOT_PLAIN_TCP = const(35)  # _RESET | _TYPE_BITS: anything but a TCP socket without a latched reset

NAME = "micropython"
MAX_SLOTS = 8
IPV6 = hasattr(_socket, "AF_INET6")
RAW = hasattr(_socket, "SOCK_RAW")

_UNIX = sys.platform in ("linux", "darwin", "freebsd", "netbsd", "openbsd")
# bind checks that the address is one of this machine's (EADDRNOTAVAIL): the kernel does; lwIP
# firmware (modlwip) binds any address, and its socket module lists no netif to check against
BIND_CHECKS_ADDRESS = _UNIX
_LINUX = sys.platform == "linux"
if _UNIX:
    try:
        import os as _os

        MAX_SLOTS = int(_os.getenv("SOCKETPOOL_SLOTS") or MAX_SLOTS)
    except (ImportError, AttributeError, ValueError):
        pass


# --- the one errno table: the errno module of small ports lacks some names -----------------
def _e(name, linux, newlib):
    return getattr(_errno, name, newlib if sys.platform == "esp32" else linux)


EAGAIN = _errno.EAGAIN
EWOULDBLOCK = _e("EWOULDBLOCK", 11, 11)
EINVAL = _errno.EINVAL
EIO = _errno.EIO
EINPROGRESS = _errno.EINPROGRESS
EALREADY = _errno.EALREADY
EISCONN = _e("EISCONN", 106, 127)
ENOTCONN = _errno.ENOTCONN
ECONNRESET = _errno.ECONNRESET
ECONNREFUSED = _errno.ECONNREFUSED
ECONNABORTED = _errno.ECONNABORTED
ETIMEDOUT = _errno.ETIMEDOUT
EBADF = _errno.EBADF
EPIPE = _e("EPIPE", 32, 32)
ENOPROTOOPT = _e("ENOPROTOOPT", 92, 109)
EDESTADDRREQ = _e("EDESTADDRREQ", 89, 121)
EMSGSIZE = _e("EMSGSIZE", 90, 122)
ENOMEM = _errno.ENOMEM
ENETUNREACH = _e("ENETUNREACH", 101, 114)
EHOSTUNREACH = _errno.EHOSTUNREACH

_EAGAIN = -EAGAIN


def _err(e):
    """Negative errno for an OSError from the firmware; would-block is always EAGAIN."""
    code = e.args[0] if e.args else EIO
    if not isinstance(code, int):
        return -EIO
    if code < 0:
        code = -code  # some ports raise OSError(-errno)
    if code == EWOULDBLOCK:
        code = EAGAIN
    return -code


# --- numbers: lwIP (interface) -> this firmware ---------------------------------------------
_FAMILY = {2: _socket.AF_INET}
if IPV6:
    _FAMILY[10] = _socket.AF_INET6
_TYPE = {1: _socket.SOCK_STREAM, 2: _socket.SOCK_DGRAM}
if RAW:
    _TYPE[3] = _socket.SOCK_RAW


def _const(name, linux, lwip):
    return getattr(_socket, name, linux if _UNIX else lwip)


_SOL = _const("SOL_SOCKET", 1, 0xFFF)
_IPPROTO_IP = _const("IPPROTO_IP", 0, 0)
_IPPROTO_TCP = _const("IPPROTO_TCP", 6, 6)
# (lwIP level, lwIP option) -> (firmware level, firmware option)
_OPTIONS = {
    (0xFFF, 4): (_SOL, _const("SO_REUSEADDR", 2, 4)),
    (0xFFF, 0x20): (_SOL, _const("SO_BROADCAST", 6, 0x20)),
    (0xFFF, 8): (_SOL, _const("SO_KEEPALIVE", 9, 8)),
    (6, 1): (_IPPROTO_TCP, _const("TCP_NODELAY", 1, 1)),
    (0, 5): (_IPPROTO_IP, _const("IP_MULTICAST_TTL", 33, 5)),
    (0, 3): (_IPPROTO_IP, _const("IP_ADD_MEMBERSHIP", 35, 3)),
}
OPTIONS = tuple(sorted(_OPTIONS))


# Linux: no SIGPIPE for a send to a peer that has gone (the unix port's send takes flags)
_SEND_FLAGS = 0x4000 if _LINUX else 0


# --- addresses ------------------------------------------------------------------------------
# The unix port speaks raw ``struct sockaddr`` bytes; bare-metal ports speak (ip, port) tuples.
def _sockaddr(family, ip, port):
    if not _UNIX:
        return (ip, port)
    fam = _FAMILY[family]
    if not _LINUX:  # BSD layouts differ: let the C library build it (numeric: no lookup)
        return _socket.getaddrinfo(ip, port, fam)[0][-1]
    head = bytes((fam & 0xFF, fam >> 8, port >> 8, port & 0xFF))  # sa_family is host order
    packed = _socket.inet_pton(fam, ip)
    if family == 10:
        return head + bytes(4) + packed + bytes(4)  # flowinfo, address, scope_id
    return head + packed + bytes(8)


def _decode(addr):
    """(family, ip, port) from what the firmware returned: raw sockaddr bytes or a tuple."""
    if isinstance(addr, tuple):
        ip = addr[0]
        return (10 if ":" in ip else 2), ip, addr[1]
    parts = _socket.sockaddr(addr)  # the unix port's decoder: (family, packed ip, port, ...)
    family = 10 if parts[0] == _FAMILY.get(10) else 2
    return family, _socket.inet_ntop(parts[0], parts[1]), parts[2]


def getaddrinfo(host, family):
    """[(family, ip)] for a name, or None when it cannot be resolved (never raises, never prints)."""
    try:
        infos = _socket.getaddrinfo(host, 0, _FAMILY.get(family, 0))
    except Exception:  # OSError with a string or a negative int, depending on the port
        return None
    out = []
    for info in infos:
        try:
            fam, ip, _port = _decode(info[-1])
        except Exception:
            continue
        if (fam, ip) not in out and (not family or fam == family):
            out.append((fam, ip))
    return out


def socket(family, type, proto):
    try:
        s = _socket.socket(_FAMILY[family], _TYPE[type], proto)
    except KeyError:
        return -EINVAL
    except OSError as e:
        return _err(e)
    s.setblocking(False)
    return MPSocket(s, type | (_V6 if family == 10 else 0))


# One poller per thread that waits; the socket that waited last stays registered in it (with the
# events it waited for), so a socket that waits again and again (a bulk transfer) costs one poll
# call per wait, and threads waiting at once on different sockets do not disturb each other.
try:
    from _thread import get_ident as _thread_id
except ImportError:  # a port without threads

    def _thread_id():
        return 0


_waiters = {}  # thread id -> [poll object, registered native socket or None, its event mask]


def _waiter(sock, mask):
    """This thread's poller with ``sock`` registered for ``mask``."""
    w = _waiters.get(_thread_id())
    if w is None:
        w = _waiters[_thread_id()] = [_select.poll(), None, 0]
    if w[1] is not sock:
        if w[1] is not None:
            w[0].unregister(w[1])
            w[1] = None
        w[0].register(sock, mask)
        w[1] = sock
        w[2] = mask
    elif w[2] != mask:
        w[0].modify(sock, mask)
        w[2] = mask
    return w[0]


_SLICE_MS = 100  # longest single ipoll: a close() from another thread is seen between slices


def _wait_one(sock, mask, timeout_ms):
    """Ready bits of ``sock`` for ``mask``, waiting at most ``timeout_ms`` (-1: no limit) in slices
    of _SLICE_MS. A close() from another thread takes the socket out of every poller (_forget),
    which no OS poll notices: the next slice sees it and answers POLLERR|POLLHUP (contract,
    Threads: EBADF within one wait slice)."""
    p = _waiter(sock, mask)
    w = _waiters[_thread_id()]
    while True:
        sl = timeout_ms if 0 <= timeout_ms <= _SLICE_MS else _SLICE_MS
        for ready in p.ipoll(sl):
            return ready[1]
        if sl == timeout_ms:
            return 0
        if w[1] is not sock:
            return _POLLERR | _POLLHUP
        if timeout_ms > 0:
            timeout_ms -= sl  # at least sl has passed: never shorter than asked


def _forget(sock):
    """A socket being closed leaves every poller it is registered in."""
    for w in _waiters.values():
        if w[1] is sock:
            w[1] = None
            try:
                w[0].unregister(sock)
            except (OSError, KeyError):
                pass




def _peer(ip, port):
    """The peer as kept in ``_x``: IPv4 packed into one int (no heap on a 64-bit port), else a
    tuple. A failed connect's errno is kept there as a negative int instead."""
    if ":" in ip:
        return (ip, port)
    a, b, c, d = ip.split(".")
    return (((int(a) << 24) | (int(b) << 16) | (int(c) << 8) | int(d)) << 16) | port


def _unpeer(x):
    """(ip, port) from ``_peer``'s value."""
    if isinstance(x, tuple):
        return x
    ip = x >> 16
    return "%d.%d.%d.%d" % (ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255), x & 0xFFFF


class MPSocket:
    # _x (a class default until needed): the peer (see _peer) while connecting and once connected
    # (recvfrom_into reports it, and a connect in progress is asked again with it), or a failed
    # connect's negative errno
    _x = None

    def __init__(self, s, k):
        self._s = s
        self._k = k

    def _family(self):
        return 10 if self._k & _V6 else 2

    def _state_to(self, state):
        self._k = (self._k & ~_STATE) | state

    def fileno(self):
        return -1

    def bind(self, ip, port):
        try:
            self._s.bind(_sockaddr(self._family(), ip, port))
        except OSError as e:
            return _err(e)
        return 0

    def listen(self, backlog):
        try:
            self._s.listen(backlog)
        except OSError as e:
            return _err(e)
        self._state_to(_LISTENING)
        return 0

    def accept(self):
        try:
            conn, addr = self._s.accept()
        except OSError as e:
            return _err(e)
        conn.setblocking(False)
        _fam, ip, port = _decode(addr)
        es = MPSocket(conn, 1 | (self._k & _V6) | _CONNECTED)
        es._x = _peer(ip, port)
        return es, ip, port

    def connect(self, ip, port):
        state = self._k & _STATE
        if state == _CONNECTING:
            r = self.connect_result()
            return -EALREADY if r == -EINPROGRESS else -EISCONN if r == 0 else r
        if state == _CONNECTED:
            return -EISCONN
        if ip == "255.255.255.255" and self._k & _TYPE_BITS == 1:
            # no route for TCP (Linux: ENETUNREACH); lwIP firmware would send the SYN out of its
            # default netif and time out
            return -EHOSTUNREACH
        addr = _sockaddr(self._family(), ip, port)
        try:
            self._s.connect(addr)
        except OSError as e:
            r = _err(e)
            if r == -EINPROGRESS or r == _EAGAIN:  # lwIP ports may say EAGAIN here
                self._state_to(_CONNECTING)
                self._x = _peer(ip, port)
                return -EINPROGRESS
            if r == -EISCONN:
                self._state_to(_CONNECTED)
                return r
            return r  # the API layer names a failed connect (_connect_failed)
        self._state_to(_CONNECTED)
        self._x = _peer(ip, port)
        return 0

    def connect_result(self):
        state = self._k & _STATE
        if state == _CONNECTED:
            return 0
        if state != _CONNECTING:
            x = self._x
            return x if isinstance(x, int) and x < 0 else -ENOTCONN
        # no getsockopt(SO_ERROR) on MicroPython: connecting again asks the stack how it went
        ip, port = _unpeer(self._x)
        try:
            self._s.connect(_sockaddr(self._family(), ip, port))
            r = 0
        except OSError as e:
            r = _err(e)
        if r == 0 or r == -EISCONN:
            self._state_to(_CONNECTED)
            return 0
        if r in (-EALREADY, -EINPROGRESS, _EAGAIN):
            return -EINPROGRESS
        if r == -EBADF:
            # lwIP ports (modlwip: rp2 ...) drop the PCB of a failed connect and then answer EBADF
            # (the API layer never hands a closed socket down). The first send after that names
            # lwIP's error once: ERR_ABRT (ECONNABORTED) is lwIP giving up its SYN retries, a
            # timeout (as the native rp2 core says); else (ERR_RST) the peer refused
            r = -ECONNREFUSED
            try:
                self._s.send(b"")
            except OSError as e:
                if _err(e) == -ECONNABORTED:
                    r = -ETIMEDOUT
        if r == -ECONNRESET and _UNIX:
            # Linux reports a reset during the handshake as ECONNREFUSED; ECONNRESET here means
            # the connection was made and then reset: connected, with the reset latched
            self._state_to(_CONNECTED)
            self._k |= _RESET
            return 0
        self._state_to(_NEW)
        self._x = r
        return r

    def _unconnected(self):
        """A TCP socket that cannot receive yet: never connected, listening, or still connecting."""
        k = self._k
        if k & _TYPE_BITS != 1 or k & _STATE == _CONNECTED:
            return False
        return k & _STATE != _CONNECTING or self.connect_result() != 0

    def recv_into(self, buf, nbytes):
        # the hot path of the stock firmware: one frame, one attribute test, one firmware call
        if self._k & _NOT_PLAIN_TCP != 1:
            if self._k & _RESET:
                return -ECONNRESET
            return self._recv_datagram(buf, nbytes)
        try:
            # non-blocking readinto gathers everything queued (TCP); None = nothing queued
            n = self._s.readinto(buf, nbytes)
        except OSError as e:
            return self._recv_error(e)
        if n is None:
            return -ENOTCONN if self._unconnected() else _EAGAIN
        return n

    def _recv_error(self, e):
        r = _err(e)
        if r == _EAGAIN:
            if self._unconnected():
                return -ENOTCONN
        elif r == -ECONNRESET:
            self._k |= _RESET  # reported once by the stack; the contract latches it
        return r

    def _recv_datagram(self, buf, nbytes):
        # readinto would run datagrams together: one recv is one datagram, cut to nbytes (copied:
        # MicroPython sockets have no recv_into)
        try:
            data = self._s.recv(nbytes)
        except OSError as e:
            return self._recv_error(e)
        n = len(data)
        buf[0:n] = data
        return n

    def recvfrom_into(self, buf, nbytes):
        if self._k & _TYPE_BITS == 1:
            r = self.recv_into(buf, nbytes)
            if r < 0:
                return r
            x = self._x
            if x is None or (isinstance(x, int) and x < 0):
                return -ENOTCONN  # no peer to name (an empty buffer reads 0 even unconnected)
            return r, _unpeer(x)
        if self._k & _RESET:
            return -ECONNRESET
        try:
            # no recvfrom_into on MicroPython: one datagram, cut to nbytes, then copied
            data, addr = self._s.recvfrom(nbytes)
        except OSError as e:
            return self._recv_error(e)
        n = len(data)
        buf[0:n] = data
        _fam, ip, port = _decode(addr)
        return n, (ip, port)

    def send(self, data):
        k = self._k
        if k & _RESET:
            return -ECONNRESET
        if k & _STATE == _CONNECTING:
            self.connect_result()
        elif k & _TYPE_BITS != 1 and k & _STATE != _CONNECTED:
            # a datagram socket with no peer: the firmware's socket over lwIP (rp2) sends it
            # nowhere without an error, Linux says EDESTADDRREQ; the contract's answer is EPIPE
            return -EPIPE
        try:
            if _SEND_FLAGS:
                return self._s.send(data, _SEND_FLAGS)
            return self._s.send(data)
        except OSError as e:
            return self._send_error(e, data)

    def _too_big(self, r, data):
        # lwIP firmware (rp2) cannot allocate a datagram beyond UDP's limit and says ENOMEM; the
        # contract's answer, as Linux's, is EMSGSIZE (only asked once the firmware has failed)
        if r == -ENOMEM and self._k & _TYPE_BITS != 1 and len(data) > (65527 if self._k & _V6 else 65507):
            return -EMSGSIZE
        return r

    def _send_error(self, e, data):
        r = self._too_big(_err(e), data)
        if r in (-ENOTCONN, -EDESTADDRREQ, -EPIPE):
            if self._k & _STATE == _CONNECTED:  # was connected: the peer has gone
                self._k |= _RESET
                return -ECONNRESET
            return -EPIPE
        if r == -ECONNRESET:
            self._k |= _RESET
        return r

    def sendto(self, data, ip, port):
        try:
            return self._s.sendto(data, _sockaddr(self._family(), ip, port))
        except OSError as e:
            return self._too_big(_err(e), data)

    def setsockopt(self, level, opt, value):
        native = _OPTIONS.get((level, opt))
        if native is None:
            return -ENOPROTOOPT
        try:
            self._s.setsockopt(native[0], native[1], value)
        except OSError as e:
            return _err(e)
        return 0

    def poll(self, events, timeout_ms):
        # ready bits among ``events`` (+ERR, HUP), waiting at most ``timeout_ms``; only the asked
        # events are registered: a POLLIN wait must not wake for a writable socket. (Few local
        # names here: a MicroPython frame of more than 11 slots goes on the heap.)
        try:
            ev = _wait_one(self._s, (events & _POLL_ALL) | _POLLERR | _POLLHUP, timeout_ms)
        except OSError:
            return 0
        # a TCP socket that was never connected reports POLLHUP on Linux: not an event here
        if self._k & (_TYPE_BITS | _STATE) == 1:
            ev &= ~_POLLHUP
        return ev & (events | _POLLERR | _POLLHUP)

    def close(self):
        _forget(self._s)
        try:
            self._s.close()
        except OSError:
            pass


# --- the hot path: Socket.recv_into and Socket.send of the API layer in one frame ---------------
# The API layer calls hot_path(Socket, _raise) when its engine has one (as for the native engine).
# A call on the happy path (a TCP socket with no reset latched and a bytearray with an int bufsize
# within it; bytes or bytearray data on a connected socket) is served here in one Python frame, the
# API layer's and this engine's work in one. Anything else, and a socket with nothing queued or no
# room, goes on to the API layer's own method (the slow path): it stays the one home of the checks,
# their messages and the wait. Errors are raised by the API layer's _raise.
_SEND_READY = const(48)  # _RESET | _CONNECTED bits: == _CONNECTED is a connection with no reset
_slow_recv_into = _slow_send = _raise = None


def _hot_recv_into(sock, buffer, bufsize=0):
    es = sock._es
    if es is not None and es._k & _NOT_PLAIN_TCP == 1 and type(buffer) is bytearray:
        n = len(buffer)
        if bufsize <= n:  # (a bufsize that is no number raises here as in the slow path)
            try:
                n = es._s.readinto(buffer, bufsize if bufsize > 0 else n)
            except OSError as e:
                n = es._recv_error(e)
                if n != _EAGAIN:
                    _raise(n)
                n = None
            if n is not None:
                return n
    return _slow_recv_into(sock, buffer, bufsize)


def _hot_send(sock, data):
    es = sock._es
    if es is not None and es._k & _SEND_READY == _CONNECTED and (type(data) is bytes or type(data) is bytearray):
        try:
            if _SEND_FLAGS:
                return es._s.send(data, _SEND_FLAGS)
            return es._s.send(data)
        except OSError as e:
            r = es._send_error(e, data)
            if r != _EAGAIN:
                _raise(r)
    return _slow_send(sock, data)


def hot_path(cls, raise_fn):
    global _slow_recv_into, _slow_send, _raise
    if _slow_recv_into is None:  # a second call keeps the first slow path
        _slow_recv_into, _slow_send, _raise = cls.recv_into, cls.send, raise_fn
        cls.recv_into = _hot_recv_into
        cls.send = _hot_send
