"""The native cores (ports/esp32, ports/rp2040_cyw43) on host lwIP under the sanitizers, and the
fuzz harness; every test runs once per core.

* the core and its host platform build with -Wall -Wextra -Werror;
* tests/native/sp_selftest.c (the core's duties, in C) passes under ASan + UBSan + LeakSanitizer;
* the libFuzzer harness tests/native/sp_fuzz.c runs $SOCKETPOOL_FUZZ_SECONDS (default 60) with no
  crash, hang, leak or UB report;
* the conformance suite passes on target host-lwip-<core> with the ASan + UBSan build of the core
  loaded into CPython (libasan preloaded, PYTHONMALLOC=malloc so ASan sees Python's buffers,
  leak checking off for CPython's own leaks), and a deliberate overflow in that setup is caught.

Every command here is bounded by a subprocess timeout.
"""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST = os.path.join(ROOT, "ports", "host")
CORES = ("esp32", "rp2")  # every native core: ports/esp32, ports/rp2040_cyw43
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


@pytest.fixture(params=CORES)
def core(request):
    return request.param


def _make(tmp_path, core, *targets, timeout=300):
    out = str(tmp_path / "build")
    done = subprocess.run(
        ["make", "-C", HOST, "CORE=" + core, "OUT=" + out, *targets],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
    )
    assert done.returncode == 0, done.stdout
    return out, done.stdout


def _asan_runtime():
    path = subprocess.run(["gcc", "-print-file-name=libasan.so"], stdout=subprocess.PIPE,
                          text=True, check=True).stdout.strip()
    if not os.path.isabs(path) or not os.path.exists(path):
        pytest.skip("gcc has no libasan.so here")
    return path


def _asan_env(build_dir):
    env = dict(os.environ)
    env.update(
        LD_PRELOAD=_asan_runtime(),
        ASAN_OPTIONS="detect_leaks=0:abort_on_error=1",  # CPython itself leaks at exit
        UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1",
        PYTHONMALLOC="malloc",  # no pymalloc arenas: ASan sees every Python buffer
        SOCKETPOOL_LWIP_VARIANT="asan",
        SOCKETPOOL_LWIP_BUILD=build_dir,
        PYTHONPATH=os.pathsep.join([ROOT, os.path.join(ROOT, "tools")]),
    )
    return env


def test_core_builds_with_all_warnings_as_errors(tmp_path, core):
    out, log = _make(tmp_path, core)
    assert os.path.exists(os.path.join(out, "libsp_%s.so" % core))
    assert "-Werror" in log and "-Wextra" in log
    assert "warning:" not in log


def test_selftest_passes_under_asan_ubsan_and_leak_sanitizer(tmp_path, core):
    out, _ = _make(tmp_path, core, "selftest")
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1", UBSAN_OPTIONS="halt_on_error=1")
    done = subprocess.run([os.path.join(out, "asan", "sp_selftest_" + core)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert done.returncode == 0, done.stdout
    assert "sp_selftest: 0 failure(s)" in done.stdout
    assert not any(m in done.stdout for m in SANITIZER_MARKS), done.stdout


@pytest.mark.skipif(shutil.which("clang") is None, reason="clang (Debian clang) is not installed")
def test_fuzz_harness_runs_bounded_with_no_crash_hang_or_leak(tmp_path, core):
    out, _ = _make(tmp_path, core, "fuzz")
    seconds = int(os.environ.get("SOCKETPOOL_FUZZ_SECONDS", "60"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    done = subprocess.run(
        [os.path.join(out, "fuzz", "sp_fuzz_" + core), "-max_total_time=%d" % seconds,
         "-timeout=10", "-rss_limit_mb=2048", "-detect_leaks=1", "-print_final_stats=1",
         "-artifact_prefix=%s/" % tmp_path, str(corpus)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=seconds + 120,
        cwd=str(tmp_path),
    )
    tail = done.stdout[-4000:]
    assert done.returncode == 0, tail
    assert "stat::number_of_executed_units" in done.stdout, tail
    runs = int(done.stdout.split("stat::number_of_executed_units:")[1].split()[0])
    assert runs > 1000, tail  # it really ran programs, not just started
    assert not any(m in done.stdout for m in SANITIZER_MARKS), tail


def test_asan_in_cpython_catches_an_overflow_through_the_core(tmp_path, core):
    """The setup the conformance run below relies on does detect a bug: a recv into a 16-byte
    buffer told it holds 4096 bytes overflows inside lwIP's memcpy, and ASan stops it."""
    out, _ = _make(tmp_path, core, "SAN=asan")
    script = textwrap.dedent("""
        import ctypes, time
        from socketpool_host import engine_lwip
        e = engine_lwip.load_core("%s")
        assert e.variant == "asan", e.variant
        lst = e.socket(2, 1, 0)  # both ends in lwIP, over its own loopback
        for port in range(40000, 40100):
            if lst.bind("127.0.0.1", port) == 0:
                break
        assert lst.listen(1) == 0
        s = e.socket(2, 1, 0)
        s.connect("127.0.0.1", port)
        assert lst.poll(1, 10000) & 1
        conn, _ip, _port = lst.accept()
        assert conn.send(b"x" * 4096) == 4096
        time.sleep(0.2)
        small = ctypes.create_string_buffer(16)
        e._core.sp_recv_into(s._s, small, 4096)
        print("NOT CAUGHT")
    """ % core)
    done = subprocess.run([sys.executable, "-c", script], env=_asan_env(out),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert "NOT CAUGHT" not in done.stdout
    assert "ERROR: AddressSanitizer: heap-buffer-overflow" in done.stdout, done.stdout[-3000:]


@pytest.mark.timeout(1300)  # the whole suite (thread cases included) under ASan: minutes
def test_conformance_suite_passes_with_the_core_under_asan_and_ubsan(tmp_path, core):
    out, _ = _make(tmp_path, core, "SAN=asan")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", os.path.join(ROOT, "tests", "conformance"),
         "--target", "host-lwip-" + core, "-q", "-x", "-p", "no:cacheprovider"],
        env=_asan_env(out), cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1200,
    )
    tail = done.stdout[-6000:]
    assert done.returncode == 0, tail
    assert " passed" in done.stdout, tail
    assert not any(m in done.stdout for m in SANITIZER_MARKS), tail
