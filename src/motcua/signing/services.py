"""Signing and checking PDF documents (PAdES), and sealing digests.

- :func:`sign_pdf`: a person's signature, then the agency's seal, each an incremental PAdES signature (B-T with an
  RFC 3161 timestamp, B-LT with the revocation data embedded) with the visible appearance of Decree 30/2020
  (Nghị định 30/2020/NĐ-CP, Phụ lục I: the signer's image and name, the agency, the time; the red seal overlapping
  the left third of the signature). The certificates are checked first (chain, validity, revocation): any
  failure is a :class:`SigningError` and nothing is returned.
- :func:`system_sign_pdf`: the system's own seal (slips, e-receipts).
- :func:`verify_pdf`: what anyone may learn about a PDF (signed, intact, trusted, who, when); never raises.
- :func:`seal_digest` / :func:`check_digest_seal`: a detached, timestamped CMS signature over a digest (the daily
  seal of the audit chain heads).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from asn1crypto import cms, pem, tsp, x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from PIL import Image
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.font.basic import SimpleFontEngineFactory
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko.sign.validation.status import ModificationLevel, SignatureCoverageLevel
from pyhanko.stamp import StaticStampStyle, TextStampStyle
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError,
    InsufficientRevinfoError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
    ValidationError,
)
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend
from requests.exceptions import RequestException

from motcua.agencies.models import Agency
from motcua.signing.backends import open_signer
from motcua.signing.errors import SigningError
from motcua.signing.images import signature_appearance, text_left
from motcua.signing.models import Backend, Purpose, SigningIdentity

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)
VN_TIME = timezone(timedelta(hours=7))
SIGNATURE_BOX = (230, 80)  # width, height in points (1/72 in)
SEAL_SIZE = 84
MARGIN = 36

# Problems verify_pdf reports, by code (the page shows the text).
PROBLEMS = {
    "not_a_pdf": _("The file is not a PDF document."),
    "unsigned": _("The document carries no digital signature."),
    "digest_mismatch": _("The document was changed after it was signed: the signature does not match its "
                         "content."),
    "modified_after_signing": _("Content was added to the document after this signature."),
    "not_last_revision": _("This signature does not cover the whole file."),
    "untrusted": _("The signer's certificate was not issued by a trusted certification authority."),
    "revoked": _("The signer's certificate was revoked."),
    "revocation_unknown": _("Whether the signer's certificate was revoked could not be established."),
    "no_timestamp": _("The signature carries no timestamp from a timestamp authority."),
    "timestamp_invalid": _("The signature's timestamp is not valid."),
    "unreadable_signature": _("A signature could not be read."),
    "trailing_data": _("Bytes were appended to the document after it was signed."),
}


# --- identities ---------------------------------------------------------------------------------------------


def identity_for(user_id: int | None) -> SigningIdentity | None:
    """The active personal signing identity of the user ``user_id``, if any (one query)."""
    if not user_id:
        return None
    return (SigningIdentity.objects.filter(purpose=Purpose.PERSONAL, user_id=user_id, active=True)
            .order_by("-not_after", "-pk").first())


def seal_for(agency: Agency) -> SigningIdentity | None:
    """The active seal of ``agency``, if any."""
    return (SigningIdentity.objects.filter(purpose=Purpose.SEAL, agency=agency, active=True)
            .order_by("-not_after", "-pk").first())


def system_seal() -> SigningIdentity | None:
    """The system's own seal (slips, e-receipts, the audit chain's daily seal)."""
    return SigningIdentity.objects.filter(purpose=Purpose.SYSTEM, active=True).order_by("-not_after", "-pk").first()


def describe_certificate(pem_or_der: bytes) -> dict[str, Any]:
    """The fields of :class:`SigningIdentity` that come from its certificate (subject, issuer, serial, validity)."""
    cert = _load_cert(pem_or_der)
    return {
        "certificate_pem": _pem(cert).decode(),
        "subject_name": _name(cert.subject, "common_name"),
        "issuer_name": _name(cert.issuer, "common_name"),
        "serial": format(cert.serial_number, "x"),
        "not_before": cert.not_valid_before,
        "not_after": cert.not_valid_after,
    }


def register_pkcs12(path: Path, pin: str, *, purpose: str, user: User | None = None, agency: Agency | None = None,
                    image: str = "") -> SigningIdentity:
    """The identity of ``purpose`` for ``user``/``agency`` (the system's when neither), now with the PKCS#12 file
    at ``path`` (its certificate read with ``pin``, never its key); created or updated."""
    try:
        _key, cert, _chain = pkcs12.load_key_and_certificates(path.read_bytes(), pin.encode())
    except OSError as exc:
        raise SigningError("key_unavailable", detail=f"{path.name}: {exc.strerror}") from exc
    except ValueError as exc:
        raise SigningError("wrong_pin") from exc
    if cert is None:
        raise SigningError("key_unavailable", detail=path.name)
    identity, _created = SigningIdentity.objects.update_or_create(
        purpose=purpose, user=user, agency=agency, backend=Backend.PKCS12,
        defaults={"reference": {"path": str(path)}, "image": image, "active": True,
                  **describe_certificate(cert.public_bytes(Encoding.DER))},
    )
    return identity


# --- trust ----------------------------------------------------------------------------------------------------


_roots_lock = threading.Lock()
_roots: dict[tuple[str, ...], list[x509.Certificate]] = {}


def trust_roots() -> list[x509.Certificate]:
    """The certificates of ``MOTCUA_TRUST_ROOTS`` (read once per process and list of files)."""
    key = tuple(settings.MOTCUA_TRUST_ROOTS)
    with _roots_lock:
        if key not in _roots:
            certs = []
            for path in key:
                try:
                    certs += _read_certs(Path(path).read_bytes())
                except OSError:
                    continue
            _roots[key] = certs
        return _roots[key]


def validation_context(*, fetch: bool = True, hard: bool = True) -> ValidationContext:
    return ValidationContext(
        trust_roots=trust_roots(), allow_fetching=fetch,
        revocation_mode="hard-fail" if hard else "soft-fail",
        fetcher_backend=RequestsFetcherBackend(per_request_timeout=settings.MOTCUA_SIGNING_TIMEOUT),
    )


@dataclass
class _Ready:
    """A key unlocked and a certificate checked: reused for ``MOTCUA_SIGNING_CHECK_SECONDS``."""

    signer: signers.Signer
    context: ValidationContext
    checked_at: float
    image: Image.Image | None
    appearance: Image.Image
    # the room a signature by this key takes (learnt from its first one): pyHanko otherwise signs twice, once to
    # measure; by kind (a seal's appearance differs), None while unknown
    reserved: dict[bool, int | None] = dataclasses.field(default_factory=dict)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)


_ready_lock = threading.Lock()
_ready: dict[tuple[Any, ...], _Ready] = {}


def _ready_key(identity: SigningIdentity, pin: str) -> tuple[Any, ...]:
    return (identity.pk, identity.backend, repr(sorted(identity.reference.items())), identity.image,
            hashlib.sha256(pin.encode()).hexdigest(), tuple(settings.MOTCUA_TRUST_ROOTS))


def _prepare(identity: SigningIdentity, pin: str) -> _Ready:
    """The identity's signer, its certificate checked now or a short while ago (cached per process)."""
    key = _ready_key(identity, pin)
    with _ready_lock:
        ready = _ready.get(key)
    if ready and time.monotonic() - ready.checked_at < settings.MOTCUA_SIGNING_CHECK_SECONDS:
        return ready
    signer = open_signer(identity, pin)
    cert = signer.signing_cert
    if cert is None:
        raise SigningError("key_unavailable", detail=str(identity))
    context = validation_context()
    check_certificate(cert, signer.cert_registry, context)
    image = None
    if identity.image:
        try:
            with Image.open(identity.image) as img:
                image = img.convert("RGBA")
        except OSError:
            image = None
    appearance = signature_appearance(image, _name(cert.subject, "common_name"),
                                      _name(cert.subject, "organization_name") or "—", SIGNATURE_BOX)
    ready = _Ready(signer=signer, context=context, checked_at=time.monotonic(), image=image, appearance=appearance)
    with _ready_lock:
        _ready[key] = ready
    return ready


def check_certificate(cert: x509.Certificate, others: Any, context: ValidationContext) -> None:
    """Chain to a trust root, validity now, revocation (OCSP or CRL, fetched): a :class:`SigningError` if not."""
    validator = CertificateValidator(cert, intermediate_certs=list(others), validation_context=context)
    try:
        asyncio.run(validator.async_validate_usage({"non_repudiation"}))
    except ExpiredError as exc:
        raise SigningError("certificate_expired", date=exc.expired_dt.astimezone(VN_TIME)) from exc
    except NotYetValidError as exc:
        raise SigningError("certificate_not_yet_valid", date=exc.valid_from.astimezone(VN_TIME)) from exc
    except RevokedError as exc:
        raise SigningError("certificate_revoked", date=exc.revocation_dt.astimezone(VN_TIME)) from exc
    except InsufficientRevinfoError as exc:
        raise SigningError("revocation_unreachable") from exc
    except (PathBuildingError, PathValidationError, ValidationError) as exc:
        raise SigningError("certificate_untrusted", detail=str(exc)[:200]) from exc


def forget_signers() -> None:
    """Drop the keys kept unlocked (after a PIN or certificate change; tests)."""
    with _ready_lock:
        _ready.clear()
    with _roots_lock:
        _roots.clear()
    with _verify_lock:
        _verify_context.clear()


# --- signing --------------------------------------------------------------------------------------------------


def sign_pdf(data: bytes, *, signer: SigningIdentity, pin: str, seal: SigningIdentity | None = None,
             seal_pin: str | None = None, reason: str = "", location: str = "",
             field_prefix: str = "MotCua", at: tuple[int, float, float] | None = None) -> bytes:
    """``data`` signed by ``signer`` (unlocked with ``pin``) and, if given, sealed by ``seal``.

    The seal's PIN defaults to ``MOTCUA_SEAL_PIN``. ``at``: (page index, right edge, top edge) in points, where the
    document leaves room for the signature (under "TM. …" of a rendered result); by default the bottom-right
    corner of the last page. Raises :class:`SigningError`; returns nothing half-signed.
    """
    reader = _reader(data)
    person = _prepare(signer, pin)
    sealer = _prepare(seal, settings.MOTCUA_SEAL_PIN if seal_pin is None else seal_pin) if seal else None
    _refuse_signed_again(reader, [r.signer for r in (person, sealer) if r])
    existing = _signature_fields(reader)
    number = len(existing) + 1
    # a document signed before (another signer, a later seal) gets this signature above the earlier ones
    row = sum(1 for name, *_rest in existing if "Seal" not in str(name))
    page = -1
    if at is not None and row == 0:
        page, x2, top = at
        box = (x2 - SIGNATURE_BOX[0], top - SIGNATURE_BOX[1], x2, top)
    else:
        page_box = _last_page_box(reader)
        x2, y1 = page_box[2] - MARGIN, page_box[1] + MARGIN + row * (SIGNATURE_BOX[1] + 12)
        box = (x2 - SIGNATURE_BOX[0], y1, x2, y1 + SIGNATURE_BOX[1])
    signed = _sign_once(data, person, field_name=f"{field_prefix}Signature{number}", box=box, seal=False,
                        reason=reason, location=location, page=page)
    if sealer is None:
        return signed
    cx, cy = box[0] + SIGNATURE_BOX[0] / 6, box[1] + SIGNATURE_BOX[1] / 2
    seal_box = (cx - SEAL_SIZE / 2, cy - SEAL_SIZE / 2, cx + SEAL_SIZE / 2, cy + SEAL_SIZE / 2)
    return _sign_once(signed, sealer, field_name=f"{field_prefix}Seal{number + 1}", box=seal_box, seal=True,
                      reason=reason, location=location, page=page)


def system_sign_pdf(data: bytes, *, reason: str) -> bytes:
    """``data`` sealed by the system's own seal (PIN: ``MOTCUA_SYSTEM_SEAL_PIN``), e.g. a slip or an e-receipt."""
    identity = system_seal()
    if identity is None:
        raise SigningError("no_identity", who=_("the system seal"))
    reader = _reader(data)
    ready = _prepare(identity, settings.MOTCUA_SYSTEM_SEAL_PIN)
    _refuse_signed_again(reader, [ready.signer])
    number = len(_signature_fields(reader)) + 1
    page_box = _last_page_box(reader)
    x2, y1 = page_box[2] - MARGIN, page_box[1] + MARGIN
    box = (x2 - SEAL_SIZE, y1, x2, y1 + SEAL_SIZE)
    return _sign_once(data, ready, field_name=f"MotCuaSystemSeal{number}", box=box, seal=True, reason=reason,
                      location="")


def seal_document(data: bytes, *, reason: str) -> bytes:
    """A document MotCua makes for a citizen (a slip, an e-receipt) sealed by the system seal: its origin can be
    checked like a result's. Without a system seal, or when sealing fails (the timestamp authority is down), the
    document is given unsealed rather than refused — it is a copy of what the log holds — and the failure logged."""
    try:
        return system_sign_pdf(data, reason=reason)
    except SigningError as exc:
        if exc.code != "no_identity":
            logger.warning("A document was given without the system seal: %s", exc.code)
        return data


_http = threading.local()


class _TimeStamper(RequestsHTTPTimeStamper):
    """pyHanko's RFC 3161 client, with one HTTP session per thread: a new session per request builds a new TLS
    context (reading the CA bundle) each time, several times the cost of the signature itself."""

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        session = getattr(_http, "session", None)
        if session is None:
            session = _http.session = requests.Session()
        try:
            answer = session.post(self.url, req.dump(), headers=self.request_headers(), auth=self.auth,
                                  timeout=self.timeout)
        except OSError as exc:
            raise timestamps.TimestampRequestError("Error in communication with timestamp server") from exc
        if answer.headers.get("Content-Type") != "application/timestamp-reply":
            raise timestamps.TimestampRequestError("Timestamp server response is malformed.", answer)
        return tsp.TimeStampResp.load(answer.content)


_timestampers: dict[tuple[str, int], _TimeStamper] = {}


def _timestamper() -> RequestsHTTPTimeStamper:
    """One client per TSA and process: it keeps the dummy token pyHanko sizes signatures with (else each
    signature asks the TSA twice)."""
    key = (settings.MOTCUA_TSA_URL, int(settings.MOTCUA_SIGNING_TIMEOUT))
    stamper = _timestampers.get(key)
    if stamper is None:
        stamper = _timestampers[key] = _TimeStamper(key[0], timeout=key[1])
    return stamper


def _sign_once(data: bytes, ready: _Ready, *, field_name: str, box: tuple[float, float, float, float],
               seal: bool, reason: str, location: str, page: int = -1) -> bytes:
    when = datetime.now(VN_TIME)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None, location=location or None, embed_validation_info=True,
        validation_context=ready.context, use_pades_lta=False,
    )
    style: StaticStampStyle | TextStampStyle
    if seal:
        image = PdfImage(ready.image) if ready.image is not None else None
        style = StaticStampStyle(background=image, border_width=0, background_opacity=1.0,
                                 background_layout=layout.SimpleBoxLayoutRule(
                                     x_align=layout.AxisAlignment.ALIGN_MID, y_align=layout.AxisAlignment.ALIGN_MID,
                                     margins=layout.Margins.uniform(0)))
    else:
        style = TextStampStyle(
            stamp_text="%(when)s", border_width=0, background=PdfImage(ready.appearance), background_opacity=1.0,
            background_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN, y_align=layout.AxisAlignment.ALIGN_MIN,
                margins=layout.Margins.uniform(0)),
            text_box_style=TextBoxStyle(font=SimpleFontEngineFactory.default_factory(), font_size=7, leading=9),
            inner_content_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN, y_align=layout.AxisAlignment.ALIGN_MIN,
                margins=layout.Margins(left=text_left(SIGNATURE_BOX[0]), bottom=5)),
        )
    pdf_signer = signers.PdfSigner(
        meta, ready.signer, timestamper=_timestamper(), stamp_style=style,
        new_field_spec=fields.SigFieldSpec(field_name, on_page=page,
                                           box=(round(box[0]), round(box[1]), round(box[2]), round(box[3]))),
    )
    output = BytesIO()
    params = {"when": when.strftime("%d/%m/%Y %H:%M:%S +07:00")}
    try:
        writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
        with ready.lock:  # one signature at a time per key (a token's session, pyHanko's caches)
            reserved = ready.reserved.get(seal)
            try:
                pdf_signer.sign_pdf(writer, output=output, appearance_text_params=params, bytes_reserved=reserved)
            except PyHankoSigningError:
                if reserved is None:
                    raise
                # the signature outgrew the room learnt (e.g. the TSA's answer grew): measure again, once
                ready.reserved.pop(seal, None)
                writer, output = IncrementalPdfFileWriter(BytesIO(data), strict=False), BytesIO()
                pdf_signer.sign_pdf(writer, output=output, appearance_text_params=params)
            if seal not in ready.reserved:
                ready.reserved[seal] = _reserved_size(output.getvalue())
    except SigningError:
        raise
    except RequestException as exc:
        raise SigningError("tsa_unreachable", url=settings.MOTCUA_TSA_URL) from exc
    except (PyHankoSigningError, timestamps.TimestampRequestError) as exc:
        raise _signing_failure(exc) from exc
    except PdfError as exc:  # e.g. an encrypted document
        raise SigningError("not_a_pdf") from exc
    except Exception as exc:  # whatever else: nothing is returned, the cause is logged
        logger.exception("signing %s failed", field_name)
        raise _signing_failure(exc) from exc
    return output.getvalue()


