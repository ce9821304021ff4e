"""Reporting periods (``stats.periods``): every written form, and bad or out-of-range keys refused with a 400
error that says what to write, never a server error."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.stats import periods
from motcua.stats.periods import BadPeriod


@pytest.mark.parametrize(("key", "first", "last"), [
    ("2026-11", date(2026, 11, 1), date(2026, 11, 30)),
    ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ("2026-W48", date(2026, 11, 23), date(2026, 11, 29)),
    ("2026-11-25", date(2026, 11, 25), date(2026, 11, 25)),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
])
def test_each_form_of_period(key: str, first: date, last: date) -> None:
    period = periods.parse(key)
    assert (period.first, period.last, period.key) == (first, last, key)


@pytest.mark.parametrize("key", ["2026-13", "2026-Q5", "2026-W99", "9999-12", "0001", "9999-W52", "26-11",
                                 "2026-02-30", "tháng 11"])
def test_a_bad_or_out_of_range_key_is_a_400_error(key: str) -> None:
    with pytest.raises(BadPeriod) as caught:
        periods.parse(key)
    assert caught.value.status == 400


def test_a_custom_period_out_of_range_is_refused() -> None:
    with pytest.raises(BadPeriod):
        periods.between(date(9999, 12, 31), date(9999, 12, 31))


@given(st.dates(min_value=date(2000, 1, 10), max_value=date(2100, 12, 1)),
       st.sampled_from(["day", "week", "month", "quarter", "year"]))
def test_periods_tile_the_calendar(day: date, kind: str) -> None:
    """The period of a day contains it, its key parses back to it, and the previous one ends the day before."""
    period = periods.period_of(kind, day)
    assert period.first <= day <= period.last
    assert periods.parse(period.key) == period
    if period.first.year > 2000:
        assert period.previous().last.toordinal() == period.first.toordinal() - 1
