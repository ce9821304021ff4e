"""Drafts of online dossiers: what the applicant has entered in the submission wizard, kept until they submit.

A draft is saved at every step, so that it can be resumed on another day or after the session expired; it
expires ``DRAFT_DAYS`` after its last change. Its files are already checked and turned into PDFs when uploaded;
a component can also point to a document of the applicant's data warehouse instead of a file.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DRAFT_DAYS = 30


def _expiry() -> object:
    return timezone.now() + timedelta(days=DRAFT_DAYS)


class Draft(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts")
    version = models.ForeignKey("catalog.ProcedureVersion", on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(default=dict)  # applicant, form, receiving_agency, delivery, exemptions, note
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(default=_expiry)
    dossier = models.OneToOneField("dossiers.Dossier", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="draft")
    # assisted filing (issue 15): the draft is the citizen's (``owner``), filled by the staff member she consented to
    assisted_consent = models.ForeignKey("accounts.AssistedConsent", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="drafts")

    class Meta:
        verbose_name = _("draft dossier")
        verbose_name_plural = _("draft dossiers")
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["owner", "updated_at"], name="draft_owner")]

    def __str__(self) -> str:
        return f"{self.version.procedure.code} {self.id}"

    @property
    def expired(self) -> bool:
        return self.dossier_id is None and self.expires_at <= timezone.now()


def draft_file_path(instance: DraftFile, filename: str) -> str:
    return f"drafts/{instance.draft_id}/{instance.sha256[:16]}.pdf"


class DraftFile(models.Model):
    """The file given for one component of a draft: an upload (as PDF) or a data-warehouse document."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="files")
    order = models.PositiveSmallIntegerField()  # the component's number in the procedure's list (1, 2, …)
    file = models.FileField(upload_to=draft_file_path, max_length=300, blank=True)
    stored = models.ForeignKey("documents.StoredDocument", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["draft", "order"], name="unique_draft_component")]

    def __str__(self) -> str:
        return self.original_name
