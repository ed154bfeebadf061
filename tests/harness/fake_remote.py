"""A tiny fake remote module (named as a fake): sent to the target's REPL by the proxy tests so
the proxy's mechanics are checked apart from any socketpool engine. Runs on MicroPython and
CPython alike."""

import errno


class FakeError(Exception):
    pass


class gaierror(OSError):  # noqa: N801 - the name socketpool uses
    pass


class Thing:
    kind = 7

    def __init__(self):
        self.value = 1

    def echo(self, *args, **kwargs):
        return (args, kwargs)

    def recv_into(self, buf, nbytes=0):
        data = b"abcdefgh"
        n = nbytes or len(buf)
        n = min(n, len(data))
        for i in range(n):
            buf[i] = data[i]
        return n

    def recvfrom_into(self, buf):
        n = self.recv_into(buf)
        return (n, ("10.0.0.1", 80))

    def oserror(self, number):
        raise OSError(number)

    def timeout(self):
        raise OSError(errno.ETIMEDOUT)

    def gai(self):
        raise gaierror(-2, "Name or service not known")

    def custom(self):
        raise FakeError("boom")

    def typeerror(self):
        raise TypeError("bad argument")

    def child(self):
        return Thing()

    def same(self):
        return self

    def chatty(self):
        print("noise from the code under test")
        return 5

    def hang(self):
        while True:
            pass


thing = Thing()
