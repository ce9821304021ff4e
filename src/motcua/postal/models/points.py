"""Which post point (or center where postal staff work) offers which postal phase and home pickup, for which
procedures (the Hạ Long pilot's three phases; Decision 45/2016/QĐ-TTg, Circular 17/2017/TT-BTTTT).

The rules that read these rows are in ``postal.rules`` (one module: may this point receive this procedure, in
which phase, does it collect papers at this address).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["Phase", "PostalService"]


class Phase(models.IntegerChoices):
    """What the post does for a procedure at a point (the seeds' Hạ Long pilot, in its order)."""

    GUIDANCE = 1, _("Phase 1: guidance only (the citizen files online or elsewhere)")
    RECEPTION = 2, _("Phase 2: reception and return at the post point")
    IN_CENTER = 3, _("Phase 3: postal staff inside the one-stop department (guide, receive, digitize, return)")


class PostalService(models.Model):
    """A point × procedure (``procedure`` empty: every procedure the point handles) → the phase, home pickup and
    its service area, and the postage of a pickup and of a return by post."""

    point = models.ForeignKey("agencies.Agency", verbose_name=_("post point or center"), on_delete=models.CASCADE,
                              related_name="postal_services")
    procedure = models.ForeignKey(
        "catalog.Procedure", verbose_name=_("procedure"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="postal_services", help_text=_("Empty: every procedure the point handles."),
    )
    phase = models.PositiveSmallIntegerField(_("phase"), choices=Phase.choices, default=Phase.RECEPTION)
    home_pickup = models.BooleanField(_("home pickup offered"), default=False)
    service_area = models.ManyToManyField(
        "geo.AdministrativeUnit", verbose_name=_("communes served by home pickup"), blank=True,
        related_name="postal_services", help_text=_("Empty: the point's own commune."),
    )
    pickup_postage = models.PositiveIntegerField(_("pickup postage (đồng)"), default=0)
    return_postage = models.PositiveIntegerField(_("return postage (đồng)"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["point", "procedure"], name="unique_postal_service"),
            models.UniqueConstraint(fields=["point"], condition=models.Q(procedure__isnull=True),
                                    name="unique_postal_service_default"),
        ]
        verbose_name = _("postal service")
        verbose_name_plural = _("postal services")

    def __str__(self) -> str:
        return f"{self.point} – {self.procedure or '*'} – {self.get_phase_display()}"
