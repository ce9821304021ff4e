"""The waiting room of the demo: three service areas at the provincial center, their counters, four weeks of
served tickets for the waiting-time figures, and today's line of area A served up to A014 — so the next ticket a
tester takes at the kiosk is A015 (docs/counters.md). Idempotent and fast (rows written in bulk: this is a
made-up past, not actions; tickets and appointments from now on go through ``counters.services``).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from motcua.agencies.models import Agency, Counter
from motcua.core.calendar import VN_TZ, calendar_for
from motcua.core.errors import MotCuaError
from motcua.counters import selectors, services
from motcua.counters.models import ServiceArea, Ticket, TicketNumber, TicketStatus

CENTER = "000.00.01.H22"
# letter, name, English name, the center's counter numbers that call it
AREAS = (
    ("A", "Hộ tịch - Chứng thực - Tư pháp", "Civil status, certification, justice", (1, 6)),
    ("B", "Đất đai - Xây dựng - Môi trường", "Land, construction, environment", (2, 3)),
    ("C", "Kinh doanh - Giao thông - Khác", "Business, transport, other", (4, 5)),
)
HISTORY_DAYS = 20
PER_DAY = {"A": 36, "B": 24, "C": 18}
TODAY_SERVED = 14  # A001…A014 served today: the kiosk's next ticket is A015
DEMO_CITIZEN = "congdan.demo"  # the account's username; citizens sign in with its phone, DEMO_CITIZEN_LOGIN
DEMO_CITIZEN_LOGIN = "0912000001"


def load_queue_demo(now: datetime | None = None) -> list[str]:
    """Set the demo's waiting room up; the lines to print."""
    now = now or timezone.now()
    center = Agency.objects.filter(identifier_code=CENTER).first()
    if center is None:
        return []
    with transaction.atomic():
        areas = _areas(center)
        made = _history(areas, now)
        made += _today(areas["A"], now)
    booked = _appointment(areas["A"], now)
    return [f"{len(areas)} service areas at {center.name}, {made} past tickets"
            + (f", 1 appointment for the demo citizen {DEMO_CITIZEN_LOGIN}" if booked else "")]


def _areas(center: Agency) -> dict[str, ServiceArea]:
    counters = {c.number: c for c in Counter.objects.filter(agency=center)}
    areas, links = {}, []
    through = ServiceArea.counters.through
    for order, (letter, name, name_en, numbers) in enumerate(AREAS):
        area, _created = ServiceArea.objects.update_or_create(
            agency=center, letter=letter,
            defaults={"name": name, "name_en": name_en, "order": order, "slot_minutes": 15, "slot_capacity": 2})
        areas[letter] = area
        links += [through(servicearea_id=area.pk, counter_id=counters[n].pk) for n in numbers if n in counters]
    through.objects.filter(servicearea_id__in=[a.pk for a in areas.values()]).delete()
    through.objects.bulk_create(links)
    return areas


def _counters_of(area: ServiceArea) -> list[Counter]:
    numbers = next(numbers for letter, _name, _en, numbers in AREAS if letter == area.letter)
    return list(Counter.objects.filter(agency_id=area.agency_id, number__in=numbers).order_by("number"))


def _history(areas: dict[str, ServiceArea], now: datetime) -> int:
    """Past working days' tickets, each issued, called and served (a few absent), at plausible times."""
    calendar = calendar_for()
    today = now.astimezone(VN_TZ).date()
    days: list[date] = []
    day = today - timedelta(days=1)
    while len(days) < HISTORY_DAYS:
        if calendar.is_working_day(day):
            days.append(day)
        day -= timedelta(days=1)
    done = set(TicketNumber.objects.filter(area__in=areas.values(), day__in=days).values_list("area_id", "day"))
    rng = random.Random(15)  # noqa: S311 - demo data, not security
    tickets, numbers = [], []
    for area in areas.values():
        counters = _counters_of(area)
        for day in days:
            if (area.pk, day) in done:
                continue
            count = PER_DAY[area.letter] + rng.randint(-6, 6)
            for number in range(1, count + 1):
                opening = datetime.combine(day, time(7, 30), VN_TZ)
                issued = opening + timedelta(minutes=number * 420 / count + rng.uniform(0, 5))
                if issued.time() > time(11, 30):
                    issued += timedelta(minutes=90)  # the lunch break
                called = issued + timedelta(minutes=rng.triangular(1, 40, 9))
                status = TicketStatus.SKIPPED if rng.random() < 0.05 else TicketStatus.DONE
                finished = called + timedelta(minutes=rng.triangular(2, 25, 7))
                tickets.append(Ticket(area=area, day=day, number=number, token=services.new_token(), status=status,
                                      issued_at=issued, called_at=called, last_called_at=called, called_count=1,
                                      finished_at=finished, counter=rng.choice(counters) if counters else None))
            numbers.append(TicketNumber(area=area, day=day, last=count))
    Ticket.objects.bulk_create(tickets, batch_size=1000)
    TicketNumber.objects.bulk_create(numbers)
    return len(tickets)


def _today(area: ServiceArea, now: datetime) -> int:
    """Today's A001…A014 served in the last hours (unless today's line has begun already)."""
    today = now.astimezone(VN_TZ).date()
    if TicketNumber.objects.filter(area=area, day=today).exists():
        return 0
    counter = next(iter(_counters_of(area)), None)
    tickets = []
    for number in range(1, TODAY_SERVED + 1):
        issued = now - timedelta(minutes=(TODAY_SERVED - number + 1) * 8 + 10)
        called = issued + timedelta(minutes=6)
        tickets.append(Ticket(area=area, day=today, number=number, token=services.new_token(), status=TicketStatus.DONE,
                              issued_at=issued, called_at=called, last_called_at=called, called_count=1,
                              finished_at=called + timedelta(minutes=5), counter=counter))
    Ticket.objects.bulk_create(tickets)
    TicketNumber.objects.create(area=area, day=today, last=TODAY_SERVED)
    return len(tickets)


def _appointment(area: ServiceArea, now: datetime) -> bool:
    """One booking of the demo citizen on the next working day (through the service: SMS and reminder too)."""
    user = get_user_model().objects.filter(username=DEMO_CITIZEN).select_related("citizen").first()
    if user is None or user.appointments.exists():
        return False
    days = [d for d in selectors.bookable_days(area, now) if d > now.astimezone(VN_TZ).date()]
    if not days:
        return False
    free = [s for s in selectors.free_slots(area, days[0], now) if s.is_free]
    if not free:
        return False
    try:
        services.book(area_id=area.pk, starts_at=free[len(free) // 3].starts_at, name=user.citizen.full_name,
                      phone=user.citizen.phone, user=user, now=now)
    except MotCuaError:
        return False
    return True
