"""A small real HTTP(S) server for the client tests: ThreadingHTTPServer on loopback.

python http_app.py PORT [CERTFILE KEYFILE [HOST]]. Routes: /get, /post (echoes the body), /json,
/chunked, /stream (1 MiB of a known pattern), /redirect -> /get (absolute URL), /slow (answers after 3 s),
anything else 404.
"""

import json
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MIB = 1024 * 1024


def pattern(n):
    """The known body of /stream: byte i is i % 251."""
    block = bytes(range(251))
    return (block * (n // 251 + 1))[:n]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, body, ctype="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/get":
            self._send(200, b"hello from the test server")
        elif self.path == "/json":
            self._send(200, json.dumps({"answer": 42, "list": [1, 2, 3]}).encode(), "application/json")
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"first chunk;", b"second chunk;", b"x" * 5000, b";last"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/stream":
            self._send(200, pattern(MIB), "application/octet-stream")
        elif self.path == "/redirect":
            # absolute: adafruit_requests drops the port from a relative Location (docs/clients.md)
            scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
            where = "%s://%s:%d/get" % (scheme, *self.server.server_address[:2])
            self._send(302, b"", extra=[("Location", where)])
        elif self.path == "/slow":
            time.sleep(3)
            self._send(200, b"late")
        else:
            self._send(404, b"not found")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(n)
        if self.path == "/post":
            reply = {"received": body.decode("utf-8", "replace"), "type": self.headers.get("Content-Type")}
            self._send(200, json.dumps(reply).encode(), "application/json")
        else:
            self._send(404, b"not found")


def main():
    """http_app.py PORT [CERTFILE KEYFILE [HOST]] (an empty CERTFILE: plain HTTP; HOST default
    127.0.0.1)"""
    port = int(sys.argv[1])
    host = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1"
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    if len(sys.argv) > 3 and sys.argv[2]:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
