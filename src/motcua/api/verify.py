"""``/api/v1/verify``: anyone checks a result (public, throttled, no personal data) — the same answers as the
page ``/xac-thuc/`` (``dossiers.verification``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import File, Router
from ninja.files import UploadedFile

from motcua.api.schemas import PUBLIC_ERRORS, ErrorOut, VerificationOut
from motcua.core.errors import NotFound, TooManyRequests
from motcua.core.uploads import UploadTooLarge, max_bytes
from motcua.core.web import throttle
from motcua.dossiers.verification import ResultCheck, check_file, check_text

router = Router(tags=["verification"])


def _throttle(request: HttpRequest) -> None:
    wait = throttle(request, "verify", limit=settings.MOTCUA_TRACK_LIMIT_PER_MINUTE, window=60)
    if wait:
        raise TooManyRequests(wait)


def answer(check: ResultCheck) -> dict[str, Any]:
    result = check.result
    return {
        "verdict": str(check.verdict), "verdict_label": check.label,
        "result": None if result is None else {
            "document": result.document, "agency": result.agency, "register_number": result.register_number,
            "issued_at": result.issued_at, "valid_until": result.valid_until, "holder": result.holder,
            "dossier_code": result.dossier_code, "procedure_code": result.procedure_code,
            "verification_code": result.verification_code},
        "matches_register": check.matches_register, "sha256": check.sha256,
        "signatures": [] if check.pdf is None else [
            {"signer_name": s.signer_name, "organization": s.organization, "issuer_name": s.issuer_name,
             "kind": s.kind, "signing_time": s.signing_time, "timestamp_time": s.timestamp_time,
             "intact": s.intact, "trusted": s.trusted, "revocation": s.revocation,
             "covers_whole_file": s.covers_whole_file}
            for s in check.pdf.signatures],
    }


@router.get("/{path:code}", response={200: list[VerificationOut], **PUBLIC_ERRORS, 429: ErrorOut},
            operation_id="verify_result", summary="Check a result by its verification code or register number")
def verify_result(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    """``code``: the verification code of the result's QR code, or its register number as printed (``12/2026/GP``;
    numbered per agency: when several agencies' books have it, each comes with the verdict ``choose`` and its
    ``verification_code``, to check the one on the paper). 404 when the register holds none."""
    _throttle(request)
    checks = check_text(code)
    if not checks:
        raise NotFound("result_not_found", _("No result of this register has the number or code %(code)s."),
                       {"code": code[:60]})
    return [answer(check) for check in checks]


@router.post("", response={200: VerificationOut, **PUBLIC_ERRORS, 429: ErrorOut}, operation_id="verify_file",
             summary="Check a result's PDF file")
def verify_file(request: HttpRequest, file: File[UploadedFile]) -> dict[str, Any]:
    """The PDF someone received: its signatures (intact, trusted, timestamp, revocation at signing) and whether it
    is byte for byte a result the register holds."""
    _throttle(request)
    if file.size is not None and file.size > max_bytes():
        raise UploadTooLarge("file_too_large", _("Files may be at most %(limit)s MB."),
                             {"limit": max_bytes() // (1024 * 1024)}, "file")
    return answer(check_file(file.read()))
