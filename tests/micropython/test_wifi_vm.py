"""wifi.radio on MicroPython: the network.WLAN logic against a FakeWLAN (no radio can run here),
and the host stand-in on the unix port (no ``network`` module)."""

FAKE_NETWORK = """
import sys
class FakeNetwork:
    # a fake of MicroPython's ``network`` module (rp2's status codes): STA_IF, status codes, WLAN
    STA_IF = 0
    STAT_IDLE = 0
    STAT_CONNECTING = 1
    STAT_WRONG_PASSWORD = -3
    STAT_NO_AP_FOUND = -2
    STAT_CONNECT_FAIL = -1
    STAT_GOT_IP = 3
    _hostname = "fake-host"
    @staticmethod
    def hostname(name=None):
        if name is None:
            return FakeNetwork._hostname
        FakeNetwork._hostname = name
    @staticmethod
    def country():
        return "NZ"

class FakeWLAN:
    # a fake network.WLAN station: joins after ARGS["polls"] status polls, or fails as ARGS says
    PM_NONE = 0x10  # rp2's values
    PM_PERFORMANCE = 0xA11142
    PM_POWERSAVE = 0x11
    def __init__(self, iface):
        self._active = False
        self._polls = 0
        self._joined = None
        self._txpower = 20
        self._pm = ARGS.get("pm", 0xA11142)
        self._ifconfig = ("192.168.4.20", "255.255.255.0", "192.168.4.1", "192.168.4.53")
        self.calls = []
    def active(self, flag=None):
        if flag is None:
            return self._active
        self.calls.append(["active", flag])
        self._active = flag
    def connect(self, ssid, key=None, **kw):
        self.calls.append(["connect", ssid, key] + sorted(kw))
        self._joined = ssid
        self._polls = 0
    def disconnect(self):
        self.calls.append(["disconnect"])
        self._joined = None
    def status(self, param=None):
        if param == "rssi":
            if self._joined is None:
                raise OSError(1)
            return -61
        self._polls += 1
        behaviour = ARGS.get("behaviour", "join")
        failure = {"wrong_password": FakeNetwork.STAT_WRONG_PASSWORD, "no_ap": FakeNetwork.STAT_NO_AP_FOUND,
                   "fail": FakeNetwork.STAT_CONNECT_FAIL, "odd": -7}.get(behaviour)
        if failure is not None:
            return failure
        if behaviour == "never" or self._polls < ARGS.get("polls", 3):
            return FakeNetwork.STAT_CONNECTING
        return FakeNetwork.STAT_GOT_IP
    def isconnected(self):
        return self._joined is not None and self.status() == FakeNetwork.STAT_GOT_IP
    def ifconfig(self, conf=None):
        if conf is None:
            return self._ifconfig
        self._ifconfig = tuple(conf)
    def scan(self):
        self.calls.append(["scan"])
        return [(b"home", b"\\x02\\x00\\x00\\x00\\x00\\x01", 6, -40, 3, False),
                (b"cafe", b"\\x02\\x00\\x00\\x00\\x00\\x02", 11, -80, 0, False),
                (b"rp2-style", b"\\x02\\x00\\x00\\x00\\x00\\x03", 1, -70, 5, False)]
    def config(self, key=None, **kw):
        if kw:
            if "txpower" in kw:
                self._txpower = kw["txpower"]
                return
            if "pm" in kw:
                self._pm = kw["pm"]
                return
            raise ValueError("unknown config param")
        if key == "mac":
            return b"\\x02\\x00\\x00\\xaa\\xbb\\xcc"
        if key == "ssid":
            return self._joined or ""
        if key == "channel":
            return 6
        if key == "txpower":
            return self._txpower
        if key == "pm":
            return self._pm
        raise ValueError("unknown config param")
FakeNetwork.WLAN = FakeWLAN
sys.modules["network"] = FakeNetwork
del sys.modules["wifi._wlan"]  # imported by the preamble without ``network``: import it again
import wifi._wlan as W
radio = W.Radio()
def attrs(r):
    info = r.ap_info
    info = None if info is None else [info.ssid, None if info.bssid is None else list(info.bssid), info.rssi,
                                      info.channel, info.country, [repr(a) for a in info.authmode]]
    return [r.enabled, r.connected, r.ipv4_address, r.ipv4_subnet, r.ipv4_gateway, r.ipv4_dns,
            list(r.dns), list(r.addresses), info, r.tx_power]
def connect_error(*a, **kw):
    # what radio.connect raised, [type name, message], if a ConnectionError; None if it joined
    try:
        radio.connect(*a, **kw)
    except ConnectionError as e:
        return [type(e).__name__, str(e)]
    return None
"""


