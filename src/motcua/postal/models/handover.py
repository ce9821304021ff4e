"""Hand-over records (biên bản bàn giao) between a post point and an agency, both ways.

Decision 45/2016/QĐ-TTg and Circular 17/2017/TT-BTTTT: the postal worker carries the sealed dossiers to the
competent agency and hands them over against a record signed by both sides, with the fees collected; the
agency's results go back to the post the same way for return. A :class:`HandoverBatch` is one such record:

- ``to_agency``: dossiers' papers received at a post point, from the point to their processing agency;
- ``to_post``: results issued by an agency, from the agency to the post point that returns them.

Its life: ``open`` (the giver lists the items) → ``sent`` (the giver signed: on screen or with a certificate)
→ ``confirmed`` (the receiver confirmed every listed item and signed) or ``confirmed_with_discrepancies`` (a
listed package did not arrive — ``missing`` — or one arrived that was not listed — ``extra``). Discrepancies
stay on both sides' pages; a missing dossier stays with the giver and can go in a later batch.

The workflow is in ``postal.services.handover``; these models only hold the record.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = [
    "BatchStatus", "Direction", "HandoverBatch", "HandoverCounter", "HandoverItem", "ItemState", "SignMethod",
    "handover_pdf_path",
]


class Direction(models.TextChoices):
    TO_AGENCY = "to_agency", _("Dossiers from the post point to the agency")
    TO_POST = "to_post", _("Results from the agency to the post point")


class BatchStatus(models.TextChoices):
    OPEN = "open", _("Being prepared")
    SENT = "sent", _("Sent, awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    CONFIRMED_WITH_DISCREPANCIES = "confirmed_with_discrepancies", _("Confirmed with discrepancies")


# a batch whose items still count as "being handed over" (a dossier is in at most one such batch per direction)
ACTIVE_STATUSES = (BatchStatus.OPEN, BatchStatus.SENT)


class SignMethod(models.TextChoices):
    SCREEN = "screen", _("Signed on screen")
    CERTIFICATE = "certificate", _("Signed with a digital certificate")


class ItemState(models.TextChoices):
    LISTED = "listed", _("Listed, not yet confirmed")
    RECEIVED = "received", _("Received")
    MISSING = "missing", _("Missing")
    EXTRA = "extra", _("Arrived without being listed")


def handover_pdf_path(instance: HandoverBatch, filename: str) -> str:
    return f"handover/{instance.year}/{instance.number}-{filename}"


class HandoverCounter(models.Model):
    """The last number of one giver's hand-over records in one year (the 000123 of ``BG-<code>-2026-000123``)."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "year"], name="unique_handover_counter")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.year}: {self.last}"


class HandoverBatch(models.Model):
    number = models.CharField(_("record number"), max_length=60, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    giver = models.ForeignKey("agencies.Agency", verbose_name=_("handed over by"), on_delete=models.PROTECT,
                              related_name="handovers_given")
    receiver = models.ForeignKey("agencies.Agency", verbose_name=_("received by"), on_delete=models.PROTECT,
                                 related_name="handovers_received")
    status = models.CharField(_("status"), max_length=30, choices=BatchStatus.choices, default=BatchStatus.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("prepared by"), null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(_("prepared"))
    # the giver's signature (at sending) and the receiver's (at closing): who, under what name, when, how
    giver_signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    giver_signer_name = models.CharField(_("handed over by (name)"), max_length=300, blank=True)
    giver_signed_at = models.DateTimeField(_("sent"), null=True, blank=True)
    giver_method = models.CharField(max_length=12, choices=SignMethod.choices, blank=True)
    receiver_signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                           on_delete=models.SET_NULL, related_name="+")
    receiver_signer_name = models.CharField(_("received by (name)"), max_length=300, blank=True)
    receiver_signed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    receiver_method = models.CharField(max_length=12, choices=SignMethod.choices, blank=True)
    # the fees collected at the post point for these dossiers, passed on to the agency with the papers
    fees_total = models.PositiveBigIntegerField(_("fees passed on (VND)"), default=0)
    # counts kept on the row so that lists show them (and the discrepancy badge) without counting items
    item_count = models.PositiveIntegerField(_("items"), default=0)
    received_count = models.PositiveIntegerField(default=0)
    missing_count = models.PositiveIntegerField(default=0)
    extra_count = models.PositiveIntegerField(default=0)
    # the record as the giver signed it (what was handed over), and as closed by the receiver (what arrived)
    sent_pdf = models.FileField(upload_to=handover_pdf_path, max_length=300, blank=True)
    sent_sha256 = models.CharField(max_length=64, blank=True)
    final_pdf = models.FileField(upload_to=handover_pdf_path, max_length=300, blank=True)
    final_sha256 = models.CharField(max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("hand-over record")
        verbose_name_plural = _("hand-over records")
        ordering = ["-opened_at", "-pk"]
        indexes = [
            models.Index(fields=["giver", "opened_at"], name="handover_giver"),
            models.Index(fields=["receiver", "opened_at"], name="handover_receiver"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def discrepancies(self) -> int:
        return self.missing_count + self.extra_count

    @property
    def is_open(self) -> bool:
        return self.status == BatchStatus.OPEN

    @property
    def is_sent(self) -> bool:
        return self.status == BatchStatus.SENT

    @property
    def is_closed(self) -> bool:
        return self.status not in ACTIVE_STATUSES


class HandoverItem(models.Model):
    batch = models.ForeignKey(HandoverBatch, verbose_name=_("hand-over record"), on_delete=models.CASCADE,
                              related_name="items")
    # None for an extra package whose code names no dossier
    dossier = models.ForeignKey("dossiers.Dossier", verbose_name=_("dossier"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="handover_items")
    code = models.CharField(_("dossier code"), max_length=40)
    direction = models.CharField(max_length=10, choices=Direction.choices)  # the batch's (for the constraint)
    # True while the item is being handed over (listed or received in an open or sent batch)
    active = models.BooleanField(default=True)
    originals = models.PositiveSmallIntegerField(_("originals"), default=0)
    copies = models.PositiveSmallIntegerField(_("copies"), default=0)
    fee = models.PositiveBigIntegerField(_("fees collected (VND)"), default=0)
    state = models.CharField(_("state"), max_length=10, choices=ItemState.choices, default=ItemState.LISTED)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("hand-over item")
        verbose_name_plural = _("hand-over items")
        ordering = ["batch", "pk"]
        constraints = [
            # a dossier is handed over in at most one open or sent batch per direction
            models.UniqueConstraint(fields=["dossier", "direction"], condition=models.Q(active=True),
                                    name="one_active_handover_per_direction"),
            models.UniqueConstraint(fields=["batch", "code"], name="unique_handover_item_code"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.code}"

    @property
    def is_received(self) -> bool:
        return self.state == ItemState.RECEIVED

    @property
    def is_missing(self) -> bool:
        return self.state == ItemState.MISSING

    @property
    def is_extra(self) -> bool:
        return self.state == ItemState.EXTRA

    @property
    def is_listed(self) -> bool:
        return self.state == ItemState.LISTED
