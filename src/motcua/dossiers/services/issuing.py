"""Issuing a result: :func:`issue_result` — the register number, the QR code of Circular 01/2023, the leader's
signature and the agency's seal, the file and the ``issue_result`` action, all in one transaction.

The result comes from the draft the processing officer generated from the procedure's template (or corrected and
uploaded again), or from a file the signer gives now. In order:

1. the signer's right to issue is checked (``machine.authorize``) before anything is read or stored;
2. the number is taken from the agency's register book for the year (gap-free: a failure gives it back);
3. the QR code and the number are stamped in the top-left corner of the first page (``dossiers.results``);
4. the leader signs with their own key and PIN, the agency's seal follows (``signing.sign_pdf``: certificates
   validated first, RFC 3161 timestamp) — an expired or revoked certificate, a wrong PIN or an unreachable
   timestamp authority stops here, and nothing is issued;
5. the signed file is attached (its sha-256 in the dossier's event chain), written in the register
   (:class:`~motcua.dossiers.models.IssuedResult`), and the action recorded;
6. a result the applicant asked to receive electronically is returned at once (``return_electronically``).

A result signed elsewhere (a leader's USB token in a desktop tool) is uploaded with ``presigned``: its signatures
must be intact and trusted; it is registered as it is (stamping would break them). A procedure that allows
unsigned results (``ProcedureVersion.unsigned_results_allowed``: a scan of a paper signed by hand) issues without
a PIN; every other procedure refuses to.
"""

from __future__ import annotations

import io
import secrets
from datetime import datetime
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import MotCuaError
from motcua.core.files import atomic_with_files
from motcua.core.uploads import check_upload
from motcua.dossiers import results
from motcua.dossiers.actors import Actor
from motcua.dossiers.errors import DossierNotFound, dossier_changed
from motcua.dossiers.machine import authorize
from motcua.dossiers.models import Attachment, AttachmentKind, Dossier, IssuedResult
from motcua.dossiers.services.actions import perform, return_electronically
from motcua.dossiers.services.base import now_or
from motcua.dossiers.services.files import NewFile, attach_files
from motcua.dossiers.statuses import EventKind, Status
from motcua.signing.services import identity_for, seal_for, sign_pdf, verify_pdf

DEFAULT_BOOK = "KQ"  # kết quả: the book of results whose procedure names none


class IssueRefused(MotCuaError):
    status = 422


