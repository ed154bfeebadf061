"""The compat modules on the MicroPython VM, by what CPython code calls (the libraries that need
them run in test_adafruit_vm.py)."""


def test_struct_unpack_from_takes_offset_as_a_keyword(vm):
    r = vm.run("""
import struct
data = bytes(range(12))
result([struct.unpack_from("!B", data, offset=2)[0], list(struct.unpack_from("!HH", data, 4)),
        list(struct.unpack_from("<I", data)), struct.calcsize("!II"), err(struct.unpack_from, "!I", data, 10)])
""")
    assert r[:4] == [2, [0x0405, 0x0607], [0x03020100], 8]
    assert r[4] is not None and r[4][0] == "ValueError"  # past the end: the built-in's error


def test_traceback_prints_and_formats_both_call_forms(vm):
    r = vm.run("""
import io, traceback
try:
    raise KeyError("k")
except KeyError as e:
    exc = e
one, three = io.StringIO(), io.StringIO()
traceback.print_exception(exc, file=one)
traceback.print_exception(type(exc), exc, None, file=three)
lines = traceback.format_exception(exc)
result([one.getvalue(), three.getvalue(), lines])
""")
    assert r[0] == r[1] and r[0].startswith("Traceback (most recent call last):")
    assert r[0].rstrip().endswith("KeyError: k")
    assert r[2] == [r[0]]


def test_re_match_objects_have_groups(vm):
    r = vm.run("""
import re
m = re.compile(r"^/led/([^/]+)/(on|off)?$").match("/led/red/")
s = re.search(r"(\\d+)-(\\d+)", "x 12-34 y")
result([list(m.groups()), list(m.groups("-")), m.group(1), m.group(), list(s.groups()),
        re.match("z", "a"), re.sub(r"\\.", "_", "a.b"), re.compile(",").split("a,b")])
""")
    assert r == [["red", None], ["red", "-"], "red", "/led/red/", ["12", "34"], None, "a_b", ["a", "b"]]


def test_tls_checks_a_name_or_refuses_on_micropython(vm, tmp_path):
    """compat ssl (mbedTLS) takes the same names as the host's tls (tests/clients/test_tls.py):
    no name at all is ValueError before anything is sent, connect()'s host is checked, and a
    certificate for another host is accepted only under that host's name (issue 11 item 4)."""
    import os
    import socket
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "clients"))
    from client_support import Certs, TLSPeer, echo_once

    certs = Certs(str(tmp_path))
    silent = TLSPeer(certs, echo_once, elsewhere=True, accept_timeout=3)
    peers = [TLSPeer(certs, echo_once, elsewhere=True) for _ in range(3)]
    r = vm.run("""
import ssl
ctx = ssl.create_default_context()
ctx.load_verify_locations(cadata=ARGS["ca"])
out = [err(ctx.wrap_socket, pool.socket(), False, "")]
def attempt(name, host, port):
    s = ctx.wrap_socket(pool.socket(), server_hostname=name)
    s.settimeout(5)
    e = err(s.connect, (host, port))
    if e is None:
        s.send(b"named")
        buf = bytearray(8)
        n = s.recv_into(buf)
        e = bytes(buf[:n]).decode()
    s.close()
    return e
out.append(attempt(None, "", ARGS["silent"]))
out.append(attempt(None, "127.0.0.1", ARGS["ports"][0]))
out.append(attempt("localhost", "127.0.0.1", ARGS["ports"][1]))
out.append(attempt("other-host.example", "127.0.0.1", ARGS["ports"][2]))
result(out)
""", {"ca": certs.ca_pem, "silent": silent.port, "ports": [p.port for p in peers]})
    assert r[0][0] == "ValueError"  # wrap_socket(server_hostname="")
    assert r[1][0] == "ValueError"  # connect(("", port)) with no server_hostname
    assert isinstance(silent.join(), socket.timeout)  # ... before connecting
    # refused by mbedTLS, as an OSError (CircuitPython's; the host's SSLCertVerificationError is one)
    assert r[2] == ["OSError", -0x2700]  # the name checked is connect()'s host
    assert r[3] == ["OSError", -0x2700]
    assert r[4] == "NAMED"  # the control: the certificate is valid under its own name
    for p in peers[:2]:
        p.join()  # their handshakes failed: the client refused
    assert peers[2].join() is None
