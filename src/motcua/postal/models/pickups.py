"""Home pickups of a dossier's papers (DESIGN.md §3: "home pickup has its own small state machine")::

    requested → assigned → collected → delivered_to_agency
            ↘ failed (with a reason)  ↘ cancelled

The transitions are ``postal.services.pickups``; the dossier's own log gets a ``pickup`` event at each one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["OPEN_PICKUP", "FailReason", "Pickup", "PickupStatus"]


class PickupStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ASSIGNED = "assigned", _("Courier assigned")
    COLLECTED = "collected", _("Papers collected")
    DELIVERED = "delivered_to_agency", _("Delivered to the agency")
    FAILED = "failed", _("Collection failed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_PICKUP = (PickupStatus.REQUESTED, PickupStatus.ASSIGNED)


class FailReason(models.TextChoices):
    NOT_HOME = "not_home", _("Nobody at home")
    WRONG_ADDRESS = "wrong_address", _("Wrong or unknown address")
    INCOMPLETE = "incomplete", _("Papers incomplete")
    REFUSED = "refused", _("The applicant changed their mind")
    OTHER = "other", _("Other reason")


class Pickup(models.Model):
    dossier = models.ForeignKey("dossiers.Dossier", verbose_name=_("dossier"), on_delete=models.CASCADE,
                                related_name="pickups")
    point = models.ForeignKey("agencies.Agency", verbose_name=_("post point"), on_delete=models.PROTECT,
                              related_name="pickups")
    address = models.CharField(_("address"), max_length=500)
    commune = models.ForeignKey("geo.AdministrativeUnit", verbose_name=_("commune"), on_delete=models.PROTECT,
                                related_name="+")
    contact_name = models.CharField(_("contact name"), max_length=200)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    window_start = models.DateTimeField(_("from"))
    window_end = models.DateTimeField(_("until"))
    status = models.CharField(_("status"), max_length=30, choices=PickupStatus.choices,
                              default=PickupStatus.REQUESTED)
    fail_reason = models.CharField(_("reason of the failure"), max_length=20, choices=FailReason.choices, blank=True)
    fail_note = models.CharField(_("note"), max_length=500, blank=True)
    courier = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("courier"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="pickups")
    postage = models.PositiveIntegerField(_("postage (đồng)"), default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    # [{"order": 1, "name": "…", "originals": 1, "copies": 0, "received": true}, …]
    checklist = models.JSONField(_("collection checklist"), default=list, blank=True)
    # {"courier": {"name", "at", "image"}, "applicant": {"name", "at", "image"}}; image: a PNG data URI or ""
    signatures = models.JSONField(_("signatures"), default=dict, blank=True)
    receipt_number = models.CharField(_("fee receipt"), max_length=40, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    collected_at = models.DateTimeField(_("time collected"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered to the agency at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        ordering = ["window_start", "pk"]
        indexes = [models.Index(fields=["point", "status", "window_start"], name="pickup_queue")]
        constraints = [
            # one open pickup per dossier: a rebooking comes after a failure or a cancellation
            models.UniqueConstraint(fields=["dossier"], condition=models.Q(status__in=["requested", "assigned"]),
                                    name="one_open_pickup"),
        ]
        verbose_name = _("home pickup")
        verbose_name_plural = _("home pickups")

    def __str__(self) -> str:
        return f"{self.dossier_id} – {self.get_status_display()}"

    @property
    def tracking_code(self) -> str:
        """The public tracking code: the dossier's code (what every slip prints)."""
        return self.dossier.code
