"""``wifi.radio`` on MicroPython, over ``network.WLAN(network.STA_IF)``.

Values come from the firmware: ``ifconfig()`` (address, subnet, gateway, DNS), ``config()`` (ssid,
channel, mac, txpower, hostname), ``status("rssi")``, ``network.country()``, ``scan()``.
What MicroPython does not tell: ``ap_info.bssid`` (the one passed to ``connect``, else None) and
``ap_info.authmode`` (WPA2+PSK when joined with a password, OPEN without: what the rp2 firmware
uses; an ESP32 may have negotiated another WPA mode).

On a port without ``network`` (the unix port) there is no radio: the radio stands for the
computer's network, online at once, loopback addresses, and ``ap_info`` a Network that says it
is not Wi-Fi. The class is named ``Radio`` because client libraries
(adafruit_connection_manager) pick the socket pool by the radio's class name.
"""

import time

from wifi._network import Network, PowerManagement, ScannedNetworks, authmodes

try:
    import network
except ImportError:  # the unix port
    network = None

_JOIN_S = 30  # connect(timeout=None): seconds to wait for the link and an address
_FAILURES = (  # network.STAT_* name, CircuitPython's ConnectionError message
    ("STAT_WRONG_PASSWORD", "Authentication failure"),
    ("STAT_HANDSHAKE_TIMEOUT", "Authentication failure"),
    ("STAT_NO_AP_FOUND", "No network with that ssid"),
    ("STAT_CONNECT_FAIL", "Unknown failure 205"),
)
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


def _resolv_dns():
    """The unix port's DNS: the first IPv4 nameserver of /etc/resolv.conf."""
    try:
        with open("/etc/resolv.conf") as f:
            for line in f:
                p = line.split()
                if len(p) >= 2 and p[0] == "nameserver" and p[1].count(".") == 3:
                    return p[1]
    except OSError:
        pass
    return None


# CircuitPython's PowerManagement value -> the WLAN.PM_* constant (cyw43: MIN is PM_PERFORMANCE,
# MAX PM_AGGRESSIVE, which MicroPython calls PM_POWERSAVE)
_PM = (("MIN", "PM_PERFORMANCE"), ("MAX", "PM_POWERSAVE"), ("NONE", "PM_NONE"))


def _read_only(name):
    return NotImplementedError("%s is read-only for this board" % name)