def _reserved_size(signed: bytes) -> int | None:
    """The room pyHanko reserved for the last signature of ``signed`` (its /Contents placeholder, in hexadecimal
    digits, as ``bytes_reserved`` counts), to reserve as much for the next ones by the same key."""
    start = signed.rfind(b"/Contents <")
    end = signed.find(b">", start + 11) if start >= 0 else -1
    return end - start - 11 if end > 0 else None


def _signing_failure(exc: Exception) -> SigningError:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, SigningError):  # a backend's own refusal, wrapped by pyHanko
            return cause
        if isinstance(cause, (RequestException, timestamps.TimestampRequestError)):
            return SigningError("tsa_unreachable", url=settings.MOTCUA_TSA_URL)
        if isinstance(cause, ExpiredError):
            return SigningError("certificate_expired", date=cause.expired_dt.astimezone(VN_TIME))
        if isinstance(cause, RevokedError):
            return SigningError("certificate_revoked", date=cause.revocation_dt.astimezone(VN_TIME))
        if isinstance(cause, InsufficientRevinfoError):
            return SigningError("revocation_unreachable")
        if isinstance(cause, (PathBuildingError, PathValidationError)):
            return SigningError("certificate_untrusted", detail=str(cause)[:200])
        cause = cause.__cause__ or cause.__context__
    return SigningError("signing_failed", detail=type(exc).__name__)


