"""The few ``typing`` names Adafruit libraries import, for MicroPython (annotations only).

Every name is a placeholder that can be subscripted (``Optional[int]``) and called as a base;
MicroPython ignores annotations, so nothing here runs at run time.
"""


class _Any:
    def __getitem__(self, item):
        return self

    def __call__(self, *args, **kwargs):
        return self


_ANY = _Any()

Any = Callable = ClassVar = Dict = Final = Generic = IO = Iterable = Iterator = List = _ANY
Literal = Mapping = NoReturn = Optional = Sequence = Set = Tuple = Type = Union = _ANY
BinaryIO = TextIO = Generator = Awaitable = Coroutine = FrozenSet = Deque = DefaultDict = _ANY
Protocol = object
TYPE_CHECKING = False


def TypeVar(name, *args, **kwargs):  # noqa: N802
    return _ANY


def NewType(name, tp):  # noqa: N802
    return tp


def cast(tp, value):
    return value


def overload(func):
    return func


def final(obj):
    return obj


def runtime_checkable(cls):
    return cls


def __getattr__(name):  # any other name: a placeholder too
    return _ANY
