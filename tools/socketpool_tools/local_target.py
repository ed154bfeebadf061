"""The in-process targets: socketpool inside this CPython process on one of the CPython-driven
engines (``host``, ``host-lwip-esp32``, ``host-lwip-rp2``)."""

import gc
import os

from socketpool_tools.target_names import LOCAL_ENGINES


class LocalTarget:
    """socketpool running inside this CPython process, on one of the CPython-driven engines."""

    remote = False
    host = "127.0.0.1"  # where the peer reaches sockets the target listens on
    peer_host = "127.0.0.1"  # where the target reaches the peer

    def __init__(self, name):
        self.name = name
        os.environ["SOCKETPOOL_ENGINE"] = LOCAL_ENGINES[name]
        import socketpool
        import wifi

        self.socketpool = socketpool
        self.engine = socketpool._engine
        if self.engine.NAME != LOCAL_ENGINES[name]:
            raise RuntimeError(
                "socketpool was already imported with engine %r, not %r"
                % (self.engine.NAME, LOCAL_ENGINES[name])
            )
        self.radio = wifi.radio
        self.pool = socketpool.SocketPool(wifi.radio)
        self.ipv6 = bool(self.engine.IPV6)
        self.raw = bool(self.engine.RAW)
        self.slots = self.engine.MAX_SLOTS

    def gc_collect(self):
        gc.collect()

    def slots_in_use(self):
        return self.pool._slots_in_use()

    def leak_in_cycle(self, sock):
        """Keep ``sock`` alive only through a reference cycle (the caller drops its reference)."""
        sock._cycle = [sock]

    def close(self):
        pass
