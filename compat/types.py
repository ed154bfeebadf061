"""The ``types`` names Adafruit libraries import for annotations, for MicroPython."""


def _f():
    pass


def _g():
    yield


class _C:
    def _m(self):
        pass


FunctionType = LambdaType = type(_f)
GeneratorType = type(_g())
MethodType = type(_C()._m)
ModuleType = type(__import__("sys"))
TracebackType = object  # MicroPython has no traceback objects
SimpleNamespace = None
del _f, _g, _C
