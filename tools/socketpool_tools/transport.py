"""The raw REPL link to a target, and programs put behind a pty so they look like a serial board.

``RawRepl`` wraps mpremote's ``SerialTransport`` (the code mpremote itself uses for a board on a
serial port, ``rfc2217://`` or ``socket://``) and adds what a test harness needs: an overall
deadline on every call (a hung device fails the case, not the run), recovery after an interrupted
call, and a log of everything exchanged, with credentials redacted.

``PtyProcess`` starts a program (MicroPython's unix port, the rp2040js emulator) with its console
on a pty and exposes a second pty's path as the "serial port", with a relay in between, so the
harness reaches it through exactly the serial code path it uses for a board.
"""

import os
import select
import signal
import subprocess
import threading
import time

from socketpool_tools.redact import redact

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"


class TargetError(Exception):
    """The target could not be reached or stopped answering the raw REPL."""


class TargetTimeout(TargetError):
    """A call on the target did not finish within its deadline (the target was interrupted)."""


def _serial_transport_class():
    from mpremote.transport_serial import SerialTransport

    class _Transport(SerialTransport):
        """mpremote's SerialTransport whose reads block on the port (not sleep-poll) and whose
        ``follow`` has an overall deadline."""

        def read_until(self, min_num_bytes, ending, timeout=10, data_consumer=None, timeout_overall=None):
            data = b""
            start = last = time.monotonic()
            while not data.endswith(ending):
                c = self.serial.read(1)  # the port's own timeout bounds this read
                now = time.monotonic()
                if c:
                    if data_consumer:
                        data_consumer(c)
                        data = c
                    else:
                        data += c
                    last = now
                    continue
                if timeout is not None and now >= last + timeout:
                    break
                if timeout_overall is not None and now >= start + timeout_overall:
                    break
            return data

        def follow_deadline(self, deadline):
            out = self.read_until(1, b"\x04", timeout=None, timeout_overall=max(0.0, deadline - time.monotonic()))
            if not out.endswith(b"\x04"):
                return None
            err = self.read_until(1, b"\x04", timeout=None, timeout_overall=max(0.5, deadline - time.monotonic()))
            if not err.endswith(b"\x04"):
                return None
            return out[:-1], err[:-1]

    return _Transport


