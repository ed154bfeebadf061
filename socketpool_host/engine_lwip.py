"""Host-lwIP engines: a native core (ports/<core>/) built on the host against Debian's
liblwip-dev and driven from CPython through ctypes, behind docs/engine-interface.md.

How an engine module uses it (the whole of ``engine_lwip_esp32.py``)::

    from socketpool_host import engine_lwip

    engine_lwip.load_core("esp32", globals())

``load_core(core, namespace=None, variant=None)``
    Builds (``make -C ports/host CORE=<core> [SAN=<variant>]``, only when a source changed) and
    loads ``build/host[/<variant>]/libsp_<core>.so``, starts lwIP once per process (its thread, a
    loopback netif at 127.0.0.1/8 and ::1), and returns an engine object with the module-level
    names of the interface (``NAME`` = ``"lwip-<core>"``, ``MAX_SLOTS``, ``IPV6``, ``RAW``,
    ``socket``, ``getaddrinfo``, ``live_slots``, and ``SELECTABLE = False``: ``fileno()`` is -1, as
    lwIP's descriptors are not the OS's, so CPython's ``select`` cannot take these sockets). With ``namespace`` (a module's ``globals()``)
    those names are also copied into it, so the module *is* the engine. ``variant`` defaults to
    ``$SOCKETPOOL_LWIP_VARIANT`` (empty, or ``asan`` for AddressSanitizer + UBSan; running that
    one needs the ASan runtime preloaded, see docs/engine-esp32.md). ``$SOCKETPOOL_SLOTS``
    overrides the core's slot count, as for the host engine.

    The core must implement ports/common/sp_engine.h, and this driver calls nothing else of it:
the host build links ports/host/sp_host_platform.c, whose one extra entry point is
``sp_host_start()`` (lwIP, the loopback netif and the link, once). Error codes come back as
SP_E* (portable) and are turned into CPython's errno here with one table built from
``sp_errname()``.

Names are resolved with the host's resolver (Debian's lwIP has no DNS client). The engine's lwIP
reaches this computer only through a link: with ``SOCKETPOOL_HOST_LINK`` set when it starts
(the harness does that: tools/socketpool_tools/netlink.py), a TUN device in a network namespace
whose kernel sockets are a test's peers; without it, only lwIP's own loopback (127.0.0.1, ::1).
"""

import ctypes
import errno
import fcntl
import os
import socket as _pysocket
import subprocess
import threading
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
_TOP = os.path.dirname(_HERE)
_IPSTR_LEN = 48
_SEND_CHUNK = 256 * 1024  # a read-only buffer is copied at most this much per send call
# longest single core wait: CPython runs signal handlers (Ctrl-C) only between ctypes calls
_SLICE_MS = 100

POLLIN, POLLOUT, POLLERR, POLLHUP = 1, 4, 8, 16

_build_lock = threading.Lock()
_engines = {}


def library_path(core, variant=""):
    out = os.environ.get("SOCKETPOOL_LWIP_BUILD") or os.path.join(_TOP, "build", "host")
    return os.path.join(out, variant, "libsp_%s.so" % core) if variant else os.path.join(
        out, "libsp_%s.so" % core
    )


def build_core(core, variant=""):
    """Run the host Makefile for ``core`` (a no-op when the library is up to date)."""
    path = library_path(core, variant)
    makefile_dir = os.path.join(_TOP, "ports", "host")
    if not os.path.isdir(makefile_dir):  # installed without the source tree: use what exists
        if os.path.exists(path):
            return path
        raise RuntimeError("no %s and no ports/host to build it from" % path)
    cmd = ["make", "-s", "-C", makefile_dir, "CORE=" + core, "OUT=" + os.path.dirname(
        library_path(core))]
    if variant:
        cmd.append("SAN=" + variant)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with _build_lock, open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers build once
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        raise RuntimeError("building the %s core failed:\n%s" % (core, done.stdout))
    return path


