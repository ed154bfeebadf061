# HTTP GET with adafruit_requests: runs unchanged on a CircuitPython board and under
# `socketpool run examples/http_get`.
import os

import adafruit_connection_manager
import adafruit_requests
import wifi

wifi.radio.connect(os.getenv("CIRCUITPY_WIFI_SSID"), os.getenv("CIRCUITPY_WIFI_PASSWORD"))
print("Connected, IP address", wifi.radio.ipv4_address)

pool = adafruit_connection_manager.get_radio_socketpool(wifi.radio)
ssl_context = adafruit_connection_manager.get_radio_ssl_context(wifi.radio)
requests = adafruit_requests.Session(pool, ssl_context)

url = os.getenv("HTTP_URL")
print("Fetching", url)
with requests.get(url) as response:
    print("Status:", response.status_code)
    print(response.text)
