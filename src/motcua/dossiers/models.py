"""Dossiers (hồ sơ), their components and files, their append-only event log, and the code counters.

The :class:`Dossier` row is a *projection* of its :class:`Event` rows: every service in ``dossiers.services``
writes the fields it changes into the event's ``changes``, and ``dossiers.audit.rebuild`` replays them.
Business rules live in ``machine`` (who may do what, when), ``rules`` (the law, by effective date),
``deadlines`` (due dates) and ``services`` (the actions); the models only hold data.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.catalog.models import Channel, Delivery
from motcua.dossiers.statuses import PauseKind, Status, national_status


class ApplicantKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANIZATION = "organization", _("Organization or business")


class Timeliness(models.TextChoices):
    EARLY = "early", _("Early")
    ON_TIME = "on_time", _("On time")
    LATE = "late", _("Late")


class Dossier(models.Model):
    code = models.CharField(_("dossier code"), max_length=40, unique=True)
    procedure = models.ForeignKey("catalog.Procedure", verbose_name=_("procedure"), on_delete=models.PROTECT,
                                  related_name="dossiers")
    version = models.ForeignKey("catalog.ProcedureVersion", verbose_name=_("procedure version"),
                                on_delete=models.PROTECT, related_name="dossiers")
    rules_version = models.CharField(_("one-stop rules"), max_length=20)

    applicant_kind = models.CharField(_("applicant"), max_length=20, choices=ApplicantKind.choices)
    applicant_name = models.CharField(_("name"), max_length=300)
    applicant_id_number = models.CharField(_("citizen ID or tax code"), max_length=20)
    applicant_phone = models.CharField(_("phone"), max_length=20, blank=True)
    applicant_email = models.EmailField(_("email"), blank=True)
    applicant_address = models.CharField(_("address"), max_length=500, blank=True)
    # the citizen or business account that submitted it online, or the verified account of the applicant's
    # citizen ID (a counter or post-office dossier; ``integrations.population``); None otherwise
    applicant_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("applicant account"), null=True,
                                       blank=True, on_delete=models.PROTECT, related_name="own_dossiers")
    # the applicant's citizen ID, name and date of birth were checked against the national population database
    # (``identity_verified``), and the form was filled from what it holds (``population_data``): the index's rows
    identity_verified = models.BooleanField(_("identity verified"), default=False)
    population_data = models.BooleanField(_("filled from population data"), default=False)
    form_data = models.JSONField(_("e-form"), default=dict, blank=True)  # the procedure's e-form, as filled in

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    paper = models.BooleanField(_("paper dossier"), default=True)
    receiving_agency = models.ForeignKey("agencies.Agency", verbose_name=_("received at"),
                                         on_delete=models.PROTECT, related_name="received_dossiers")
    counter = models.ForeignKey("agencies.Counter", verbose_name=_("counter"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    competent_unit = models.ForeignKey("geo.AdministrativeUnit", verbose_name=_("competent administrative unit"),
                                       null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    delivery = models.CharField(_("result delivery"), max_length=20, choices=Delivery.choices)
    delivery_address = models.CharField(_("delivery address"), max_length=500, blank=True)
    fee_total = models.PositiveBigIntegerField(_("fees (VND)"), default=0)
    # what was paid less what was refunded (VND), moved in the transaction of every ``payment`` and ``refund``
    # event (``services.fees``): ``rules.check_fee_settled`` reads it, because ``dossiers`` cannot read payments
    fee_paid = models.BigIntegerField(_("fees paid (VND)"), default=0)

    status = models.CharField(_("status"), max_length=30, choices=Status.choices, default=Status.SUBMITTED)
    resume_status = models.CharField(max_length=30, blank=True)
    pause_kind = models.CharField(_("pause reason"), max_length=20, choices=PauseKind.choices, blank=True)
    plan = models.JSONField(_("workflow"), default=list)  # [{"name", "role", "agency", "days"}, …]
    step_index = models.SmallIntegerField(_("step"), default=0)
    current_agency = models.ForeignKey("agencies.Agency", verbose_name=_("held by"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="held_dossiers")
    current_role = models.CharField(_("role at this step"), max_length=20, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="assigned_dossiers")

    submitted_at = models.DateTimeField(_("submitted"))
    received_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    clock_started_at = models.DateTimeField(_("deadline counted from"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    step_started_at = models.DateTimeField(_("step started"), null=True, blank=True)
    step_due_at = models.DateTimeField(_("step due"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    supplement_requested_at = models.DateTimeField(_("supplement requested"), null=True, blank=True)
    supplements_at_reception = models.PositiveSmallIntegerField(default=0)
    supplements_after_acceptance = models.PositiveSmallIntegerField(default=0)
    apology_due_at = models.DateTimeField(_("new appointment"), null=True, blank=True)
    result_issued_at = models.DateTimeField(_("result issued"), null=True, blank=True)
    returned_at = models.DateTimeField(_("result returned"), null=True, blank=True)
    returned_to = models.CharField(_("returned to"), max_length=300, blank=True)
    timeliness = models.CharField(_("timeliness"), max_length=10, choices=Timeliness.choices, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    revision = models.PositiveIntegerField(_("revision"), default=0)  # optimistic concurrency
    event_count = models.PositiveIntegerField(default=0)  # head of the hash chain…
    last_hash = models.CharField(max_length=64, blank=True)  # …so that deleting the last event shows
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-submitted_at"]
        indexes = [
            # the staff queues walk open dossiers of one holder (or assignee) soonest due first and stop at a page
            models.Index(fields=["current_agency", "due_at"], name="dossier_queue",
                         condition=models.Q(closed_at__isnull=True)),
            models.Index(fields=["assignee", "due_at"], name="dossier_mine",
                         condition=models.Q(closed_at__isnull=True)),
            models.Index(fields=["receiving_agency", "status", "returned_at"], name="dossier_front"),
            # lists, newest first
            models.Index(fields=["submitted_at", "id"], name="dossier_recent"),
            models.Index(fields=["procedure", "submitted_at"], name="dossier_procedure"),
            models.Index(fields=["applicant_user", "submitted_at"], name="dossier_applicant"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def national_status(self) -> int | None:
        return national_status(self.status, self.pause_kind)

    @property
    def current_step(self) -> dict[str, Any] | None:
        return self.plan[self.step_index] if 0 <= self.step_index < len(self.plan) else None

    @property
    def promised_at(self) -> Any:
        """The date promised to the applicant: the apology's new date if one was set, else the due date."""
        return self.apology_due_at or self.due_at


