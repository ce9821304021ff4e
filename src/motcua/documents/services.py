"""Filling the data warehouse from dossiers, and offering its documents again.

:func:`keep_from_dossier` runs after every dossier change (``dossiers.signals.dossier_changed``): when an online
applicant's dossier is accepted, or a supplement to an accepted one is recorded, its component files become
verified documents of the applicant; when a result is issued, the result is kept too. The state then never asks
the applicant for them again: :func:`offers_for` lists them in the next wizard that needs the same component.
"""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from motcua.core.text import fold
from motcua.documents.models import DocumentKind, StoredDocument
from motcua.dossiers.models import Attachment, AttachmentKind, Dossier

KEEP_ON = frozenset({"receive", "supplement", "issue_result"})


def component_key(name: str) -> str:
    return fold(name)[:500]


def keep_from_dossier(dossier: Dossier, event: Any) -> list[StoredDocument]:
    """Keep the accepted components (after ``receive`` / ``supplement``) or the result (``issue_result``)."""
    if event.action not in KEEP_ON or dossier.applicant_user_id is None or dossier.received_at is None:
        return []
    if event.action == "issue_result":
        result = (event.data.get("result") or {}).get("attachment")
        attachments = Attachment.objects.filter(dossier=dossier, kind=AttachmentKind.RESULT, pk=result or 0)
        kind = DocumentKind.RESULT
    else:
        attachments = Attachment.objects.filter(
            dossier=dossier, kind__in=[AttachmentKind.SCAN, AttachmentKind.SUPPLEMENT], component__isnull=False)
        kind = DocumentKind.COMPONENT
    kept = []
    for item in attachments.select_related("component"):
        title = item.component.name if item.component is not None else _result_title(dossier)
        kept.extend(_keep(dossier, item, kind, title, event))
    return kept


def _result_title(dossier: Dossier) -> str:
    first = dossier.version.results.first()
    return first.name_vi if first is not None else dossier.version.name_vi


def _keep(dossier: Dossier, item: Attachment, kind: str, title: str, event: Any) -> list[StoredDocument]:
    key = component_key(title)
    owner = dossier.applicant_user_id
    assert owner is not None
    if StoredDocument.objects.filter(owner_id=owner, key=key, sha256=item.sha256).exists():
        return []
    with item.file.open("rb") as handle:
        content = handle.read()
    document = StoredDocument(
        owner_id=owner, kind=kind, title=title[:500], key=key, content_type=item.content_type, size=item.size,
        sha256=item.sha256, source_dossier=dossier, verified_by_id=event.agency_id, verified_at=event.at,
    )
    try:
        with transaction.atomic():
            document.file.save(f"{item.sha256[:24]}.pdf", ContentFile(content), save=False)
            document.save()
    except IntegrityError:  # kept a moment ago by a concurrent change
        return []
    return [document]


def offers_for(owner_id: int, component_name: str) -> QuerySet[StoredDocument]:
    """The owner's documents that answer a component of the same name, newest first."""
    return StoredDocument.objects.filter(owner_id=owner_id, key=component_key(component_name))


def owned(owner_id: int) -> QuerySet[StoredDocument]:
    return StoredDocument.objects.filter(owner_id=owner_id).select_related("source_dossier", "verified_by")
