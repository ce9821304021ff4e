"""The background task that delivers a notification (Django's tasks API; ``motcua db_worker`` runs it).

It has its own queue, ``notifications``, so that other background work never delays a message to a citizen;
the logic — claiming the attempt, sending, retrying with backoff — is in ``services.deliver``.
"""

from __future__ import annotations

from django_tasks import task

from motcua.notifications import services

QUEUE = "notifications"


@task(queue_name=QUEUE)
def deliver_notification(notification_id: int, attempt: int) -> str:
    return services.deliver(notification_id, attempt)
