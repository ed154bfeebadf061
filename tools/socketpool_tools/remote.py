"""Objects on a target, used from pytest as if they were local.

A small agent (``AGENT``, MicroPython and CPython alike) is sent to the target once. It keeps the
target's objects in a table and answers each call with one printed line: a tagged repr of the
result, or of the exception. ``Session`` sends calls through any transport with an ``exec(code,
timeout)`` method (the raw REPL, or ``LocalExec`` in this process); ``RemoteObject`` is the local
stand-in for a target object. Conventions:

* values pass by value: None, bool, int, float, str, bytes, bytearray, tuples, lists, dicts;
  anything else stays on the target and comes back as a handle (a ``RemoteObject``; the same
  target object always gives the same local proxy, so ``==``/``hash`` are by identity);
* a remote exception is raised here as the same type; an ``OSError``'s errno is translated by
  **name** (target number -> target ``errno`` name -> this interpreter's number); a remote
  ``gaierror`` becomes the session's local ``gaierror`` class (an OSError);
* ``recv_into``/``recvfrom_into`` fill a target bytearray of ``len(buf)`` and copy what was
  received back into the caller's buffer (bytearray or memoryview);
* when a proxy is garbage collected here, its handle is released on the target with the next call,
  so the target's own finalisers and slot accounting see the object as dropped.
"""

import ast
import base64
import builtins
import errno as _errno
import io
import os
import sys
import traceback
import weakref

AGENT = r'''
import sys, gc, errno
try:
    import io
except ImportError:
    io = None
class _SP:
    T = {}
    I = {}
    n = 0
    E = {}
def _sp_init():
    for k in dir(errno):
        if k[:1] == 'E':
            v = getattr(errno, k)
            if isinstance(v, int):
                _SP.E[v] = k
    try:
        for k, v in errno.errorcode.items():
            _SP.E[k] = v
    except AttributeError:
        pass
_sp_init()
def _sp_put(o):
    k = id(o)
    h = _SP.I.get(k)
    if h is not None and _SP.T.get(h) is o:
        return h
    _SP.n += 1
    h = _SP.n
    _SP.T[h] = o
    _SP.I[k] = h
    return h
def _sp_enc(v):
    if v is None or isinstance(v, (bool, int, float, str, bytes)):
        return v
    if isinstance(v, tuple):
        return tuple([_sp_enc(x) for x in v])
    if isinstance(v, list):
        return [_sp_enc(x) for x in v]
    if isinstance(v, bytearray):
        return {'ba': bytes(v)}
    if isinstance(v, dict):
        return {'d': [(_sp_enc(k), _sp_enc(x)) for k, x in v.items()]}
    return {'h': _sp_put(v), 't': type(v).__name__, 'c': callable(v)}
def _sp_tb(e):
    if io is None:
        return ''
    b = io.StringIO()
    try:
        sys.print_exception(e, b)
    except AttributeError:
        import traceback
        traceback.print_exception(type(e), e, e.__traceback__, file=b)
    return b.getvalue()
def _sp_err(e):
    en = None
    if isinstance(e, OSError) and e.args and isinstance(e.args[0], int):
        en = e.args[0]
    try:
        a = _sp_enc(e.args)
    except Exception:
        a = ()
    return ('E', type(e).__name__, isinstance(e, OSError), en, _SP.E.get(en), a, _sp_tb(e))
def _sp_run(f):
    try:
        r = ('R', _sp_enc(f()))
    except Exception as e:
        r = _sp_err(e)
    print(repr(r))
def _sp_drop(hs):
    for h in hs:
        o = _SP.T.pop(h, None)
        if o is not None:
            _SP.I.pop(id(o), None)
def _sp_into(o, m, n, rest, kw):
    b = bytearray(n)
    r = getattr(o, m)(b, *rest, **kw)
    k = r[0] if isinstance(r, tuple) else r
    if not isinstance(k, int) or k < 0:
        k = 0
    return (r, bytes(b[:k]))
def _sp_type(o):
    t = type(o)
    calls = []
    consts = []
    for k in dir(o):
        if k[:2] == '__':
            continue
        try:
            v = getattr(t, k)
        except AttributeError:
            continue
        if callable(v) and not isinstance(v, type):
            calls.append(k)
        elif isinstance(v, (int, str)) and not isinstance(v, bool):
            consts.append((k, v))
    return (calls, consts)
def _sp_new(n):
    return _sp_put(bytearray(n))
def _sp_fill(h, at, text):
    import binascii
    d = binascii.a2b_base64(text)
    _SP.T[h][at:at + len(d)] = d
def _sp_recv(h, n):
    b = memoryview(_SP.T[h])
    try:
        import micropython
        micropython.kbd_intr(-1)
    except (ImportError, AttributeError):
        micropython = None
    got = 0
    try:
        rd = sys.stdin.buffer
        while got < n:
            k = rd.readinto(b[got:n])
            if not k:
                break
            got += k
    finally:
        if micropython:
            micropython.kbd_intr(3)
    return got
def _sp_cycle(h):
    o = _SP.T[h]
    o._cycle = [o]
    _sp_drop([h])
'''

