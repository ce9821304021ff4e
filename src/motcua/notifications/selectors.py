"""Reads of notifications: what staff must see (failures), scoped to the dossiers of their agencies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from motcua.notifications.models import Notification, NotificationStatus


def failed_notifications(agency_ids: Iterable[int] | None = None) -> QuerySet[Notification]:
    """Notifications that gave up after every attempt, newest first; with ``agency_ids``, only those about
    dossiers received at or held by one of those agencies (the people who can call the applicant)."""
    failed = Notification.objects.filter(status=NotificationStatus.FAILED)
    if agency_ids is not None:
        ids = list(agency_ids)
        failed = failed.filter(Q(dossier__receiving_agency_id__in=ids) | Q(dossier__current_agency_id__in=ids))
    return failed.order_by("-created_at", "-pk")


def failed_count_for(user: Any) -> int:
    """How many failed notifications ``user`` should know about: all of them for those who may view
    notifications in the administration, else those of their agencies' dossiers; 0 for anyone else."""
    if not getattr(user, "is_authenticated", False):
        return 0
    if user.has_perm("notifications.view_notification"):
        return failed_notifications().count()
    from motcua.agencies.models import Membership

    agencies = list(Membership.objects.filter(user_id=user.pk, is_active=True).values_list("agency_id", flat=True))
    if not agencies:
        return 0
    return failed_notifications(agencies).count()
