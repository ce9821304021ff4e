"""The catalogue of administrative procedures (thủ tục hành chính), versioned.

A :class:`Procedure` is the stable identity (its national code). Everything a citizen relies on lives in a
:class:`ProcedureVersion`: a version that has taken effect is never edited; a change is a new version that
applies from its ``effective_from`` date, and ``effective_to`` of the previous one is set to that date by
``catalog.services``. Dossiers point at the version they were received under.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import AgencyKind, Role
from motcua.catalog.eforms import fields_of
from motcua.catalog.result_fields import default_book
from motcua.catalog.result_templates import TemplateInvalid, check_template
from motcua.core.formats import dong


class Level(models.TextChoices):
    CENTRAL = "central", _("Central")
    PROVINCE = "province", _("Province")
    COMMUNE = "commune", _("Commune")
    DISTRICT = "district", _("District (before 1 July 2025)")


class OnlineLevel(models.TextChoices):
    FULL = "full", _("Full online service")
    PARTIAL = "partial", _("Partial online service")
    NONE = "none", _("Not online")


class Channel(models.TextChoices):
    """Submission channels; the national portal codes them 1 counter, 2 online, 3 public postal service."""

    ONLINE = "online", _("Online")
    COUNTER = "counter", _("At a one-stop counter")
    POST_OFFICE = "post_office", _("At a post-office point")
    HOME_PICKUP = "home_pickup", _("Picked up at home by the post")


class Delivery(models.TextChoices):
    COUNTER = "counter", _("At the counter")
    POST = "post", _("By post")  # neutral: staff pages show it too (the portal says "to your address")
    ELECTRONIC = "electronic", _("Electronically")


class FeeTiming(models.TextChoices):
    """When a procedure's fee must be paid (``dossiers.rules.check_fee_settled`` enforces it)."""

    BEFORE_RECEPTION = "before_reception", _("Before the dossier is accepted")
    BEFORE_RETURN = "before_return", _("Before the result is returned")
    ON_DELIVERY = "on_delivery", _("On delivery (cash on delivery by the post)")


class Status(models.TextChoices):
    ACTIVE = "active", _("In force")
    SUSPENDED = "suspended", _("Suspended")
    ABOLISHED = "abolished", _("Abolished")


class Field(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name_vi = models.CharField(_("name"), max_length=300)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)

    class Meta:
        ordering = ["name_vi"]
        verbose_name = _("field")
        verbose_name_plural = _("fields")

    def __str__(self) -> str:
        return self.name_vi