# Exceptions that keep their own type when they cross; anything else becomes RemoteError.
_PLAIN = (
    "TypeError", "ValueError", "RuntimeError", "NotImplementedError", "AttributeError",
    "KeyError", "IndexError", "MemoryError", "ImportError", "NameError", "StopIteration",
    "AssertionError", "ZeroDivisionError", "OverflowError", "UnicodeError", "KeyboardInterrupt",
)


# buffers longer than this go to the target in chunks, not inline in the call's source text
UPLOAD_ABOVE = 4096
UPLOAD_CHUNK = 3072


class RemoteError(Exception):
    """A target exception of a type that has no local counterpart."""


class LocalExec:
    """A transport that runs the agent in this interpreter (no device): used to check the proxy
    against the in-process engines, and in unit tests."""

    def __init__(self):
        self.ns = {"__name__": "__sp_local__"}

    def exec(self, code, timeout=30):
        out = io.StringIO()
        err = ""
        saved = sys.stdout
        sys.stdout = out
        try:
            exec(compile(code, "<target>", "exec"), self.ns)
        except BaseException:  # the device would print it on its error channel
            err = traceback.format_exc()
        finally:
            sys.stdout = saved
        return out.getvalue().encode(), err.encode()

    def close(self):
        pass


class Session:
    """Calls on one target through ``transport``; ``gaierror`` is the local class remote
    gaierrors become."""

    def __init__(self, transport, call_timeout=30, upload_chunk=UPLOAD_CHUNK):
        self.transport = transport
        self.upload_chunk = upload_chunk  # a board's heap wants small chunks, a VM takes big ones
        self.call_timeout = call_timeout
        self._proxies = weakref.WeakValueDictionary()
        self._types = {}
        self._drops = []
        self._staged = []

        class gaierror(OSError):  # noqa: N801 - the name user code sees
            """Name resolution failed on the target (``pool.gaierror``)."""

        gaierror.__qualname__ = "SocketPool.gaierror"
        gaierror.__module__ = "socketpool"

        self.gaierror = gaierror
        self.start()

    def start(self):
        """Send the agent (again, after the target lost its state): every earlier handle is gone."""
        for p in list(self._proxies.values()):
            object.__setattr__(p, "_released", True)
        self._proxies = weakref.WeakValueDictionary()
        self._drops, self._staged = [], []
        self._exec(AGENT)
        self._stdin_ok = self.run("hasattr(sys.stdin, 'buffer')")

    # --- raw execution ---
    def _exec(self, code, timeout=None):
        out, err = self.transport.exec(code, self.call_timeout if timeout is None else timeout)
        if err:
            raise RemoteError("the target failed running harness code:\n" + err.decode("utf-8", "replace"))
        return out

    def run(self, expr, timeout=None, flush=True):
        """Evaluate source ``expr`` on the target and return its decoded value (or raise).
        ``flush``: release dropped handles first (not while staging a call's arguments)."""
        __tracebackhide__ = True  # a failing case shows the test's line and the target's traceback
        prefix = ""
        if self._drops and flush:
            drops, self._drops = self._drops, []
            prefix = "_sp_drop(%r)\n" % (drops,)
        staged, self._staged = (self._staged, []) if flush else ([], self._staged)
        try:
            out = self._exec("%s_sp_run(lambda: %s)" % (prefix, expr), timeout)
        finally:
            self._drops.extend(staged)
        line = out.decode("utf-8", "replace").strip().splitlines()
        if not line:
            raise RemoteError("no answer from the target for %s" % expr)
        # the last line is the agent's; anything before it was printed by the code under test
        try:
            msg = ast.literal_eval(line[-1])
        except (ValueError, SyntaxError):
            raise RemoteError("unreadable answer from the target: %r" % line[-1][:200]) from None
        if msg[0] == "R":
            return self.decode(msg[1])
        raise self.exception(*msg[1:])

    def exec_statements(self, code, timeout=None):
        """Run statements on the target (setup code); returns what they printed."""
        return self._exec(code, timeout).decode("utf-8", "replace")

    # --- values ---
    def src(self, v):
        """Target source text for local value ``v``."""
        if isinstance(v, RemoteObject):
            return "_SP.T[%d]" % object.__getattribute__(v, "_h")
        if isinstance(v, (bytes, bytearray, memoryview)) and len(v) > UPLOAD_ABOVE:
            return self.upload(v)
        if v is None or isinstance(v, (bool, int, str, bytes)):
            return repr(v)
        if isinstance(v, float):
            if v != v or v in (float("inf"), float("-inf")):
                return "float(%r)" % repr(v)
            return repr(v)
        if isinstance(v, bytearray):
            return "bytearray(%r)" % bytes(v)
        if isinstance(v, memoryview):
            inner = "bytearray(%r)" % v.tobytes() if not v.readonly else repr(v.tobytes())
            return "memoryview(%s)" % inner
        if isinstance(v, tuple):
            return "(%s)" % "".join(self.src(x) + "," for x in v)
        if isinstance(v, list):
            return "[%s]" % ",".join(self.src(x) for x in v)
        if isinstance(v, dict):
            return "{%s}" % ",".join("%s:%s" % (self.src(k), self.src(x)) for k, x in v.items())
        return "object()"  # an object of a kind the target does not know

    def upload(self, data):
        """Stage a large buffer on the target in base64 chunks (its source text would not fit in
        a small heap); the call gets a target bytearray, released after the call."""
        data = memoryview(data).cast("B")
        h = self.run("_sp_new(%d)" % len(data), flush=False)
        self._staged.append(h)  # released after the call that uses it
        send = getattr(self.transport, "exec_with_input", None)
        if send is not None and self._stdin_ok:
            # raw bytes on the console: the target reads them from its stdin
            out, err = send("_sp_run(lambda: _sp_recv(%d,%d))" % (h, len(data)), data.tobytes(),
                            self.call_timeout)
            if err or ast.literal_eval(out.decode().strip().splitlines()[-1]) != ("R", len(data)):
                raise RemoteError("uploading %d bytes failed: %r %r" % (len(data), out[-200:], err[-500:]))
            return "_SP.T[%d]" % h
        chunk = self.upload_chunk
        for at in range(0, len(data), chunk):
            text = base64.b64encode(data[at:at + chunk]).decode()
            self._exec("_sp_fill(%d,%d,%r)" % (h, at, text))
        return "_SP.T[%d]" % h

    def decode(self, v):
        if isinstance(v, tuple):
            return tuple(self.decode(x) for x in v)
        if isinstance(v, list):
            return [self.decode(x) for x in v]
        if isinstance(v, dict):
            if "h" in v:
                return self.proxy(v["h"], v["t"], v["c"])
            if "ba" in v:
                return bytearray(v["ba"])
            if "d" in v:
                return {self.decode(k): self.decode(x) for k, x in v["d"]}
        return v

    def proxy(self, h, typename, is_callable=False):
        p = self._proxies.get(h)
        if p is None:
            p = RemoteObject(self, h, typename, is_callable)
            self._proxies[h] = p
        return p

    def release(self, h):
        self._drops.append(h)

    def type_info(self, proxy):
        """(callable names, {constant name: value}) of a target object's class, asked once."""
        key = object.__getattribute__(proxy, "_t")
        info = self._types.get(key)
        if info is None:
            calls, consts = self.run("_sp_type(%s)" % self.src(proxy))
            info = self._types[key] = (frozenset(calls), dict(consts))
        return info

    # --- errors ---
    def exception(self, typename, is_oserror, remote_errno, errname, args, tb):
        args = self.decode(args)
        args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
        if typename == "gaierror":
            e = self.gaierror(*args)
        elif is_oserror or typename in ("BrokenPipeError", "TimeoutError"):
            local = local_errno(remote_errno, errname)
            cls = {"BrokenPipeError": BrokenPipeError, "TimeoutError": TimeoutError}.get(typename, OSError)
            if local is None:
                e = cls(*args)
            else:
                msg = args[1] if len(args) > 1 and isinstance(args[1], str) else os.strerror(local)
                e = cls(local, msg)
        elif typename in _PLAIN:
            e = getattr(builtins, typename)(*args)
        else:
            e = RemoteError("%s%r" % (typename, args))
        if tb and hasattr(e, "add_note"):
            e.add_note("on the target:\n" + tb.rstrip())
        return e


