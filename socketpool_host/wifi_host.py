"""``wifi.radio`` on a desktop: the computer is already online, so the radio reports the computer.

Where the values come from (Linux; nothing here sends a packet except ``ping``):
- the link: the interface of the default IPv4 route (/proc/net/route), else loopback ``lo``;
- ``ipv4_address``/``ipv4_subnet``: that interface's address and netmask (SIOCGIFADDR/NETMASK);
  ``ipv4_gateway``: the default route's gateway; ``ipv4_dns``/``dns``: /etc/resolv.conf;
  ``addresses``: the interface's IPv4 address and its IPv6 addresses (/proc/net/if_inet6);
  ``mac_address``: /sys/class/net/<if>/address; ``hostname``: the computer's name;
- ``ap_info``: on a Wi-Fi interface (/sys/class/net/<if>/wireless) the network it is on: SSID, BSSID,
  channel and transmit power from the wireless-extension ioctls, RSSI from /proc/net/wireless;
  ``country`` "" and ``authmode`` [] (not readable without nl80211). On any other link a Network
  that says so: ssid "eth0 (wired, not Wi-Fi)", rssi/channel/bssid None, authmode [];
- ``ping``: a real ICMP echo through an unprivileged ICMP socket (net.ipv4.ping_group_range), or a
  raw socket when the process may open one; None when neither can be opened, as for a timeout.
Elsewhere (macOS, Windows) ``ipv4_address`` is the address the host name resolves to and the
other link values are None. Stand-ins, because a desktop has no radio to drive: ``connect``
checks its arguments and returns at once, ``enabled = False`` takes this radio offline (no
address, no ap_info) without touching the computer's network, ``hostname`` set here is this
radio's only, ``tx_power`` and ``mac_address`` cannot be set.
"""

import array
import fcntl
import ipaddress
import math
import os
import socket
import struct
import uuid


_PROC = "/proc"
_SYS = "/sys"
_RESOLV = "/etc/resolv.conf"

SIOCGIFADDR = 0x8915
SIOCGIFNETMASK = 0x891B
SIOCGIWFREQ = 0x8B05
SIOCGIWAP = 0x8B15
SIOCGIWESSID = 0x8B1B
SIOCGIWTXPOW = 0x8B27
IW_TXPOW_MWATT = 0x0001


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def default_route(proc=_PROC):
    """(interface, gateway str) of the default IPv4 route, or (None, None)."""
    text = _read(proc + "/net/route") or ""
    for line in text.splitlines()[1:]:
        f = line.split()
        if len(f) >= 8 and f[1] == "00000000" and f[7] == "00000000" and int(f[3], 16) & 1:
            return f[0], socket.inet_ntoa(struct.pack("=L", int(f[2], 16)))
    return None, None


def nameservers(path=_RESOLV):
    """The nameserver lines of resolv.conf, in order."""
    out = []
    for line in (_read(path) or "").splitlines():
        f = line.split()
        if len(f) >= 2 and f[0] == "nameserver":
            out.append(f[1].split("%")[0])
    return out


def ipv6_addresses(ifname, proc=_PROC):
    """The interface's IPv6 addresses (/proc/net/if_inet6), as strings."""
    out = []
    for line in (_read(proc + "/net/if_inet6") or "").splitlines():
        f = line.split()
        if len(f) == 6 and f[5] == ifname:
            out.append(str(ipaddress.IPv6Address(bytes.fromhex(f[0]))))
    return out


def wireless_level(ifname, proc=_PROC):
    """The signal level in dBm /proc/net/wireless gives for ``ifname``, or None."""
    for line in (_read(proc + "/net/wireless") or "").splitlines()[2:]:
        name, sep, rest = line.partition(":")
        f = rest.split()
        if sep and name.strip() == ifname and len(f) >= 3:
            try:
                return int(float(f[2].rstrip(".")))
            except ValueError:
                return None
    return None


def channel_of(freq):
    """A wireless-extension frequency (a channel number, or Hz) as a Wi-Fi channel number."""
    if freq < 1000:
        return int(freq)
    mhz = int(round(freq / 1e6))
    if mhz == 2484:
        return 14
    if 2412 <= mhz < 2484:
        return (mhz - 2407) // 5
    if 5950 < mhz <= 7125:
        return (mhz - 5950) // 5
    if 5000 <= mhz < 5950:
        return (mhz - 5000) // 5
    return None


