"""Waiting-time figures for supervision: per agency, service area and day, the tickets issued, served, skipped
and still waiting at the end of the day; the mean and 90th-percentile wait (issued → first call) and the mean
service time (first call → served); the appointments booked, kept (checked in) and missed.

Scoped to the leader's or supervisor's agencies and the agencies under them. Read in a constant number of
queries (one for the tickets' times, one for the appointments) whatever the period.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from motcua.agencies.models import Agency, Role
from motcua.counters.models import Appointment, AppointmentStatus, ServiceArea, Ticket, TicketStatus
from motcua.dossiers.actors import Actor

SUPERVISING = (Role.LEADER, Role.SUPERVISOR)
COLUMNS = ("issued", "served", "skipped", "waiting", "wait_mean", "wait_p90", "service_mean", "booked", "kept",
           "missed")
# the headers of the columns, as the figures' page and its CSV export name them
LABELS = {
    "issued": pgettext_lazy("queue", "Tickets issued"), "served": _("Served"), "skipped": _("Skipped"),
    "waiting": pgettext_lazy("queue", "Still waiting"), "wait_mean": _("Mean wait"),
    "wait_p90": _("Wait, 90th percentile"), "service_mean": _("Mean service"), "booked": _("Appointments"),
    "kept": _("Kept"), "missed": _("Missed"),
}


@dataclass
class FigureRow:
    area: ServiceArea
    day: date
    issued: int = 0
    served: int = 0
    skipped: int = 0
    waiting: int = 0
    booked: int = 0
    kept: int = 0
    missed: int = 0
    waits: list[float] = field(default_factory=list, repr=False)
    services: list[float] = field(default_factory=list, repr=False)

    @property
    def wait_mean(self) -> float | None:
        """Minutes, one decimal; ``None`` without a called ticket."""
        return round(sum(self.waits) / len(self.waits), 1) if self.waits else None

    @property
    def wait_p90(self) -> float | None:
        if not self.waits:
            return None
        ordered = sorted(self.waits)
        return round(ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)], 1)

    @property
    def service_mean(self) -> float | None:
        return round(sum(self.services) / len(self.services), 1) if self.services else None

    def values(self) -> list[object]:
        return [getattr(self, name) for name in COLUMNS]


def supervised(actor: Actor) -> set[int]:
    """The actor's supervised agencies and those under them."""
    scope = set(actor.agencies_with(*SUPERVISING))
    frontier = set(scope)
    while frontier:
        frontier = set(Agency.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - scope
        scope |= frontier
    return scope


def figures(actor: Actor, first: date, last: date, now: datetime | None = None) -> list[FigureRow]:
    """One row per area and day with tickets or appointments in [first, last], newest day first. An appointment
    still booked when its slot has ended counts as missed."""
    now = now or timezone.now()
    scope = supervised(actor)
    if not scope:
        return []
    areas = {a.pk: a for a in ServiceArea.objects.select_related("agency").filter(agency_id__in=scope)}
    rows: dict[tuple[int, date], FigureRow] = {}

    def row(area_id: int, day: date) -> FigureRow:
        return rows.setdefault((area_id, day), FigureRow(areas[area_id], day))

    tickets = Ticket.objects.filter(area_id__in=areas, day__gte=first, day__lte=last).values_list(
        "area_id", "day", "status", "issued_at", "called_at", "finished_at")
    for area_id, day, status, issued_at, called_at, finished_at in tickets.iterator(chunk_size=5000):
        r = row(area_id, day)
        r.issued += 1
        if status == TicketStatus.DONE:
            r.served += 1
            if called_at and finished_at:
                r.services.append(_minutes(called_at, finished_at))
        elif status == TicketStatus.SKIPPED:
            r.skipped += 1
        elif status == TicketStatus.WAITING:
            r.waiting += 1
        if called_at:
            r.waits.append(_minutes(issued_at, called_at))
    bookings = Appointment.objects.filter(area_id__in=areas, day__gte=first, day__lte=last).exclude(
        status=AppointmentStatus.CANCELLED).values_list("area_id", "day", "status", "starts_at", "minutes")
    for area_id, day, status, starts_at, minutes in bookings.iterator(chunk_size=5000):
        r = row(area_id, day)
        r.booked += 1
        if status == AppointmentStatus.CHECKED_IN:
            r.kept += 1
        elif status == AppointmentStatus.NO_SHOW or starts_at + timedelta(minutes=minutes) < now:
            r.missed += 1
    return sorted(rows.values(), key=lambda r: (-r.day.toordinal(), r.area.agency.name, r.area.order,
                                                r.area.letter))


def _minutes(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 60)
