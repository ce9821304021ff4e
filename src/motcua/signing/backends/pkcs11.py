"""Keys on PKCS#11 devices (USB tokens, smart cards, HSMs) for pyHanko: :func:`open_pkcs11`.

An identity's ``reference``::

    {"module": "/usr/lib/softhsm/libsofthsm2.so",  # the PKCS#11 library; default settings.MOTCUA_PKCS11_MODULE
     "token_label": "agency-seal",                  # the token (slot) holding the key
     "key_label": "seal",                           # the private key's CKA_LABEL (or "key_id": hex CKA_ID)
     "cert_label": "seal"}                          # the certificate's CKA_LABEL; default: the key's label

The signer's certificate is the identity's ``certificate_pem`` when it has one (nothing to read from the token),
otherwise the token's certificate object.

Sessions: one logged-in session per token and process, reused by every signature (opening a session and logging
in costs more than the signature itself), used by one thread at a time (a lock: PKCS#11 does not let two threads
share a session), closed and opened again when the device reports a broken session, and after a fork (gunicorn
workers). PKCS#11 logs in per token and application, not per session: a token logged in with one PIN does not
check another. A PIN that differs from the one the session was opened with therefore logs the session out and
logs in again with it, so that the token, never a cache, decides whether a PIN is right. All PKCS#11 use in the
process goes through this module (a session opened elsewhere would share the login state).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import pkcs11
from asn1crypto import pem, x509
from django.conf import settings
from pkcs11 import Attribute, ObjectClass
from pkcs11 import exceptions as p11
from pyhanko.sign.pkcs11 import PKCS11Signer

from motcua.signing.errors import SigningError, key_unavailable, pin_locked, wrong_pin

__all__ = ["TokenSigner", "close_pkcs11_sessions", "open_pkcs11", "pkcs11_logins", "reload_pkcs11_module"]


class Identity(Protocol):
    """What a backend reads of a ``SigningIdentity`` (duck-typed, so that the backends do not need the model)."""

    reference: Mapping[str, Any]
    certificate_pem: str


# The device reports a session (or the device) that is gone: close it, open a new one, try once more.
_BROKEN_SESSION = (
    p11.SessionHandleInvalid, p11.SessionClosed, p11.DeviceRemoved, p11.DeviceError, p11.DeviceMemory,
    p11.TokenNotPresent, p11.TokenNotRecognised, p11.UserNotLoggedIn, p11.KeyHandleInvalid,
    p11.ObjectHandleInvalid, p11.GeneralError, p11.FunctionFailed,
)
_WRONG_PIN = (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange)
_LOCKED_PIN = (p11.PinLocked, p11.PinExpired, p11.UserPinNotInitialized)

# PINs are compared as keyed digests (the key lives and dies with the process), never kept in the token table.
_PIN_KEY = secrets.token_bytes(32)


def _pin_digest(pin: str) -> bytes:
    return hmac.new(_PIN_KEY, pin.encode(), hashlib.sha256).digest()


def backend_unavailable(detail: str) -> SigningError:
    return SigningError("backend_unavailable", backend=f"PKCS#11 ({detail})")


@dataclass(frozen=True)
class _KeyRef:
    label: str | None
    key_id: bytes | None

    def describe(self) -> str:
        return f"label {self.label!r}" if self.label is not None else f"id {(self.key_id or b'').hex()}"

    def query(self, object_class: ObjectClass) -> dict[Attribute, Any]:
        query: dict[Attribute, Any] = {Attribute.CLASS: object_class}
        if self.label is not None:
            query[Attribute.LABEL] = self.label
        if self.key_id is not None:
            query[Attribute.ID] = self.key_id
        return query


class _Token:
    """One token of one PKCS#11 library in this process: its logged-in session and the key handles found in it."""

    def __init__(self, module: str, label: str) -> None:
        self.module = module
        self.label = label
        self.lock = threading.Lock()
        self._session: pkcs11.Session | None = None
        self._pin_digest = b""
        self._pid = 0
        self._keys: dict[_KeyRef, Any] = {}
        self.sessions_opened = 0  # how many logins this process made on the token (the benchmark reads it)

    def session(self, pin: str) -> pkcs11.Session:
        """The logged-in session, opened (and the PIN checked by the token) when there is none or the PIN differs.
        Call with :attr:`lock` held."""
        digest = _pin_digest(pin)
        if self._session is not None and self._pid == os.getpid() and hmac.compare_digest(digest, self._pin_digest):
            return self._session
        self.close()
        lib = _library(self.module)  # self.module is a real path
        try:
            token = lib.get_token(token_label=self.label)
        except p11.NoSuchToken as exc:
            raise key_unavailable(f"no token labelled {self.label!r}") from exc
        except p11.MultipleTokensReturned as exc:
            raise key_unavailable(f"several tokens labelled {self.label!r}") from exc
        except p11.PKCS11Error as exc:
            raise backend_unavailable(f"{type(exc).__name__} {exc}") from exc
        try:
            session = token.open(user_pin=pin)
        except _WRONG_PIN as exc:
            raise wrong_pin() from exc
        except _LOCKED_PIN as exc:
            raise pin_locked(f"{type(exc).__name__} on token {self.label!r}") from exc
        except p11.PKCS11Error as exc:  # e.g. UserAlreadyLoggedIn: a session opened outside this module
            raise backend_unavailable(f"{type(exc).__name__} {exc}") from exc
        self._session, self._pin_digest, self._pid = session, digest, os.getpid()
        self.sessions_opened += 1
        return session

    def key(self, ref: _KeyRef) -> Any:
        """The private key's handle in the current session (looked up once per session). Lock held."""
        if ref not in self._keys:
            assert self._session is not None
            found = list(self._session.get_objects(ref.query(ObjectClass.PRIVATE_KEY)))
            if len(found) != 1:
                raise key_unavailable(f"{len(found)} private keys with {ref.describe()} on token {self.label!r}")
            self._keys[ref] = found[0]
        return self._keys[ref]

    def certificate(self, ref: _KeyRef) -> x509.Certificate:
        """The certificate object of the token with that label or id. Lock held, session open."""
        assert self._session is not None
        found = list(self._session.get_objects(ref.query(ObjectClass.CERTIFICATE)))
        if len(found) != 1:
            raise key_unavailable(f"{len(found)} certificates with {ref.describe()} on token {self.label!r}")
        return x509.Certificate.load(found[0][Attribute.VALUE])

    def all_certificates(self) -> list[x509.Certificate]:
        """Every certificate object on the token (the CA chain a token usually carries beside the key's own)."""
        assert self._session is not None
        return [x509.Certificate.load(found[Attribute.VALUE])
                for found in self._session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})]

    def close(self) -> None:
        """Forget the session (log out and close it if it still belongs to this process). Lock held."""
        session, self._session, self._keys, self._pin_digest = self._session, None, {}, b""
        if session is not None and self._pid == os.getpid():
            with contextlib.suppress(p11.PKCS11Error):  # already gone with the device: forgetting it is enough
                session.close()

    def run(self, pin: str, operation: Any) -> Any:
        """``operation(self)`` with the session open, under the lock; once more on a fresh session if the device
        reports the session broken."""
        with self.lock:
            for attempt in (1, 2):
                self.session(pin)
                try:
                    return operation(self)
                except _BROKEN_SESSION as exc:
                    self.close()
                    if attempt == 2:
                        raise backend_unavailable(f"{type(exc).__name__} {exc}") from exc
                except _WRONG_PIN as exc:
                    raise wrong_pin() from exc
                except p11.PKCS11Error as exc:
                    raise backend_unavailable(f"{type(exc).__name__} {exc}") from exc
        raise AssertionError("unreachable")


