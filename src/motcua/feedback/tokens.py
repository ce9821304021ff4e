"""The receipt survey's signed token: the dossier code, signed with the site's key and a salt of its own.

The receipt slip prints ``/danh-gia/p/<token>/`` as a QR code. The token proves the survey comes from a real
receipt without asking anything personal and without a login; the salt keeps it from being valid for any other
use of the site's signatures (and theirs for this one). This module imports no models so that the slips can
use it without a cycle.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "motcua.feedback.receipt-survey"


def receipt_token(dossier_code: str) -> str:
    return signing.Signer(salt=SALT).sign(dossier_code)


def dossier_code_of(token: str) -> str | None:
    """The dossier code a token was signed for, or ``None`` when it was not signed by us (tampered, truncated)."""
    try:
        return signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None


def receipt_survey_path(dossier_code: str) -> str:
    return reverse("feedback:receipt_survey", args=[receipt_token(dossier_code)])


def receipt_survey_url(dossier_code: str, base_url: str = "") -> str:
    """The survey address printed on the receipt: on ``MOTCUA_PUBLIC_URL`` if set, else on ``base_url``."""
    from motcua.dossiers.slips import DEFAULT_BASE_URL

    base = (getattr(settings, "PUBLIC_BASE_URL", "") or base_url or DEFAULT_BASE_URL).rstrip("/")
    return base + receipt_survey_path(dossier_code)