def test_radio_class_is_named_radio_and_unix_port_stands_for_host(vm):
    r = vm.run(
        """
import wifi
r = wifi.radio
result([type(r).__name__, r.connected, r.enabled, r.ipv4_address, err(r.connect, "home", "password1")])
"""
    )
    assert r == ["Radio", True, True, "127.0.0.1", None]


def test_connect_waits_for_link_and_address_on_fake_wlan(vm):
    r = vm.run(
        FAKE_NETWORK
        + """
before = [radio.connected, radio.ipv4_address]
radio.connect("home", "password1", timeout=5)
result([before, radio.connected, radio.ipv4_address, radio._wlan.calls, list(radio.mac_address),
        radio.hostname, radio.enabled])
""",
        {"polls": 4},
    )
    assert r[0] == [False, None]
    assert r[1:4] == [True, "192.168.4.20", [["active", True], ["connect", "home", "password1"]]]
    assert r[4] == [2, 0, 0, 0xAA, 0xBB, 0xCC]
    assert r[5] == "fake-host" and r[6] is True


def test_connect_times_out_with_clear_error(vm):
    r = vm.run(
        FAKE_NETWORK
        + """
result(connect_error("home", "password1", timeout=0.3))
""",
        {"behaviour": "never"},
    )
    assert r is not None and r[0] == "ConnectionError"
    assert r[1].startswith("Unknown failure 1: no link to 'home' after 0.3 s")


def test_connect_without_ssid_reads_settings_toml(vm, tmp_path):
    (tmp_path / "settings.toml").write_text(
        'CIRCUITPY_WIFI_SSID = "from-settings"\nCIRCUITPY_WIFI_PASSWORD = "secret-pw"\n'
    )
    r = vm.run(
        FAKE_NETWORK
        + """
radio.connect(timeout=5)
result(radio._wlan.calls)
""",
        {"polls": 1},
    )
    assert r == [["active", True], ["connect", "from-settings", "secret-pw"]]


def test_connect_without_ssid_or_settings_is_clear_error(vm):
    r = vm.run(
        FAKE_NETWORK
        + """
result(connect_error())
"""
    )
    assert r is not None and r[0] == "ConnectionError" and "CIRCUITPY_WIFI_SSID" in r[1]


def test_pool_accepts_a_network_wlan_as_radio(vm):
    r = vm.run(
        FAKE_NETWORK
        + """
import socketpool
p = socketpool.SocketPool(radio._wlan)
result([p is socketpool.SocketPool(radio._wlan), p is not pool, err(socketpool.SocketPool, object())])
"""
    )
    assert r == [True, True, ["ValueError", "SocketPool needs a radio, such as wifi.radio"]]


def test_every_attribute_on_the_fake_wlan_before_and_after_joining(vm):
    r = vm.run(
        FAKE_NETWORK
        + """
before = attrs(radio)
radio.connect("home", "password1", timeout=5)
after = attrs(radio)
radio.disconnect()
result([before, after, attrs(radio)])
""",
        {"polls": 2},
    )
    offline = [True, False, None, None, None, None, [], [], None, 20.0]
    assert r[0] == offline and r[2] == offline
    assert r[1] == [True, True, "192.168.4.20", "255.255.255.0", "192.168.4.1", "192.168.4.53",
                    ["192.168.4.53"], ["192.168.4.20"],
                    ["home", None, -61, 6, "NZ", ["wifi.AuthMode.WPA2", "wifi.AuthMode.PSK"]], 20.0]


def test_ap_info_of_an_open_network_and_the_bssid_asked_for(vm):
    r = vm.run(
        FAKE_NETWORK
        + """
radio.connect("cafe", bssid=b"\\x02\\x00\\x00\\x00\\x00\\x02", timeout=5)
info = radio.ap_info
result([list(info.bssid), [repr(a) for a in info.authmode], radio._wlan.calls[-1]])
""",
        {"polls": 1},
    )
    assert r == [[2, 0, 0, 0, 0, 2], ["wifi.AuthMode.OPEN"], ["connect", "cafe", None, "bssid"]]


def test_connect_to_the_network_it_is_on_returns_at_once(vm):
    r = vm.run(
        FAKE_NETWORK
        + """
radio.connect("home", "password1", timeout=5)
n = len(radio._wlan.calls)
radio.connect("home", "password1", timeout=5)
result(len(radio._wlan.calls) - n)
""",
        {"polls": 1},
    )
    assert r == 0


