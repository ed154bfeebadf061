"""A small real NTP (SNTP, RFC 4330) server for the client tests and the examples: one UDP socket
on loopback answering client requests with this computer's clock, as a stratum-1 server would.
It never reads or sets the system clock beyond ``time.time()``.

In a test: ``NtpServer().start()`` (a thread; ``.port``, ``.stop()``). From a shell, for an
example: ``python tests/clients/servers/ntp_server.py [PORT]`` (default 12300) until Ctrl-C.
"""

import select
import socket
import struct
import sys
import threading
import time

NTP_EPOCH_OFFSET = 2208988800  # 1900-01-01 to 1970-01-01, seconds
PACKET = struct.Struct("!BBbbII4sQQQQ")  # 48 bytes: flags, stratum, poll, precision, ... 4 timestamps
MODE_CLIENT, MODE_SERVER = 3, 4
MAX_LIFETIME_S = 3600.0  # a forgotten server ends on its own
MAX_REQUESTS = 100000


def ntp_timestamp(t):
    """Unix time ``t`` (float seconds) as a 64-bit NTP timestamp (32.32 fixed point since 1900)."""
    secs = int(t) + NTP_EPOCH_OFFSET
    frac = int((t - int(t)) * (1 << 32)) & 0xFFFFFFFF
    return (secs << 32) | frac


def answer(request, received, now=time.time):
    """The server's reply to one client packet, or None when it is not an NTP client request."""
    if len(request) < PACKET.size:
        return None
    flags, _stratum, poll, _prec, _rd, _rdisp, _ref, _reft, _orig, _recv, transmit = PACKET.unpack_from(request)
    version, mode = (flags >> 3) & 7, flags & 7
    if mode != MODE_CLIENT or not 1 <= version <= 4:
        return None
    flags = (0 << 6) | (version << 3) | MODE_SERVER  # no leap warning, the client's version
    return PACKET.pack(flags, 1, poll, -20, 0, 0, b"LOCL", ntp_timestamp(received), transmit,
                       ntp_timestamp(received), ntp_timestamp(now()))


class NtpServer:
    """SNTP on ``host``:``port`` (0: a free port) in a thread of this process."""

    def __init__(self, host="127.0.0.1", port=0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.port = self.sock.getsockname()[1]
        self.requests = 0
        self._stop = threading.Event()
        self._thread = None

    def serve(self, lifetime=MAX_LIFETIME_S):
        end = time.monotonic() + lifetime
        while not self._stop.is_set() and time.monotonic() < end and self.requests < MAX_REQUESTS:
            ready, _, _ = select.select([self.sock], [], [], 0.2)
            if not ready:
                continue
            data, peer = self.sock.recvfrom(512)
            received = time.time()
            reply = answer(data, received)
            if reply is not None:
                self.requests += 1
                self.sock.sendto(reply, peer)

    def start(self):
        self._thread = threading.Thread(target=self.serve, name="ntp-server", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.sock.close()


def main(argv):
    port = int(argv[1]) if len(argv) > 1 else 12300
    server = NtpServer(port=port)
    print("NTP server on 127.0.0.1:%d (this computer's clock); Ctrl-C to stop" % server.port, flush=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.sock.close()


if __name__ == "__main__":
    main(sys.argv)
