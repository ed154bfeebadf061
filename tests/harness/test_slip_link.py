"""The emulated Pico W's network link without the firmware: SLIP framing, the relay to a real TUN
device in a network namespace made here, with a fake board (named as a fake: Python speaking SLIP
with hand-made IPv4/UDP packets) on the relay's socket, and the launcher's UART1 bridge with a
hand-assembled firmware that echoes UART1. The real board is RPI_PICO_W_SLIP
(docs/emulated-pico-w.md; outside CI: CI cannot build the firmware)."""

import ast
import os
import re
import socket
import struct
import time

import pytest

from socketpool_tools import cli, remote_target, slip_link
from socketpool_tools.rp2040js import bootrom_from_ts, rp2040js_command
from socketpool_tools.slip_link import END, ESC, SlipDecoder, slip_encode
from socketpool_tools.transport import PtyProcess, TargetError

from .test_rp2040js_launcher import emulator_pieces, uf2  # noqa: F401 - a fixture

WAIT_S = 30.0  # generous: "it ended"; never an upper bound on how fast


# --- framing ---------------------------------------------------------------------------------
def test_frames_round_trip_with_escapes_split_anywhere():
    packets = [bytes([END, ESC, 1, END]), b"plain", bytes(range(256)) * 3]
    wire = b"".join(slip_encode(p) for p in packets)
    for step in (1, 2, 7, len(wire)):
        dec = SlipDecoder()
        got = []
        for i in range(0, len(wire), step):
            got += dec.feed(wire[i:i + step])
        assert got == packets
        assert dec.dropped == 0


def test_bad_escape_and_oversized_frames_are_dropped_whole_and_counted():
    dec = SlipDecoder(max_frame=8)
    got = dec.feed(bytes([END, ESC, 0x41, 0x42, END]) + slip_encode(b"123456789") + slip_encode(b"ok"))
    assert got == [b"ok"]
    assert dec.dropped == 2
    assert dec.feed(bytes([END, END, END])) == []  # empty frames are no packets


# --- relay + namespace, fake board -----------------------------------------------------------
def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp_packet(src, sport, dst, dport, payload):
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    udp_len = 8 + len(payload)
    pseudo = s + d + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    udp = udp[:6] + struct.pack("!H", checksum(pseudo + udp) or 0xFFFF) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 1, 0, 64, 17, 0, s, d)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + udp


def parse_udp(packet):
    assert packet[0] >> 4 == 4 and packet[9] == 17, packet[:20].hex()
    ihl = (packet[0] & 15) * 4
    sport, dport, length = struct.unpack("!HHH", packet[ihl:ihl + 6])
    return (socket.inet_ntoa(packet[12:16]), sport, socket.inet_ntoa(packet[16:20]), dport,
            packet[ihl + 8:ihl + length])


def ns_inode():
    return os.stat("/proc/thread-self/ns/net").st_ino


@pytest.fixture
def link():
    why = slip_link.available()
    if why:
        pytest.skip(why)
    before = ns_inode()
    lk = slip_link.Link.open()
    proc = lk.proc
    try:
        assert ns_inode() != before  # this thread is in the link's own namespace now
        yield lk
    finally:
        lk.close()
        assert ns_inode() == before  # and back where it was
        assert proc.poll() is not None  # the relay ended


def is_udp4(packet):
    return len(packet) >= 28 and packet[0] >> 4 == 4 and packet[9] == 17


def board_udp_packets(conn, timeout=WAIT_S):
    """IPv4/UDP packets the fake board receives, once it has one (the kernel may send others,
    e.g. IPv6 solicitations, first); bounded in time."""
    dec, got = SlipDecoder(), []
    conn.settimeout(1.0)
    end = time.monotonic() + timeout
    while not got and time.monotonic() < end:
        try:
            data = conn.recv(65536)
        except socket.timeout:
            continue
        if not data:
            break
        got += [p for p in dec.feed(data) if is_udp4(p)]
    return got


def test_fake_board_and_a_kernel_socket_exchange_datagrams_through_the_tun_device(link):
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # in the link's namespace
    peer.bind((link.peer_addr, 0))
    peer.settimeout(WAIT_S)
    port = peer.getsockname()[1]
    board = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    board.connect(link.socket_path)
    try:
        payload = bytes([END, ESC, 0x20, END]) * 50  # escapes on the wire, 200 bytes
        # the fake board writes its frame in pieces, as a UART would deliver it
        frame = slip_encode(udp_packet(link.board_addr, 4321, link.peer_addr, port, payload))
        for i in range(0, len(frame), 17):
            board.sendall(frame[i:i + 17])
        data, addr = peer.recvfrom(2048)
        assert (data, addr) == (payload, (link.board_addr, 4321))

        peer.sendto(b"back" + payload, (link.board_addr, 4321))
        got = board_udp_packets(board)
        assert got, "no UDP packet reached the fake board"
        assert parse_udp(got[0]) == (link.peer_addr, port, link.board_addr, 4321, b"back" + payload)
    finally:
        board.close()
        peer.close()


def test_link_refuses_clearly_where_it_cannot_run(monkeypatch):
    monkeypatch.setattr(slip_link.os, "geteuid", lambda: 1000)
    with pytest.raises(slip_link.LinkError, match="root"):
        slip_link.Link.open()


