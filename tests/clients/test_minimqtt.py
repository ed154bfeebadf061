"""adafruit_minimqtt, unmodified, over socketpool against Debian's mosquitto on loopback."""

import ssl
import time
import uuid

import pytest

MQTT = pytest.importorskip("adafruit_minimqtt.adafruit_minimqtt")


def make_client(pool, port, ssl_context=None, **kw):
    """A MiniMQTT client; connect it with ``session_id=client.sid`` so that two clients to one
    broker get two sockets from adafruit_connection_manager (that is how the library works)."""
    client = MQTT.MQTT(
        broker="127.0.0.1",
        port=port,
        is_ssl=ssl_context is not None,
        socket_pool=pool,
        ssl_context=ssl_context,
        client_id="t-" + uuid.uuid4().hex[:12],
        socket_timeout=1,
        recv_timeout=3,
        **dict({"connect_retries": 3}, **kw),
    )
    client.received = []
    client.on_message = lambda c, topic, msg: c.received.append((topic, msg))
    client.sid = uuid.uuid4().hex[:8]
    return client


def loop_until(client, predicate, seconds=10):
    """Run the client's loop until ``predicate()`` holds (bounded in time and count)."""
    end = time.monotonic() + seconds
    for _ in range(100):
        if predicate() or time.monotonic() > end:
            break
        client.loop(timeout=1)
    return predicate()


def topic():
    return "socketpool/test/" + uuid.uuid4().hex[:8]


@pytest.fixture(params=["plain", "tls"])
def broker_conn(request, mosquitto, ssl_context):
    """(port, ssl_context) of the session broker, in the clear and over TLS."""
    if request.param == "tls":
        return mosquitto.tls_port, ssl_context
    return mosquitto.port, None


def test_connect_and_disconnect(managed_pool, broker_conn):
    client = make_client(managed_pool, *broker_conn)
    client.connect(session_id=client.sid)
    assert client.is_connected()
    client.disconnect()
    assert not client.is_connected()


@pytest.mark.parametrize("qos", [0, 1])
def test_publish_reaches_subscriber(managed_pool, broker_conn, qos):
    sub = make_client(managed_pool, *broker_conn)
    pub = make_client(managed_pool, *broker_conn)
    t = topic()
    sub.connect(session_id=sub.sid)
    pub.connect(session_id=pub.sid)
    try:
        sub.subscribe(t, qos=qos)
        pub.publish(t, "reading=%d" % qos, qos=qos)
        assert loop_until(sub, lambda: sub.received)
        assert sub.received == [(t, "reading=%d" % qos)]
    finally:
        sub.disconnect()
        pub.disconnect()


def test_qos1_publish_is_acknowledged(managed_pool, broker_conn):
    pub = make_client(managed_pool, *broker_conn)
    acked = []
    pub.on_publish = lambda client, userdata, t, pid: acked.append(pid)
    pub.connect(session_id=pub.sid)
    try:
        pub.publish(topic(), "x", qos=1)  # waits for PUBACK itself
        assert len(acked) == 1
    finally:
        pub.disconnect()


def test_idle_loop_returns_without_error_and_stays_connected(managed_pool, broker_conn):
    client = make_client(managed_pool, *broker_conn)
    client.connect(session_id=client.sid)
    try:
        client.subscribe(topic())
        for _ in range(2):
            assert client.loop(timeout=1) is None  # nothing arrived: the socket timed out quietly
        assert client.is_connected()
        client.ping()  # the connection still works after idling
    finally:
        client.disconnect()


def test_reconnect_after_broker_restart(managed_pool, tmp_path, certs):
    from client_support import Mosquitto

    broker = Mosquitto(str(tmp_path), certs)
    broker.start()
    try:
        client = make_client(managed_pool, broker.port)
        client.connect(session_id=client.sid)
        t = topic()
        client.subscribe(t)

        broker.stop()
        broker.start()

        # the old connection is gone: the loop notices (EOF or reset), then reconnect() works
        with pytest.raises((MQTT.MMQTTException, OSError)):
            for _ in range(10):
                client.loop(timeout=1)
        client.reconnect()
        assert client.is_connected()
        client.publish(t, "after restart")
        assert loop_until(client, lambda: client.received)
        assert client.received == [(t, "after restart")]
        client.disconnect()
    finally:
        broker.stop()


def test_tls_connect_to_untrusted_broker_fails(managed_pool, mosquitto, certs):
    from socketpool_host import tls

    ctx = tls.create_default_context()
    ctx.load_verify_locations(cadata=certs.other_ca_pem)  # not the CA that signed the broker
    client = make_client(managed_pool, mosquitto.tls_port, ctx, connect_retries=1)
    with pytest.raises(MQTT.MMQTTException) as info:
        client.connect(session_id=client.sid)

    assert isinstance(info.value.__cause__, ssl.SSLCertVerificationError)
    assert isinstance(info.value.__cause__, OSError)
