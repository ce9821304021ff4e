"""Signing results (PAdES with a timestamp, the agency's seal, a visible appearance) and checking them, with a real
demo PKI (``motcua pki_serve``: OCSP, CRL, TSA) and checked independently by poppler's ``pdfsig``."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, SimpleSigner

from motcua.agencies.models import Agency
from motcua.signing import services
from motcua.signing.models import Purpose
from motcua.signing.pki import DEMO_PIN
from motcua.signing.services import (
    check_digest_seal,
    identity_for,
    seal_digest,
    seal_for,
    sign_pdf,
    system_sign_pdf,
    verify_pdf,
)
from tests.factories import pdf_bytes
from tests.pki import DemoPki, pdfsig

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def signed(demo_pki: DemoPki, django_db_blocker: Any) -> bytes:
    """One result signed by the leader and sealed by the agency (made once: each signature takes a while)."""
    leader = demo_pki.identity("lanhdao", save=False)
    leader.pk = 900_001
    seal = demo_pki.identity("ubnd-haiha", purpose=Purpose.SEAL, save=False)
    seal.pk = 900_002
    return sign_pdf(pdf_bytes("Giấy chứng nhận"), signer=leader, pin=DEMO_PIN, seal=seal, reason="Ban hành kết quả",
                    location="Quảng Ninh")


def test_a_signed_and_sealed_result_is_valid_for_pdfsig(signed: bytes, demo_pki: DemoPki) -> None:
    result = pdfsig(signed, demo_pki.root)
    assert result.valid == [True, True], result.output
    # poppler 22.12 checks the chain with NSS but answers "Unknown issue with Certificate" for PAdES signatures
    # (no CMS signing-time attribute); what it must never say is revoked or expired
    for verdict in result.certificate:
        assert "Revoked" not in verdict and "Expired" not in verdict, result.output
    assert "Nguyễn Văn Lãnh" in result.output
    assert "UBND huyện Hải Hà" in result.output


def test_a_signed_and_sealed_result_is_valid_for_pyhanko(signed: bytes) -> None:
    check = verify_pdf(signed)
    assert check.signed and check.intact and check.trusted and check.valid, check
    assert check.sha256 == hashlib.sha256(signed).hexdigest()
    first, second = check.signatures
    assert (first.kind, second.kind) == ("signature", "seal")
    assert first.signer_name == "Nguyễn Văn Lãnh"
    assert first.organization == "UBND huyện Hải Hà"
    assert second.signer_name == "UBND huyện Hải Hà"
    assert first.issuer_name == "MotCua Demo Agency CA (SPECIMEN)"
    for signature in check.signatures:
        assert signature.intact and signature.trusted
        assert signature.revocation == "good"
        assert signature.timestamp_time is not None
        assert signature.signing_time is not None
        assert abs((signature.timestamp_time - signature.signing_time).total_seconds()) < 60
        assert signature.problems == []
    # the seal comes after the signature: only the seal's revision (and its DSS) reach the end of the file
    assert not first.covers_whole_file


def test_the_result_carries_revocation_data_b_lt(signed: bytes) -> None:
    assert b"/DSS" in signed
    assert b"/OCSPs" in signed or b"/CRLs" in signed


def test_one_changed_byte_is_caught_by_both(signed: bytes, demo_pki: DemoPki) -> None:
    # a byte inside the first signed range, in the page content (not in a signature's /Contents hole)
    position = signed.index(b"stream", 200) + 20
    altered = bytearray(signed)
    altered[position] ^= 0x01
    altered_bytes = bytes(altered)

    result = pdfsig(altered_bytes, demo_pki.root)
    assert result.valid and not any(result.valid), result.output

    check = verify_pdf(altered_bytes)
    assert check.signed
    assert not check.intact and not check.valid
    assert all("digest_mismatch" in s.problems for s in check.signatures)


def test_appended_bytes_are_caught(signed: bytes) -> None:
    check = verify_pdf(signed + b"\n% appended\n")
    assert check.signed and not check.intact and not check.valid
    assert "trailing_data" in check.problems
    assert check.sha256 != hashlib.sha256(signed).hexdigest()


@pytest.mark.parametrize("data", [b"", b"not a pdf at all", b"%PDF-1.7\n garbage \x00\xff", b"\x89PNG\r\n"])
def test_verify_never_raises_on_garbage(data: bytes) -> None:
    check = verify_pdf(data)
    assert not check.signed and not check.valid
    assert check.problems == ["not_a_pdf"]


def test_verify_an_unsigned_pdf() -> None:
    check = verify_pdf(pdf_bytes())
    assert not check.signed and not check.valid and check.signatures == []
    assert check.problems == ["unsigned"]


def test_system_seal_signs_a_slip(demo_pki: DemoPki) -> None:
    demo_pki.system_seal()
    sealed = system_sign_pdf(pdf_bytes("Giấy tiếp nhận hồ sơ"), reason="Giấy tiếp nhận")
    check = verify_pdf(sealed)
    assert check.valid, check
    assert [s.kind for s in check.signatures] == ["seal"]
    assert check.signatures[0].signer_name == "MotCua System Seal (SPECIMEN)"
    assert pdfsig(sealed, demo_pki.root).valid == [True]


def test_seal_digest_round_trip_and_tampering(demo_pki: DemoPki) -> None:
    demo_pki.system_seal()
    digest = hashlib.sha256(b"the chain heads of 2026-11-25").digest()
    token = seal_digest(digest)
    check = check_digest_seal(digest, token)
    assert check.valid, check
    assert check.signer_name == "MotCua System Seal (SPECIMEN)"
    assert check.timestamp is not None

    other = hashlib.sha256(b"a rewritten log").digest()
    tampered = check_digest_seal(other, token)
    assert not tampered.valid and "digest_mismatch" in tampered.problems
    assert not check_digest_seal(digest, b"garbage").valid


def test_identity_and_seal_lookups(demo_pki: DemoPki, center: Agency) -> None:
    user = get_user_model().objects.create_user("lanhdao")
    assert identity_for(user.pk) is None and identity_for(None) is None
    identity = demo_pki.identity("lanhdao", user=user)
    assert identity_for(user.pk) == identity
    assert identity.subject_name == "Nguyễn Văn Lãnh" and identity.not_after is not None
    assert seal_for(center) is None
    seal = demo_pki.identity("ubnd-haiha", purpose=Purpose.SEAL, agency=center)
    assert seal_for(center) == seal
    seal.active = False
    seal.save()
    assert seal_for(center) is None


def test_a_signature_that_outgrows_the_room_learnt_is_made_all_the_same(demo_pki: DemoPki) -> None:
    """The room a key's signatures take is learnt from its first one; a larger one later is measured again."""
    leader = demo_pki.identity("vanthu")
    sign_pdf(pdf_bytes(), signer=leader, pin=DEMO_PIN)
    ready = services._prepare(leader, DEMO_PIN)
    assert ready.reserved[False]
    ready.reserved[False] = 64
    signed = sign_pdf(pdf_bytes("again"), signer=leader, pin=DEMO_PIN)
    assert verify_pdf(signed).valid
    assert (ready.reserved[False] or 0) > 64


def test_a_signature_by_a_revoked_certificate_is_reported_revoked(demo_pki: DemoPki) -> None:
    """Made with pyHanko alone (MotCua refuses to sign with it): the verifier finds the revocation."""
    signer = SimpleSigner.load_pkcs12(str(demo_pki.p12("revoked")), passphrase=DEMO_PIN.encode())
    output = io.BytesIO()
    PdfSigner(PdfSignatureMetadata(field_name="Forged", subfilter=SigSeedSubFilter.PADES), signer).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf_bytes())), output=output)
    check = verify_pdf(output.getvalue())
    assert check.signed and check.intact
    assert not check.trusted and not check.valid
    (signature,) = check.signatures
    assert signature.revocation == "revoked"
    assert "revoked" in signature.problems and "no_timestamp" in signature.problems
    assert signature.timestamp_time is None
