"""CPython-only pieces of socketpool: engines for the desktop and the host lwIP builds.

Never copied to a board.
"""

import importlib
import os

ENGINES = {
    "host": "socketpool_host.engine_host",
    "lwip-esp32": "socketpool_host.engine_lwip_esp32",
    "lwip-rp2": "socketpool_host.engine_lwip_rp2",
}


def load_engine(name=None):
    """The engine named by ``name`` or ``$SOCKETPOOL_ENGINE`` (default ``host``)."""
    name = name or os.environ.get("SOCKETPOOL_ENGINE", "host")
    try:
        module = ENGINES[name]
    except KeyError:
        raise ValueError(
            "SOCKETPOOL_ENGINE=%r is not an engine; choose one of %s" % (name, ", ".join(ENGINES))
        ) from None
    engine = importlib.import_module(module)
    # plain `python code.py`: CPython's ssl.SSLContext.wrap_socket takes pool sockets too
    from socketpool_host import cpy_ssl

    cpy_ssl.install()
    return engine
