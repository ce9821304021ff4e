"""Results sent by post: one :class:`Shipment` per order placed with the carrier, and every status update the
carrier sent about it (:class:`CarrierUpdate`), exactly as received.

A shipment is created ``requested`` when the front officer hands the result to the post; it becomes
``accepted`` once the carrier took the order and gave it a waybill number (UPU S10, ``postal.s10``). Its status
then only moves forward: each status has a :attr:`ShipmentStatus.rank`, the final ones (delivered, returned to
sender, cancelled) win over everything, and among the others the carrier's own time of the update decides, so
that an update that arrives late never overwrites a newer one (``postal.services.shipments.apply_update``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ShipmentStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested, not yet accepted by the carrier")
    ACCEPTED = "accepted", _("Accepted by the carrier")
    PICKED_UP = "picked_up", _("Picked up by the post")
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    FAILED_ATTEMPT = "failed_attempt", _("Delivery attempt failed")
    RETURNING = "returning", _("Being returned to the sender")
    RETURNED_TO_SENDER = "returned_to_sender", _("Returned to the sender")
    CANCELLED = "cancelled", _("Cancelled")

    @property
    def rank(self) -> int:
        return RANKS[self]

    @property
    def final(self) -> bool:
        return self in FINAL


# how far along a status is; among updates of the same carrier time, the higher rank wins
RANKS: dict[str, int] = {
    ShipmentStatus.REQUESTED: 0, ShipmentStatus.ACCEPTED: 10, ShipmentStatus.PICKED_UP: 20,
    ShipmentStatus.IN_TRANSIT: 30, ShipmentStatus.OUT_FOR_DELIVERY: 40, ShipmentStatus.FAILED_ATTEMPT: 45,
    ShipmentStatus.RETURNING: 50, ShipmentStatus.DELIVERED: 100, ShipmentStatus.RETURNED_TO_SENDER: 100,
    ShipmentStatus.CANCELLED: 100,
}
FINAL = frozenset({ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED_TO_SENDER, ShipmentStatus.CANCELLED})


class Shipment(models.Model):
    """One order with the carrier to carry a dossier's result to the applicant."""

    dossier = models.ForeignKey("dossiers.Dossier", verbose_name=_("dossier"), on_delete=models.PROTECT,
                                related_name="shipments")
    carrier = models.CharField(_("carrier"), max_length=30, default="vnpost")
    customer_code = models.CharField(_("customer code"), max_length=40, blank=True)
    # the dossier code; "-2", "-3"… for a re-send after a return (the carrier refuses a duplicate order number)
    order_number = models.CharField(_("order number"), max_length=50, unique=True)
    waybill = models.CharField(_("waybill"), max_length=13, unique=True, null=True, blank=True)
    sender = models.JSONField(_("sender"), default=dict)  # name, address, phone, province, commune
    receiver = models.JSONField(_("receiver"), default=dict)
    cod_amount = models.PositiveBigIntegerField(_("cash on delivery (VND)"), default=0)
    postage = models.PositiveBigIntegerField(_("postage (VND)"), default=0)
    description = models.CharField(_("contents"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ShipmentStatus.choices,
                              default=ShipmentStatus.REQUESTED)
    carrier_status = models.CharField(_("carrier's status code"), max_length=10, blank=True)
    last_update_at = models.DateTimeField(_("carrier time of the last applied update"), null=True, blank=True)
    # delivery proof
    recipient = models.CharField(_("received by"), max_length=300, blank=True)
    proof_sha256 = models.CharField(_("proof image SHA-256"), max_length=64, blank=True)
    proof_reference = models.CharField(_("proof image reference"), max_length=500, blank=True)
    cod_collected = models.PositiveBigIntegerField(_("COD reported collected (VND)"), null=True, blank=True)
    # a problem staff must look at: the carrier's COD amount is not what the dossier owes, …
    discrepancy = models.CharField(_("discrepancy"), max_length=300, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("handed to the post by"), null=True,
                                blank=True, on_delete=models.SET_NULL, related_name="+")
    point = models.ForeignKey("agencies.Agency", verbose_name=_("handed over at"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"))
    accepted_at = models.DateTimeField(_("accepted by the carrier"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    # placing the order with the carrier: attempts so far, the last failure, when the next try is due
    attempts = models.PositiveSmallIntegerField(_("order attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    gave_up = models.BooleanField(_("order creation failed"), default=False)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["dossier", "created_at"], name="shipment_dossier"),
            models.Index(fields=["status", "last_update_at"], name="shipment_status"),
            models.Index(fields=["point", "created_at"], name="shipment_point"),
        ]

    def __str__(self) -> str:
        return self.waybill or self.order_number

    @property
    def final(self) -> bool:
        return self.status in FINAL

    @property
    def failed(self) -> bool:
        return self.gave_up or bool(self.discrepancy) or self.status in (
            ShipmentStatus.FAILED_ATTEMPT, ShipmentStatus.RETURNING, ShipmentStatus.RETURNED_TO_SENDER)


class UpdateSource(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    POLL = "poll", _("Polling")


class UpdateOutcome(models.TextChoices):
    APPLIED = "applied", _("Applied")
    STALE = "stale", _("Older than the shipment's status (kept in the history)")
    DUPLICATE = "duplicate", _("Duplicate")
    REJECTED = "rejected", _("Rejected")


class CarrierUpdate(models.Model):
    """One status update from the carrier (webhook or poll), as received, and what came of it."""

    shipment = models.ForeignKey(Shipment, verbose_name=_("shipment"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="updates")
    # the carrier's event id (or waybill|code|time): the first update with a key holds it; its duplicates don't
    event_key = models.CharField(max_length=120, unique=True, null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=UpdateSource.choices)
    raw = models.JSONField(_("as received"), default=dict)
    signature_valid = models.BooleanField(_("signature valid"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=ShipmentStatus.choices, blank=True)
    carrier_status = models.CharField(_("carrier's status code"), max_length=10, blank=True)
    carrier_time = models.DateTimeField(_("carrier time"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=UpdateOutcome.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("received"))

    class Meta:
        verbose_name = _("carrier update")
        verbose_name_plural = _("carrier updates")
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["shipment", "carrier_time"], name="carrier_update_shipment")]

    def __str__(self) -> str:
        return f"{self.source} {self.outcome} {self.status}"


__all__ = ["FINAL", "RANKS", "CarrierUpdate", "Shipment", "ShipmentStatus", "UpdateOutcome", "UpdateSource"]
