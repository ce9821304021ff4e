"""Writes of the queue: tickets issued, called, recalled, skipped and served; appointments booked, cancelled,
checked in. Keyword-only arguments, one transaction each, each change recorded as a :class:`QueueEvent`.

The rules:

- a ticket's number runs per area and day without gaps (``core.counters.take_next``: the row lock serializes
  two kiosks, a rollback gives the number back);
- a ticket is called by one officer only: the call is a conditional update (``status = waiting``), so two
  officers pressing "call" at once never get the same ticket — the second gets the next one (``call_next``) or
  a clear refusal naming the counter that has it (``call``, :class:`AlreadyCalled`);
- "call next" takes the counter's areas' oldest waiting ticket, checked-in appointments first;
- a slot holds ``slot_capacity`` appointments (counted with the area's row locked); one person (phone) books an
  area once a day (a partial unique constraint settles two tabs at once); a slot that has begun cannot be booked;
- an appointment checks in from ``MOTCUA_APPOINTMENT_CHECKIN_EARLY_MINUTES`` before its slot until the slot's
  end, once; the ticket it gets goes before the walk-ins;
- the booking confirmation SMS is queued with the booking, the reminder as a task due before the slot
  (``counters.tasks``), both delivered by ``notifications``.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from motcua.agencies.models import Agency, Counter
from motcua.core.calendar import VN_TZ
from motcua.core.counters import take_next
from motcua.counters import errors, slots
from motcua.counters.messages import reminder_moment, sms_context
from motcua.counters.models import (
    ACTIVE_APPOINTMENT,
    Appointment,
    AppointmentStatus,
    QueueEvent,
    ServiceArea,
    Ticket,
    TicketNumber,
    TicketStatus,
    area_ids_of,
)
from motcua.counters.tasks import enqueue_reminder
from motcua.notifications.services import notify

Action = QueueEvent.Action


def _user_id(user: Any) -> int | None:
    return user.pk if getattr(user, "is_authenticated", False) else None


def _event(action: str, *, ticket: Ticket | None = None, appointment: Appointment | None = None,
           actor: Any = None, at: datetime, **data: Any) -> None:
    QueueEvent.objects.create(action=action, ticket=ticket, appointment=appointment, actor_id=_user_id(actor),
                              at=at, data=data)


def new_token() -> str:
    return secrets.token_urlsafe(18)  # 144 random bits: unguessable, fits a small QR code


# --- tickets -------------------------------------------------------------------------------------------------


def _issue(area: ServiceArea, now: datetime, appointment: Appointment | None = None) -> Ticket:
    day = now.astimezone(VN_TZ).date()
    number = take_next(TicketNumber, area=area, day=day)
    ticket = Ticket.objects.create(area=area, day=day, number=number, token=new_token(), issued_at=now,
                                   priority=0 if appointment else 1, appointment=appointment)
    _event(Action.ISSUE, ticket=ticket, at=now, label=ticket.label, booked=bool(appointment))
    return ticket


@transaction.atomic
def issue_ticket(*, area_id: int, agency: Agency | None = None, now: datetime | None = None) -> Ticket:
    """The kiosk's "take a number" for one area (of ``agency``, when the kiosk says whose it is)."""
    now = now or timezone.now()
    area = ServiceArea.objects.select_related("agency").filter(pk=area_id, is_active=True).first()
    if area is None or (agency is not None and area.agency_id != agency.pk):
        raise errors.AreaNotFound
    return _issue(area, now)


def _check_counter(counter: Counter, staff: Any) -> None:
    if not staff.is_superuser and not staff.memberships.filter(agency_id=counter.agency_id, is_active=True).exists():
        raise errors.NotYourCounter


def _close_current(counter: Counter, staff: Any, now: datetime, keep: int = 0) -> None:
    """The ticket still at the counter is served when the officer calls the next one (``keep``: but that one)."""
    for ticket in Ticket.objects.select_related("area").filter(counter=counter, status=TicketStatus.CALLED) \
            .exclude(pk=keep):
        if Ticket.objects.filter(pk=ticket.pk, status=TicketStatus.CALLED).update(
                status=TicketStatus.DONE, finished_at=now):
            _event(Action.FINISH, ticket=ticket, actor=staff, at=now, label=ticket.label, counter=counter.number)


def _claim(ticket_id: int, counter: Counter, staff: Any, now: datetime, *, statuses: tuple[str, ...]) -> bool:
    """The conditional update that makes one officer the caller of a ticket (``False``: someone else was)."""
    # a ticket skipped and called again keeps its first call (the wait it had) and counts one call more
    return bool(Ticket.objects.filter(pk=ticket_id, status__in=statuses).update(
        status=TicketStatus.CALLED, called_at=Coalesce(F("called_at"), Value(now)), last_called_at=now,
        called_count=F("called_count") + 1, finished_at=None, counter=counter, called_by_id=_user_id(staff)))


