"""The event log's side of the outbox: every event written is offered, inside its own transaction, to the hooks
each outside system registered (``outbox.on_events``), which enqueue what must leave because of it."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from motcua.dossiers.signals import event_written
from motcua.integrations import outbox


@receiver(event_written, dispatch_uid="integrations.outbox")
def offer_events(sender: Any, pairs: list[tuple[Any, Any]], **kwargs: Any) -> None:
    for hook in outbox.event_hooks():
        hook(pairs)
