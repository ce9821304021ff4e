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
        indexes = [models.Index(fields=["dossier", "status"], name="payment_dossier_status"),
                   models.Index(fields=["paid_at"], name="payment_paid_at")]  # the day's reconciliation

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


# --- refunds --------------------------------------------------------------------------------------------------


class RefundMethod(models.TextChoices):
    GATEWAY = "gateway", _("Through the payment gateway's refund")
    CASH = "cash", _("Cash at the counter or post point")
    TRANSFER = "transfer", _("Bank transfer")


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    DONE = "done", _("Refunded")
    FAILED = "failed", _("Failed")


class Refund(models.Model):
    """Money paid back for a :class:`Payment`: a refused or withdrawn dossier's fee, or a ``refund_due`` payment
    (``payments.refunds``). Refunds of one payment never add up to more than it; a failed one counts for nothing."""

    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.PROTECT,
                                related_name="refunds")
    amount = models.PositiveBigIntegerField(_("amount (VND)"))
    method = models.CharField(_("method"), max_length=10, choices=RefundMethod.choices)
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(_("status"), max_length=10, choices=RefundStatus.choices,
                              default=RefundStatus.REQUESTED)
    # the gateway's refund transaction number and answer code (a gateway refund)
    gateway_transaction = models.CharField(_("gateway refund transaction"), max_length=64, blank=True)
    response_code = models.CharField(_("gateway response code"), max_length=10, blank=True)
    receipt_number = models.CharField(_("refund receipt number"), max_length=30, unique=True, null=True, blank=True)
    # where the money was handed back (cash), and by whom
    point = models.ForeignKey("agencies.Agency", verbose_name=_("refunded at"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("refunded by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    requested_by_name = models.CharField(_("refunded by"), max_length=200, blank=True)
    requested_at = models.DateTimeField(_("requested"))
    done_at = models.DateTimeField(_("refunded"), null=True, blank=True)
    # the form's or the caller's one-time key: the same refund asked twice is one
    client_key = models.CharField(max_length=100, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["done_at"], name="refund_done_at")]

    def __str__(self) -> str:
        return self.receipt_number or f"refund {self.pk}"


class RefundCounter(models.Model):
    """The last refund receipt number issued in one year (the 000001 of ``HT-2026-000001``)."""

    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


# --- statements -----------------------------------------------------------------------------------------------


class StatementSource(models.TextChoices):
    BANK = "bank", _("Bank statement")
    GATEWAY = "gateway", _("Payment gateway report")
    CARRIER = "carrier", _("Carrier's cash-on-delivery statement")


class StatementLine(models.Model):
    """One line of a bank's, a gateway's or a carrier's statement, as imported (``payments.statements``).

    ``reference`` is the source's own reference of the line (the bank's transaction number, the gateway's
    transaction number, the waybill): unique per source and name, so importing the same file twice adds nothing.
    A bank line whose note names a dossier and pays exactly what it owes becomes a payment (``payment``);
    any other stays unmatched and is listed by the reconciliation.
    """

    source = models.CharField(_("source"), max_length=10, choices=StatementSource.choices)
    name = models.CharField(_("source name"), max_length=50)  # bank BIN, gateway name, carrier name
    day = models.DateField(_("statement day"))
    reference = models.CharField(_("reference"), max_length=100)
    amount = models.BigIntegerField(_("amount (VND)"))  # negative: money going out (a refund)
    note = models.CharField(_("note"), max_length=500, blank=True)  # transfer note, order reference, waybill
    dossier_code = models.CharField(_("dossier code"), max_length=50, blank=True)
    payment = models.ForeignKey(Payment, verbose_name=_("matched payment"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="statement_lines")
    raw = models.JSONField(_("row as imported"), default=dict, blank=True)
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["day", "pk"]
        constraints = [models.UniqueConstraint(fields=["source", "name", "reference"],
                                               name="statement_line_once")]
        indexes = [models.Index(fields=["day", "source"], name="statement_day_source")]

    def __str__(self) -> str:
        return f"{self.source}:{self.name}:{self.reference}"


class ReconciliationRun(models.Model):
    """A stored snapshot of one reconciliation (``motcua reconcile --save``): what it showed then, kept even if
    statements are imported or payments recorded later."""

    first_day = models.DateField(_("from"))
    last_day = models.DateField(_("to"))
    points = models.JSONField(_("points"), null=True, blank=True)  # None: everything
    balanced = models.BooleanField(_("balanced"))
    totals = models.JSONField(_("totals"), default=dict)
    groups = models.JSONField(_("groups"), default=list)
    mismatches = models.JSONField(_("mismatches"), default=list)
    created_at = models.DateTimeField(_("run"), auto_now_add=True)

    class Meta:
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.first_day}…{self.last_day}: {'balanced' if self.balanced else len(self.mismatches)}"