class Procedure(models.Model):
    code = models.CharField(_("national code"), max_length=40, unique=True)
    agencies = models.ManyToManyField(
        "agencies.Agency", verbose_name=_("receiving agencies"), blank=True, related_name="procedures"
    )
    processing_agency = models.ForeignKey(
        "agencies.Agency", verbose_name=_("processing agency"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="processed_procedures",
        help_text=_("For province-level procedures: the specialized agency that handles the dossiers. "
                    "Commune-level dossiers go to the competent commune's People's Committee."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")

    def __str__(self) -> str:
        return self.code


class VersionQuerySet(models.QuerySet["ProcedureVersion"]):
    def in_force(self, on: object = None) -> "VersionQuerySet":
        """The version of each procedure that applies on ``on`` (today by default)."""
        day = on or timezone.localdate()
        return self.filter(effective_from__lte=day).filter(
            models.Q(effective_to__isnull=True) | models.Q(effective_to__gt=day)
        )


class ProcedureVersion(models.Model):
    procedure = models.ForeignKey(
        Procedure, verbose_name=_("procedure"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    name_vi = models.CharField(_("name"), max_length=500)
    name_en = models.CharField(_("English name"), max_length=500, blank=True)
    field = models.ForeignKey(Field, verbose_name=_("field"), on_delete=models.PROTECT, related_name="versions")
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    implementing_body = models.CharField(_("implementing body"), max_length=500, blank=True)
    processing_days = models.DecimalField(_("deadline (working days)"), max_digits=7, decimal_places=2)
    processing_note = models.TextField(_("about the deadline"), blank=True)
    requirements = models.TextField(_("conditions"), blank=True)
    how_to = models.TextField(_("how to carry it out"), blank=True)
    legal_basis = models.JSONField(_("legal basis"), default=list, blank=True)
    online_level = models.CharField(_("online service"), max_length=10, choices=OnlineLevel.choices)
    channels = models.JSONField(_("submission channels"), default=list)
    result_delivery = models.JSONField(_("result delivery"), default=list)
    boundary_free = models.BooleanField(
        _("regardless of administrative boundaries"), default=False,
        help_text=_("Any center of the province may receive it; it is routed to the competent agency."),
    )
    unsigned_results_allowed = models.BooleanField(
        _("results may be issued without a digital signature"), default=False,
        help_text=_("Only for results signed by hand on paper and scanned: every other result is signed and sealed."),
    )
    # when the fee is paid: before acceptance, before the result is released (the default), or collected by the
    # post when it delivers the result (COD); an unpaid dossier never releases its result
    fee_timing = models.CharField(_("fee paid"), max_length=20, choices=FeeTiming.choices,
                                  default=FeeTiming.BEFORE_RETURN)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    decision_no = models.CharField(_("announcing decision"), max_length=200, blank=True)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective until"), null=True, blank=True, editable=False)
    source = models.CharField(_("source"), max_length=500, blank=True)
    content_hash = models.CharField(_("content fingerprint"), max_length=64, editable=False)
    search_text = models.TextField(editable=False, blank=True)
    search_name = models.TextField(editable=False, blank=True)
    # The e-form of an online dossier: [{"name", "label_vi", "label_en", "type", "required", "choices", …}],
    # validated by ``catalog.eforms``.
    eform = models.JSONField(_("e-form fields"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["procedure__code", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="unique_procedure_version"),
            models.CheckConstraint(condition=models.Q(processing_days__gte=0), name="deadline_not_negative"),
        ]
        # Includes search_text so that SQLite filters words on the index entries and reads only matching rows
        # (the long texts before it in the table would otherwise be read for every version): 3.5x faster.
        indexes = [
            models.Index(fields=["effective_from", "effective_to", "status", "search_text"], name="version_search")
        ]
        verbose_name = _("procedure version")
        verbose_name_plural = _("procedure versions")

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.number} – {self.name_vi}"

    @property
    def code(self) -> str:
        return self.procedure.code

    def submits_online(self) -> bool:
        """Whether a dossier of this version can be submitted online (what the procedure page offers, the wizard
        accepts and the service checks): an online channel, an online level, and the procedure in force (not
        suspended or abolished)."""
        return (Channel.ONLINE in self.channels and self.online_level != OnlineLevel.NONE
                and self.status == Status.ACTIVE)

    def is_editable(self) -> bool:
        """Only a version prepared ahead (not yet in effect) may be edited in place."""
        return self.effective_from > timezone.localdate()


class Component(models.Model):
    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="components")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name_vi = models.CharField(_("document"), max_length=500)
    name_en = models.CharField(_("English name"), max_length=500, blank=True)
    originals = models.PositiveSmallIntegerField(_("originals"), default=1)
    copies = models.PositiveSmallIntegerField(_("copies"), default=0)
    required = models.BooleanField(_("required"), default=True)
    reusable = models.BooleanField(
        _("reusable from the data warehouse"), default=False,
        help_text=_("The state already holds it: the applicant may pick it instead of submitting it again."),
    )
    filled_by_eform = models.BooleanField(
        _("filled in by the e-form"), default=False,
        help_text=_("The declaration the procedure's e-form replaces: an online applicant fills in the e-form "
                    "instead of attaching it (at a counter it is still handed in on paper)."),
    )
    template_name = models.CharField(_("form"), max_length=300, blank=True)
    template_url = models.URLField(_("form address"), max_length=500, blank=True)
    template_file = models.FileField(_("form file"), upload_to="forms/", blank=True)

    class Meta:
        ordering = ["version_id", "order"]
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")

    def __str__(self) -> str:
        return self.name_vi


class FeeItem(models.Model):
    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="fees")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name_vi = models.CharField(_("fee or charge"), max_length=500)
    amount = models.PositiveBigIntegerField(_("amount (VND)"))
    note = models.TextField(_("exemptions and conditions"), blank=True)
    # [{"code", "name_vi", "name_en", "percent"}]: who pays less (percent off, 100 = exempt); see catalog.fees
    exemptions = models.JSONField(_("exemptions"), default=list, blank=True)
    # the name of an e-form number field the amount is multiplied by (e.g. "copies": 8,000 đ per copy)
    per_field = models.CharField(_("per (e-form number field)"), max_length=40, blank=True)

    class Meta:
        ordering = ["version_id", "order"]
        verbose_name = _("fee")
        verbose_name_plural = _("fees")

    def __str__(self) -> str:
        return f"{self.name_vi}: {dong(self.amount)}"


class ResultDocument(models.Model):
    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="results")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name_vi = models.CharField(_("result"), max_length=500)
    name_en = models.CharField(_("English name"), max_length=500, blank=True)

    class Meta:
        ordering = ["version_id", "order"]
        verbose_name = _("result document")
        verbose_name_plural = _("result documents")

    def __str__(self) -> str:
        return self.name_vi


class WorkflowStep(models.Model):
    """One step of the internal workflow (quy trình nội bộ) between reception and the result."""

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name_vi = models.CharField(_("step"), max_length=500)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    agency_kind = models.CharField(_("agency kind"), max_length=30, choices=AgencyKind.choices)
    days = models.DecimalField(_("duration (working days)"), max_digits=7, decimal_places=2)

    class Meta:
        ordering = ["version_id", "order"]
        verbose_name = _("workflow step")
        verbose_name_plural = _("workflow steps")

    def __str__(self) -> str:
        return self.name_vi


class Paper(models.TextChoices):
    A4 = "A4", _("A4 portrait")
    A5 = "A5", _("A5 portrait")
    A4_LANDSCAPE = "A4-landscape", _("A4 landscape")


class ResultTemplate(models.Model):
    """The template a result document is drafted from ("mail merge"): an HTML fragment in Jinja2 syntax, filled
    from the dossier, the applicant and the e-form (``catalog.result_fields``), checked when it is saved
    (``catalog.result_templates.check_template``) and rendered by ``dossiers.results.render_result``."""

    version = models.ForeignKey(ProcedureVersion, verbose_name=_("procedure version"), on_delete=models.CASCADE,
                                related_name="result_templates")
    result = models.ForeignKey(ResultDocument, verbose_name=_("result document"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="templates")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=300)
    book = models.CharField(_("register book"), max_length=20, blank=True,
                            help_text=_("The code of the register book its numbers are taken from, e.g. GP, QĐ; "
                                        "empty: from the result's name."))
    body = models.TextField(_("template"), help_text=_(
        "HTML with fields in double braces, e.g. {{ applicant.name }}; the heading, “Số: …”, the QR code and the "
        "signatures are added around it."))
    valid_for_days = models.PositiveIntegerField(_("valid for (days)"), null=True, blank=True,
                                                 help_text=_("Empty: the result does not expire."))
    paper = models.CharField(_("paper size"), max_length=20, choices=Paper.choices, default=Paper.A4)

    class Meta:
        ordering = ["version_id", "order", "pk"]
        verbose_name = _("result template")
        verbose_name_plural = _("result templates")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.book:
            self.book = default_book(self.result.name_vi if self.result_id and self.result else self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.result is not None and self.version_id and self.result.version_id != self.version_id:
            errors["result"] = str(_("This result document belongs to another procedure version."))
        if self.version_id and self.body:
            try:
                check_template(self.body, fields_of(self.version))
            except TemplateInvalid as exc:
                errors["body"] = exc.text()
        if errors:
            raise ValidationError(errors)


class Synonym(models.Model):
    """A word people use for what the catalogue calls otherwise ("sổ đỏ" for the land-use right certificate), kept
    with the catalogue and edited in its admin; the virtual assistant (``motcua.assistant``) reads it: a question
    holding ``phrase`` is also searched for ``meaning``, and a synonym tied to a procedure points at it directly."""

    phrase = models.CharField(_("what people say"), max_length=200)
    meaning = models.CharField(_("what the catalogue calls it"), max_length=300, blank=True)
    procedure = models.ForeignKey(Procedure, verbose_name=_("procedure"), null=True, blank=True,
                                  on_delete=models.CASCADE, related_name="synonyms")
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["phrase"]
        constraints = [models.UniqueConstraint(fields=["phrase", "meaning"], name="unique_synonym")]
        verbose_name = _("synonym")
        verbose_name_plural = _("synonyms")

    def __str__(self) -> str:
        return f"{self.phrase} → {self.meaning or self.procedure}"

    def clean(self) -> None:
        if not self.meaning and self.procedure_id is None:
            raise ValidationError(_("Say what the phrase means, or choose the procedure it points to."))
