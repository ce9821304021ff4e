"""Issuing a result (issue 11): the officer's draft from the template is numbered in the register, gets the QR
code of Circular 01/2023, is signed by the leader and sealed by the agency with a real PKI (OCSP, CRL and a
timestamp authority served by ``motcua pki_serve``), checked by pyHanko and by poppler's ``pdfsig``; the public
verification page and API tell a genuine result from one changed byte; every refusal issues nothing."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from django.test import Client
from django.urls import reverse

from motcua.catalog.models import ProcedureVersion, ResultTemplate
from motcua.core.errors import MotCuaError
from motcua.dossiers import services
from motcua.dossiers.models import Attachment, AttachmentKind, Dossier, Event, IssuedResult
from motcua.dossiers.results import parse_qr_payload
from motcua.dossiers.statuses import EventKind, Status
from motcua.dossiers.verification import Verdict, check_file, check_issued, lookup
from motcua.signing.models import Purpose
from motcua.signing.services import verify_pdf
from tests.factories import MONDAY, World, act, citizen_user, owned, pay, pdf_bytes
from tests.pki import DEMO_PIN, DemoPki, pdfsig

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def world(demo_pki: DemoPki) -> World:
    world = World(signed_results=True)
    demo_pki.identity("lanhdao", user=world.users["lanhdao"])
    demo_pki.identity("ubnd-haiha", purpose=Purpose.SEAL, agency=world.committee)
    version = ProcedureVersion.objects.get(procedure__code="1.000894")
    template = ResultTemplate(version=version, result=version.results.first(), name="Giấy chứng nhận kết hôn",
                              book="KH", valid_for_days=None,
                              body="<h1>GIẤY CHỨNG NHẬN KẾT HÔN</h1><p>Cấp cho {{ applicant.name }}</p>")
    template.full_clean()
    template.save()
    world.template = template  # type: ignore[attr-defined]
    return world


def awaiting_signature(world: World, *, delivery: str = "counter", citizen: int = 1) -> Dossier:
    """An online citizen's dossier drafted from the template by the officer, approved, at the signing step."""
    dossier = owned(world, citizen_user(phone=f"091234567{citizen}",
                                        id_number=f"02209000123{citizen}"))
    Dossier.objects.filter(pk=dossier.pk).update(delivery=delivery)
    start = MONDAY + timedelta(hours=1)
    dossier = act(world, dossier, "transfer", "tiepnhan", start)
    services.draft_result(dossier.code, actor=world.actor("chuyenvien"), template_id=world.template.pk,  # type: ignore[attr-defined]
                          now=start + timedelta(minutes=30))
    dossier = act(world, dossier, "forward", "chuyenvien", start + timedelta(hours=1))
    dossier = act(world, dossier, "approve", "lanhdao", start + timedelta(hours=2))
    assert dossier.status == Status.AWAITING_SIGNATURE
    return dossier


def result_bytes(issued: IssuedResult) -> bytes:
    with issued.attachment.file.open("rb") as handle:
        return handle.read()


def qr_text(pdf: bytes) -> str:
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=3).to_pil()
    found = zxingcpp.read_barcodes(image)
    assert found, "no QR code on page 1"
    return str(found[0].text)


def flip_one_byte(data: bytes) -> bytes:
    """One byte of the signed content changed (inside the first page's content, not the signature itself)."""
    position = data.index(b"stream") + 40
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1:]


