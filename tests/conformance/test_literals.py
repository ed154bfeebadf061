"""Host strings: one strict numeric-literal parser, everything else a name (issue 11 item 5).

Contract section 3 (getaddrinfo) and section 4 (addresses): a dotted quad of ASCII digits without
leading zeros and a well-formed IPv6 literal are used as they are; a string that could be a DNS
name goes to the resolver; anything else (what a resolver would read as octal or hex, other
scripts' digits, a NUL, ':' outside an IPv6 literal, spaces) is the pool's gaierror at once, from
getaddrinfo and from every call that takes an address, and nothing is sent.
"""

import pytest

from . import peers
from .support import tcp_client, udp_socket

# none of these may reach a resolver (glibc and lwIP read the numeric ones as other addresses:
# 010.0.0.1 is 8.0.0.1, 127.1 and 0x7f000001 are 127.0.0.1)
NOT_A_HOST = [
    "foo:bar",
    "127.0.0.1:80",
    "\u0661\u0662\u0667.\u0660.\u0660.\u0661",  # Arabic-Indic digits: 127.0.0.1 to str.isdigit()
    "\uff11\uff12\uff17.0.0.1",  # fullwidth digits
    "127.0.0.1\x00x",
    "localhost\x00",
    "010.0.0.1",
    "127.000.000.001",
    "0x7f000001",
    "0x7f.0.0.1",
    "127.1",
    "1.2.3",
    "2130706433",
    "256.0.0.1",
    "1.2.3.4.5",
    " 127.0.0.1",
    "127.0.0.1 ",
    "local host",
    "a..b",
    ".",
    "[::1]",
    "fe80::1%lo",
    "1::2::3",
    "12345::1",
    "1:2:3:4:5:6:7:8:9",
    ":1",
    "::g",
    "::1.2.3",
    "1.2.3.4::",
]


def _ids(values):
    return [ascii(v) for v in values]


def raises_gai(pool, fn, *args):
    with pytest.raises(pool.gaierror) as info:
        fn(*args)
    assert info.value.args[0] == pool.EAI_NONAME


@pytest.mark.parametrize("host", NOT_A_HOST, ids=_ids(NOT_A_HOST))
def test_getaddrinfo_refuses_what_is_neither_literal_nor_name(pool, host):
    raises_gai(pool, pool.getaddrinfo, host, 80)


@pytest.mark.parametrize("host", ["0.0.0.0", "255.255.255.255", "127.0.0.1", "10.20.30.40", "0.1.10.100"])
def test_strict_dotted_quads_are_returned_as_they_are(pool, host):
    assert pool.getaddrinfo(host, 80) == [(pool.AF_INET, 0, 0, "", (host, 80))]


IPV6_LITERALS = ["::", "::1", "1::", "0:0:0:0:0:0:0:1", "fe80::1:2", "2001:db8::ffff:1.2.3.4",
                 "1:2:3:4:5:6:7:8", "ABCD:ef01::"]


@pytest.mark.parametrize("host", IPV6_LITERALS)
def test_ipv6_literals_are_returned_as_they_are_or_gaierror_without_ipv6(target, pool, host):
    # the engine's IPv6, not whether the peers are reachable over it (behind the emulated Pico
    # W's SLIP link they are not, but its firmware's lwIP still has IPv6)
    if not target.engine_ipv6:
        raises_gai(pool, pool.getaddrinfo, host, 80)
        return
    assert pool.getaddrinfo(host, 80) == [(pool.AF_INET6, 0, 0, "", (host, 80, 0, 0))]


def test_names_still_resolve(pool):
    assert ("127.0.0.1", 80) in [e[4] for e in pool.getaddrinfo("localhost", 80, pool.AF_INET)]


@pytest.mark.parametrize("host", ["foo:bar", "127.0.0.1\x00x", "010.0.0.1", "\u0661\u0662\u0667.\u0660.\u0660.\u0661"],
                         ids=_ids(["foo:bar", "127.0.0.1\x00x", "010.0.0.1", "arabic-indic"]))
def test_every_address_call_refuses_them_and_the_socket_stays_usable(pool, sockets, net4, host):
    u, _port = udp_socket(sockets, pool, net4)
    with peers.UdpPeer(net4.peer_host) as peer:
        raises_gai(pool, u.sendto, b"xx", (host, peer.port))
        assert u.sendto(b"ok", peer.addr) == 2  # the refused call sent nothing before this
        data, _addr = peer.sock.recvfrom(100)
        assert data == b"ok"
    t = sockets(net4.af)
    raises_gai(pool, t.bind, (host, 0))
    t.settimeout(2)
    raises_gai(pool, t.connect, (host, 80))
    with peers.TcpPeer(net4.peer_host, peers.echo) as peer:
        s = tcp_client(sockets, net4, peer)  # a fresh socket: the pool gave its slots back
        s.sendall(b"still")
        buf = bytearray(8)
        assert s.recv_into(buf) == 5
        s.close()


def test_connect_to_a_long_form_ipv6_literal(target, sockets):
    if not target.ipv6:
        pytest.skip("target %s has no IPv6" % target.name)
    peer_host, _target_host = peers.loopback("ipv6", target)
    # the peer's address written out in full: every group, leading zeros
    long_form = ":".join("%04x" % int(g or "0", 16) for g in _expand(peer_host))
    with peers.TcpPeer(peer_host, peers.echo) as peer:
        s = sockets(10)
        s.settimeout(5)
        s.connect((long_form, peer.port))
        s.sendall(b"v6")
        buf = bytearray(4)
        assert s.recv_into(buf) == 2
        s.close()


def _expand(ip):
    head, _sep, tail = ip.partition("::")
    h = head.split(":") if head else []
    t = tail.split(":") if tail else []
    return h + ["0"] * (8 - len(h) - len(t)) + t if _sep else h