def local_errno(remote_errno, errname):
    """This interpreter's errno for a target error: by name; a number the target could not name
    is taken as Linux numbering (MicroPython's own, on every port but esp32)."""
    if remote_errno is None:
        return None
    if errname and hasattr(_errno, errname):
        return getattr(_errno, errname)
    return remote_errno


class RemoteMethod:
    __slots__ = ("_obj", "_name")

    def __init__(self, obj, name):
        self._obj = obj
        self._name = name

    def __call__(self, *args, **kwargs):
        __tracebackhide__ = True
        obj = self._obj
        s = object.__getattribute__(obj, "_s")
        if self._name in ("recv_into", "recvfrom_into") and args and _writable(args[0]):
            buf = args[0]
            rest = "(%s)" % "".join(s.src(a) + "," for a in args[1:])
            kw = "{%s}" % ",".join("%r:%s" % (k, s.src(v)) for k, v in kwargs.items())
            r, data = s.run("_sp_into(%s,%r,%d,%s,%s)" % (s.src(obj), self._name, len(buf), rest, kw))
            if data:
                memoryview(buf).cast("B")[: len(data)] = data
            return r
        return s.run("%s.%s(%s)" % (s.src(obj), self._name, _arglist(s, args, kwargs)))

    def __repr__(self):
        return "<remote method %s of %r>" % (self._name, self._obj)


