"""A dossier's files: :func:`attach` (a scan, a supplement, a draft, the result) and :func:`attach_files` (several in
one operation). Issuing the signed result is ``services.issuing``.

Every file is checked by its content (``core.uploads.check_upload``) before anything is written; it is stored
inside ``core.files.atomic_with_files`` so that a rollback deletes it again; its ``attach`` event goes through
``dossiers.events.record``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, cast

from django.core.files.base import File
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Role
from motcua.core.errors import MotCuaError
from motcua.core.files import atomic_with_files, stored
from motcua.core.uploads import CheckedFile, check_upload
from motcua.dossiers.actors import Actor
from motcua.dossiers.errors import Conflict, DossierNotFound
from motcua.dossiers.events import record
from motcua.dossiers.integrity import FileAltered, HashingReader, Subject, alert, digest_of
from motcua.dossiers.machine import Forbidden, is_applicant, may_draft_result
from motcua.dossiers.models import AlertSubject, Attachment, AttachmentKind, Dossier, DossierComponent
from motcua.dossiers.services.base import now_or
from motcua.dossiers.services.digitization import DIGITIZED_KINDS, earlier_files
from motcua.dossiers.services.digitization import default as default_digitization
from motcua.dossiers.services.digitization import store as store_digitization
from motcua.dossiers.statuses import TERMINAL, EventKind, Status


@dataclass(frozen=True)
class NewFile:
    """One file to attach: its bytes (``file``), its name, what it is (``kind``) and for which component; ``checked``
    when it was already checked by content when the applicant gave it (a draft's file, a data-warehouse document),
    so it is not parsed again inside the operation's transaction; ``extra`` goes into the event's data;
    ``digitization``: the file is a digitized component, with this metadata (``services.digitization.parse``):
    stored as its ``Digitization`` and kept in the event's data."""

    file: IO[bytes]
    name: str
    kind: str = AttachmentKind.SCAN
    component: int | None = None
    size: int | None = None
    extra: dict[str, Any] | None = None
    checked: CheckedFile | None = None
    digitization: dict[str, Any] | None = None


def attach(
    code: str, *, actor: Actor, file: IO[bytes], name: str, kind: str = AttachmentKind.SCAN,
    component: int | None = None, size: int | None = None, now: datetime | None = None,
    extra: dict[str, Any] | None = None, checked: CheckedFile | None = None,
    digitization: dict[str, Any] | None = None, notify: bool = False,
) -> Attachment:
    """Store a scan, a supplement or the result file of a dossier, checked by content; an ``attach`` event
    (``extra`` is added to the event's data, e.g. the data-warehouse document a file was reused from;
    ``digitization``: see :class:`NewFile`; ``notify``: send ``dossier_changed`` for the event, e.g. for the
    data warehouse to keep a certified copy)."""
    new = NewFile(file, name, kind, component, size, extra, checked, digitization)
    return attach_files(code, actor=actor, files=[new], now=now, notify=notify)[0]


def attach_files(code: str, *, actor: Actor, files: Sequence[NewFile], now: datetime | None = None,
                 notify: bool = False, on_behalf_of: Actor | None = None,
                 agency_id: int | None = None) -> list[Attachment]:
    """Store several files of one dossier in one operation (an online submission's documents): each checked by
    content first, then the dossier locked once, each file stored with its ``attach`` event; all or nothing.

    ``on_behalf_of``: the applicant for whom staff file (assisted filing): the files are added with her rights,
    while the events and the attachments name ``actor``, who uploaded them, for ``agency_id`` (theirs)."""
    applicant = on_behalf_of or actor
    dossier = Dossier.objects.filter(code=code).first()
    if dossier is None:
        raise DossierNotFound(code)
    if not files:
        return []
    for new in files:
        if new.kind not in AttachmentKind.values:
            raise MotCuaError("unknown_kind", _("Unknown file kind %(kind)s."), {"kind": new.kind[:20]}, "kind")
        if new.kind == AttachmentKind.CERTIFIED_COPY and "certification" not in (new.extra or {}):
            raise MotCuaError("certify_instead", _("A certified copy is made by certifying a component's file, "
                                                   "not uploaded."), location="kind")
    if dossier.status in TERMINAL:
        raise Conflict("dossier_closed", _("Dossier %(code)s is closed."), {"code": dossier.code})
    if not all(_may_attach(dossier, applicant, kind) for kind in {new.kind for new in files}):
        raise Forbidden("not_your_dossier", _("You may not add files to this dossier."))
    checked = [new.checked or check_upload(new.file, new.name, new.size) for new in files]
    attachments = []
    with atomic_with_files():  # the files are deleted again if this, or the operation it is part of, rolls back
        dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
        wanted = {new.component for new in files if new.component is not None}
        targets = {c.order: c for c in DossierComponent.objects.filter(dossier=dossier, order__in=wanted)}
        # staff adding a component's scan to a dossier already received (the API): digitized as it is stored
        digitize = dossier.received_at is not None and not is_applicant(dossier, applicant)
        earlier = earlier_files(dossier, [c.sha256 for n, c in zip(files, checked, strict=True)
                                          if n.digitization is None and n.kind in DIGITIZED_KINDS]) if digitize else {}
        for new, check in zip(files, checked, strict=True):
            target = None
            if new.component is not None:
                target = targets.get(new.component)
                if target is None:
                    raise MotCuaError("unknown_component", _("The procedure has no component number %(order)s."),
                                      {"order": new.component}, "component")
            attachment = Attachment(
                dossier=dossier, component=target, kind=new.kind, original_name=new.name[:255],
                content_type=check.content_type, size=check.size, sha256=check.sha256,
                uploaded_by_id=actor.user_id,
            )
            reader = HashingReader(new.file)
            attachment.file.save(new.name[:100], File(cast(IO[bytes], reader), name=new.name), save=False)
            path = attachment.file.name or ""
            stored(attachment.file.storage, path)
            written = reader.hexdigest() or digest_of(attachment.file.storage, path)
            if written != check.sha256:  # a draft's or warehouse file changed since it was checked, or a bad read
                raise FileAltered(alert(Subject(AlertSubject.ATTACHMENT, None, dossier.pk, dossier.receiving_agency_id),
                                        path, "the file being stored differs from the one checked", check.sha256,
                                        written or ""))
            attachment.save()
            data: dict[str, Any] = {"attachment": attachment.pk, "kind": new.kind, "name": new.name[:255],
                                    "sha256": check.sha256, "size": check.size, "component": new.component,
                                    **(new.extra or {})}
            metadata = new.digitization
            if metadata is None and digitize and new.kind in DIGITIZED_KINDS and target is not None:
                metadata = {**default_digitization(dossier), "reused_from": earlier.get(check.sha256),
                            "reused_document": None, "signed": False, "signer_certificate": ""}
            if metadata is not None:
                data["digitization"] = {**metadata, "digitized_by": actor.user_id}
                store_digitization(attachment, data["digitization"], by=actor.user_id, at=now_or(now))
            record(dossier, EventKind.ATTACH, actor=actor, at=now_or(now), notify=notify, data=data,
                   agency_id=agency_id)
            attachments.append(attachment)
    return attachments


def _may_attach(dossier: Dossier, actor: Actor, kind: str) -> bool:
    """Staff of the receiving point or the holder add files (results: the holder's signer or processing officer);
    the applicant of an online dossier adds its documents while it awaits reception, and supplements when asked."""
    if is_applicant(dossier, actor):
        return (kind == AttachmentKind.SCAN and dossier.status == Status.SUBMITTED) or (
            kind == AttachmentKind.SUPPLEMENT and dossier.status == Status.SUPPLEMENT_REQUESTED)
    if kind == AttachmentKind.RESULT:
        return bool(actor.roles_at(dossier.current_agency_id) & {Role.SIGNER, Role.PROCESSING})
    if kind == AttachmentKind.DRAFT:
        return may_draft_result(dossier, actor)
    return any(actor.roles_at(a) for a in (dossier.receiving_agency_id, dossier.current_agency_id))


