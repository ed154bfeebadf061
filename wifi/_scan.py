"""``wifi.radio.start_scanning_networks()`` on MicroPython: ``WLAN.scan()`` as ``wifi.Network``s.
Imported on the first scan: a board that never scans never loads it."""

import sys

from wifi._network import Network, authmodes

# scan()'s security code -> AuthMode names: ESP-IDF's wifi_auth_mode_t, or a cyw43 bit mask (rp2)
_ESP_AUTH = (("OPEN",), ("WEP",), ("WPA", "PSK"), ("WPA2", "PSK"), ("WPA", "WPA2", "PSK"),
             ("WPA2", "ENTERPRISE"), ("WPA3", "PSK"), ("WPA2", "WPA3", "PSK"))


def _scan_authmode(code, platform=sys.platform):
    if platform == "rp2":
        names = [n for bit, n in ((1, "PSK"), (2, "WPA"), (4, "WPA2")) if code & bit]
        return authmodes(*(names or ["OPEN"]))
    return authmodes(*_ESP_AUTH[code]) if 0 <= code < len(_ESP_AUTH) else []


def scan(wlan):
    """The networks ``wlan.scan()`` finds (all channels: MicroPython has no channel range)."""
    if not wlan.active():
        wlan.active(True)
    return [Network(bytes(ssid).decode(), bytes(bssid), rssi, chan, "", _scan_authmode(security))
            for ssid, bssid, chan, rssi, security, _hidden in wlan.scan()]
