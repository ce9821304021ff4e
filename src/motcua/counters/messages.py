"""What an appointment's holder is told by SMS (booked, reminded) and when the reminder is due."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse

from motcua.core.calendar import VN_TZ
from motcua.core.web import public_url
from motcua.counters.models import Appointment


def reminder_moment(starts_at: datetime, now: datetime) -> datetime | None:
    """When the reminder SMS is due: the usual lead before the slot, else the same-day lead, else none."""
    for hours in (settings.MOTCUA_APPOINTMENT_REMINDER_HOURS, settings.MOTCUA_APPOINTMENT_SAME_DAY_REMINDER_HOURS):
        moment = starts_at - timedelta(hours=float(hours))
        if moment > now:
            return moment
    return None


def sms_context(appointment: Appointment) -> dict[str, Any]:
    local = appointment.starts_at.astimezone(VN_TZ)
    return {"area": appointment.area.name, "agency": appointment.area.agency.name,
            "time": local.strftime("%H:%M"), "date": local.strftime("%d/%m/%Y"),
            "url": public_url(reverse("queue:appointment", args=[appointment.token]))}