class _Core:
    """The ctypes face of one core library."""

    def __init__(self, path):
        lib = ctypes.CDLL(path)
        c_int, c_void_p, c_char_p, c_size_t = ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t
        P = ctypes.POINTER
        sigs = {
            "sp_host_start": (c_int, []),
            "sp_errname": (c_char_p, [c_int]),
            "sp_max_slots": (c_int, []),
            "sp_has_ipv6": (c_int, []),
            "sp_has_raw": (c_int, []),
            "sp_socket": (c_int, [c_int, c_int, c_int, P(c_void_p)]),
            "sp_bind": (c_int, [c_void_p, c_char_p, c_int]),
            "sp_listen": (c_int, [c_void_p, c_int]),
            "sp_accept": (c_int, [c_void_p, P(c_void_p), c_char_p, P(c_int)]),
            "sp_connect": (c_int, [c_void_p, c_char_p, c_int]),
            "sp_connect_result": (c_int, [c_void_p]),
            "sp_recv_into": (c_int, [c_void_p, c_void_p, c_size_t]),
            "sp_recvfrom_into": (c_int, [c_void_p, c_void_p, c_size_t, c_char_p, P(c_int)]),
            "sp_send": (c_int, [c_void_p, c_void_p, c_size_t]),
            "sp_sendto": (c_int, [c_void_p, c_void_p, c_size_t, c_char_p, c_int]),
            "sp_setsockopt": (c_int, [c_void_p, c_int, c_int, c_void_p, c_size_t]),
            "sp_poll": (c_int, [c_void_p, c_int, c_int]),
            "sp_close": (None, [c_void_p]),
            "sp_free": (None, [c_void_p]),
        }
        for name, (res, args) in sigs.items():
            fn = getattr(lib, name)
            fn.restype = res
            fn.argtypes = args
            setattr(self, name, fn)
        self.lib = lib
        if self.sp_host_start() != 0:
            raise RuntimeError("lwIP did not start (tcpip_init, the loopback netif, or the link "
                               "SOCKETPOOL_HOST_LINK asks for failed: its message is on stderr)")
        # SP_E* -> CPython errno, by name: the one table of this front end
        self.errno = [0] * 64
        for code in range(1, 64):
            name = self.sp_errname(code).decode()
            self.errno[code] = getattr(errno, name, errno.EIO)


def _writable(buf, nbytes):
    """A ctypes view of the first ``nbytes`` of a writable buffer (no copy)."""
    return (ctypes.c_char * nbytes).from_buffer(buf)


def _readable(data):
    """(pointer-able object, length) for a bytes-like object, copying only read-only views."""
    if isinstance(data, bytes):
        return data, len(data)
    mv = memoryview(data)
    if mv.readonly:
        chunk = mv[:_SEND_CHUNK].tobytes() if mv.ndim == 1 and mv.itemsize == 1 else mv.tobytes()
        return chunk, len(chunk)
    n = mv.nbytes
    if n == 0:
        return b"", 0
    return (ctypes.c_char * n).from_buffer(mv.cast("B") if mv.format != "B" else mv), n


