"""The in-process targets: socketpool inside this CPython process on one of the CPython-driven
engines (``host``, ``host-lwip-esp32``, ``host-lwip-rp2``).

A host-lwIP target's lwIP reaches this computer through a network link (netlink.py): a TUN
device in a network namespace made for the target, whose kernel sockets are the peers
(``peer_socket_module``); the target's own addresses are lwIP's on that link."""

import gc
import os
import sys

from socketpool_tools import netlink
from socketpool_tools.target_names import LOCAL_ENGINES

LINK_ENV = netlink.ENV


# Buffers of odd kinds built where the target runs (a remote proxy passes only bytes and
# bytearray by value): the same source runs on CPython and on MicroPython (remote_target.py
# sends it to the target).
BUFFER_HELPERS = """
def _sp_buf(kind, tc, data):
    import array
    if kind == 'readonly':
        return memoryview(bytes(data))
    if kind == 'cast':
        try:
            return memoryview(bytearray(data)).cast(tc)
        except AttributeError:
            kind = 'memoryview'
    size = len(bytes(array.array(tc, [0])))
    a = array.array(tc, [0] * (len(data) // size))
    try:
        memoryview(a).cast('B')[:] = data
    except AttributeError:
        import uctypes
        uctypes.bytearray_at(uctypes.addressof(a), len(data))[:] = data
    return memoryview(a) if kind == 'memoryview' else a
def _sp_bytes(b):
    try:
        return memoryview(b).cast('B').tobytes()
    except AttributeError:
        return bytes(b)
"""


class LocalTarget:
    """socketpool running inside this CPython process, on one of the CPython-driven engines."""

    remote = False
    host = "127.0.0.1"  # where the peer reaches sockets the target listens on
    peer_host = "127.0.0.1"  # where the target reaches the peer
    host6 = peer_host6 = "::1"
    peer_socket_module = None  # None: CPython's socket module, in this process's namespace
    link = None
    float_bits = 64  # CPython's float is a C double

    def __init__(self, name):
        self.name = name
        os.environ["SOCKETPOOL_ENGINE"] = LOCAL_ENGINES[name]
        if name.startswith("host-lwip-"):
            self._attach_link()
        try:
            import socketpool
            import wifi
        finally:
            os.environ.pop(LINK_ENV, None)  # children of this process make links of their own

        self.socketpool = socketpool
        self.engine = socketpool._engine
        if self.engine.NAME != LOCAL_ENGINES[name]:
            raise RuntimeError(
                "socketpool was already imported with engine %r, not %r"
                % (self.engine.NAME, LOCAL_ENGINES[name])
            )
        self.radio = wifi.radio
        self.pool = socketpool.SocketPool(wifi.radio)
        self.ipv6 = self.engine_ipv6 = bool(self.engine.IPV6)
        self.raw = bool(self.engine.RAW)
        self.slots = self.engine.MAX_SLOTS

    def _attach_link(self):
        """Make the link before the engine loads: lwIP opens it once, when it starts."""
        if "socketpool" in sys.modules:
            return  # the engine check below names the clash
        self.link = netlink.Link()
        os.environ[LINK_ENV] = self.link.env
        self.host, self.host6 = self.link.host, self.link.host6
        self.peer_host, self.peer_host6 = self.link.peer_host, self.link.peer_host6
        self.peer_socket_module = self.link.sockets

    def gc_collect(self):
        gc.collect()

    def slots_in_use(self):
        return self.pool._slots_in_use()

    def leak_in_cycle(self, sock):
        """Keep ``sock`` alive only through a reference cycle (the caller drops its reference)."""
        sock._cycle = [sock]

    def buffer(self, kind, typecode, data):
        """A buffer made on the target holding the bytes ``data``: ``kind`` is ``array``
        (array.array of ``typecode``), ``memoryview`` (of such an array), ``cast`` (a bytearray's
        memoryview cast to ``typecode``; a memoryview of an array where there is no cast) or
        ``readonly`` (a memoryview of bytes)."""
        ns = getattr(self, "_buffer_ns", None)
        if ns is None:
            ns = self._buffer_ns = {}
            exec(BUFFER_HELPERS, ns)
        return ns["_sp_buf"](kind, typecode, bytes(data))

    def buffer_bytes(self, buf):
        """The bytes a buffer from ``buffer()`` holds now."""
        return memoryview(buf).cast("B").tobytes()

    def close(self):
        if self.link is not None:
            self.link.close()  # lwIP's netif stays, with its device gone: nothing reaches it
