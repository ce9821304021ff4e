"""Reads of the queue: the kiosk's areas, a ticket's place in line, the waiting-room display, an officer's
counter, free appointment slots, a citizen's appointments. Each is a fixed number of queries whatever the length
of the line (``tests/test_counters.py`` holds the budgets). Nothing here returns a person's name or phone except
to its own account or to staff of the agency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet
from django.utils import timezone

from motcua.agencies.models import Agency, Counter, Role
from motcua.core.calendar import VN_TZ
from motcua.counters import slots
from motcua.counters.models import (
    ACTIVE_APPOINTMENT,
    Appointment,
    ServiceArea,
    Ticket,
    TicketStatus,
    area_ids_of,
)
from motcua.dossiers.actors import Actor

DISPLAY_ROWS = 8
DEFAULT_SERVICE_MINUTES = 6.0
# who works the counters (calls tickets) and who reads the waiting-time figures
CALLING = (Role.RECEPTION, Role.POSTAL, Role.LEADER, Role.SUPERVISOR)


def today(now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(VN_TZ).date()


def areas_of(agency: Agency) -> list[ServiceArea]:
    return list(ServiceArea.objects.filter(agency=agency, is_active=True).order_by("order", "letter"))


def agencies_with_areas() -> QuerySet[Agency]:
    return Agency.objects.filter(is_active=True, service_areas__is_active=True).distinct().order_by("name")


def agencies_taking_appointments() -> QuerySet[Agency]:
    """The service points with an active area that takes appointments (``slot_capacity`` > 0)."""
    return Agency.objects.filter(is_active=True, service_areas__is_active=True,
                                 service_areas__slot_capacity__gt=0).distinct().order_by("name")


def takes_appointments(agency: Agency) -> bool:
    return ServiceArea.objects.filter(agency=agency, is_active=True, slot_capacity__gt=0).exists()


def area(area_id: int) -> ServiceArea | None:
    return ServiceArea.objects.select_related("agency").filter(pk=area_id, is_active=True).first()


@dataclass(frozen=True)
class Place:
    """Where a ticket stands: the people before it in its area's line, the minutes they should take (at least one
    while someone is ahead), and whether a counter is serving the area now (``calling``: a ticket of the area is at
    a counter)."""

    ticket: Ticket
    ahead: int
    minutes: int
    calling: bool = True

    @property
    def is_next(self) -> bool:
        return self.ticket.is_waiting and self.ahead == 0


def _service_minutes(area_id: int, day: date) -> float:
    """The mean service time of the area's tickets served today (the default before the first)."""
    mean = Ticket.objects.filter(area_id=area_id, day=day, status=TicketStatus.DONE).aggregate(
        value=Avg(F("finished_at") - F("called_at")))["value"]
    return max(1.0, mean.total_seconds() / 60) if isinstance(mean, timedelta) else DEFAULT_SERVICE_MINUTES


def place(token: str) -> Place | None:
    """A ticket found by the QR code printed on it, with the people ahead and an estimate of the wait."""
    ticket = Ticket.objects.select_related("area", "counter").filter(token=token).first()
    if ticket is None:
        return None
    if not ticket.is_waiting:
        return Place(ticket, 0, 0)
    ahead = Ticket.objects.filter(area_id=ticket.area_id, day=ticket.day, status=TicketStatus.WAITING).filter(
        Q(priority__lt=ticket.priority) | Q(priority=ticket.priority, issued_at__lt=ticket.issued_at)
        | Q(priority=ticket.priority, issued_at=ticket.issued_at, pk__lt=ticket.pk)).count()
    calling = Ticket.objects.filter(area_id=ticket.area_id, day=ticket.day, status=TicketStatus.CALLED).exists()
    if not ahead:
        return Place(ticket, 0, 0, calling)
    serving = max(1, Counter.objects.filter(
        Q(service_areas=ticket.area_id) | Q(agency_id=ticket.area.agency_id, service_areas=None)).distinct().count())
    minutes = max(1, round(ahead * _service_minutes(ticket.area_id, ticket.day) / serving))
    return Place(ticket, ahead, minutes, calling)