def test_connect_failures_carry_circuitpythons_messages(vm):
    out = {}
    for behaviour in ("no_ap", "fail", "odd", "wrong_password"):
        out[behaviour] = vm.run(
            FAKE_NETWORK
            + """
e = connect_error("home", "password1", timeout=5)
result(None if e is None else e + [radio.connected, radio._wlan.calls[-1]])
""",
            {"behaviour": behaviour},
        )
    assert out == {
        "no_ap": ["ConnectionError", "No network with that ssid", False, ["disconnect"]],
        "fail": ["ConnectionError", "Unknown failure 205", False, ["disconnect"]],
        "odd": ["ConnectionError", "Unknown failure -7", False, ["disconnect"]],
        "wrong_password": ["ConnectionError", "Authentication failure", False, ["disconnect"]],
    }


def test_connect_argument_checks_and_disabled_radio(vm):
    r = vm.run(
        FAKE_NETWORK
        + """
out = [err(radio.connect, "x" * 33), err(radio.connect, "home", "short"), err(radio.connect, "home", "z" * 64)]
out.append(err(lambda: radio.connect("home", "password1", bssid=b"12")))
radio.enabled = False
out.append(err(radio.connect, "home", "password1"))
out.append(err(radio.start_scanning_networks))
out.append([radio.enabled, radio.connected, radio._wlan.calls])
result(out)
"""
    )
    assert r == [
        ["ValueError", "ssid length must be 1-32"],
        ["ValueError", "password length must be 8-64"],
        ["ValueError", "Invalid hex password"],
        ["ValueError", "Invalid BSSID"],
        ["RuntimeError", "WiFi is not enabled"],
        ["RuntimeError", "WiFi is not enabled"],
        [False, False, [["active", False]]],
    ]


def test_scan_gives_networks_with_authmodes_and_one_scan_at_a_time(vm):
    r = vm.run(
        FAKE_NETWORK
        + """
scan = radio.start_scanning_networks()
again = err(radio.start_scanning_networks)
found = [[n.ssid, list(n.bssid), n.rssi, n.channel, [repr(a) for a in n.authmode]] for n in scan]
radio.stop_scanning_networks()
# rp2's scan gives the cyw43 bit mask: 5 = PSK | WPA2
import wifi._scan as S
rp2 = [repr(a) for a in S._scan_authmode(5, "rp2")] + [repr(a) for a in S._scan_authmode(0, "rp2")]
result([again, found, len(list(radio.start_scanning_networks())), rp2])
"""
    )
    assert r[0] == ["RuntimeError", "Already scanning for wifi networks"]
    assert r[1] == [
        ["home", [2, 0, 0, 0, 0, 1], -40, 6, ["wifi.AuthMode.WPA2", "wifi.AuthMode.PSK"]],
        ["cafe", [2, 0, 0, 0, 0, 2], -80, 11, ["wifi.AuthMode.OPEN"]],
        ["rp2-style", [2, 0, 0, 0, 0, 3], -70, 1, ["wifi.AuthMode.WPA2", "wifi.AuthMode.ENTERPRISE"]],
    ]
    assert r[2] == 3
    assert r[3] == ["wifi.AuthMode.WPA2", "wifi.AuthMode.PSK", "wifi.AuthMode.OPEN"]


def test_tx_power_hostname_mac_and_dns_setters(vm):
    r = vm.run(
        FAKE_NETWORK
        + """
radio.tx_power = 8.5
out = [radio.tx_power, err(setattr, radio, "tx_power", "x")]
radio.hostname = "board-7"
out += [radio.hostname, err(setattr, radio, "hostname", "bad_name"), err(setattr, radio, "hostname", "")]
out.append(err(setattr, radio, "mac_address", b"\\x02\\x00\\x00\\x00\\x00\\x09"))
out.append(err(setattr, radio, "mac_address", b"\\x02"))
out.append(err(setattr, radio, "ipv4_dns", "192.168.4.99"))
radio.connect("home", "password1", timeout=5)
radio.ipv4_dns = "192.168.4.99"
out.append(radio.ipv4_dns)
result(out)
""",
        {"polls": 1},
    )
    assert r == [8.5, ["TypeError", "tx_power must be a number"], "board-7",
                 ["ValueError", "invalid hostname"], ["ValueError", "hostname length must be 1-253"],
                 ["NotImplementedError", "mac_address is read-only for this board"],
                 ["ValueError", "Invalid MAC address"],
                 ["RuntimeError", "Interface must be started"], "192.168.4.99"]


