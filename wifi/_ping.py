"""One ICMP echo for ``wifi.radio.ping``, the same code on CPython and MicroPython. Imported on the
first ``ping``: a board that never pings never loads it."""

try:
    from time import ticks_diff as _diff, ticks_us as _now  # MicroPython
except ImportError:
    from time import perf_counter as _perf

    def _now():
        return int(_perf() * 1000000)

    def _diff(a, b):
        return a - b


def _checksum(data):
    import struct

    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def icmp_kinds():
    """The socket types to try for ICMP, in order: an unprivileged ICMP datagram socket where the
    OS has them (Linux: net.ipv4.ping_group_range; on lwIP a datagram socket is UDP, so never
    there), then a raw socket (root, or lwIP's raw API on a board)."""
    import socket
    import sys

    kinds = []
    if sys.platform == "linux":
        kinds.append(socket.SOCK_DGRAM)
    if hasattr(socket, "SOCK_RAW"):
        kinds.append(socket.SOCK_RAW)
    return kinds


def echo(address, timeout, kinds=None):
    """Send one ICMP echo request to ``address`` (dotted IPv4 str); the seconds until its reply
    came, or None when none came within ``timeout`` seconds or no ICMP socket could be opened."""
    import socket
    import struct

    peer = socket.getaddrinfo(address, 0)[0][-1]  # a name that does not resolve raises here
    sock = None
    for kind in icmp_kinds() if kinds is None else kinds:
        try:
            sock = socket.socket(socket.AF_INET, kind, 1)  # IPPROTO_ICMP
            break
        except OSError:
            continue
    if sock is None:
        return None
    raw = kind != socket.SOCK_DGRAM
    start = _now()
    seq = start & 0xFFFF
    payload = b"socketpool-ping" + struct.pack("!I", start & 0xFFFFFFFF)
    packet = struct.pack("!BBHHH", 8, 0, 0, seq, seq) + payload
    packet = packet[:2] + struct.pack("!H", _checksum(packet)) + packet[4:]
    limit = int(timeout * 1000000)
    try:
        sock.sendto(packet, peer)
        for _ in range(1000):  # bounded: on a raw socket, replies to other pings are skipped
            left = limit - _diff(_now(), start)
            if left <= 0:
                return None
            sock.settimeout(left / 1000000)
            data = sock.recv(2048)
            if raw and data:
                data = data[(data[0] & 0x0F) * 4:]
            # a datagram ICMP socket gets its id from the kernel: match on sequence and payload
            if len(data) >= 8 and data[0] == 0 and data[6:8] == packet[6:8] and data[8:] == payload:
                return _diff(_now(), start) / 1000000
        return None
    except OSError:  # timed out (socket.timeout is an OSError), unreachable, refused
        return None
    finally:
        sock.close()
