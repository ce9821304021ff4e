"""Filling the data warehouse from dossiers, and offering its documents again.

:func:`keep_from_dossier` runs after every dossier change (``dossiers.signals.dossier_changed``): when an online
applicant's dossier is accepted, or a supplement to an accepted one is recorded, its component files become
verified documents of the applicant; when a result is issued, the result is kept too; a certified electronic copy
of a component (an ``attach`` event with a ``certification``) is kept as soon as it is made. The state then never asks
the applicant for them again: :func:`offers_for` lists them in the next wizard that needs the same component.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import IO, Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from motcua.core.text import fold
from motcua.documents.models import DocumentKind, StoredDocument
from motcua.dossiers.audit import Finding, event_hash
from motcua.dossiers.integrity import Progress, Subject, check_stored, open_checked, read_verified
from motcua.dossiers.models import AlertSubject, Attachment, AttachmentKind, Dossier, Event
from motcua.dossiers.statuses import EventKind

KEEP_ON = frozenset({EventKind.RECEIVE, EventKind.SUPPLEMENT, EventKind.ISSUE_RESULT, EventKind.ATTACH})


def component_key(name: str) -> str:
    return fold(name)[:500]


def keep_from_dossier(dossier: Dossier, event: Any) -> list[StoredDocument]:
    """Keep the accepted components (after ``receive`` / ``supplement``) or the result (``issue_result``)."""
    if event.action not in KEEP_ON or dossier.applicant_user_id is None or dossier.received_at is None:
        return []
    if event.action == EventKind.ATTACH:
        return _keep_certified_copy(dossier, event)
    if event.action == EventKind.ISSUE_RESULT:
        result = (event.data.get("result") or {}).get("attachment")
        attachments = Attachment.objects.filter(dossier=dossier, kind=AttachmentKind.RESULT, pk=result or 0)
        kind = DocumentKind.RESULT
    else:
        attachments = Attachment.objects.filter(
            dossier=dossier, kind__in=[AttachmentKind.SCAN, AttachmentKind.SUPPLEMENT], component__isnull=False)
        kind = DocumentKind.COMPONENT
        # the latest file of each component only: a file the officer asked to replace was not accepted
        latest = {}
        for item in attachments.order_by("pk"):
            latest[item.component_id] = item.pk
        attachments = attachments.filter(pk__in=latest.values())
    kept = []
    for item in attachments.select_related("component"):
        title = item.component.name if item.component is not None else _result_title(dossier)
        kept.extend(_keep(dossier, item, kind, title, event))
    return kept


def _keep_certified_copy(dossier: Dossier, event: Any) -> list[StoredDocument]:
    """A certified copy is a document of its own: kept beside the component's scan, each copy kept."""
    certification = (event.data or {}).get("certification")
    if not isinstance(certification, dict):
        return []
    item = (Attachment.objects.filter(dossier=dossier, kind=AttachmentKind.CERTIFIED_COPY,
                                      pk=event.data.get("attachment") or 0).select_related("component").first())
    if item is None:
        return []
    name = item.component.name if item.component is not None else _result_title(dossier)
    title = f"{name} ({certification.get('register_number', '')})"
    return _keep(dossier, item, DocumentKind.CERTIFIED_COPY, title, event, key=component_key(name), replace=False)


def _result_title(dossier: Dossier) -> str:
    first = dossier.version.results.first()
    return first.name_vi if first is not None else dossier.version.name_vi


def _keep(dossier: Dossier, item: Attachment, kind: str, title: str, event: Any, *, key: str = "",
          replace: bool = True) -> list[StoredDocument]:
    key = key or component_key(title)
    owner = dossier.applicant_user_id
    assert owner is not None
    if StoredDocument.objects.filter(owner_id=owner, key=key, sha256=item.sha256).exists():
        return []
    content = read_verified(item)  # an altered dossier file is not copied into the warehouse (FileAltered)
    document = StoredDocument(
        owner_id=owner, kind=kind, title=title[:500], key=key, content_type=item.content_type, size=item.size,
        sha256=item.sha256, source_dossier=dossier, verified_by_id=event.agency_id, verified_at=event.at,
    )
    try:
        with transaction.atomic():
            document.file.save(f"{item.sha256[:24]}.pdf", ContentFile(content), save=False)
            document.save()
            if replace:  # a file of the same dossier and component kept before was replaced at the agency's request
                StoredDocument.objects.filter(owner_id=owner, key=key, source_dossier=dossier,
                                              kind=kind).exclude(pk=document.pk).delete()
    except IntegrityError:  # kept a moment ago by a concurrent change
        return []
    return [document]


def chain_problem(document: StoredDocument, events: list[Event]) -> str:
    """What is wrong with the record of ``document`` in the event chain of the dossier it was kept from (empty:
    nothing); ``events``: that dossier's ``attach`` events with the document's SHA-256."""
    if document.source_dossier_id is None:
        return ""
    if not events:
        return "the dossier it was kept from has no attach event with this SHA-256"
    if not any(event_hash(event, event.dossier.code) == event.hash for event in events):
        return "the attach event that records this document in its dossier was altered"
    return ""


