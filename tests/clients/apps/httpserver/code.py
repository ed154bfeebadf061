# The adafruit_httpserver app the acceptance tests drive: CircuitPython code, run unchanged
# under `socketpool run`. Serves STATIC_DIR as files, plus a few routes; HTTPS when HTTPS_CERT
# and HTTPS_KEY name a certificate and its key.
import json
import os

import socketpool
import wifi
from adafruit_httpserver import GET, POST, JSONResponse, Request, Response, Server

pool = socketpool.SocketPool(wifi.radio)
if os.getenv("HTTPS_CERT"):
    server = Server(
        pool,
        os.getenv("STATIC_DIR"),
        https=True,
        certfile=os.getenv("HTTPS_CERT"),
        keyfile=os.getenv("HTTPS_KEY"),
    )
else:
    server = Server(pool, os.getenv("STATIC_DIR"))


@server.route("/hello")
def hello(request: Request):
    return Response(request, "hello")


@server.route("/items/<item_id>", GET)
def item(request: Request, item_id: str):
    return JSONResponse(request, {"id": item_id, "query": request.query_params.get("q")})


@server.route("/submit", POST)
def submit(request: Request):
    body = request.body
    return JSONResponse(request, {"length": len(body), "text": body.decode(), "type": request.headers.get("Content-Type")})


server.start("127.0.0.1", os.getenv("HTTP_PORT"))
print("READY", json.dumps({"port": server.port}))
try:
    while True:
        try:
            server.poll()
        except Exception as e:  # a bad request must not stop the server
            print("handler error:", repr(e))
except KeyboardInterrupt:  # Ctrl-C, wherever it lands
    pass
server.stop()
