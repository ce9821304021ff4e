"""What the citizen's pages read, scoped to the signed-in citizen: their drafts and the files given for them,
their dossiers and their files, their stored documents. The pages never query the ORM themselves."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from motcua.documents import services as warehouse
from motcua.documents.models import StoredDocument
from motcua.dossiers.models import Attachment, AttachmentKind, Dossier
from motcua.portal.models import Draft, DraftFile


def own_draft(owner_id: int | None, draft_id: Any) -> Draft | None:
    """The citizen's own draft, with what its pages show, or ``None`` (another's draft is not found)."""
    return Draft.objects.select_related("version", "version__procedure", "version__field", "dossier").filter(
        pk=draft_id, owner_id=owner_id).first()


def given_files(draft: Draft) -> dict[int, DraftFile]:
    """The file given for each of the draft's components, by component number."""
    return {item.order: item for item in draft.files.select_related("stored")}


def given_file(draft: Draft, order: int) -> DraftFile | None:
    return draft.files.select_related("stored").filter(order=order).first()


def own_dossiers(owner_id: int | None) -> QuerySet[Dossier]:
    """The citizen's dossiers, the latest first."""
    return Dossier.objects.filter(applicant_user_id=owner_id).select_related("version").order_by(
        "-submitted_at", "-pk")


def own_dossier_count(owner_id: int | None) -> int:
    return Dossier.objects.filter(applicant_user_id=owner_id).count()


def results(dossier: Dossier) -> list[Attachment]:
    """The dossier's result files, once the result is issued (none before)."""
    if dossier.result_issued_at is None:
        return []
    return list(Attachment.objects.filter(dossier=dossier, kind=AttachmentKind.RESULT))


def submitted_files(dossier: Dossier) -> QuerySet[Attachment]:
    """The files given with the dossier and its supplements (not the result)."""
    return Attachment.objects.filter(dossier=dossier).exclude(kind=AttachmentKind.RESULT)


def own_attachment(dossier: Dossier, pk: int) -> Attachment | None:
    """One of the dossier's files; a result only once it is issued."""
    item = Attachment.objects.filter(dossier=dossier, pk=pk).first()
    if item is None or (item.kind == AttachmentKind.RESULT and dossier.result_issued_at is None):
        return None
    return item


def owned_document(owner_id: int, pk: int) -> StoredDocument | None:
    """One of the citizen's stored documents (the data warehouse)."""
    return warehouse.owned(owner_id).filter(pk=pk).first()


def offers(owner_id: int, component_name: str, limit: int = 5) -> list[StoredDocument]:
    """The stored documents the citizen may reuse for a component, the best first."""
    return list(warehouse.offers_for(owner_id, component_name)[:limit])
