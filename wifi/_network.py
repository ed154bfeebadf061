"""``wifi.AuthMode``, ``wifi.PowerManagement``, ``wifi.Network`` and ``wifi.ScannedNetworks``: the
same on MicroPython and CPython.

A ``Network`` is made by the radio (``ap_info``, ``start_scanning_networks()``), never by a program.
Where a computer has no Wi-Fi radio the radio still gives a ``Network`` for the link it is on, and
says so: ``ssid`` names the link ("eth0 (wired, not Wi-Fi)"), ``rssi``, ``channel`` and ``bssid``
are None and ``authmode`` is empty. There is no made-up signal strength.
"""


class _Value:
    """A value of one of CircuitPython's enums: prints as ``wifi.Enum.NAME``. The name is found
    in the class when printed, so a value holds nothing (a few bytes each on a board)."""

    def __repr__(self):  # print() uses it too
        cls = type(self)
        for name in dir(cls):
            if getattr(cls, name) is self:
                return "wifi.%s.%s" % (cls.__name__, name)
        return object.__repr__(self)


class AuthMode(_Value):
    """CircuitPython's ``wifi.AuthMode`` enum: values print as ``wifi.AuthMode.NAME``."""


class PowerManagement(_Value):
    """CircuitPython's ``wifi.PowerManagement``: MIN (the default), MAX, NONE, UNKNOWN."""


# in CircuitPython's order (the bit order of AuthMode.h): lists of modes come out in this order
_ORDER = ("OPEN", "WEP", "WPA", "WPA2", "WPA3", "PSK", "ENTERPRISE")
for _name in _ORDER:
    setattr(AuthMode, _name, AuthMode())
for _name in ("MIN", "MAX", "NONE", "UNKNOWN"):
    setattr(PowerManagement, _name, PowerManagement())
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
