"""CircuitPython's ``wifi`` module: ``wifi.radio`` for ``socketpool.SocketPool(wifi.radio)``.

On CPython the radio stands for the host's own network (socketpool_host.wifi_host); on MicroPython
it drives ``network.WLAN`` where the port has one (wifi._wlan).
"""

import sys

if sys.implementation.name == "micropython":
    from wifi._wlan import Radio, radio  # noqa: F401
else:
    from socketpool_host.wifi_host import Radio, radio  # noqa: F401
