"""Contract section 1: names and constant values."""

import pytest

CONSTANTS = {
    "AF_INET": 2,
    "AF_INET6": 10,
    "SOCK_STREAM": 1,
    "SOCK_DGRAM": 2,
    "SOCK_RAW": 3,
    "SOL_SOCKET": 0xFFF,
    "SO_REUSEADDR": 4,
    "TCP_NODELAY": 1,
    "IPPROTO_IP": 0,
    "IPPROTO_ICMP": 1,
    "IPPROTO_TCP": 6,
    "IPPROTO_UDP": 17,
    "IPPROTO_IPV6": 41,
    "IPPROTO_RAW": 255,
    "IP_MULTICAST_TTL": 5,
    "EAI_NONAME": -2,
}


@pytest.fixture
def module(target):
    """The target's socketpool module (a proxy of it on a remote target)."""
    return target.socketpool


@pytest.mark.parametrize("name,value", sorted(CONSTANTS.items()))
def test_pool_constant_has_circuitpython_value(pool, name, value):
    assert getattr(pool, name) == value


@pytest.mark.parametrize("name,value", sorted(CONSTANTS.items()))
def test_constant_lives_on_the_socketpool_class(module, name, value):
    assert getattr(module.SocketPool, name) == value


def test_module_exports_only_socketpool_and_socket(module):
    public = {n for n in dir(module) if not n.startswith("_")}
    assert public == {"SocketPool", "Socket"}


@pytest.mark.parametrize("name", ["AF_INET", "SOCK_STREAM", "gaierror", "getaddrinfo", "socket"])
def test_module_has_no_pool_names(module, name):
    with pytest.raises(AttributeError):
        getattr(module, name)


def test_socket_cannot_be_created_directly(module):
    with pytest.raises(TypeError):
        module.Socket()


def test_pool_has_gaierror_getaddrinfo_and_socket(pool):
    assert issubclass(pool.gaierror, OSError)
    assert callable(pool.getaddrinfo)
    assert callable(pool.socket)


def test_pool_has_no_timeout_attribute(pool):
    assert not hasattr(pool, "timeout")
