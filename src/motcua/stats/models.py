"""The reporting model (issue 13): facts per dossier and per workflow step, projected from the dossiers' event
logs, and their roll-up per agency × procedure × day.

- :class:`DossierFact` — one row per dossier: what the index and the reports ask of it (channel, procedure, field,
  the responsible agency and its unit, received, due, the end of handling *as the service-quality index counts
  it*, early / on time / late, paid online, digitized, reused data, electronic result…). Built by
  ``stats.facts`` from the dossier's events; ``event_count`` is the number of events it was built from, so a fact
  behind its dossier is found and refreshed (``stats.services.refresh``).
- :class:`StepFact` — one row per visit of a workflow step: agency, officer, start, end, step due date. The
  bottlenecks and the officers' late lists read it.
- :class:`DailyRollup` — the counts of the facts per (responsible agency, procedure, day): the index and the boards
  sum these rows, never the facts, for a period. A received-side column counts a dossier on the day it was
  received, an ended-side column on the day its handling ended (``stats.rollup.COLUMNS``).

Nothing here is the truth: the event log is. ``motcua rebuild_stats`` drops all three and rebuilds them from the
logs, with the same figures as the incremental updates (a property test holds the two equal).

A source that does not exist yet (the national portal sync, the population database: issue 14) leaves its
columns ``NULL`` in the facts, and the index says "no data yet" for its rows, never 0.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EndedBy(models.TextChoices):
    """What ended a dossier's handling, as the index counts it: the first of these."""

    HANDLED = "handled", _("Handled (result ready)")
    RETURNED = "returned", _("Result returned")
    REFUSED = "refused", _("Refused")
    SUPPLEMENT = "supplement", _("Waiting for its only supplement")  # counted as ended on the request date


class Outcome(models.TextChoices):
    EARLY = "early", _("Early")
    ON_TIME = "on_time", _("On time")
    LATE = "late", _("Late")


class DossierFact(models.Model):
    dossier = models.OneToOneField("dossiers.Dossier", primary_key=True, on_delete=models.CASCADE,
                                   related_name="+")
    code = models.CharField(_("dossier code"), max_length=40)
    event_count = models.PositiveIntegerField(default=0)  # the events this row was built from

    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.CASCADE, related_name="+")
    field = models.ForeignKey("catalog.Field", on_delete=models.CASCADE, related_name="+")
    # the agency responsible for handling it (its first processing step's agency, else the receiving one), its
    # administrative unit (a commune, or the province for provincial agencies) and the province
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+")
    receiving_agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("geo.AdministrativeUnit", null=True, on_delete=models.CASCADE, related_name="+")
    province = models.ForeignKey("geo.AdministrativeUnit", null=True, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=20)
    # received regardless of boundary: at a point of another unit than its competent commune (DESIGN.md §3)
    across_boundary = models.BooleanField(default=False)
    full_online_eligible = models.BooleanField(default=False)  # its procedure offers the full online service
    status = models.CharField(max_length=30)

    submitted_at = models.DateTimeField()
    received_at = models.DateTimeField(null=True)  # accepted (None: refused or withdrawn before acceptance)
    received_on = models.DateField(null=True)  # in Vietnam time
    due_at = models.DateTimeField(null=True)  # the legal due date (restarted after a supplement)
    ended_at = models.DateTimeField(null=True)
    ended_on = models.DateField(null=True)
    ended_by = models.CharField(max_length=20, choices=EndedBy.choices, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    closed_at = models.DateTimeField(null=True)  # returned, refused or withdrawn
    withdrawn = models.BooleanField(default=False)
    supplements = models.PositiveSmallIntegerField(default=0)
    apologized = models.BooleanField(default=False)
    handling_days = models.DecimalField(max_digits=8, decimal_places=2, null=True)  # working days, received → end

    has_fee = models.BooleanField(default=False)
    paid_online = models.BooleanField(default=False)
    digitized = models.BooleanField(default=False)  # at least one component digitized
    reused = models.BooleanField(default=False)  # at least one component reused from data the state holds
    certified = models.BooleanField(default=False)  # a certified electronic copy made
    electronic_result = models.BooleanField(default=False)  # a digitally signed result issued
    # sources of issue 14: None while the source does not exist
    identity_verified = models.BooleanField(null=True)
    population_data = models.BooleanField(null=True)
    synced = models.BooleanField(null=True)  # synced to the national public service portal
    store_synced = models.BooleanField(null=True)  # result pushed to the citizen's national document store

    class Meta:
        indexes = [
            models.Index(fields=["agency", "received_on"], name="fact_received"),
            models.Index(fields=["agency", "ended_on"], name="fact_ended"),
            # open (or ended late) dossiers past due at a period's end
            models.Index(fields=["agency", "due_at"], name="fact_due"),
        ]

    def __str__(self) -> str:
        return self.code


class StepFact(models.Model):
    """One visit of one workflow step by a dossier (a step sent back to is visited again: a new row)."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="+")
    visit = models.PositiveSmallIntegerField()  # 0, 1, 2… in the order of the dossier's log
    step = models.SmallIntegerField()  # its index in the dossier's plan
    name = models.CharField(max_length=500, blank=True)
    role = models.CharField(max_length=20, blank=True)
    agency = models.ForeignKey("agencies.Agency", null=True, on_delete=models.CASCADE, related_name="+")
    # who handled it: the officer assigned, else who moved the dossier on
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True)
    due_at = models.DateTimeField(null=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dossier", "visit"], name="unique_step_visit")]
        indexes = [
            models.Index(fields=["agency", "started_at"], name="stepfact_agency"),
            models.Index(fields=["officer", "started_at"], name="stepfact_officer"),
            # the board's steps handed on today and the bottlenecks' steps finished in a week
            models.Index(fields=["agency", "ended_at"], name="stepfact_ended"),
            # the steps open now past their step deadline (the board's worst step)
            models.Index(fields=["agency", "due_at"], name="stepfact_open", condition=models.Q(ended_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}#{self.visit} {self.name}"


class DailyRollup(models.Model):
    """The facts counted per responsible agency, procedure and day (``stats.rollup.COLUMNS`` says which column
    counts on the day received and which on the day handling ended). Integer columns: deltas may pass through
    negative values inside a transaction."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+")
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    # counted on the day received
    received = models.IntegerField(default=0)
    received_online = models.IntegerField(default=0)
    eligible = models.IntegerField(default=0)  # of procedures offering the full online service
    eligible_online = models.IntegerField(default=0)
    with_fee = models.IntegerField(default=0)
    paid_online = models.IntegerField(default=0)
    digitized = models.IntegerField(default=0)
    reused = models.IntegerField(default=0)
    certified = models.IntegerField(default=0)
    identity_verified = models.IntegerField(default=0)
    population_data = models.IntegerField(default=0)
    synced = models.IntegerField(default=0)
    # counted on the day handling ended
    ended = models.IntegerField(default=0)
    early = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    late = models.IntegerField(default=0)
    refused = models.IntegerField(default=0)
    electronic_result = models.IntegerField(default=0)
    store_synced = models.IntegerField(default=0)
    handling_centidays = models.BigIntegerField(default=0)  # the sum of handling_days × 100

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "procedure", "day"], name="unique_rollup_day")]
        indexes = [models.Index(fields=["day", "agency"], name="rollup_day")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.procedure_id} {self.day}"


