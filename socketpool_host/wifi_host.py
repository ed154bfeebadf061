"""``wifi.radio`` on a desktop: the host is already online, so the radio reports the host.

Real values: ``hostname`` (the host's name), ``ipv4_address`` (the address the host name
resolves to, else 127.0.0.1), ``mac_address`` (the host's hardware address as Python finds it).
Stand-ins (there is no Wi-Fi radio to ask): ``connect`` returns at once and remembers the SSID,
``ap_info`` is None, ``enabled`` is a flag the radio keeps.
"""

import ipaddress
import socket
import uuid


class Radio:
    """The host's network, dressed as CircuitPython's ``wifi.Radio``."""

    def __init__(self):
        self._enabled = True
        self._ssid = None
        self._hostname = socket.gethostname()

    @property
    def enabled(self):
        return self._enabled

    @enabled.setter
    def enabled(self, value):
        self._enabled = bool(value)

    @property
    def connected(self):
        return self._enabled

    @property
    def hostname(self):
        return self._hostname

    @hostname.setter
    def hostname(self, value):
        if not isinstance(value, str) or not 1 <= len(value) <= 253:
            raise ValueError("hostname must be 1-253 characters")
        self._hostname = value

    @property
    def mac_address(self):
        return uuid.getnode().to_bytes(6, "big")

    @property
    def ipv4_address(self):
        if not self._enabled:
            return None
        try:
            addr = socket.gethostbyname(socket.gethostname())
        except OSError:
            addr = "127.0.0.1"
        return ipaddress.IPv4Address(addr)

    @property
    def ap_info(self):
        return None

    def connect(self, ssid, password="", *, channel=0, bssid=None, timeout=None):
        """The host is already online: remember the SSID and return at once."""
        if not isinstance(ssid, (str, bytes)) or not 1 <= len(ssid) <= 32:
            raise ValueError("ssid must be 1-32 characters")
        if password and not 8 <= len(password) <= 64:
            raise ValueError("password must be 8-64 characters")
        self._enabled = True
        self._ssid = ssid

    def disconnect(self):
        self._ssid = None


radio = Radio()