_tokens: dict[tuple[str, str], _Token] = {}
_tokens_lock = threading.Lock()
_library_pid: dict[str, int] = {}


def _library(module: str) -> Any:
    """The loaded PKCS#11 library (initialised again in a forked child, whose inherited state is void)."""
    try:
        lib = pkcs11.lib(module)
    except p11.PKCS11Error as exc:
        raise backend_unavailable(f"cannot load {module}: {exc}") from exc
    if _library_pid.setdefault(module, os.getpid()) != os.getpid():
        lib.reinitialize()
        _library_pid[module] = os.getpid()
    return lib


def _token(module: str, label: str) -> _Token:  # the library is loaded by its real path, once
    key = (os.path.realpath(module), label)
    with _tokens_lock:
        if key not in _tokens:
            _tokens[key] = _Token(*key)
        return _tokens[key]


def pkcs11_logins(module: str, token_label: str) -> int:
    """How many sessions this process has opened and logged in on the token (tests and benchmarks)."""
    return _token(module, token_label).sessions_opened


def close_pkcs11_sessions() -> None:
    """Log out of and close every session this process holds (tests, and a process about to exit)."""
    with _tokens_lock:
        tokens = list(_tokens.values())
    for token in tokens:
        with token.lock:
            token.close()


def reload_pkcs11_module(module: str) -> None:
    """Close this process's sessions and initialise the PKCS#11 library again, so that it reads its configuration
    anew (e.g. SoftHSM2's SOFTHSM2_CONF pointing at other tokens) and sees tokens added since."""
    close_pkcs11_sessions()
    if os.path.realpath(module) in _library_pid:
        _library(os.path.realpath(module)).reinitialize()