def _attach_events(documents: list[StoredDocument]) -> dict[tuple[int, str], list[Event]]:
    """The ``attach`` events of the documents' dossiers with the documents' hashes (one query)."""
    dossiers = {d.source_dossier_id for d in documents if d.source_dossier_id is not None}
    hashes = {d.sha256 for d in documents}
    found: dict[tuple[int, str], list[Event]] = {}
    if not dossiers:
        return found
    for event in Event.objects.filter(dossier_id__in=dossiers, action=EventKind.ATTACH,
                                      data__sha256__in=list(hashes)).select_related("dossier"):
        found.setdefault((event.dossier_id, event.data.get("sha256")), []).append(event)
    return found


def _subject(document: StoredDocument) -> Subject:
    return Subject(AlertSubject.DOCUMENT, document.pk, document.source_dossier_id, document.verified_by_id)


def open_document(document: StoredDocument) -> IO[bytes]:
    """A data-warehouse document, read once and checked against its SHA-256 and the ``attach`` event of the
    dossier it was kept from (``dossiers.integrity``): ``FileAltered`` if it was changed since."""
    events = _attach_events([document]).get((document.source_dossier_id or 0, document.sha256), [])
    return open_checked(document.file, document.sha256, _subject(document), chain_problem(document, events))


def verify_documents(progress: Progress = None, batch: int = 500) -> Iterator[Finding]:
    """Every data-warehouse document against its SHA-256 and its dossier's chain, and present (``verify_audit``)."""
    last_id = checked = 0
    while True:
        documents = list(StoredDocument.objects.filter(pk__gt=last_id).select_related("source_dossier")
                         .order_by("pk")[:batch])
        if not documents:
            break
        events = _attach_events(documents)
        for doc in documents:
            problem = check_stored(doc.file, doc.sha256, _subject(doc), chain_problem(
                doc, events.get((doc.source_dossier_id or 0, doc.sha256), [])))
            if problem:
                where = doc.source_dossier.code if doc.source_dossier is not None else "-"
                yield Finding(where, f"data-warehouse document #{doc.pk} ({doc.file.name}): {problem}")
        last_id = documents[-1].pk
        checked += len(documents)
        if progress:
            progress(checked)


def offers_for(owner_id: int, component_name: str) -> QuerySet[StoredDocument]:
    """The owner's documents that answer a component of the same name, newest first."""
    return StoredDocument.objects.filter(owner_id=owner_id, key=component_key(component_name))


def owned(owner_id: int) -> QuerySet[StoredDocument]:
    return StoredDocument.objects.filter(owner_id=owner_id).select_related("source_dossier", "verified_by")


def export_archive(owner: Any) -> bytes:
    """Everything the state holds of an applicant, in one ZIP: ``du-lieu.json`` (the account's personal data,
    every dossier with its status, dates, e-form and fee, every stored document) and the documents themselves,
    each checked like :func:`open_document` (``FileAltered`` rather than an altered file in the archive)."""
    citizen = getattr(owner, "citizen", None)
    documents = list(owned(owner.pk))
    events = _attach_events(documents)
    data: dict[str, Any] = {
        "account": {
            "full_name": getattr(citizen, "full_name", ""), "id_number": getattr(citizen, "id_number", ""),
            "phone": getattr(citizen, "phone", ""), "email": getattr(citizen, "email", ""),
            "address": getattr(citizen, "address", ""),
        },
        "dossiers": [
            {"code": d.code, "procedure": d.procedure.code, "procedure_name": d.version.name_vi, "status": d.status,
             "submitted_at": d.submitted_at.isoformat(), "due_at": d.due_at.isoformat() if d.due_at else None,
             "returned_at": d.returned_at.isoformat() if d.returned_at else None, "form": d.form_data,
             "fee_total": d.fee_total, "applicant_name": d.applicant_name, "applicant_id_number": d.applicant_id_number,
             "applicant_phone": d.applicant_phone, "applicant_email": d.applicant_email,
             "applicant_address": d.applicant_address, "delivery": d.delivery, "delivery_address": d.delivery_address}
            for d in Dossier.objects.filter(applicant_user=owner).select_related("procedure", "version")
            .order_by("submitted_at")
        ],
        "documents": [
            {"file": f"tai-lieu/{doc.pk}-{doc.sha256[:12]}.pdf", "title": doc.title, "kind": doc.kind,
             "sha256": doc.sha256, "from_dossier": doc.source_dossier.code if doc.source_dossier else None,
             "verified_by": doc.verified_by.name if doc.verified_by else None,
             "verified_at": doc.verified_at.isoformat() if doc.verified_at else None}
            for doc in documents
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("du-lieu.json", json.dumps(data, ensure_ascii=False, indent=2))
        for doc, entry in zip(documents, data["documents"], strict=True):
            problem = chain_problem(doc, events.get((doc.source_dossier_id or 0, doc.sha256), []))
            with open_checked(doc.file, doc.sha256, _subject(doc), problem) as handle:
                archive.writestr(entry["file"], handle.read())
    return buffer.getvalue()
