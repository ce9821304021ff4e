"""Digitization at reception (số hóa, Decree 45/2020 art. 25, Circular 01/2023): each component file received
becomes a digitized document with its metadata.

- at a counter or post office the receiving officer types, per scanned component, the number and symbol, the
  issuing body, the signer, the date and the validity (all optional; the owner is the applicant, the date today);
  :func:`parse` checks them before anything is written, and ``attach_files`` stores them with the file
  (``NewFile.digitization``: the same metadata in the ``attach`` event's data, so the chain holds it);
- an online dossier's files are digitized when the officer accepts it (:func:`digitize_pending`, from the
  ``receive`` and ``supplement`` handlers: the metadata goes into that event's data), a file picked from the
  applicant's data warehouse recording the document it was reused from.

A file that is the same (by sha-256) as a file of an earlier dossier of the same applicant records that file as
``reused_from``: the state did not have to digitize it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import MotCuaError
from motcua.dossiers.models import Attachment, AttachmentKind, Digitization, Dossier, Event
from motcua.dossiers.statuses import EventKind

# what the officer may type per component, with the longest value each column takes
TEXT_FIELDS: dict[str, int] = {"number": 100, "issuing_body": 300, "signer_name": 200, "document_code": 50}
DATE_FIELDS = ("document_date", "valid_until")
FIELDS = (*TEXT_FIELDS, *DATE_FIELDS)
# the component files that are digitized documents (results and certified copies are documents of their own)
DIGITIZED_KINDS = (AttachmentKind.SCAN, AttachmentKind.SUPPLEMENT)


def parse(raw: Mapping[str, Any], *, location: str, today: date, owner_id_number: str
          ) -> tuple[dict[str, Any], list[MotCuaError]]:
    """The metadata the officer typed for one component (``raw``: the fields of :data:`FIELDS`, as typed), as
    the JSON the ``attach`` event keeps, and the errors found (each at ``<location>.<field>``). Defaults: the
    owner is the applicant (``owner_id_number``), the document's date today."""
    errors: list[MotCuaError] = []
    data: dict[str, Any] = {"owner_id_number": owner_id_number[:20]}
    for name, limit in TEXT_FIELDS.items():
        value = str(raw.get(name) or "").strip()
        if len(value) > limit:
            errors.append(MotCuaError("too_long", _("At most %(limit)d characters."), {"limit": limit},
                                      f"{location}.{name}"))
        data[name] = value[:limit]
    dates: dict[str, date | None] = {}
    for name in DATE_FIELDS:
        value = str(raw.get(name) or "").strip()
        parsed = None
        if value:
            try:
                parsed = parse_date(value)
            except ValueError:
                parsed = None
            if parsed is None:
                errors.append(MotCuaError("invalid_date", _("This is not a date."), location=f"{location}.{name}"))
        dates[name] = parsed
    issued = dates["document_date"]
    if issued is None and not str(raw.get("document_date") or "").strip():
        issued = today
    if issued is not None and issued > today:
        errors.append(MotCuaError("date_in_future", _("The document's date cannot be in the future."),
                                  location=f"{location}.document_date"))
    valid = dates["valid_until"]
    if valid is not None and issued is not None and valid < issued:
        errors.append(MotCuaError("valid_before_date", _("A document cannot expire before its date."),
                                  location=f"{location}.valid_until"))
    data["document_date"] = issued.isoformat() if issued else None
    data["valid_until"] = valid.isoformat() if valid else None
    return data, errors


def default(dossier: Dossier) -> dict[str, Any]:
    """The metadata of a file digitized without the officer typing any (an online dossier's files)."""
    return {"owner_id_number": dossier.applicant_id_number, "document_code": "", "number": "", "issuing_body": "",
            "signer_name": "", "document_date": None, "valid_until": None}


def store(attachment: Attachment, meta: Mapping[str, Any], *, by: int | None, at: datetime) -> Digitization:
    """The digitization row of ``attachment``, from the metadata its event keeps."""
    return Digitization.objects.create(**_row(attachment, meta, by, at))


def _row(attachment: Attachment, meta: Mapping[str, Any], by: int | None, at: datetime) -> dict[str, Any]:
    return {
        "attachment": attachment, "owner_id_number": meta.get("owner_id_number") or "",
        "document_code": meta.get("document_code") or "", "number": meta.get("number") or "",
        "issuing_body": meta.get("issuing_body") or "", "signer_name": meta.get("signer_name") or "",
        "document_date": parse_date(meta["document_date"]) if meta.get("document_date") else None,
        "valid_until": parse_date(meta["valid_until"]) if meta.get("valid_until") else None,
        "digitized_by_id": by, "digitized_at": at, "reused_from_id": meta.get("reused_from"),
        "reused_document_id": meta.get("reused_document"), "sha256": attachment.sha256,
        "signed": bool(meta.get("signed")), "signer_certificate": (meta.get("signer_certificate") or "")[:500],
    }


def earlier_files(dossier: Dossier, digests: Iterable[str]) -> dict[str, int]:
    """By sha-256: the first file of another dossier of the same applicant with those bytes (what a file is a
    reuse of)."""
    wanted = set(digests)
    if not wanted:
        return {}
    found: dict[str, int] = {}
    rows = (Attachment.objects.filter(sha256__in=wanted, dossier__applicant_id_number=dossier.applicant_id_number)
            .exclude(dossier=dossier).order_by("pk").values_list("sha256", "pk"))
    for digest, pk in rows:
        found.setdefault(digest, pk)
    return found


def digitize_pending(dossier: Dossier, *, by: int | None, at: datetime) -> list[dict[str, Any]]:
    """Digitize the dossier's component files that are not yet (an online dossier's, when the officer accepts
    it or its supplement): one row each, with default metadata and what it was reused from. Returns the
    metadata, for the event's data."""
    pending = list(Attachment.objects.filter(dossier=dossier, kind__in=DIGITIZED_KINDS, component__isnull=False,
                                             digitization__isnull=True).order_by("pk"))
    if not pending:
        return []
    picked: dict[int, int] = {}  # attachment → the data-warehouse document the applicant picked for it
    for data in Event.objects.filter(dossier=dossier, action=EventKind.ATTACH).values_list("data", flat=True):
        if isinstance(data, dict) and data.get("from_warehouse") and data.get("attachment"):
            picked[int(data["attachment"])] = int(data["from_warehouse"])
    earlier = earlier_files(dossier, (a.sha256 for a in pending))
    rows, metadata = [], []
    for attachment in pending:
        meta = {**default(dossier), "reused_from": earlier.get(attachment.sha256),
                "reused_document": picked.get(attachment.pk), "signed": False, "signer_certificate": ""}
        rows.append(Digitization(**_row(attachment, meta, by, at)))
        metadata.append({"attachment": attachment.pk, "sha256": attachment.sha256, "digitized_by": by, **meta})
    Digitization.objects.bulk_create(rows)
    return metadata
