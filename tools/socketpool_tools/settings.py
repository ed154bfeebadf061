"""settings.toml, CircuitPython's subset of TOML (quoted strings and integers in the root table),
and the Wi-Fi credentials in it. The one reader for ``run`` (``os.getenv``) and the targets (a
Wi-Fi board's SSID and password, registered as secrets with ``redact``)."""

import os

from socketpool_tools import redact as _redact

class SettingsError(ValueError):
    pass


def _parse_string(text, lineno):
    """A TOML basic string starting at text[0] == '"'; returns (value, rest)."""
    out = []
    i = 1
    escapes = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", '"': '"', "\\": "\\"}
    while i < len(text):
        c = text[i]
        if c == '"':
            return "".join(out), text[i + 1 :]
        if c == "\\":
            e = text[i + 1 : i + 2]
            if e in escapes:
                out.append(escapes[e])
                i += 2
                continue
            if e in ("u", "U"):
                width = 4 if e == "u" else 8
                digits = text[i + 2 : i + 2 + width]
                try:
                    out.append(chr(int(digits, 16)))
                except ValueError:
                    raise SettingsError("line %d: bad \\%s escape" % (lineno, e)) from None
                i += 2 + width
                continue
            raise SettingsError("line %d: unknown escape \\%s" % (lineno, e))
        out.append(c)
        i += 1
    raise SettingsError("line %d: string is not closed" % lineno)


def _parse_int(text):
    """An integer as C's strtol(text, 0) reads it: 0x hex, leading-0 octal, decimal."""
    t = text.strip()
    sign = -1 if t.startswith("-") else 1
    body = t.lstrip("+-")
    if body.lower().startswith("0x"):
        return sign * int(body[2:], 16)
    if len(body) > 1 and body.startswith("0"):
        return sign * int(body[1:], 8)
    if not body.isdigit():
        raise ValueError(text)
    return sign * int(body)


def parse_value(text, lineno=0):
    """One settings.toml value: a basic string or an integer."""
    text = text.strip()
    if text.startswith('"'):
        value, rest = _parse_string(text, lineno)
        rest = rest.strip()
        if rest and not rest.startswith("#"):
            raise SettingsError("line %d: unexpected text after the string" % lineno)
        return value
    text = text.split("#", 1)[0].strip()
    try:
        return _parse_int(text)
    except ValueError:
        raise SettingsError(
            "line %d: only quoted strings and integers are supported, not %r" % (lineno, text)
        ) from None


def read_settings(path):
    """``{key: value}`` from settings.toml's root table ({} when the file is missing)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return {}
    settings = {}
    for lineno, line in enumerate(lines, 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("["):
            break  # only the root table is read, as on CircuitPython
        key, eq, value = s.partition("=")
        key = key.strip()
        if not eq or not key or not all(c.isalnum() or c in "_-" for c in key):
            raise SettingsError("line %d: expected key = value" % lineno)
        settings[key] = parse_value(value, lineno)
    return settings


class Settings:
    """``os.getenv`` for the run: the environment overrides settings.toml (for tests and CI)."""

    def __init__(self, path):
        self.path = path
        self.values = read_settings(path)
        self.missing = []

    def getenv(self, key, default=None):
        if key in os.environ:
            raw = os.environ[key]
            try:
                return parse_value(raw)
            except SettingsError:
                return raw
        if key in self.values:
            return self.values[key]
        if default is None and key not in self.missing:
            self.missing.append(key)
        return default


def wifi_credentials(settings_path="settings.toml", environ=None):
    """(ssid, password) from the environment, else settings.toml; both registered as secrets."""
    environ = os.environ if environ is None else environ
    settings = read_settings(settings_path) if settings_path else {}
    ssid = environ.get("CIRCUITPY_WIFI_SSID") or settings.get("CIRCUITPY_WIFI_SSID")
    password = environ.get("CIRCUITPY_WIFI_PASSWORD") or settings.get("CIRCUITPY_WIFI_PASSWORD")
    for v in (ssid, password):
        if v:
            _redact.add_secret(v)
    return ssid, password


def register_secrets(settings_path="settings.toml", environ=None):
    """Register every secret setting (redact.SECRET_SETTINGS) found in the environment or in
    settings.toml, so this process masks them in what it prints and writes. SettingsError when
    the file is there but unreadable as settings.toml."""
    environ = os.environ if environ is None else environ
    _redact.add_secrets_from_env(environ)
    if settings_path:
        settings = read_settings(settings_path)
        for name in _redact.SECRET_SETTINGS:
            if isinstance(settings.get(name), str):
                _redact.add_secret(settings[name])