class Cursor(models.Model):
    """How far ``motcua refresh_stats`` has read the event log (the last event id whose dossier it refreshed)."""

    name = models.CharField(max_length=40, unique=True)
    last_event_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_event_id}"


class IndexVersion(models.Model):
    """One version of the service-quality index's configuration (Decision 766/QĐ-TTg and the portal's reading of
    it): its groups with their maxima, its rows (code, the named formula of ``stats.index.FORMULAS``, max and
    threshold) and its bands. A period is scored by the version in effect on the period's first day (earlier
    versions differed; the portal changed its weights in 2024–2025)."""

    name = models.CharField(_("name"), max_length=200)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    effective_from = models.DateField(_("effective from"), unique=True)
    groups = models.JSONField(_("groups"), default=list, help_text=_('[{"code": "1", "key": "CKMB", "max": 18}, …]'))
    rows = models.JSONField(_("rows"), default=list, help_text=_(
        '[{"code": "1.1", "formula": "procedures_published_on_time", "max": 6, "threshold": null}, …]: a threshold '
        "(percent) gives full points at or above it, rate × max ÷ threshold below; none: rate × max. A row of max 0 "
        "is shown, not scored."))
    bands = models.JSONField(_("bands"), default=list, help_text=_('[{"min": 90, "band": "excellent"}, …]'))

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("version of the service-quality index")
        verbose_name_plural = _("versions of the service-quality index")

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_from:%d/%m/%Y})"


class DigestKind(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class DigestSent(models.Model):
    """A supervision digest mailed to one leader or supervisor for one day or week (``stats.digests``): never
    sent twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=DigestKind.choices)
    period = models.CharField(max_length=20)  # the period's key: 2026-11-25, 2026-W47
    sent_at = models.DateTimeField()
    overdue = models.PositiveIntegerField(default=0)  # the overdue dossiers it named

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind", "period"], name="unique_digest")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.period}"