# --- the launcher's UART1 bridge -------------------------------------------------------------
# r0 = UART1; UARTCR = 0x301; loop: wait while FR.RXFE; DR -> DR; b loop   (then the literal pool)
ECHO = struct.pack("<10H", 0x4804, 0x4905, 0x6301, 0x6982, 0x2310, 0x421A, 0xD1FB, 0x6802,
                   0x6002, 0xE7F8) + struct.pack("<2I", 0x40038000, 0x301)


def test_launcher_bridges_uart1_both_ways_without_dropping_bytes(emulator_pieces):  # noqa: F811
    tmp_path, bootrom = emulator_pieces
    image = tmp_path / "echo.uf2"
    image.write_bytes(uf2(ECHO))
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    path = str(tmp_path / "uart1.sock")
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(WAIT_S)
    env = dict(os.environ, RP2040JS_CONSOLE="uart", RP2040JS_UART1=path)
    proc = PtyProcess(rp2040js_command(str(image), bootrom), env=env)
    try:
        proc.start()
        conn, _ = srv.accept()
        data = bytes(i * 7 % 256 for i in range(20000))  # far more than the 32-byte FIFO holds
        conn.sendall(data)
        got = b""
        conn.settimeout(1.0)
        end = time.monotonic() + 120
        while len(got) < len(data) and time.monotonic() < end and proc.alive():
            try:
                chunk = conn.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                break
            got += chunk
        assert got == data
        conn.close()
    finally:
        proc.stop()
        srv.close()



# --- the harness's use of the link, with the fake board --------------------------------------
class FakeBoardSession:
    """Stands in for the remote session of an emulated RPI_PICO_W_SLIP board (a fake): runs the
    harness's link probe by sending the datagram it asks for from the board's address, as SLIP
    over the relay's socket, as the firmware would."""

    def __init__(self, link, answer=True):
        self.conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.conn.connect(link.socket_path)
        self.link, self.answer, self.calls = link, answer, 0

    def exec_statements(self, code, timeout=None):
        self.calls += 1
        m = re.search(r"sendto\((b'[^']*'), \('([\d.]+)', (\d+)\)\)", code)
        assert m, code
        if not self.answer:
            raise OSError(113)  # what a firmware without the netif says: EHOSTUNREACH
        payload = ast.literal_eval(m.group(1))
        self.conn.sendall(slip_encode(udp_packet(self.link.board_addr, 5000, m.group(2), int(m.group(3)), payload)))
        return ""


def test_harness_probe_finds_the_board_behind_the_link(link):
    session = FakeBoardSession(link)
    try:
        assert remote_target.probe_link(session, link) is True
        assert session.calls == 1
    finally:
        session.conn.close()


def test_harness_probe_says_no_for_a_firmware_without_the_link(link):
    session = FakeBoardSession(link, answer=False)
    try:
        assert remote_target.probe_link(session, link) is False
    finally:
        session.conn.close()


def test_a_board_found_behind_the_link_gets_its_addresses_and_no_ipv6(link):
    t = remote_target.RemoteTarget.__new__(remote_target.RemoteTarget)
    t.options = remote_target.TargetOptions(link="slip")
    t.log, t._link, t.ipv6 = None, link, True  # a firmware whose lwIP has IPv6 (MicroPython engine)
    t.engine_ipv6 = True
    t.session = FakeBoardSession(link)
    try:
        t._use_link()
        assert (t.host, t.peer_host, t.ipv6) == (link.board_addr, link.peer_addr, False)
        # the engine still has IPv6: its literal cases expect answers, not gaierror
        assert t.engine_ipv6 is True
    finally:
        t.session.conn.close()


def test_required_link_that_the_board_does_not_answer_is_a_clear_error(link):
    t = remote_target.RemoteTarget.__new__(remote_target.RemoteTarget)
    t.options = remote_target.TargetOptions(link="slip")
    t.log = None
    t._link = link
    t.session = FakeBoardSession(link, answer=False)
    try:
        with pytest.raises(TargetError, match="RPI_PICO_W_SLIP"):
            t._use_link()
        assert t._link is None  # closed again
    finally:
        t.session.conn.close()


# --- the bootrom step ------------------------------------------------------------------------
def test_bootrom_from_the_typescript_source_and_its_errors(tmp_path):
    words = ["0x%08x" % (i * 2654435761 % 2**32) for i in range(4096)]
    ts = "// B1\nexport const bootromB1 = new Uint32Array([\n  %s,\n]);\n" % ", ".join(words)
    data = bootrom_from_ts(ts)
    assert len(data) == 16384 and data[4:8] == struct.pack("<I", int(words[1], 16))
    with pytest.raises(ValueError, match="16384"):
        bootrom_from_ts(ts.replace(words[-1] + ",", ""))
    with pytest.raises(ValueError, match="Uint32Array"):
        bootrom_from_ts("nothing here")
    src = tmp_path / "bootrom.ts"
    src.write_text(ts)
    out = tmp_path / "bootrom.bin"
    assert cli.main(["bootrom", str(src), "-o", str(out)]) == 0
    assert out.read_bytes() == data
    assert cli.main(["bootrom", str(tmp_path / "missing.ts"), "-o", str(out)]) == 1
