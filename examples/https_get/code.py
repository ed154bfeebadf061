# HTTPS GET with adafruit_requests and the board's ssl: runs unchanged on a CircuitPython
# board and under `socketpool run examples/https_get`. The certificate is verified against the
# built-in CA bundle, or against the CA in the file HTTPS_CA_FILE names on the drive (for a private
# server; e.g. /ca.pem beside code.py).
import os

import adafruit_connection_manager
import adafruit_requests
import wifi

wifi.radio.connect(os.getenv("CIRCUITPY_WIFI_SSID"), os.getenv("CIRCUITPY_WIFI_PASSWORD"))

pool = adafruit_connection_manager.get_radio_socketpool(wifi.radio)
ssl_context = adafruit_connection_manager.get_radio_ssl_context(wifi.radio)
ca_file = os.getenv("HTTPS_CA_FILE")
if ca_file:
    with open(ca_file) as f:
        ssl_context.load_verify_locations(cadata=f.read())
requests = adafruit_requests.Session(pool, ssl_context)

url = os.getenv("HTTPS_URL")
print("Fetching", url)
with requests.get(url) as response:
    print("Status:", response.status_code)
    print(response.text)
