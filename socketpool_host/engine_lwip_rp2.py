"""The Pico W native core (ports/rp2040_cyw43, lwIP raw API) on host lwIP: SOCKETPOOL_ENGINE=lwip-rp2."""
from socketpool_host import engine_lwip

engine_lwip.load_core("rp2", globals())
