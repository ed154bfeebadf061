"""CircuitPython's ``socketpool`` API, on MicroPython and CPython.

This file is the API layer: every argument check, timeout, deadline, address, slot and the
``sendall`` loop of the contract live here. The socket mechanics come from one engine (see
docs/engine-interface.md). The file runs on CPython and on MicroPython and is what goes onto a
board, so it stays small and uses only what MicroPython has.
"""

__version__ = "0.2.0"  # the one place of the version (pyproject.toml, package.json, CHANGELOG.md)

import sys as _sys
import errno as _errno
import gc as _gc
import time as _time

_MICROPYTHON = _sys.implementation.name == "micropython"

# --- exception types MicroPython may lack (both raise and except must work) ---------------
# Kept under private names (the module's public names are SocketPool and Socket) and published
# as builtins on MicroPython, so user code and libraries can raise and catch them.
# The classes themselves carry the CPython names: tracebacks and type(e).__name__ show those.
try:
    import builtins as _builtins
except ImportError:
    _builtins = None


def _exception(name, base):
    # the builtin of that name, else (MicroPython) a new subclass of base, published as builtin
    c = getattr(_builtins, name, None)
    if c is None:
        c = type(name, (base,), {})
        try:
            setattr(_builtins, name, c)
        except (AttributeError, TypeError):  # no builtins module, or builtins cannot be added
            pass
    return c


_ConnectionError = _exception("ConnectionError", OSError)
_BrokenPipeError = _exception("BrokenPipeError", _ConnectionError)
_TimeoutError = _exception("TimeoutError", OSError)
del _exception


def _oserror(code):
    """OSError for errno ``code`` whose ``.errno`` is set on every interpreter.

    CPython leaves ``errno`` None for a one-argument OSError (and then makes no TimeoutError of
    it); MicroPython sets it. The name as message prints like CircuitPython: [Errno 110] ETIMEDOUT.
    """
    if _MICROPYTHON:
        # as on CPython, a timeout is also a TimeoutError (``except TimeoutError`` catches it)
        return _TimeoutError(code) if code == _errno.ETIMEDOUT else OSError(code)
    return OSError(code, _errno.errorcode.get(code, str(code)))


_EAGAIN = _errno.EAGAIN
_EBADF = _errno.EBADF
_ETIMEDOUT = _errno.ETIMEDOUT
_EINPROGRESS = _errno.EINPROGRESS
_EHOSTUNREACH = _errno.EHOSTUNREACH
_ECONNREFUSED = _errno.ECONNREFUSED
_EINVAL = _errno.EINVAL
_ENOPROTOOPT = getattr(_errno, "ENOPROTOOPT", 92 if _sys.platform != "esp32" else 109)
_EOPNOTSUPP = _errno.EOPNOTSUPP
_EALREADY = _errno.EALREADY
_EISCONN = getattr(_errno, "EISCONN", 106 if _sys.platform != "esp32" else 127)
_EPIPE = getattr(_errno, "EPIPE", 32)  # absent from the errno module of MicroPython ports

# what a stack says when it has no socket left to give (the contract: "Out of sockets")
_OUT_OF_MEMORY = tuple(
    -getattr(_errno, _n) for _n in ("ENOMEM", "ENOBUFS", "ENFILE", "EMFILE") if hasattr(_errno, _n)
)

# engine poll bits (docs/engine-interface.md)
_POLLIN = 1
_POLLOUT = 4

# --- the one deadline helper ------------------------------------------------------------
try:
    _ticks_ms = _time.ticks_ms
    _ticks_add = _time.ticks_add
    _ticks_diff = _time.ticks_diff
except AttributeError:  # CPython

    def _ticks_ms():
        return int(_time.monotonic() * 1000)

    def _ticks_add(t, ms):
        return t + ms

    def _ticks_diff(a, b):
        return a - b


