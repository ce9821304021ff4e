"""``{% fee_status dossier as fees %}``: the fee lines, total, paid/due and receipts of a dossier, for templates
that are only given the dossier (the citizen's dossier page includes ``payments/_dossier_panel.html``)."""

from django import template

from motcua.dossiers.models import Dossier
from motcua.payments.selectors import FeeStatus, payment_status

register = template.Library()


@register.simple_tag
def fee_status(dossier: Dossier) -> FeeStatus:
    return payment_status(dossier)