def _reader(data: bytes) -> PdfFileReader:
    if b"%PDF-" not in data[:1024]:  # the header may follow a little junk (ISO 32000-1, 7.5.2 note)
        raise SigningError("not_a_pdf")
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        reader.root["/Pages"]  # noqa: B018 - a PDF without pages cannot be signed
    except Exception as exc:  # noqa: BLE001 - any failure to read means the same: not a PDF we can sign
        raise SigningError("not_a_pdf") from exc
    return reader


def _signature_fields(reader: PdfFileReader) -> list[Any]:
    try:
        return list(fields.enumerate_sig_fields(reader, filled_status=None))
    except Exception:  # noqa: BLE001 - a broken form counts as no fields
        return []


def _refuse_signed_again(reader: PdfFileReader, keys: list[signers.Signer]) -> None:
    """``already_signed`` when the document carries a signature by one of these certificates, or is certified
    with no changes allowed (a final signature)."""
    own = {(c.issuer.dump(), c.serial_number) for c in (s.signing_cert for s in keys) if c is not None}
    try:
        embedded = reader.embedded_regular_signatures
    except Exception:  # noqa: BLE001 - unreadable signatures are the verifier's business, not a refusal
        return
    for sig in embedded:
        try:
            cert = sig.signer_cert
            if (cert.issuer.dump(), cert.serial_number) in own:
                raise SigningError("already_signed")
            if sig.docmdp_level is not None and sig.docmdp_level.value == 1:
                raise SigningError("already_signed")
        except SigningError:
            raise
        except Exception:  # noqa: BLE001, S112 - see above
            continue


