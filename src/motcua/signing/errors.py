"""Why a signature was not made: one code each, a message readable in Vietnamese and English.

Every refusal means that nothing was signed and nothing is returned (nothing half-issued).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import MotCuaError

MESSAGES: dict[str, Promise] = {
    "wrong_pin": _("The PIN is wrong: nothing was signed."),
    "key_unavailable": _("The signing key cannot be reached (%(detail)s): nothing was signed."),
    "certificate_expired": _("The signer's certificate expired on %(date)s: nothing was issued."),
    "certificate_not_yet_valid": _("The signer's certificate is valid only from %(date)s: nothing was issued."),
    "certificate_revoked": _("The signer's certificate was revoked on %(date)s: nothing was issued."),
    "certificate_untrusted": _("The signer's certificate was not issued by a trusted certification authority "
                               "(%(detail)s): nothing was issued."),
    "revocation_unreachable": _("Whether the signer's certificate is revoked could not be checked (the "
                                "certification authority's OCSP responder or CRL did not answer): nothing was "
                                "issued. Try again in a few minutes."),
    "tsa_unreachable": _("The timestamp authority (%(url)s) did not answer: nothing was signed. Try again in a few "
                         "minutes."),
    "already_signed": _("This document already carries this signature or a final signature: it is not signed "
                        "again."),
    "not_a_pdf": _("This file is not a PDF document that can be signed."),
    "backend_unavailable": _("The signing method %(backend)s is not available on this server."),
    "signing_failed": _("The document could not be signed (%(detail)s): nothing was issued."),
    "no_identity": _("No signing certificate is set up for %(who)s."),
    # keys on devices (PKCS#11) and at remote signing services (CSC API): motcua.signing.backends
    "pin_locked": _("The PIN of the signing key is locked or expired (%(detail)s): the key's administrator must "
                    "unlock it; nothing was signed."),
    "certificate_mismatch": _("The key's certificate is not the one registered for this signer (%(detail)s): "
                              "nothing was signed."),
    "remote_signing_unreachable": _("The remote signing service did not answer (%(detail)s): nothing was signed. "
                                    "Try again in a few minutes."),
    "remote_signing_unauthorized": _("The remote signing service refused MotCua's access (%(detail)s): the "
                                     "administrator must renew the signer's access token; nothing was signed."),
    "remote_signing_failed": _("The remote signing service did not sign (%(detail)s): nothing was signed."),
}

# a refusal caused by the state of things (a certificate, a document) rather than by the input: 409
CONFLICTS = {"already_signed", "certificate_expired", "certificate_not_yet_valid", "certificate_revoked"}


class SigningError(MotCuaError):
    """A signature that was not made, with one of :data:`MESSAGES`' codes."""

    status = 422

    def __init__(self, code: str, **params: Any) -> None:
        params = {key: _format(value) for key, value in params.items()}
        for name in ("detail", "date", "url", "backend", "who"):
            params.setdefault(name, "")
        super().__init__(code, MESSAGES[code], params)
        if code in CONFLICTS:
            self.status = 409


def _format(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M:%S %z")
    return value


# The refusals every key store gives (a token, an HSM, a remote-signing service), built in one place.


def wrong_pin() -> SigningError:
    return SigningError("wrong_pin")


def pin_locked(detail: str) -> SigningError:
    return SigningError("pin_locked", detail=detail)


def key_unavailable(detail: str) -> SigningError:
    return SigningError("key_unavailable", detail=detail)
