"""adafruit_ntp, unmodified, over socketpool UDP against a real SNTP server on loopback
(tests/clients/servers/ntp_server.py, serving this computer's clock)."""

import errno
import time

import pytest

adafruit_ntp = pytest.importorskip("adafruit_ntp")

from client_support import free_port  # noqa: E402


def test_ntp_time_is_within_50_ms_of_the_host_clock(pool, ntp_port):
    ntp = adafruit_ntp.NTP(pool, server="127.0.0.1", port=ntp_port, socket_timeout=2)
    got = ntp.utc_ns
    host = time.time_ns()
    # the server answers with this host's own clock: they must agree
    assert abs(got - host) < 50_000_000, "NTP %d vs host %d: %.1f ms" % (got, host, (got - host) / 1e6)


def test_ntp_datetime_is_a_struct_time(pool, ntp_port):
    ntp = adafruit_ntp.NTP(pool, server="127.0.0.1", port=ntp_port, socket_timeout=2)
    now = ntp.datetime
    assert isinstance(now, time.struct_time)
    assert now.tm_year >= 2024


def test_ntp_without_a_server_times_out(pool):
    ntp = adafruit_ntp.NTP(pool, server="127.0.0.1", port=free_port(), socket_timeout=0.3)
    with pytest.raises(OSError) as info:
        ntp.utc_ns
    assert info.value.errno == errno.ETIMEDOUT  # an unconnected UDP socket just hears nothing


def test_the_test_ntp_server_answers_client_requests_only():
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "servers"))
    try:
        import ntp_server
    finally:
        sys.path.pop(0)
    request = ntp_server.PACKET.pack(0x23, 0, 6, 0, 0, 0, b"\0" * 4, 0, 0, 0, 0x1234567890ABCDEF)
    reply = ntp_server.answer(request, 1_700_000_000.5, now=lambda: 1_700_000_000.75)
    flags, stratum, poll, _p, _rd, _rds, ref, _reft, orig, recv, xmit = ntp_server.PACKET.unpack(reply)
    assert (flags & 7, (flags >> 3) & 7, stratum, poll, ref) == (4, 4, 1, 6, b"LOCL")
    assert orig == 0x1234567890ABCDEF  # the client's transmit time, echoed
    assert recv >> 32 == 1_700_000_000 + ntp_server.NTP_EPOCH_OFFSET and (recv & 0xFFFFFFFF) == 1 << 31
    assert xmit >> 32 == 1_700_000_000 + ntp_server.NTP_EPOCH_OFFSET and (xmit & 0xFFFFFFFF) == 3 << 30
    assert ntp_server.answer(request[:47], 0.0) is None  # too short
    assert ntp_server.answer(bytes([0x24]) + request[1:], 0.0) is None  # mode 4: not a request
