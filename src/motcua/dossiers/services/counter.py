"""Receiving a dossier at a counter or post office with the scans of its components: one operation, one
transaction (:func:`receive_at_counter`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from motcua.core.errors import MotCuaError, ValidationFailed
from motcua.core.files import atomic_with_files
from motcua.core.uploads import CheckedFile, check_upload
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import AttachmentKind, Dossier
from motcua.dossiers.services.creation import create_dossier
from motcua.dossiers.services.files import attach


def receive_at_counter(
    *, actor: Actor, data: dict[str, Any], scans: dict[int, UploadedFile], now: datetime | None = None,
) -> Dossier:
    """Receive a dossier at a counter or post office with the scans of its components (``scans``: by component
    number), all or nothing: a refused scan records no dossier, takes no dossier number and keeps no file.

    Every scan is checked by content first, outside the transaction (each refusal names its component's row);
    then the dossier and its scans are written in one transaction."""
    checked: dict[int, CheckedFile] = {}
    errors: list[MotCuaError] = []
    for order, upload in sorted(scans.items()):
        try:
            checked[order] = check_upload(upload, upload.name or "scan", upload.size,
                                          location=f"components.{order - 1}")
        except MotCuaError as exc:
            errors.append(exc)
    if errors:
        raise ValidationFailed(errors)
    with atomic_with_files():
        dossier, _new = create_dossier(actor=actor, data=data, now=now)
        for order, upload in sorted(scans.items()):
            attach(dossier.code, actor=actor, file=upload, name=upload.name or "scan", kind=AttachmentKind.SCAN,
                   component=order, now=now, checked=checked[order])
    return dossier