def issue_result(
    code: str, *, actor: Actor, pin: str = "", file: IO[bytes] | None = None, name: str = "",
    size: int | None = None, attachment: int | None = None, presigned: bool = False, note: str = "",
    revision: int | None = None, now: datetime | None = None,
) -> Dossier:
    """Sign (with ``pin``) and issue the result of dossier ``code``: the latest draft, the result or draft file
    ``attachment``, or ``file``. See the module's docstring for the steps; all or nothing."""
    now = now_or(now)
    dossier = Dossier.objects.filter(code=code).select_related("version", "procedure").first()
    if dossier is None:
        raise DossierNotFound(code)
    authorize(dossier, EventKind.ISSUE_RESULT, actor)
    data, source_name, template = _source(dossier, file, name, size, attachment)
    signer = None
    if presigned:
        _check_presigned(data)
    elif pin:
        signer = identity_for(actor.user_id)
        if signer is None:
            raise IssueRefused("no_signing_identity", _(
                "You have no signing certificate in MotCua: ask the administrator to register your token or "
                "certificate, or upload a result you signed elsewhere."), location="pin")
    elif not dossier.version.unsigned_results_allowed:
        raise IssueRefused("signature_required", _(
            "This procedure's result must carry a digital signature: enter your PIN to sign it."), location="pin")
    elif not data.startswith(b"%PDF-") and file is not None:
        pass  # an unsigned scan: a JPEG or PNG is made a PDF by ``attach``
    with atomic_with_files():
        locked = Dossier.objects.select_for_update(of=("self",)).get(pk=dossier.pk)
        if revision is not None and locked.revision != revision:
            raise dossier_changed(locked.code, locked.status)
        agency_id = locked.current_agency_id
        assert agency_id is not None
        book = (template.book if template is not None and template.book else "") or _book(dossier)
        year = timezone.localdate(now).year
        number = results.take_result_number(agency_id, book, year)
        verification_code = secrets.token_urlsafe(12)
        register_number = f"{number}/{year}/{book}"
        title = _title(dossier, template)
        valid_until = results.valid_until(template, now) if template is not None else None
        if not presigned and data.startswith(b"%PDF-"):
            data = results.stamp_result(data, qr_payload=results.qr_payload(
                dossier, document=title, issued_at=now, valid_until=valid_until,
                verification_code=verification_code, register_number=register_number),
                number_text=register_number)
        if signer is not None:
            data = sign_pdf(data, signer=signer, pin=pin, seal=seal_for(agency_id),
                            reason=str(_("Issuing the result of dossier %(code)s") % {"code": dossier.code}),
                            location=locked.current_agency.name if locked.current_agency else "")
        signed = presigned or signer is not None
        stored = attach_files(code, actor=actor, files=[NewFile(
            file=io.BytesIO(data), name=source_name, kind=AttachmentKind.RESULT, size=len(data),
            extra={"register_number": register_number, "signed": signed})], now=now)[0]
        IssuedResult.objects.create(
            dossier=locked, attachment=stored, result=template.result if template is not None else None,
            name=title[:500], agency_id=agency_id, book=book, year=year, number=number, issued_at=now,
            valid_until=valid_until, sha256=stored.sha256, signed=signed,
            signer_name=actor.name[:300] if signer is not None else "", verification_code=verification_code)
        issued = perform(code, EventKind.ISSUE_RESULT, actor=actor, revision=locked.revision, now=now,
                         params={"note": note, "attachment": stored.pk})
        if issued.status == Status.RESULT_READY:
            issued = return_electronically(code, now=now)
    return issued


def _source(dossier: Dossier, file: IO[bytes] | None, name: str, size: int | None,
            attachment: int | None) -> tuple[bytes, str, Any]:
    """The bytes to issue, their file name, and the result template they were drafted from (if any)."""
    if file is not None:
        check_upload(file, name or "result", size)
        file.seek(0)
        return file.read(), name or "ket-qua.pdf", None
    drafts = Attachment.objects.filter(dossier=dossier, kind__in=[AttachmentKind.DRAFT, AttachmentKind.RESULT])
    if attachment is not None:
        drafts = drafts.filter(pk=attachment)
    else:
        drafts = drafts.filter(kind=AttachmentKind.DRAFT)
    draft = drafts.order_by("-pk").first()
    if draft is None:
        raise IssueRefused("draft_required", _(
            "There is no draft result to sign: the processing officer generates it from the template (or uploads "
            "it), or choose the result file here."), location="file")
    with draft.file.open("rb") as handle:
        data = handle.read()
    return data, draft.original_name, results.template_of(draft)


def _check_presigned(data: bytes) -> None:
    check = verify_pdf(data)
    if not check.signed:
        raise IssueRefused("upload_not_signed", _(
            "The file you gave as a signed result carries no digital signature."), location="file")
    if not check.intact:
        raise IssueRefused("upload_signature_altered", _(
            "The file you gave was changed after it was signed: its signature no longer matches."), location="file")
    if not check.trusted:
        raise IssueRefused("upload_signature_untrusted", _(
            "The file's signature was not made with a certificate MotCua trusts (or it is revoked or expired)."),
            location="file")


def _book(dossier: Dossier) -> str:
    return DEFAULT_BOOK


def _title(dossier: Dossier, template: Any) -> str:
    if template is not None:
        return str(template.result.name_vi if template.result is not None else template.name)
    first = dossier.version.results.first()
    return first.name_vi if first is not None else dossier.version.name_vi