class DossierAgency(models.Model):
    """Every agency involved in a dossier (receiving point and each workflow step): who may read it."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="involved")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "dossier"], name="unique_dossier_agency")]

    def __str__(self) -> str:
        return f"{self.dossier_id} → {self.agency_id}"


class DossierComponent(models.Model):
    """A component of the procedure as received in this dossier (originals and copies counted)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="components")
    component = models.ForeignKey("catalog.Component", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("document"), max_length=500)
    required = models.BooleanField(_("required"), default=True)
    originals = models.PositiveSmallIntegerField(_("originals"), default=0)
    copies = models.PositiveSmallIntegerField(_("copies"), default=0)
    received = models.BooleanField(_("received"), default=False)

    class Meta:
        ordering = ["dossier", "order"]

    def __str__(self) -> str:
        return self.name


class AttachmentKind(models.TextChoices):
    SCAN = "scan", _("Scanned component")
    SUPPLEMENT = "supplement", _("Supplement")
    RESULT = "result", _("Result")
    CERTIFIED_COPY = "certified_copy", _("Certified electronic copy")
    DRAFT = "draft", _("Draft result")  # drafted by the processing officer; staff only, never the applicant's
    OTHER = "other", _("Other")


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"dossiers/{instance.dossier.code}/{instance.sha256[:16]}-{filename}"


