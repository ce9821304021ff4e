"""Remote signing through the Cloud Signature Consortium (CSC) API v1, the shape of Vietnam's remote-signing
gateways, for pyHanko: :func:`open_csc`.

An identity's ``reference``::

    {"url": "https://rs.example.vn",   # the service's base URL, before /csc/v1/...
     "credential_id": "…",             # the CSC credential (the key and its certificate) at that service
     "oauth_token": "…",               # sent as "Authorization: Bearer …" on every call (optional)
     "authorization": "pin"}           # what the user types: the credential's "pin" (default) or an "otp"

Opening reads the credential (``credentials/info``: its certificate and chain, its algorithms, whether the
authorisation must name the hashes), so an unknown credential or an unreachable service is an error before any
document is prepared. Each signature then asks ``credentials/authorize`` for signature activation data (SAD) with
the user's PIN or OTP and the document's hash, and ``signatures/signHash`` for the signature.

pyHanko's CSC signer is asynchronous (aiohttp); the HTTP session is made per signature inside the event loop that
runs it, so the signer works from synchronous Django code (``PdfSigner.sign_pdf`` runs its own loop) as well as
from ``async_sign_pdf``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

import aiohttp
from asn1crypto import pem, x509
from django.conf import settings
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers.csc_signer import (
    CSCAuthorizationInfo,
    CSCAuthorizationManager,
    CSCCredentialInfo,
    CSCServiceSessionInfo,
    CSCSigner,
    base64_digest,
    fetch_certs_in_csc_credential,
)

from motcua.signing.errors import SigningError, key_unavailable, pin_locked, wrong_pin

__all__ = ["PinAuthorizationManager", "RemoteSigner", "async_open_csc", "open_csc"]

T = TypeVar("T")


class Identity(Protocol):
    """What a backend reads of a ``SigningIdentity`` (duck-typed, so that the backends do not need the model)."""

    reference: Mapping[str, Any]
    certificate_pem: str


# The aiohttp session of the signature being made (one per signature, in the loop that makes it).
_http: ContextVar[aiohttp.ClientSession] = ContextVar("csc_http")


def unreachable(detail: str) -> SigningError:
    return SigningError("remote_signing_unreachable", detail=detail)


def unauthorized(detail: str) -> SigningError:
    return SigningError("remote_signing_unauthorized", detail=detail)


def failed(detail: str) -> SigningError:
    return SigningError("remote_signing_failed", detail=detail)


def certificate_mismatch(detail: str) -> SigningError:
    return SigningError("certificate_mismatch", detail=detail)


def _refusal(step: str, status: int, error: str, description: str) -> SigningError:
    """The error for an HTTP error answer of ``step`` (info, authorize, sign); ``error`` and ``description`` are
    the CSC error body's ``error`` and ``error_description`` (empty when the service sends none)."""
    detail = " ".join(part for part in (f"HTTP {status}", error, description) if part)
    text = f"{error} {description}".lower()
    if status in (401, 403) or error in ("invalid_token", "access_denied"):
        return unauthorized(detail)
    if "lock" in text or "block" in text:
        return pin_locked(detail)
    if error in ("invalid_pin", "invalid_otp") or (step == "authorize" and ("pin" in text or "otp" in text)):
        return wrong_pin()
    if status == 404 or (step == "info" and status == 400) or "credentialid" in text:
        return key_unavailable(detail)
    if status in (502, 503, 504):
        return unreachable(detail)
    return failed(detail)


async def _error_body(response: aiohttp.ClientResponse) -> tuple[str, str]:
    try:
        body = await response.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("error") or ""), str(body.get("error_description") or "")


async def _post(session: aiohttp.ClientSession, url: str, headers: Mapping[str, str], body: dict[str, Any],
                step: str) -> dict[str, Any]:
    """POST a CSC call; errors become :class:`SigningError` (see :func:`_refusal`)."""
    try:
        async with session.post(url, headers=dict(headers), json=body) as response:
            if response.status >= 400:
                raise _refusal(step, response.status, *(await _error_body(response)))
            data = await response.json(content_type=None)
    except (aiohttp.ClientConnectionError, TimeoutError) as exc:
        raise unreachable(f"{type(exc).__name__} {exc}".strip()) from exc
    except (aiohttp.ClientError, ValueError) as exc:
        raise failed(f"{type(exc).__name__} {exc}".strip()) from exc
    if not isinstance(data, dict):
        raise failed(f"{step}: the answer is not a JSON object")
    return data


def _client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=settings.MOTCUA_CSC_TIMEOUT_SECONDS))