# MicroPython's ticks wrap after 2**30 ms and ticks_diff is only right within 2**29 ms: a longer
# timeout (up to any finite number of seconds: settimeout(1e306) is kept, not cut) is counted
# down slice by slice instead, as [ms left, ticks of the last look]
_LONG_MS = 1 << 28


def _deadline(timeout_ms):
    """Deadline for a wait that starts now; None = wait forever. Non-blocking: EAGAIN."""
    if timeout_ms == 0:
        raise _oserror(_EAGAIN)
    if timeout_ms < 0:
        return None
    if timeout_ms >= _LONG_MS:
        return [timeout_ms, _ticks_ms()]
    return _ticks_add(_ticks_ms(), timeout_ms)


def _left(deadline):
    """Milliseconds left until ``deadline`` (-1: no deadline); ETIMEDOUT once it has passed.
    An engine's poll gets all of it: the engine slices its own wait for Ctrl-C."""
    if deadline is None:
        return -1
    if isinstance(deadline, list):
        now = _ticks_ms()
        deadline[0] -= _ticks_diff(now, deadline[1])
        deadline[1] = now
        left = deadline[0]
    else:
        left = _ticks_diff(deadline, _ticks_ms())
    if left <= 0:
        raise _oserror(_ETIMEDOUT)
    # a long timeout goes down in waits of at most _LONG_MS (a C int, a MicroPython small int)
    return left if left < _LONG_MS else _LONG_MS


# --- engine ------------------------------------------------------------------------------
def _load_engine():
    try:
        import _socketpool  # native engine built into the firmware

        return _socketpool
    except ImportError:
        pass
    if _MICROPYTHON:
        from socketpool import _engine_mp

        return _engine_mp
    import socketpool_host

    return socketpool_host.load_engine()


_engine = _load_engine()


def _raise_gai():
    raise SocketPool.gaierror(SocketPool.EAI_NONAME, "Name or service not known")


def _check_port(port):
    if not isinstance(port, int) or isinstance(port, bool):
        raise TypeError("port must be an int")
    if port < 0 or port > 65535:
        raise ValueError("port must be 0-65535")


# --- the one numeric-literal parser (docs/contract-notes.md, "Host names and literals") -------
# Strict: a dotted quad of ASCII digits without leading zeros, or an IPv6 literal of hex groups.
# Anything else is a name for the resolver, and only if it can be one (ASCII letters, digits,
# '-', '_', labels of 1..63): a string a resolver would read as a number (octal, hex, "127.1"),
# or that no DNS name can be (':', NUL, spaces, other scripts' digits), is a gaierror at once.
_DIGITS = "0123456789"
_HEX = "0123456789abcdefABCDEF"
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"


def _only(text, chars):
    for c in text:
        if c not in chars:
            return False
    return True


def _is_ipv4(host):
    parts = host.split(".")
    if len(parts) != 4:
        return False
    for p in parts:
        if not 0 < len(p) <= 3 or not _only(p, _DIGITS) or (p[0] == "0" and len(p) > 1):
            return False
        if int(p) > 255:
            return False
    return True


def _is_ipv6(host):
    halves = host.split("::")
    if len(halves) > 2:
        return False
    groups = 0
    for i, half in enumerate(halves):
        if not half:
            continue
        parts = half.split(":")
        for j, p in enumerate(parts):
            if "." in p and i == len(halves) - 1 and j == len(parts) - 1:
                if not _is_ipv4(p):  # an IPv4 tail (::ffff:1.2.3.4) counts as two groups
                    return False
                groups += 2
            elif 0 < len(p) <= 4 and _only(p, _HEX):
                groups += 1
            else:
                return False
    return groups <= 7 if len(halves) == 2 else groups == 8


