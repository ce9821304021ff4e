"""The appointment slots of a service area on a day: the agency's working periods cut into ``slot_minutes``,
on working days only (``core.calendar``: no weekends, holidays, or the administrators' days off)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from motcua.core.calendar import VN_TZ, WorkingCalendar, calendar_for
from motcua.counters.models import ServiceArea


def calendar_of(area: ServiceArea) -> WorkingCalendar:
    return calendar_for(area.agency.working_periods or None)


def slot_starts(area: ServiceArea, day: date, calendar: WorkingCalendar | None = None) -> list[datetime]:
    """Every slot's start on ``day`` (Vietnam time), a slot ending no later than its working period."""
    if not area.takes_appointments or area.slot_minutes <= 0:
        return []
    calendar = calendar or calendar_of(area)
    if not calendar.is_working_day(day):
        return []
    step = timedelta(minutes=area.slot_minutes)
    starts: list[datetime] = []
    for begin, end in calendar.periods:
        moment, stop = datetime.combine(day, begin, VN_TZ), datetime.combine(day, end, VN_TZ)
        while moment + step <= stop:
            starts.append(moment)
            moment += step
    return starts


def is_slot(area: ServiceArea, moment: datetime, calendar: WorkingCalendar | None = None) -> bool:
    local = moment.astimezone(VN_TZ)
    return local in slot_starts(area, local.date(), calendar)
