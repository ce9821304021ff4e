"""``{% fee_status dossier as fees %}``: the fee lines, total, paid/due and receipts of a dossier, for templates
that are only given the dossier (the citizen's dossier page includes ``payments/_dossier_panel.html``)."""

from django import template

from motcua.dossiers.models import Dossier
from motcua.payments.selectors import FeeStatus, payment_status
from motcua.payments.vietqr import TransferQR, transfer_qr

register = template.Library()


@register.simple_tag
def fee_status(dossier: Dossier) -> FeeStatus:
    return payment_status(dossier)


@register.simple_tag
def vietqr(dossier: Dossier, due: int) -> TransferQR | None:
    """``{% vietqr dossier fees.due as qr %}``: the VietQR code paying ``due`` (None when nothing is due)."""
    return transfer_qr(dossier, due) if due else None