def _is_name(host):
    """Could a resolver be asked for ``host``? (Not a literal, checked first.)"""
    if host[-1:] == ".":
        host = host[:-1]  # one trailing dot: the root
    if not host or len(host) > 253:
        return False
    labels = host.split(".")
    numeric = True
    for label in labels:
        if not 0 < len(label) <= 63 or not _only(label, _NAME_CHARS):
            return False
        if not (_only(label, _DIGITS) or (label[:2] in ("0x", "0X") and _only(label[2:], _HEX))):
            numeric = False
    # a top-level label of digits, or numbers only (0x7f.1): what inet_aton reads as an address
    return not numeric and not _only(labels[-1], _DIGITS)


def _is_radio(radio):
    try:
        import wifi

        if isinstance(radio, wifi.Radio):
            return True
    except ImportError:
        pass
    try:
        import network

        if isinstance(radio, network.WLAN):
            return True
    except (ImportError, AttributeError):
        pass
    return False


_pools = []  # (radio, pool): one pool per radio


class SocketPool:
    """A pool of sockets on one radio: ``socketpool.SocketPool(wifi.radio)``."""

    AF_INET = 2
    AF_INET6 = 10
    SOCK_STREAM = 1
    SOCK_DGRAM = 2
    SOCK_RAW = 3
    SOL_SOCKET = 0xFFF
    SO_REUSEADDR = 4
    TCP_NODELAY = 1
    IPPROTO_IP = 0
    IPPROTO_ICMP = 1
    IPPROTO_TCP = 6
    IPPROTO_UDP = 17
    IPPROTO_IPV6 = 41
    IPPROTO_RAW = 255
    IP_MULTICAST_TTL = 5
    EAI_NONAME = -2

    class gaierror(OSError):
        """Name resolution failed (a pool name, not a module name, as on CircuitPython)."""

    def __new__(cls, radio):
        for r, p in _pools:
            if r is radio:
                return p
        if not _is_radio(radio):
            raise ValueError("SocketPool needs a radio, such as wifi.radio")
        pool = object.__new__(cls)
        pool._radio = radio
        pool._used = 0
        pool._max = _engine.MAX_SLOTS
        _pools.append((radio, pool))
        return pool

    def __init__(self, radio):
        pass

    # --- slots ---
    def _slots_in_use(self):
        return self._used

    def _take_slot(self, unslotted=0):
        """``unslotted``: engine sockets already open that hold no slot yet (a fresh accept)."""
        if self._used >= self._max:
            _gc.collect()  # unreferenced sockets are closed by their finaliser
            live = getattr(_engine, "live_slots", None)
            if live is not None:
                # MicroPython calls no __del__ of Python classes: a native engine, whose sockets
                # the gc does finalise, says how many are really left
                self._used = live() - unslotted
            if self._used >= self._max:
                return False
        self._used += 1
        return True

    # --- names ---
    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        """Resolve ``host``; a list of ``(family, type, proto, canonname, sockaddr)``."""
        if not isinstance(host, str):
            raise TypeError("host must be a str")
        _check_port(port)
        for v in (family, type, proto, flags):
            if not isinstance(v, (int, bool)):
                raise TypeError("family, type, proto and flags must be ints")
        if family not in (0, self.AF_INET, self.AF_INET6):
            _raise_gai()
        if _is_ipv4(host):
            found = [(self.AF_INET, host)]
        elif ":" in host:
            found = [(self.AF_INET6, host)] if _engine.IPV6 and _is_ipv6(host) else None
        elif not _is_name(host):
            _raise_gai()
        else:
            try:
                found = _engine.getaddrinfo(host, family)
            except Exception:  # an engine must not leak its own errors
                found = None
        if not found:
            _raise_gai()
        out = []
        for fam, ip in found:
            if family and fam != family:
                continue
            if fam == self.AF_INET6:
                sockaddr = (ip, port, 0, 0)
            else:
                sockaddr = (ip, port)
            out.append((fam, type, proto, "", sockaddr))
        if not out:
            _raise_gai()
        return out

    def socket(self, family=AF_INET, type=SOCK_STREAM, proto=IPPROTO_IP):
        """A new blocking, unconnected socket (``RuntimeError('Out of sockets')`` when none free)."""
        for v in (family, type, proto):
            if not isinstance(v, (int, bool)):  # a bool is an int, as on CircuitPython (and CPython)
                raise TypeError("family, type and proto must be ints")
        family, type, proto = int(family), int(type), int(proto)
        if family not in (self.AF_INET, self.AF_INET6):
            raise NotImplementedError("address family %d" % family)
        if family == self.AF_INET6 and not _engine.IPV6:
            raise NotImplementedError("IPv6 is not available on this engine")
        if type not in (self.SOCK_STREAM, self.SOCK_DGRAM, self.SOCK_RAW):
            raise ValueError("socket type must be SOCK_STREAM, SOCK_DGRAM or SOCK_RAW")
        if type == self.SOCK_RAW and not _engine.RAW:
            raise NotImplementedError("SOCK_RAW is not available on this engine")
        if proto < 0 or proto > 255:
            raise ValueError("proto must be 0-255 (an IP protocol number)")
        if type != self.SOCK_RAW:
            proto = 0  # as CircuitPython: proto only matters for SOCK_RAW
        if not self._take_slot():
            raise RuntimeError("Out of sockets")
        try:
            es = _engine.socket(family, type, proto)
            if isinstance(es, int) and es in _OUT_OF_MEMORY:
                # the stack ran out of sockets of this kind before the pool's slots did (rp2: the
                # UDP PCB pool, one of which mDNS holds): a forgotten socket may free one
                _gc.collect()
                es = _engine.socket(family, type, proto)
                if isinstance(es, int) and es in _OUT_OF_MEMORY:
                    es = None
        except BaseException:
            self._used -= 1  # no error path keeps a slot
            raise
        if es is None or isinstance(es, int):
            self._used -= 1
            if es is None:
                raise RuntimeError("Out of sockets")
            raise _oserror(-es)
        return Socket(_TOKEN, self, es, family, type, -1)

    def _sockaddr(self, address, family, bind=False):
        """The one address parser: ``(host, port)`` to ``(ip, port)`` for this family. Only
        ``bind`` takes "" (any); a destination is never "", 0.0.0.0 or :: (EHOSTUNREACH)."""
        if not isinstance(address, (tuple, list)):
            raise TypeError("address must be a (host, port) tuple")
        if len(address) != 2:
            raise ValueError("address must be (host, port)")
        host, port = address
        if not isinstance(host, str):
            raise TypeError("host must be a str")
        _check_port(port)
        if host == "" and bind:
            return ("::" if family == self.AF_INET6 else "0.0.0.0"), port
        ip = self.getaddrinfo(host, port, family)[0][4][0]
        if not bind and (ip == "0.0.0.0" or (":" in ip and not ip.replace(":", "").strip("0"))):
            raise _oserror(_EHOSTUNREACH)  # the unspecified address is nobody's
        return ip, port