@transaction.atomic
def call_next(*, counter: Counter, staff: Any, now: datetime | None = None) -> Ticket:
    """Call the next ticket to ``counter``: checked-in appointments first, then the oldest waiting ticket."""
    now = now or timezone.now()
    _check_counter(counter, staff)
    _close_current(counter, staff, now)
    day = now.astimezone(VN_TZ).date()
    line = (Ticket.objects.filter(area_id__in=area_ids_of(counter.pk, counter.agency_id), day=day,
                                  status=TicketStatus.WAITING)
            .order_by("priority", "issued_at", "pk").values_list("pk", flat=True))
    for _attempt in range(5):  # another officer may take the head of the line between the read and the update
        head = list(line[:3])
        if not head:
            raise errors.NobodyWaiting
        for pk in head:
            if _claim(pk, counter, staff, now, statuses=(TicketStatus.WAITING,)):
                ticket = Ticket.objects.select_related("area").get(pk=pk)
                _event(Action.CALL, ticket=ticket, actor=staff, at=now, label=ticket.label, counter=counter.number)
                return ticket
    raise errors.NobodyWaiting


@transaction.atomic
def call(*, ticket_id: int, counter: Counter, staff: Any, now: datetime | None = None) -> Ticket:
    """Call one ticket out of turn (or one skipped earlier whose holder came back); refused if already called."""
    now = now or timezone.now()
    _check_counter(counter, staff)
    ticket = Ticket.objects.select_related("area").filter(pk=ticket_id, area__agency_id=counter.agency_id).first()
    if ticket is None:
        raise errors.TicketNotFound
    if not _claim(ticket.pk, counter, staff, now, statuses=(TicketStatus.WAITING, TicketStatus.SKIPPED)):
        ticket.refresh_from_db()
        raise errors.AlreadyCalled(ticket.label, ticket.counter.number if ticket.counter else None)
    _close_current(counter, staff, now, keep=ticket.pk)
    ticket.refresh_from_db()
    _event(Action.CALL, ticket=ticket, actor=staff, at=now, label=ticket.label, counter=counter.number)
    return ticket


def _not_here(ticket: Ticket) -> errors.QueueRefused:
    """Why a ticket is not (or no longer) at the counter that asked: never called, or where it went since."""
    if ticket.counter is None or ticket.is_waiting:
        return errors.TicketNotCalled(ticket.label)
    return errors.NotAtThisCounter(ticket.label, ticket.status, ticket.counter.number)


def _at_counter(ticket_id: int, staff: Any, counter: Counter | None = None) -> Ticket:
    """The ticket being served at its counter (at ``counter``, when the officer's page says which)."""
    ticket = Ticket.objects.select_related("area", "counter").filter(pk=ticket_id).first()
    if ticket is None:
        raise errors.TicketNotFound
    if counter is not None:
        _check_counter(counter, staff)
        if ticket.area.agency_id != counter.agency_id:
            raise errors.TicketNotFound
        if not ticket.is_called or ticket.counter_id != counter.pk:
            raise _not_here(ticket)
    if ticket.counter is not None:
        _check_counter(ticket.counter, staff)
    if not ticket.is_called or ticket.counter is None:
        raise _not_here(ticket)
    return ticket


def _gone(ticket: Ticket) -> errors.QueueRefused:
    """The ticket changed between the read and the update: say where it is now."""
    ticket = Ticket.objects.select_related("area", "counter").get(pk=ticket.pk)
    return _not_here(ticket)


@transaction.atomic
def recall(*, ticket_id: int, staff: Any, counter: Counter | None = None, now: datetime | None = None) -> Ticket:
    """Call the ticket at the counter again: the display shows it on top and chimes once more. ``counter``: the
    counter whose page asked (refused, saying where the ticket went, when it is no longer there)."""
    now = now or timezone.now()
    ticket = _at_counter(ticket_id, staff, counter)
    assert ticket.counter is not None
    if not Ticket.objects.filter(pk=ticket.pk, status=TicketStatus.CALLED, counter=ticket.counter).update(
            called_count=F("called_count") + 1, last_called_at=now):
        raise _gone(ticket)
    ticket.refresh_from_db()
    _event(Action.RECALL, ticket=ticket, actor=staff, at=now, label=ticket.label, counter=ticket.counter.number,
           calls=ticket.called_count)
    return ticket


def _end(ticket_id: int, staff: Any, counter: Counter | None, now: datetime, status: str, action: str) -> Ticket:
    ticket = _at_counter(ticket_id, staff, counter)
    assert ticket.counter is not None
    if not Ticket.objects.filter(pk=ticket.pk, status=TicketStatus.CALLED, counter=ticket.counter).update(
            status=status, finished_at=now):
        raise _gone(ticket)
    ticket.refresh_from_db()
    _event(action, ticket=ticket, actor=staff, at=now, label=ticket.label, counter=ticket.counter.number)
    return ticket


