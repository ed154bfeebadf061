"""``wifi.AuthMode``, ``wifi.Network`` and ``wifi.ScannedNetworks``: the same on MicroPython and CPython.

A ``Network`` is made by the radio (``ap_info``, ``start_scanning_networks()``), never by a program.
Where a computer has no Wi-Fi radio the radio still gives a ``Network`` for the link it is on, and
says so: ``ssid`` names the link ("eth0 (wired, not Wi-Fi)"), ``rssi``, ``channel`` and ``bssid``
are None and ``authmode`` is empty. There is no made-up signal strength.
"""


class AuthMode:
    """CircuitPython's ``wifi.AuthMode`` enum: values print as ``wifi.AuthMode.NAME``."""

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return "wifi.AuthMode." + self._name

    __str__ = __repr__


# in CircuitPython's order (the bit order of AuthMode.h): lists of modes come out in this order
_ORDER = ("OPEN", "WEP", "WPA", "WPA2", "WPA3", "PSK", "ENTERPRISE")
for _name in _ORDER:
    setattr(AuthMode, _name, AuthMode(_name))
del _name


def authmodes(*names):
    """The ``AuthMode`` values called ``names``, as a list in CircuitPython's order."""
    return [getattr(AuthMode, n) for n in _ORDER if n in names]


class Network:
    """A Wi-Fi network: the one the radio is on (``ap_info``) or one a scan found.

    ``ssid`` str, ``bssid`` bytes (6), ``rssi`` int dBm, ``channel`` int, ``country`` str ("" when
    the access point or the port does not tell), ``authmode`` list of ``AuthMode``. Not a Wi-Fi
    link (a desktop on a cable): ``rssi``/``channel``/``bssid`` None, ``authmode`` [].
    """

    __slots__ = ("ssid", "bssid", "rssi", "channel", "country", "authmode")

    def __init__(self, ssid, bssid=None, rssi=None, channel=None, country="", authmode=()):
        self.ssid = ssid
        self.bssid = bssid
        self.rssi = rssi
        self.channel = channel
        self.country = country
        self.authmode = list(authmode)

    def __repr__(self):
        return "<Network ssid=%r rssi=%r channel=%r>" % (self.ssid, self.rssi, self.channel)


class ScannedNetworks:
    """The networks one ``start_scanning_networks()`` found: iterate it (each a ``Network``)."""

    def __init__(self, networks=()):
        self._networks = list(networks)

    def __iter__(self):
        return self

    def __next__(self):
        if not self._networks:
            raise StopIteration
        return self._networks.pop(0)


def check_hostname(value):
    """CircuitPython's hostname rule: 1-253 characters, dot-separated labels of 1-63 letters,
    digits and dashes, no label starting with a dash. Returns the name as a str."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode()
    if not isinstance(value, str):
        raise TypeError("hostname must be a str or bytes")
    if not 1 <= len(value) <= 253:
        raise ValueError("hostname length must be 1-253")
    for label in value.split("."):
        if not 1 <= len(label) <= 63 or label[0] == "-":
            raise ValueError("invalid hostname")
        for c in label:
            if not (c == "-" or "a" <= c <= "z" or "A" <= c <= "Z" or "0" <= c <= "9"):
                raise ValueError("invalid hostname")
    return value


def check_join(ssid, password, bssid, enabled):
    """CircuitPython's checks before joining (its messages); returns (ssid, password) as str."""
    if not enabled:
        raise RuntimeError("WiFi is not enabled")
    if isinstance(ssid, (bytes, bytearray, memoryview)):
        ssid = bytes(ssid).decode()
    if not isinstance(ssid, str):
        raise TypeError("ssid must be a str or bytes")
    if not 1 <= len(ssid) <= 32:
        raise ValueError("ssid length must be 1-32")
    if password is None:
        password = ""
    if isinstance(password, (bytes, bytearray, memoryview)):
        password = bytes(password).decode()
    if not isinstance(password, str):
        raise TypeError("password must be a str or bytes")
    if password:
        if not 8 <= len(password) <= 64:
            raise ValueError("password length must be 8-64")
        if len(password) == 64:
            for c in password:
                if c not in "0123456789abcdefABCDEF":
                    raise ValueError("Invalid hex password")
    if bssid is not None and len(bssid) != 6:
        raise ValueError("Invalid BSSID")
    return ssid, password


# --- ping: one ICMP echo, the same code on CPython and MicroPython ---

try:
    from time import ticks_diff as _diff, ticks_us as _now  # MicroPython
except ImportError:
    from time import perf_counter as _perf

    def _now():
        return int(_perf() * 1000000)

    def _diff(a, b):
        return a - b


def _checksum(data):
    import struct

    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def icmp_kinds():
    """The socket types to try for ICMP, in order: an unprivileged ICMP datagram socket where the
    OS has them (Linux: net.ipv4.ping_group_range; on lwIP a datagram socket is UDP, so never
    there), then a raw socket (root, or lwIP's raw API on a board)."""
    import socket
    import sys

    kinds = []
    if sys.platform == "linux":
        kinds.append(socket.SOCK_DGRAM)
    if hasattr(socket, "SOCK_RAW"):
        kinds.append(socket.SOCK_RAW)
    return kinds


def echo(address, timeout, kinds=None):
    """Send one ICMP echo request to ``address`` (dotted IPv4 str); the seconds until its reply
    came, or None when none came within ``timeout`` seconds or no ICMP socket could be opened."""
    import socket
    import struct

    peer = socket.getaddrinfo(address, 0)[0][-1]  # a name that does not resolve raises here
    sock = None
    for kind in icmp_kinds() if kinds is None else kinds:
        try:
            sock = socket.socket(socket.AF_INET, kind, 1)  # IPPROTO_ICMP
            break
        except OSError:
            continue
    if sock is None:
        return None
    raw = kind != socket.SOCK_DGRAM
    start = _now()
    seq = start & 0xFFFF
    payload = b"socketpool-ping" + struct.pack("!I", start & 0xFFFFFFFF)
    packet = struct.pack("!BBHHH", 8, 0, 0, seq, seq) + payload
    packet = packet[:2] + struct.pack("!H", _checksum(packet)) + packet[4:]
    limit = int(timeout * 1000000)
    try:
        sock.sendto(packet, peer)
        for _ in range(1000):  # bounded: on a raw socket, replies to other pings are skipped
            left = limit - _diff(_now(), start)
            if left <= 0:
                return None
            sock.settimeout(left / 1000000)
            data = sock.recv(2048)
            if raw and data:
                data = data[(data[0] & 0x0F) * 4:]
            # a datagram ICMP socket gets its id from the kernel: match on sequence and payload
            if len(data) >= 8 and data[0] == 0 and data[6:8] == packet[6:8] and data[8:] == payload:
                return _diff(_now(), start) / 1000000
        return None
    except OSError:  # timed out (socket.timeout is an OSError), unreachable, refused
        return None
    finally:
        sock.close()
