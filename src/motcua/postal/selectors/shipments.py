"""Reads of shipments: a dossier's shipments and their timelines (staff and the applicant), what the public
tracking page may show (status and timeline, never the receiver's name, address or phone), and the staff list of
shipments scoped to the agencies of the user (``dossiers.selectors.visible``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier
from motcua.dossiers.selectors import visible
from motcua.postal.models import CarrierUpdate, Shipment, ShipmentStatus, UpdateOutcome
from motcua.postal.services.shipments import Quote, may_send, quote


@dataclass(frozen=True)
class Step:
    """One row of a shipment's timeline: what the carrier said, when (the carrier's time)."""

    status: str
    label: Any
    at: datetime | None
    message: str = ""
    late: bool = False  # arrived after a newer update (kept in the history, did not move the shipment)


def timeline(shipment: Shipment, updates: list[CarrierUpdate] | None = None) -> list[Step]:
    """The shipment handed to the post, then each update the carrier sent (not duplicates, not rejected), in
    the carrier's order."""
    rows = updates if updates is not None else list(
        CarrierUpdate.objects.filter(shipment=shipment, outcome__in=(UpdateOutcome.APPLIED, UpdateOutcome.STALE))
        .only("status", "carrier_time", "raw", "outcome").order_by("carrier_time", "pk"))
    steps = [Step(ShipmentStatus.REQUESTED, ShipmentStatus.REQUESTED.label, shipment.created_at)]
    for row in rows:
        status = ShipmentStatus(row.status) if row.status in ShipmentStatus.values else None
        steps.append(Step(row.status, status.label if status else row.status, row.carrier_time,
                          str((row.raw or {}).get("StatusMessage", ""))[:200], row.outcome == UpdateOutcome.STALE))
    return steps


def for_dossier(dossier: Dossier) -> list[tuple[Shipment, list[Step]]]:
    """The dossier's shipments, newest first, each with its timeline (two queries)."""
    shipments = list(Shipment.objects.filter(dossier=dossier).order_by("-created_at", "-pk"))
    if not shipments:
        return []
    by_shipment: dict[int, list[CarrierUpdate]] = {s.pk: [] for s in shipments}
    for row in (CarrierUpdate.objects.filter(shipment__in=shipments,
                                             outcome__in=(UpdateOutcome.APPLIED, UpdateOutcome.STALE))
                .only("shipment_id", "status", "carrier_time", "raw", "outcome").order_by("carrier_time", "pk")):
        by_shipment[row.shipment_id].append(row)  # type: ignore[index]
    return [(s, timeline(s, by_shipment[s.pk])) for s in shipments]


@dataclass(frozen=True)
class StaffPanel:
    """The dossier page's postal panel: the shipments with their timelines, and the "send by post" form."""

    shipments: list[tuple[Shipment, list[Step]]]
    may_send: bool
    quote: Quote | None
    address: str


def staff_panel(dossier: Dossier, actor: Actor) -> StaffPanel:
    shipments = for_dossier(dossier)
    under_way = any(not s.final and not s.gave_up or s.status == ShipmentStatus.DELIVERED for s, _t in shipments)
    eligible = not under_way and may_send(dossier, actor)
    return StaffPanel(shipments, eligible, quote(dossier) if eligible else None,
                      dossier.delivery_address or dossier.applicant_address)


@dataclass(frozen=True)
class PublicShipment:
    """What anyone with the dossier code may see of its latest shipment: no name, address or phone."""

    waybill: str
    status: str
    label: Any
    steps: list[Step]


def public(code: str) -> PublicShipment | None:
    """The latest shipment of dossier ``code`` as the public tracking page shows it (``None``: not sent by post)."""
    shipment = (Shipment.objects.filter(dossier__code=code)
                .only("pk", "waybill", "status", "created_at").order_by("-created_at", "-pk").first())
    if shipment is None:
        return None
    return PublicShipment(shipment.waybill or "", shipment.status, ShipmentStatus(shipment.status).label,
                          timeline(shipment))


PROBLEMS = (Q(gave_up=True) | ~Q(discrepancy="") | Q(status__in=(
    ShipmentStatus.FAILED_ATTEMPT, ShipmentStatus.RETURNING, ShipmentStatus.RETURNED_TO_SENDER)))


def staff_list(actor: Actor, *, problems: bool = False) -> QuerySet[Shipment]:
    """The shipments of dossiers the user's agencies are involved in, newest first; ``problems``: those staff
    must act on (the order never taken, a COD discrepancy, a failed attempt, returned to the sender)."""
    rows = (Shipment.objects.filter(dossier__in=visible(actor))
            .select_related("dossier", "point").order_by("-created_at", "-pk"))
    return rows.filter(PROBLEMS) if problems else rows
