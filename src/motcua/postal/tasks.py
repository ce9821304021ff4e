"""Background work of the postal app (Django's tasks API; ``motcua db_worker`` runs it): placing a shipment's
order with the carrier again after the carrier was down or slow (``postal.services.shipments.place_order``)."""

from __future__ import annotations

from django_tasks import task

from motcua.postal.services.shipments import place_order


@task()
def place_order_task(shipment_id: int, attempt: int) -> str:
    return place_order(shipment_id, attempt)
