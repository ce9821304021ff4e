"""The dossier code (Circular 01/2018/TT-VPCP art. 19): ``<agency identifier>-YYMMDD-XXXX``.

XXXX is the running number of the receiving agency's dossiers that day. It is taken inside the transaction
that creates the dossier, from the agency's counter row for the day (``core.counters.take_next``: the row lock
serializes concurrent receptions at one agency), so a rolled-back reception gives its number back: no gaps.
"""

from __future__ import annotations

import re
from datetime import date

from motcua.agencies.models import Agency
from motcua.core.counters import take_next
from motcua.dossiers.models import DossierCounter

CODE = re.compile(r"^(?P<agency>\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})-(?P<day>\d{6})-(?P<number>\d{4,})$")


def format_code(agency_code: str, day: date, number: int) -> str:
    return f"{agency_code}-{day:%y%m%d}-{number:04d}"


def next_code(agency: Agency, day: date) -> str:
    """Take the next number of ``agency`` on ``day``; must run inside the creating transaction."""
    number = take_next(DossierCounter, agency=agency, day=day)
    return format_code(agency.identifier_code, day, number)


def is_code(value: str) -> bool:
    return bool(CODE.match(value or ""))
