"""Checking a result, for anyone: the public page ``/xac-thuc/`` and ``/api/v1/verify``.

A person holding a result — the paper with its QR code, the number printed on it, or the PDF itself — asks
whether it is genuine. :func:`check_issued` answers for a result of the register (found by the verification code
of its QR, or by its register number): it reads the file the register holds (checked against the dossier's
event chain first: ``dossiers.integrity``) and validates its signatures. :func:`check_file` answers for a PDF
someone brings: its signatures, and whether it is byte for byte a file the register holds.

Only what is needed to compare with the paper is shown: the document, the issuing agency, the number, the dates,
the holder's name with the given names reduced to initials — never an ID number, an address or a phone.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from motcua.dossiers.integrity import FileAltered, read_verified
from motcua.dossiers.models import IssuedResult
from motcua.signing.services import PdfVerification, verify_pdf

NUMBER = re.compile(r"^\s*(?P<number>\d{1,9})\s*/\s*(?P<year>\d{4})\s*/\s*(?P<book>[^/\s]{1,20})\s*$")
CODE = re.compile(r"^[A-Za-z0-9_-]{8,40}$")


class Verdict(StrEnum):
    VALID = "valid"
    VALID_NOT_REGISTERED = "valid_not_registered"
    ALTERED = "altered"
    UNSIGNED = "unsigned"
    UNTRUSTED = "untrusted"
    STORAGE_ALTERED = "storage_altered"
    NOT_A_PDF = "not_a_pdf"
    CHOOSE = "choose"  # several agencies issued a result with this number: the person picks the one on the paper


VERDICT_LABELS = {
    Verdict.VALID: _("Valid: signed, intact, and the very file the register holds"),
    Verdict.VALID_NOT_REGISTERED: _("Signed and intact, but not a file this register holds"),
    Verdict.ALTERED: _("Altered after it was signed"),
    Verdict.UNSIGNED: _("Not signed"),
    Verdict.UNTRUSTED: _("Signed, but the signature cannot be trusted"),
    Verdict.STORAGE_ALTERED: _("The stored copy was altered: it is not shown, and the agency has been alerted"),
    Verdict.NOT_A_PDF: _("Not a PDF file"),
    Verdict.CHOOSE: _("Several agencies issued a result with this number: open the one printed on your paper"),
}


@dataclass(frozen=True)
class PublicResult:
    """What the register says of a result, as much as a stranger may see."""

    document: str
    agency: str
    register_number: str
    issued_at: datetime
    valid_until: date | None
    holder: str
    dossier_code: str
    procedure_code: str
    signed: bool
    verification_code: str  # the address of its own check (/xac-thuc/<code>/), as printed under its QR code


@dataclass(frozen=True)
class ResultCheck:
    verdict: Verdict
    result: PublicResult | None = None
    pdf: PdfVerification | None = None
    matches_register: bool | None = None
    sha256: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.verdict == Verdict.VALID

    @property
    def label(self) -> str:
        return str(VERDICT_LABELS[self.verdict])


def initials(name: str) -> str:
    """``Nguyễn Thị Hương`` → ``Nguyễn T. H.``: enough to compare with the paper, not a full name to collect."""
    words = name.split()
    if len(words) <= 1:
        return (words[0][:1] + ".") if words else ""
    return " ".join([words[0], *(w[:1] + "." for w in words[1:])])


def _public(issued: IssuedResult) -> PublicResult:
    dossier = issued.dossier
    return PublicResult(
        document=issued.name, agency=issued.agency.name, register_number=issued.register_number,
        issued_at=issued.issued_at, valid_until=issued.valid_until,
        holder=initials(dossier.applicant_name) if dossier.applicant_kind == "person" else dossier.applicant_name,
        dossier_code=dossier.code, procedure_code=dossier.procedure.code, signed=issued.signed,
        verification_code=issued.verification_code,
    )


def _register() -> QuerySet[IssuedResult]:
    return IssuedResult.objects.select_related("agency", "dossier", "dossier__procedure", "attachment")


def lookup(text: str) -> list[IssuedResult]:
    """The register's results answering ``text``: a verification code (the QR's), or a register number
    ``12/2026/GP`` (numbered per agency, so several agencies may answer it)."""
    text = (text or "").strip()[:60]
    rows = _register()
    match = NUMBER.match(text)
    if match:
        return list(rows.filter(number=int(match["number"]), year=int(match["year"]),
                                book__iexact=match["book"]).order_by("agency__name")[:10])
    if CODE.match(text):
        return list(rows.filter(verification_code=text)[:1])
    return []


def _verdict(pdf: PdfVerification) -> Verdict:
    if not pdf.signed:
        return Verdict.UNSIGNED
    if not pdf.intact:
        return Verdict.ALTERED
    if not pdf.trusted or not pdf.valid:
        return Verdict.UNTRUSTED
    return Verdict.VALID


def check_text(text: str) -> list[ResultCheck]:
    """The answer to a typed number or code: the one result it names, checked; or, when several agencies' books
    have that number, the list to choose from — each opens its own check (a stranger's one request never reads
    and validates several files)."""
    found = lookup(text)
    if len(found) == 1:
        return [check_issued(found[0])]
    return [ResultCheck(Verdict.CHOOSE, _public(issued)) for issued in found]


def check_issued(issued: IssuedResult) -> ResultCheck:
    """The result the register holds: its stored file checked against the chain, then its signatures."""
    public = _public(issued)
    try:
        data = read_verified(issued.attachment)
    except FileAltered:
        return ResultCheck(Verdict.STORAGE_ALTERED, public, matches_register=False)
    pdf = verify_pdf(data)
    verdict = _verdict(pdf)
    if not issued.signed and verdict == Verdict.UNSIGNED:
        # a result the procedure let the agency issue unsigned (a scan of the paper signed by hand)
        return ResultCheck(Verdict.UNSIGNED, public, pdf, True, pdf.sha256)
    return ResultCheck(verdict, public, pdf, pdf.sha256 == issued.sha256, pdf.sha256, list(_problems(pdf)))


def check_file(data: bytes) -> ResultCheck:
    """A PDF someone brings: its signatures, and whether the register holds exactly this file."""
    sha256 = hashlib.sha256(data).hexdigest()
    if not data.startswith(b"%PDF-") and b"%PDF-" not in data[:1024]:
        return ResultCheck(Verdict.NOT_A_PDF, sha256=sha256)
    pdf = verify_pdf(data)
    issued = _register().filter(sha256=sha256).first()
    public = _public(issued) if issued is not None else None
    verdict = _verdict(pdf)
    if verdict == Verdict.VALID and issued is None:
        verdict = Verdict.VALID_NOT_REGISTERED
    return ResultCheck(verdict, public, pdf, issued is not None, sha256, list(_problems(pdf)))


def _problems(pdf: PdfVerification) -> list[str]:
    return [problem for signature in pdf.signatures for problem in signature.problems]
