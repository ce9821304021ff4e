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
from datetime import datetime
from typing import IO, Any

from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from motcua.catalog.models import ResultTemplate
from motcua.core.calendar import VN_TZ
from motcua.core.errors import MotCuaError
from motcua.core.files import atomic_with_files
from motcua.core.uploads import check_upload
from motcua.dossiers import results
from motcua.dossiers.actors import Actor
from motcua.dossiers.errors import DossierNotFound, dossier_changed
from motcua.dossiers.integrity import read_verified
from motcua.dossiers.machine import authorize
from motcua.dossiers.models import (
    Attachment,
    AttachmentKind,
    Dossier,
    Event,
    IssuedResult,
    register_number,
    verification_code,
)
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
    data, source_name, template, generated = _source(dossier, file, name, size, attachment)
    signer = None
    if not presigned and b"/ByteRange" in data:
        raise IssueRefused("already_signed", _(
            "This file already carries a digital signature: issue it as a file signed elsewhere, or sign the "
            "unsigned draft."), location="file")
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
    with atomic_with_files():
        locked = Dossier.objects.select_for_update(of=("self",)).select_related("current_agency").get(pk=dossier.pk)
        if revision is not None and locked.revision != revision:
            raise dossier_changed(locked.code, locked.status)
        agency = locked.current_agency
        assert agency is not None
        book = (template.book if template is not None else "") or DEFAULT_BOOK
        year = timezone.localtime(now, VN_TZ).year
        number = results.take_result_number(agency.pk, book, year)
        code_v = verification_code()
        printed = register_number(number, year, book)
        title = _title(dossier, template)
        expiry = results.valid_until(template, now) if template is not None else None
        if template is not None and generated:  # a draft made from the template: the number printed in its body
            data = results.render_result(locked, template, number=printed, issued_at=now)
        if not presigned and data.startswith(b"%PDF-"):
            data = results.stamp_result(data, number_text=printed, qr_payload=results.qr_payload(
                dossier_code=dossier.code, procedure_code=dossier.procedure.code,
                applicant_id=dossier.applicant_id_number, document=title, issued_at=now, valid_until=expiry,
                verification_code=code_v, number=printed))
        if signer is not None:
            page, zone = results.signature_box(data)  # under "TM. …" of a rendered result; else bottom-right
            data = sign_pdf(data, signer=signer, pin=pin, seal=seal_for(agency), at=(page, zone[2], zone[3]),
                            reason=f"Ban hành kết quả hồ sơ {dossier.code}", location=agency.name)
        signed = presigned or signer is not None
        stored = attach_files(code, actor=actor, files=[NewFile(
            file=io.BytesIO(data), name=source_name, kind=AttachmentKind.RESULT, size=len(data),
            extra={"register_number": printed, "signed": signed})], now=now)[0]
        IssuedResult.objects.create(
            dossier=locked, attachment=stored, result=template.result if template is not None else None,
            name=title[:500], agency=agency, book=book, year=year, number=number, issued_at=now,
            valid_until=expiry, sha256=stored.sha256, signed=signed,
            signer_name=actor.name[:300] if signed else "", verification_code=code_v)
        issued = perform(code, EventKind.ISSUE_RESULT, actor=actor, now=now,
                         params={"note": note, "attachment": stored.pk})
        if issued.status == Status.RESULT_READY:
            issued = return_electronically(code, now=now)
    return issued


def _source(dossier: Dossier, file: IO[bytes] | None, name: str, size: int | None,
            attachment: int | None) -> tuple[bytes, str, ResultTemplate | None, bool]:
    """The bytes to issue, their file name, the result template they were drafted from (if any), and whether
    they are the template's own rendering (not a corrected upload)."""
    if file is not None:
        check_upload(file, name or "result", size)
        file.seek(0)
        return file.read(), name or "ket-qua.pdf", None, False
    drafts = Attachment.objects.filter(dossier=dossier, kind__in=[AttachmentKind.DRAFT, AttachmentKind.RESULT])
    drafts = drafts.filter(pk=attachment) if attachment is not None else drafts.filter(kind=AttachmentKind.DRAFT)
    draft = drafts.order_by("-pk").first()
    if draft is None and attachment is None:
        # no draft was made, but the procedure has a template: the result is drafted from it now
        template = ResultTemplate.objects.select_related("result").filter(
            version_id=dossier.version_id).order_by("order", "pk").first()
        if template is not None:
            name = f"{slugify(template.name) or 'ket-qua'}.pdf"
            return results.render_result(dossier, template), name, template, True
    if draft is None:
        raise IssueRefused("draft_required", _(
            "There is no draft result to sign: the processing officer generates it from the template (or uploads "
            "it), or choose the result file here."), location="file")
    data = read_verified(draft)  # never sign bytes that differ from what the chain recorded
    template, generated = _drafted_from(dossier, draft)
    return data, draft.original_name.replace("du-thao-", "", 1), template, generated


def _drafted_from(dossier: Dossier, draft: Attachment) -> tuple[ResultTemplate | None, bool]:
    """The template a draft came from, read from its ``attach`` event (a corrected upload: the latest template
    drafted before it, for its book and validity)."""
    drafted = [data for data in Event.objects.filter(dossier=dossier, action=EventKind.ATTACH,
                                                     data__kind=AttachmentKind.DRAFT).order_by("seq")
               .values_list("data", flat=True) if data.get("attachment", 0) <= draft.pk]
    this: dict[str, Any] = next((d for d in drafted if d.get("attachment") == draft.pk), {})
    template_id = next((d["template"] for d in reversed(drafted) if d.get("template")), None)
    template = ResultTemplate.objects.select_related("result").filter(
        pk=template_id, version_id=dossier.version_id).first() if template_id else None
    return template, bool(this.get("generated")) and this.get("template") == template_id


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


def _title(dossier: Dossier, template: ResultTemplate | None) -> str:
    if template is not None:  # the template's name: the document's title ("… (mỗi bên 01 bản chính)" is not)
        return str(template.name or (template.result.name_vi if template.result is not None else ""))
    first = dossier.version.results.first()
    return first.name_vi if first is not None else dossier.version.name_vi