def load_certificate_pem(text: str) -> x509.Certificate:
    data = text.encode()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return x509.Certificate.load(data)


class TokenSigner(PKCS11Signer):
    """pyHanko's :class:`~pyhanko.sign.pkcs11.PKCS11Signer` (its mechanism selection: RSA PKCS#1 v1.5 or PSS,
    ECDSA) signing through the token's shared session instead of a session of its own."""

    def __init__(self, token: _Token, pin: str, key: _KeyRef, signing_cert: x509.Certificate,
                 chain: list[x509.Certificate]) -> None:
        super().__init__(None,  # type: ignore[arg-type]  # no session of its own: the token's, per signature
                         signing_cert=signing_cert, ca_chain=chain, key_label=key.label, key_id=key.key_id,
                         other_certs_to_pull=())
        self._token = token
        self._pin = pin
        self._key = key
        self._loaded = True  # the certificate is given; the key handle is the token's (nothing for pyHanko to load)

    async def ensure_objects_loaded(self) -> None:
        return None

    def sign_prepared(self, data: bytes, digest_algorithm: str) -> bytes:
        """The raw signature of ``data``, blocking (pyHanko's async path runs it in an executor)."""
        spec = self._select_pkcs11_signing_params(digest_algorithm, sign_kwargs=self.sign_kwargs(data))
        if spec.pre_sign_transform is not None:
            data = spec.pre_sign_transform(data)
        signature: bytes = self._token.run(self._pin, lambda token: token.key(self._key).sign(data,
                                                                                              **spec.sign_kwargs))
        if spec.post_sign_transform is not None:
            signature = spec.post_sign_transform(signature)
        return signature

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            return self.estimate_raw_signature_size_bytes() * b"0"
        return await asyncio.get_running_loop().run_in_executor(None, self.sign_prepared, data, digest_algorithm)


def _key_ref(reference: Mapping[str, Any], label_field: str) -> _KeyRef:
    label = reference.get(label_field) or reference.get("key_label") or None
    raw_id = reference.get("key_id") or None
    if label is None and raw_id is None:
        raise backend_unavailable(f"the identity's reference has neither {label_field} nor key_id")
    try:
        key_id = bytes.fromhex(raw_id) if raw_id is not None else None
    except ValueError as exc:
        raise backend_unavailable(f"key_id {raw_id!r} is not hexadecimal") from exc
    return _KeyRef(str(label) if label is not None else None, key_id)


def open_pkcs11(identity: Identity, pin: str) -> TokenSigner:
    """A pyHanko signer for the identity's key on its PKCS#11 token, the PIN checked by the token now (a wrong PIN
    is ``wrong_pin``, a missing token or key ``key_unavailable``, a library that cannot be loaded
    ``backend_unavailable``), before any document is prepared."""
    reference = identity.reference
    module = str(reference.get("module") or settings.MOTCUA_PKCS11_MODULE)
    if not reference.get("token_label"):
        raise backend_unavailable("the identity's reference has no token_label")
    token = _token(module, str(reference["token_label"]))
    key = _key_ref(reference, "key_label")
    cert_ref = _key_ref(reference, "cert_label")
    given = load_certificate_pem(identity.certificate_pem) if identity.certificate_pem else None

    def check(token: _Token) -> tuple[x509.Certificate, list[x509.Certificate]]:
        token.key(key)
        return (given if given is not None else token.certificate(cert_ref)), token.all_certificates()

    certificate, chain = token.run(pin, check)
    return TokenSigner(token, pin, key, certificate, chain)