# the contract's options take an int (a bytes value is read as the C int a C caller would pass)
_INT_OPTIONS = ((0xFFF, 4), (6, 1), (0, 5))
_INT_MIN = -(1 << 31)
_INT_MAX = (1 << 31) - 1


def _option_int(value, one_byte_ok):
    b = bytes(value)
    if len(b) == 1 and one_byte_ok:
        return b[0]  # IP_MULTICAST_TTL as one byte (Linux and lwIP read a u8)
    if len(b) != 4:
        raise ValueError("option value must be an int or 4 bytes (a C int)")
    v = int.from_bytes(b, _sys.byteorder)
    return v - (1 << 32) if v > _INT_MAX else v


class _Token:
    pass


_TOKEN = _Token()

_Base = object
if _MICROPYTHON:
    try:
        import io as _io  # private: the module's public names are SocketPool and Socket

        _Base = _io.IOBase  # lets select.poll() ask the socket through ioctl()
    except (ImportError, AttributeError):
        pass


# built once: a tuple written in a call builds (allocates) on every call on MicroPython, which
# there costs more than the rest of a send (docs/engine-micropython.md)
_READ_ONLY = (bytes, str)
_BYTES = (bytes, bytearray)
_INTS = (int, bool)  # a bool is an int on every interpreter here (MicroPython's isinstance says no)
_NOT_YET = object()  # sendall: no deadline taken yet (None means "wait forever")