def _last_page_box(reader: PdfFileReader) -> tuple[float, float, float, float]:
    page_ref, _ = reader.find_page_for_modification(-1)
    page = page_ref.get_object()
    while page is not None:
        if "/MediaBox" in page:
            box = [float(v) for v in page["/MediaBox"]]
            return (min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3]))
        parent = page.get("/Parent")
        page = parent.get_object() if isinstance(parent, generic.IndirectObject) else parent
    return (0.0, 0.0, 595.0, 842.0)  # A4


# --- verifying ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureCheck:
    field: str
    signer_name: str
    organization: str
    issuer_name: str
    serial: str
    signing_time: datetime | None
    timestamp_time: datetime | None
    intact: bool
    trusted: bool
    revocation: str  # "good" | "revoked" | "unknown"
    covers_whole_file: bool
    kind: str  # "signature" | "seal"
    problems: list[str] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class PdfVerification:
    signed: bool
    intact: bool
    trusted: bool
    valid: bool
    sha256: str
    signatures: list[SignatureCheck] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)


def verify_pdf(data: bytes) -> PdfVerification:
    """What the signatures of ``data`` say; never raises (garbage is "not signed")."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        reader = _reader(data)
        embedded = list(reader.embedded_regular_signatures)
    except Exception:  # noqa: BLE001 - whatever the input, an answer
        return PdfVerification(signed=False, intact=False, trusted=False, valid=False, sha256=digest,
                               problems=["not_a_pdf"])
    if not embedded:
        return PdfVerification(signed=False, intact=False, trusted=False, valid=False, sha256=digest,
                               problems=["unsigned"])
    checks = [_check_signature(sig, last=i == len(embedded) - 1) for i, sig in enumerate(embedded)]
    problems = sorted({p for c in checks for p in c.problems})
    if not data.rstrip(b"\r\n\t \x00").endswith(b"%%EOF"):
        problems.append("trailing_data")  # bytes after the end of the last revision: not the file that was signed
    intact = (all(c.intact for c in checks) and "not_last_revision" not in checks[-1].problems
              and "trailing_data" not in problems)
    trusted = all(c.trusted for c in checks)
    return PdfVerification(signed=True, intact=intact, trusted=trusted,
                           valid=intact and trusted and all(c.revocation == "good" for c in checks),
                           sha256=digest, signatures=checks, problems=problems)


_verify_lock = threading.Lock()
_verify_context: list[tuple[float, tuple[str, ...], ValidationContext]] = []


def _verification_context() -> ValidationContext:
    """One validation context shared by verifications for ``MOTCUA_SIGNING_CHECK_SECONDS`` (hold
    ``_verify_lock``): the OCSP responses and CRLs it fetched serve the next documents too."""
    key, now = tuple(settings.MOTCUA_TRUST_ROOTS), time.monotonic()
    if not _verify_context or _verify_context[0][1] != key or \
            now - _verify_context[0][0] >= settings.MOTCUA_SIGNING_CHECK_SECONDS:
        _verify_context[:] = [(now, key, validation_context())]
    return _verify_context[0][2]


def _check_signature(sig: Any, *, last: bool) -> SignatureCheck:
    """One signature: its digest, what was changed after it (after the last one, only DSS and timestamps may
    follow), its certificate's chain and revocation (embedded or fetched), its timestamp."""
    name = str(sig.field_name or "")
    kind = "seal" if "Seal" in name else "signature"
    try:
        cert = sig.signer_cert
        with _verify_lock:
            status = validate_pdf_signature(sig, signer_validation_context=_verification_context())
    except Exception:  # noqa: BLE001 - a signature that cannot even be read is simply not valid
        return SignatureCheck(field=name, signer_name="", organization="", issuer_name="", serial="",
                              signing_time=None, timestamp_time=None, intact=False, trusted=False,
                              revocation="unknown", covers_whole_file=False, kind=kind,
                              problems=["unreadable_signature"])
    problems = []
    level = status.modification_level
    digest_ok = bool(status.intact and status.valid)
    if not digest_ok:
        problems.append("digest_mismatch")
    if level is None or level == ModificationLevel.OTHER or status.docmdp_ok is False:
        problems.append("modified_after_signing")
    elif last and level not in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES):
        problems.append("not_last_revision")
    revocation = "good" if status.trusted else "unknown"
    if status.revocation_details is not None:
        revocation = "revoked"
        problems.append("revoked")
    elif not status.trusted:
        problems.append("untrusted")
    ts = status.timestamp_validity
    problems += _timestamp_problems(status)
    return SignatureCheck(
        field=name, signer_name=_name(cert.subject, "common_name"),
        organization=_name(cert.subject, "organization_name"), issuer_name=_name(cert.issuer, "common_name"),
        serial=format(cert.serial_number, "x"), signing_time=status.signer_reported_dt,
        timestamp_time=ts.timestamp if ts is not None else None,
        intact=digest_ok and "modified_after_signing" not in problems,
        trusted=bool(status.trusted), revocation=revocation,
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE, kind=kind, problems=problems)


