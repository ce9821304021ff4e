"""Queue tickets, service areas and appointments at a one-stop center (docs/counters.md).

A *service area* is one line of the waiting room (A: civil status, B: land…) at one agency; its tickets are
numbered per day without gaps (``A001``, ``A002``…, :class:`TicketNumber` with ``core.counters.take_next``).
An *appointment* books a slot of an area ahead; checking it in at the kiosk issues a ticket that goes before the
walk-ins. Every change is recorded as a :class:`QueueEvent` (who, when, what). The rules are in ``services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ServiceArea(models.Model):
    """One line of the waiting room at an agency, with its letter (``A``) and the counters that serve it."""

    agency = models.ForeignKey("agencies.Agency", verbose_name=_("agency"), on_delete=models.CASCADE,
                               related_name="service_areas")
    letter = models.CharField(_("letter"), max_length=2, help_text=_("Printed before the ticket number: A015."))
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    fields = models.ManyToManyField("catalog.Field", verbose_name=_("fields served"), blank=True, related_name="+")
    counters = models.ManyToManyField(
        "agencies.Counter", verbose_name=_("counters"), blank=True, related_name="service_areas",
        help_text=_("The counters that call this area's tickets; none: every counter of the agency."),
    )
    slot_minutes = models.PositiveSmallIntegerField(_("appointment slot (minutes)"), default=15)
    slot_capacity = models.PositiveSmallIntegerField(
        _("appointments per slot"), default=2, help_text=_("0: this area takes no appointments."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["agency", "order", "letter"]
        verbose_name = _("service area")
        verbose_name_plural = _("service areas")
        constraints = [models.UniqueConstraint(fields=["agency", "letter"], name="service_area_letter")]

    def __str__(self) -> str:
        return f"{self.letter} · {self.name}"

    @property
    def takes_appointments(self) -> bool:
        return self.slot_capacity > 0


def area_ids_of(counter_id: int, agency_id: int) -> list[int]:
    """The active areas whose tickets a counter calls: those mapped to it, or every unmapped area of its agency
    (read first, so that the line's query is a plain ``area_id IN (…)`` on its index)."""
    return list(ServiceArea.objects.filter(Q(counters=counter_id) | Q(agency_id=agency_id, counters=None),
                                           is_active=True).values_list("pk", flat=True).distinct())


class TicketNumber(models.Model):
    """The running number of one area's tickets on one day (the 015 of ``A015``)."""

    area = models.ForeignKey(ServiceArea, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area", "day"], name="ticket_number_area_day")]

    def __str__(self) -> str:
        return f"{self.area_id} {self.day}: {self.last}"


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    CALLED = "called", _("Called")
    DONE = "done", _("Served")
    SKIPPED = "skipped", _("Skipped (absent)")


class Ticket(models.Model):
    """One numbered ticket: issued at the kiosk (or by an appointment's check-in), called to a counter, served."""

    area = models.ForeignKey(ServiceArea, verbose_name=_("service area"), on_delete=models.PROTECT,
                             related_name="tickets")
    day = models.DateField(_("day"))
    number = models.PositiveIntegerField(_("number"))
    token = models.CharField(max_length=32, unique=True)  # the QR on the ticket: its place in the line
    priority = models.PositiveSmallIntegerField(default=1)  # 0: a checked-in appointment, called first
    status = models.CharField(_("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.WAITING)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)  # the first call (waiting time)
    last_called_at = models.DateTimeField(null=True, blank=True)  # the last call or recall (the display)
    called_count = models.PositiveSmallIntegerField(_("calls"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    counter = models.ForeignKey("agencies.Counter", verbose_name=_("counter"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("called by"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    appointment = models.OneToOneField("Appointment", verbose_name=_("appointment"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="ticket")

    class Meta:
        ordering = ["day", "area", "number"]
        verbose_name = _("queue ticket")
        verbose_name_plural = _("queue tickets")
        constraints = [models.UniqueConstraint(fields=["area", "day", "number"], name="ticket_area_day_number")]
        indexes = [
            models.Index(fields=["area", "day", "status", "priority", "issued_at"], name="ticket_line"),
            models.Index(fields=["counter", "status"], name="ticket_counter_status"),
            models.Index(fields=["day", "last_called_at"], name="ticket_display"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.day})"

    @property
    def label(self) -> str:
        """``A015``: the area's letter and the number on three digits (more past 999)."""
        return f"{self.area.letter}{self.number:03d}"

    @property
    def is_waiting(self) -> bool:
        return self.status == TicketStatus.WAITING

    @property
    def is_called(self) -> bool:
        return self.status == TicketStatus.CALLED

    @property
    def is_skipped(self) -> bool:
        return self.status == TicketStatus.SKIPPED


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CHECKED_IN = "checked_in", _("Checked in")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("Did not come")


ACTIVE_APPOINTMENT = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)


class Appointment(models.Model):
    """A booked slot of a service area; its token is the QR code shown at the kiosk to check in."""

    area = models.ForeignKey(ServiceArea, verbose_name=_("service area"), on_delete=models.PROTECT,
                             related_name="appointments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("account"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="appointments")
    name = models.CharField(_("name"), max_length=300)
    phone = models.CharField(_("phone"), max_length=20)
    day = models.DateField(_("day"))
    starts_at = models.DateTimeField(_("slot"))
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    status = models.CharField(_("status"), max_length=12, choices=AppointmentStatus.choices,
                              default=AppointmentStatus.BOOKED)
    token = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    reminder_at = models.DateTimeField(null=True, blank=True)  # when the reminder SMS is due (none: too close)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            # one active booking per person, area and day (two tabs booking at once: the second refused)
            models.UniqueConstraint(fields=["area", "day", "phone"], condition=Q(status__in=ACTIVE_APPOINTMENT),
                                    name="appointment_once_a_day"),
        ]
        indexes = [models.Index(fields=["area", "starts_at", "status"], name="appointment_slot")]

    def __str__(self) -> str:
        return f"{self.area} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_booked(self) -> bool:
        return self.status == AppointmentStatus.BOOKED


class QueueEvent(models.Model):
    """One change in the queue (a ticket issued, called, recalled, skipped, served; a booking made, cancelled,
    checked in, reminded): who, when, what. Append-only."""

    class Action(models.TextChoices):
        ISSUE = "issue", _("Ticket issued")
        CALL = "call", _("Called")
        RECALL = "recall", _("Called again")
        SKIP = "skip", _("Skipped")
        FINISH = "finish", _("Served")
        BOOK = "book", _("Appointment booked")
        CANCEL = "cancel", _("Appointment cancelled")
        CHECK_IN = "check_in", _("Checked in")
        REMIND = "remind", _("Reminder sent")

    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    appointment = models.ForeignKey(Appointment, null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("queue event")
        verbose_name_plural = _("queue events")

    def __str__(self) -> str:
        return f"{self.action} {self.at}"
