"""The host-lwIP link (tools/socketpool_tools/netlink.py, ports/host/sp_host_tun.c): a TUN device
in a network namespace the test makes, lwIP at one end, the namespace's kernel sockets at the
other. Needs root, iproute2 and /dev/net/tun, as CI has; elsewhere the harness says which is
missing (checked here too)."""

import os
import socket
import subprocess
import sys
import textwrap

import pytest

from socketpool_tools import netlink

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _namespaces():
    done = subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE, text=True, timeout=30)
    return {line.split()[0] for line in done.stdout.splitlines() if line.strip()}


def test_link_sockets_live_in_its_namespace_and_close_removes_it():
    with netlink.Link() as link:
        assert link.name in _namespaces()
        with link.sockets.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((link.peer_host, 0))  # the far end's address exists only in the namespace
        with link.sockets.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind((link.peer_host6, 0))
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            with pytest.raises(OSError) as info:
                s.bind((link.peer_host, 0))
            assert info.value.errno == 99  # EADDRNOTAVAIL: not this namespace's address
        assert link.sockets.SOCK_STREAM == socket.SOCK_STREAM  # the rest is CPython's module
    assert link.name not in _namespaces()


def _engine_script(body):
    return textwrap.dedent("""
        import sys
        sys.path[:0] = [%r, %r]
        from socketpool_host import engine_lwip
        e = engine_lwip.load_core("esp32")
    """ % (ROOT, os.path.join(ROOT, "tools"))) + textwrap.dedent(body)


def test_host_lwip_reaches_a_kernel_peer_in_the_namespace_over_the_link():
    """An lwIP in another process (as MicroPython's unix port is) attaches to the device from
    the environment and talks TCP with an ordinary kernel socket across the link, both ways."""
    with netlink.Link() as link:
        lst = link.sockets.socket(socket.AF_INET, socket.SOCK_STREAM)
        lst.settimeout(30)
        lst.bind((link.peer_host, 0))
        lst.listen(1)
        script = _engine_script("""
            import time
            s = e.socket(2, 1, 0)
            r = s.connect(%r, %d)
            assert r in (0, -115), r  # done, or EINPROGRESS
            assert s.poll(4, 10000) & 4, "not connected"
            data = b"through the tun"
            assert s.send(data) == len(data)
            buf = bytearray(64)
            assert s.poll(1, 10000) & 1
            n = s.recv_into(buf, 64)
            print("GOT", bytes(buf[:n]).decode())
            s.close()
        """ % (link.peer_host, lst.getsockname()[1]))
        env = dict(os.environ, SOCKETPOOL_HOST_LINK=link.env)
        child = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
        try:
            conn, addr = lst.accept()
            with conn:
                conn.settimeout(30)
                assert addr[0] == link.host  # it came from lwIP's address on the link
                assert conn.recv(64) == b"through the tun"
                conn.sendall(b"and back")
            out, _ = child.communicate(timeout=60)
        finally:
            child.kill()
            child.wait(30)
            lst.close()
        assert child.returncode == 0, out
        assert "GOT and back" in out


def test_a_link_that_cannot_be_opened_stops_lwip_with_a_message():
    script = _engine_script("print('STARTED')")
    env = dict(os.environ, SOCKETPOOL_HOST_LINK="netns=/run/netns/sp-no-such dev=sptun0 ip=10.53.0.2/24")
    done = subprocess.run([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=120)
    assert done.returncode != 0 and "STARTED" not in done.stdout
    assert "cannot open TUN device sptun0 in /run/netns/sp-no-such" in done.stdout
    assert "lwIP did not start" in done.stdout


def test_without_root_the_link_says_so(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(netlink.LinkError, match="needs root"):
        netlink.Link()


def _own_links():
    return {n for n in _namespaces() if n.startswith("sp-link-%d-" % os.getpid())}


def test_micropython_target_on_the_micropython_engine_keeps_loopback_and_drops_the_link():
    """The stock unix port (kernel sockets): the link made before it started goes again."""
    from socketpool_tools.remote_target import RemoteTarget, TargetOptions
    from socketpool_tools.target_names import parse_target

    before = _own_links()
    t = RemoteTarget(parse_target("micropython"), TargetOptions())
    try:
        assert t.engine_name == "micropython"
        assert (t.host, t.peer_host, t.peer_socket_module) == ("127.0.0.1", "127.0.0.1", None)
        assert _own_links() == before
    finally:
        t.close()


LWIP_UNIX = os.environ.get("SOCKETPOOL_MICROPYTHON_LWIP")


@pytest.mark.skipif(not LWIP_UNIX, reason="set SOCKETPOOL_MICROPYTHON_LWIP to a unix port built with "
                    "ports/esp32 over host lwIP (docs/emulated-pico-w.md); needs MicroPython's sources")
def test_micropython_target_over_host_lwip_reaches_kernel_peers_over_the_link():
    from socketpool_tools.remote_target import RemoteTarget, TargetOptions
    from socketpool_tools.target_names import parse_target

    t = RemoteTarget(parse_target("micropython:" + LWIP_UNIX), TargetOptions())
    try:
        assert t.engine_name != "micropython"
        assert (t.host, t.peer_host) == (netlink.TARGET_IP, netlink.PEER_IP)
        with t.peer_socket_module.socket(socket.AF_INET, socket.SOCK_STREAM) as lst:
            lst.settimeout(30)
            lst.bind((t.peer_host, 0))
            lst.listen(1)
            s = t.pool.socket(t.pool.AF_INET, t.pool.SOCK_STREAM)
            s.settimeout(10)
            s.connect((t.peer_host, lst.getsockname()[1]))
            conn, addr = lst.accept()
            with conn:
                assert addr[0] == t.host
                assert s.send(b"unix port") == 9
                conn.settimeout(30)
                assert conn.recv(16) == b"unix port"
            s.close()
    finally:
        t.close()
