"""The MicroPython ports ``build`` and ``flash`` know: one module ``firmware_<port>.py`` each, with
``DEFAULT_BOARD``, ``build(...)``, ``flash(...)`` and ``FirmwareError``."""

import importlib

PORTS = ("esp32", "rp2")


def port_module(port):
    return importlib.import_module("socketpool_tools.firmware_" + port)
