"""Reporting periods: a month, a quarter or a year (Vietnam time), parsed from ``2026-11``, ``2026-Q4``,
``2026``, or a week (``2026-W47``) or a day (``2026-11-25``) for the boards. Half-open: ``start <= t < end``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils.translation import gettext_lazy as _

from motcua.core.calendar import VN_TZ
from motcua.core.errors import MotCuaError


class BadPeriod(MotCuaError):
    status = 400


@dataclass(frozen=True)
class Period:
    key: str  # as written in a URL: 2026-11, 2026-Q4, 2026, 2026-W47, 2026-11-25 (custom: 2026-11-03..2026-11-20)
    kind: str  # month, quarter, year, week, day, custom
    first: date
    last: date  # inclusive

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, VN_TZ)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, VN_TZ)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.first.month:02d}/{self.first.year}"
        if self.kind == "quarter":
            return str(_("Quarter %(q)s/%(year)s") % {"q": (self.first.month - 1) // 3 + 1, "year": self.first.year})
        if self.kind == "year":
            return str(self.first.year)
        if self.kind in ("week", "custom"):
            return f"{self.first:%d/%m} – {self.last:%d/%m/%Y}"
        return f"{self.first:%d/%m/%Y}"

    def previous(self) -> Period:
        return period_of(self.kind, self.first - timedelta(days=1))


def period_of(kind: str, day: date) -> Period:
    """The period of ``kind`` that contains ``day``."""
    if kind == "day":
        return Period(day.isoformat(), kind, day, day)
    if kind == "week":
        first = day - timedelta(days=day.weekday())
        year, week, _weekday = first.isocalendar()
        return Period(f"{year}-W{week:02d}", kind, first, first + timedelta(days=6))
    if kind == "month":
        first = day.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        return Period(f"{day.year}-{day.month:02d}", kind, first, nxt - timedelta(days=1))
    if kind == "quarter":
        q = (day.month - 1) // 3
        first = date(day.year, 3 * q + 1, 1)
        nxt = date(day.year + (q == 3), (3 * q + 3) % 12 + 1, 1)
        return Period(f"{day.year}-Q{q + 1}", kind, first, nxt - timedelta(days=1))
    if kind == "year":
        return Period(str(day.year), kind, date(day.year, 1, 1), date(day.year, 12, 31))
    raise BadPeriod("bad_period", _("Unknown kind of period: %(kind)s."), {"kind": kind[:20]}, "period")


# the years a period may fall in: the one-stop records start long after 2000, and a date past 2100 is a typo
# (and a period at the calendar's edges would overflow its end)
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _check_year(year: int, key: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadPeriod("period_out_of_range", _("%(key)s is outside the years %(first)s–%(last)s that reports "
                                                 "cover."), {"key": key[:30], "first": FIRST_YEAR,
                                                             "last": LAST_YEAR}, "period")


def between(first: date, last: date) -> Period:
    """A custom period from ``first`` to ``last`` (inclusive; swapped when given the wrong way round)."""
    first, last = min(first, last), max(first, last)
    _check_year(first.year, first.isoformat())
    _check_year(last.year, last.isoformat())
    return Period(f"{first.isoformat()}..{last.isoformat()}", "custom", first, last)


PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), "day"),
    (re.compile(r"^(\d{4})-W(\d{2})$"), "week"),
    (re.compile(r"^(\d{4})-Q([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})-(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})$"), "year"),
)


def parse(key: str, *, default: str = "month", today: date | None = None) -> Period:
    """The period written ``key``; empty: the current ``default`` period. A bad key raises :class:`BadPeriod`
    (a 400 with the formats accepted, in both languages)."""
    today = today or datetime.now(VN_TZ).date()
    key = (key or "").strip()
    if not key:
        return period_of(default, today)
    for pattern, kind in PATTERNS:
        match = pattern.match(key)
        if not match:
            continue
        numbers = [int(g) for g in match.groups()]
        _check_year(numbers[0], key)
        try:
            if kind == "day":
                return period_of("day", date(*numbers))
            if kind == "week":
                return period_of("week", date.fromisocalendar(numbers[0], numbers[1], 1))
            if kind == "quarter":
                return period_of("quarter", date(numbers[0], 3 * numbers[1] - 2, 1))
            if kind == "month":
                return period_of("month", date(numbers[0], numbers[1], 1))
            return period_of("year", date(numbers[0], 1, 1))
        except (ValueError, OverflowError):
            break
    raise BadPeriod("bad_period", _("%(key)s is not a period: write 2026-11 (a month), 2026-Q4 (a quarter), 2026 "
                                    "(a year), 2026-W47 (a week) or 2026-11-25 (a day)."), {"key": key[:20]}, "period")