@transaction.atomic
def skip(*, ticket_id: int, staff: Any, counter: Counter | None = None, now: datetime | None = None) -> Ticket:
    """The holder did not come to the counter: the ticket is set aside (it can be called again by hand)."""
    return _end(ticket_id, staff, counter, now or timezone.now(), TicketStatus.SKIPPED, Action.SKIP)


@transaction.atomic
def finish(*, ticket_id: int, staff: Any, counter: Counter | None = None, now: datetime | None = None) -> Ticket:
    """The holder was served."""
    return _end(ticket_id, staff, counter, now or timezone.now(), TicketStatus.DONE, Action.FINISH)


# --- appointments --------------------------------------------------------------------------------------------


@transaction.atomic
def book(*, area_id: int, starts_at: datetime, name: str, phone: str, user: Any = None, language: str = "vi",
         now: datetime | None = None) -> Appointment:
    """Book the slot starting at ``starts_at``; the confirmation SMS is queued, the reminder scheduled."""
    now = now or timezone.now()
    # the area's row locked: two bookings of its last place are counted one after the other
    area = ServiceArea.objects.select_for_update().filter(pk=area_id, is_active=True).first()
    if area is None:
        raise errors.AreaNotFound
    area = ServiceArea.objects.select_related("agency").get(pk=area.pk)
    if starts_at <= now:
        raise errors.SlotPast
    if (starts_at - now).days >= settings.MOTCUA_APPOINTMENT_DAYS_AHEAD or not slots.is_slot(area, starts_at):
        raise errors.SlotUnavailable
    day = starts_at.astimezone(VN_TZ).date()
    phone = "".join(phone.split())
    active = Appointment.objects.filter(area=area, status__in=ACTIVE_APPOINTMENT)
    if active.filter(day=day, phone=phone).exists():
        raise errors.AlreadyBooked
    if active.filter(starts_at=starts_at).count() >= area.slot_capacity:
        raise errors.SlotFull
    try:
        with transaction.atomic():
            appointment = Appointment.objects.create(
                area=area, user_id=_user_id(user), name=name.strip()[:300], phone=phone, day=day,
                starts_at=starts_at, minutes=area.slot_minutes, token=new_token(), created_at=now,
                reminder_at=reminder_moment(starts_at, now))
    except IntegrityError:
        raise errors.AlreadyBooked from None
    _event(Action.BOOK, appointment=appointment, actor=user, at=now, slot=starts_at.isoformat())
    notify(template="appointment_booked", context=sms_context(appointment), phone=phone, user=user,
           language=language)
    if appointment.reminder_at is not None:
        pk, run_after = appointment.pk, appointment.reminder_at
        transaction.on_commit(lambda: enqueue_reminder(pk, run_after))
    return appointment


@transaction.atomic
def cancel(*, token: str, user: Any = None, now: datetime | None = None) -> Appointment:
    """Cancel a booking (its holder, before its slot begins): the place is free again, no reminder is sent."""
    now = now or timezone.now()
    appointment = Appointment.objects.filter(token=token).first()
    if appointment is None or (user is not None and appointment.user_id != _user_id(user)):
        raise errors.AppointmentNotFound
    if appointment.starts_at <= now or not Appointment.objects.filter(
            pk=appointment.pk, status=AppointmentStatus.BOOKED).update(status=AppointmentStatus.CANCELLED):
        raise errors.CannotCancel
    appointment.refresh_from_db()
    _event(Action.CANCEL, appointment=appointment, actor=user, at=now)
    return appointment


@transaction.atomic
def check_in(*, token: str, agency: Agency, now: datetime | None = None) -> Ticket:
    """The QR code of an appointment scanned (or typed) at the kiosk: a ticket that is called first."""
    now = now or timezone.now()
    token = next((part for part in reversed(token.strip().split("/")) if part), "")  # the token, or its URL
    appointment = Appointment.objects.select_related("area").filter(token=token, area__agency=agency).first()
    if appointment is None:
        raise errors.AppointmentNotFound
    if not appointment.is_booked:
        raise errors.AppointmentUsed
    opens = appointment.starts_at - timedelta(minutes=settings.MOTCUA_APPOINTMENT_CHECKIN_EARLY_MINUTES)
    if now < opens:
        raise errors.CheckInTooEarly(opens.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y"))
    if now > appointment.starts_at + timedelta(minutes=appointment.minutes):
        raise errors.CheckInTooLate
    if not Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.BOOKED).update(
            status=AppointmentStatus.CHECKED_IN, checked_in_at=now):
        raise errors.AppointmentUsed
    appointment.refresh_from_db()
    _event(Action.CHECK_IN, appointment=appointment, at=now)
    return _issue(appointment.area, now, appointment)
