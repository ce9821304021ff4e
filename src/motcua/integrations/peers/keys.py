"""This instance's Ed25519 key pair (``MOTCUA_PEER_KEY_FILE``, PEM, made by ``motcua peer_keys`` when missing), its
code and name among the peers, and the fingerprints administrators compare when they register a peer."""

from __future__ import annotations

import base64
import hashlib
import os
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import MotCuaError
from motcua.geo.models import AdministrativeUnit


class KeyProblem(MotCuaError):
    status = 422


def instance_code() -> str:
    """This instance's code among the peers (``MOTCUA_INSTANCE_CODE``; by default the province code that ends the
    local agencies' identifier codes, e.g. ``22`` for ``000.00.01.H22``)."""
    if settings.MOTCUA_INSTANCE_CODE:
        return str(settings.MOTCUA_INSTANCE_CODE)
    from motcua.agencies.models import Agency

    code = (Agency.objects.filter(peer_agency__isnull=True).order_by("pk")
            .values_list("identifier_code", flat=True).first()) or ""
    return code[-2:] if len(code) >= 2 and code[-2:].isdigit() else "motcua"


def instance_name() -> str:
    if settings.MOTCUA_INSTANCE_NAME:
        return str(settings.MOTCUA_INSTANCE_NAME)
    # the province's name, when its unit is loaded
    province = AdministrativeUnit.objects.filter(code=instance_code()).values_list("name", flat=True).first()
    return f"MotCua {province or instance_code()}"


def ensure_key(path: Path | None = None) -> tuple[Ed25519PrivateKey, bool]:
    """The private key at ``path`` (default ``MOTCUA_PEER_KEY_FILE``), made (mode 0600) when missing; and whether
    it was made now."""
    path = Path(path or settings.MOTCUA_PEER_KEY_FILE)
    if path.exists():
        return load_private(path), False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    private_key.cache_clear()
    return key, True


def load_private(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyProblem("not_ed25519", _("The peer key in %(path)s is not an Ed25519 key."), {"path": str(path)})
    return key


@lru_cache(maxsize=1)
def private_key() -> Ed25519PrivateKey:
    """This instance's signing key (made on first use when missing)."""
    return ensure_key()[0]


def public_pem(key: Ed25519PrivateKey | None = None) -> str:
    public = (key or private_key()).public_key()
    return public.public_bytes(serialization.Encoding.PEM,
                               serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def parse_public(pem: str) -> Ed25519PublicKey:
    """A peer's public key from its PEM text, or :class:`KeyProblem`."""
    try:
        key = serialization.load_pem_public_key(pem.strip().encode("ascii"))
    except (ValueError, UnicodeError) as exc:
        raise KeyProblem("bad_public_key", _("This is not a PEM public key: %(error)s"), {"error": str(exc)[:200]}
                         ) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyProblem("not_ed25519", _("The peer's public key is not an Ed25519 key."))
    return key


@lru_cache(maxsize=64)
def cached_public(pem: str) -> Ed25519PublicKey:
    return parse_public(pem)


def fingerprint(pem: str) -> str:
    """``SHA256:`` and the base64 of the SHA-256 of the key's raw 32 bytes (as OpenSSH shows keys)."""
    raw = parse_public(pem).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode("ascii").rstrip("=")
