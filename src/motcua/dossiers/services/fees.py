"""Money in a dossier's log: :func:`record_fee_event`, the one way a ``payment`` or ``refund`` event is written.

``dossiers`` cannot read ``payments`` (it is below it), yet the fee rule (``rules.check_fee_settled``) needs to know
what was paid. So the apps that move money (``payments``: the gateway, counter and post collections, transfers,
refunds) call this service, in their own transaction with the dossier's row locked: it appends the event and
moves the dossier's denormalized ``fee_paid`` (paid less refunded) in the same UPDATE as the chain head.

A payment that settles a result waiting for its fee (an electronic result issued while a fee was due) releases it
once the payment has committed (:func:`release_waiting_result`): the payment is recorded whatever happens to the
release afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from motcua.catalog.models import Delivery
from motcua.core.errors import MotCuaError
from motcua.dossiers import rules
from motcua.dossiers.actors import Actor
from motcua.dossiers.events import record
from motcua.dossiers.models import Dossier, Event
from motcua.dossiers.services.actions import return_electronically
from motcua.dossiers.statuses import EventKind, Status

log = logging.getLogger(__name__)

FEE_EVENTS = (EventKind.PAYMENT, EventKind.REFUND)


def record_fee_event(
    dossier: Dossier, kind: EventKind, *, amount: int, actor: Actor | str, at: datetime,
    data: Mapping[str, Any], counted: bool = True, agency_id: int | None = None, notify: bool = True,
) -> Event:
    """Append a ``payment`` (``amount`` paid) or ``refund`` (``amount`` paid back) event to the locked
    ``dossier``'s log and move its ``fee_paid`` by ``amount`` (up for a payment, down for a refund) in the same
    UPDATE. ``counted=False``: money the dossier did not owe (a late gateway success, to be refunded), logged
    without counting toward the fee. Must run inside the caller's transaction."""
    if kind not in FEE_EVENTS:
        raise ValueError(f"{kind} is not a fee event")
    if amount < 0:
        raise ValueError("a fee event's amount is not negative")
    delta = 0 if not counted else amount if kind == EventKind.PAYMENT else -amount
    dossier.fee_paid = dossier.fee_paid + delta
    event = record(dossier, kind, actor=actor, at=at, agency_id=agency_id, data=data, notify=notify,
                   changes={"fee_paid": dossier.fee_paid} if delta else None, columns={"fee_paid": dossier.fee_paid})
    if kind == EventKind.PAYMENT and delta and waiting_for_fee(dossier) and rules.fee_settled(dossier):
        code = dossier.code
        transaction.on_commit(lambda: release_waiting_result(code))
    return event


def waiting_for_fee(dossier: Dossier) -> bool:
    """An electronic result issued and waiting to be returned (it waits for its fee, ``return_electronically``)."""
    return dossier.status == Status.RESULT_READY and dossier.delivery == Delivery.ELECTRONIC


def release_waiting_result(code: str, now: datetime | None = None) -> Dossier | None:
    """Return an electronic result that waited for its fee, now paid (after the payment's commit). A failure is
    logged, not raised: the payment stands, and the result is returned by the next payment event or by staff."""
    try:
        return return_electronically(code, now=now or timezone.now())
    except (MotCuaError, Dossier.DoesNotExist):
        log.exception("dossier %s: the paid electronic result could not be returned", code)
        return None
