"""The receipt survey's signed token: the dossier code, signed with the site's key and a salt of its own.

The receipt slip prints ``/danh-gia/p/<token>/`` as a QR code. The token proves the survey comes from a real
receipt without asking anything personal and without a login; the salt keeps it from being valid for any other
use of the site's signatures (and theirs for this one). This module imports no models so that the slips can
use it without a cycle (``feedback`` registers :func:`receipt_survey_url` with ``dossiers.slips``).
"""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

from motcua.core.web import public_url

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


def receipt_survey_url(dossier_code: str) -> str:
    """The survey address printed on the receipt (:func:`motcua.core.web.public_url`)."""
    return public_url(receipt_survey_path(dossier_code))