def test_the_leader_signs_the_draft_and_everyone_can_check_it(world: World, demo_pki: DemoPki) -> None:
    dossier = awaiting_signature(world)
    issued_at = MONDAY + timedelta(hours=4)
    dossier = services.issue_result(dossier.code, actor=world.actor("lanhdao"), pin=DEMO_PIN, now=issued_at)
    assert dossier.status == Status.RESULT_READY

    issued = IssuedResult.objects.get(dossier=dossier)
    assert (issued.number, issued.book, issued.year, issued.signed) == (1, "KH", issued_at.year, True)
    assert issued.register_number == f"1/{issued_at.year}/KH"
    data = result_bytes(issued)
    assert issued.sha256 == issued.attachment.sha256

    # pyHanko: the leader's signature and the agency's seal, both intact, trusted, timestamped, not revoked
    check = verify_pdf(data)
    assert check.signed and check.intact and check.trusted and check.valid
    assert [s.kind for s in check.signatures] == ["signature", "seal"]
    assert all(s.timestamp_time is not None and s.revocation == "good" for s in check.signatures)
    # poppler, independently
    poppler = pdfsig(data, demo_pki.root)
    assert poppler.valid == [True, True], poppler.output

    # the QR code of Circular 01/2023 in the top-left corner: the dossier, procedure, applicant, number, address
    qr = parse_qr_payload(qr_text(data))
    assert qr["dossier_code"] == dossier.code and qr["procedure_code"] == "1.000894"
    assert qr["applicant_id"] == dossier.applicant_id_number and qr["number"] == issued.register_number
    assert qr["verify_url"].endswith(f"/xac-thuc/{issued.verification_code}/")

    # the event log says what was issued, under which number, signed
    event = Event.objects.get(dossier=dossier, action=EventKind.ISSUE_RESULT)
    assert event.data["result"]["register_number"] == issued.register_number and event.data["result"]["signed"]

    # the verification: by code, by number, by file; one changed byte is "altered" for pyHanko and for poppler
    assert check_issued(issued).verdict == Verdict.VALID
    assert [found.pk for found in lookup(issued.register_number)] == [issued.pk]
    assert check_file(data).verdict == Verdict.VALID and check_file(data).matches_register
    altered = flip_one_byte(data)
    assert check_file(altered).verdict == Verdict.ALTERED
    assert pdfsig(altered, demo_pki.root).valid[:1] == [False]


def test_the_public_page_and_api_tell_valid_from_altered(world: World, client: Client) -> None:
    dossier = awaiting_signature(world)
    services.issue_result(dossier.code, actor=world.actor("lanhdao"), pin=DEMO_PIN, now=MONDAY + timedelta(hours=4))
    issued = IssuedResult.objects.get(dossier=dossier)
    page = client.get(reverse("portal:verify_code", args=[issued.verification_code]))
    html = page.content.decode()
    assert page.status_code == 200 and 'data-verdict="valid"' in html
    assert issued.register_number in html and dossier.applicant_id_number not in html  # no ID numbers shown
    assert "Nguyễn V. A." in html and "Nguyễn Văn An" not in html  # the holder's given names as initials

    data = result_bytes(issued)
    upload = io.BytesIO(flip_one_byte(data))
    upload.name = "ket-qua.pdf"
    page = client.post(reverse("portal:verify"), {"tep": upload})
    assert page.status_code == 200 and 'data-verdict="altered"' in page.content.decode()

    answer = client.get(f"/api/v1/verify/{issued.verification_code}")
    assert answer.status_code == 200
    body = answer.json()[0]
    assert body["verdict"] == "valid" and body["matches_register"] is True
    assert [s["kind"] for s in body["signatures"]] == ["signature", "seal"]
    assert "id_number" not in str(body) and dossier.applicant_id_number not in str(body)
    upload = io.BytesIO(data)
    upload.name = "ket-qua.pdf"
    answer = client.post("/api/v1/verify", {"file": upload})
    assert answer.status_code == 200 and answer.json()["verdict"] == "valid"
    assert client.get("/api/v1/verify/khong-co-ma-nay-1234").status_code == 404


def test_an_electronic_result_is_returned_when_it_is_issued(world: World) -> None:
    dossier = awaiting_signature(world, delivery="electronic")
    pay(dossier, world.actor("tiepnhan"), MONDAY + timedelta(hours=3))  # paid: nothing holds the result back
    dossier = services.issue_result(dossier.code, actor=world.actor("lanhdao"), pin=DEMO_PIN,
                                    now=MONDAY + timedelta(hours=4))
    assert dossier.status == Status.RETURNED
    last = Event.objects.filter(dossier=dossier).order_by("-seq").first()
    assert last is not None and last.action == EventKind.RETURN_RESULT and last.actor_id is None
    assert last.actor_name == "MotCua" and dossier.returned_at is not None


@pytest.mark.parametrize(("pin", "code"), [("000000", "wrong_pin"), ("", "signature_required")])
def test_a_refused_signature_issues_nothing(world: World, pin: str, code: str) -> None:
    dossier = awaiting_signature(world)
    with pytest.raises(MotCuaError) as refused:
        services.issue_result(dossier.code, actor=world.actor("lanhdao"), pin=pin, now=MONDAY + timedelta(hours=4))
    assert refused.value.code == code
    dossier.refresh_from_db()
    assert dossier.status == Status.AWAITING_SIGNATURE
    assert not IssuedResult.objects.exists()
    assert not Attachment.objects.filter(dossier=dossier, kind=AttachmentKind.RESULT).exists()
    # the number was given back: the next result issued is number 1
    services.issue_result(dossier.code, actor=world.actor("lanhdao"), pin=DEMO_PIN, now=MONDAY + timedelta(hours=5))
    assert IssuedResult.objects.get(dossier=dossier).number == 1


