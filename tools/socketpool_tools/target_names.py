"""``--target`` values: what each name means (``parse_target``) and which board a pytest-xdist
worker uses (``pick_for_worker``).

Names: ``host``, ``host-lwip-esp32``, ``host-lwip-rp2`` (in this process); ``micropython`` or
``micropython:<binary>`` (MicroPython's unix port on a pty, reached through the raw REPL like a
board); a serial device path (``/dev/ttyACM0``, ``COM3``); ``rfc2217://host:port`` and
``socket://host:port``; ``auto`` (the first USB serial board, as ``mpremote connect auto``);
``rp2040js:<firmware.uf2|.hex>`` (an emulated Pico W); ``host-proxy`` (the host engine through the
remote proxy in this process: a check of the proxy itself).
"""

LOCAL_ENGINES = {"host": "host", "host-lwip-esp32": "lwip-esp32", "host-lwip-rp2": "lwip-rp2"}


class TargetSpec:
    """A parsed ``--target`` value: ``kind`` is local, host-proxy, micropython, serial, auto or
    rp2040js; ``where`` the device path, URL, firmware image or interpreter."""

    def __init__(self, name, kind, where=None):
        self.name = name
        self.kind = kind
        self.where = where

    @property
    def remote(self):
        return self.kind != "local"

    def __repr__(self):
        return "TargetSpec(%r, %r, %r)" % (self.name, self.kind, self.where)


URL_SCHEMES = ("rfc2217://", "socket://")


def parse_target(name):
    """The TargetSpec for one ``--target`` value; ValueError names what is accepted."""
    name = (name or "").strip()
    if name in LOCAL_ENGINES:
        return TargetSpec(name, "local")
    if name == "host-proxy":
        return TargetSpec(name, "host-proxy")
    if name == "micropython":
        return TargetSpec(name, "micropython", None)
    if name.startswith("micropython:") and len(name) > len("micropython:"):
        return TargetSpec(name, "micropython", name[len("micropython:"):])
    if name == "auto":
        return TargetSpec(name, "auto")
    if name.startswith("rp2040js:"):
        image = name[len("rp2040js:"):]
        if not image.lower().endswith((".uf2", ".hex")):
            raise ValueError("rp2040js needs a firmware image: rp2040js:<firmware.uf2|.hex>")
        return TargetSpec(name, "rp2040js", image)
    for scheme in URL_SCHEMES:
        if name.startswith(scheme):
            hostport = name[len(scheme):].split("?")[0]
            host, _, port = hostport.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError("%s needs host:port, got %r" % (scheme, name))
            return TargetSpec(name, "serial", name)
    if name.startswith("/dev/") or (name.upper().startswith("COM") and name[3:].isdigit()):
        return TargetSpec(name, "serial", name)
    raise ValueError(
        "unknown target %r: use host, host-lwip-esp32, host-lwip-rp2, micropython, auto, a serial "
        "port (/dev/ttyACM0, COM3), rfc2217://host:port, socket://host:port or "
        "rp2040js:<firmware.uf2>" % name
    )


def split_targets(value):
    """``--target a,b``: one TargetSpec per board (pytest-xdist worker i uses board i)."""
    names = [n for n in (value or "").split(",") if n.strip()]
    if not names:
        raise ValueError("--target is empty")
    return [parse_target(n) for n in names]


def worker_index(workerid):
    """pytest-xdist's ``gw3`` -> 3; None (not under xdist) -> 0."""
    if not workerid:
        return 0
    digits = workerid.lstrip("gw")
    return int(digits) if digits.isdigit() else 0


def pick_for_worker(specs, workerid):
    i = worker_index(workerid)
    if len(specs) == 1:
        return specs[0]
    if i >= len(specs):
        raise ValueError(
            "worker %s has no board: %d targets given for more workers (use -n %d)"
            % (workerid, len(specs), len(specs))
        )
    return specs[i]
