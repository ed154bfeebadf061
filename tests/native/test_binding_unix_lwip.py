"""The native binding (ports/common/modsocketpool.c) inside MicroPython's unix port over host lwIP,
with either core under it and the API layer on top. Outside CI: it needs a MicroPython checkout,
built as in docs/engine-esp32.md; point SOCKETPOOL_MICROPYTHON_LWIP at the resulting binary, or at
several (one per core) joined with ":"."""

import os
import signal
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARIES = [b for b in os.environ.get("SOCKETPOOL_MICROPYTHON_LWIP", "").split(os.pathsep) if b]

pytestmark = pytest.mark.skipif(
    not BINARIES, reason="set SOCKETPOOL_MICROPYTHON_LWIP to a unix-port MicroPython built with "
    "a native core over host lwIP (docs/engine-esp32.md); needs MicroPython's sources")


@pytest.fixture(scope="module", params=BINARIES or [None])
def results(request):
    script = os.path.join(ROOT, "tests", "native", "mp_binding_check.py")
    p = subprocess.Popen([request.param, script, ROOT], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if line.startswith("ready_for_ctrl_c"):
            time.sleep(0.5)
            sent = time.monotonic()
            p.send_signal(signal.SIGINT)
            lines.extend(x.strip() for x in p.communicate(timeout=10)[0].splitlines())
            lines.append("exit_ms %d" % ((time.monotonic() - sent) * 1000))
            break
    else:
        p.kill()
    if p.poll() is None:
        p.kill()
    return {ln.split(" ", 1)[0]: ln.split(" ", 1)[1] if " " in ln else "" for ln in lines}


def test_api_layer_picks_the_native_engine(results):
    name, picked = results["engine"].split()
    assert name in ("esp32", "rp2") and picked == "True"


def test_the_api_layer_runs_its_hot_path_in_c(results):
    assert results["hot_path"] == "True True"


def test_bulk_transfer_timeout_eof_and_refusal(results):
    assert results["received"] == "100000"
    assert results["timeout"] == "110"
    assert results["eof"] == "0 0"
    assert results["refused"] == "111"


def test_recv_into_allocates_nothing(results):
    assert results["heap_per_recv"] == "0"


def test_four_udp_datagrams_are_queued(results):
    assert results["udp"] == "3333"


def test_forgotten_sockets_are_finalised(results):
    assert results["finalised"] == "0"
    assert results["slots"] == "True"


def test_ctrl_c_interrupts_a_blocking_accept(results):
    assert results["interrupted"] == "yes"
    assert results.get("live_at_end") == "0", sorted(results)
