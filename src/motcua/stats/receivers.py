"""After each committed event, refresh its dossier's facts (``stats.services.refresh``). A failure is logged by
``dossiers.signals`` and made good by the next ``motcua refresh_stats`` (``services.catch_up``)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from motcua.dossiers.signals import dossier_changed
from motcua.stats import services


@receiver(dossier_changed, dispatch_uid="stats_refresh")
def refresh_facts(sender: Any, dossier: Any, event: Any, **kwargs: Any) -> None:
    services.refresh([dossier.pk])
