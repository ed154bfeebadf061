# The plainest socketpool client: an HTTP/1.0 request over a TCP socket. Runs unchanged on a
# CircuitPython board and under `socketpool run examples/socketpool_simpletest`.
import os

import socketpool
import wifi

wifi.radio.connect(os.getenv("CIRCUITPY_WIFI_SSID"), os.getenv("CIRCUITPY_WIFI_PASSWORD"))
pool = socketpool.SocketPool(wifi.radio)

host = os.getenv("TCP_HOST")
port = int(os.getenv("TCP_PORT"))
with pool.socket(pool.AF_INET, pool.SOCK_STREAM) as s:
    s.settimeout(5)
    s.connect((host, port))
    s.sendall(b"GET /get HTTP/1.0\r\nHost: " + host.encode() + b"\r\n\r\n")
    buf = bytearray(1024)
    response = b""
    while True:
        n = s.recv_into(buf)
        if n == 0:  # the server closed: the whole response is here
            break
        response += buf[:n]
print(response.split(b"\r\n")[0].decode())
print(response.split(b"\r\n\r\n", 1)[1].decode())
