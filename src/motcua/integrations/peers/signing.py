"""HTTP Message Signatures (RFC 9421) with Ed25519, and the Content-Digest (RFC 9530, sha-256) they cover.

A request between peers carries::

    Content-Digest: sha-256=:<base64 of the body's SHA-256>:
    Signature-Input: peer=("@method" "@path" "content-digest");created=<unix time>;keyid="<sender code>";
                     alg="ed25519";nonce="<message id>"     (one line)
    Signature: peer=:<base64 of the Ed25519 signature of the signature base>:

and the signature base is the RFC 9421 one: one line per covered component, then ``"@signature-params"``::

    "@method": POST
    "@path": /peers/inbox
    "content-digest": sha-256=:…:
    "@signature-params": ("@method" "@path" "content-digest");created=…;keyid="…";alg="ed25519";nonce="…"

:func:`sign` makes the headers; :func:`parse` reads them back and :func:`verify` checks them — each failure a
:class:`Refused` with its code and HTTP status (docs/peers.md lists them).
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import MotCuaError

LABEL = "peer"
COMPONENTS = ("@method", "@path", "content-digest")
_INPUT = re.compile(r'^\s*(?P<label>[a-z][a-z0-9_-]*)=(?P<value>\((?P<components>[^)]*)\)'
                    r'(?P<params>(?:;[a-z]+=(?:"[^"\\]*"|\d+))*))\s*$')
_PARAM = re.compile(r';([a-z]+)=(?:"([^"\\]*)"|(\d+))')
_SIGNATURE = re.compile(r'^\s*(?P<label>[a-z][a-z0-9_-]*)=:(?P<value>[A-Za-z0-9+/=]+):\s*$')
_DIGEST = re.compile(r'(?:^|,)\s*sha-256=:(?P<value>[A-Za-z0-9+/=]+):')


class Refused(MotCuaError):
    """A request refused before anything is applied (its ``status`` is the HTTP answer)."""

    status = 401


def content_digest(body: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def signature_base(method: str, path: str, digest: str, params_value: str) -> bytes:
    lines = [f'"@method": {method.upper()}', f'"@path": {path}', f'"content-digest": {digest}',
             f'"@signature-params": {params_value}']
    return "\n".join(lines).encode("utf-8")


def sign(key: Ed25519PrivateKey, *, method: str, path: str, body: bytes, keyid: str, nonce: str,
         created: int | None = None) -> dict[str, str]:
    """The three headers that sign a request of ``body`` to ``path``, as ``keyid``, with ``nonce`` (the message id)."""
    digest = content_digest(body)
    created = int(time.time()) if created is None else created
    components = " ".join(f'"{c}"' for c in COMPONENTS)
    params_value = f'({components});created={created};keyid="{keyid}";alg="ed25519";nonce="{nonce}"'
    signature = key.sign(signature_base(method, path, digest, params_value))
    return {
        "Content-Digest": digest,
        "Signature-Input": f"{LABEL}={params_value}",
        "Signature": f"{LABEL}=:" + base64.b64encode(signature).decode("ascii") + ":",
    }


@dataclass(frozen=True)
class Signed:
    """What a request's signature headers say: who (``keyid``), when (``created``), which message (``nonce``)."""

    keyid: str
    created: int
    nonce: str
    params_value: str
    signature: bytes
    digest: str


def parse(signature_input: str, signature: str, digest: str) -> Signed:
    """Read the headers (:class:`Refused` ``bad_signature_headers`` when they are missing or malformed)."""
    found = _INPUT.match(signature_input or "")
    sig = _SIGNATURE.match(signature or "")
    if not found or not sig or found["label"] != sig["label"] or not digest:
        raise _headers(_("The request must carry Content-Digest, Signature-Input and Signature headers."))
    components = tuple(part.strip('"') for part in found["components"].split())
    if components != COMPONENTS:
        raise _headers(_("The signature must cover exactly @method, @path and content-digest."))
    params: dict[str, str] = {}
    for name, text, number in _PARAM.findall(found["params"]):
        params[name] = text if text or not number else number
    if params.get("alg", "ed25519") != "ed25519" or not params.get("keyid") or not params.get("nonce") or (
            not params.get("created", "").isdigit()):
        raise _headers(_("The signature parameters must give created, keyid, nonce and alg=\"ed25519\"."))
    try:
        raw = base64.b64decode(sig["value"], validate=True)
    except ValueError as exc:
        raise _headers(_("The signature is not base64.")) from exc
    return Signed(params["keyid"], int(params["created"]), params["nonce"], found["value"], raw, digest)


def _headers(message: str | Promise) -> Refused:
    error = Refused("bad_signature_headers", message)
    error.status = 400
    return error


def check_digest(signed: Signed, body: bytes) -> None:
    """The body is the one the Content-Digest announces (400 ``digest_mismatch``)."""
    found = _DIGEST.search(signed.digest)
    expected = base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
    if not found or found["value"] != expected:
        error = Refused("digest_mismatch", _("The body does not match its Content-Digest (sha-256)."))
        error.status = 400
        raise error


def check_created(signed: Signed, window: float, now: float | None = None) -> None:
    """The signature was made within ``window`` seconds of now, either way (401 ``stale_signature``)."""
    now = time.time() if now is None else now
    if abs(now - signed.created) > window:
        raise Refused("stale_signature", _(
            "The signature was made at %(created)s, more than %(window)s seconds from now: too old, or a clock is "
            "wrong."), {"created": signed.created, "window": int(window)})


def verify(signed: Signed, key: Ed25519PublicKey, *, method: str, path: str) -> None:
    """The signature is the sender's over this method, path and digest (401 ``bad_signature``)."""
    try:
        key.verify(signed.signature, signature_base(method, path, signed.digest, signed.params_value))
    except InvalidSignature as exc:
        raise Refused("bad_signature", _("The signature does not verify with the key registered for %(peer)s."),
                      {"peer": signed.keyid[:40]}) from exc
