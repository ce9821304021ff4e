"""The dossier code (Circular 01/2018/TT-VPCP art. 19): ``<agency identifier>-YYMMDD-XXXX``.

XXXX is the running number of the receiving agency's dossiers that day. It is taken inside the transaction
that creates the dossier, from a counter row updated in place (the row lock serializes concurrent receptions
at one agency), so a rolled-back reception gives its number back: numbers have no gaps.
"""

from __future__ import annotations

import re
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F

from motcua.agencies.models import Agency
from motcua.dossiers.models import DossierCounter

CODE = re.compile(r"^(?P<agency>\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})-(?P<day>\d{6})-(?P<number>\d{4,})$")


def format_code(agency_code: str, day: date, number: int) -> str:
    return f"{agency_code}-{day:%y%m%d}-{number:04d}"


def next_code(agency: Agency, day: date) -> str:
    """Take the next number of ``agency`` on ``day``; must run inside the creating transaction."""
    assert transaction.get_connection().in_atomic_block, "take dossier numbers inside the creating transaction"
    if not DossierCounter.objects.filter(agency=agency, day=day).exists():
        try:
            with transaction.atomic():
                DossierCounter.objects.create(agency=agency, day=day, last=0)
        except IntegrityError:
            pass  # another reception created the row first
    DossierCounter.objects.filter(agency=agency, day=day).update(last=F("last") + 1)
    number = DossierCounter.objects.filter(agency=agency, day=day).values_list("last", flat=True).get()
    return format_code(agency.identifier_code, day, number)


def is_code(value: str) -> bool:
    return bool(CODE.match(value or ""))
