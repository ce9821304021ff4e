"""The refusals of the queue and of appointments: one class per case, each with a stable code and one text."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from motcua.core.errors import MotCuaError, NotFound


class QueueRefused(MotCuaError):
    """The request is understood but the state of the ticket, the slot or the appointment forbids it."""

    status = 409


class AreaNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("area_not_found", _("This service area does not exist or is closed."))


class TicketNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("ticket_not_found", _("This ticket does not exist."))


class AlreadyCalled(QueueRefused):
    """Two officers pressed "call" on the same ticket: the second is refused and told who has it."""

    def __init__(self, label: str, counter: int | None) -> None:
        super().__init__("ticket_already_called",
                         _("Cannot call: ticket %(ticket)s has already been called by counter %(counter)s."),
                         {"ticket": label, "counter": counter if counter is not None else "?"})


class TicketNotCalled(QueueRefused):
    def __init__(self, label: str) -> None:
        super().__init__("ticket_not_called",
                         _("Ticket %(ticket)s is not being served at a counter: call it first."), {"ticket": label})


class NotAtThisCounter(QueueRefused):
    """A button of a stale counter page (call again, skip, served) for a ticket another counter has since called,
    set aside or served: the officer is told where it went."""

    def __init__(self, label: str, status: str, counter: int | None) -> None:
        values = {"ticket": label, "counter": counter if counter is not None else "?"}
        if status == "skipped":
            message = _("Ticket %(ticket)s is no longer at this counter: counter %(counter)s set it aside "
                        "(absent).")
        elif status == "done":
            message = _("Ticket %(ticket)s is no longer at this counter: it was served at counter %(counter)s.")
        else:
            message = _("Ticket %(ticket)s is no longer at this counter: it was called to counter %(counter)s.")
        super().__init__("ticket_not_at_counter", message, values)


class NobodyWaiting(QueueRefused):
    def __init__(self) -> None:
        super().__init__("nobody_waiting", _("Nobody is waiting for this counter."))


class NotYourCounter(MotCuaError):
    status = 403

    def __init__(self) -> None:
        super().__init__("not_your_counter", _("You do not work at this counter's agency."))


class SlotFull(QueueRefused):
    def __init__(self) -> None:
        super().__init__("slot_full", _("This time slot is fully booked; please choose another one."),
                         location="slot")


class SlotPast(QueueRefused):
    def __init__(self) -> None:
        super().__init__("slot_past", _("This time slot has already begun; please choose a later one."),
                         location="slot")


class SlotUnavailable(QueueRefused):
    def __init__(self) -> None:
        super().__init__("slot_unavailable",
                         _("The center does not receive appointments at this time (closed, a holiday or too far "
                           "ahead)."), location="slot")


class AlreadyBooked(QueueRefused):
    def __init__(self) -> None:
        super().__init__("already_booked", _("You already have an appointment for this service on this day."),
                         location="slot")


class AppointmentNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("appointment_not_found", _("This appointment code is unknown."), location="token")


class AppointmentUsed(QueueRefused):
    def __init__(self) -> None:
        super().__init__("appointment_used",
                         _("This appointment has already been checked in or cancelled."), location="token")


class CheckInTooEarly(QueueRefused):
    def __init__(self, opens: str) -> None:
        super().__init__("checkin_too_early", _("It is too early to check in: please come back from %(time)s."),
                         {"time": opens}, location="token")


class CheckInTooLate(QueueRefused):
    def __init__(self) -> None:
        super().__init__("checkin_too_late",
                         _("The time of this appointment has passed; please take a ticket."), location="token")


class CannotCancel(QueueRefused):
    def __init__(self) -> None:
        super().__init__("appointment_not_cancellable",
                         _("This appointment can no longer be cancelled."))
