"""Each reason a signature is refused: a clear error with its code, and nothing signed (no bytes come back)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from motcua.signing.errors import SigningError
from motcua.signing.models import Purpose, SigningIdentity
from motcua.signing.pki import DEMO_PIN, create_demo_pki
from motcua.signing.services import forget_signers, sign_pdf, verify_pdf
from tests.factories import pdf_bytes
from tests.pki import AGENCIES, SIGNERS, DemoPki, free_port

pytestmark = pytest.mark.django_db


def refused(code: str, **kwargs: Any) -> SigningError:
    result = None
    with pytest.raises(SigningError) as caught:
        result = sign_pdf(pdf_bytes(), pin=kwargs.pop("pin", DEMO_PIN), **kwargs)
    assert result is None
    assert caught.value.code == code, caught.value
    assert caught.value.text("vi") and caught.value.text("en")
    return caught.value


@pytest.mark.parametrize(("label", "code", "status"), [
    ("expired", "certificate_expired", 409),
    ("not-yet-valid", "certificate_not_yet_valid", 409),
    ("revoked", "certificate_revoked", 409),
])
def test_a_bad_certificate_is_refused(demo_pki: DemoPki, label: str, code: str, status: int) -> None:
    error = refused(code, signer=demo_pki.identity(label))
    assert error.status == status
    assert "/20" in error.text("en")  # the date it expired, starts or was revoked


def test_a_bad_seal_certificate_is_refused_too(demo_pki: DemoPki) -> None:
    refused("certificate_revoked", signer=demo_pki.identity("lanhdao"),
            seal=demo_pki.identity("revoked", purpose=Purpose.SEAL))


def test_a_wrong_pin(demo_pki: DemoPki) -> None:
    error = refused("wrong_pin", signer=demo_pki.identity("vanthu"), pin="000000")
    assert error.status == 422


def test_a_wrong_seal_pin(demo_pki: DemoPki) -> None:
    refused("wrong_pin", signer=demo_pki.identity("lanhdao"),
            seal=demo_pki.identity("ubnd-haiha", purpose=Purpose.SEAL), seal_pin="654321")


def test_a_missing_key_file(demo_pki: DemoPki) -> None:
    identity = demo_pki.identity("lanhdao")
    identity.reference = {"path": str(demo_pki.directory / "p12" / "nobody.p12")}
    refused("key_unavailable", signer=identity)


def test_an_unknown_backend(demo_pki: DemoPki) -> None:
    identity = demo_pki.identity("lanhdao")
    identity.backend = "smartcard"
    refused("backend_unavailable", signer=identity)


def test_an_unreachable_timestamp_authority(demo_pki: DemoPki, settings: Any) -> None:
    settings.MOTCUA_TSA_URL = f"http://127.0.0.1:{free_port()}/tsa"  # a closed port
    error = refused("tsa_unreachable", signer=demo_pki.identity("lanhdao"))
    assert settings.MOTCUA_TSA_URL in error.text("en")


def test_an_unreachable_ocsp_responder_and_crl(demo_pki: DemoPki, settings: Any, tmp_path: Path) -> None:
    """The same CA, its certificates pointing at a server that does not answer: revocation cannot be checked."""
    shutil.copytree(demo_pki.directory / "keys", tmp_path / "keys")
    create_demo_pki(tmp_path, f"http://127.0.0.1:{free_port()}", signers=SIGNERS, agencies=AGENCIES)
    settings.MOTCUA_TRUST_ROOTS = [str(tmp_path / "root.pem")]
    forget_signers()
    identity = SigningIdentity.objects.create(purpose=Purpose.PERSONAL, backend="pkcs12",
                                              reference={"path": str(tmp_path / "p12" / "lanhdao.p12")})
    try:
        refused("revocation_unreachable", signer=identity)
    finally:
        forget_signers()


def test_an_untrusted_certificate(demo_pki: DemoPki, settings: Any, tmp_path: Path) -> None:
    settings.MOTCUA_TRUST_ROOTS = [str(tmp_path / "none.pem")]
    forget_signers()
    try:
        refused("certificate_untrusted", signer=demo_pki.identity("lanhdao"))
    finally:
        forget_signers()


def test_signing_twice_is_refused(demo_pki: DemoPki) -> None:
    leader = demo_pki.identity("lanhdao")
    seal = demo_pki.identity("ubnd-haiha", purpose=Purpose.SEAL)
    signed = sign_pdf(pdf_bytes(), signer=leader, pin=DEMO_PIN)
    with pytest.raises(SigningError) as caught:
        sign_pdf(signed, signer=leader, pin=DEMO_PIN, seal=seal)
    assert caught.value.code == "already_signed" and caught.value.status == 409
    # another signer may still add a signature, and the seal may follow the leader's signature later
    both = sign_pdf(signed, signer=demo_pki.identity("vanthu"), pin=DEMO_PIN, seal=seal)
    check = verify_pdf(both)
    assert check.valid, check
    assert [s.kind for s in check.signatures] == ["signature", "signature", "seal"]
    with pytest.raises(SigningError) as again:
        sign_pdf(both, signer=demo_pki.identity("ubnd-haiha", purpose=Purpose.SEAL), pin=DEMO_PIN)
    assert again.value.code == "already_signed"


@pytest.mark.parametrize("data", [b"", b"hello", b"%PDF-1.7\nnothing else", b"\x89PNG\r\n\x1a\n"])
def test_not_a_pdf(demo_pki: DemoPki, data: bytes) -> None:
    with pytest.raises(SigningError) as caught:
        sign_pdf(data, signer=demo_pki.identity("lanhdao"), pin=DEMO_PIN)
    assert caught.value.code == "not_a_pdf"
