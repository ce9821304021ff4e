"""PKCS#12 files (development and the demo): the file's passphrase is the PIN."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pyhanko.sign.signers import SimpleSigner

from motcua.signing.errors import SigningError

if TYPE_CHECKING:
    from motcua.signing.models import SigningIdentity


def open_pkcs12(identity: SigningIdentity, pin: str) -> SimpleSigner:
    path = Path(str(identity.reference.get("path", "")))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError("key_unavailable", detail=f"{path.name}: {exc.strerror}") from exc
    try:
        return SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=pin.encode())
    except ValueError as exc:  # cryptography: "Invalid password or PKCS12 data"
        raise SigningError("wrong_pin") from exc
