"""CircuitPython's argument checks for ``wifi.radio`` (its messages), on MicroPython and CPython.
Imported when first needed (``connect``, setting ``hostname``): a board keeps it out of RAM until
then."""


def check_hostname(value):
    """CircuitPython's hostname rule: 1-253 characters, dot-separated labels of 1-63 letters,
    digits and dashes, no label starting with a dash. Returns the name as a str."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode()
    if not isinstance(value, str):
        raise TypeError("hostname must be a str or bytes")
    if not 1 <= len(value) <= 253:
        raise ValueError("hostname length must be 1-253")
    for label in value.split("."):
        if not 1 <= len(label) <= 63 or label[0] == "-":
            raise ValueError("invalid hostname")
        for c in label:
            if not (c == "-" or "a" <= c <= "z" or "A" <= c <= "Z" or "0" <= c <= "9"):
                raise ValueError("invalid hostname")
    return value


def check_join(ssid, password, bssid, enabled):
    """CircuitPython's checks before joining (its messages); returns (ssid, password) as str."""
    if not enabled:
        raise RuntimeError("WiFi is not enabled")
    if isinstance(ssid, (bytes, bytearray, memoryview)):
        ssid = bytes(ssid).decode()
    if not isinstance(ssid, str):
        raise TypeError("ssid must be a str or bytes")
    if not 1 <= len(ssid) <= 32:
        raise ValueError("ssid length must be 1-32")
    if password is None:
        password = ""
    if isinstance(password, (bytes, bytearray, memoryview)):
        password = bytes(password).decode()
    if not isinstance(password, str):
        raise TypeError("password must be a str or bytes")
    if password:
        if not 8 <= len(password) <= 64:
            raise ValueError("password length must be 8-64")
        if len(password) == 64:
            for c in password:
                if c not in "0123456789abcdefABCDEF":
                    raise ValueError("Invalid hex password")
    if bssid is not None and len(bssid) != 6:
        raise ValueError("Invalid BSSID")
    return ssid, password
