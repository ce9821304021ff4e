"""``{% shipment_panel dossier actor as panel %}`` (the staff dossier page), ``{% shipments_of dossier as list %}``
(the applicant's dossier page) and ``{% public_shipment code as shipment %}`` (public tracking: no personal
data), for templates that are only given the dossier."""

from __future__ import annotations

from django import template

from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier
from motcua.postal.models import Shipment
from motcua.postal.selectors import shipments
from motcua.postal.selectors.shipments import PublicShipment, StaffPanel, Step

register = template.Library()


@register.simple_tag
def shipment_panel(dossier: Dossier, actor: Actor) -> StaffPanel:
    return shipments.staff_panel(dossier, actor)


@register.simple_tag
def shipments_of(dossier: Dossier) -> list[tuple[Shipment, list[Step]]]:
    return shipments.for_dossier(dossier)


@register.simple_tag
def public_shipment(code: str) -> PublicShipment | None:
    return shipments.public(code)
