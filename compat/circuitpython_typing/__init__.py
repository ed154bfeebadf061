"""``circuitpython_typing`` names for MicroPython: annotation placeholders only."""

from typing import __getattr__  # noqa: F401  every name is a placeholder

ReadableBuffer = WriteableBuffer = bytearray
