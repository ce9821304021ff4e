"""After each committed event (``event_recorded``: every event, whether the applicant hears of it or not),
refresh its dossier's facts (``stats.services.refresh``). A failure is logged by ``dossiers.signals`` and made
good by the next ``motcua refresh_stats`` (``services.catch_up``)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from motcua.dossiers.signals import event_recorded
from motcua.stats import services


@receiver(event_recorded, dispatch_uid="stats_refresh")
def refresh_facts(sender: Any, dossier: Any, event: Any, **kwargs: Any) -> None:
    services.refresh([dossier.pk])