# --- the one byte-view helper: every buffer is sized in bytes, as on CircuitPython ------------
# An array.array('i') or a memoryview.cast('I') has len() in items; an engine is always handed a
# buffer whose len() and slices count bytes (docs/contract-notes.md, "Buffers are bytes").
def _not_a_buffer(writable):
    if writable:
        return TypeError("buffer must be a writable bytes-like object")
    return TypeError("data must be bytes-like")


def _byte_view(buf, writable):
    """``buf`` as a buffer whose len() and slices count bytes; TypeError if it is no buffer, or
    read-only and ``writable``."""
    if isinstance(buf, bytearray):
        return buf
    if isinstance(buf, _READ_ONLY):
        if writable or isinstance(buf, str):
            raise _not_a_buffer(writable)
        return buf
    return _view_of(buf, writable)


if _MICROPYTHON:
    try:
        import uctypes as _uctypes
    except ImportError:  # a port without uctypes: buffers of wider items are refused
        _uctypes = None

    def _view_of(buf, writable):
        # MicroPython's memoryview has no itemsize/readonly/cast: an empty slice store tells
        # read-only (TypeError) from wider items (ValueError); uctypes aliases the bytes (no copy)
        try:
            mv = buf if isinstance(buf, memoryview) else memoryview(buf)
        except TypeError:
            raise _not_a_buffer(writable)
        try:
            mv[0:0] = b""
            return buf  # writable, one byte per item
        except TypeError:  # read-only (a view of bytes or str: one byte per item)
            if writable:
                raise _not_a_buffer(writable)
            return buf
        except ValueError:  # items wider than a byte
            pass
        n = len(mv)
        if n == 0:
            return bytearray(0)
        if _uctypes is None:
            raise TypeError("buffers of items wider than a byte need uctypes on this firmware")
        size = len(bytes(mv)) if n == 1 else n * (_uctypes.addressof(mv[1:]) - _uctypes.addressof(mv))
        return _uctypes.bytearray_at(_uctypes.addressof(mv), size)

else:

    def _view_of(buf, writable):
        # a memoryview cast to 'B' when its items are wider or it has more dimensions
        try:
            mv = memoryview(buf)
        except TypeError:
            raise _not_a_buffer(writable) from None
        if writable and mv.readonly:
            raise _not_a_buffer(writable)
        if mv.format == "B" and mv.ndim == 1:
            return mv
        try:
            return mv.cast("B")
        except TypeError:  # not C-contiguous
            raise TypeError("buffer must be contiguous") from None


def _recv_size(buffer, bufsize):
    """Bytes a receive into ``buffer`` (a byte view) may take: ``bufsize`` if > 0, else all."""
    n = len(buffer)
    if not isinstance(bufsize, _INTS):
        raise TypeError("bufsize must be an int")
    if bufsize > n:
        raise ValueError("bufsize must be <= len(buffer) in bytes")
    return int(bufsize) if bufsize > 0 else n


# The contract's corrections of a failed connect, here once for every engine (docs/contract-notes.md):
# a reset or an abort while connecting is a refusal, and "no route" is one error, EHOSTUNREACH, as
# on lwIP. ENETUNREACH is the engine's number where the errno module lacks it (MicroPython ports).
_REFUSED_WHILE_CONNECTING = tuple(
    -getattr(_errno, _n) for _n in ("ECONNRESET", "ECONNABORTED") if hasattr(_errno, _n)
)
_ENETUNREACH = getattr(_errno, "ENETUNREACH", getattr(_engine, "ENETUNREACH", None))


