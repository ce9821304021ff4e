"""Where keys live: one function per kind of key storage, each turning an identity and a PIN into a pyHanko
:class:`~pyhanko.sign.signers.Signer`. The PKCS#11 and CSC backends are imported only when used, so that a server
without them still signs with the others (and says ``backend_unavailable`` when asked for them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pyhanko.sign.signers import Signer

from motcua.signing.backends.pkcs12 import open_pkcs12
from motcua.signing.errors import SigningError

if TYPE_CHECKING:
    from motcua.signing.models import SigningIdentity


def _pkcs11(identity: SigningIdentity, pin: str) -> Signer:
    try:
        # imported when used: python-pkcs11 and the token's module are needed only by servers with tokens
        from motcua.signing.backends.pkcs11 import open_pkcs11  # noqa: PLC0415
    except ImportError as exc:
        raise SigningError("backend_unavailable", backend="PKCS#11") from exc
    signer: Signer = open_pkcs11(identity, pin)
    return signer


def _csc(identity: SigningIdentity, pin: str) -> Signer:
    try:
        # imported when used: remote signing needs its own client libraries
        from motcua.signing.backends.csc import open_csc  # noqa: PLC0415
    except ImportError as exc:
        raise SigningError("backend_unavailable", backend="CSC") from exc
    signer: Signer = open_csc(identity, pin)
    return signer


BACKENDS: dict[str, Callable[[SigningIdentity, str], Signer]] = {
    "pkcs12": open_pkcs12,
    "pkcs11": _pkcs11,
    "csc": _csc,
}


def open_signer(identity: SigningIdentity, pin: str) -> Signer:
    """The identity's key, unlocked with ``pin``; a :class:`SigningError` when it cannot be."""
    try:
        backend = BACKENDS[identity.backend]
    except KeyError:
        raise SigningError("backend_unavailable", backend=identity.backend) from None
    return backend(identity, pin)
