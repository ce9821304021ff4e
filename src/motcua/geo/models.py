from django.db import models
from django.utils.translation import gettext_lazy as _


class AdministrativeUnit(models.Model):
    """A province-level or commune-level unit of the two-level local government (since 1 July 2025).

    Units that no longer exist are kept with ``is_active=False`` so old records still point somewhere;
    :class:`UnitMerge` says what they became.
    """

    class Kind(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("Centrally-run city")
        WARD = "ward", _("Ward")
        COMMUNE = "commune", _("Commune")
        SPECIAL_ZONE = "special_zone", _("Special zone")
        DISTRICT = "district", _("District (before 1 July 2025)")
        TOWNSHIP = "township", _("Township (before 1 July 2025)")

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("province"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    is_active = models.BooleanField(_("in existence"), default=True)
    successor = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="absorbed",
        help_text=_("For a unit merged away in this database (merge_units): the unit standing for it now, at the end "
                    "of the chain of merges; its reports count under that unit."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")

    def __str__(self) -> str:
        return self.name

    @property
    def is_province(self) -> bool:
        return self.kind in (self.Kind.PROVINCE, self.Kind.CITY)


class UnitMerge(models.Model):
    """One old unit merged into (or renamed as) a new one on a date.

    The old unit's code may be reused by the new unit, so merges are keyed by the old code and date rather than
    by a unit row. An old unit *divided* between several new ones (a part of a commune's area and population
    went to each, e.g. Resolution 1679/NQ-UBTVQH15 art. 1 §4 for Quảng Ninh) has one row per successor, all with
    ``divided`` set; the one with ``is_primary`` takes its records when nothing says otherwise.
    """

    old_code = models.CharField(_("old code"), max_length=10, db_index=True)
    old_name = models.CharField(_("old name"), max_length=200)
    old_kind = models.CharField(_("old kind"), max_length=20, choices=AdministrativeUnit.Kind.choices)
    old_province_code = models.CharField(_("old province"), max_length=10, blank=True, db_index=True,
                                         help_text=_("The province the old commune belonged to (its code then)."))
    old_district = models.CharField(_("old district"), max_length=200, blank=True)
    old_unit = models.ForeignKey(
        AdministrativeUnit, verbose_name=_("old unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="merged_away", help_text=_("The old unit's row, when this database had it (a live merge)."),
    )
    new_unit = models.ForeignKey(
        AdministrativeUnit, verbose_name=_("new unit"), on_delete=models.PROTECT, related_name="merged_from"
    )
    divided = models.BooleanField(_("divided"), default=False,
                                  help_text=_("The old unit went to several new ones (one row each)."))
    is_primary = models.BooleanField(_("primary successor"), default=True)
    effective_date = models.DateField(_("effective date"))
    decision = models.CharField(_("legal basis"), max_length=200, blank=True)

    class Meta:
        ordering = ["-effective_date", "old_code"]
        constraints = [
            models.UniqueConstraint(fields=["old_code", "old_kind", "effective_date", "new_unit"],
                                    name="unique_unit_merge")
        ]
        verbose_name = _("unit merge")
        verbose_name_plural = _("unit merges")

    def __str__(self) -> str:
        return f"{self.old_name} → {self.new_unit.name} ({self.effective_date:%d/%m/%Y})"
