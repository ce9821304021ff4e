"""Queries of the postal app: the post point's pickup queue (scoped to the officer's points), one pickup for
staff, the couriers of a point, and a dossier's pickup as its pages show it (whole for those handling it, without
personal data for public tracking)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Agency, Role
from motcua.catalog.models import ProcedureVersion
from motcua.core.errors import NotFound
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier, DossierComponent
from motcua.geo.models import AdministrativeUnit
from motcua.postal import rules
from motcua.postal.models import Pickup, PickupStatus

QUEUE_FILTERS: dict[str, Any] = {
    "open": (_("To collect"), (PickupStatus.REQUESTED, PickupStatus.ASSIGNED)),
    "requested": (_("Not assigned"), (PickupStatus.REQUESTED,)),
    "mine": (_("Assigned to me"), (PickupStatus.ASSIGNED,)),
    "collected": (_("Collected, to hand over"), (PickupStatus.COLLECTED,)),
    "closed": (_("Failed or cancelled"), (PickupStatus.FAILED, PickupStatus.CANCELLED)),
}


def postal_points(actor: Actor) -> list[int]:
    """The points whose pickups the officer handles: where they are postal staff."""
    return sorted(actor.agencies_with(Role.POSTAL))


def pickup_queue(actor: Actor, name: str, *, start: int = 0, count: int = 50) -> list[Pickup]:
    """A page of the pickups of the officer's points in queue ``name``, the earliest window first: one query
    whatever the number of points and rows."""
    _label, states = QUEUE_FILTERS[name]
    rows = Pickup.objects.filter(point_id__in=postal_points(actor), status__in=states)
    if name == "mine":
        rows = rows.filter(courier_id=actor.user_id)
    return list(rows.select_related("dossier__version", "point", "commune", "courier")
                .order_by("window_start", "pk")[start:start + count])


def pickup_for(actor: Actor, pk: int) -> Pickup:
    """One pickup of the officer's points (404 for another point's, so that ids reveal nothing)."""
    pickup = Pickup.objects.select_related("dossier__version", "point", "commune", "courier").filter(
        pk=pk, point_id__in=postal_points(actor)).first()
    if pickup is None:
        raise NotFound("pickup_not_found", _("No such home pickup."))
    return pickup


def dossier_components(dossier: Dossier) -> list[DossierComponent]:
    """The dossier's components with their catalogue rows (the counts of originals and copies asked for)."""
    return list(DossierComponent.objects.filter(dossier=dossier).select_related("component").order_by("order"))


def couriers(point_id: int) -> list[Any]:
    """The active postal staff of the point, whom a pickup may be given to."""
    return list(get_user_model().objects.filter(
        memberships__agency_id=point_id, memberships__role=Role.POSTAL, memberships__is_active=True,
        is_active=True).order_by("username").distinct())


def pickup_communes(version: ProcedureVersion) -> list[AdministrativeUnit]:
    return rules.pickup_communes(version)


def booking_procedures(actor: Actor) -> list[ProcedureVersion]:
    """The procedures an officer may book a pickup for (phone bookings): offered with home pickup somewhere."""
    if not actor.agencies_with(Role.RECEPTION, Role.POSTAL):
        return []
    versions = ProcedureVersion.objects.in_force().select_related("procedure").order_by("procedure__code")
    return [version for version in versions if "home_pickup" in version.channels and rules.pickup_services(version)]


@dataclass(frozen=True)
class Step:
    label: Any
    at: datetime


@dataclass(frozen=True)
class PickupView:
    """A dossier's latest pickup as a page shows it; ``whole=False`` (public tracking): no address, phone or
    courier."""

    pk: int
    status: str
    status_label: Any
    point: Agency
    window_start: datetime
    window_end: datetime
    steps: list[Step]
    reason: Any = ""
    address: str = ""
    commune: str = ""
    contact: str = ""
    courier: str = ""
    postage: int = 0
    receipt_number: str = ""
    checklist: tuple[dict[str, Any], ...] = ()
    signatures: dict[str, Any] | None = None
    rebookable: bool = False
    cancellable: bool = False


STEP_LABELS = [
    ("requested_at", _("Pickup booked")), ("assigned_at", _("Courier assigned")),
    ("collected_at", _("Papers collected")), ("failed_at", _("Collection failed")),
    ("cancelled_at", _("Pickup cancelled")), ("delivered_at", _("Delivered to the agency")),
]


def pickup_view(dossier_id: int, *, whole: bool) -> PickupView | None:
    """The dossier's latest pickup (one query), or ``None`` for a dossier without one."""
    pickup = Pickup.objects.select_related("point", "commune", "courier").filter(
        dossier_id=dossier_id).order_by("-pk").first()
    if pickup is None:
        return None
    steps = sorted((Step(label, getattr(pickup, name)) for name, label in STEP_LABELS if getattr(pickup, name)),
                   key=lambda step: step.at)
    common: dict[str, Any] = {
        "pk": pickup.pk, "status": pickup.status, "status_label": PickupStatus(pickup.status).label,
        "point": pickup.point,
        "window_start": pickup.window_start, "window_end": pickup.window_end, "steps": steps,
        "reason": pickup.get_fail_reason_display() if pickup.fail_reason else "",
        "rebookable": pickup.status in (PickupStatus.FAILED, PickupStatus.CANCELLED),
        "cancellable": pickup.status in (PickupStatus.REQUESTED, PickupStatus.ASSIGNED),
    }
    if not whole:
        return PickupView(**common)
    courier = pickup.courier
    return PickupView(
        **common, address=pickup.address, commune=pickup.commune.name, contact=f"{pickup.contact_name} · "
        f"{pickup.contact_phone}", courier=(f"{courier.last_name} {courier.first_name}".strip() or
                                             courier.get_username()) if courier else "",
        postage=pickup.postage, receipt_number=pickup.receipt_number, checklist=tuple(pickup.checklist),
        signatures=pickup.signatures or None,
    )
