"""wifi.radio on MicroPython: the network.WLAN logic against a FakeWLAN (no radio can run here),
and the host stand-in on the unix port (no ``network`` module)."""

FAKE_NETWORK = """
import sys
class FakeNetwork:
    # a fake of MicroPython's ``network`` module: STA_IF, status codes, WLAN
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

class FakeWLAN:
    # a fake network.WLAN station: joins after ARGS["polls"] status polls, or fails
    def __init__(self, iface):
        self._active = False
        self._polls = 0
        self._joined = None
        self.calls = []
    def active(self, flag=None):
        if flag is None:
            return self._active
        self._active = flag
    def connect(self, ssid, key=None, **kw):
        self.calls.append(["connect", ssid, key])
        self._joined = ssid
        self._polls = 0
    def disconnect(self):
        self.calls.append(["disconnect"])
        self._joined = None
    def status(self):
        self._polls += 1
        behaviour = ARGS.get("behaviour", "join")
        if behaviour == "wrong_password":
            return FakeNetwork.STAT_WRONG_PASSWORD
        if behaviour == "never" or self._polls < ARGS.get("polls", 3):
            return FakeNetwork.STAT_CONNECTING
        return FakeNetwork.STAT_GOT_IP
    def isconnected(self):
        return self._joined is not None and self.status() == FakeNetwork.STAT_GOT_IP
    def ifconfig(self):
        return ("192.168.4.20", "255.255.255.0", "192.168.4.1", "192.168.4.1")
    def config(self, key=None, **kw):
        if key == "mac":
            return b"\\x02\\x00\\x00\\xaa\\xbb\\xcc"
        raise ValueError("unknown config param")
FakeNetwork.WLAN = FakeWLAN
sys.modules["network"] = FakeNetwork
del sys.modules["wifi._wlan"]  # imported by the preamble without ``network``: import it again
import wifi._wlan as W
radio = W.Radio()
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
    assert r[1:4] == [True, "192.168.4.20", [["connect", "home", "password1"]]]
    assert r[4] == [2, 0, 0, 0xAA, 0xBB, 0xCC]
    assert r[5] == "fake-host" and r[6] is True


def test_connect_wrong_password_raises_connection_error_with_reason(vm):
    r = vm.run(
        FAKE_NETWORK
        + """
try:
    radio.connect("home", "password1", timeout=5)
    out = None
except ConnectionError as e:
    out = [str(e), radio._wlan.calls[-1]]
result(out)
""",
        {"behaviour": "wrong_password"},
    )
    assert r == ["wrong password", ["disconnect"]]


def test_connect_times_out_with_clear_error(vm):
    r = vm.run(
        FAKE_NETWORK
        + """
try:
    radio.connect("home", "password1", timeout=0.3)
    out = None
except ConnectionError as e:
    out = str(e)
result(out)
""",
        {"behaviour": "never"},
    )
    assert r is not None and r.startswith("timed out joining 'home'")


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
    assert r == [["connect", "from-settings", "secret-pw"]]


def test_connect_without_ssid_or_settings_is_clear_error(vm):
    r = vm.run(
        FAKE_NETWORK
        + """
try:
    radio.connect()
    out = None
except ConnectionError as e:
    out = str(e)
result(out)
"""
    )
    assert r is not None and "CIRCUITPY_WIFI_SSID" in r


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
