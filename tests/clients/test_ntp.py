"""adafruit_ntp, unmodified, over socketpool UDP against chronyd on loopback."""

import errno
import time

import pytest

adafruit_ntp = pytest.importorskip("adafruit_ntp")

from client_support import free_port  # noqa: E402


def test_ntp_time_is_within_50_ms_of_the_host_clock(pool, chrony):
    ntp = adafruit_ntp.NTP(pool, server="127.0.0.1", port=chrony, socket_timeout=2)
    got = ntp.utc_ns
    host = time.time_ns()
    # chronyd serves this host's own clock (local stratum 1, -x): they must agree
    assert abs(got - host) < 50_000_000, "NTP %d vs host %d: %.1f ms" % (got, host, (got - host) / 1e6)


def test_ntp_datetime_is_a_struct_time(pool, chrony):
    ntp = adafruit_ntp.NTP(pool, server="127.0.0.1", port=chrony, socket_timeout=2)
    now = ntp.datetime
    assert isinstance(now, time.struct_time)
    assert now.tm_year >= 2024


def test_ntp_without_a_server_times_out(pool):
    ntp = adafruit_ntp.NTP(pool, server="127.0.0.1", port=free_port(), socket_timeout=0.3)
    with pytest.raises(OSError) as info:
        ntp.utc_ns
    assert info.value.errno == errno.ETIMEDOUT  # an unconnected UDP socket just hears nothing
