"""Waybill numbers in the UPU S10 shape: two service letters, eight serial digits, a check digit and the
country code of the issuing post (``EB123456785VN``).

The check digit (UPU S10 standard): the eight digits weighted 8 6 4 2 3 5 9 7 and summed; 11 minus the sum
modulo 11, where 10 becomes 0 and 11 becomes 5.
"""

from __future__ import annotations

import re

WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
SHAPE = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")


def check_digit(serial: str) -> int:
    """The check digit of an eight-digit serial number."""
    if len(serial) != 8 or not serial.isdigit():
        raise ValueError(f"an S10 serial has eight digits, not {serial!r}")
    digit = 11 - sum(int(d) * w for d, w in zip(serial, WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(digit, digit)


def make(prefix: str, serial: int, country: str = "VN") -> str:
    """The waybill number for ``serial`` (0 to 99,999,999) in the service ``prefix`` (two letters)."""
    prefix, country = prefix.upper(), country.upper()
    if not re.fullmatch(r"[A-Z]{2}", prefix) or not re.fullmatch(r"[A-Z]{2}", country):
        raise ValueError("an S10 prefix and country are two letters each")
    if not 0 <= serial <= 99_999_999:
        raise ValueError("an S10 serial has eight digits")
    digits = f"{serial:08d}"
    return f"{prefix}{digits}{check_digit(digits)}{country}"


def is_valid(code: str) -> bool:
    """Whether ``code`` has the S10 shape and the right check digit."""
    match = SHAPE.match(code or "")
    return match is not None and check_digit(match.group(2)) == int(match.group(3))
