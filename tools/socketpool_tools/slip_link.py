"""The network link of the emulated Pico W: SLIP over the board's UART1, to a TUN device.

The test board ``ports/rp2040_cyw43/boards/RPI_PICO_W_SLIP`` has a SLIP netif on UART1 with the
fixed address ``BOARD_ADDR``. The launcher (rp2040js_run.cjs) connects the emulated UART1 to a Unix
socket; the far end here relays between that socket and a TUN device whose address is
``PEER_ADDR``. The TUN device lives in a network namespace of its own, so nothing of this
computer's own network changes and several runs can go on at once:

* ``Link.open()`` moves the calling thread into a new network namespace (``unshare``; only that
  thread: Linux keeps network namespaces per thread), brings its ``lo`` up and starts the relay
  process there. Sockets the thread opens afterwards, and the threads and processes it starts
  (the suite's peers, a broker), are in the namespace and reach the board at ``BOARD_ADDR``; the
  board reaches them at ``PEER_ADDR``.
* ``Link.close()`` ends the relay and puts the thread back into the namespace it came from.

Needs Linux, root (CAP_NET_ADMIN) and /dev/net/tun; ``available()`` says why not otherwise.
The relay is also a command: ``python -m socketpool_tools.slip_link --socket PATH`` (run it
inside a namespace, e.g. under ``ip netns exec``).
"""

import argparse
import ctypes
import errno
import fcntl
import os
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

BOARD_ADDR = "10.78.0.2"  # SP_SLIP_BOARD_ADDR in the board's mpconfigboard.h
PEER_ADDR = "10.78.0.1"  # SP_SLIP_PEER_ADDR: the TUN device's address
TUN_NAME = "spslip0"
MTU = 1500  # lwIP's SLIP_MAX_SIZE

END, ESC, ESC_END, ESC_ESC = 0xC0, 0xDB, 0xDC, 0xDD
MAX_FRAME = 65535  # a frame longer than this is garbage: dropped

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000


class LinkError(Exception):
    """The link cannot be set up here; the message says why."""


# --- SLIP framing (RFC 1055) ------------------------------------------------------------------
def slip_encode(packet):
    """One frame: END, the packet with END and ESC escaped, END."""
    body = bytes(packet).replace(bytes([ESC]), bytes([ESC, ESC_ESC])).replace(bytes([END]), bytes([ESC, ESC_END]))
    return bytes([END]) + body + bytes([END])


class SlipDecoder:
    """Bytes in, packets out; empty frames (back-to-back ENDs) are skipped, a frame with a bad
    escape or longer than ``max_frame`` is dropped whole (counted in ``dropped``)."""

    def __init__(self, max_frame=MAX_FRAME):
        self.max_frame = max_frame
        self.dropped = 0
        self._buf = bytearray()
        self._esc = False
        self._bad = False

    def feed(self, data):
        packets = []
        for c in bytes(data):
            if c == END:
                if self._buf and not self._bad:
                    packets.append(bytes(self._buf))
                elif self._bad:
                    self.dropped += 1
                self._buf = bytearray()
                self._esc = self._bad = False
                continue
            if self._esc:
                self._esc = False
                if c == ESC_END:
                    c = END
                elif c == ESC_ESC:
                    c = ESC
                else:
                    self._bad = True
            elif c == ESC:
                self._esc = True
                continue
            if not self._bad:
                if len(self._buf) >= self.max_frame:
                    self._bad = True
                else:
                    self._buf.append(c)
        return packets


# --- namespaces and TUN -----------------------------------------------------------------------
def _libc():
    return ctypes.CDLL(None, use_errno=True)


def available():
    """None when a link can be made here, else the reason it cannot."""
    if not sys.platform.startswith("linux"):
        return "the SLIP link needs Linux (network namespaces and TUN)"
    if os.geteuid() != 0:
        return "the SLIP link needs root (a network namespace and a TUN device)"
    if not os.path.exists("/dev/net/tun"):
        return "the SLIP link needs /dev/net/tun"
    if not shutil.which("ip"):
        return "the SLIP link needs iproute2's ip command"
    return None


def open_tun(name=TUN_NAME):
    """A TUN device (no packet info header) in the calling thread's network namespace."""
    fd = os.open("/dev/net/tun", os.O_RDWR)
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name.encode(), IFF_TUN | IFF_NO_PI))
    except OSError:
        os.close(fd)
        raise
    return fd


def _ip(*args):
    done = subprocess.run(["ip"] + list(args), capture_output=True, text=True)
    if done.returncode != 0:
        raise LinkError("ip %s: %s" % (" ".join(args), (done.stderr or done.stdout).strip()))