@dataclass(frozen=True)
class Board:
    """The waiting-room display: the last tickets called (newest first) and a signature that changes with every
    call or recall (the page chimes when it changes). No names, no phones."""

    called: list[Ticket]
    lines: list[tuple[ServiceArea, int]]  # each area and the tickets waiting in it
    signature: str

    @property
    def latest(self) -> Ticket | None:
        return self.called[0] if self.called else None


def board(agency: Agency, now: datetime | None = None) -> Board:
    day = today(now)
    called = list(Ticket.objects.select_related("area", "counter")
                  .filter(area__agency=agency, day=day, last_called_at__isnull=False)
                  .order_by("-last_called_at", "-pk")[:DISPLAY_ROWS])
    waiting = dict(Ticket.objects.filter(area__agency=agency, day=day, status=TicketStatus.WAITING)
                   .values_list("area_id").annotate(n=Count("pk")).values_list("area_id", "n"))
    latest = called[0] if called else None
    signature = f"{latest.pk}.{latest.called_count}" if latest else "0"
    return Board(called, [(a, waiting.get(a.pk, 0)) for a in areas_of(agency)], signature)


# --- the officer's counter -------------------------------------------------------------------------------------


def counters_for(actor: Actor) -> list[Counter]:
    """The counters of the agencies where the officer may call tickets."""
    return list(Counter.objects.select_related("agency").filter(agency_id__in=actor.agencies_with(*CALLING))
                .order_by("agency__name", "number"))


def counter_for(actor: Actor, counter_id: int | None) -> Counter | None:
    if counter_id is None:
        return None
    return Counter.objects.select_related("agency").filter(
        pk=counter_id, agency_id__in=actor.agencies_with(*CALLING)).first()


@dataclass(frozen=True)
class Desk:
    """An officer's counter: the ticket at it now, the line it calls from (first rows), the set-aside tickets."""

    counter: Counter
    current: Ticket | None
    line: list[Ticket]
    waiting: int
    skipped: list[Ticket]


def desk(counter: Counter, now: datetime | None = None, rows: int = 10) -> Desk:
    day = today(now)
    mine = Ticket.objects.select_related("area").filter(area_id__in=area_ids_of(counter.pk, counter.agency_id),
                                                        day=day)
    current = (Ticket.objects.select_related("area", "appointment")
               .filter(counter=counter, status=TicketStatus.CALLED).order_by("-last_called_at").first())
    waiting = mine.filter(status=TicketStatus.WAITING)
    line = list(waiting.order_by("priority", "issued_at", "pk")[:rows])
    skipped = list(mine.filter(status=TicketStatus.SKIPPED).order_by("-finished_at")[:rows])
    return Desk(counter, current, line, waiting.count(), skipped)


# --- appointments ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    free: int

    @property
    def is_free(self) -> bool:
        return self.free > 0


def free_slots(area: ServiceArea, day: date, now: datetime | None = None) -> list[Slot]:
    """The slots of ``day`` not yet begun, with their free places (full ones included, shown as full)."""
    now = now or timezone.now()
    starts = [start for start in slots.slot_starts(area, day) if start > now]
    if not starts:
        return []
    taken = dict(Appointment.objects.filter(area=area, day=day, status__in=ACTIVE_APPOINTMENT)
                 .values_list("starts_at").annotate(n=Count("pk")).values_list("starts_at", "n"))
    return [Slot(start, max(0, area.slot_capacity - taken.get(start, 0))) for start in starts]


def bookable_days(area: ServiceArea, now: datetime | None = None, count: int = 10) -> list[date]:
    """The next working days with slots (today included while a slot is left)."""
    now = now or timezone.now()
    calendar = slots.calendar_of(area)
    days: list[date] = []
    day = today(now)
    for _offset in range(60):
        if any(start > now for start in slots.slot_starts(area, day, calendar)):
            days.append(day)
            if len(days) == count:
                break
        day += timedelta(days=1)
    return days


def appointments_of(user: Any) -> list[Appointment]:
    return list(Appointment.objects.select_related("area__agency").filter(user_id=user.pk)
                .order_by("-starts_at")[:50])


def appointment_by_token(token: str) -> Appointment | None:
    return Appointment.objects.select_related("area__agency").filter(token=token).first()
