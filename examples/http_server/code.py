# An HTTP server with adafruit_httpserver: runs unchanged on a CircuitPython board and under
# `socketpool run examples/http_server` (stop it with Ctrl-C).
import os

import socketpool
import wifi
from adafruit_httpserver import POST, Request, Response, Server

wifi.radio.connect(os.getenv("CIRCUITPY_WIFI_SSID"), os.getenv("CIRCUITPY_WIFI_PASSWORD"))
pool = socketpool.SocketPool(wifi.radio)
server = Server(pool, debug=True)


@server.route("/")
def hello(request: Request):
    return Response(request, "Hello from CircuitPython!")


@server.route("/echo", POST)
def echo(request: Request):
    return Response(request, "You sent: " + request.body.decode())


host = os.getenv("HTTP_HOST") or str(wifi.radio.ipv4_address)
server.serve_forever(host, os.getenv("HTTP_PORT") or 80)
