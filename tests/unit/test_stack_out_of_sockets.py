"""When the stack runs out of sockets before the pool's slots do (rp2 firmware: its UDP PCB pool;
a desktop: the descriptor limit), socket() says "Out of sockets", as the contract names it, and
works again once a socket is closed. Real OS limit, in a subprocess: RLIMIT_NOFILE."""

import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = textwrap.dedent(
    """
    import os, resource
    import wifi, socketpool
    pool = socketpool.SocketPool(wifi.radio)
    open_fds = len(os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (open_fds + 3, open_fds + 3))
    socks = []
    error = None
    for _ in range(20):  # the pool has 64 slots: the descriptor limit comes first
        try:
            socks.append(pool.socket(pool.AF_INET, pool.SOCK_DGRAM))
        except Exception as e:
            error = e
            break
    print("opened", len(socks))
    print("error", type(error).__name__, error)
    print("slots", pool._slots_in_use())
    socks.pop().close()
    s = pool.socket(pool.AF_INET, pool.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    print("after close ok")
    """
)


def test_stack_out_of_descriptors_is_out_of_sockets_and_recovers():
    env = dict(os.environ, SOCKETPOOL_SLOTS="64", SOCKETPOOL_ENGINE="host", PYTHONPATH=ROOT)
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, env=env, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert out[0].startswith("opened ") and int(out[0].split()[1]) >= 1
    assert out[1] == "error RuntimeError Out of sockets"
    assert out[2] == "slots %s" % out[0].split()[1]  # the failed call took no slot
    assert out[3] == "after close ok"