class Link:
    """What the OS says about one network interface. ``ioctl(request, bytearray)`` and the /proc,
    /sys roots are parameters so that tests can hand it a fake Wi-Fi interface (no radio here)."""

    def __init__(self, ifname, gateway=None, proc=_PROC, sys=_SYS, ioctl=None):
        self.ifname = ifname
        self.gateway = gateway
        self.proc = proc
        self.sys = sys
        self._ioctl = ioctl or _os_ioctl

    def _ifreq(self, request, size=16):
        buf = bytearray(struct.pack("16s", self.ifname.encode()[:15]) + bytes(size))
        self._ioctl(request, buf)
        return buf

    def ipv4(self, request):
        try:
            return socket.inet_ntoa(bytes(self._ifreq(request)[20:24]))
        except OSError:
            return None

    @property
    def kind(self):
        if os.path.isdir("%s/class/net/%s/wireless" % (self.sys, self.ifname)):
            return "wifi"
        arp = (_read("%s/class/net/%s/type" % (self.sys, self.ifname)) or "").strip()
        return {"1": "wired", "772": "loopback"}.get(arp, "other")

    def mac(self):
        text = (_read("%s/class/net/%s/address" % (self.sys, self.ifname)) or "").strip()
        try:
            mac = bytes.fromhex(text.replace(":", ""))
        except ValueError:
            mac = b""
        return mac if len(mac) == 6 else None

    def essid(self):
        buf = array.array("B", bytes(33))
        address, _ = buf.buffer_info()
        req = bytearray(struct.pack("16sPHH", self.ifname.encode()[:15], address, len(buf), 0))
        self._ioctl(SIOCGIWESSID, req, buf)
        length = struct.unpack_from("H", req, 16 + struct.calcsize("P"))[0]
        return bytes(buf[: min(length, 32)]).decode("utf-8", "replace")

    def network(self):
        """The ``wifi.Network`` this link is on (the wired/loopback stand-in off Wi-Fi)."""
        kind = self.kind
        if kind != "wifi":
            label = {"wired": "wired, not Wi-Fi", "loopback": "loopback, not Wi-Fi"}.get(kind, "not Wi-Fi")
            return Network("%s (%s)" % (self.ifname, label))
        try:
            ssid = self.essid()
        except OSError:
            return None  # a Wi-Fi interface that is not associated: not on a network
        bssid = channel = None
        try:
            bssid = bytes(self._ifreq(SIOCGIWAP)[18:24])
        except OSError:
            pass
        try:
            m, e = struct.unpack_from("ih", self._ifreq(SIOCGIWFREQ), 16)
            channel = channel_of(m * 10**e)
        except OSError:
            pass
        return Network(ssid, bssid, wireless_level(self.ifname, self.proc), channel)

    def tx_power(self):
        """Transmit power in dBm of a Wi-Fi interface, else None."""
        if self.kind != "wifi":
            return None
        try:
            value, fixed, disabled, flags = struct.unpack_from("iBBH", self._ifreq(SIOCGIWTXPOW), 16)
        except OSError:
            return None
        if disabled:
            return None
        if flags & IW_TXPOW_MWATT:
            return 10 * math.log10(value) if value > 0 else None
        return float(value)


def _os_ioctl(request, buf, *keep):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s.fileno(), request, buf)


def current_link():
    """The Link of the default route, loopback when there is none; None off Linux."""
    if not os.path.exists(_PROC + "/net/route"):
        return None
    ifname, gateway = default_route()
    return Link(ifname or "lo", gateway)


def _v4(text):
    return ipaddress.IPv4Address(text) if text else None


# --- ping ---


def ping_address(ip):
    """``ping``'s ``ip``: an ipaddress.IPv4Address, or a str (an IPv4 address or a host name)."""
    if isinstance(ip, ipaddress.IPv4Address):
        return str(ip)
    if isinstance(ip, str):
        try:
            return socket.getaddrinfo(ip, None, socket.AF_INET)[0][4][0]
        except (socket.gaierror, UnicodeError):
            raise ValueError("cannot resolve %r" % ip) from None
    raise TypeError("ip must be an ipaddress.IPv4Address or a str, not %s" % type(ip).__name__)