def test_unix_port_radio_every_attribute_and_a_real_ping(vm):
    """No ``network`` on the unix port: the radio is the host's network, and says it is not Wi-Fi."""
    r = vm.run(
        """
r = wifi.radio
info = r.ap_info
out = [r.enabled, r.connected, r.ipv4_address, r.ipv4_subnet, r.ipv4_gateway, list(r.addresses),
       [info.ssid, info.bssid, info.rssi, info.channel, info.country, info.authmode], r.tx_power,
       list(r.mac_address), list(r.start_scanning_networks()), r.hostname]
r.stop_scanning_networks()
t = r.ping("127.0.0.1")
out.append([type(t).__name__, t is not None and t >= 0, type(r.ping("localhost", timeout=2)).__name__])
out.append([err(r.ping, 5), err(lambda: r.ping("127.0.0.1", timeout=-1))])
out.append([repr(wifi.AuthMode.WPA3), type(wifi.Network("x")).__name__])
result(out)
"""
    )
    assert r[:6] == [True, True, "127.0.0.1", "255.0.0.0", None, ["127.0.0.1"]]
    assert r[6] == ["host network (not Wi-Fi)", None, None, None, "", []]
    assert r[7:11] == [None, [0] * 6, [], "micropython"]
    assert r[11] == ["float", True, "float"]
    assert r[12] == [["TypeError", "ip must be an ipaddress.IPv4Address or a str"],
                     ["ValueError", "timeout must be 0 or more"]]
    assert r[13] == ["wifi.AuthMode.WPA3", "Network"]


def test_stop_and_start_station(vm):
    r = vm.run(
        FAKE_NETWORK
        + """
radio.connect("home", "password1", timeout=5)
radio.stop_station()
stopped = [radio.connected, radio.ipv4_address, radio.ap_info, radio._wlan.calls[-1]]
radio.start_station()
radio.connect("home", "password1", timeout=5)
host = wifi.radio
host.stop_station()
host_stopped = [host.connected, host.ipv4_address, host.ap_info]
host.start_station()
result([stopped, radio.connected, host_stopped, host.connected])
""",
        {"polls": 1},
    )
    assert r == [[False, None, None, ["disconnect"]], True, [False, None, None], True]


def test_circuitpython_ipaddress_and_ping_with_it(vm):
    """compat/ipaddress.py: CircuitPython's IPv4Address and ip_address on MicroPython (which has
    no ipaddress), and wifi.radio.ping taking one, as CircuitPython's own examples do."""
    r = vm.run(
        """
import ipaddress
a = ipaddress.ip_address("127.0.0.1")
b = ipaddress.IPv4Address(b"\\x7f\\x00\\x00\\x01")
c = ipaddress.IPv4Address(0x7F000001)
out = [str(a), repr(a), list(a.packed), a.version, a == b, a == c, a != b, hash(a) == hash(b),
       a == ipaddress.ip_address("127.0.0.2"), a == "127.0.0.1", ipaddress.IPv4Address(a) == a]
out.append([err(ipaddress.ip_address, s) for s in ("1.2.3", "1.2.3.256", "a.b.c.d", "1..2.3", "")])
out.append([err(ipaddress.ip_address, b"\\x01\\x02\\x03\\x04"), err(ipaddress.IPv4Address, b"\\x01"),
            err(ipaddress.IPv4Address, -1), err(ipaddress.IPv4Address, 2 ** 32)])
t = wifi.radio.ping(a)
out.append([type(t).__name__, t >= 0, err(wifi.radio.ping, 5)])
result(out)
"""
    )
    assert r[:11] == ["127.0.0.1", "IPv4Address('127.0.0.1')", [127, 0, 0, 1], 4, True, True, False, True,
                      False, False, True]
    assert r[11] == [["ValueError", "Not a valid IP string"]] * 5
    assert r[12] == [["ValueError", "Only int or string supported for ip"],
                     ["ValueError", "Address must be 4 bytes long"], ["ValueError", "Not a valid IP address"],
                     ["ValueError", "Not a valid IP address"]]
    assert r[13] == ["float", True, ["TypeError", "ip must be an ipaddress.IPv4Address or a str"]]


def test_power_management_over_wlan_config_pm(vm):
    r = vm.run(
        FAKE_NETWORK
        + """
PM = wifi.PowerManagement
out = [repr(radio.power_management)]
radio.power_management = PM.NONE
out += [radio._wlan._pm, repr(radio.power_management)]
radio.power_management = PM.MAX
out += [radio._wlan._pm, repr(radio.power_management)]
radio._wlan._pm = 0xA11140  # a custom cyw43 value
out.append(repr(radio.power_management))
out += [err(setattr, radio, "power_management", PM.UNKNOWN), err(setattr, radio, "power_management", "NONE")]
out.append(repr(wifi.radio.power_management))  # the unix port: no radio
result(out)
"""
    )
    assert r == ["wifi.PowerManagement.MIN", 0x10, "wifi.PowerManagement.NONE", 0x11, "wifi.PowerManagement.MAX",
                 "wifi.PowerManagement.UNKNOWN", ["ValueError", "Invalid power_management"],
                 ["TypeError", "power_management must be of type PowerManagement, not str"],
                 "wifi.PowerManagement.UNKNOWN"]