class PinAuthorizationManager(CSCAuthorizationManager):
    """SAD for each signature from ``credentials/authorize``, with the PIN (or OTP) the signer typed and the hashes
    being signed (required by a SCAL2 service, harmless otherwise)."""

    def __init__(self, session_info: CSCServiceSessionInfo, credential_info: CSCCredentialInfo, secret: str,
                 kind: str = "pin") -> None:
        super().__init__(session_info, credential_info)
        self._secret = secret
        self._kind = kind

    async def authorize_signature(self, hash_b64s: list[str]) -> CSCAuthorizationInfo:
        body = self.format_csc_auth_request(
            num_signatures=len(hash_b64s), hash_b64s=hash_b64s,
            pin=self._secret if self._kind == "pin" else None, otp=self._secret if self._kind == "otp" else None)
        data = await _post(_http.get(), self.csc_session_info.endpoint_url("credentials/authorize"),
                           self.auth_headers, body, "authorize")
        try:
            return self.parse_csc_auth_response(data)
        except PyHankoSigningError as exc:
            raise failed(str(exc)) from exc


class RemoteSigner(CSCSigner):
    """pyHanko's :class:`~pyhanko.sign.signers.csc_signer.CSCSigner` (its signing request, mechanism choice among
    the credential's algorithms, certificates), one ``signHash`` call per signature through an HTTP session of
    that signature's event loop, every refusal a :class:`SigningError` with its cause."""

    auth_manager: PinAuthorizationManager

    def __init__(self, auth_manager: PinAuthorizationManager) -> None:
        super().__init__(session=None,  # type: ignore[arg-type]  # one per signature, in its loop (_http)
                         auth_manager=auth_manager, sign_timeout=settings.MOTCUA_CSC_TIMEOUT_SECONDS)

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            return bytes(self.est_raw_signature_size)
        tbs_hash = base64_digest(data, digest_algorithm)
        async with _client() as session:
            bound = _http.set(session)
            try:
                try:
                    body = await self.format_csc_signing_req([tbs_hash], digest_algorithm)
                except PyHankoSigningError as exc:  # no mechanism the credential supports
                    raise failed(str(exc)) from exc
                answer = await _post(session, self.auth_manager.csc_session_info.endpoint_url("signatures/signHash"),
                                     self.auth_manager.auth_headers, body, "sign")
            finally:
                _http.reset(bound)
        signatures = answer.get("signatures")
        if not isinstance(signatures, list) or len(signatures) != 1:
            raise failed("signHash did not answer one signature")
        try:
            return base64.b64decode(signatures[0], validate=True)
        except (binascii.Error, TypeError) as exc:
            raise failed("signHash answered a signature that is not base64") from exc


def _certificate(text: str) -> x509.Certificate:
    data = text.encode()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return x509.Certificate.load(data)


async def _credential(info: CSCServiceSessionInfo) -> CSCCredentialInfo:
    async with _client() as session:
        try:
            return await fetch_certs_in_csc_credential(session, info, timeout=settings.MOTCUA_CSC_TIMEOUT_SECONDS)
        except PyHankoSigningError as exc:
            cause = exc.__cause__
            if isinstance(cause, aiohttp.ClientResponseError):
                raise _refusal("info", cause.status, "", cause.message) from exc
            if isinstance(cause, aiohttp.ClientConnectionError):
                raise unreachable(f"{type(cause).__name__} {cause}") from exc
            raise failed(str(exc)) from exc
        except TimeoutError as exc:
            raise unreachable("no answer in time") from exc


async def async_open_csc(identity: Identity, pin: str) -> RemoteSigner:
    """:func:`open_csc` for code already in an event loop."""
    reference = identity.reference
    if not reference.get("url") or not reference.get("credential_id"):
        raise key_unavailable("the identity's reference has no url or credential_id")
    kind = str(reference.get("authorization") or "pin")
    if kind not in ("pin", "otp"):
        raise key_unavailable(f"authorization {kind!r} is neither pin nor otp")
    info = CSCServiceSessionInfo(service_url=str(reference["url"]).rstrip("/"),
                                 credential_id=str(reference["credential_id"]),
                                 oauth_token=str(reference.get("oauth_token") or "") or None)
    credential = await _credential(info)
    status = (credential.response_data.get("key") or {}).get("status", "enabled")
    if status != "enabled":
        raise key_unavailable(f"the credential's key is {status}")
    if identity.certificate_pem and _certificate(identity.certificate_pem).dump() != credential.signing_cert.dump():
        raise certificate_mismatch(f"credential {info.credential_id}: {credential.signing_cert.subject.human_friendly}")
    return RemoteSigner(PinAuthorizationManager(info, credential, pin, kind))


def run_sync(coroutine: Awaitable[T]) -> T:
    """Run a coroutine to its end from synchronous code: in a fresh event loop, or in a thread of its own when this
    thread already runs one (an async view)."""
    async def wrapped() -> T:
        return await coroutine

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(wrapped())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, wrapped()).result()


def open_csc(identity: Identity, pin: str) -> RemoteSigner:
    """A pyHanko signer for the identity's credential at its CSC service; ``pin`` is the PIN (or OTP) sent with
    each ``credentials/authorize``. The credential is read now: an unknown or disabled credential is
    ``key_unavailable``, a refused access token ``remote_signing_unauthorized``, a service that does not answer
    ``remote_signing_unreachable``; a wrong PIN is ``wrong_pin`` when the signature is made."""
    return run_sync(async_open_csc(identity, pin))