class Namespace:
    """A new network namespace for the calling thread, left again with ``leave()``."""

    def __init__(self):
        self._home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        libc = _libc()
        if libc.unshare(CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            os.close(self._home)
            raise LinkError("unshare(CLONE_NEWNET): %s" % os.strerror(e))
        self.active = True
        try:
            _ip("link", "set", "lo", "up")
        except BaseException:
            self.leave()
            raise

    def leave(self):
        if not self.active:
            return
        self.active = False
        if _libc().setns(self._home, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            os.close(self._home)
            raise LinkError("setns back to the first network namespace: %s" % os.strerror(e))
        os.close(self._home)


# --- the relay --------------------------------------------------------------------------------
def relay(sock_path, tun_name=TUN_NAME, local=PEER_ADDR, peer=BOARD_ADDR, ready=None, log=None,
          max_s=None):
    """Serve one launcher on the Unix socket ``sock_path``: frames from it go to the TUN device,
    packets from the TUN device go to it as frames. Ends when the launcher hangs up (or after
    ``max_s`` seconds without one). ``ready`` (a writable file) gets one line once listening."""
    tun = open_tun(tun_name)
    _ip("addr", "add", local, "peer", peer, "dev", tun_name)
    _ip("link", "set", tun_name, "mtu", str(MTU), "up")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(1)
    if ready is not None:
        ready.write("ready %s\n" % sock_path)
        ready.flush()
    deadline = None if max_s is None else time.monotonic() + max_s
    srv.settimeout(None if max_s is None else max_s)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        return {"error": "no launcher connected"}
    finally:
        srv.close()
    stats = {"to_board": 0, "from_board": 0, "dropped": 0}
    dec = SlipDecoder()
    conn.setblocking(True)
    try:
        while deadline is None or time.monotonic() < deadline:
            r, _, _ = select.select([conn, tun], [], [], 1.0)
            if conn in r:
                data = conn.recv(65536)
                if not data:
                    break
                for pkt in dec.feed(data):
                    try:
                        os.write(tun, pkt)
                        stats["from_board"] += 1
                    except OSError as e:  # not an IP packet the kernel takes: count it, go on
                        stats["dropped"] += 1
                        if log:
                            log.write("relay: the kernel refused a %d-byte frame: %s\n" % (len(pkt), e))
            if tun in r:
                pkt = os.read(tun, 65536)
                conn.sendall(slip_encode(pkt))
                stats["to_board"] += 1
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        stats["dropped"] += dec.dropped
        conn.close()
        os.close(tun)
    if log:
        log.write("relay: %(from_board)d packets from the board, %(to_board)d to it, %(dropped)d dropped\n" % stats)
        log.flush()
    return stats


class Link:
    """A namespace for the calling thread and the relay process inside it (see the module doc)."""

    board_addr = BOARD_ADDR
    peer_addr = PEER_ADDR

    def __init__(self, log=None):
        self.log = log
        self.ns = None
        self.proc = None
        self.dir = None
        self.socket_path = None

    @classmethod
    def open(cls, log=None, ready_timeout=30.0):
        why = available()
        if why:
            raise LinkError(why)
        link = cls(log)
        try:
            link._start(ready_timeout)
        except BaseException:
            link.close()
            raise
        return link

    def _start(self, ready_timeout):
        self.dir = tempfile.mkdtemp(prefix="sp-slip-")
        self.socket_path = os.path.join(self.dir, "uart1.sock")
        self.ns = Namespace()
        env = dict(os.environ)
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = here + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "socketpool_tools.slip_link", "--socket", self.socket_path],
            stdout=subprocess.PIPE, stderr=self.log or subprocess.DEVNULL, text=True, env=env,
            stdin=subprocess.DEVNULL)
        r, _, _ = select.select([self.proc.stdout], [], [], ready_timeout)
        line = self.proc.stdout.readline() if r else ""
        if not line.startswith("ready"):
            raise LinkError("the SLIP relay did not start (exit %s)" % self.proc.poll())

    def close(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(10)
            if self.proc.stdout:
                self.proc.stdout.close()
            self.proc = None
        if self.ns is not None:
            self.ns.leave()
            self.ns = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m socketpool_tools.slip_link",
                                description="SLIP relay between the emulated board's UART1 (a Unix socket "
                                "the launcher connects to) and a TUN device")
    p.add_argument("--socket", required=True, help="Unix socket path to listen on")
    p.add_argument("--tun", default=TUN_NAME)
    p.add_argument("--local", default=PEER_ADDR, help="the TUN device's address (default %(default)s)")
    p.add_argument("--peer", default=BOARD_ADDR, help="the board's address (default %(default)s)")
    args = p.parse_args(argv)
    try:
        relay(args.socket, args.tun, args.local, args.peer, ready=sys.stdout, log=sys.stderr)
    except (OSError, LinkError) as e:
        if isinstance(e, OSError) and e.errno == errno.EPERM:
            print("slip relay: not permitted (run as root): %s" % e, file=sys.stderr)
        else:
            print("slip relay: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
