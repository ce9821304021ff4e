"""Placing a shipment's order with the carrier, now and in the background (Django's tasks API; ``motcua
db_worker`` runs it): :func:`place_order` is one attempt, claimed by its number so that a task run twice never
places the order twice; after a failure the next attempt is enqueued with backoff, and after
``MOTCUA_CARRIER_MAX_ATTEMPTS`` the shipment is given up (staff see it, and may try again)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from motcua.dossiers.events import record
from motcua.dossiers.models import Dossier
from motcua.dossiers.statuses import EventKind
from motcua.postal import carrier
from motcua.postal.carrier import CARRIER_NAME
from motcua.postal.models import Shipment, ShipmentStatus

log = logging.getLogger(__name__)


def backoff(attempt: int) -> timedelta:
    """The wait after failed attempt ``attempt``: 30 s, 90 s, 4.5 min… with the default settings."""
    return timedelta(seconds=int(settings.MOTCUA_CARRIER_RETRY_SECONDS) * 3 ** (attempt - 1))


def place_order(shipment_id: int, attempt: int, *, client: carrier.Client | None = None) -> str:
    """Attempt ``attempt`` to place the shipment's order with the carrier: ``"accepted"``, ``"retry"`` (another
    attempt is enqueued), ``"failed"`` (given up: staff see it), or ``"skipped"`` (another attempt won it)."""
    claimed = Shipment.objects.filter(pk=shipment_id, status=ShipmentStatus.REQUESTED, gave_up=False,
                                      attempts=attempt - 1).update(attempts=attempt,
                                                                   next_attempt_at=timezone.now() + backoff(attempt))
    if not claimed:
        return "skipped"
    shipment = Shipment.objects.get(pk=shipment_id)
    order = carrier.Order(customer_code=shipment.customer_code, order_number=shipment.order_number,
                          cod_amount=shipment.cod_amount, sender=shipment.sender, receiver=shipment.receiver,
                          description=shipment.description)
    client = client or carrier.Client()
    try:
        waybill = _create(client, order, attempt)
    except carrier.CarrierError as exc:
        error = exc.text("vi")[:500]
        final = exc.code == "carrier_refused" or attempt >= max(1, int(settings.MOTCUA_CARRIER_MAX_ATTEMPTS))
        mine = Shipment.objects.filter(pk=shipment_id, status=ShipmentStatus.REQUESTED, attempts=attempt)
        if final:
            mine.update(last_error=error, gave_up=True, next_attempt_at=None)
            log.warning("shipment %s: the carrier did not take the order after %s attempts: %s",
                        shipment.order_number, attempt, error)
            return "failed"
        run_after = timezone.now() + backoff(attempt)
        mine.update(last_error=error, next_attempt_at=run_after)
        _enqueue(shipment_id, attempt + 1, run_after)
        return "retry"
    now = timezone.now()
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).get(pk=shipment.dossier_id)
        updated = Shipment.objects.filter(pk=shipment_id, status=ShipmentStatus.REQUESTED).update(
            waybill=waybill, status=ShipmentStatus.ACCEPTED, accepted_at=now, last_error="", next_attempt_at=None)
        if updated:
            record(dossier, EventKind.SHIPMENT, actor=CARRIER_NAME, at=now, agency_id=shipment.point_id,
                   data={"order_number": shipment.order_number, "waybill": waybill,
                         "status": ShipmentStatus.ACCEPTED})
    return "accepted"


def _create(client: carrier.Client, order: carrier.Order, attempt: int) -> str:
    """Place the order; on a retry refused as a duplicate, the order the earlier attempt placed after all."""
    try:
        return client.create_order(order)
    except carrier.CarrierError as exc:
        if attempt > 1 and exc.params.get("status") == "102":
            waybill = client.find_order(order.customer_code, order.order_number)
            if waybill:
                return waybill
        raise


def _enqueue(shipment_id: int, attempt: int, run_after: datetime) -> None:
    try:
        place_order_task.using(run_after=run_after).enqueue(shipment_id, attempt)
    except Exception:  # the queue down: the shipment stays requested, shown overdue to staff, retryable by hand
        log.exception("could not enqueue the order of shipment %s (attempt %s)", shipment_id, attempt)


@task()
def place_order_task(shipment_id: int, attempt: int) -> str:
    return place_order(shipment_id, attempt)
