"""Digitization at reception (Decree 45/2020, Circular 01/2023): every component file received at a counter, a
post office or online becomes a digitized document with its metadata, kept in the dossier's event chain."""

from __future__ import annotations

import hashlib
import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from motcua.agencies.models import Agency
from motcua.core.errors import ValidationFailed
from motcua.documents.models import StoredDocument
from motcua.dossiers import services
from motcua.dossiers.actors import Actor
from motcua.dossiers.audit import verify_all
from motcua.dossiers.models import Attachment, Digitization, Dossier, Event
from motcua.signing.errors import SigningError
from motcua.signing.pki import DEMO_PIN
from motcua.signing.services import verify_pdf
from tests.factories import MONDAY, World, citizen_user, owned, pdf_bytes, receive
from tests.pki import DemoPki
from tests.test_portal_wizard import DETAILS, fill, start, step
from tests.test_workspace import CITIZEN_ID, build_hatu, reception_form, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def hatu(db: Any, media: Path) -> dict[str, Agency]:
    return build_hatu()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (30, 60, 90)).save(out, format="JPEG")
    return out.getvalue()


def scan(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(text), content_type="application/pdf")


def test_a_counter_reception_records_each_scan_s_digitization_in_the_chain(hatu: dict[str, Agency]) -> None:
    client = signed_in("tiepnhan.hatu")
    response = client.post("/workspace/receive/", {
        **reception_form(), "c1-scan": scan("to-khai.pdf", "tờ khai"), "c2-scan": scan("cccd.pdf", "căn cước"),
        "c1-number": "  12/2026/TK  ", "c1-issuing_body": "UBND phường Hà Tu", "c1-signer_name": "Trần Văn Bình",
        "c1-document_date": "2026-01-15", "c1-valid_until": "2031-01-15",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    dossier = Dossier.objects.get()
    officer = get_user_model().objects.get(username="tiepnhan.hatu")
    first, second = (Digitization.objects.get(attachment__component__order=order) for order in (1, 2))
    assert (first.number, first.issuing_body, first.signer_name) == ("12/2026/TK", "UBND phường Hà Tu",
                                                                      "Trần Văn Bình")
    assert (first.document_date, first.valid_until) == (date(2026, 1, 15), date(2031, 1, 15))
    # nothing typed for the second: the applicant owns it, dated today, digitized by the officer, unsigned
    assert second.number == "" and second.document_date == timezone.localdate() and second.valid_until is None
    for row in (first, second):
        assert row.owner_id_number == CITIZEN_ID and row.digitized_by == officer and not row.signed
        assert row.sha256 == row.attachment.sha256 and row.reused_from is None
    events = {e.data["attachment"]: e for e in Event.objects.filter(dossier=dossier, action="attach")}
    kept = events[first.attachment_id].data["digitization"]
    assert kept["number"] == "12/2026/TK" and kept["document_date"] == "2026-01-15"
    assert kept["valid_until"] == "2031-01-15" and kept["digitized_by"] == officer.pk and kept["signed"] is False
    assert events[second.attachment_id].data["digitization"]["owner_id_number"] == CITIZEN_ID
    assert list(verify_all()) == []  # the metadata is in the hash chain, and the chain verifies

    page = client.get(f"/workspace/dossiers/{dossier.code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'id="digitization-{first.attachment_id}"' in page and "12/2026/TK" in page
    assert page.count("not signed") >= 2


def test_a_post_office_reception_digitizes_its_scans_too(media: Path) -> None:
    world = World()
    data = {"procedure": "1.000894", "channel": "post_office", "receiving_agency": world.post.identifier_code,
            "applicant": {"name": "Nguyễn Văn An", "id_number": "022090001234"},
            "components": [{"order": 1, "originals": 1}], "delivery": "post", "delivery_address": "Hà Tu"}
    dossier = services.receive_at_counter(actor=world.actor("buudien"), data=data,
                                          scans={1: scan("to-khai.pdf", "tờ khai")},
                                          digitized={1: {"number": "7/BĐ"}}, now=MONDAY)
    row = Digitization.objects.get(attachment__dossier=dossier)
    assert row.number == "7/BĐ" and row.digitized_by == world.users["buudien"]
    assert row.document_date == date(2026, 11, 16)  # the reception's day


@pytest.mark.parametrize(("typed", "field", "code"), [
    ({"document_date": "2099-01-01"}, "document_date", "date_in_future"),
    ({"document_date": "2026-01-15", "valid_until": "2025-12-31"}, "valid_until", "valid_before_date"),
    ({"number": "x" * 101}, "number", "too_long"),
    ({"issuing_body": "x" * 301}, "issuing_body", "too_long"),
    ({"document_date": "15/01/2026"}, "document_date", "invalid_date"),
])
def test_bad_metadata_is_a_field_error_and_nothing_is_received(hatu: dict[str, Agency], media: Path,
                                                               typed: dict[str, str], field: str, code: str) -> None:
    data = {"procedure": "1.000894", "channel": "counter", "receiving_agency": "000.01.20.H22",
            "applicant": {"name": "Nguyễn Thị Hoa", "id_number": CITIZEN_ID},
            "components": [{"order": 1}, {"order": 2}], "delivery": "counter"}
    with pytest.raises(ValidationFailed) as caught:
        services.receive_at_counter(actor=signed_actor("tiepnhan.hatu"), data=data,
                                    scans={2: scan("cccd.pdf", "căn cước")}, digitized={2: typed})
    assert [(e.code, e.location) for e in caught.value.errors] == [(code, f"components.1.{field}")]
    assert not Dossier.objects.exists() and not Attachment.objects.exists()
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))

    client = signed_in("tiepnhan.hatu")
    response = client.post("/workspace/receive/", {
        **reception_form(), "c1-scan": scan("to-khai.pdf", "tờ khai"),
        **{f"c1-{name}": value for name, value in typed.items()}}, HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 422
    assert f'id="c1-{field}-error"' in body and 'aria-invalid="true"' in body
    assert typed[field][:20] in body  # what the officer typed is kept
    assert not Dossier.objects.exists()


def signed_actor(username: str) -> Actor:
    return Actor.for_user(get_user_model().objects.get(username=username))


@pytest.fixture
def citizen(world: World, media: Path) -> Client:
    client = Client()
    client.force_login(citizen_user())
    return client


def test_accepting_an_online_dossier_digitizes_its_files_and_a_reused_one_says_so(
    citizen: Client, world: World, django_capture_on_commit_callbacks: Any,
) -> None:
    draft = start(citizen)
    fill(citizen, draft)
    citizen.post(step(draft, "review"), {"declare": "1"})
    first = Dossier.objects.get()
    scan_file = Attachment.objects.get(dossier=first)
    assert not Digitization.objects.exists()  # sent, not yet accepted
    with django_capture_on_commit_callbacks(execute=True):  # the data warehouse is filled after the commit
        services.perform(first.code, "receive", actor=world.actor("tiepnhan"), now=MONDAY + timedelta(days=1))
    row = Digitization.objects.get()
    assert row.attachment == scan_file and row.digitized_by == world.users["tiepnhan"]
    assert row.owner_id_number == "022090001234" and not row.reused and not row.signed
    receive = Event.objects.get(dossier=first, action="receive")
    assert receive.data["digitized"] == [{
        "attachment": scan_file.pk, "sha256": scan_file.sha256, "digitized_by": world.users["tiepnhan"].pk,
        "owner_id_number": "022090001234", "document_code": "", "number": "", "issuing_body": "",
        "signer_name": "", "document_date": None, "valid_until": None, "reused_from": None,
        "reused_document": None, "signed": False, "signer_certificate": "",
    }]

    stored = StoredDocument.objects.get()
    second = start(citizen)
    citizen.post(step(second, "details"), DETAILS)
    assert citizen.post(step(second, "documents"), {"c1-stored": str(stored.pk), "continue": "1"}).status_code == 302
    citizen.post(step(second, "delivery"), {"delivery": "electronic"})
    citizen.post(step(second, "review"), {"declare": "1"})
    newest = Dossier.objects.latest("pk")
    services.perform(newest.code, "receive", actor=world.actor("tiepnhan"))
    reused = Digitization.objects.get(attachment__dossier=newest)
    assert reused.reused and reused.reused_document_id == stored.pk and reused.reused_from == scan_file
    data = Event.objects.get(dossier=newest, action="receive").data["digitized"][0]
    assert data["reused_document"] == stored.pk and data["reused_from"] == scan_file.pk
    assert list(verify_all()) == []


def test_the_officer_signs_the_scans_with_the_pin_and_a_wrong_pin_receives_nothing(
    hatu: dict[str, Agency], media: Path, demo_pki: DemoPki,
) -> None:
    officer = get_user_model().objects.get(username="tiepnhan.hatu")
    demo_pki.identity("vanthu", user=officer)
    data = {"procedure": "1.000894", "channel": "counter", "receiving_agency": "000.01.20.H22",
            "applicant": {"name": "Nguyễn Thị Hoa", "id_number": CITIZEN_ID},
            "components": [{"order": 1}, {"order": 2}], "delivery": "counter"}
    with pytest.raises(SigningError) as caught:
        services.receive_at_counter(actor=signed_actor("tiepnhan.hatu"), data=data, pin="wrong",
                                    scans={1: scan("to-khai.pdf", "tờ khai")})
    assert caught.value.code == "wrong_pin"
    assert not Dossier.objects.exists() and not Attachment.objects.exists()

    original = pdf_bytes("tờ khai")
    dossier = services.receive_at_counter(
        actor=signed_actor("tiepnhan.hatu"), data=data, pin=DEMO_PIN,
        scans={1: SimpleUploadedFile("to-khai.pdf", original, content_type="application/pdf"),
               2: SimpleUploadedFile("cccd.jpg", jpeg(), content_type="image/jpeg")})
    signed, photo = (Digitization.objects.get(attachment__dossier=dossier, attachment__component__order=order)
                     for order in (1, 2))
    assert signed.signed and "Trần Thị Thư" in signed.signer_certificate
    assert not photo.signed and photo.signer_certificate == ""  # a photo is recorded as it is
    with signed.attachment.file.open("rb") as handle:
        stored = handle.read()
    assert stored != original and signed.sha256 == signed.attachment.sha256 == hashlib.sha256(stored).hexdigest()
    check = verify_pdf(stored)
    assert check.valid and check.signatures[0].signer_name == "Trần Thị Thư", check
    event = Event.objects.get(dossier=dossier, action="attach", data__attachment=signed.attachment_id)
    assert event.data["digitization"]["signed"] is True and event.data["sha256"] == signed.sha256
    assert list(verify_all()) == []

    client = signed_in("tiepnhan.hatu")
    page = client.get("/workspace/receive/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="pin"' in page  # the officer has a signing identity: the form asks for its PIN
    page = client.get(f"/workspace/dossiers/{dossier.code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Trần Thị Thư" in page and "not signed" in page  # one signed, the photo not


def test_a_scan_added_by_staff_to_a_received_dossier_is_digitized_too(media: Path) -> None:
    world = World()
    dossier = receive(world)  # received at the counter without scans (as the API does it: files come next)
    attachment = services.attach(dossier.code, actor=world.actor("tiepnhan"), file=io.BytesIO(pdf_bytes("tờ khai")),
                                 name="to-khai.pdf", kind="scan", component=1, now=MONDAY)
    row = Digitization.objects.get()
    assert row.attachment == attachment and row.digitized_by == world.users["tiepnhan"]
    assert row.owner_id_number == "022090001234" and not row.signed
    event = Event.objects.get(dossier=dossier, action="attach")
    assert event.data["digitization"]["digitized_by"] == world.users["tiepnhan"].pk
    services.attach(dossier.code, actor=world.actor("tiepnhan"), file=io.BytesIO(pdf_bytes("ghi chú")),
                    name="ghi-chu.pdf", kind="other", now=MONDAY)
    assert Digitization.objects.count() == 1  # not a component's document
    assert list(verify_all()) == []


def test_a_supplement_is_digitized_when_an_officer_records_it_not_when_the_applicant_does(media: Path) -> None:
    world = World()
    owner = citizen_user()
    applicant = Actor.for_user(owner)
    missing = [{"document": "Tờ khai", "reason": "thiếu chữ ký"}]
    rows = {}
    for recorder in (applicant, world.actor("tiepnhan")):
        dossier = owned(world, owner)
        services.perform(dossier.code, "request_supplement", actor=world.actor("tiepnhan"),
                         params={"missing": missing}, now=MONDAY + timedelta(hours=1))
        sent = services.attach(dossier.code, actor=applicant, file=io.BytesIO(pdf_bytes(f"bổ sung {dossier.pk}")),
                               name="bs.pdf", kind="supplement", component=1, now=MONDAY + timedelta(hours=2))
        services.perform(dossier.code, "supplement", actor=recorder, now=MONDAY + timedelta(hours=2),
                         params={"received": [1]} if recorder.roles else {})
        event = Event.objects.get(dossier=dossier, action="supplement")
        rows[recorder.name] = (sent, Digitization.objects.filter(attachment=sent).first(), event.data)
    sent, row, data = rows[applicant.name]
    assert row is None and "digitized" not in data  # nobody at the agency has looked at it yet
    sent, row, data = rows[world.actor("tiepnhan").name]
    assert row is not None and row.digitized_by == world.users["tiepnhan"]
    assert [d["attachment"] for d in data["digitized"]] == [sent.pk]