def _writable(buf):
    if isinstance(buf, bytearray):
        return True
    return isinstance(buf, memoryview) and not buf.readonly


def _arglist(s, args, kwargs):
    parts = [s.src(a) for a in args]
    parts += ["%s=%s" % (k, s.src(v)) for k, v in kwargs.items()]
    return ",".join(parts)


class RemoteObject:
    """Local stand-in for an object on the target."""

    __slots__ = ("_s", "_h", "_t", "_c", "_released", "__weakref__")

    def __init__(self, session, h, typename, is_callable):
        object.__setattr__(self, "_s", session)
        object.__setattr__(self, "_h", h)
        object.__setattr__(self, "_t", typename)
        object.__setattr__(self, "_c", is_callable)
        object.__setattr__(self, "_released", False)

    def __getattr__(self, name):
        __tracebackhide__ = True
        s = object.__getattribute__(self, "_s")
        if name.startswith("__"):
            raise AttributeError(name)
        calls, consts = s.type_info(self)
        if name in calls:
            return RemoteMethod(self, name)
        if name in consts:
            return consts[name]
        return s.run("%s.%s" % (s.src(self), name))

    def __setattr__(self, name, value):
        s = object.__getattribute__(self, "_s")
        s.run("setattr(%s,%r,%s)" % (s.src(self), name, s.src(value)))

    def __call__(self, *args, **kwargs):
        __tracebackhide__ = True
        s = object.__getattribute__(self, "_s")
        return s.run("%s(%s)" % (s.src(self), _arglist(s, args, kwargs)))

    def __enter__(self):
        s = object.__getattribute__(self, "_s")
        s.run("%s.__enter__()" % s.src(self))
        return self

    def __exit__(self, *exc):
        s = object.__getattribute__(self, "_s")
        s.run("%s.__exit__(None,None,None)" % s.src(self))

    def __dir__(self):
        s = object.__getattribute__(self, "_s")
        return s.run("dir(%s)" % s.src(self))

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    def __repr__(self):
        return "<remote %s #%d>" % (object.__getattribute__(self, "_t"), object.__getattribute__(self, "_h"))

    def __del__(self):
        try:
            if not object.__getattribute__(self, "_released"):
                object.__getattribute__(self, "_s").release(object.__getattribute__(self, "_h"))
        except Exception:
            pass


class PoolProxy(RemoteObject):
    """The target's SocketPool: as a RemoteObject, with ``gaierror`` the session's local class."""

    __slots__ = ()

    def __getattr__(self, name):
        if name == "gaierror":
            return object.__getattribute__(self, "_s").gaierror
        return RemoteObject.__getattr__(self, name)


def pool_proxy(session, expr):
    """Proxy for the pool object the target expression ``expr`` evaluates to."""
    obj = session.run(expr)
    if not isinstance(obj, RemoteObject):
        raise RemoteError("%s is not an object on the target" % expr)
    h, t = object.__getattribute__(obj, "_h"), object.__getattribute__(obj, "_t")
    object.__setattr__(obj, "_released", True)  # the pool proxy takes over the handle
    p = PoolProxy(session, h, t, False)
    session._proxies[h] = p
    return p


def forget(proxy):
    """The target dropped this handle itself; don't release it again."""
    object.__setattr__(proxy, "_released", True)


def handle(proxy):
    return object.__getattribute__(proxy, "_h")
