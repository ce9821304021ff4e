"""PKCS#12 files (development and the demo): the file's passphrase is the PIN."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers import SimpleSigner

from motcua.signing.errors import SigningError

if TYPE_CHECKING:
    from motcua.signing.models import SigningIdentity


class KeptKeySigner(SimpleSigner):
    """pyHanko's signer for a key in memory, the key parsed once: pyHanko parses it again for every signature
    (twice: the size estimate and the signature), and checking an RSA key costs 30 times an RSA-2048 signature."""

    _rsa_key: RSAPrivateKey | None = None

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if self._rsa_key is not None and mechanism["algorithm"].native in ("rsassa_pkcs1v15", "sha256_rsa",
                                                                            "sha384_rsa", "sha512_rsa"):
            return self._rsa_key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        return super().sign_raw(data, digest_algorithm)


def open_pkcs12(identity: SigningIdentity, pin: str) -> SimpleSigner:
    path = Path(str(identity.reference.get("path", "")))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError("key_unavailable", detail=f"{path.name}: {exc.strerror}") from exc
    try:
        key, _cert, _chain = pkcs12.load_key_and_certificates(data, pin.encode())
        loaded = SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=pin.encode())
    except ValueError as exc:  # cryptography: "Invalid password or PKCS12 data"
        raise SigningError("wrong_pin") from exc
    signer = KeptKeySigner(signing_key=loaded.signing_key, signing_cert=loaded.signing_cert,
                           cert_registry=loaded.cert_registry)
    if isinstance(key, RSAPrivateKey):
        signer._rsa_key = key
    return signer
