# The time from an NTP server with adafruit_ntp: runs unchanged on a CircuitPython board and
# under `socketpool run examples/ntp_time`.
import os
import time

import adafruit_ntp
import socketpool
import wifi

wifi.radio.connect(os.getenv("CIRCUITPY_WIFI_SSID"), os.getenv("CIRCUITPY_WIFI_PASSWORD"))
pool = socketpool.SocketPool(wifi.radio)
ntp = adafruit_ntp.NTP(pool, server=os.getenv("NTP_SERVER"), port=os.getenv("NTP_PORT") or 123)

now = ntp.datetime
print("Time: %04d-%02d-%02d %02d:%02d:%02d" % now[:6])
print("Unix time (ns):", ntp.utc_ns)
