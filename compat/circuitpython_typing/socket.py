"""``circuitpython_typing.socket`` names for MicroPython: annotation placeholders only."""

from typing import __getattr__  # noqa: F401  every name is a placeholder
