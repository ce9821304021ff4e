"""Signing what an officer made at reception (a digitized scan, a certified copy) with their own signing identity
(``motcua.signing``): :func:`sign_as`. Without a PIN nothing is signed and the record says so (``signed=False``)."""

from __future__ import annotations

from dataclasses import dataclass

from motcua.dossiers.actors import Actor
from motcua.signing.errors import SigningError
from motcua.signing.services import identity_for, sign_pdf


@dataclass(frozen=True)
class Signed:
    data: bytes
    certificate: str  # the signer certificate's subject, as the digitization or certification records it


def may_sign(actor: Actor) -> bool:
    """Whether ``actor`` has a personal signing identity (the forms then ask for its PIN)."""
    return identity_for(actor.user_id) is not None


def sign_as(actor: Actor, data: bytes, *, pin: str, reason: str, location: str = "") -> Signed:
    """``data`` (a PDF) signed by ``actor``'s personal signing identity unlocked with ``pin``. Raises
    :class:`SigningError` (``no_identity``, ``wrong_pin``, a certificate or timestamp problem): nothing signed."""
    identity = identity_for(actor.user_id)
    if identity is None:
        raise SigningError("no_identity", who=actor.name)
    signed = sign_pdf(data, signer=identity, pin=pin, reason=reason, location=location)
    return Signed(signed, identity.subject_name[:500])