def test_a_signer_without_a_certificate_is_told_so(world: World) -> None:
    dossier = awaiting_signature(world)
    world.users["lanhdao"].signing_identities.update(active=False)
    with pytest.raises(MotCuaError) as refused:
        services.issue_result(dossier.code, actor=world.actor("lanhdao"), pin=DEMO_PIN)
    assert refused.value.code == "no_signing_identity"


def test_a_file_presented_as_signed_must_be(world: World, demo_pki: DemoPki) -> None:
    dossier = awaiting_signature(world)
    unsigned = io.BytesIO(pdf_bytes("kết quả"))
    with pytest.raises(MotCuaError) as refused:
        services.issue_result(dossier.code, actor=world.actor("lanhdao"), file=unsigned, name="kq.pdf",
                              presigned=True)
    assert refused.value.code == "upload_not_signed"
    assert not IssuedResult.objects.exists()

    from motcua.signing.services import identity_for, sign_pdf  # noqa: PLC0415 - the signer's own tool
    signed = sign_pdf(pdf_bytes("kết quả"), signer=identity_for(world.users["lanhdao"].pk), pin=DEMO_PIN)  # type: ignore[arg-type]
    with pytest.raises(MotCuaError) as refused:
        services.issue_result(dossier.code, actor=world.actor("lanhdao"), file=io.BytesIO(flip_one_byte(signed)),
                              name="kq.pdf", presigned=True)
    assert refused.value.code == "upload_signature_altered"

    services.issue_result(dossier.code, actor=world.actor("lanhdao"), file=io.BytesIO(signed), name="kq.pdf",
                          presigned=True)
    issued = IssuedResult.objects.get(dossier=dossier)
    assert issued.signed and result_bytes(issued) == signed  # kept as it is: stamping would break the signature


def test_signing_twice_and_issuing_around_the_register_are_refused(world: World) -> None:
    dossier = awaiting_signature(world)
    services.issue_result(dossier.code, actor=world.actor("lanhdao"), pin=DEMO_PIN)
    with pytest.raises(MotCuaError) as refused:
        services.issue_result(dossier.code, actor=world.actor("lanhdao"), pin=DEMO_PIN)
    assert refused.value.status == 409

    other = awaiting_signature(world, citizen=2)
    services.attach(other.code, actor=world.actor("lanhdao"), file=io.BytesIO(pdf_bytes()), name="kq.pdf",
                    kind="result")
    with pytest.raises(MotCuaError) as refused:
        services.perform(other.code, "issue_result", actor=world.actor("lanhdao"))
    assert refused.value.code == "result_not_registered"


def test_an_already_signed_draft_is_not_signed_again(world: World) -> None:
    from motcua.signing.services import identity_for, sign_pdf  # noqa: PLC0415

    dossier = awaiting_signature(world)
    signed = sign_pdf(pdf_bytes("kết quả"), signer=identity_for(world.users["lanhdao"].pk), pin=DEMO_PIN)  # type: ignore[arg-type]
    with pytest.raises(MotCuaError) as refused:
        services.issue_result(dossier.code, actor=world.actor("lanhdao"), file=io.BytesIO(signed), name="kq.pdf",
                              pin=DEMO_PIN)
    assert refused.value.code == "already_signed"
    assert not IssuedResult.objects.exists()


def test_slips_are_sealed_by_the_system_when_it_has_a_seal(world: World, demo_pki: DemoPki) -> None:
    from motcua.dossiers.slips import render_slip  # noqa: PLC0415

    dossier = awaiting_signature(world)
    unsealed = render_slip(dossier, "receipt")
    assert not verify_pdf(unsealed).signed  # no system seal yet: the slip is given unsealed, not refused
    demo_pki.system_seal()
    sealed = verify_pdf(render_slip(dossier, "receipt"))
    assert sealed.signed and sealed.valid and [s.kind for s in sealed.signatures] == ["seal"]
    assert sealed.signatures[0].organization or sealed.signatures[0].signer_name


