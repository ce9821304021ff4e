"""Payments of dossier fees through a payment gateway, every notification the gateway sent, and receipt numbers.

A :class:`Payment` is one attempt to pay a dossier's fee: one order at the gateway (``order_ref`` is the
gateway's ``TxnRef``). It is confirmed only by a signed notification (the gateway's server-to-server IPN, or the
signed return of the browser when the IPN is late), in ``payments.services``. Every notification or return
received, accepted or not, is kept as a :class:`PaymentNotice` so that forged, replayed or wrong ones can be
traced. Receipt numbers (``BL-2026-000001``) come from a :class:`ReceiptCounter` row per year, taken in the
confirming transaction, so that they have no gaps.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")
    # the gateway took the money (a signed success) but the dossier no longer owed it: to be paid back
    REFUND_DUE = "refund_due", _("Paid, to be refunded")


class PaymentMethod(models.TextChoices):
    """How the money came: the online gateway, or collected by a person or the bank (``record_collection``)."""

    GATEWAY = "gateway", _("Online payment gateway")
    CASH = "cash", _("Cash")
    CARD = "card", _("Card at a terminal")
    TRANSFER = "transfer", _("Bank transfer (VietQR)")
    COD = "cod", _("Collected on delivery by the post")


class Payment(models.Model):
    dossier = models.ForeignKey("dossiers.Dossier", verbose_name=_("dossier"), on_delete=models.PROTECT,
                                related_name="payments")
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("paid by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    amount = models.PositiveBigIntegerField(_("amount (VND)"))
    # the fee lines as quoted when the payment started (what the receipt prints)
    lines = models.JSONField(_("fee lines"), default=list, blank=True)
    order_ref = models.CharField(_("order reference"), max_length=64, unique=True)
    gateway = models.CharField(_("payment gateway"), max_length=20)
    status = models.CharField(_("status"), max_length=20, choices=PaymentStatus.choices,
                              default=PaymentStatus.PENDING)
    redirect_url = models.TextField(_("gateway address"), blank=True)  # reused by a double click
    created_at = models.DateTimeField(_("started"))
    expires_at = models.DateTimeField(_("expires"))
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    gateway_transaction = models.CharField(_("gateway transaction number"), max_length=64, blank=True)
    bank_code = models.CharField(_("bank"), max_length=20, blank=True)
    response_code = models.CharField(_("gateway response code"), max_length=10, blank=True)
    receipt_number = models.CharField(_("receipt number"), max_length=30, unique=True, null=True, blank=True)
    method = models.CharField(_("method"), max_length=10, choices=PaymentMethod.choices,
                              default=PaymentMethod.GATEWAY)
    # where a person collected it (a counter's one-stop point, a post-office point); None online and for transfers
    point = models.ForeignKey("agencies.Agency", verbose_name=_("collected at"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    collected_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("collected by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    # the card slip's, bank statement line's or carrier's reference of a collection
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    # the client's key for one collection: the same collection recorded twice (a double click, a retry) is one
    client_key = models.CharField(max_length=100, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["dossier", "status"], name="payment_dossier_status")]

    def __str__(self) -> str:
        return self.order_ref


class NoticeSource(models.TextChoices):
    IPN = "ipn", _("Server notification (IPN)")
    RETURN = "return", _("Browser return")


class NoticeOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    DUPLICATE = "duplicate", _("Duplicate")
    REJECTED = "rejected", _("Rejected")


class PaymentNotice(models.Model):
    """One notification (IPN) or browser return received from the gateway, exactly as received."""

    payment = models.ForeignKey(Payment, verbose_name=_("payment"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="notices")
    source = models.CharField(_("source"), max_length=10, choices=NoticeSource.choices)
    params = models.JSONField(_("parameters"), default=dict)
    remote_addr = models.GenericIPAddressField(_("sent from"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=NoticeOutcome.choices)
    reason = models.CharField(_("reason"), max_length=30)  # see payments.gateways.Reason
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment notification")
        verbose_name_plural = _("payment notifications")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.source} {self.outcome} {self.reason}"


class ReceiptCounter(models.Model):
    """The last receipt number issued in one year (the 000001 of ``BL-2026-000001``)."""

    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"
