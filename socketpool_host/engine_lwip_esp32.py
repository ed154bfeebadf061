"""The ESP32 native core (ports/esp32) on host lwIP: SOCKETPOOL_ENGINE=lwip-esp32."""
from socketpool_host import engine_lwip

engine_lwip.load_core("esp32", globals())
