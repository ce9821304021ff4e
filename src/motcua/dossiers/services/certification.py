"""Certified electronic copies from the original (chứng thực bản sao điện tử từ bản chính, Decree 23/2015,
Decree 45/2020 art. 7): :func:`certify_copy`.

The reception officer of the receiving agency compares a component's scan with the original the applicant shows
and certifies it: the copy takes the next number of the agency's certification register for the book and year
(``core.counters.take_next``: gap-free, a rollback gives the number back), gets a last page with the
certification statement (number, book, date, officer), is stored as an ``attach`` of kind ``certified_copy``
(the certification in the event's data, so the chain holds it) and goes to the applicant's data warehouse
(``documents`` keeps it on ``dossier_changed``).
"""

from __future__ import annotations

import base64
import hashlib
import io
from datetime import date, datetime

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from motcua.agencies.models import Role
from motcua.core.counters import take_next
from motcua.core.errors import MotCuaError, NotFound
from motcua.core.files import atomic_with_files
from motcua.core.formats import vnd
from motcua.core.uploads import CheckedFile
from motcua.dossiers.actors import Actor
from motcua.dossiers.errors import Conflict, DossierNotFound
from motcua.dossiers.machine import Forbidden
from motcua.dossiers.models import Attachment, AttachmentKind, Certification, CertificationCounter, Dossier
from motcua.dossiers.services.base import now_or
from motcua.dossiers.services.files import attach
from motcua.dossiers.services.signatures import sign_as
from motcua.dossiers.statuses import TERMINAL

BOOK = "SCT-BS"  # the register of certified copies from originals (sổ chứng thực bản sao từ bản chính)
CERTIFIABLE_KINDS = (AttachmentKind.SCAN, AttachmentKind.SUPPLEMENT)
MAX_FEE = 10_000_000
CERTIFIED = "Chứng thực bản sao từ bản chính"  # the reason in the copy's signature (Vietnamese, as the copy is)


def may_certify(dossier: Dossier, actor: Actor) -> bool:
    """Whether ``actor`` may certify copies of ``dossier``'s components now: a reception officer of the agency
    that received it, once it is received and until it is closed."""
    return (Role.RECEPTION in actor.roles_at(dossier.receiving_agency_id) and dossier.received_at is not None
            and dossier.status not in TERMINAL)


def certify_copy(code: str, *, actor: Actor, attachment: int, fee: int = 0, book: str = BOOK, pin: str = "",
                 now: datetime | None = None) -> Certification:
    """Certify the component file ``attachment`` of dossier ``code`` as a copy of the original, in one
    transaction: register number, certified PDF (signed by the officer with ``pin``, when given: a signing
    failure gives the number back and keeps nothing), ``attach`` event, certification row."""
    dossier = Dossier.objects.filter(code=code).select_related("receiving_agency").first()
    if dossier is None:
        raise DossierNotFound(code)
    if Role.RECEPTION not in actor.roles_at(dossier.receiving_agency_id):
        raise Forbidden("not_certifying_officer",
                        _("Only the reception officers of %(agency)s certify copies of this dossier."),
                        {"agency": dossier.receiving_agency.name})
    if not may_certify(dossier, actor):
        raise Conflict("not_certifiable_now", _("Copies are certified once the dossier is received, until it is "
                                                "closed."))
    if not 0 <= fee <= MAX_FEE:
        raise MotCuaError("invalid_fee", _("The fee is a number of đồng from 0 to %(max)s."), {"max": MAX_FEE},
                          "fee")
    source = (Attachment.objects.filter(dossier=dossier, pk=attachment, kind__in=CERTIFIABLE_KINDS)
              .select_related("component").first())
    if source is None:
        raise NotFound("file_not_found", _("This dossier has no component file %(id)s."), {"id": attachment},
                       "attachment")
    with source.file.open("rb") as handle:
        content = handle.read()
    pages = _pages(source, content)
    at = now_or(now)
    day = timezone.localdate(at)
    with atomic_with_files():
        number = take_next(CertificationCounter, agency=dossier.receiving_agency, book=book, year=day.year)
        register_number = f"{number}/{day.year}/{book}"
        pdf = _certified_pdf(dossier, source, content, pages=pages, register_number=register_number, book=book,
                             day=day, officer=actor.name, fee=fee)
        certificate = ""
        if pin:
            signed = sign_as(actor, pdf, pin=pin, reason=CERTIFIED)
            pdf, certificate = signed.data, signed.certificate
        digest = hashlib.sha256(pdf).hexdigest()
        data = {"register_number": register_number, "book": book, "year": day.year, "number": number,
                "source": source.pk, "source_sha256": source.sha256, "pages": pages, "fee": fee,
                "signed": bool(certificate), "signer_certificate": certificate}
        copy = attach(dossier.code, actor=actor, file=io.BytesIO(pdf),
                      name=f"ban-sao-chung-thuc-{number}-{day.year}.pdf", kind=AttachmentKind.CERTIFIED_COPY,
                      component=source.component.order if source.component is not None else None, now=at,
                      extra={"certification": data}, checked=CheckedFile("application/pdf", len(pdf), digest),
                      notify=True)
        assert actor.user_id is not None
        return Certification.objects.create(
            agency=dossier.receiving_agency, book=book, year=day.year, number=number, dossier=dossier,
            source=source, copy=copy, pages=pages, fee=fee, certified_by_id=actor.user_id, certified_at=at,
            signed=bool(certificate), signer_certificate=certificate,
        )


def _pages(source: Attachment, content: bytes) -> int:
    if source.content_type != "application/pdf":
        return 1
    try:
        return len(PdfReader(io.BytesIO(content)).pages)
    except PyPdfError:  # checked when it was uploaded; a file that cannot be read now is not certified
        raise MotCuaError("unreadable_file", _("This file cannot be read; it cannot be certified."),
                          location="attachment") from None


def _certified_pdf(dossier: Dossier, source: Attachment, content: bytes, *, pages: int, register_number: str,
                   book: str, day: date, officer: str, fee: int) -> bytes:
    """The copy (the scan's pages, or the image on a page) followed by the certification statement's page."""
    from weasyprint import HTML, URLFetcher  # WeasyPrint loads its fonts and Pango when imported: only here

    image = "" if source.content_type == "application/pdf" else (
        f"data:{source.content_type};base64,{base64.b64encode(content).decode()}")
    html = render_to_string("dossiers/certification/statement.html", {
        "image": image, "agency": dossier.receiving_agency.name, "register_number": register_number, "book": book,
        "year": day.year, "month": day.month, "day": day.day,
        "document": source.component.name if source.component is not None else source.original_name,
        "pages": pages, "dossier_code": dossier.code, "officer": officer, "fee": vnd(fee) if fee else "",
        "place": "",
    })
    statement = bytes(HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=["data"])).write_pdf())
    if image:
        return statement
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(content)))
    writer.append(PdfReader(io.BytesIO(statement)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
