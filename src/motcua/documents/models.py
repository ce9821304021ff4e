"""The applicant's data warehouse (kho dữ liệu điện tử của tổ chức, cá nhân, Decree 45/2020).

Each applicant's verified documents and results are kept here, so that a later procedure needing the same
component offers them again instead of asking for the paper a second time. A document comes from a dossier the
state accepted (its components, checked by the receiving officer) or from a result it issued.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    COMPONENT = "component", _("Document submitted and verified")
    RESULT = "result", _("Result issued by the state")
    CERTIFIED_COPY = "certified_copy", _("Certified electronic copy")


def document_path(instance: StoredDocument, filename: str) -> str:
    return f"warehouse/{instance.owner_id}/{instance.sha256[:24]}.pdf"


class StoredDocument(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE,
                              related_name="stored_documents")
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    title = models.CharField(_("document"), max_length=500)
    # the folded component name it answers (catalog.Component.name_vi), to offer it for the same component later
    key = models.CharField(max_length=500, db_index=True)
    file = models.FileField(_("file"), upload_to=document_path, max_length=300)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    source_dossier = models.ForeignKey("dossiers.Dossier", verbose_name=_("from dossier"), null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")
    verified_by = models.ForeignKey("agencies.Agency", verbose_name=_("verified by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    created_at = models.DateTimeField(_("kept since"), auto_now_add=True)

    class Meta:
        verbose_name = _("stored document")
        verbose_name_plural = _("stored documents")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["owner", "key", "sha256"], name="unique_stored_document")]

    def __str__(self) -> str:
        return self.title
