"""Shared pieces of the stress suites (faults, load, fuzzing).

Heavy variants (longer soaks, bigger transfers) run with SOCKETPOOL_HEAVY=1.
"""

import os

import pytest


def heavy():
    return os.environ.get("SOCKETPOOL_HEAVY", "") not in ("", "0")


def scaled(default, heavy_value):
    return heavy_value if heavy() else default


@pytest.fixture
def os_peer_target(target):
    """The target, when a peer on this host's OS loopback can reach its sockets."""
    if target.remote or target.name != "host":
        pytest.skip("needs OS sockets in this process (target host); %s runs its own stack" % target.name)
    return target


def open_fds():
    return len(os.listdir("/proc/self/fd"))
