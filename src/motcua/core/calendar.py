"""The working-day calendar: the one place where deadlines in working days and hours are computed.

Rules (DESIGN.md §3):
- working days are Monday–Friday, minus Vietnam's public holidays (Labour Code 2019 art. 112: 1 Jan, Tết,
  Hùng Kings, 30 Apr, 1 May, 2 Sep and an adjacent day, and Vietnam Cultural Day on 24 Nov from 2026), with
  holidays that fall on a weekend observed on the next working day — all from ``holidays.Vietnam``, which also
  knows the announced make-up Saturdays (``weekend_workdays``);
- each year's swaps that the package does not know yet are entered by administrators as
  :class:`~motcua.core.models.CalendarOverride` rows and win over everything else;
- working hours default to 07:30–11:30 and 13:00–17:00 (``settings.MOTCUA_WORKING_PERIODS``) and an agency
  may set its own; a working day is their total (8 hours), half a day is half of it;
- everything is in Asia/Ho_Chi_Minh time (no daylight saving, so local arithmetic is exact).

A deadline of N working days from a moment is the moment at which N days' worth of working time has elapsed
after it: received Monday 09:00 with one day to go is due Tuesday 09:00; received Friday 16:00 with half a
day, Monday 10:30. A deadline of 0 (settled on the spot) is the moment itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib
from django.conf import settings

from motcua.core.models import CalendarOverride

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
Period = tuple[time, time]
DEFAULT_PERIODS: tuple[Period, ...] = ((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))
# A deadline can't reasonably run for more than ten years; the guard stops a runaway loop on bad data.
MAX_SEARCH_DAYS = 3660
# The holiday rules are known for these years; outside them a due date would be silently wrong.
FIRST_YEAR, LAST_YEAR = 2000, 2090


class OutsideCalendar(ValueError):
    """A moment outside the years the calendar knows (``FIRST_YEAR``–``LAST_YEAR``)."""


@lru_cache(maxsize=64)
def _statutory(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """The package's holidays and make-up working days for one year."""
    vietnam = holidays_lib.country_holidays("VN", years=year)
    workdays = frozenset(d for d in getattr(vietnam, "weekend_workdays", set()) if d.year == year)
    return frozenset(vietnam.keys()), workdays


def parse_periods(raw: Iterable[Sequence[str | time]] | None) -> tuple[Period, ...]:
    """Validate working periods given as ``[("07:30", "11:30"), …]``: ordered, non-empty, not overlapping."""
    if not raw:
        return DEFAULT_PERIODS
    periods: list[Period] = []
    for item in raw:
        start, end = (t if isinstance(t, time) else time.fromisoformat(str(t)) for t in item)
        if start >= end:
            raise ValueError(f"working period {start}–{end} ends before it starts")
        if periods and start < periods[-1][1]:
            raise ValueError("working periods must be in order and must not overlap")
        periods.append((start, end))
    return tuple(periods)


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


class WorkingCalendar:
    """Working days and hours of one agency. Cheap to build; build one per request or per task."""

    def __init__(
        self,
        periods: Iterable[Sequence[str | time]] | None = None,
        overrides: Mapping[date, bool] | None = None,
    ) -> None:
        self.periods = parse_periods(periods)
        # date -> True (make-up working day) / False (extra day off)
        self.overrides = dict(overrides or {})
        self.seconds_per_day = sum(_seconds(end) - _seconds(start) for start, end in self.periods)

    # --- days -------------------------------------------------------------------------------------------
    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        public_holidays, weekend_workdays = _statutory(day.year)
        if day in public_holidays:
            return False
        if day in weekend_workdays:
            return True
        return day.weekday() < 5

    def holiday_name(self, day: date) -> str | None:
        names = holidays_lib.country_holidays("VN", years=day.year, language="vi")
        return names.get(day)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in the half-open range [start, end)."""
        count, day = 0, start
        while day < end:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count

    # --- moments ----------------------------------------------------------------------------------------
    @staticmethod
    def localize(moment: datetime) -> datetime:
        """Aware moment in Vietnam time; a naive moment is taken to be Vietnam time already."""
        if moment.tzinfo is None:
            return moment.replace(tzinfo=VN_TZ)
        try:
            return moment.astimezone(VN_TZ)
        except OverflowError:
            raise OutsideCalendar(f"{moment.isoformat()} is outside the calendar") from None

    def _day_periods(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        return [
            (datetime.combine(day, start, VN_TZ), datetime.combine(day, end, VN_TZ))
            for start, end in self.periods
        ]

    def is_working_moment(self, moment: datetime) -> bool:
        """True inside a working period, its two ends included."""
        moment = self.localize(moment)
        return any(start <= moment <= end for start, end in self._day_periods(moment.date()))

    def add_working_seconds(self, start: datetime, seconds: int) -> datetime:
        if seconds < 0:
            raise ValueError("a deadline cannot be negative")
        moment = self.localize(start)
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise OutsideCalendar(f"the calendar covers {FIRST_YEAR}–{LAST_YEAR}, not {moment.year}")
        if seconds == 0:
            return moment
        remaining = seconds
        day = moment.date()
        for _ in range(MAX_SEARCH_DAYS):
            for period_start, period_end in self._day_periods(day):
                if moment >= period_end:
                    continue
                begin = max(moment, period_start)
                available = int((period_end - begin).total_seconds())
                if remaining <= available:
                    return begin + timedelta(seconds=remaining)
                remaining -= available
            day += timedelta(days=1)
        raise ValueError("no working time found in ten years; check the calendar overrides")

    def add_working_hours(self, start: datetime, hours: Decimal | int | float) -> datetime:
        return self.add_working_seconds(start, int(Decimal(str(hours)) * 3600))

    def add_working_days(self, start: datetime, days: Decimal | int | float) -> datetime:
        """The due moment ``days`` working days after ``start`` (fractions allowed: 0.5 is half a day)."""
        return self.add_working_seconds(start, int(Decimal(str(days)) * self.seconds_per_day))

    def working_seconds_between(self, start: datetime, end: datetime) -> int:
        """Working time elapsed from ``start`` to ``end`` (0 if end is not after start)."""
        start, end = self.localize(start), self.localize(end)
        total, day = 0, start.date()
        while day <= end.date():
            for period_start, period_end in self._day_periods(day):
                lo, hi = max(start, period_start), min(end, period_end)
                if hi > lo:
                    total += int((hi - lo).total_seconds())
            day += timedelta(days=1)
        return total


def calendar_for(periods: Iterable[Sequence[str | time]] | None = None) -> WorkingCalendar:
    """The calendar with the administrators' overrides from the database, and the given working periods."""
    overrides = {
        row["date"]: row["kind"] == CalendarOverride.Kind.WORKDAY
        for row in CalendarOverride.objects.values("date", "kind")
    }
    return WorkingCalendar(periods or settings.MOTCUA_WORKING_PERIODS, overrides)