class Radio:
    """The computer's network, dressed as CircuitPython's ``wifi.Radio`` (one: ``wifi.radio``)."""

    def __init__(self):
        self._enabled = True
        self._station = True  # the station interface (stop_station/start_station, connect)
        self._ssid = None
        self._hostname = None
        self._scan = None
        self._dns = None

    def _up(self):
        return self._enabled and self._station

    def _link(self):
        return current_link() if self._up() else None

    # --- state ---
    @property
    def enabled(self):
        """True while this radio is on; False takes it offline (the computer's network is untouched)."""
        return self._enabled

    @enabled.setter
    def enabled(self, value):
        self._enabled = bool(value)
        if not self._enabled:
            self._scan = None

    @property
    def connected(self):
        """True while enabled and the station is on: the computer is online (loopback at least)."""
        return self._up()

    @property
    def hostname(self):
        return self._hostname or socket.gethostname()

    @hostname.setter
    def hostname(self, value):
        self._hostname = check_hostname(value)

    @property
    def mac_address(self):
        """The link interface's hardware address; elsewhere the one Python finds (uuid.getnode)."""
        link = current_link()
        mac = link.mac() if link else None
        return mac if mac is not None else uuid.getnode().to_bytes(6, "big")

    @mac_address.setter
    def mac_address(self, value):
        raise NotImplementedError("mac_address is read-only for this board")

    @property
    def tx_power(self):
        """Transmit power in dBm of the Wi-Fi interface; None on a computer with no Wi-Fi link."""
        link = self._link()
        return link.tx_power() if link else None

    @tx_power.setter
    def tx_power(self, value):
        if not isinstance(value, (int, float)):
            raise TypeError("tx_power must be a number")
        raise NotImplementedError("tx_power is read-only for this board")

    @property
    def power_management(self):
        """UNKNOWN: a computer's Wi-Fi power saving is the OS's, not readable here."""
        return PowerManagement.UNKNOWN

    @power_management.setter
    def power_management(self, value):
        if not isinstance(value, PowerManagement):
            raise TypeError("power_management must be of type PowerManagement, not %s" % type(value).__name__)
        if value is PowerManagement.UNKNOWN:
            raise ValueError("Invalid power_management")
        raise NotImplementedError("power_management is read-only for this board")

    # --- addresses ---
    @property
    def ipv4_address(self):
        if not self._up():
            return None
        link = current_link()
        if link is not None:
            return _v4(link.ipv4(SIOCGIFADDR))
        try:
            return ipaddress.IPv4Address(socket.gethostbyname(socket.gethostname()))
        except OSError:
            return ipaddress.IPv4Address("127.0.0.1")

    @property
    def ipv4_subnet(self):
        link = self._link()
        return _v4(link.ipv4(SIOCGIFNETMASK)) if link else None

    @property
    def ipv4_gateway(self):
        link = self._link()
        return _v4(link.gateway) if link else None

    @property
    def ipv4_dns(self):
        """The first IPv4 nameserver of /etc/resolv.conf (or the one set here); None when none."""
        if not self._up():
            return None
        for server in self.dns:
            try:
                return ipaddress.IPv4Address(server)
            except ValueError:
                continue
        return None

    @ipv4_dns.setter
    def ipv4_dns(self, value):
        self.dns = [str(ipaddress.IPv4Address(str(value)))]

    @property
    def dns(self):
        """The nameservers of /etc/resolv.conf, or those set here (for this radio only)."""
        if not self._up():
            return ()
        return tuple(self._dns if self._dns is not None else nameservers())

    @dns.setter
    def dns(self, value):
        self._dns = [str(ipaddress.ip_address(str(v))) for v in value]

    @property
    def addresses(self):
        """The link's IPv4 address and IPv6 addresses, as strings; () when offline."""
        link = self._link()
        if link is None:
            address = self.ipv4_address
            return (str(address),) if address else ()
        v4 = link.ipv4(SIOCGIFADDR)
        return tuple(([v4] if v4 else []) + ipv6_addresses(link.ifname))

    @property
    def ap_info(self):
        """The network the computer is on (see the module doc); None when offline."""
        link = self._link()
        if link is None:
            return Network("(not Wi-Fi)") if self._up() else None
        return link.network()

    # --- joining ---
    def connect(self, ssid, password=b"", *, channel=0, bssid=None, timeout=None):
        """The computer is already online: check the arguments as CircuitPython does, then return."""
        ssid, password = check_join(ssid, password, bssid, self._enabled)
        if timeout is not None:
            float(timeout)
        self._ssid = ssid
        self._station = True

    def disconnect(self):
        self._ssid = None

    def start_station(self):
        """Turn the station back on (after stop_station): online again."""
        self._station = True

    def stop_station(self):
        """Take this radio's station offline (the computer's network is untouched)."""
        self._station = False

    def start_scanning_networks(self, *, start_channel=1, stop_channel=165):
        """A desktop does not scan: the result holds the Wi-Fi network the computer is on, if any."""
        if self._scan is not None:
            raise RuntimeError("Already scanning for wifi networks")
        if not self._enabled:
            raise RuntimeError("WiFi is not enabled")
        info = self.ap_info
        self._scan = ScannedNetworks([info] if info is not None and info.rssi is not None else [])
        return self._scan

    def stop_scanning_networks(self):
        self._scan = None

    def ping(self, ip, *, timeout=0.5):
        """Seconds until ``ip`` answered an ICMP echo; None when it did not within ``timeout``
        seconds (default 0.5) or when this process may not open an ICMP socket."""
        address = ping_address(ip)
        timeout = 0.5 if timeout is None else float(timeout)
        if timeout < 0:
            raise ValueError("timeout must be 0 or more")
        return echo(address, timeout)


radio = Radio()

# Last, after Radio and radio exist: importing wifi.* runs wifi/__init__.py, which imports this
# module back for them (so ``import socketpool_host.wifi_host`` works before ``import wifi`` too).
from wifi._checks import check_hostname, check_join  # noqa: E402
from wifi._network import AuthMode, Network, PowerManagement, ScannedNetworks  # noqa: E402
from wifi._ping import echo  # noqa: E402

__all__ = ["AuthMode", "Network", "PowerManagement", "Radio", "radio"]
