"""Contract section 2: bad input gets the contract's error (TypeError/ValueError) and nothing
else escapes: no engine-internal exception, no OverflowError, no crash."""

import pytest

NAN = float("nan")
INF = float("inf")


def pool_calls(pool):
    return {
        "getaddrinfo family str": (lambda: pool.getaddrinfo("127.0.0.1", 80, "2"), TypeError),
        "getaddrinfo type None": (lambda: pool.getaddrinfo("127.0.0.1", 80, 0, None), TypeError),
        "getaddrinfo port bool": (lambda: pool.getaddrinfo("127.0.0.1", True), TypeError),
        "socket type None": (lambda: pool.socket(pool.AF_INET, None), TypeError),
        "socket proto str": (lambda: pool.socket(pool.AF_INET, pool.SOCK_STREAM, "0"), TypeError),
    }


def socket_calls(s, pool):
    return {
        "settimeout nan": (lambda: s.settimeout(NAN), ValueError),
        "settimeout inf": (lambda: s.settimeout(INF), ValueError),
        "settimeout -inf": (lambda: s.settimeout(-INF), ValueError),
        "listen str": (lambda: s.listen("1"), TypeError),
        "listen float": (lambda: s.listen(1.0), TypeError),
        "bind port bool": (lambda: s.bind(("", True)), TypeError),
        "bind port huge": (lambda: s.bind(("", 1 << 70)), ValueError),
        "bind host bytes": (lambda: s.bind((b"127.0.0.1", 0)), TypeError),
        "connect dict": (lambda: s.connect({"127.0.0.1": 80}), TypeError),
        "recv_into int": (lambda: s.recv_into(4), TypeError),
        "recv_into None": (lambda: s.recv_into(None), TypeError),
        "recv_into bufsize str": (lambda: s.recv_into(bytearray(4), "2"), TypeError),
        "recv_into bufsize None": (lambda: s.recv_into(bytearray(0), None), TypeError),
        "recv_into bufsize float": (lambda: s.recv_into(bytearray(4), 2.5), TypeError),
        "recvfrom_into bufsize None": (lambda: s.recvfrom_into(bytearray(4), None), TypeError),
        "recvfrom_into int": (lambda: s.recvfrom_into(4), TypeError),
        "send dict": (lambda: s.send({}), TypeError),
        "sendall str": (lambda: s.sendall("text"), TypeError),
        "setsockopt level str": (lambda: s.setsockopt("x", pool.SO_REUSEADDR, 1), TypeError),
        "setsockopt opt None": (lambda: s.setsockopt(pool.SOL_SOCKET, None, 1), TypeError),
    }


POOL_CASES = sorted(pool_calls(None))  # the lambdas only touch the pool when called
SOCKET_CASES = sorted(socket_calls(None, None))


@pytest.mark.parametrize("name", POOL_CASES)
def test_bad_pool_argument_gets_the_contract_error(pool, target, name):
    before = target.slots_in_use()
    call, error = pool_calls(pool)[name]
    with pytest.raises(error):
        call()
    assert target.slots_in_use() == before


@pytest.mark.parametrize("name", SOCKET_CASES)
def test_bad_socket_argument_gets_the_contract_error(pool, sockets, name):
    s = sockets()
    call, error = socket_calls(s, pool)[name]
    with pytest.raises(error):
        call()
