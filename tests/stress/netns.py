"""Test hosts in network namespaces that the tests create and delete.

``Netns`` is one host (``ip netns add``); ``entered()`` switches the calling thread into it for a
moment, so sockets made there (pool sockets included) live in that namespace while the rest of
the test process stays where it was. ``veth_pair`` joins two hosts with a cable; ``TunLink`` joins
them through tun_relay.py, a userspace forwarder that delays and reorders packets (this kernel
has no netem); ``drop_randomly`` makes a host lose packets with nftables.
"""

import contextlib
import ctypes
import itertools
import os
import shutil
import subprocess
import sys

CLONE_NEWNET = 0x40000000
_counter = itertools.count()
_libc = ctypes.CDLL(None, use_errno=True)


def unavailable():
    """Why namespaces cannot be used here, or None when they can."""
    if os.geteuid() != 0:
        return "network namespaces need root (CI runs as root)"
    if not shutil.which("ip"):
        return "the ip command (iproute2) is not installed"
    name = "sp-probe-%d" % os.getpid()
    r = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if r.returncode != 0:
        return "ip netns add failed: %s" % r.stderr.strip()
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


def nft_unavailable():
    if not shutil.which("nft"):
        return "nft (nftables) is not installed"
    return None


def sh(*args, ns=None, check=True):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd), r.stderr.strip()))
    return r


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


class Netns:
    def __init__(self, role):
        self.name = "sp-%d-%d-%s" % (os.getpid(), next(_counter), role)
        sh("ip", "netns", "add", self.name)
        sh("ip", "-n", self.name, "link", "set", "lo", "up")

    def ip(self, *args, check=True):
        return sh("ip", "-n", self.name, *args, check=check)

    def nft(self, *args):
        return sh("nft", *args, ns=self.name)

    @contextlib.contextmanager
    def entered(self):
        """The calling thread works inside this namespace until the block ends."""
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        there = os.open("/run/netns/" + self.name, os.O_RDONLY)
        try:
            _setns(there)
            try:
                yield self
            finally:
                _setns(home)
        finally:
            os.close(there)
            os.close(home)

    def close(self):
        sh("ip", "netns", "del", self.name, check=False)


def veth_pair(a, b, a_ip, b_ip, prefix=24):
    """A cable from host ``a`` to host ``b``."""
    ia, ib = "va%d" % next(_counter), "vb%d" % next(_counter)
    sh("ip", "link", "add", ia, "netns", a.name, "type", "veth", "peer", "name", ib, "netns", b.name)
    a.ip("addr", "add", "%s/%d" % (a_ip, prefix), "dev", ia)
    b.ip("addr", "add", "%s/%d" % (b_ip, prefix), "dev", ib)
    a.ip("link", "set", ia, "up")
    b.ip("link", "set", ib, "up")
    return ia, ib


def drop_randomly(host, percent):
    """``host`` loses ``percent`` % of the packets it receives (nftables ``numgen random``)."""
    host.nft("add", "table", "inet", "sploss")
    host.nft("add", "chain", "inet", "sploss", "in", "{ type filter hook input priority 0; }")
    host.nft("add", "rule", "inet", "sploss", "in", "numgen", "random", "mod", "100", "<", str(percent),
             "counter", "drop")


def dropped(host):
    """Packets ``drop_randomly`` has dropped on ``host`` so far."""
    out = host.nft("list", "table", "inet", "sploss").stdout
    return int(out.split("counter packets ")[1].split()[0])


def black_hole_tcp_port(host, port):
    """``host`` silently drops every TCP packet to ``port`` (a SYN never gets an answer)."""
    host.nft("add", "table", "inet", "sphole")
    host.nft("add", "chain", "inet", "sphole", "in", "{ type filter hook input priority 0; }")
    host.nft("add", "rule", "inet", "sphole", "in", "tcp", "dport", str(port), "drop")


class TunLink:
    """Hosts ``a`` and ``b`` joined through tun_relay.py: each way ``delay_ms`` plus, for a share
    of the packets, ``jitter_ms`` more, which reorders them."""

    def __init__(self, a, b, a_ip, b_ip, delay_ms=25, jitter_ms=8, reorder_percent=10, mtu=1500):
        relay = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tun_relay.py")
        self.proc = subprocess.Popen(
            [sys.executable, relay, a.name, b.name, str(delay_ms), str(jitter_ms), str(reorder_percent)],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "ready":
            self.close()
            raise RuntimeError("tun_relay did not start")
        ta, tb = line[1], line[2]
        for host, dev, mine, theirs in ((a, ta, a_ip, b_ip), (b, tb, b_ip, a_ip)):
            host.ip("addr", "add", mine + "/32", "dev", dev)
            host.ip("link", "set", dev, "mtu", str(mtu), "up")
            host.ip("route", "add", theirs + "/32", "dev", dev)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
