# MQTT publish and subscribe with adafruit_minimqtt: runs unchanged on a CircuitPython board
# and under `socketpool run examples/mqtt_pubsub`.
import os
import time

import adafruit_connection_manager
import adafruit_minimqtt.adafruit_minimqtt as MQTT
import wifi

wifi.radio.connect(os.getenv("CIRCUITPY_WIFI_SSID"), os.getenv("CIRCUITPY_WIFI_PASSWORD"))

pool = adafruit_connection_manager.get_radio_socketpool(wifi.radio)
ssl_context = adafruit_connection_manager.get_radio_ssl_context(wifi.radio)
topic = os.getenv("MQTT_TOPIC")
received = []


def message(client, topic, payload):
    print("Received on", topic, ":", payload)
    received.append(payload)


mqtt = MQTT.MQTT(
    broker=os.getenv("MQTT_BROKER"),
    port=os.getenv("MQTT_PORT"),
    socket_pool=pool,
    ssl_context=ssl_context,
)
mqtt.on_message = message
mqtt.connect()
print("Connected to", os.getenv("MQTT_BROKER"))
mqtt.subscribe(topic, qos=1)
for n in range(3):
    mqtt.publish(topic, "reading %d" % n, qos=1)
    print("Published reading", n)

deadline = time.monotonic() + 15
while len(received) < 3 and time.monotonic() < deadline:
    mqtt.loop(timeout=1)
mqtt.disconnect()
print("Got %d of 3 messages back" % len(received))
