"""The network link of a host-lwIP target: a TUN device in a network namespace the harness makes.

An lwIP that runs on this computer (the ``host-lwip-*`` targets in this process, MicroPython's
unix port built with a native binding over host lwIP) has its own IP stack, which the kernel's
loopback cannot reach. ``Link`` makes a private network namespace holding a TUN device with the
far-end addresses (``PEER_IP`` / ``PEER_IP6``); lwIP opens that device from inside the namespace
(ports/host/sp_host_tun.c, told where by the ``SOCKETPOOL_HOST_LINK`` environment variable,
``Link.env``) and takes ``TARGET_IP`` / ``TARGET_IP6``, as a board takes its Wi-Fi address.
The suite's peers are then ordinary kernel sockets of that namespace: ``Link.sockets`` stands in
for CPython's ``socket`` module with every new socket made inside it. Nothing leaves the
namespace, and deleting it (``Link.close``) removes the device and every address.

Needs root (CAP_SYS_ADMIN + CAP_NET_ADMIN, as CI runs), ``ip`` (iproute2) and ``/dev/net/tun``;
``Link()`` raises LinkError naming what is missing.
"""

import contextlib
import ctypes
import os
import shutil
import socket as _socket
import subprocess
import threading

ENV = "SOCKETPOOL_HOST_LINK"  # read by ports/host/sp_host_platform.c when lwIP starts
DEV = "sptun0"
PEER_IP, TARGET_IP, PREFIX = "10.53.0.1", "10.53.0.2", 24
PEER_IP6, TARGET_IP6 = "fd53::1", "fd53::2"
_CLONE_NEWNET = 0x40000000
_NETNS_DIR = "/run/netns"


class LinkError(RuntimeError):
    """The link cannot be made here; the message says what is missing."""


def _ip(*args, check=True):
    done = subprocess.run(["ip"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=30)
    if check and done.returncode != 0:
        raise LinkError("`ip %s` failed: %s" % (" ".join(args), done.stdout.strip()))
    return done


class NamespaceSockets:
    """What peer code uses of CPython's ``socket`` module, with every socket it makes created
    inside one network namespace (a socket stays in the namespace it was made in; only the
    calling thread enters it, for the one call)."""

    def __init__(self, netns_path):
        self._ns = os.open(netns_path, os.O_RDONLY | os.O_CLOEXEC)
        self._libc = ctypes.CDLL(None, use_errno=True)

    def __getattr__(self, name):  # constants, timeout, error, inet_pton ...: CPython's own
        return getattr(_socket, name)

    @contextlib.contextmanager
    def inside(self):
        back = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        try:
            if self._libc.setns(self._ns, _CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, "setns into the link's namespace: %s" % os.strerror(e))
            try:
                yield
            finally:
                if self._libc.setns(back, _CLONE_NEWNET) != 0:  # never stay in the wrong one
                    os.abort()
        finally:
            os.close(back)

    def socket(self, *args, **kwargs):
        with self.inside():
            return _socket.socket(*args, **kwargs)

    def create_connection(self, address, timeout=None, source_address=None):
        with self.inside():
            return _socket.create_connection(address, timeout, source_address)

    def close(self):
        ns, self._ns = self._ns, -1
        if ns >= 0:
            os.close(ns)


_made = 0
_made_lock = threading.Lock()


def check_prerequisites():
    """LinkError unless this process can make the link (root, iproute2, /dev/net/tun)."""
    if not shutil.which("ip"):
        raise LinkError("the host-lwIP link needs iproute2's `ip` (apt-get install iproute2)")
    if os.geteuid() != 0:
        raise LinkError("the host-lwIP link needs root: it makes a network namespace and a TUN "
                        "device (run as root, as CI does)")
    if not os.path.exists("/dev/net/tun"):
        raise LinkError("the host-lwIP link needs /dev/net/tun (modprobe tun; in a container: "
                        "--device /dev/net/tun)")


def remove_stale():
    """Delete the namespaces of links whose process has gone (killed before it closed them)."""
    try:
        names = os.listdir(_NETNS_DIR)
    except OSError:
        return
    for name in names:
        parts = name.split("-")
        if len(parts) == 4 and parts[:2] == ["sp", "link"] and parts[2].isdigit():
            if not os.path.exists("/proc/%s" % parts[2]):
                _ip("netns", "del", name, check=False)


class Link:
    """A namespace ``sp-link-<pid>-<n>`` with TUN device ``sptun0`` at PEER_IP/24 and PEER_IP6/64.

    ``env``: the SOCKETPOOL_HOST_LINK value for the lwIP that attaches to it; ``sockets``: the
    peers' ``socket`` module; ``host``/``host6``: lwIP's addresses; ``peer_host``/``peer_host6``:
    the namespace's."""

    host, host6, peer_host, peer_host6 = TARGET_IP, TARGET_IP6, PEER_IP, PEER_IP6

    def __init__(self):
        global _made
        check_prerequisites()
        remove_stale()
        with _made_lock:
            _made += 1
            self.name = "sp-link-%d-%d" % (os.getpid(), _made)
        self.path = os.path.join(_NETNS_DIR, self.name)
        self.sockets = None
        _ip("netns", "add", self.name)
        try:
            n = ("-n", self.name)
            _ip(*n, "link", "set", "lo", "up")
            _ip(*n, "tuntap", "add", "dev", DEV, "mode", "tun")
            _ip(*n, "addr", "add", "%s/%d" % (PEER_IP, PREFIX), "dev", DEV)
            _ip(*n, "-6", "addr", "add", PEER_IP6 + "/64", "dev", DEV, "nodad")
            _ip(*n, "link", "set", DEV, "up")
            self.sockets = NamespaceSockets(self.path)
        except BaseException:
            self.close()
            raise
        self.env = "netns=%s dev=%s ip=%s/%d gw=%s ip6=%s" % (
            self.path, DEV, TARGET_IP, PREFIX, PEER_IP, TARGET_IP6)

    def close(self):
        """Delete the namespace (its device and addresses go with it); idempotent."""
        if self.sockets is not None:
            self.sockets.close()
            self.sockets = None
        if os.path.exists(self.path):
            _ip("netns", "del", self.name, check=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
