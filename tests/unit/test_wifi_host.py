"""wifi on CPython (socketpool_host/wifi_host.py): every attribute against what the OS says.

Most values are read in a network namespace the test makes (a veth with an address and a default
route it sets, loopback only, ICMP echoes ignored), so the expected values are the ones set.
A Wi-Fi interface cannot be made here: the wireless path is tested against a FakeWirelessIoctl
and fake /proc, /sys files.
"""

import ipaddress
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time

import pytest

import wifi
from socketpool_host import wifi_host

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def netns_run(setup, body, timeout=60, prefix=""):
    """Run ``body`` (Python; prints one JSON line last) in a fresh network + mount namespace
    after the shell ``setup`` lines (``prefix``: a command to run Python under); skip where
    namespaces cannot be made."""
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        pytest.skip("needs root, unshare and ip to make a network namespace")
    script = "import json, wifi, socket\nr = wifi.radio\n" + body
    shell = "mount -t sysfs sysfs /sys && ip link set lo up && %s%s%s -c %s" % (
        setup + " && " if setup else "",
        prefix,
        sys.executable,
        _quote(script),
    )
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run(["unshare", "-n", "-m", "sh", "-c", shell], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)
    if proc.returncode != 0 and "unshare failed" in proc.stderr:
        pytest.skip("cannot make a network namespace here: " + proc.stderr.strip())
    if proc.returncode != 0 and prefix and "Permission denied" in proc.stderr:
        pytest.skip("the unprivileged user cannot run this checkout's Python: " + proc.stderr.strip()[-200:])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _quote(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"


VALUES = """
info = r.ap_info
print(json.dumps([str(r.ipv4_address), str(r.ipv4_subnet), str(r.ipv4_gateway), list(r.addresses),
                  r.mac_address.hex(), [info.ssid, info.bssid, info.rssi, info.channel, info.country,
                  info.authmode], r.tx_power, r.connected, type(r.ipv4_address).__name__]))
"""


def test_values_are_the_default_route_interface_set_in_a_namespace():
    r = netns_run(
        "ip link add v0 type veth peer name v1 && ip link set v0 address 02:00:00:00:00:42 && "
        "ip link set v0 up && ip addr add 198.51.100.2/24 dev v0 && "
        "ip -6 addr add 2001:db8::2/64 dev v0 nodad && ip route add default via 198.51.100.1",
        VALUES,
    )
    assert r[:3] == ["198.51.100.2", "255.255.255.0", "198.51.100.1"]
    assert r[3][0] == "198.51.100.2" and "2001:db8::2" in r[3]
    assert r[4] == "020000000042"
    # a cable is not a Wi-Fi network: it says so, and has no signal strength to make up
    assert r[5] == ["v0 (wired, not Wi-Fi)", None, None, None, "", []]
    assert r[6] is None and r[7] is True and r[8] == "IPv4Address"


def test_without_a_default_route_the_radio_is_loopback():
    r = netns_run("", VALUES)
    assert r[:3] == ["127.0.0.1", "255.0.0.0", "None"]
    assert r[3][0] == "127.0.0.1"
    assert r[5][0] == "lo (loopback, not Wi-Fi)" and r[5][2] is None


def test_values_on_this_machine_match_iproute2():
    """The machine's own link, read independently with ``ip -j``."""
    if not shutil.which("ip"):
        pytest.skip("iproute2 not installed")
    routes = json.loads(subprocess.run(["ip", "-j", "route", "show", "default"], capture_output=True,
                                       text=True, check=True).stdout)
    r = wifi.radio
    if not routes:
        assert str(r.ipv4_address) == "127.0.0.1" and r.ipv4_gateway is None
        return
    dev = routes[0]["dev"]
    link = json.loads(subprocess.run(["ip", "-j", "addr", "show", "dev", dev], capture_output=True,
                                     text=True, check=True).stdout)[0]
    v4 = [a for a in link["addr_info"] if a["family"] == "inet"][0]
    assert r.ipv4_gateway == ipaddress.IPv4Address(routes[0]["gateway"])
    assert r.ipv4_address == ipaddress.IPv4Address(v4["local"])
    assert r.ipv4_subnet == ipaddress.IPv4Network("0.0.0.0/%d" % v4["prefixlen"]).netmask
    assert r.mac_address == bytes.fromhex(link["address"].replace(":", ""))
    assert set(r.addresses) == {a["local"] for a in link["addr_info"]}
    wireless = os.path.isdir("/sys/class/net/%s/wireless" % dev)
    assert (r.ap_info.rssi is not None) == wireless
    if not wireless:
        assert "not Wi-Fi" in r.ap_info.ssid and r.tx_power is None


def test_dns_is_resolv_conf_and_can_be_set_for_this_radio(tmp_path, monkeypatch):
    conf = tmp_path / "resolv.conf"
    conf.write_text("# comment\nsearch example\nnameserver fe80::1%eth0\nnameserver 192.0.2.53\n"
                    "nameserver 192.0.2.54\n")
    monkeypatch.setattr(wifi_host, "_RESOLV", str(conf))
    monkeypatch.setattr(wifi_host.nameservers, "__defaults__", (str(conf),))
    r = wifi_host.Radio()
    assert r.dns == ("fe80::1", "192.0.2.53", "192.0.2.54")
    assert r.ipv4_dns == ipaddress.IPv4Address("192.0.2.53")
    r.ipv4_dns = ipaddress.IPv4Address("192.0.2.99")
    assert r.ipv4_dns == ipaddress.IPv4Address("192.0.2.99") and r.dns == ("192.0.2.99",)
    with pytest.raises(ValueError):
        r.ipv4_dns = "not an address"
    conf.write_text("")
    assert wifi_host.Radio().ipv4_dns is None and wifi_host.Radio().dns == ()


# --- a Wi-Fi interface: only a fake can be had here ---


class FakeWirelessIoctl:
    """A fake of the kernel's wireless-extension ioctls for one associated interface."""

    def __init__(self, essid=b"home-net", bssid=b"\x02\x11\x22\x33\x44\x55", freq=(2437, 6),
                 txpower=(20, 0, 0, 0), associated=True):
        self.essid, self.bssid, self.freq, self.txpower = essid, bssid, freq, txpower
        self.associated = associated

    def __call__(self, request, buf, *extra):
        if request == wifi_host.SIOCGIWESSID:
            if not self.associated:
                raise OSError(95, "not associated")
            target = extra[0]
            target[: len(self.essid)] = type(target)("B", self.essid)
            struct.pack_into("H", buf, 16 + struct.calcsize("P"), len(self.essid))
        elif request == wifi_host.SIOCGIWAP:
            buf[16:18] = b"\x01\x00"
            buf[18:24] = self.bssid
        elif request == wifi_host.SIOCGIWFREQ:
            struct.pack_into("ih", buf, 16, *self.freq)
        elif request == wifi_host.SIOCGIWTXPOW:
            struct.pack_into("iBBH", buf, 16, *self.txpower)
        else:
            raise OSError(19, "no such device")


@pytest.fixture
def fake_wlan0(tmp_path):
    proc, sysfs = tmp_path / "proc", tmp_path / "sys"
    (proc / "net").mkdir(parents=True)
    (sysfs / "class/net/wlan0/wireless").mkdir(parents=True)
    (sysfs / "class/net/wlan0/type").write_text("1\n")
    (proc / "net/wireless").write_text(
        "Inter-| sta-|   Quality        |   Discarded packets\n"
        " face | tus | link level noise |  nwid  crypt   frag\n"
        " wlan0: 0000   54.  -56.  -256        0      0      0\n"
    )
    return str(proc), str(sysfs)


def test_a_wifi_interface_gives_its_network(fake_wlan0):
    proc, sysfs = fake_wlan0
    link = wifi_host.Link("wlan0", "192.0.2.1", proc=proc, sys=sysfs, ioctl=FakeWirelessIoctl())
    n = link.network()
    assert isinstance(n, wifi.Network)
    assert [n.ssid, n.bssid, n.rssi, n.channel, n.country, n.authmode] == [
        "home-net", b"\x02\x11\x22\x33\x44\x55", -56, 6, "", []]
    assert link.tx_power() == 20.0


def test_a_wifi_interface_frequency_in_hz_and_power_in_milliwatts(fake_wlan0):
    proc, sysfs = fake_wlan0
    fake = FakeWirelessIoctl(freq=(518000000, 1), txpower=(100, 0, 0, wifi_host.IW_TXPOW_MWATT))
    link = wifi_host.Link("wlan0", None, proc=proc, sys=sysfs, ioctl=fake)
    assert link.network().channel == 36
    assert link.tx_power() == pytest.approx(20.0)
    fake.txpower = (0, 0, 1, 0)  # transmitter off
    assert link.tx_power() is None


def test_a_wifi_interface_not_associated_has_no_ap_info(fake_wlan0, monkeypatch):
    proc, sysfs = fake_wlan0
    link = wifi_host.Link("wlan0", None, proc=proc, sys=sysfs, ioctl=FakeWirelessIoctl(associated=False))
    monkeypatch.setattr(wifi_host, "current_link", lambda: link)
    r = wifi_host.Radio()
    assert r.ap_info is None
    assert list(r.start_scanning_networks()) == []


def test_scan_on_wifi_lists_the_network_the_computer_is_on(fake_wlan0, monkeypatch):
    proc, sysfs = fake_wlan0
    link = wifi_host.Link("wlan0", None, proc=proc, sys=sysfs, ioctl=FakeWirelessIoctl())
    monkeypatch.setattr(wifi_host, "current_link", lambda: link)
    r = wifi_host.Radio()
    assert r.ap_info.rssi == -56 and r.ap_info.ssid == "home-net"
    assert [n.ssid for n in r.start_scanning_networks()] == ["home-net"]


@pytest.mark.parametrize("freq,channel", [(1, 1), (13, 13), (2412e6, 1), (2472e6, 13), (2484e6, 14),
                                          (5180e6, 36), (5825e6, 165), (5955e6, 1), (6115e6, 33),
                                          (900e6, None)])
def test_channel_of_frequency(freq, channel):
    assert wifi_host.channel_of(freq) == channel


def test_default_route_parsing(tmp_path):
    (tmp_path / "net").mkdir()
    route = tmp_path / "net/route"
    header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
    route.write_text(header + "eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")
    assert wifi_host.default_route(str(tmp_path)) == (None, None)
    gw = struct.unpack("=L", socket.inet_aton("192.168.0.1"))[0]
    route.write_text(header + "eth0\t00000000\t%08X\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" % gw)
    assert wifi_host.default_route(str(tmp_path)) == ("eth0", "192.168.0.1")


# --- the radio's state and its checks ---


def test_types_and_auth_modes():
    assert isinstance(wifi.radio, wifi.Radio) and type(wifi.radio).__name__ == "Radio"
    assert repr(wifi.AuthMode.WPA2) == "wifi.AuthMode.WPA2" and str(wifi.AuthMode.PSK) == "wifi.AuthMode.PSK"
    names = ["OPEN", "WEP", "WPA", "WPA2", "WPA3", "PSK", "ENTERPRISE"]
    assert len({id(getattr(wifi.AuthMode, n)) for n in names}) == 7
    from wifi._network import authmodes

    assert authmodes("PSK", "WPA2", "WPA") == [wifi.AuthMode.WPA, wifi.AuthMode.WPA2, wifi.AuthMode.PSK]


def test_disabled_radio_is_offline_and_refuses_to_join_or_scan():
    r = wifi_host.Radio()
    r.enabled = False
    assert [r.enabled, r.connected, r.ipv4_address, r.ipv4_subnet, r.ipv4_gateway, r.ipv4_dns, r.ap_info,
            r.addresses, r.dns, r.tx_power] == [False, False, None, None, None, None, None, (), (), None]
    with pytest.raises(RuntimeError, match="^WiFi is not enabled$"):
        r.connect("home", "password1")
    with pytest.raises(RuntimeError, match="^WiFi is not enabled$"):
        r.start_scanning_networks()
    r.enabled = True
    assert r.connected and r.ipv4_address is not None and r.ap_info is not None


@pytest.mark.parametrize(
    "args,kwargs,error,message",
    [
        (("",), {}, ValueError, "ssid length must be 1-32"),
        (("x" * 33,), {}, ValueError, "ssid length must be 1-32"),
        (("home", "short"), {}, ValueError, "password length must be 8-64"),
        (("home", "p" * 65), {}, ValueError, "password length must be 8-64"),
        (("home", "g" * 64), {}, ValueError, "Invalid hex password"),
        (("home", "password1"), {"bssid": b"\x01\x02"}, ValueError, "Invalid BSSID"),
        ((42,), {}, TypeError, "ssid"),
        (("home", 12345678), {}, TypeError, "password"),
        (("home", "password1"), {"timeout": "soon"}, ValueError, "could not convert"),
    ],
)
def test_connect_checks_its_arguments_as_circuitpython(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        wifi_host.Radio().connect(*args, **kwargs)


def test_connect_with_good_arguments_returns_at_once():
    r = wifi_host.Radio()
    assert r.connect("home", "password1", channel=6, bssid=b"\x02\x00\x00\x00\x00\x01", timeout=5) is None
    assert r.connect(b"open-net") is None and r.connect("hexnet", "0123456789abcdef" * 4) is None
    assert r.connected


def test_hostname_is_the_computers_and_is_checked_when_set():
    r = wifi_host.Radio()
    assert r.hostname == socket.gethostname()
    r.hostname = "my-board.local"
    assert r.hostname == "my-board.local"
    r.hostname = b"bytes-name"
    assert r.hostname == "bytes-name"
    for bad, message in [("", "hostname length must be 1-253"), ("a" * 254, "hostname length must be 1-253"),
                         ("under_score", "invalid hostname"), ("-dash", "invalid hostname"),
                         ("a..b", "invalid hostname"), ("x" * 64, "invalid hostname")]:
        with pytest.raises(ValueError, match="^%s$" % message):
            r.hostname = bad
    with pytest.raises(TypeError):
        r.hostname = 5
    assert r.hostname == "bytes-name"


def test_read_only_on_a_desktop():
    r = wifi_host.Radio()
    assert r.power_management is wifi.PowerManagement.UNKNOWN
    assert repr(wifi.PowerManagement.NONE) == "wifi.PowerManagement.NONE"
    with pytest.raises(NotImplementedError, match="^power_management is read-only for this board$"):
        r.power_management = wifi.PowerManagement.NONE
    with pytest.raises(ValueError, match="^Invalid power_management$"):
        r.power_management = wifi.PowerManagement.UNKNOWN
    with pytest.raises(TypeError, match="must be of type PowerManagement"):
        r.power_management = 0
    with pytest.raises(NotImplementedError, match="tx_power is read-only"):
        r.tx_power = 15
    with pytest.raises(TypeError):
        r.tx_power = "high"
    with pytest.raises(NotImplementedError, match="mac_address is read-only"):
        r.mac_address = b"\x02\x00\x00\x00\x00\x01"
    assert len(r.mac_address) == 6


def test_one_scan_at_a_time():
    r = wifi_host.Radio()
    scan = r.start_scanning_networks()
    with pytest.raises(RuntimeError, match="^Already scanning for wifi networks$"):
        r.start_scanning_networks(start_channel=1, stop_channel=11)
    assert iter(scan) is scan
    found = list(scan)
    assert all(isinstance(n, wifi.Network) and n.rssi is not None for n in found)
    r.stop_scanning_networks()
    r.stop_scanning_networks()  # twice is fine
    r.start_scanning_networks()
    r.stop_scanning_networks()


# --- ping: real ICMP to loopback ---


def test_ping_loopback():
    r = wifi_host.Radio()
    for ip in (ipaddress.IPv4Address("127.0.0.1"), "127.0.0.1", "localhost"):
        t = r.ping(ip)
        assert isinstance(t, float) and t >= 0, (ip, t)
    assert isinstance(r.ping("127.0.0.1", timeout=None), float)
    assert isinstance(r.ping("127.0.0.1", timeout=2), float)


def test_ping_bad_arguments():
    r = wifi_host.Radio()
    with pytest.raises(TypeError, match="IPv4Address or a str"):
        r.ping(b"127.0.0.1")
    with pytest.raises(ValueError, match="timeout"):
        r.ping("127.0.0.1", timeout=-1)
    with pytest.raises(ValueError, match="cannot resolve"):
        r.ping("no-such-host.invalid")
    with pytest.raises(TypeError):
        r.ping("127.0.0.1", 0.5)  # timeout is keyword-only, as in CircuitPython


def test_ping_unprivileged_icmp_socket():
    """The datagram ICMP socket a user without root gets, where ping_group_range allows it."""
    r = netns_run(
        "sysctl -qw net.ipv4.ping_group_range='0 2147483647'",
        "from wifi._ping import echo\n"
        "print(json.dumps([echo('127.0.0.1', 2, [socket.SOCK_DGRAM]), r.ping('127.0.0.1', timeout=2)]))\n",
    )
    assert isinstance(r[0], float) and r[0] >= 0 and isinstance(r[1], float)


def test_ping_that_gets_no_answer_returns_none_after_the_timeout():
    r = netns_run(
        "sysctl -qw net.ipv4.icmp_echo_ignore_all=1",
        "import time\nt = time.monotonic()\nv = r.ping('127.0.0.1', timeout=0.3)\n"
        "print(json.dumps([v, time.monotonic() - t]))\n",
    )
    assert r[0] is None and r[1] >= 0.3


def test_ping_without_any_icmp_socket_is_none():
    """Not root and ping_group_range excludes the user: no ICMP socket can be opened."""
    if not shutil.which("setpriv"):
        pytest.skip("setpriv not installed")
    r = netns_run(
        "sysctl -qw net.ipv4.ping_group_range='1 0'",
        "s = None\n"
        "try:\n    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 1)\nexcept OSError:\n    pass\n"
        "print(json.dumps([s is None, r.ping('127.0.0.1', timeout=0.2)]))\n",
        prefix="setpriv --reuid=65534 --regid=65534 --clear-groups ",
    )
    assert r == [True, None]


# --- a CircuitPython program ---


def test_requests_wifi_simpletest_opening_gets_past_ap_info_rssi():
    """The first lines of Adafruit's requests_wifi_simpletest.py, on plain CPython."""
    code = (
        "import adafruit_connection_manager, wifi, adafruit_requests\n"
        "pool = adafruit_connection_manager.get_radio_socketpool(wifi.radio)\n"
        "ssl_context = adafruit_connection_manager.get_radio_ssl_context(wifi.radio)\n"
        "requests = adafruit_requests.Session(pool, ssl_context)\n"
        "rssi = wifi.radio.ap_info.rssi\n"
        "print(f'Signal Strength: {rssi}')\n"
        "wifi.radio.connect('test network', 'test password')\n"
        "print('connected', wifi.radio.connected, wifi.radio.ap_info.ssid)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.returncode == 0, out.stderr
    wired = not any(os.path.isdir("/sys/class/net/%s/wireless" % n) for n in os.listdir("/sys/class/net"))
    if wired:
        assert "Signal Strength: None\n" in out.stdout and "not Wi-Fi" in out.stdout
    assert "connected True" in out.stdout


def test_stop_station_takes_the_radio_offline_until_started_or_connected():
    r = wifi_host.Radio()
    r.stop_station()
    assert [r.enabled, r.connected, r.ipv4_address, r.ap_info, r.addresses] == [True, False, None, None, ()]
    r.start_station()
    assert r.connected and r.ipv4_address is not None
    r.stop_station()
    r.connect("home", "password1")
    assert r.connected and r.ap_info is not None


@pytest.mark.parametrize("first", ["socketpool_host.wifi_host", "wifi", "socketpool"])
def test_any_import_order_works(first):
    code = ("import %s\nimport wifi, socketpool_host.wifi_host as h\n"
            "assert wifi.Radio is h.Radio and wifi.radio is h.radio and wifi.Network is h.Network\n"
            "print(type(wifi.radio.ap_info).__name__)\n" % first)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.returncode == 0 and out.stdout == "Network\n", out.stderr
