"""Reads of notifications: what staff must see (failures), scoped to the dossiers of their agencies."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from motcua.agencies.models import Membership
from motcua.notifications.models import Notification, NotificationChannel, NotificationStatus

# A queued message whose attempt was due this long ago is not going to be sent by itself: the worker is not
# running, or it died during the attempt.
OVERDUE_AFTER = timedelta(minutes=15)


def _scoped(queryset: QuerySet[Notification], agency_ids: Iterable[int] | None) -> QuerySet[Notification]:
    if agency_ids is None:
        return queryset
    ids = list(agency_ids)
    return queryset.filter(Q(dossier__receiving_agency_id__in=ids) | Q(dossier__current_agency_id__in=ids))


def overdue_notifications(agency_ids: Iterable[int] | None = None) -> QuerySet[Notification]:
    """Queued messages whose next attempt is more than :data:`OVERDUE_AFTER` late."""
    late = Notification.objects.filter(status=NotificationStatus.QUEUED,
                                       next_attempt_at__lt=timezone.now() - OVERDUE_AFTER)
    return _scoped(late, agency_ids).order_by("next_attempt_at", "pk")


def resendable() -> QuerySet[Notification]:
    """What staff may queue again: failed messages and overdue queued ones."""
    return Notification.objects.filter(
        Q(status=NotificationStatus.FAILED)
        | Q(status=NotificationStatus.QUEUED, next_attempt_at__lt=timezone.now() - OVERDUE_AFTER)
    )


def failed_notifications(agency_ids: Iterable[int] | None = None) -> QuerySet[Notification]:
    """Notifications that gave up after every attempt, newest first; with ``agency_ids``, only those about
    dossiers received at or held by one of those agencies (the people who can call the applicant)."""
    failed = Notification.objects.filter(status=NotificationStatus.FAILED)
    return _scoped(failed, agency_ids).order_by("-created_at", "-pk")


def _agencies_of(user: Any) -> list[int] | None:
    """``None`` (everything) for those who may view notifications in the administration, else the agencies
    where ``user`` works; an empty list for anyone else."""
    if not getattr(user, "is_authenticated", False):
        return []
    if user.has_perm("notifications.view_notification"):
        return None
    return list(Membership.objects.filter(user_id=user.pk, is_active=True).values_list("agency_id", flat=True))


def failed_count_for(user: Any) -> int:
    """How many failed notifications ``user`` should know about: all of them for those who may view
    notifications in the administration, else those of their agencies' dossiers; 0 for anyone else."""
    agencies = _agencies_of(user)
    return 0 if agencies == [] else failed_notifications(agencies).count()


def overdue_count_for(user: Any) -> int:
    """Like :func:`failed_count_for`, for messages stuck in the queue."""
    agencies = _agencies_of(user)
    return 0 if agencies == [] else overdue_notifications(agencies).count()


def alert_counts_for(user: Any) -> tuple[int, int]:
    """(:func:`failed_count_for`, :func:`overdue_count_for`) in one query, for the alert on every staff page:
    both counts by one aggregate, the user's agencies as a subquery of it."""
    if not getattr(user, "is_authenticated", False):
        return 0, 0
    notifications = Notification.objects.all()
    if not user.has_perm("notifications.view_notification"):
        agencies = Membership.objects.filter(user_id=user.pk, is_active=True).values("agency_id")
        notifications = notifications.filter(
            Q(dossier__receiving_agency_id__in=agencies) | Q(dossier__current_agency_id__in=agencies))
    late = timezone.now() - OVERDUE_AFTER
    counts = notifications.filter(
        Q(status=NotificationStatus.FAILED) | Q(status=NotificationStatus.QUEUED, next_attempt_at__lt=late)
    ).aggregate(failed=Count("pk", filter=Q(status=NotificationStatus.FAILED)),
                overdue=Count("pk", filter=Q(status=NotificationStatus.QUEUED, next_attempt_at__lt=late)))
    return int(counts["failed"]), int(counts["overdue"])



def last_sms(phone: str, template: str) -> Notification | None:
    """The last SMS of ``template`` written for ``phone``: only the trial mode shows it (the tester plays the
    citizen's phone; ``workspace.views.assisted``); never shown in production."""
    return (Notification.objects.filter(channel=NotificationChannel.SMS, recipient=phone, template=template)
            .order_by("-created_at", "-pk").first())
