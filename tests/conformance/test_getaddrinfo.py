"""Contract section 3: getaddrinfo()."""

import pytest

# a label over 63 characters: no stack resolves it, and no DNS query leaves the machine for it
UNRESOLVABLE = "x" * 64 + ".invalid"


def test_numeric_ipv4_is_returned_as_is(pool):
    assert pool.getaddrinfo("10.1.2.3", 80) == [(pool.AF_INET, 0, 0, "", ("10.1.2.3", 80))]


def test_result_is_a_list_of_five_tuples(pool):
    result = pool.getaddrinfo("127.0.0.1", 8080)
    assert isinstance(result, list) and result
    for entry in result:
        family, type_, proto, canonname, sockaddr = entry
        assert family == pool.AF_INET
        assert sockaddr == ("127.0.0.1", 8080)


def test_type_and_proto_echo_the_hints(pool):
    result = pool.getaddrinfo("127.0.0.1", 53, 0, pool.SOCK_DGRAM, pool.IPPROTO_UDP)
    assert [(e[1], e[2]) for e in result] == [(pool.SOCK_DGRAM, pool.IPPROTO_UDP)] * len(result)


def test_all_six_arguments_can_be_keywords(pool):
    result = pool.getaddrinfo(host="127.0.0.1", port=80, family=pool.AF_INET,
                              type=pool.SOCK_STREAM, proto=pool.IPPROTO_TCP, flags=0)
    assert result[0][0] == pool.AF_INET
    assert result[0][1:3] == (pool.SOCK_STREAM, pool.IPPROTO_TCP)
    assert result[0][4] == ("127.0.0.1", 80)


def test_name_localhost_resolves_to_loopback(pool):
    result = pool.getaddrinfo("localhost", 80, pool.AF_INET)
    assert ("127.0.0.1", 80) in [e[4] for e in result]
    assert all(e[0] == pool.AF_INET for e in result)


def test_ipv6_sockaddr_is_a_4_tuple(target, pool):
    if not target.ipv6:
        pytest.skip("target %s has no IPv6" % target.name)
    result = pool.getaddrinfo("::1", 443, pool.AF_INET6)
    assert result[0][0] == pool.AF_INET6
    assert result[0][4] == ("::1", 443, 0, 0)


def test_family_filter_without_match_raises_gaierror(target, pool):
    if not target.ipv6:
        pytest.skip("target %s has no IPv6" % target.name)
    with pytest.raises(pool.gaierror):
        pool.getaddrinfo("127.0.0.1", 80, pool.AF_INET6)


def test_unresolvable_name_raises_gaierror_eai_noname(pool):
    with pytest.raises(pool.gaierror) as info:
        pool.getaddrinfo(UNRESOLVABLE, 80)
    assert isinstance(info.value, OSError)
    assert info.value.args[0] == pool.EAI_NONAME
    assert info.value.args[1] == "Name or service not known"


def test_empty_host_raises_gaierror(pool):
    with pytest.raises(pool.gaierror):
        pool.getaddrinfo("", 80)


@pytest.mark.parametrize("host", [None, 127, b"127.0.0.1", ("127.0.0.1",)])
def test_host_that_is_not_str_raises_typeerror(pool, host):
    with pytest.raises(TypeError):
        pool.getaddrinfo(host, 80)


@pytest.mark.parametrize("port", ["80", None, 80.0])
def test_port_that_is_not_int_raises_typeerror(pool, port):
    with pytest.raises(TypeError):
        pool.getaddrinfo("127.0.0.1", port)


@pytest.mark.parametrize("port", [-1, 65536, 1 << 20])
def test_port_out_of_range_raises_valueerror(pool, port):
    with pytest.raises(ValueError):
        pool.getaddrinfo("127.0.0.1", port)


@pytest.mark.parametrize("port", [0, 65535])
def test_port_range_ends_are_accepted(pool, port):
    assert pool.getaddrinfo("127.0.0.1", port)[0][4] == ("127.0.0.1", port)