# --- sealing digests (the audit chain) ------------------------------------------------------------------------


def _timestamp_problems(status: Any) -> list[str]:
    """What is wrong with a signature's RFC 3161 timestamp: none, or one that is not intact, valid and trusted."""
    ts = status.timestamp_validity
    if ts is None:
        return ["no_timestamp"]
    if not (ts.intact and ts.valid and ts.trusted):
        return ["timestamp_invalid"]
    return []


@dataclass(frozen=True)
class DigestSealCheck:
    valid: bool
    signer_name: str
    timestamp: datetime | None
    problems: list[str] = dataclasses.field(default_factory=list)


def seal_digest(digest: bytes) -> bytes:
    """A detached CMS SignedData (DER) over ``digest`` by the system seal, with a signature timestamp."""
    identity = system_seal()
    if identity is None:
        raise SigningError("no_identity", who=_("the system seal"))
    ready = _prepare(identity, settings.MOTCUA_SYSTEM_SEAL_PIN)
    try:
        with ready.lock:
            info = asyncio.run(ready.signer.async_sign_general_data(digest, "sha256", detached=True,
                                                                    timestamper=_timestamper()))
    except RequestException as exc:
        raise SigningError("tsa_unreachable", url=settings.MOTCUA_TSA_URL) from exc
    except (PyHankoSigningError, timestamps.TimestampRequestError) as exc:
        raise _signing_failure(exc) from exc
    return bytes(info.dump())