class Attachment(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="attachments")
    component = models.ForeignKey(DossierComponent, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="attachments")
    kind = models.CharField(_("kind"), max_length=20, choices=AttachmentKind.choices, default=AttachmentKind.SCAN)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dossier", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class Digitization(models.Model):
    """A component file made a digitized document at reception (Decree 45/2020 art. 25, Circular 01/2023): the
    metadata the receiving officer recorded, who digitized it and when, whether it was reused from a document
    the state already held, its sha-256, and whether the officer signed it. Also in the ``attach`` event's data
    (counter, post office) or the ``receive`` event's data (online), so the dossier's chain holds it."""

    attachment = models.OneToOneField(Attachment, on_delete=models.CASCADE, related_name="digitization")
    owner_id_number = models.CharField(_("owner's ID number"), max_length=20, blank=True)
    document_code = models.CharField(_("document code"), max_length=50, blank=True)
    number = models.CharField(_("number and symbol"), max_length=100, blank=True)
    issuing_body = models.CharField(_("issued by"), max_length=300, blank=True)
    signer_name = models.CharField(_("signed by"), max_length=200, blank=True)
    document_date = models.DateField(_("document date"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    digitized_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("digitized by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    digitized_at = models.DateTimeField(_("digitized"))
    # reused rather than scanned again: the earlier component or result file it is the same as, and the
    # data-warehouse document (``documents.StoredDocument``, an app above this one: its id) it was picked from
    reused_from = models.ForeignKey(Attachment, verbose_name=_("reused from"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reused_document_id = models.PositiveBigIntegerField(_("reused warehouse document"), null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    signed = models.BooleanField(_("signed"), default=False)
    signer_certificate = models.CharField(_("signer's certificate"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("digitization")
        verbose_name_plural = _("digitizations")

    def __str__(self) -> str:
        return f"{self.attachment_id}: {self.number or self.sha256[:12]}"

    @property
    def reused(self) -> bool:
        return self.reused_from_id is not None or self.reused_document_id is not None


class Certification(models.Model):
    """A certified electronic copy from the original (chứng thực bản sao điện tử từ bản chính, Decree 23/2015,
    Decree 45/2020 art. 7): its number in the agency's certification register (per book and year, gap-free),
    the component file certified, the certified PDF (the copy with its certification page) and who certified it."""

    agency = models.ForeignKey("agencies.Agency", verbose_name=_("certified at"), on_delete=models.PROTECT,
                               related_name="+")
    book = models.CharField(_("register book"), max_length=20)
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="certifications")
    source = models.ForeignKey(Attachment, verbose_name=_("original's scan"), on_delete=models.PROTECT,
                               related_name="certifications")
    copy = models.OneToOneField(Attachment, verbose_name=_("certified copy"), on_delete=models.PROTECT,
                                related_name="certification")
    pages = models.PositiveIntegerField(_("pages"))
    fee = models.PositiveBigIntegerField(_("fee (VND)"), default=0)
    certified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("certified by"),
                                     on_delete=models.PROTECT, related_name="+")
    certified_at = models.DateTimeField(_("certified"))
    signed = models.BooleanField(_("signed"), default=False)
    signer_certificate = models.CharField(_("signer's certificate"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        ordering = ["certified_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["agency", "book", "year", "number"],
                                               name="unique_certification_number")]

    def __str__(self) -> str:
        return self.register_number

    @property
    def register_number(self) -> str:
        """``123/2026/SCT-BS``: number, year and book, as the certification statement prints it."""
        return f"{self.number}/{self.year}/{self.book}"


class CertificationCounter(models.Model):
    """The running number of one agency's certification register, per book and year."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    book = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "book", "year"],
                                               name="unique_certification_counter")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.book} {self.year}: {self.last}"


class EventQuerySet(models.QuerySet["Event"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("dossier events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("dossier events are append-only")


class Event(models.Model):
    """One transition of one dossier. Append-only; ``hash`` chains it to the dossier's previous event."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=30)
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_name = models.CharField(max_length=300, blank=True)
    role = models.CharField(max_length=20, blank=True)
    agency = models.ForeignKey("agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30)
    from_step = models.SmallIntegerField(null=True)
    to_step = models.SmallIntegerField(null=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict)  # what the action was given: reasons, missing components, files…
    changes = models.JSONField(default=dict)  # the projected fields it set (see dossiers.audit)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["dossier", "seq"]
        constraints = [models.UniqueConstraint(fields=["dossier", "seq"], name="unique_event_seq")]

    def __str__(self) -> str:
        return f"{self.dossier_id}#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("dossier events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("dossier events are append-only")


class DossierCounter(models.Model):
    """The running number of one agency's dossiers on one day (the XXXX of the dossier code)."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "day"], name="unique_counter_day")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.day}: {self.last}"


class IdempotencyKey(models.Model):
    """A client's ``Idempotency-Key`` for ``POST /api/v1/dossiers``: a retry returns the first dossier."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="unique_idempotency_key")]

    def __str__(self) -> str:
        return self.key


class DossierAccess(models.Model):
    """Who opened a dossier's personal data, when and how (Law 91/2025/QH15: log every access)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    via = models.CharField(max_length=20)  # "api", "workspace", "slip"

    def __str__(self) -> str:
        return f"{self.user_id} {self.via} {self.at}"


class ResultCounter(models.Model):
    """The last register number of one agency's book in one year (số …/2026/GP): gap-free, see
    ``dossiers.results.take_result_number``."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    book = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "book", "year"], name="unique_result_counter")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.book} {self.year}: {self.last}"


def verification_code() -> str:
    """16 url-safe random characters: the address of an issued result's verification page (its QR code)."""
    return secrets.token_urlsafe(12)


class IssuedResult(models.Model):
    """The register of issued results (sổ đăng ký kết quả): one row per result document issued, numbered per
    agency, book and year, with the fingerprint of the file issued and the code its QR code verifies it by."""

    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT,
                                related_name="issued_results")
    attachment = models.ForeignKey(Attachment, verbose_name=_("file"), on_delete=models.PROTECT, related_name="+")
    result = models.ForeignKey("catalog.ResultDocument", verbose_name=_("result document"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(_("document"), max_length=500)
    agency = models.ForeignKey("agencies.Agency", verbose_name=_("issued by"), on_delete=models.PROTECT,
                               related_name="+")
    book = models.CharField(_("register book"), max_length=20)
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    issued_at = models.DateTimeField(_("issued"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    signed = models.BooleanField(_("digitally signed"), default=False)
    signer_name = models.CharField(_("signed by"), max_length=300, blank=True)
    verification_code = models.CharField(_("verification code"), max_length=16, unique=True,
                                         default=verification_code)

    class Meta:
        ordering = ["agency", "book", "year", "number"]
        constraints = [models.UniqueConstraint(fields=["agency", "book", "year", "number"],
                                               name="unique_result_number")]
        verbose_name = _("issued result")
        verbose_name_plural = _("issued results")

    def __str__(self) -> str:
        return f"{self.register_number} {self.name}"

    @property
    def register_number(self) -> str:
        """The number as printed: ``12/2026/GP``."""
        return register_number(self.number, self.year, self.book)


def register_number(number: int | None, year: int, book: str) -> str:
    """``12/2026/GP``; without a number (a draft) ``……/2026/GP``."""
    return f"{number if number is not None else '……'}/{year}/{book}"


class AlertSubject(models.TextChoices):
    ATTACHMENT = "attachment", _("Dossier file")
    DOCUMENT = "document", _("Data-warehouse document")
    DRAFT_FILE = "draft_file", _("Draft file")
    EVENT_LOG = "event_log", _("Event log")


class IntegrityAlert(models.Model):
    """A stored file found altered or missing when it was read (a download, ``verify_audit``), or a sealed chain
    head rewritten: staff are told (the admin, an email to the administrators and the agency) and the file is not
    served until it is restored. ``expected`` is the SHA-256 the record holds, ``found`` the one of the bytes
    read (empty for a missing file)."""

    subject = models.CharField(_("what"), max_length=20, choices=AlertSubject.choices)
    object_id = models.PositiveBigIntegerField(_("record"), null=True, blank=True)
    path = models.CharField(_("stored as"), max_length=300, blank=True)
    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    agency = models.ForeignKey("agencies.Agency", verbose_name=_("agency"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    problem = models.TextField(_("problem"))
    expected = models.CharField(_("expected SHA-256"), max_length=64, blank=True)
    found = models.CharField(_("found SHA-256"), max_length=64, blank=True)
    detected_at = models.DateTimeField(_("detected"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    resolution = models.TextField(_("what was done"), blank=True)

    class Meta:
        verbose_name = _("integrity alert")
        verbose_name_plural = _("integrity alerts")
        ordering = ["-detected_at", "-pk"]
        indexes = [models.Index(fields=["subject", "object_id"], name="integrity_alert_subject",
                                condition=models.Q(resolved_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.get_subject_display()} {self.object_id or ''} {self.path}: {self.problem}"


class ChainSeal(models.Model):
    """The heads of every dossier's event chain at one moment, sealed: ``leaves`` lists ``[dossier code,
    event_count, last_hash]`` sorted by code, ``root`` is their Merkle root (``dossiers.seals``), signed with the
    system's seal and timestamped (``signature``, a detached CMS over :func:`dossiers.seals.seal_digest_of`, which
    covers the root and ``previous``, the previous seal's digest: seals form a chain too). A log later rewritten
    with the project's own hash function no longer ends in the sealed hash."""

    sealed_at = models.DateTimeField(_("sealed"))
    dossier_count = models.PositiveIntegerField(_("dossiers"))
    root = models.CharField(_("Merkle root"), max_length=64)
    leaves = models.JSONField(default=list)
    # the previous seal's signed digest (its time, count, root and own previous digest): the seals form a chain
    previous = models.CharField(_("previous seal"), max_length=64, blank=True)
    signature = models.BinaryField(_("signature (CMS)"), null=True, blank=True)
    signer = models.CharField(_("signed by"), max_length=300, blank=True)
    timestamp = models.DateTimeField(_("timestamp"), null=True, blank=True)

    class Meta:
        verbose_name = _("chain seal")
        verbose_name_plural = _("chain seals")
        ordering = ["-sealed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.sealed_at:%Y-%m-%d %H:%M} {self.root[:16]}…"