class LwipEngine:
    """One loaded core as an engine (docs/engine-interface.md)."""

    def __init__(self, core, variant=""):
        self.core_name = core
        self.variant = variant
        self._core = _Core(build_core(core, variant))
        c = self._core
        self.NAME = "lwip-" + core
        slots = os.environ.get("SOCKETPOOL_SLOTS")
        self.MAX_SLOTS = int(slots) if slots else c.sp_max_slots()
        self.IPV6 = bool(c.sp_has_ipv6())
        self.RAW = bool(c.sp_has_raw())
        self._open = 0
        self._open_lock = threading.RLock()  # reentrant: a finaliser run by GC inside close() closes another socket

    def _err(self, r):
        return -self._core.errno[-r] if -r < 64 else -errno.EIO

    def socket(self, family, type, proto):
        out = ctypes.c_void_p()
        r = self._core.sp_socket(family, type, proto, ctypes.byref(out))
        if r < 0:
            return self._err(r)
        return LwipSocket(self, out.value)

    def getaddrinfo(self, host, family):
        fam = {2: _pysocket.AF_INET, 10: _pysocket.AF_INET6}.get(family, 0)
        try:
            infos = _pysocket.getaddrinfo(host, None, fam, _pysocket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return None
        out = []
        for f, _t, _p, _c, addr in infos:
            pair = ({_pysocket.AF_INET: 2, _pysocket.AF_INET6: 10}.get(f), addr[0])
            if pair[0] and (pair[0] == 2 or self.IPV6) and pair not in out:
                out.append(pair)
        return out

    def live_slots(self):
        return self._open

    def _opened(self, delta):
        with self._open_lock:
            self._open += delta

    def names(self):
        return {
            "NAME": self.NAME,
            "MAX_SLOTS": self.MAX_SLOTS,
            "IPV6": self.IPV6,
            "RAW": self.RAW,
            "socket": self.socket,
            "getaddrinfo": self.getaddrinfo,
            "live_slots": self.live_slots,
            "SELECTABLE": False,
            "engine": self,
        }


class LwipSocket:
    """An engine socket: one core ``sp_sock_t``.

    Threads: ``_s`` stays the core's pointer for the whole life of this object, closed or not.
    ``close()`` only asks the core to close (a call of another thread still inside the core, or
    about to enter it, then ends with EBADF); the memory is given back by ``sp_free`` in the
    finaliser, when no thread can be in a method of this object any more.
    """

    __slots__ = ("_engine", "_core", "_s", "_closed", "__weakref__")

    def __init__(self, engine, handle):
        self._engine = engine
        self._core = engine._core
        self._s = handle
        self._closed = False
        engine._opened(1)

    def __del__(self):
        s = getattr(self, "_s", None)
        if s:
            self.close()
            self._s = None
            self._core.sp_free(s)

    def fileno(self):
        return -1  # lwIP descriptors are not the OS's

    def bind(self, ip, port):
        r = self._core.sp_bind(self._s, ip.encode(), port)
        return self._engine._err(r) if r < 0 else 0

    def listen(self, backlog):
        r = self._core.sp_listen(self._s, backlog)
        return self._engine._err(r) if r < 0 else 0

    def accept(self):
        out = ctypes.c_void_p()
        ip = ctypes.create_string_buffer(_IPSTR_LEN)
        port = ctypes.c_int()
        r = self._core.sp_accept(self._s, ctypes.byref(out), ip, ctypes.byref(port))
        if r < 0:
            return self._engine._err(r)
        return LwipSocket(self._engine, out.value), ip.value.decode(), port.value

    def connect(self, ip, port):
        r = self._core.sp_connect(self._s, ip.encode(), port)
        return self._engine._err(r) if r < 0 else 0

    def connect_result(self):
        r = self._core.sp_connect_result(self._s)
        return self._engine._err(r) if r < 0 else 0

    def recv_into(self, buf, nbytes):
        if nbytes <= 0:
            return 0
        r = self._core.sp_recv_into(self._s, _writable(buf, nbytes), nbytes)
        return self._engine._err(r) if r < 0 else r

    def recvfrom_into(self, buf, nbytes):
        ip = ctypes.create_string_buffer(_IPSTR_LEN)
        port = ctypes.c_int()
        target = _writable(buf, nbytes) if nbytes > 0 else None
        r = self._core.sp_recvfrom_into(self._s, target, max(nbytes, 0), ip, ctypes.byref(port))
        if r < 0:
            return self._engine._err(r)
        return r, (ip.value.decode(), port.value)

    def send(self, data):
        ptr, n = _readable(data)
        r = self._core.sp_send(self._s, ptr, n)
        return self._engine._err(r) if r < 0 else r

    def sendto(self, data, ip, port):
        mv = memoryview(data)
        ptr, n = (data, len(data)) if isinstance(data, bytes) else (mv.tobytes(), mv.nbytes)
        r = self._core.sp_sendto(self._s, ptr, n, ip.encode(), port)
        return self._engine._err(r) if r < 0 else r

    def setsockopt(self, level, opt, value):
        if isinstance(value, int):
            raw = ctypes.c_int(value)
            r = self._core.sp_setsockopt(self._s, level, opt, ctypes.byref(raw), 4)
        else:
            b = bytes(value)
            r = self._core.sp_setsockopt(self._s, level, opt, b, len(b))
        return self._engine._err(r) if r < 0 else 0

    def poll(self, events, timeout_ms):
        # this driver's one wait: the API layer passes all the time left (-1: no limit), and the
        # core waits in slices so that Ctrl-C (and a close from another thread) is seen between
        if timeout_ms == 0:
            return self._core.sp_poll(self._s, events, 0)
        end = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000
        while True:
            ms = _SLICE_MS
            if end is not None:
                ms = min(ms, max(0, int((end - time.monotonic()) * 1000 + 0.999)))
            s = self._s
            ready = self._core.sp_poll(s, events, ms) if s else 0
            if ready or not s or ms < _SLICE_MS:
                return ready

    def close(self):
        with self._engine._open_lock:  # two threads closing at once count one close
            if self._closed:
                return
            self._closed = True
            self._engine._open -= 1
        self._core.sp_close(self._s)


def load_core(core, namespace=None, variant=None):
    """Load (building if needed) the host-lwIP engine of ``core``; see the module docstring."""
    if variant is None:
        variant = os.environ.get("SOCKETPOOL_LWIP_VARIANT", "")
    key = (core, variant)
    engine = _engines.get(key)
    if engine is None:
        engine = _engines[key] = LwipEngine(core, variant)
    if namespace is not None:
        namespace.update(engine.names())
    return engine
