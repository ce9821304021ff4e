"""The appointment reminder, a background task due before the slot (Django's tasks API; ``motcua db_worker``,
started by ``motcua serve``, runs it on the ``notifications`` queue).

:func:`remind` is what it runs: it claims the reminder (``reminder_sent_at`` still empty, the appointment still
booked) so that a task run twice never texts twice, and a cancelled appointment is not reminded; the SMS itself
goes through ``notifications.notify`` (rendered, recorded, delivered and retried there).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from motcua.counters.messages import sms_context
from motcua.counters.models import Appointment, AppointmentStatus, QueueEvent
from motcua.notifications.services import notify

logger = logging.getLogger(__name__)

QUEUE = "notifications"


def enqueue_reminder(appointment_id: int, run_after: datetime) -> None:
    """Schedule the reminder; a failure to enqueue is logged (the booking stands, ``reminder_at`` shows it)."""
    try:
        send_reminder.using(run_after=run_after).enqueue(appointment_id)
    except Exception:
        logger.exception("could not schedule the reminder of appointment %s", appointment_id)


def remind(appointment_id: int, now: datetime | None = None) -> str:
    """Send the reminder of one appointment: ``"sent"``, or ``"skipped"`` (cancelled, checked in, sent already)."""
    now = now or timezone.now()
    with transaction.atomic():
        if not Appointment.objects.filter(pk=appointment_id, status=AppointmentStatus.BOOKED,
                                          reminder_sent_at=None, starts_at__gt=now).update(reminder_sent_at=now):
            return "skipped"
        appointment = Appointment.objects.select_related("area__agency", "user__citizen").get(pk=appointment_id)
        citizen = getattr(appointment.user, "citizen", None) if appointment.user_id else None
        notify(template="appointment_reminder", context=sms_context(appointment), phone=appointment.phone,
               user=appointment.user, language=getattr(citizen, "language", "") or "vi")
        QueueEvent.objects.create(action=QueueEvent.Action.REMIND, appointment=appointment, at=now)
    return "sent"


@task(queue_name=QUEUE)
def send_reminder(appointment_id: int) -> str:
    return remind(appointment_id)
