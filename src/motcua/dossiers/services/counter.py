"""Receiving a dossier at a counter or post office with the scans of its components: one operation, one
transaction (:func:`receive_at_counter`). Each scan is a digitized document (``services.digitization``): the
metadata the officer typed for it is checked with everything else, before anything is written."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from typing import IO, Any

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from motcua.core import identity
from motcua.core.errors import MotCuaError, ValidationFailed
from motcua.core.files import atomic_with_files
from motcua.core.uploads import CheckedFile, check_upload
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import AttachmentKind, Dossier
from motcua.dossiers.services.base import now_or
from motcua.dossiers.services.creation import IdentityCheck, create_dossier
from motcua.dossiers.services.digitization import earlier_files, parse
from motcua.dossiers.services.files import NewFile, attach_files
from motcua.dossiers.services.signatures import sign_as

DIGITIZED = "Số hóa thành phần hồ sơ"  # the reason in the scan's signature (Vietnamese, as the document is)


def receive_at_counter(
    *, actor: Actor, data: dict[str, Any], scans: dict[int, UploadedFile],
    digitized: dict[int, dict[str, Any]] | None = None, pin: str = "", now: datetime | None = None,
    identity_check: IdentityCheck | None = None,
) -> Dossier:
    """Receive a dossier at a counter or post office with the scans of its components (``scans``: by component
    number), all or nothing: a refused scan records no dossier, takes no dossier number and keeps no file.

    ``digitized``: by component number, what the officer typed of each scan's metadata (number and symbol,
    issuing body, signer, date, validity: ``digitization.FIELDS``); each scan becomes a digitized document.
    ``pin``: the officer signs the PDF scans with their signing identity (before anything is written: a wrong PIN
    or a certificate problem records nothing); without it the scans are recorded unsigned.
    ``identity_check``: what the population database said of the applicant (``create_dossier``).
    Every scan and its metadata are checked first, outside the transaction (each refusal names its component's
    row); then the dossier and its scans are written in one transaction."""
    checked: dict[int, CheckedFile] = {}
    metadata: dict[int, dict[str, Any]] = {}
    errors: list[MotCuaError] = []
    today = timezone.localdate(now_or(now))
    applicant = data.get("applicant")
    owner = identity.normalize(str(applicant.get("id_number") or "")) if isinstance(applicant, dict) else ""
    for order, upload in sorted(scans.items()):
        try:
            checked[order] = check_upload(upload, upload.name or "scan", upload.size,
                                          location=f"components.{order - 1}")
        except MotCuaError as exc:
            errors.append(exc)
        metadata[order], problems = parse((digitized or {}).get(order) or {}, location=f"components.{order - 1}",
                                          today=today, owner_id_number=owner)
        errors.extend(problems)
    if errors:
        raise ValidationFailed(errors)
    files: dict[int, tuple[IO[bytes], CheckedFile, str]] = {  # what is stored, and who signed it
        order: (upload, checked[order], "") for order, upload in scans.items()}
    if pin:
        for order, upload in scans.items():
            if checked[order].content_type == "application/pdf":  # a photo is recorded as it is, unsigned
                upload.seek(0)
                signed = sign_as(actor, upload.read(), pin=pin, reason=DIGITIZED)
                files[order] = (io.BytesIO(signed.data), CheckedFile(
                    "application/pdf", len(signed.data), hashlib.sha256(signed.data).hexdigest()), signed.certificate)
    with atomic_with_files():
        dossier, _new = create_dossier(actor=actor, data=data, now=now, checked=identity_check)
        earlier = earlier_files(dossier, (c.sha256 for c in checked.values()))  # the bytes as scanned
        attach_files(dossier.code, actor=actor, now=now, files=[
            NewFile(file, scans[order].name or "scan", AttachmentKind.SCAN, order, checked=check,
                    digitization={**metadata[order], "reused_from": earlier.get(checked[order].sha256),
                                  "reused_document": None, "signed": bool(certificate),
                                  "signer_certificate": certificate})
            for order, (file, check, certificate) in sorted(files.items())
        ])
    return dossier


