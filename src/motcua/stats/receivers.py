"""After each committed event (``event_recorded``: every event, whether the applicant hears of it or not),
refresh its dossier's facts (``stats.services.refresh``) when ``MOTCUA_STATS_REFRESH`` is ``immediate``; with
``follow`` the follower process does it (``motcua refresh_stats --follow``, started by ``motcua serve``). A failure
is logged by ``dossiers.signals`` and made good by the next catch-up (``services.catch_up``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.dispatch import receiver

from motcua.dossiers.signals import event_recorded, events_recorded
from motcua.integrations.models import System
from motcua.integrations.signals import messages_delivered
from motcua.stats import services
from motcua.stats.facts import source_available


def immediate() -> bool:
    """Whether the request refreshes the facts itself (``MOTCUA_STATS_REFRESH``; else the follower does)."""
    return settings.MOTCUA_STATS_REFRESH == "immediate"


@receiver(event_recorded, dispatch_uid="stats_refresh")
def refresh_facts(sender: Any, dossier: Any, event: Any, **kwargs: Any) -> None:
    if immediate():
        services.refresh([dossier.pk])


@receiver(events_recorded, dispatch_uid="stats_refresh_many")
def refresh_batch(sender: Any, dossiers: list[Any], events: list[Any], **kwargs: Any) -> None:
    """A batch of events (a carrier's updates): their dossiers refreshed together, in one build."""
    if immediate():
        services.refresh({dossier.pk for dossier in dossiers})


@receiver(messages_delivered, dispatch_uid="stats_synced")
def refresh_synced(sender: Any, system: str, dossier_ids: list[int], **kwargs: Any) -> None:
    """A delivery to the national portal or the document store is no event: the process that delivered it marks
    the dossiers' facts "synced" (or "result in the store") and moves the roll-up (``services.mark_synced``)."""
    if system not in (System.PORTAL, System.STORE) or not dossier_ids or not source_available("portal"):
        return
    services.mark_synced(dossier_ids, "synced" if system == System.PORTAL else "store_synced")
