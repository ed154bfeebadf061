"""Credentials never leave the harness: every log line and report passes through ``redact``."""

import os

MASK = "***"

# setting names whose values are secrets wherever they appear (settings.toml, environment)
SECRET_SETTINGS = ("CIRCUITPY_WIFI_PASSWORD", "CIRCUITPY_WIFI_SSID", "CIRCUITPY_WEB_API_PASSWORD")

_secrets = set()


def add_secret(value):
    """Register ``value`` (str or bytes) to be masked from now on; short values are ignored
    (masking every "a" would wreck the logs and protect nothing)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if value and len(value) >= 3:
        _secrets.add(value)


def add_secrets_from_env(environ=None):
    environ = os.environ if environ is None else environ
    for name in SECRET_SETTINGS:
        if environ.get(name):
            add_secret(environ[name])


def clear_secrets():
    _secrets.clear()


def redact(text):
    """``text`` (str or bytes) with every registered secret, and its repr form, replaced."""
    if not _secrets or text is None:
        return text
    was_bytes = isinstance(text, bytes)
    if was_bytes:
        text = text.decode("utf-8", "replace")
    # longest first, so a secret that contains another is masked whole
    for s in sorted(_secrets, key=len, reverse=True):
        text = text.replace(s, MASK)
        quoted = repr(s)[1:-1]  # as it appears inside generated source text
        if quoted != s:
            text = text.replace(quoted, MASK)
    return text.encode("utf-8") if was_bytes else text