class RawRepl:
    """One raw-REPL session on a device path or pyserial URL."""

    def __init__(self, device, baudrate=115200, log=None, interrupt=None, port_timeout=0.5):
        self.device = device
        self.log = log
        self._interrupt = interrupt
        self._dirty = False
        self.lost = None
        from mpremote.transport import TransportError

        self._TransportError = TransportError
        try:
            self.t = _serial_transport_class()(device, baudrate=baudrate, timeout=port_timeout)
        except TransportError as e:
            raise TargetError("cannot open %s: %s" % (device, e)) from None

    # --- logging ---
    def _log(self, tag, data):
        if self.log is None:
            return
        if isinstance(data, bytes):
            data = data.decode("utf-8", "replace")
        if len(data) > 4000:
            data = data[:4000] + "... (%d chars)" % len(data)
        self.log.write("%s %s %s\n" % (time.strftime("%H:%M:%S"), tag, redact(data)))
        self.log.flush()

    # --- session ---
    def wait_for(self, ending, timeout, alive=None):
        """Read until ``ending`` (a banner) or ``timeout``, or until ``alive()`` says the program
        behind the port has gone; True when seen."""
        data = b""
        deadline = time.monotonic() + timeout
        while not data.endswith(ending) and time.monotonic() < deadline:
            c = self.t.serial.read(1)
            if c:
                data += c
            elif alive is not None and not alive():
                break
        self._log("<<", data)
        return data.endswith(ending)

    def enter(self, soft_reset=False, timeout=10):
        self._log("--", "enter raw REPL%s" % (" with soft reset" if soft_reset else ""))
        try:
            self.t.enter_raw_repl(soft_reset=soft_reset, timeout_overall=timeout)
        except self._TransportError as e:
            raise TargetError("%s: no raw REPL (%s)" % (self.device, e)) from None
        self._dirty = False

    def interrupt(self):
        if self._interrupt is not None:
            self._interrupt()
        else:
            self.t.serial.write(b"\x03")

    @property
    def busy(self):
        """A call was sent and its answer not read (timed out, or abandoned by an exception)."""
        return self._dirty

    def resync(self, timeout=10):
        """Bring the device back to an idle raw REPL after an abandoned or timed-out call."""
        self._log("--", "resync")
        if self._dirty:  # only a running program is interrupted (an idle unix port would end)
            self.interrupt()
            time.sleep(0.05)
        try:
            self.enter(soft_reset=False, timeout=timeout)
        except TargetError as e:
            self.lost = str(e)
            raise

    def exec_with_input(self, code, payload, timeout=30):
        """Run ``code``, which reads ``len(payload)`` raw bytes from its stdin, and send them."""
        return self.exec(code, timeout, payload)

    def exec(self, code, timeout=30, payload=None):
        """Run ``code`` on the device; ``(stdout, stderr)`` as bytes. Raises TargetTimeout when
        the deadline passes (the device is interrupted and the session recovered first)."""
        if self.lost:
            raise TargetError("target lost earlier: %s" % self.lost)
        if self._dirty:
            self.resync()
        self._dirty = True  # stays set if anything below is interrupted (e.g. by pytest-timeout)
        self._log("->", code)
        deadline = time.monotonic() + timeout
        try:
            self.t.exec_raw_no_follow(code)
            if payload:
                self._log("->", "(%d raw bytes on the console)" % len(payload))
                self.t.serial.write(payload)
        except self._TransportError as e:
            raise TargetError("%s: %s" % (self.device, e)) from None
        r = self.t.follow_deadline(deadline)
        if r is None:
            self._log("!!", "no answer within %gs" % timeout)
            self.resync()
            raise TargetTimeout("the target did not answer within %gs (it was interrupted)" % timeout)
        self._dirty = False
        out, err = r
        self._log("<-", out)
        if err:
            self._log("<!", err)
        return out, err

    def close(self):
        try:
            self.t.exit_raw_repl()
        except Exception:
            pass
        try:
            self.t.close()
        except Exception:
            pass


def _make_ctty():
    import fcntl
    import termios

    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyProcess:
    """A program on a pty, reachable as a serial device at ``self.device`` (like QEMU's
    ``-serial pty``): bytes are relayed between the program's pty and the device's pty."""

    def __init__(self, argv, env=None, cwd=None, stderr_log=None):
        import pty  # POSIX only; serial boards need none of this (Windows: COM ports)
        import tty

        self._prog_master, prog_slave = pty.openpty()
        self._dev_master, self._dev_slave = pty.openpty()
        tty.setraw(self._dev_slave)
        # raw: no \n -> \r\n rewriting of the program's output, and a Ctrl-C byte reaches the
        # program as a byte (for the raw REPL), not as SIGINT
        tty.setraw(prog_slave)
        self.device = os.ttyname(self._dev_slave)
        self._popen = dict(args=argv, stdin=prog_slave, stdout=prog_slave,
                           stderr=stderr_log if stderr_log is not None else prog_slave,
                           env=env, cwd=cwd, close_fds=True, preexec_fn=_make_ctty)
        self._prog_slave = prog_slave
        self.proc = None

    def start(self):
        """Start the program: call it once the device is open (opening a serial port flushes
        what arrived before, such as the program's banner)."""
        self.proc = subprocess.Popen(**self._popen)
        os.close(self._prog_slave)
        self._stop = False
        self._thread = threading.Thread(target=self._relay, name="pty-relay", daemon=True)
        self._thread.start()

    def _relay(self):
        a, b = self._prog_master, self._dev_master
        while not self._stop:
            try:
                ready, _, _ = select.select([a, b], [], [], 0.2)
            except (OSError, ValueError):
                return
            for fd in ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    return  # the program has gone
                if not data:
                    return
                try:
                    os.write(b if fd == a else a, data)
                except OSError:
                    return

    def interrupt(self):
        """Ctrl-C for a program whose console does not turn the byte into SIGINT while it runs."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGINT)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        self._stop = True
        if self.proc is None:
            os.close(self._prog_slave)
        elif self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except OSError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if self.proc is not None:
            self._thread.join(2)
        for fd in (self._prog_master, self._dev_master, self._dev_slave):
            try:
                os.close(fd)
            except OSError:
                pass
