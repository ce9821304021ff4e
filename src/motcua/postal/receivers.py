"""Receivers of the postal signals (``postal.signals``), connected in ``PostalConfig.ready``."""

from __future__ import annotations

from typing import Any

from motcua.postal.services import pickups
from motcua.postal.signals import handover_item_confirmed


def pickup_delivered(sender: Any, item: Any, batch: Any = None, **kwargs: Any) -> None:
    """The agency confirmed the dossier's item of a hand-over record: its collected home pickup is delivered."""
    by = str(getattr(batch, "pk", "") or "")
    pickups.mark_delivered(item.dossier_id, by=f"Biên bản bàn giao {by}".strip())


handover_item_confirmed.connect(pickup_delivered, dispatch_uid="postal.pickup_delivered")
