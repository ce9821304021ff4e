"""``{% has_refunds dossier as shown %}``: whether a dossier's staff page shows the refund panel."""

from django import template

from motcua.dossiers.models import Dossier
from motcua.payments import selectors

register = template.Library()


@register.simple_tag
def has_refunds(dossier: Dossier) -> bool:
    return selectors.has_refunds(dossier)
