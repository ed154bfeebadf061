"""CircuitPython's ``wifi`` module: ``wifi.radio`` for ``socketpool.SocketPool(wifi.radio)``.

On CPython the radio stands for the computer's own network (socketpool_host.wifi_host); on
MicroPython it drives ``network.WLAN`` where the port has one (wifi._wlan). ``AuthMode``,
``PowerManagement``, ``Network`` and ``ScannedNetworks`` are the same on both (wifi._network).
"""

import sys

from wifi._network import AuthMode, Network, PowerManagement, ScannedNetworks  # noqa: F401

# the CPython branch first: a type checker (which cannot evaluate this test) takes its types
if sys.implementation.name != "micropython":
    from socketpool_host.wifi_host import Radio, radio  # noqa: F401
else:
    from wifi._wlan import Radio, radio  # noqa: F401
