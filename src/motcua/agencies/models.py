import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.core.calendar import parse_periods

# QCVN 102:2016/BTTTT agency identifier: V1V2V3.Z1Z2.Y1Y2.MX1X2, e.g. 000.00.12.H56.
IDENTIFIER_CODE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")


def validate_identifier_code(value: str) -> None:
    if not IDENTIFIER_CODE.match(value or ""):
        raise ValidationError(
            _("%(value)s is not an agency identifier code (format 000.00.00.H00, QCVN 102:2016/BTTTT)."),
            params={"value": value},
            code="invalid_identifier_code",
        )


def validate_working_periods(value: object) -> None:
    try:
        parse_periods(value if isinstance(value, list) else None)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            _("Working periods must look like [[\"07:30\", \"11:30\"], [\"13:00\", \"17:00\"]]: %(error)s"),
            params={"error": exc},
        ) from exc


class Role(models.TextChoices):
    RECEPTION = "reception", _("Reception officer")
    POSTAL = "postal", _("Postal staff")
    PROCESSING = "processing", _("Processing officer")
    LEADER = "leader", _("Approving leader")
    SIGNER = "signer", _("Signer / clerk")
    SUPERVISOR = "supervisor", _("Supervisor")
    CATALOG_ADMIN = "catalog_admin", _("Catalogue administrator")


class AgencyKind(models.TextChoices):
    SERVICE_CENTER = "service_center", _("Public Administration Service Center")
    COMMUNE_ONE_STOP = "commune_one_stop", _("Commune one-stop department")
    SPECIALIZED = "specialized", _("Specialized agency")
    POST_OFFICE = "post_office", _("Post-office point")
    PEOPLE_COMMITTEE = "people_committee", _("People's Committee")


class Agency(models.Model):
    identifier_code = models.CharField(
        _("identifier code"), max_length=20, unique=True, validators=[validate_identifier_code],
        help_text=_("QCVN 102:2016/BTTTT code; it starts every dossier code received here."),
    )
    name = models.CharField(_("name"), max_length=300)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=AgencyKind.choices)
    unit = models.ForeignKey(
        "geo.AdministrativeUnit", verbose_name=_("administrative unit served"), on_delete=models.PROTECT,
        related_name="agencies",
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("parent agency"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    address = models.CharField(_("address"), max_length=500, blank=True)
    hotline = models.CharField(_("hotline"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=300, blank=True)
    working_periods = models.JSONField(
        _("working periods"), default=list, blank=True, validators=[validate_working_periods],
        help_text=_("Empty for the default 07:30–11:30 and 13:00–17:00."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.name


class Counter(models.Model):
    """A reception and return counter (quầy) of a one-stop department or post-office point."""

    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.CASCADE, related_name="counters")
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=200)
    fields = models.ManyToManyField("catalog.Field", verbose_name=_("fields served"), blank=True)

    class Meta:
        ordering = ["agency", "number"]
        constraints = [models.UniqueConstraint(fields=["agency", "number"], name="unique_counter_number")]
        verbose_name = _("counter")
        verbose_name_plural = _("counters")

    def __str__(self) -> str:
        return f"{self.agency} – {self.number}. {self.name}"


class Membership(models.Model):
    """A staff member's role in one agency. A person can hold several roles and agencies."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff member"), on_delete=models.CASCADE,
        related_name="memberships",
    )
    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "agency", "role"], name="unique_membership")]
        indexes = [models.Index(fields=["user", "is_active"])]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.agency}"
