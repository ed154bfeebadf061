"""The Pico W raw-API core (ports/rp2040_cyw43) in C on host lwIP, under ASan + UBSan + LSan.

``rp2_core_test.c``: the core's own duties (state machine, pbuf gathering with the window
reopened, accept queue overflow refused with a reset, UDP queue of 4 with sources, ECONNREFUSED,
back-pressure, linger-0 reset, the bounded close linger, closing a listener with pending
connections) through sp_engine.h, each case reported by name. What every core shares (the
build with -Werror, the generic C self-test, the libFuzzer harness, the conformance suite with
the core under ASan) runs for rp2 too, in tests/native/test_native.py.

Needs cc and Debian's liblwip-dev (scripts/setup.sh installs them).
"""

import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
CORE = [
    os.path.join(ROOT, "ports", "rp2040_cyw43", "sp_core_rp2.c"),
    os.path.join(ROOT, "ports", "common", "sp_errno.c"),
    os.path.join(ROOT, "ports", "host", "sp_host_platform.c"),
    os.path.join(ROOT, "ports", "host", "sp_host_tun.c"),  # the platform's link to this computer
]
CFLAGS = [
    "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-O1", "-g", "-fno-omit-frame-pointer",
    "-fno-sanitize-recover=undefined",
    "-I" + os.path.join(ROOT, "ports", "common"),
    "-I" + os.path.join(ROOT, "ports", "rp2040_cyw43"),
    "-I/usr/include/lwip", "-DSP_DNS=0", "-DSP_IPV6=0",
]
LIBS = ["-llwip", "-lpthread"]
CASES = [
    "test_ipv6_and_raw_are_refused",
    "test_round_trip_and_peer_address",
    "test_bulk_transfer_reopens_the_window",
    "test_recv_gathers_all_queued_segments",
    "test_connect_to_closed_port_is_refused",
    "test_accept_queue_overflow_is_refused_cleanly",
    "test_udp_queues_four_datagrams_with_sources",
    "test_full_send_buffer_says_eagain",
    "test_linger_zero_close_resets_the_peer",
    "test_close_aborts_after_a_bounded_linger",
    "test_options_and_errors_without_a_connection",
    "test_closing_listener_with_pending_connections_frees_them",
]
SAN_ENV = {
    "ASAN_OPTIONS": "abort_on_error=0:halt_on_error=1:detect_leaks=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}


def _compile(compiler, sources, out, extra):
    cmd = [compiler] + CFLAGS + extra + ["-o", out] + sources + CORE + LIBS
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=300)
    assert done.returncode == 0, "compiling failed:\n%s\n%s" % (" ".join(cmd), done.stdout)
    return out


def _run(cmd, timeout):
    env = dict(os.environ, **SAN_ENV)
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout, env=env)


@pytest.fixture(scope="module")
def core_test_output(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("rp2") / "rp2_core_test")
    _compile("cc", [os.path.join(HERE, "rp2_core_test.c")], out,
             ["-fsanitize=address,undefined"])
    done = _run([out], timeout=300)
    return done


@pytest.mark.parametrize("case", CASES)
def test_rp2_core_case_passes_under_asan_and_ubsan(core_test_output, case):
    lines = core_test_output.stdout.splitlines()
    assert "ok %s" % case in lines, "\n".join(l for l in lines if case in l or "ERROR" in l) \
        or core_test_output.stdout[-4000:]


def test_rp2_core_test_run_reports_no_sanitizer_error(core_test_output):
    text = core_test_output.stdout
    assert "ERROR: AddressSanitizer" not in text and "runtime error:" not in text, text[-4000:]
    assert "ERROR: LeakSanitizer" not in text, text[-4000:]
    assert core_test_output.returncode == 0, text[-4000:]