def test_in_the_workspace_the_signer_gives_a_pin_and_the_citizen_downloads_the_signed_result(
        world: World, demo_pki: DemoPki) -> None:
    dossier = awaiting_signature(world)
    leader = Client()
    leader.force_login(world.users["lanhdao"])
    page = leader.get(reverse("workspace:dossier", args=[dossier.code])).content.decode()
    assert 'name="pin"' in page and 'type="password"' in page and 'name="presigned"' in page
    address = reverse("workspace:act", args=[dossier.code, "issue_result"])
    refused = leader.post(address, {"revision": Dossier.objects.get(pk=dossier.pk).revision, "pin": "999999"})
    assert refused.status_code == 422 and 'id="issue_result-pin"' in refused.content.decode()
    assert Dossier.objects.get(pk=dossier.pk).status == Status.AWAITING_SIGNATURE
    done = leader.post(address, {"revision": Dossier.objects.get(pk=dossier.pk).revision, "pin": DEMO_PIN})
    assert done.status_code == 302
    issued = IssuedResult.objects.get(dossier=dossier)

    citizen = Client()
    citizen.force_login(dossier.applicant_user)
    unpaid = citizen.get(reverse("portal:my_file", args=[dossier.code, issued.attachment.pk]))
    assert unpaid.status_code == 404  # an unpaid dossier cannot release its result
    pay(dossier, world.actor("tiepnhan"))
    download = citizen.get(reverse("portal:my_file", args=[dossier.code, issued.attachment.pk]))
    assert download.status_code == 200
    data = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert data == result_bytes(issued) and verify_pdf(data).valid
    assert pdfsig(data, demo_pki.root).valid == [True, True]

    # one byte changed in storage: never served, and the verification page says the stored copy was altered
    with open(issued.attachment.file.path, "ab") as handle:
        handle.write(b"\n")
    refused = citizen.get(reverse("portal:my_file", args=[dossier.code, issued.attachment.pk]))
    assert refused.status_code >= 400 and b"%PDF" not in refused.content
    assert check_issued(issued).verdict == Verdict.STORAGE_ALTERED


def test_without_a_draft_the_result_is_drafted_from_the_template_when_signed(world: World) -> None:
    dossier = owned(world, citizen_user(phone="0912345673", id_number="022090001233"))
    start = MONDAY + timedelta(hours=1)
    dossier = act(world, dossier, "transfer", "tiepnhan", start)
    dossier = act(world, dossier, "forward", "chuyenvien", start + timedelta(hours=1))  # no draft made
    dossier = act(world, dossier, "approve", "lanhdao", start + timedelta(hours=2))
    services.issue_result(dossier.code, actor=world.actor("lanhdao"), pin=DEMO_PIN, now=start + timedelta(hours=3))
    issued = IssuedResult.objects.get(dossier=dossier)
    assert issued.name == "Giấy chứng nhận kết hôn" and issued.book == "KH"
    assert verify_pdf(result_bytes(issued)).valid


def test_a_draft_altered_in_storage_is_never_signed(world: World) -> None:
    dossier = awaiting_signature(world)
    draft = Attachment.objects.filter(dossier=dossier, kind=AttachmentKind.DRAFT).get()
    with open(draft.file.path, "ab") as handle:
        handle.write(b"%% added after the officer drafted it\n")
    with pytest.raises(MotCuaError) as refused:
        services.issue_result(dossier.code, actor=world.actor("lanhdao"), pin=DEMO_PIN)
    assert refused.value.code == "file_altered"
    assert not IssuedResult.objects.exists()
    assert Dossier.objects.get(pk=dossier.pk).status == Status.AWAITING_SIGNATURE


def test_a_number_several_agencies_issued_lists_them_to_choose_without_checking_every_file(
        world: World, client: Client) -> None:
    first = awaiting_signature(world)
    services.issue_result(first.code, actor=world.actor("lanhdao"), pin=DEMO_PIN)
    issued = IssuedResult.objects.get(dossier=first)
    other = IssuedResult.objects.create(  # the same number in another agency's book of the same name
        dossier=first, attachment=issued.attachment, name="Giấy chứng nhận kết hôn", agency=world.commune,
        book=issued.book, year=issued.year, number=issued.number, issued_at=issued.issued_at, sha256="0" * 64)
    page = client.get(reverse("portal:verify"), {"ma": issued.register_number}).content.decode()
    assert page.count('data-verdict="choose"') == 2 and 'id="signatures"' not in page
    for each in (issued, other):
        assert reverse("portal:verify_code", args=[each.verification_code]) in page
    body = client.get(f"/api/v1/verify/{issued.register_number}").json()
    assert [b["verdict"] for b in body] == ["choose", "choose"] and all(not b["signatures"] for b in body)
    assert {b["result"]["verification_code"] for b in body} == {issued.verification_code, other.verification_code}
    one = client.get(reverse("portal:verify_code", args=[issued.verification_code])).content.decode()
    assert 'data-verdict="valid"' in one
