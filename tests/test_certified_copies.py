"""Certified electronic copies from the original (Decree 23/2015, Decree 45/2020 art. 7): a gap-free register per
agency, book and year, the statement on the copy's last page, the copy in the citizen's data warehouse, and
only the receiving agency's reception officers certify."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from PIL import Image
from pypdf import PdfReader, PdfWriter

from motcua.core.errors import MotCuaError
from motcua.documents.models import DocumentKind, StoredDocument
from motcua.dossiers import services
from motcua.dossiers.audit import verify_all
from motcua.dossiers.models import Attachment, Certification, CertificationCounter, Dossier, Event
from motcua.dossiers.services.certification import certify_copy
from motcua.signing.errors import SigningError
from motcua.signing.pki import DEMO_PIN
from motcua.signing.services import verify_pdf
from tests.factories import MONDAY, World, citizen_user
from tests.pki import DemoPki, pdfsig

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


def two_pages() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (30, 60, 90)).save(out, format="JPEG")
    return out.getvalue()


def received(world: World, owner: Any = None, content: bytes | None = None, name: str = "giay-khai-sinh.pdf",
             content_type: str = "application/pdf") -> tuple[Dossier, Attachment]:
    """A dossier received at the Hà Tu counter with a scan of its first component (owned by ``owner``)."""
    data = {"procedure": "1.000894", "channel": "counter", "receiving_agency": world.commune.identifier_code,
            "applicant": {"name": "Nguyễn Văn An", "id_number": "022090001234"},
            "components": [{"order": 1, "originals": 1}], "delivery": "counter"}
    upload = SimpleUploadedFile(name, content or two_pages(), content_type=content_type)
    dossier = services.receive_at_counter(actor=world.actor("tiepnhan"), data=data, scans={1: upload}, now=MONDAY)
    if owner is not None:  # as an online submission would
        Dossier.objects.filter(pk=dossier.pk).update(applicant_user=owner)
        dossier.refresh_from_db()
    return dossier, Attachment.objects.get(dossier=dossier)


def test_register_numbers_are_gap_free_per_agency_book_and_year(world: World, media: Path) -> None:
    dossier, scan = received(world)
    officer = world.actor("tiepnhan")
    first = certify_copy(dossier.code, actor=officer, attachment=scan.pk, now=MONDAY)
    second = certify_copy(dossier.code, actor=officer, attachment=scan.pk, now=MONDAY + timedelta(hours=1))
    assert (first.register_number, second.register_number) == ("1/2026/SCT-BS", "2/2026/SCT-BS")
    with pytest.raises(RuntimeError), transaction.atomic():  # the operation it is part of rolls back
        assert certify_copy(dossier.code, actor=officer, attachment=scan.pk, now=MONDAY).number == 3
        raise RuntimeError
    third = certify_copy(dossier.code, actor=officer, attachment=scan.pk, now=MONDAY + timedelta(hours=2))
    assert third.number == 3  # the number was given back: no gap
    assert certify_copy(dossier.code, actor=officer, attachment=scan.pk, book="SCT-BS2", now=MONDAY).number == 1
    next_year = certify_copy(dossier.code, actor=officer, attachment=scan.pk, now=MONDAY + timedelta(days=50))
    assert next_year.register_number == "1/2027/SCT-BS"
    assert sorted(Certification.objects.filter(book="SCT-BS", year=2026).values_list("number", flat=True)) == [1, 2, 3]
    assert CertificationCounter.objects.get(agency=world.commune, book="SCT-BS", year=2026).last == 3
    # each is an attach event with its certification, and the chain verifies
    kept = [e.data["certification"]["register_number"] for e in Event.objects.filter(dossier=dossier, action="attach")
            if "certification" in e.data]
    assert kept == ["1/2026/SCT-BS", "2/2026/SCT-BS", "3/2026/SCT-BS", "1/2026/SCT-BS2", "1/2027/SCT-BS"]
    assert list(verify_all()) == []


def test_the_certified_pdf_ends_with_the_statement_and_its_number(world: World, media: Path) -> None:
    dossier, scan = received(world)
    made = certify_copy(dossier.code, actor=world.actor("tiepnhan"), attachment=scan.pk, fee=2000, now=MONDAY)
    assert made.pages == 2 and made.fee == 2000 and made.copy.kind == "certified_copy"
    assert made.copy.component == scan.component and made.source == scan and not made.signed
    with made.copy.file.open("rb") as handle:
        reader = PdfReader(handle)
        assert len(reader.pages) == 3  # the two scanned pages, then the statement
        text = " ".join(reader.pages[-1].extract_text().split())
    assert "Chứng thực bản sao đúng với bản chính" in text
    assert "1/2026/SCT-BS" in text and "16 tháng 11 năm 2026" in text
    assert "Cán bộ tiepnhan" in text  # the certifying officer's name
    event = Event.objects.get(dossier=dossier, action="attach", data__attachment=made.copy.pk)
    assert event.data["sha256"] == made.copy.sha256 and event.data["certification"]["source_sha256"] == scan.sha256

    photo, image_scan = received(world, content=jpeg(), name="cccd.jpg", content_type="image/jpeg")
    copy = certify_copy(photo.code, actor=world.actor("tiepnhan"), attachment=image_scan.pk, now=MONDAY)
    with copy.copy.file.open("rb") as handle:
        pages = PdfReader(handle).pages
        assert copy.pages == 1 and len(pages) == 2  # the photo on a page, then the statement
        assert "2/2026/SCT-BS" in pages[-1].extract_text()


def test_the_copy_lands_in_the_citizen_s_warehouse(world: World, media: Path,
                                                    django_capture_on_commit_callbacks: Any) -> None:
    owner = citizen_user()
    dossier, scan = received(world, owner=owner)
    with django_capture_on_commit_callbacks(execute=True):  # the data warehouse is filled after the commit
        made = certify_copy(dossier.code, actor=world.actor("tiepnhan"), attachment=scan.pk, now=MONDAY)
    document = StoredDocument.objects.get(kind=DocumentKind.CERTIFIED_COPY)
    assert document.owner == owner and document.sha256 == made.copy.sha256 and document.source_dossier == dossier
    assert made.register_number in document.title
    client = Client()
    client.force_login(owner)
    page = client.get("/kho-du-lieu/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert made.register_number in page and "Certified electronic copy" in page
    assert client.get(f"/kho-du-lieu/{document.pk}/").status_code == 200


def test_only_the_receiving_agency_s_reception_officers_certify(world: World, media: Path) -> None:
    dossier, scan = received(world)
    for stranger in ("tiepnhan.tinh", "chuyenvien", "buudien"):
        with pytest.raises(MotCuaError) as caught:
            certify_copy(dossier.code, actor=world.actor(stranger), attachment=scan.pk)
        assert caught.value.code == "not_certifying_officer" and caught.value.status == 403
    with pytest.raises(MotCuaError) as caught:
        certify_copy(dossier.code, actor=world.actor("tiepnhan"), attachment=scan.pk, fee=-5)
    assert caught.value.code == "invalid_fee"
    with pytest.raises(MotCuaError) as caught:  # nor is a file uploaded as a certified copy
        services.attach(dossier.code, actor=world.actor("tiepnhan"), file=io.BytesIO(two_pages()), name="x.pdf",
                        kind="certified_copy", component=1)
    assert caught.value.code == "certify_instead"
    assert not Certification.objects.exists() and not CertificationCounter.objects.exists()
    assert not Attachment.objects.filter(kind="certified_copy").exists()

    officer, other = Client(), Client()
    officer.force_login(world.users["tiepnhan"])
    other.force_login(world.users["chuyenvien"])
    page = officer.get(f"/workspace/dossiers/{dossier.code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    url = f"/workspace/dossiers/{dossier.code}/files/{scan.pk}/certify/"
    assert f'action="{url}"' in page
    response = officer.post(url, {"fee": "0"})
    assert response.status_code == 302
    made = Certification.objects.get()
    page = officer.get(f"/workspace/dossiers/{dossier.code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'id="certification-{made.pk}"' in page and made.register_number in page
    download = officer.get(f"/workspace/dossiers/{dossier.code}/files/{made.copy.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert "Digitized by" in page
    services.perform(dossier.code, "transfer", actor=world.actor("tiepnhan"))
    page = other.get(f"/workspace/dossiers/{dossier.code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'action="{url}"' not in page  # not offered to the processing officer
    other.post(url, {"fee": "0"})
    assert Certification.objects.count() == 1


def test_the_certifying_officer_signs_the_copy_and_a_wrong_pin_gives_the_number_back(
    world: World, media: Path, demo_pki: DemoPki,
) -> None:
    dossier, scan = received(world)
    demo_pki.identity("vanthu", user=world.users["tiepnhan"])
    with pytest.raises(SigningError) as caught:
        certify_copy(dossier.code, actor=world.actor("tiepnhan"), attachment=scan.pk, pin="wrong", now=MONDAY)
    assert caught.value.code == "wrong_pin"
    assert not Certification.objects.exists() and not Attachment.objects.filter(kind="certified_copy").exists()

    officer = Client()
    officer.force_login(world.users["tiepnhan"])
    page = officer.get(f"/workspace/dossiers/{dossier.code}/").content.decode()
    assert f'id="pin-{scan.pk}"' in page  # the officer has a signing identity: the form asks for its PIN
    response = officer.post(f"/workspace/dossiers/{dossier.code}/files/{scan.pk}/certify/", {"pin": DEMO_PIN})
    assert response.status_code == 302
    made = Certification.objects.get()
    assert made.number == 1 and made.signed and "Trần Thị Thư" in made.signer_certificate  # no gap
    with made.copy.file.open("rb") as handle:
        copy = handle.read()
    check = verify_pdf(copy)
    assert check.valid and check.signatures[0].signer_name == "Trần Thị Thư", check
    assert pdfsig(copy, demo_pki.root).valid == [True]
    assert "Chứng thực bản sao đúng với bản chính" in " ".join(
        PdfReader(io.BytesIO(copy)).pages[-1].extract_text().split())
    event = Event.objects.get(dossier=dossier, action="attach", data__attachment=made.copy.pk)
    assert event.data["certification"]["signed"] is True and event.data["sha256"] == made.copy.sha256
    assert list(verify_all()) == []
