"""Deadlines of dossiers and of their workflow steps, overdue flags and timeliness: the one module for them.

- The dossier's due date is the procedure version's working-day deadline counted from ``clock_started_at``
  (acceptance, or the return of the complete supplement, which restarts the clock) on the working calendar.
- Each workflow step is due its own duration after the dossier reached it.
- Time spent paused does not count: resuming moves both due dates by the working time that passed.
- Overdue is derived, never stored: an open dossier past its due date (or a step past its step due date).
- At return: early (before the due day), on time (by the due moment), late (after it, or whenever an apology
  was issued or more than one supplement was requested, as the service-quality index counts it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from motcua.core.calendar import MAX_SEARCH_DAYS, VN_TZ, WorkingCalendar, calendar_for
from motcua.dossiers.models import Timeliness
from motcua.dossiers.statuses import OPEN, Status

if TYPE_CHECKING:
    from motcua.dossiers.models import Dossier


def calendar() -> WorkingCalendar:
    """The province's working calendar (administrators' overrides included)."""
    return calendar_for()


def dossier_due(cal: WorkingCalendar, start: datetime, days: Decimal) -> datetime:
    return cal.add_working_days(start, days)


def step_due(cal: WorkingCalendar, start: datetime, step: dict[str, Any] | None) -> datetime | None:
    """A step is due its duration after it began; a step of 0 days (on the spot) by the end of that working day."""
    if step is None:
        return None
    days = Decimal(str(step["days"]))
    if days > 0:
        return cal.add_working_days(start, days)
    return end_of_working_day(cal, start)


def end_of_working_day(cal: WorkingCalendar, moment: datetime) -> datetime:
    """The end of the working day ``moment`` falls in (or of the next one, after hours or on a day off)."""
    local = cal.localize(moment)
    day = local.date()
    for _ in range(MAX_SEARCH_DAYS):
        if cal.is_working_day(day):
            end = datetime.combine(day, cal.periods[-1][1], VN_TZ)
            if end >= local:
                return end
        day += timedelta(days=1)
    raise ValueError("no working day found")


def is_overdue(dossier: Dossier, now: datetime) -> bool:
    return dossier.status in OPEN and dossier.due_at is not None and dossier.due_at < now


def is_step_overdue(dossier: Dossier, now: datetime) -> bool:
    return dossier.status in OPEN and dossier.step_due_at is not None and dossier.step_due_at < now


def overdue_q(now: datetime) -> Q:
    """The queryset filter equivalent of :func:`is_overdue` (open dossiers have no ``closed_at``; a dossier
    without a due date is not accepted yet). Served by the partial index ``dossier_queue``."""
    return Q(closed_at__isnull=True, due_at__lt=now) & ~Q(status=Status.DRAFT)


def judge(finished: datetime, due: datetime) -> str:
    """Early (before the due day), on time (by the due moment) or late: for a step or a whole dossier."""
    if finished > due:
        return Timeliness.LATE
    if finished.astimezone(VN_TZ).date() < due.astimezone(VN_TZ).date():
        return Timeliness.EARLY
    return Timeliness.ON_TIME


def timeliness(dossier: Dossier, finished: datetime) -> str:
    """A dossier's timeliness at return (:func:`index_timeliness` of its due date, apology and supplements)."""
    return index_timeliness(
        finished, dossier.due_at, apologized=dossier.apology_due_at is not None,
        supplements=dossier.supplements_at_reception + dossier.supplements_after_acceptance,
    )


def index_timeliness(finished: datetime, due: datetime | None, *, apologized: bool, supplements: int) -> str:
    """:func:`judge`, except that an apology or more than one supplement request makes it late whatever the dates
    (as the service-quality index counts it); the one place of that rule (the dossier at return, the reporting
    facts replayed from the log)."""
    if due is None or apologized or supplements > 1:
        return Timeliness.LATE
    return judge(finished, due)


def ack_overdue(dossier: Dossier, deadline: datetime | None, now: datetime) -> bool:
    """An online dossier still not acknowledged after its 8 working hours."""
    return dossier.status == Status.SUBMITTED and deadline is not None and deadline < now
