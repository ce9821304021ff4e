"""Delivering a notification in the background (Django's tasks API; ``motcua db_worker`` runs it).

The task has its own queue, ``notifications``, so that other background work never delays a message to a
citizen. :func:`deliver` is what it runs: one attempt, claimed by its number so that a task delivered twice (a
worker restart, a resend racing a retry) never sends twice; on failure the next attempt is enqueued with
exponential backoff (:func:`enqueue`), and after ``NOTIFY_MAX_ATTEMPTS`` the notification is ``failed``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django_tasks import task

from motcua.notifications import zalo
from motcua.notifications.models import Notification, NotificationChannel, NotificationStatus
from motcua.notifications.sms import get_provider

logger = logging.getLogger(__name__)

QUEUE = "notifications"
BACKOFF_FACTOR = 5


def enqueue(notification_id: int, attempt: int, run_after: datetime | None = None) -> None:
    """Enqueue attempt number ``attempt`` of a notification on the ``notifications`` queue.

    A failure to enqueue (the queue's database or broker down) is logged, not raised: the caller's action has
    committed already, and the notification stays ``queued`` where staff can see and resend it.
    """
    job = deliver_notification if run_after is None else deliver_notification.using(run_after=run_after)
    try:
        job.enqueue(notification_id, attempt)
    except Exception:
        logger.exception("could not enqueue notification %s (attempt %s)", notification_id, attempt)



def backoff(attempt: int) -> timedelta:
    """The wait after failed attempt ``attempt``: 1, 5, 25, 125 minutes… with the default settings."""
    base = int(getattr(settings, "NOTIFY_RETRY_SECONDS", 60))
    return timedelta(seconds=base * BACKOFF_FACTOR ** (attempt - 1))


def max_attempts() -> int:
    return max(1, int(getattr(settings, "NOTIFY_MAX_ATTEMPTS", 5)))


def _send_email(notification: Notification) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "motcua.local"
    message_id = make_msgid(domain=domain)
    EmailMessage(notification.subject, notification.body, settings.DEFAULT_FROM_EMAIL, [notification.recipient],
                 headers={"Message-ID": message_id}).send()
    return message_id


def _send_sms(notification: Notification) -> str:
    return get_provider().send(notification.recipient, notification.body)


def _send_zalo(notification: Notification) -> str:
    """A notice (transaction message) when the notification has a subject, else a plain answer."""
    provider = zalo.get_provider()
    if notification.subject:
        return provider.notice(notification.recipient, notification.subject, notification.body)
    return provider.send(notification.recipient, notification.body)


def deliver(notification_id: int, attempt: int) -> str:
    """Make attempt ``attempt`` to deliver a notification. Returns what happened (kept as the task's result).

    The attempt is claimed first with a conditional update (status queued, ``attempts == attempt - 1``): only
    one task can win it, so a duplicated task or a second worker never sends the same message twice. The send
    happens outside any transaction (an SMTP server that hangs must not hold a database lock).
    """
    # while the attempt runs, next_attempt_at says when a retry would be due: a message still queued long after
    # it (the worker died mid-send, or no worker runs) shows as overdue to staff (selectors.overdue_notifications)
    claimed = Notification.objects.filter(
        pk=notification_id, status=NotificationStatus.QUEUED, attempts=attempt - 1,
    ).update(attempts=attempt, next_attempt_at=timezone.now() + backoff(attempt))
    if not claimed:
        return "skipped"
    notification = Notification.objects.get(pk=notification_id)
    mine = Notification.objects.filter(pk=notification_id, status=NotificationStatus.QUEUED, attempts=attempt)
    try:
        if notification.channel == NotificationChannel.EMAIL:
            message_id = _send_email(notification)
        elif notification.channel == NotificationChannel.ZALO:
            message_id = _send_zalo(notification)
        else:
            message_id = _send_sms(notification)
    except Exception as exc:  # every failure of a provider is recorded, whatever its kind
        error = f"{type(exc).__name__}: {exc}"[:2000]
        now = timezone.now()
        # a final refusal (Zalo: the person no longer follows the official account) is not tried again
        if attempt >= max_attempts() or getattr(exc, "final", False):
            mine.update(status=NotificationStatus.FAILED, last_error=error, next_attempt_at=None)
            logger.warning("notification %s failed after %s attempts: %s", notification_id, attempt, error)
            return "failed"
        run_after = now + backoff(attempt)
        mine.update(last_error=error, next_attempt_at=run_after)
        enqueue(notification_id, attempt + 1, run_after)
        return "retry"
    mine.update(status=NotificationStatus.SENT, sent_at=timezone.now(), provider_message_id=message_id[:255],
                last_error="", next_attempt_at=None)
    return "sent"


@task(queue_name=QUEUE)
def deliver_notification(notification_id: int, attempt: int) -> str:
    return deliver(notification_id, attempt)
