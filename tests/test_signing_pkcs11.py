"""PKCS#11 signing (tokens, HSMs) against a real SoftHSM2 token: PDFs signed through ``open_pkcs11`` and pyHanko
are valid for pyHanko's validator and poppler's pdfsig; a wrong PIN, a missing key or token are clear errors;
the logged-in session is shared by signatures and threads and opened again when it breaks."""

from __future__ import annotations

import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from motcua.signing.backends import pkcs11 as backend
from motcua.signing.backends.pkcs11 import close_pkcs11_sessions, open_pkcs11, pkcs11_logins
from motcua.signing.errors import SigningError
from motcua.signing.models import Purpose, SigningIdentity
from motcua.signing.services import describe_certificate, sign_pdf, verify_pdf
from tests.factories import pdf_bytes
from tests.pki import DemoPki
from tests.pki import pdfsig as pdfsig_trusting
from tests.tokens import (
    SigningPKI,
    SoftToken,
    blank_pdf,
    check_signed,
    make_softhsm_token,
    make_test_pki,
    pdfsig,
    put_demo_signer,
    softhsm_available,
)


# Session-scoped: pytest may interleave this module's tests with other modules' (to share the demo PKI), and a
# token made again would be a second initialisation of SoftHSM2 in the middle of the tests.
@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> SigningPKI:
    return make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def token(tmp_path_factory: pytest.TempPathFactory, pki: SigningPKI) -> Iterator[SoftToken]:
    if reason := softhsm_available():
        pytest.skip(reason)
    yield make_softhsm_token(tmp_path_factory.mktemp("softhsm"), pki)
    close_pkcs11_sessions()


def identity(reference: dict[str, Any], certificate_pem: str = "") -> Any:
    return SimpleNamespace(reference=reference, certificate_pem=certificate_pem)


def sign(signer: signers.Signer, pdf: bytes, field: str = "Signature1") -> bytes:
    meta = signers.PdfSignatureMetadata(field_name=field)
    return signers.PdfSigner(meta, signer=signer).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf))).getvalue()


def test_a_pdf_signed_on_the_token_is_valid_for_pyhanko_and_pdfsig(token: SoftToken, pki: SigningPKI) -> None:
    signed = sign(open_pkcs11(identity(token.reference()), token.pin), blank_pdf())
    check_signed(signed, pki.signer, pki.root)


def test_one_changed_byte_is_caught_by_both_validators(token: SoftToken, pki: SigningPKI) -> None:
    signed = bytearray(sign(open_pkcs11(identity(token.reference()), token.pin), blank_pdf("Giay phep so 12")))
    at = signed.index(b"Giay phep so 12")
    signed[at] = ord("X")
    report = pdfsig(bytes(signed))
    assert "Signature is Valid." not in report and "Signature Validation" in report
    with pytest.raises(AssertionError):
        check_signed(bytes(signed), pki.signer, pki.root)


def test_the_identity_certificate_is_used_without_reading_the_token(token: SoftToken, pki: SigningPKI) -> None:
    signer = open_pkcs11(identity(token.reference(cert_label="not-on-the-token"), pki.pem("signer")), token.pin)
    check_signed(sign(signer, blank_pdf()), pki.signer, pki.root)


def test_a_wrong_pin_is_refused_by_the_token_even_while_a_session_is_open(token: SoftToken, pki: SigningPKI) -> None:
    open_pkcs11(identity(token.reference()), token.pin)  # a logged-in session now exists in the process
    with pytest.raises(SigningError) as refused:
        open_pkcs11(identity(token.reference()), "0000")
    assert refused.value.code == "wrong_pin"
    assert "PIN" in refused.value.text("en")
    # the right PIN still signs afterwards
    check_signed(sign(open_pkcs11(identity(token.reference()), token.pin), blank_pdf()), pki.signer, pki.root)


@pytest.mark.parametrize(("changes", "missing"), [
    ({"key_label": "nobody", "cert_label": "nobody"}, "'nobody'"),
    ({"token_label": "no-such-token"}, "'no-such-token'"),
    ({"key_label": None, "cert_label": None, "key_id": "ff"}, "id ff"),
])
def test_a_missing_key_or_token_is_key_unavailable(token: SoftToken, changes: dict[str, Any], missing: str) -> None:
    with pytest.raises(SigningError) as refused:
        open_pkcs11(identity(token.reference(**changes)), token.pin)
    assert refused.value.code == "key_unavailable"
    assert missing in refused.value.text("en")


def test_a_library_that_cannot_be_loaded_is_backend_unavailable(token: SoftToken, tmp_path: Path) -> None:
    with pytest.raises(SigningError) as refused:
        open_pkcs11(identity(token.reference(module=str(tmp_path / "missing.so"))), token.pin)
    assert refused.value.code == "backend_unavailable"


def test_signatures_and_threads_share_one_logged_in_session(token: SoftToken, pki: SigningPKI) -> None:
    signer = open_pkcs11(identity(token.reference()), token.pin)
    logins = pkcs11_logins(token.module, token.label)
    pdf = blank_pdf()
    with ThreadPoolExecutor(max_workers=6) as pool:
        signed = list(pool.map(lambda n: sign(signer if n % 2 else open_pkcs11(identity(token.reference()),
                                                                                 token.pin), pdf), range(12)))
    for document in signed[:3]:
        check_signed(document, pki.signer, pki.root)
    assert len(set(signed)) == 12
    assert pkcs11_logins(token.module, token.label) == logins


def test_a_broken_session_is_opened_again(token: SoftToken, pki: SigningPKI) -> None:
    signer = open_pkcs11(identity(token.reference()), token.pin)
    logins = pkcs11_logins(token.module, token.label)
    # the device drops the session behind the signer's back (what an unplugged token or an HSM failover does)
    shared = backend._token(token.module, token.label)
    with shared.lock:
        assert shared._session is not None
        shared._session.close()
    check_signed(sign(signer, blank_pdf()), pki.signer, pki.root)
    assert pkcs11_logins(token.module, token.label) == logins + 1


@pytest.mark.django_db
def test_the_signing_service_signs_a_result_with_a_token_identity(token: SoftToken, demo_pki: DemoPki) -> None:
    """The whole path: a SigningIdentity with backend pkcs11, the demo leader's key and the agency CA's certificate
    provisioned on the token, MotCua's sign_pdf (certificate checked against the demo root, OCSP, timestamp)."""
    cert = put_demo_signer(token, demo_pki)
    leader = SigningIdentity.objects.create(
        purpose=Purpose.PERSONAL, backend="pkcs11", image=str(demo_pki.images["lanhdao"]),
        reference=token.reference(key_label="lanhdao", cert_label="lanhdao"),
        **describe_certificate(cert.public_bytes(Encoding.DER)))

    signed = sign_pdf(pdf_bytes("Giấy phép xây dựng"), signer=leader, pin=token.pin, reason="Ban hành kết quả")

    assert pdfsig_trusting(signed, demo_pki.root).valid == [True]
    check = verify_pdf(signed)
    assert check.valid and check.trusted and check.intact, check
    assert check.signatures[0].signer_name == "Nguyễn Văn Lãnh"
    assert check.signatures[0].timestamp_time is not None
    with pytest.raises(SigningError) as refused:
        sign_pdf(pdf_bytes("Giấy phép xây dựng"), signer=leader, pin="9999")
    assert refused.value.code == "wrong_pin"
