"""A userspace link between two network namespaces that delays and reorders IP packets.

    python tun_relay.py NS_A NS_B DELAY_MS JITTER_MS REORDER_PERCENT

Opens a TUN device inside each namespace (so no interface ever appears outside them), prints
``ready <dev in A> <dev in B>``, then copies every packet read from one device to the other after
DELAY_MS, and REORDER_PERCENT of them up to JITTER_MS later still, so later packets overtake them.
Loss is not done here: the tests drop packets with nftables inside the namespaces. Runs until
killed (the test that started it kills it by pid).
"""

import ctypes
import fcntl
import heapq
import os
import random
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000


def open_tun_in(ns, name):
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    there = os.open("/run/netns/" + ns, os.O_RDONLY)
    try:
        if libc.setns(there, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + ns)
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
        if libc.setns(home, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(there)
        os.close(home)
    return fd


def main():
    ns_a, ns_b = sys.argv[1], sys.argv[2]
    delay = float(sys.argv[3]) / 1000
    jitter = float(sys.argv[4]) / 1000
    reorder = float(sys.argv[5]) / 100
    fa = open_tun_in(ns_a, "sptun0")
    fb = open_tun_in(ns_b, "sptun0")
    print("ready sptun0 sptun0", flush=True)
    other = {fa: fb, fb: fa}
    queue = []  # (release time, sequence, fd to write, packet)
    seq = 0
    rnd = random.Random(1)
    poller = select.poll()
    poller.register(fa, select.POLLIN)
    poller.register(fb, select.POLLIN)
    while True:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _t, _s, fd, pkt = heapq.heappop(queue)
            try:
                os.write(fd, pkt)
            except OSError:
                pass  # device down or full: the packet is lost, as on a real link
        wait_ms = max(0, int((queue[0][0] - now) * 1000) + 1) if queue else 1000
        for fd, _ev in poller.poll(wait_ms):
            for _ in range(256):  # bounded burst per wake-up
                try:
                    pkt = os.read(fd, 65536)
                except BlockingIOError:
                    break
                release = time.monotonic() + delay
                if rnd.random() < reorder:
                    release += rnd.random() * jitter
                seq += 1
                heapq.heappush(queue, (release, seq, other[fd], pkt))


if __name__ == "__main__":
    main()