class Radio:
    """CircuitPython's ``wifi.Radio`` over a ``network.WLAN`` station interface.

    ``wlan`` is the interface to drive (default ``network.WLAN(network.STA_IF)``); None on a port
    without ``network`` makes the radio stand for the host's network.
    """

    def __init__(self, wlan=None):
        if wlan is None and network is not None:
            wlan = network.WLAN(network.STA_IF)
        self._wlan = wlan
        self._enabled = True  # CircuitPython's radio is on at boot; the WLAN is activated on use
        self._station = True  # stop_station()/start_station()
        self._hostname = "micropython"
        self._scan = None
        self._joined = None  # (password, bssid) of the last connect: what ap_info cannot read

    def _config(self, key):
        try:
            return self._wlan.config(key)
        except (ValueError, OSError, TypeError, AttributeError):
            return None

    def _ifconfig(self):
        """(address, subnet, gateway, dns) while connected, else None."""
        if not self.connected:
            return None
        if self._wlan is None:
            return ("127.0.0.1", "255.0.0.0", None, _resolv_dns())
        conf = self._wlan.ifconfig()
        if not conf[0] or conf[0] == "0.0.0.0":
            return None
        return tuple(conf)

    # --- state ---
    @property
    def enabled(self):
        return self._enabled

    @enabled.setter
    def enabled(self, value):
        self._enabled = bool(value)
        if not self._enabled:
            self._scan = None
        if self._wlan is not None:
            self._wlan.active(self._enabled)

    @property
    def connected(self):
        if self._wlan is None:
            return self._enabled and self._station
        return self._enabled and self._station and bool(self._wlan.isconnected())

    @property
    def ipv4_address(self):
        conf = self._ifconfig()
        return conf[0] if conf else None

    @property
    def ipv4_subnet(self):
        conf = self._ifconfig()
        return conf[1] if conf else None

    @property
    def ipv4_gateway(self):
        conf = self._ifconfig()
        return conf[2] if conf else None

    @property
    def ipv4_dns(self):
        conf = self._ifconfig()
        return conf[3] if conf and conf[3] and conf[3] != "0.0.0.0" else None

    @ipv4_dns.setter
    def ipv4_dns(self, value):
        conf = self._ifconfig()
        if self._wlan is None or conf is None:
            raise RuntimeError("Interface must be started")
        self._wlan.ifconfig((conf[0], conf[1], conf[2], str(value)))

    @property
    def dns(self):
        dns = self.ipv4_dns
        return (dns,) if dns else ()

    @property
    def addresses(self):
        address = self.ipv4_address
        return (address,) if address else ()

    @property
    def hostname(self):
        if self._wlan is not None:
            try:
                return network.hostname()
            except (AttributeError, TypeError, OSError):
                name = self._config("hostname")
                if name:
                    return name
        return self._hostname

    @hostname.setter
    def hostname(self, value):
        from wifi._checks import check_hostname

        self._hostname = value = check_hostname(value)
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
            return bytes(6)  # the unix port cannot read the host's hardware address
        return bytes(self._wlan.config("mac"))

    @mac_address.setter
    def mac_address(self, value):
        if len(value) != 6:
            raise ValueError("Invalid MAC address")
        try:
            self._wlan.config(mac=bytes(value))
        except (ValueError, OSError, TypeError, AttributeError):
            raise _read_only("mac_address")

    @property
    def tx_power(self):
        """Transmit power in dBm (``config("txpower")``); None where the port cannot tell."""
        if self._wlan is None:
            return None
        power = self._config("txpower")
        return None if power is None else float(power)

    @tx_power.setter
    def tx_power(self, value):
        if not isinstance(value, (int, float)):
            raise TypeError("tx_power must be a number")
        try:
            self._wlan.config(txpower=value)
        except (ValueError, OSError, TypeError, AttributeError):
            raise _read_only("tx_power")

    @property
    def power_management(self):
        """``config("pm")`` as a PowerManagement value; UNKNOWN for any other setting or port."""
        pm = None if self._wlan is None else self._config("pm")
        for name, const in _PM:
            if pm is not None and pm == getattr(self._wlan, const, None):
                return getattr(PowerManagement, name)
        return PowerManagement.UNKNOWN

    @power_management.setter
    def power_management(self, value):
        if not isinstance(value, PowerManagement):
            raise TypeError("power_management must be of type PowerManagement, not %s" % type(value).__name__)
        for name, const in _PM:
            if value is getattr(PowerManagement, name):
                try:
                    self._wlan.config(pm=getattr(self._wlan, const))
                    return
                except (ValueError, OSError, TypeError, AttributeError):
                    raise _read_only("power_management")
        raise ValueError("Invalid power_management")

    @property
    def ap_info(self):
        """The access point while connected (None otherwise); on the unix port, a Network that
        says there is no Wi-Fi."""
        if not self.connected:
            return None
        if self._wlan is None:
            return Network("host network (not Wi-Fi)")
        wlan = self._wlan
        try:
            rssi = wlan.status("rssi")
        except (ValueError, OSError, TypeError):
            rssi = None
        try:
            country = network.country()
        except (AttributeError, OSError, TypeError):
            country = ""
        password, bssid = self._joined or ("", None)
        return Network(self._config("ssid") or "", bssid, rssi, self._config("channel"), country or "",
                       authmodes("WPA2", "PSK") if password else authmodes("OPEN"))

    # --- joining ---
    def connect(self, ssid=None, password=b"", *, channel=0, bssid=None, timeout=None):
        """Join ``ssid`` and wait for the link and an address (``timeout`` seconds, default 30).

        With no ``ssid``, settings.toml's ``CIRCUITPY_WIFI_SSID``/``CIRCUITPY_WIFI_PASSWORD``.
        Already on ``ssid``: returns at once. Failures raise ConnectionError with CircuitPython's
        message. ``channel`` is not used (MicroPython scans every channel). The unix-port
        stand-in returns at once.
        """
        if ssid is None:
            ssid = _setting("CIRCUITPY_WIFI_SSID")
            if not password:
                password = _setting("CIRCUITPY_WIFI_PASSWORD") or ""
            if not ssid:
                raise ConnectionError("no SSID: pass one or set CIRCUITPY_WIFI_SSID in settings.toml")
        from wifi._checks import check_join

        ssid, password = check_join(ssid, password, bssid, self._enabled)
        limit_ms = int((_JOIN_S if timeout is None or timeout <= 0 else timeout) * 1000)
        self._station = True
        if self._wlan is None:
            return
        wlan = self._wlan
        if wlan.isconnected() and self._config("ssid") == ssid:
            return
        if not wlan.active():
            wlan.active(True)
        if bssid is None:
            wlan.connect(ssid, password or None)
        else:
            wlan.connect(ssid, password or None, bssid=bytes(bssid))
        self._joined = (password, None if bssid is None else bytes(bssid))
        start = time.ticks_ms()
        for _ in range(limit_ms // 50 + 2):  # bounded by the deadline below as well
            status = wlan.status()
            if wlan.isconnected() and self._ifconfig():
                return
            for name, message in _FAILURES:
                if getattr(network, name, None) == status:
                    wlan.disconnect()
                    raise ConnectionError(message)
            if status < 0:
                wlan.disconnect()
                raise ConnectionError("Unknown failure %d" % status)
            if time.ticks_diff(time.ticks_ms(), start) >= limit_ms:
                break
            time.sleep_ms(50)
        wlan.disconnect()
        raise ConnectionError("Unknown failure 1: no link to %r after %g s" % (ssid, limit_ms / 1000))

    def disconnect(self):
        if self._wlan is not None:
            self._wlan.disconnect()

    def start_station(self):
        self._station = True
        if self._wlan is not None and self._enabled:
            self._wlan.active(True)

    def stop_station(self):
        self._station = False
        self.disconnect()

    def start_scanning_networks(self, *, start_channel=1, stop_channel=165):
        """The networks ``WLAN.scan()`` finds (all channels: MicroPython has no channel range)."""
        if self._scan is not None:
            raise RuntimeError("Already scanning for wifi networks")
        if not self._enabled:
            raise RuntimeError("WiFi is not enabled")
        found = []
        if self._wlan is not None:
            from wifi._scan import scan

            found = scan(self._wlan)
        self._scan = ScannedNetworks(found)
        return self._scan

    def stop_scanning_networks(self):
        self._scan = None

    def ping(self, ip, *, timeout=0.5):
        """Seconds until ``ip`` (an ``ipaddress.IPv4Address``, from compat/ipaddress.py on
        MicroPython, or a str: an IPv4 address or a host name) answered an ICMP echo; None when
        it did not within ``timeout`` seconds (default 0.5) or the port has no ICMP socket."""
        from wifi._ping import echo

        if not isinstance(ip, str):
            packed = getattr(ip, "packed", None)
            if packed is None or len(packed) != 4:
                raise TypeError("ip must be an ipaddress.IPv4Address or a str")
            ip = "%d.%d.%d.%d" % tuple(packed)
        timeout = 0.5 if timeout is None else float(timeout)
        if timeout < 0:
            raise ValueError("timeout must be 0 or more")
        return echo(str(ip), timeout)


radio = Radio()
