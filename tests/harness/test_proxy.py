"""The remote proxy: values, buffers, identity, errors and errno translation by name, handle
release and per-call timeouts, over the raw REPL to MicroPython's unix port on a pty (the serial
code path) and over the in-process transport (CPython)."""

import errno
import gc
import os

import pytest

from socketpool_tools.remote import LocalExec, RemoteError, RemoteObject, Session
from socketpool_tools.transport import PtyProcess, RawRepl, TargetTimeout

FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_remote.py")


def load_fake(session):
    with open(FAKE) as f:
        session.exec_statements(f.read())
    return session.run("thing")


@pytest.fixture(scope="module")
def vm():
    from socketpool_tools.paths import find_micropython

    binary = find_micropython()
    if not binary:
        pytest.skip("MicroPython's unix port is not installed")
    proc = PtyProcess([binary])
    repl = RawRepl(proc.device, interrupt=proc.interrupt)
    proc.start()
    assert repl.wait_for(b">>> ", 30)
    repl.enter()
    yield Session(repl, call_timeout=10)
    repl.close()
    proc.stop()


@pytest.fixture(params=["micropython-raw-repl", "cpython-in-process"])
def session(request):
    if request.param == "cpython-in-process":
        return Session(LocalExec(), call_timeout=10)
    return request.getfixturevalue("vm")


@pytest.fixture
def thing(session):
    return load_fake(session)


def test_plain_values_round_trip_by_value(thing):
    args = (1, -2, 2.5, "text", b"\x00\xff", bytearray(b"ab"), (1, (2, "x")), [3, [4]], None, True)
    got_args, got_kwargs = thing.echo(*args, key={"a": 1})
    assert got_args == args
    assert type(got_args[5]) is bytearray
    assert got_kwargs == {"key": {"a": 1}}


def test_recv_into_copies_back_into_a_local_bytearray(thing):
    buf = bytearray(5)
    assert thing.recv_into(buf) == 5
    assert buf == bytearray(b"abcde")


def test_recv_into_fills_a_memoryview_slice_in_place(thing):
    backing = bytearray(b"..........")
    assert thing.recv_into(memoryview(backing)[3:6]) == 3
    assert backing == bytearray(b"...abc....")


def test_recv_into_passes_nbytes_and_copies_only_what_was_received(thing):
    buf = bytearray(b"xxxxxxxx")
    assert thing.recv_into(buf, 2) == 2
    assert buf == bytearray(b"abxxxxxx")


def test_recvfrom_into_returns_count_and_address_and_fills_buffer(thing):
    buf = bytearray(3)
    assert thing.recvfrom_into(buf) == (3, ("10.0.0.1", 80))
    assert buf == bytearray(b"abc")


def test_class_constant_and_instance_attribute_are_read(thing):
    assert thing.kind == 7
    assert thing.value == 1
    thing.value = 9
    assert thing.value == 9


def test_missing_attribute_raises_attributeerror(thing):
    with pytest.raises(AttributeError):
        thing.no_such_name


def test_same_target_object_gives_the_same_proxy(thing):
    assert thing.same() is thing
    a, b = thing.child(), thing.child()
    assert isinstance(a, RemoteObject) and a != b and a == a
    assert len({a, b, a}) == 2


def test_remote_oserror_errno_is_translated_by_name(session, thing):
    # the target numbers ECONNREFUSED 200 (as a port with other errno numbers would)
    session.exec_statements("_SP.E[200] = 'ECONNREFUSED'")
    with pytest.raises(OSError) as info:
        thing.oserror(200)
    assert info.value.errno == errno.ECONNREFUSED


def test_remote_errno_the_target_cannot_name_keeps_its_number(thing):
    with pytest.raises(OSError) as info:
        thing.oserror(4321)
    assert info.value.errno == 4321


def test_remote_timeout_is_a_local_timeouterror_with_etimedout(thing):
    with pytest.raises(TimeoutError) as info:
        thing.timeout()
    assert info.value.errno == errno.ETIMEDOUT


def test_remote_gaierror_is_the_sessions_gaierror_an_oserror(session, thing):
    with pytest.raises(session.gaierror) as info:
        thing.gai()
    assert isinstance(info.value, OSError)
    assert info.value.args == (-2, "Name or service not known")


def test_builtin_exception_types_keep_their_type_and_message(thing):
    with pytest.raises(TypeError, match="bad argument"):
        thing.typeerror()


def test_exception_without_local_counterpart_is_remoteerror(thing):
    with pytest.raises(RemoteError, match="FakeError"):
        thing.custom()


def test_output_printed_by_the_code_under_test_does_not_confuse_the_answer(thing):
    assert thing.chatty() == 5


def test_dropped_proxy_releases_its_handle_on_the_target(session, thing):
    gc.collect()  # proxies of earlier cases, released with the next call
    session.run("0")
    before = session.run("len(_SP.T)")
    child = thing.child()
    assert session.run("len(_SP.T)") == before + 1
    del child
    gc.collect()
    assert session.run("len(_SP.T)") == before


def test_hung_call_times_out_and_the_session_recovers(vm):
    thing = load_fake(vm)
    with pytest.raises(TargetTimeout):
        vm.run("thing.hang()", timeout=1.5)
    assert thing.echo(1) == ((1,), {})


def test_large_buffer_argument_is_staged_in_chunks_and_arrives_whole(session, thing):
    data = bytes(range(256)) * 40 + b"end"  # above the inline limit
    (got,), _kw = thing.echo(data)
    assert bytes(got) == data
    # the staged copy is released after the call
    gc.collect()
    session.run("0")
    before = session.run("len(_SP.T)")
    thing.echo(bytearray(data))
    session.run("0")
    assert session.run("len(_SP.T)") <= before


def test_every_byte_value_survives_the_upload(session, thing):
    data = bytes(range(256)) * 64 + b"\r\n\x03\x04\x00"
    (got,), _kw = thing.echo(data)
    assert bytes(got) == data


def test_dir_lists_the_target_objects_names(thing):
    names = dir(thing)
    assert "echo" in names and "kind" in names and "value" in names
    assert not hasattr(thing, "no_such_name")