def check_digest_seal(digest: bytes, cms_data: bytes) -> DigestSealCheck:
    """Whether ``cms_data`` (from :func:`seal_digest`) seals ``digest``, by whom and when; never raises."""
    try:
        info = cms.ContentInfo.load(cms_data)
        signed_data = info["content"]
        cert = _cms_signer(signed_data)
        status = asyncio.run(async_validate_detached_cms(digest, signed_data,
                                                         signer_validation_context=validation_context()))
    except Exception:  # noqa: BLE001 - any unreadable seal is an invalid one
        return DigestSealCheck(valid=False, signer_name="", timestamp=None, problems=["unreadable_signature"])
    problems = []
    if not (status.intact and status.valid):
        problems.append("digest_mismatch")
    if not status.trusted:
        problems.append("untrusted")
    ts = status.timestamp_validity
    problems += _timestamp_problems(status)
    return DigestSealCheck(valid=not problems, signer_name=_name(cert.subject, "common_name") if cert else "",
                           timestamp=ts.timestamp if ts is not None else None, problems=problems)


def _cms_signer(signed_data: cms.SignedData) -> x509.Certificate | None:
    sid = signed_data["signer_infos"][0]["sid"].chosen
    for choice in signed_data["certificates"]:
        cert = choice.chosen
        if (isinstance(sid, cms.IssuerAndSerialNumber) and cert.serial_number == sid["serial_number"].native
                and cert.issuer == sid["issuer"]):
            return cert
    return None


# --- certificates ---------------------------------------------------------------------------------------------


def _name(name: x509.Name, attribute: str) -> str:
    value = name.native.get(attribute, "")
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return str(value)


def _read_certs(data: bytes) -> list[x509.Certificate]:
    if pem.detect(data):
        return [x509.Certificate.load(der) for _kind, _headers, der in pem.unarmor(data, multiple=True)]
    return [x509.Certificate.load(data)]


def _load_cert(data: bytes) -> x509.Certificate:
    return _read_certs(data)[0]


def _pem(cert: x509.Certificate) -> bytes:
    return bytes(pem.armor("CERTIFICATE", cert.dump()))
