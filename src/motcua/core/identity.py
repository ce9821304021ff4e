"""Validation of Vietnamese personal and organization identifiers.

- Citizen ID (số định danh cá nhân / căn cước): 12 digits; the first three are the code of the province of
  birth registration (Circular 59/2021/TT-BCA, the 63 pre-2025 codes 001–096), the fourth encodes century and
  sex (0–9), the fifth and sixth the year of birth.
- Tax code of an organization: 10 digits whose last is a check digit (weights 31, 29, 23, 19, 17, 13, 7, 5, 3;
  check = 10 − sum mod 11), or 13 as ``NNNNNNNNNN-NNN`` for a dependent unit. Since 1 July 2025 a person's tax
  code is their 12-digit citizen ID.
"""

from __future__ import annotations

import re

_PROVINCE_TABLE = (
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 "
    "033 034 035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 "
    "064 066 067 068 070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 "
    "094 095 096 "
)
PROVINCE_CODES = frozenset(_PROVINCE_TABLE.split())
WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
TAX_CODE = re.compile(r"^(\d{10})(-\d{3})?$")


def normalize(value: str) -> str:
    return re.sub(r"[\s.]", "", value or "")


def is_citizen_id(value: str) -> bool:
    value = normalize(value)
    return len(value) == 12 and value.isdigit() and value[:3] in PROVINCE_CODES


def tax_check_digit(first_nine: str) -> int:
    return 10 - sum(int(d) * w for d, w in zip(first_nine, WEIGHTS, strict=True)) % 11


def is_tax_code(value: str) -> bool:
    match = TAX_CODE.match(normalize(value))
    if not match:
        return False
    digits = match.group(1)
    return tax_check_digit(digits[:9]) == int(digits[9])


PHONE = re.compile(r"^(\+84|0)\d{9,10}$")


def is_phone(value: str) -> bool:
    return bool(PHONE.match(re.sub(r"[\s.\-()]", "", value or "")))


def normalize_phone(value: str) -> str:
    """``0912 345 678``, ``+84 912.345.678``, ``(+84)912345678`` → ``0912345678``: one spelling per number, so
    that uniqueness, sign-in and the comparison with an account's phone do not depend on how it was typed."""
    compact = re.sub(r"[\s.\-()]", "", value or "")
    if compact.startswith("+84"):
        compact = "0" + compact[3:]
    elif compact.startswith("84") and len(compact) == 11:
        compact = "0" + compact[2:]
    return compact


def mask(value: str, start: int, end: int) -> str:
    """``value`` with all but its first ``start`` and last ``end`` characters hidden: ``mask("001090001245", 4, 2)``
    → ``0010******45``. A value too short to keep anything hidden is hidden whole; an empty one stays empty."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) <= start + end + 2:
        return "*" * len(value)
    return value[:start] + "*" * (len(value) - start - end) + value[len(value) - end:]


def masked_personal_data(*, id_number: str, phone: str, email: str, address: str) -> dict[str, str]:
    """The one way personal data is masked for those who need to know a dossier but not its applicant: ID number
    ``0010******45``, phone ``09******67``, email ``a***@example.vn`` (the domain kept), address reduced to its
    last part (the province or city)."""
    local, _at, domain = (email or "").partition("@")
    parts = [part.strip() for part in (address or "").split(",") if part.strip()]
    return {
        "id_number": mask(id_number, 4, 2),
        "phone": mask(normalize_phone(phone), 2, 2),
        "email": f"{local[:1]}***@{domain}" if domain else mask(email, 1, 0),
        "address": f"…, {parts[-1]}" if len(parts) > 1 else ("…" if parts else ""),
    }
