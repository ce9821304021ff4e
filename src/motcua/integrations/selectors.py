"""What staff see of a dossier's messages to the outside systems: delivered, waiting (retried, with the last error)
or failed for good — never a "sent" that did not arrive."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from motcua.integrations.models import OutboxMessage, OutboxStatus

RECENT = 200  # a dossier's latest messages read for its state (a long life has a few dozen)


@dataclass(frozen=True)
class DeliveryState:
    status: str  # OutboxStatus: delivered, pending or failed
    retrying: bool  # pending after at least one failed attempt
    error: str  # the last error of the failed or retried message

    @property
    def failed(self) -> bool:
        return self.status == OutboxStatus.FAILED

    @property
    def waiting(self) -> bool:
        return self.status == OutboxStatus.PENDING

    @property
    def label(self) -> str:
        if self.status == OutboxStatus.FAILED:
            return str(_("not delivered"))
        if self.status == OutboxStatus.PENDING:
            return str(_("retrying")) if self.retrying else str(_("waiting to be sent"))
        return str(pgettext_lazy("outbox", "delivered"))  # not the postal "delivered" (a date column)


def delivery_state(dossier_id: int, system: str, *, target: str | None = None) -> DeliveryState | None:
    """The state of a dossier's messages to ``system`` (one query): failed if one failed for good, else waiting
    if one waits, else delivered; ``None`` when it has none."""
    messages = OutboxMessage.objects.filter(dossier_id=dossier_id, system=system)
    if target is not None:
        messages = messages.filter(target=target)
    rows = list(messages.order_by("-id").values_list("status", "attempts", "last_error")[:RECENT])
    if not rows:
        return None
    for wanted in (OutboxStatus.FAILED, OutboxStatus.PENDING):
        for status, attempts, error in rows:
            if status == wanted:
                return DeliveryState(status, attempts > 0, error[:300])
    return DeliveryState(OutboxStatus.DELIVERED, False, "")