def _connect_failed(r):
    """The contract's error for negative connect/connect_result result ``r``."""
    if r in _REFUSED_WHILE_CONNECTING:
        return -_ECONNREFUSED
    if _ENETUNREACH and r == -_ENETUNREACH:
        return -_errno.EHOSTUNREACH
    return r


def _raise(r):
    """Raise the contract's exception for negative engine result ``r``."""
    if r == -_EPIPE:
        if _MICROPYTHON:
            raise _BrokenPipeError(_EPIPE)
        raise _BrokenPipeError(_EPIPE, "EPIPE")
    raise _oserror(-r)


class Socket(_Base):
    """A socket from ``SocketPool.socket()``; cannot be created directly."""

    # class defaults, set on the instance only when they differ: on MicroPython every instance
    # attribute costs heap, and a socket should stay small (docs/engine-micropython.md)
    _family = 2
    _type = 1
    _timeout_ms = -1

    def __init__(self, token=None, pool=None, es=None, family=2, type=1, timeout_ms=-1):
        if token is not _TOKEN:
            raise TypeError("Socket cannot be created directly; use SocketPool.socket()")
        self._pool = pool
        self._es = es
        if family != 2:
            self._family = family
        if type != 1:
            self._type = type
        if timeout_ms != -1:
            self._timeout_ms = timeout_ms

    def __del__(self):
        # finaliser: a forgotten socket gives its slot back
        if getattr(self, "_es", None) is not None:
            self.close()

    @property
    def type(self):
        return self._type

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<Socket type=%d%s>" % (self._type, " closed" if self._es is None else "")

    def _live(self):
        es = self._es
        if es is None:
            raise _oserror(_EBADF)
        return es

    def _retry(self, events, deadline, again, op, *args):
        """The one retry loop: wait for ``events``, then call engine method ``op`` again while it
        answers ``again`` (-EAGAIN; connect_result: -EINPROGRESS). Runs only after a first try
        said ``again``; a socket closed meanwhile (another thread) is EBADF."""
        while True:
            self._live().poll(events, _left(deadline))  # all the time left: the engine slices it
            r = getattr(self._live(), op)(*args)
            if r != again:
                return r

    # --- timeouts ---
    def settimeout(self, value):
        if value is None:
            self._timeout_ms = -1
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError("timeout must be None or a number")
        if not value >= 0 or value * 0 != 0:  # negative, nan or infinite
            raise ValueError("timeout must be a finite number >= 0")
        if value == 0:
            self._timeout_ms = 0
            return
        ms = value * 1000
        if ms * 0 != 0:  # value * 1000 overflowed to inf: whole seconds are exact enough there
            # (no float literal for the limit: a port with 32-bit floats cannot freeze 1e300)
            self._timeout_ms = int(value) * 1000
            return
        ims = int(ms)
        if ims < ms:
            ims += 1  # below 1 ms (or any fraction) rounds up, never to non-blocking
        self._timeout_ms = ims

    def setblocking(self, flag):
        self.settimeout(None if flag else 0)

    # --- connection set-up ---
    def bind(self, address):
        es = self._live()
        ip, port = self._pool._sockaddr(address, self._family, True)
        r = es.bind(ip, port)
        if r < 0:
            _raise(r)

    def listen(self, backlog):
        es = self._live()
        if isinstance(backlog, bool) or not isinstance(backlog, int):
            raise TypeError("backlog must be an int")
        if self._type != SocketPool.SOCK_STREAM:
            raise _oserror(_errno.EOPNOTSUPP)
        r = es.listen(1 if backlog < 1 else 255 if backlog > 255 else backlog)
        if r < 0:
            _raise(r)

    def accept(self):
        es = self._live()
        if self._type != SocketPool.SOCK_STREAM:
            raise _oserror(_EOPNOTSUPP)
        r = es.accept()
        if r == -_EAGAIN:
            r = self._retry(_POLLIN, _deadline(self._timeout_ms), -_EAGAIN, "accept")
        if isinstance(r, int):
            _raise(r)
        nes, ip, port = r
        if not self._pool._take_slot(1):
            nes.close()  # no slot: the incoming connection is closed, nothing leaks
            raise RuntimeError("Out of sockets")
        sock = Socket(_TOKEN, self._pool, nes, self._family, SocketPool.SOCK_STREAM, self._timeout_ms)
        return sock, (ip, port)

    def connect(self, address):
        es = self._live()
        ip, port = self._pool._sockaddr(address, self._family)
        if port == 0:  # nothing listens on port 0: the same answer from every stack, at once
            r = -_ECONNREFUSED if self._type == SocketPool.SOCK_STREAM else -_EINVAL
        else:
            r = es.connect(ip, port)
        if r == -_EINPROGRESS and self._timeout_ms != 0:
            try:
                r = self._retry(_POLLOUT, _deadline(self._timeout_ms), -_EINPROGRESS, "connect_result")
            except OSError as e:
                if e.errno == _ETIMEDOUT:
                    self.close()  # a timed-out attempt is abandoned, not left half-open
                raise
        if r < 0:
            if r != -_EINPROGRESS and r != -_EALREADY and r != -_EISCONN:
                # a failed attempt closes the socket, as a timed-out one does: no stack can be
                # trusted to connect the same socket again (docs/contract-notes.md)
                self.close()
            _raise(_connect_failed(r))

    # --- receive ---
    def recv_into(self, buffer, bufsize=0):
        es = self._es
        if es is None:
            raise _oserror(_EBADF)
        # _recv_size written out: the hot path, one call less per recv_into on a board
        if not isinstance(buffer, bytearray):
            buffer = _byte_view(buffer, True)
        n = len(buffer)
        if bufsize != 0:  # 0, the default, needs no check (None, "" and the like do: TypeError)
            if not isinstance(bufsize, _INTS):
                raise TypeError("bufsize must be an int")
            if bufsize > n:
                raise ValueError("bufsize must be <= len(buffer) in bytes")
            if bufsize > 0:
                n = int(bufsize)
        r = es.recv_into(buffer, n)
        if r == -_EAGAIN:
            r = self._retry(_POLLIN, _deadline(self._timeout_ms), -_EAGAIN, "recv_into", buffer, n)
        if r < 0:
            _raise(r)
        return r

    def recvfrom_into(self, buffer, bufsize=0):
        es = self._es
        if es is None:
            raise _oserror(_EBADF)
        buffer = _byte_view(buffer, True)
        n = _recv_size(buffer, bufsize)
        r = es.recvfrom_into(buffer, n)
        if r == -_EAGAIN:
            r = self._retry(_POLLIN, _deadline(self._timeout_ms), -_EAGAIN, "recvfrom_into", buffer, n)
        if isinstance(r, int):
            _raise(r)
        return r

    # --- send ---
    def send(self, data):
        es = self._live()
        if not isinstance(data, _BYTES):  # the common case without a call
            data = _byte_view(data, False)
        r = es.send(data)
        if r == -_EAGAIN:
            r = self._retry(_POLLOUT, _deadline(self._timeout_ms), -_EAGAIN, "send", data)
        if r < 0:
            _raise(r)
        return r

    def sendall(self, data):
        es = self._live()
        if not isinstance(data, _BYTES):  # the common case without a call
            data = _byte_view(data, False)
        # few local names: on MicroPython a frame of more than 11 slots is allocated on the heap
        # at every call, which there cost more than the send itself (docs/engine-micropython.md)
        data = memoryview(data)
        sent = 0
        deadline = _NOT_YET
        while sent < len(data):
            r = es.send(data[sent:] if sent else data)
            if r == -_EAGAIN:
                if deadline is _NOT_YET:
                    deadline = _deadline(self._timeout_ms)  # bounds the whole call
                r = self._retry(_POLLOUT, deadline, -_EAGAIN, "send", data[sent:] if sent else data)
                es = self._live()
            if r < 0:
                _raise(r)
            sent += r

    def sendto(self, data, address):
        es = self._live()
        if not isinstance(data, _BYTES):
            data = _byte_view(data, False)
        if self._type == SocketPool.SOCK_STREAM:
            return self.send(data)  # TCP: the address is ignored
        ip, port = self._pool._sockaddr(address, self._family)
        if self._type == SocketPool.SOCK_DGRAM:
            if port == 0:
                raise _oserror(_EINVAL)  # no datagram can arrive at port 0 (Linux says so; lwIP sends)
        elif len(data) < 4:
            # SOCK_RAW (no ports): shorter than an ICMP header's type, code and checksum (Linux
            # said EFAULT below 2 bytes, lwIP would assert)
            raise _oserror(_EINVAL)
        r = es.sendto(data, ip, port)
        if r == -_EAGAIN:
            r = self._retry(_POLLOUT, _deadline(self._timeout_ms), -_EAGAIN, "sendto", data, ip, port)
        if r < 0:
            _raise(r)
        return r

    # --- options, readiness, close ---
    def setsockopt(self, level, optname, value):
        es = self._live()
        if not isinstance(level, _INTS) or not isinstance(optname, _INTS):
            raise TypeError("level and optname must be ints")
        level, optname = int(level), int(optname)
        contract = (level, optname) in _INT_OPTIONS
        if isinstance(value, bool):
            value = int(value)
        elif not isinstance(value, int):
            if isinstance(value, str):
                raise TypeError("value must be an int or bytes-like")
            try:
                memoryview(value)
            except TypeError:
                raise TypeError("value must be an int or bytes-like")
            if contract:
                value = _option_int(value, optname == SocketPool.IP_MULTICAST_TTL)
        if isinstance(value, int) and not _INT_MIN <= value <= _INT_MAX:
            # CircuitPython: "overflow converting long int to machine word"; never cut to 32 bits
            raise OverflowError("option value does not fit a C int")
        if not _INT_MIN <= level <= _INT_MAX or not _INT_MIN <= optname <= _INT_MAX:
            raise _oserror(_ENOPROTOOPT)
        if level == SocketPool.IPPROTO_TCP and optname == SocketPool.TCP_NODELAY:
            if self._type != SocketPool.SOCK_STREAM:
                raise _oserror(_ENOPROTOOPT)  # no TCP here (Linux: EOPNOTSUPP)
        if level == SocketPool.IPPROTO_IP and optname == SocketPool.IP_MULTICAST_TTL:
            if self._type != SocketPool.SOCK_DGRAM:
                raise _oserror(_ENOPROTOOPT)  # lwIP's answer on TCP (Linux: EINVAL)
            if not 0 <= value <= 255:
                raise ValueError("IP_MULTICAST_TTL must be 0-255")
        r = es.setsockopt(level, optname, value)
        if r < 0:
            _raise(r)

    def fileno(self):
        """OS descriptor for ``select``/``selectors`` (host engine), else -1."""
        es = self._live()
        return es.fileno()

    def ioctl(self, req, arg):
        """MicroPython stream ioctl: lets ``select.poll()`` ask about this socket."""
        if req == 3:  # MP_STREAM_POLL
            es = self._es
            if es is None:
                return 32  # POLLNVAL
            return es.poll(arg, 0)
        if req == 4:  # MP_STREAM_CLOSE
            self.close()
            return 0
        return -_errno.EINVAL

    def close(self):
        es = self._es
        if es is None:
            return
        self._es = None
        try:
            es.close()
        except Exception:
            pass
        self._pool._used -= 1


# A native engine (ports/common/modsocketpool.c) runs Socket's recv_into, recvfrom_into, send,
# sendall and sendto in C, without a Python frame; a call off the contract's happy path (a check
# that fails, a name to resolve) goes on to the methods above, and errors are raised by _raise.
if hasattr(_engine, "hot_path"):
    _engine.hot_path(Socket, _raise)
