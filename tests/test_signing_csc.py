"""Remote signing over the Cloud Signature Consortium API against certomancer-csc-dummy running as its own process:
PDFs signed through ``open_csc`` and pyHanko are valid for pyHanko's validator and poppler's pdfsig; a wrong PIN,
a refused access token, an unknown credential, another certificate and a service that does not answer are each
their own error."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from motcua.signing.backends.csc import open_csc
from motcua.signing.errors import SigningError
from motcua.signing.models import Purpose, SigningIdentity
from motcua.signing.pki import ARCH as DEMO_ARCH
from motcua.signing.pki import DEMO_PIN
from motcua.signing.services import describe_certificate, sign_pdf, verify_pdf
from tests.factories import pdf_bytes
from tests.pki import DemoPki
from tests.pki import pdfsig as pdfsig_trusting
from tests.tokens import CSCServer, SigningPKI, blank_pdf, check_signed, csc_server, free_port, make_test_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> SigningPKI:
    return make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def server(pki: SigningPKI) -> Iterator[CSCServer]:
    """The dummy server with a PIN and an access token, authorisations bound to the hashes (SCAL2)."""
    with csc_server(pki.config) as running:
        yield running


def identity(reference: dict[str, Any], certificate_pem: str = "") -> Any:
    return SimpleNamespace(reference=reference, certificate_pem=certificate_pem)


def sign(signer: signers.Signer, pdf: bytes) -> bytes:
    meta = signers.PdfSignatureMetadata(field_name="Signature1")
    return signers.PdfSigner(meta, signer=signer).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf))).getvalue()


def test_a_pdf_signed_remotely_is_valid_for_pyhanko_and_pdfsig(server: CSCServer, pki: SigningPKI) -> None:
    signer = open_csc(identity(server.reference(), pki.pem("signer")), server.pin)
    check_signed(sign(signer, blank_pdf()), pki.signer, pki.root)
    # the same signer signs again (a new authorisation for each hash)
    check_signed(sign(signer, blank_pdf("second")), pki.signer, pki.root)


def test_the_unmodified_dummy_server_signs_too(pki: SigningPKI) -> None:
    with csc_server(pki.config, checked=False, scal=1) as stock:
        signer = open_csc(identity(stock.reference("seal", oauth_token=None)), "")
        check_signed(sign(signer, blank_pdf()), pki.seal, pki.root)


def test_the_signer_works_inside_a_running_event_loop(server: CSCServer, pki: SigningPKI) -> None:
    async def in_an_async_view() -> bytes:
        signer = open_csc(identity(server.reference()), server.pin)
        meta = signers.PdfSignatureMetadata(field_name="Signature1")
        out = await signers.PdfSigner(meta, signer=signer).async_sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(blank_pdf())))
        return out.getvalue()

    check_signed(asyncio.run(in_an_async_view()), pki.signer, pki.root)


def test_a_wrong_pin_is_refused_and_nothing_is_signed(server: CSCServer) -> None:
    signer = open_csc(identity(server.reference()), "000000")
    with pytest.raises(SigningError) as refused:
        sign(signer, blank_pdf())
    assert refused.value.code == "wrong_pin"
    assert "PIN" in refused.value.text("en")


def test_a_refused_access_token_is_remote_signing_unauthorized(server: CSCServer) -> None:
    with pytest.raises(SigningError) as refused:
        open_csc(identity(server.reference(oauth_token="expired")), server.pin)
    assert refused.value.code == "remote_signing_unauthorized"
    assert "401" in refused.value.text("en")


def test_an_unknown_credential_is_key_unavailable(server: CSCServer) -> None:
    with pytest.raises(SigningError) as refused:
        open_csc(identity(server.reference(credential_id="motcua-test/nobody")), server.pin)
    assert refused.value.code == "key_unavailable"


def test_a_credential_with_another_certificate_is_refused(server: CSCServer, pki: SigningPKI) -> None:
    with pytest.raises(SigningError) as refused:
        open_csc(identity(server.reference("seal"), pki.pem("signer")),
                 server.pin)
    assert refused.value.code == "certificate_mismatch"


def test_a_service_that_does_not_answer_is_remote_signing_unreachable(server: CSCServer) -> None:
    with pytest.raises(SigningError) as refused:
        open_csc(identity(server.reference(url=f"http://127.0.0.1:{free_port()}")), server.pin)
    assert refused.value.code == "remote_signing_unreachable"


def test_a_service_that_goes_down_before_the_signature_is_remote_signing_unreachable(pki: SigningPKI) -> None:
    with csc_server(pki.config) as short_lived:
        signer = open_csc(identity(short_lived.reference()), short_lived.pin)
    with pytest.raises(SigningError) as refused:
        sign(signer, blank_pdf())
    assert refused.value.code == "remote_signing_unreachable"


@pytest.mark.django_db
def test_the_signing_service_signs_a_result_with_a_remote_identity(demo_pki: DemoPki) -> None:
    """The whole path: a SigningIdentity with backend csc at a CSC server holding the demo PKI's keys, MotCua's
    sign_pdf (certificate checked against the demo root, OCSP, timestamp)."""
    with csc_server(demo_pki.directory / "certomancer.yml", arch=DEMO_ARCH) as remote:
        leader = SigningIdentity.objects.create(
            purpose=Purpose.PERSONAL, backend="csc", reference=remote.reference("lanhdao"),
            image=str(demo_pki.images["lanhdao"]), **describe_certificate(demo_certificate(demo_pki, "lanhdao")))

        signed = sign_pdf(pdf_bytes("Giấy phép xây dựng"), signer=leader, pin=remote.pin, reason="Ban hành kết quả")

        with pytest.raises(SigningError) as refused:
            sign_pdf(pdf_bytes("Giấy phép xây dựng"), signer=leader, pin="000000")
        assert refused.value.code == "wrong_pin"

    assert pdfsig_trusting(signed, demo_pki.root).valid == [True]
    check = verify_pdf(signed)
    assert check.valid and check.trusted and check.intact, check
    assert check.signatures[0].signer_name == "Nguyễn Văn Lãnh"
    assert check.signatures[0].timestamp_time is not None


def demo_certificate(demo_pki: DemoPki, label: str) -> bytes:
    _, cert, _ = pkcs12.load_key_and_certificates(demo_pki.p12(label).read_bytes(), DEMO_PIN.encode())
    assert cert is not None
    return cert.public_bytes(Encoding.DER)
