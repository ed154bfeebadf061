"""``wifi.radio`` on MicroPython, over ``network.WLAN(network.STA_IF)``.

On a port without ``network`` (the unix port) the radio stands for the host's network: it is
already online, ``connect`` returns at once. The class is named ``Radio`` because client libraries
(adafruit_connection_manager) pick the socket pool by the radio's class name.
"""

import time

try:
    import network
except ImportError:  # the unix port
    network = None

_STAT_GOT_IP = 3  # network.STAT_GOT_IP on every port that has it


def _setting(name):
    """A CircuitPython ``settings.toml`` key: ``os.getenv`` where the port has it, else the file."""
    try:
        import os

        value = os.getenv(name)
        if value:
            return value
    except (ImportError, AttributeError):
        pass
    try:
        with open("settings.toml") as f:
            for line in f:
                key, sep, value = line.partition("=")
                if sep and key.strip() == name:
                    value = value.strip()
                    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                        value = value[1:-1]
                    return value
    except OSError:
        pass
    return None


class Radio:
    """CircuitPython's ``wifi.Radio`` over a ``network.WLAN`` station interface.

    ``wlan`` is the interface to drive (default ``network.WLAN(network.STA_IF)``); None on a port
    without ``network`` makes the radio stand for the host's network.
    """

    def __init__(self, wlan=None):
        if wlan is None and network is not None:
            wlan = network.WLAN(network.STA_IF)
        self._wlan = wlan
        self._enabled = True
        self._hostname = "micropython"

    # --- state ---
    @property
    def enabled(self):
        if self._wlan is None:
            return self._enabled
        return bool(self._wlan.active())

    @enabled.setter
    def enabled(self, value):
        if self._wlan is None:
            self._enabled = bool(value)
        else:
            self._wlan.active(bool(value))

    @property
    def connected(self):
        if self._wlan is None:
            return self._enabled
        return bool(self._wlan.isconnected())

    @property
    def ipv4_address(self):
        if self._wlan is None:
            return "127.0.0.1" if self._enabled else None
        if not self._wlan.isconnected():
            return None
        ip = self._wlan.ifconfig()[0]
        return ip if ip and ip != "0.0.0.0" else None

    @property
    def hostname(self):
        if self._wlan is not None:
            try:
                return network.hostname()
            except (AttributeError, TypeError, OSError):
                pass
            try:
                return self._wlan.config("hostname")
            except (ValueError, OSError, TypeError):
                pass
        return self._hostname

    @hostname.setter
    def hostname(self, value):
        if not isinstance(value, str) or not 1 <= len(value) <= 253:
            raise ValueError("hostname must be 1-253 characters")
        self._hostname = value
        if self._wlan is not None:
            try:
                network.hostname(value)
            except (AttributeError, TypeError, OSError):
                try:
                    self._wlan.config(hostname=value)
                except (ValueError, OSError, TypeError):
                    pass

    @property
    def mac_address(self):
        if self._wlan is None:
            return bytes(6)  # stand-in: the unix port cannot read the host's hardware address
        return bytes(self._wlan.config("mac"))

    @property
    def ap_info(self):
        return None

    # --- joining ---
    def connect(self, ssid=None, password="", *, channel=0, bssid=None, timeout=None):
        """Join ``ssid`` and wait for the link and an address (``timeout`` seconds, default 30).

        With no ``ssid``, settings.toml's ``CIRCUITPY_WIFI_SSID``/``CIRCUITPY_WIFI_PASSWORD``.
        A failure raises ConnectionError with the reason; the host stand-in returns at once.
        """
        if ssid is None:
            ssid = _setting("CIRCUITPY_WIFI_SSID")
            if password == "":
                password = _setting("CIRCUITPY_WIFI_PASSWORD") or ""
            if not ssid:
                raise ConnectionError("no SSID: pass one or set CIRCUITPY_WIFI_SSID in settings.toml")
        if not isinstance(ssid, (str, bytes)) or not 1 <= len(ssid) <= 32:
            raise ValueError("ssid must be 1-32 characters")
        if password and not 8 <= len(password) <= 64:
            raise ValueError("password must be 8-64 characters")
        if self._wlan is None:
            self._enabled = True
            return
        wlan = self._wlan
        if not wlan.active():
            wlan.active(True)
        kwargs = {}
        if bssid:
            kwargs["bssid"] = bssid
        wlan.connect(ssid, password or None, **kwargs)
        deadline_ms = int((30 if timeout is None else timeout) * 1000)
        start = time.ticks_ms()
        while True:
            status = wlan.status()
            if wlan.isconnected() and self.ipv4_address:
                return
            if status < 0 or status in _failures():
                wlan.disconnect()
                raise ConnectionError(_reason(status))
            if time.ticks_diff(time.ticks_ms(), start) >= deadline_ms:
                wlan.disconnect()
                raise ConnectionError("timed out joining %r (status %s)" % (ssid, status))
            time.sleep_ms(100)

    def disconnect(self):
        if self._wlan is not None:
            self._wlan.disconnect()


def _failures():
    out = []
    for name in ("STAT_WRONG_PASSWORD", "STAT_NO_AP_FOUND", "STAT_CONNECT_FAIL"):
        value = getattr(network, name, None)
        if value is not None:
            out.append(value)
    return out


def _reason(status):
    for name in ("STAT_WRONG_PASSWORD", "STAT_NO_AP_FOUND", "STAT_CONNECT_FAIL"):
        if getattr(network, name, None) == status:
            return {
                "STAT_WRONG_PASSWORD": "wrong password",
                "STAT_NO_AP_FOUND": "no network with that SSID",
                "STAT_CONNECT_FAIL": "connection failed",
            }[name]
    return "could not join (status %s)" % status


radio = Radio()
