"""How MotCua prints money, moments, working days and QR codes, once for every app (STYLE.md, row 7).

The official forms and receipts print Vietnamese conventions whatever the page's language: ``75.000`` (dot as
the thousands separator), ``10 giờ 30 phút, ngày 23 tháng 11 năm 2026`` in Vietnam time, ``0,5`` working day.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

import segno

from motcua.core.calendar import VN_TZ


@dataclass(frozen=True)
class Moment:
    """A moment in Vietnam time, in the pieces the forms print (``10 giờ 30 phút, ngày 23 tháng 11 năm 2026``)."""

    value: datetime

    @property
    def local(self) -> datetime:
        return self.value.astimezone(VN_TZ)

    @property
    def date(self) -> str:
        return self.local.strftime("%d/%m/%Y")

    @property
    def time(self) -> str:
        return self.local.strftime("%H:%M")

    @property
    def hour(self) -> str:
        return self.local.strftime("%H")

    @property
    def minute(self) -> str:
        return self.local.strftime("%M")

    @property
    def day(self) -> str:
        return self.local.strftime("%d")

    @property
    def month(self) -> str:
        return self.local.strftime("%m")

    @property
    def year(self) -> str:
        return str(self.local.year)

    def __str__(self) -> str:
        return f"{self.time} {self.date}"


def moment(value: datetime | str | None) -> Moment | None:
    """A :class:`Moment` from an aware datetime or an ISO string (as events store them), or ``None``."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=VN_TZ)
    return Moment(value)


def vnd(amount: int | None) -> str:
    """``75000`` → ``75.000`` (the unit, đồng, is printed by the form)."""
    return f"{int(amount or 0):,}".replace(",", ".")


def dong(amount: int | None) -> str:
    """``75000`` → ``75.000 đ``: an amount with its unit, as pages and messages print it (``""`` for none)."""
    return "" if amount is None else vnd(amount) + " đ"


def working_days(value: object) -> str:
    """``Decimal("5.00")`` → ``5``; ``0.5`` → ``0,5`` (Vietnamese decimal comma)."""
    text = format(Decimal(str(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def qr_data_uri(url: str) -> str:
    """A QR code as an inline SVG ``data:`` URI (error correction M), for the printed slips and receipts."""
    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=2))


@lru_cache(maxsize=4096)
def qr_svg(data: str, *, scale: int = 4, title: str = "") -> str:
    """An inline SVG QR code (error correction M, quiet zone of 2 modules).

    Kept per process (a pure function of its arguments): encoding costs about 6 ms, a third of the procedure
    page's own time, for an address that does not change."""
    buffer = io.BytesIO()
    segno.make(data, error="m", micro=False).save(
        buffer, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True, title=title or None,
        svgclass="qr", lineclass=None, omitsize=False,
    )
    return buffer.getvalue().decode()


@lru_cache(maxsize=1024)
def qr_png(data: str, *, scale: int = 8) -> bytes:
    """A PNG QR code (error correction M), for downloads and printed lists."""
    buffer = io.BytesIO()
    segno.make(data, error="m", micro=False).save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()
