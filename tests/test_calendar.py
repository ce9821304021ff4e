"""The working-day calendar: examples from the law and the 2026 calendar, then properties for any input."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.core.calendar import VN_TZ, WorkingCalendar, calendar_for
from motcua.core.models import CalendarOverride

cal = WorkingCalendar()


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (vn(2026, 11, 16, 9, 0), 1, vn(2026, 11, 17, 9, 0)),  # Monday 9:00 + 1 day = Tuesday 9:00
        (vn(2026, 11, 13, 16, 0), Decimal("0.5"), vn(2026, 11, 16, 10, 30)),  # Friday 16:00 + half a day
        (vn(2026, 11, 16, 12, 0), Decimal("0.5"), vn(2026, 11, 16, 17, 0)),  # lunch break: starts at 13:00
        (vn(2026, 11, 16, 18, 0), 1, vn(2026, 11, 17, 17, 0)),  # after hours: the next morning counts
        (vn(2026, 11, 23, 9, 0), 1, vn(2026, 11, 25, 9, 0)),  # Vietnam Cultural Day, 24 Nov 2026
        (vn(2026, 2, 13, 9, 0), 1, vn(2026, 2, 23, 9, 0)),  # Tết 2026: 16–20 Feb are holidays
        (vn(2026, 4, 24, 9, 0), 1, vn(2026, 4, 28, 9, 0)),  # Hùng Kings on Sunday 26 Apr, observed Monday
        (vn(2026, 11, 16, 9, 0), 0, vn(2026, 11, 16, 9, 0)),  # settled on the spot
        (vn(2026, 11, 16, 9, 0), 5, vn(2026, 11, 23, 9, 0)),
    ],
)
def test_examples(start: datetime, days: Decimal, expected: datetime) -> None:
    assert cal.add_working_days(start, days) == expected


def test_weekend_and_statutory_days() -> None:
    assert not cal.is_working_day(date(2026, 11, 21))  # Saturday
    assert not cal.is_working_day(date(2026, 9, 2))
    assert not cal.is_working_day(date(2026, 8, 31))  # swapped day off, made up on Saturday 22 Aug
    assert cal.is_working_day(date(2026, 8, 22))
    assert cal.is_working_day(date(2026, 11, 25))


def test_naive_moments_are_vietnam_time_and_utc_is_converted() -> None:
    assert cal.add_working_days(datetime(2026, 11, 16, 9, 0), 1) == vn(2026, 11, 17, 9, 0)
    utc_moment = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội
    assert cal.add_working_days(utc_moment, 1) == vn(2026, 11, 17, 9, 0)


def test_negative_deadline_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        cal.add_working_days(vn(2026, 11, 16, 9), -1)


def test_agency_periods() -> None:
    short = WorkingCalendar([("08:00", "12:00")])
    assert short.seconds_per_day == 4 * 3600
    assert short.add_working_days(vn(2026, 11, 16, 10), 1) == vn(2026, 11, 17, 10)
    with pytest.raises(ValueError):
        WorkingCalendar([("13:00", "12:00")])
    with pytest.raises(ValueError):
        WorkingCalendar([("08:00", "12:00"), ("11:00", "15:00")])


@pytest.mark.django_db
def test_admin_overrides_win() -> None:
    CalendarOverride.objects.create(date=date(2026, 11, 18), kind="holiday", name="Nghỉ bù")
    CalendarOverride.objects.create(date=date(2026, 11, 21), kind="workday", name="Làm bù thứ Bảy")
    calendar = calendar_for()
    assert not calendar.is_working_day(date(2026, 11, 18))
    assert calendar.is_working_day(date(2026, 11, 21))
    # Tue 17 Nov 9:00 + 2 days: Wed is off, Thu counts, Fri… → Fri 9:00
    assert calendar.add_working_days(vn(2026, 11, 17, 9), 2) == vn(2026, 11, 20, 9)
    # Fri 20 Nov 9:00 + 1 day: the make-up Saturday counts
    assert calendar.add_working_days(vn(2026, 11, 20, 9), 1) == vn(2026, 11, 21, 9)


moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31)).map(
    lambda d: d.replace(microsecond=0, tzinfo=VN_TZ)
)
durations = st.integers(min_value=0, max_value=40 * 8 * 3600)
overrides = st.dictionaries(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2029, 12, 31)), st.booleans(), max_size=30
)


@settings(max_examples=300, deadline=None)
@given(start=moments, seconds=durations, extra=overrides)
def test_property_exact_working_time_and_lands_in_working_time(
    start: datetime, seconds: int, extra: dict[date, bool]
) -> None:
    calendar = WorkingCalendar(overrides=extra)
    due = calendar.add_working_seconds(start, seconds)
    assert due >= start
    assert calendar.working_seconds_between(start, due) == seconds
    if seconds:
        assert calendar.is_working_moment(due)
        assert calendar.is_working_day(due.date())


@settings(max_examples=200, deadline=None)
@given(start=moments, a=durations, b=durations)
def test_property_additive_and_monotonic(start: datetime, a: int, b: int) -> None:
    assert cal.add_working_seconds(cal.add_working_seconds(start, a), b) == cal.add_working_seconds(start, a + b)
    low, high = sorted((a, b))
    assert cal.add_working_seconds(start, low) <= cal.add_working_seconds(start, high)


@settings(max_examples=200, deadline=None)
@given(start=moments, days=st.integers(min_value=1, max_value=30))
def test_property_whole_days_never_end_on_a_holiday_or_weekend(start: datetime, days: int) -> None:
    due = cal.add_working_days(start, days)
    assert cal.is_working_day(due.date())
    assert cal.working_days_between(start.date(), due.date() + timedelta(days=1)) >= days


def test_moments_outside_the_known_years_are_refused() -> None:
    from motcua.core.calendar import OutsideCalendar

    for moment in (vn(1999, 12, 31, 9), vn(2091, 1, 2, 9), datetime(9999, 12, 31, 23, tzinfo=UTC)):
        with pytest.raises(OutsideCalendar):
            cal.add_working_days(moment, 1)
