"""A citizen submits online through the wizard, supplements online, and finds their documents again."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from motcua.agencies.models import Agency
from motcua.catalog.formats import read_xlsx, write_xlsx
from motcua.catalog.models import Component, ProcedureVersion
from motcua.catalog.services import export_catalog, import_catalog
from motcua.core.errors import ValidationFailed
from motcua.documents.models import StoredDocument
from motcua.dossiers import services as dossier_services
from motcua.dossiers.models import Attachment, Dossier, DossierComponent, Event
from motcua.dossiers.statuses import Status
from motcua.portal.models import Draft
from tests.factories import MARRIAGE, World, build_hatu, catalog, citizen_user, pdf_bytes, procedure

CODE = "1.000894"
CITIZEN_ID = "022090001234"


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


@pytest.fixture
def citizen(world: World, media: Path) -> Client:
    client = Client()
    client.force_login(citizen_user())
    return client


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (200, 120), (200, 30, 30, 128)).save(out, format="PNG")
    return out.getvalue()


def upload(name: str, content: bytes) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def start(client: Client) -> str:
    response = client.post(f"/nop-ho-so/{CODE}/")
    assert response.status_code == 302
    return response["Location"].rsplit("/", 3)[-3]


def step(draft: str, name: str) -> str:
    return f"/nop-ho-so/ho-so-nhap/{draft}/{name}/"


# name, ID number, phone and email are the account's (shown, not asked); the address is the applicant's to give
DETAILS = {"applicant_address": "Hà Tu", "receiving_agency": "000.01.20.H22"}


def fill(client: Client, draft: str, delivery: str = "electronic", details: dict[str, str] | None = None) -> None:
    assert client.post(step(draft, "details"), details or DETAILS).status_code == 302
    response = client.post(step(draft, "documents"), {"c1-file": upload("to-khai.png", png_bytes()), "continue": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert client.post(step(draft, "delivery"), {"delivery": delivery}).status_code == 302


def test_the_wizard_submits_an_online_dossier_once(citizen: Client, world: World) -> None:
    assert citizen.get(f"/nop-ho-so/{CODE}/").status_code == 200
    draft = start(citizen)
    page = citizen.get(step(draft, "details")).content.decode()
    assert "Nguyễn Văn An" in page and "022090001234" in page and "0912345678" in page  # the account
    assert 'name="applicant_phone"' not in page and 'name="applicant_id_number"' not in page

    # a crafted post in another's name is refused by the rule create_dossier applies; nothing is saved
    bad = citizen.post(step(draft, "details"), {**DETAILS, "applicant_phone": "0987654321",
                                                 "applicant_id_number": "022090005678"})
    assert bad.status_code == 403 and 'id="identity-error"' in bad.content.decode()
    saved = Draft.objects.get(pk=draft).data["applicant"]
    assert saved["phone"] == "0912345678" and saved["id_number"] == CITIZEN_ID  # the account's, not another

    assert citizen.post(step(draft, "details"), DETAILS).status_code == 302
    fake = citizen.post(step(draft, "documents"), {"c1-file": upload("scan.pdf", b"not a pdf at all"),
                                                   "continue": "1"})
    assert fake.status_code == 422 and "c1-error" in fake.content.decode()
    fill(citizen, draft)
    preview = citizen.get(f"/nop-ho-so/ho-so-nhap/{draft}/tep/1/")  # the photo, as the PDF it became
    assert preview.status_code == 200 and b"".join(preview.streaming_content).startswith(b"%PDF")
    assert citizen.get(f"/nop-ho-so/ho-so-nhap/{draft}/tep/2/").status_code == 404  # nothing given for it

    review = citizen.post(step(draft, "review"), {})
    assert review.status_code == 422 and "declare-error" in review.content.decode()
    first = citizen.post(step(draft, "review"), {"declare": "1"})
    again = citizen.post(step(draft, "review"), {"declare": "1"})  # the double click
    assert first.status_code == again.status_code == 302
    assert Dossier.objects.count() == 1
    dossier = Dossier.objects.get()
    assert first["Location"] == again["Location"] == f"/ho-so-cua-toi/{dossier.code}/"
    assert dossier.channel == "online" and dossier.status == Status.SUBMITTED
    assert dossier.applicant_user is not None and dossier.applicant_user.citizen.id_number == CITIZEN_ID
    assert dossier.fee_total == 30000 and dossier.delivery == "electronic"
    scan = Attachment.objects.get(dossier=dossier)
    assert scan.content_type == "application/pdf" and scan.component is not None and scan.component.order == 1
    with scan.file.open("rb") as handle:
        assert len(PdfReader(handle).pages) == 1  # the PNG became a one-page PDF

    page = citizen.get(f"/ho-so-cua-toi/{dossier.code}/")
    assert page.status_code == 200 and dossier.code in page.content.decode()
    assert citizen.get("/ho-so-cua-toi/").content.decode().count(dossier.code) >= 1


def test_the_e_form_is_validated_field_by_field(citizen: Client, world: World) -> None:
    ProcedureVersion.objects.filter(procedure__code=CODE).update(eform=[
        {"name": "spouse_name", "label_vi": "Họ tên người kia", "required": True},
        {"name": "marriage_date", "label_vi": "Ngày dự kiến", "type": "date"},
    ])
    draft = start(citizen)
    response = citizen.post(step(draft, "details"), {**DETAILS, "form_marriage_date": "31/02/2026"})
    body = response.content.decode()
    assert response.status_code == 422
    assert "form_spouse_name-error" in body and "form_marriage_date-error" in body
    fill(citizen, draft, details={**DETAILS, "form_spouse_name": "Trần Thị Bình", "form_marriage_date": "05/12/2026"})
    assert citizen.post(step(draft, "review"), {"declare": "1"}).status_code == 302
    assert Dossier.objects.get().form_data == {"spouse_name": "Trần Thị Bình", "marriage_date": "2026-12-05"}


def test_accepted_documents_are_offered_again_from_the_data_warehouse(
    citizen: Client, world: World, django_capture_on_commit_callbacks: Any
) -> None:
    draft = start(citizen)
    fill(citizen, draft)
    citizen.post(step(draft, "review"), {"declare": "1"})
    dossier = Dossier.objects.get()
    with django_capture_on_commit_callbacks(execute=True):  # the data warehouse is filled after the commit
        dossier_services.perform(dossier.code, "receive", actor=world.actor("tiepnhan"))
    stored = StoredDocument.objects.get()
    assert stored.owner == dossier.applicant_user and stored.verified_by == world.commune
    assert citizen.get("/kho-du-lieu/").content.decode().count(stored.title) >= 1
    assert citizen.get(f"/kho-du-lieu/{stored.pk}/").status_code == 200

    second = start(citizen)
    citizen.post(step(second, "details"), DETAILS)
    page = citizen.get(step(second, "documents")).content.decode()
    assert f'id="c1-stored-{stored.pk}"' in page
    assert citizen.post(step(second, "documents"), {"c1-stored": str(stored.pk), "continue": "1"}).status_code == 302
    citizen.post(step(second, "delivery"), {"delivery": "electronic"})
    citizen.post(step(second, "review"), {"declare": "1"})
    newest = Dossier.objects.latest("pk")
    attach = Event.objects.get(dossier=newest, action="attach")
    assert attach.data["from_warehouse"] == stored.pk and attach.data["sha256"] == stored.sha256

    archive = citizen.get("/kho-du-lieu/tai-ve.zip")
    assert archive.status_code == 200 and archive["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as unpacked:
        data = json.loads(unpacked.read("du-lieu.json"))
        assert {d["code"] for d in data["dossiers"]} == {dossier.code, newest.code}
        assert data["account"]["id_number"] == CITIZEN_ID
        entry = data["documents"][0]
        assert hashlib.sha256(unpacked.read(entry["file"])).hexdigest() == stored.sha256 == entry["sha256"]

    other = Client()
    other.force_login(citizen_user(id_number="022090005678", phone="0987654321"))
    assert other.get(f"/kho-du-lieu/{stored.pk}/").status_code == 404
    with zipfile.ZipFile(io.BytesIO(other.get("/kho-du-lieu/tai-ve.zip").content)) as unpacked:
        assert json.loads(unpacked.read("du-lieu.json"))["dossiers"] == []  # only one's own
    assert other.get(f"/ho-so-cua-toi/{newest.code}/").status_code == 404
    assert other.get(step(second, "details")).status_code == 404
    assert other.get(f"/nop-ho-so/ho-so-nhap/{second}/tep/1/").status_code == 404


def test_a_supplement_request_is_answered_online(citizen: Client, world: World) -> None:
    draft = start(citizen)
    fill(citizen, draft)
    citizen.post(step(draft, "review"), {"declare": "1"})
    dossier = Dossier.objects.get()
    dossier_services.perform(dossier.code, "request_supplement", actor=world.actor("tiepnhan"), params={
        "missing": [{"document": "Giấy xác nhận tình trạng hôn nhân", "reason": "Chưa có bản chính"}]})
    page = citizen.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    assert "Chưa có bản chính" in page and 'id="m0"' in page

    empty = citizen.post(f"/ho-so-cua-toi/{dossier.code}/bo-sung/", {})
    assert empty.status_code == 422
    dossier.refresh_from_db()
    assert dossier.status == Status.SUPPLEMENT_REQUESTED

    response = citizen.post(f"/ho-so-cua-toi/{dossier.code}/bo-sung/",
                            {"m0": upload("xac-nhan.pdf", pdf_bytes()), "note": "Đã bổ sung"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED  # back to the agency, awaiting reception
    event = Event.objects.filter(dossier=dossier, action="supplement").get()
    assert event.role == "applicant" and event.actor == dossier.applicant_user
    supplement = Attachment.objects.get(dossier=dossier, kind="supplement")
    assert supplement.component is not None and supplement.component.order == 2


def test_a_session_that_expires_in_the_wizard_loses_nothing(citizen: Client, world: World) -> None:
    draft = start(citizen)
    citizen.logout()
    typed = {**DETAILS, "applicant_address": "Số 8, tổ 2, phường Hà Tu"}
    response = citizen.post(step(draft, "details"), typed)
    assert response.status_code == 302 and response["Location"].startswith("/tai-khoan/dang-nhap/?next=")
    citizen.force_login(Draft.objects.get(pk=draft).owner)
    page = citizen.get(step(draft, "details"))
    assert page.status_code == 200 and 'value="Số 8, tổ 2, phường Hà Tu"' in page.content.decode()
    assert Draft.objects.get(pk=draft).data["applicant"]["address"] == "Số 8, tổ 2, phường Hà Tu"


def test_a_session_that_expires_on_the_dossier_page_comes_back_to_it(citizen: Client, world: World) -> None:
    draft = start(citizen)
    fill(citizen, draft)
    citizen.post(step(draft, "review"), {"declare": "1"})
    code = Dossier.objects.get().code
    citizen.logout()
    for action in ("bo-sung", "rut"):
        response = citizen.post(f"/ho-so-cua-toi/{code}/{action}/", {"note": "x", "reason": "x"})
        assert response.status_code == 302
        # back to the dossier's page, not to the POST-only address (a 405 after signing in)
        assert response["Location"] == f"/tai-khoan/dang-nhap/?next=%2Fho-so-cua-toi%2F{code}%2F"


def test_an_expired_draft_starts_again_with_what_it_held(citizen: Client, world: World) -> None:
    draft = start(citizen)
    fill(citizen, draft)
    Draft.objects.filter(pk=draft).update(expires_at=timezone.now() - timedelta(minutes=1))
    expired = citizen.get(step(draft, "review"))
    assert expired.status_code == 410
    assert citizen.post(step(draft, "review"), {"declare": "1"}).status_code == 410
    assert not Dossier.objects.exists()
    response = citizen.post(f"/nop-ho-so/ho-so-nhap/{draft}/lam-lai/")
    fresh = Draft.objects.exclude(pk=draft).get()
    assert response["Location"] == step(str(fresh.pk), "details")
    assert fresh.data["applicant"]["name"] == "Nguyễn Văn An" and fresh.files.count() == 1
    assert citizen.post(step(str(fresh.pk), "review"), {"declare": "1"}).status_code == 302
    assert Dossier.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(world: World) -> None:
    response = Client().get(f"/nop-ho-so/{CODE}/")
    assert response.status_code == 302 and "/tai-khoan/dang-nhap/" in response["Location"]
    assert Client().get("/ho-so-cua-toi/").status_code == 302


def test_a_document_the_state_holds_is_not_asked_for_online(citizen: Client, world: World) -> None:
    from motcua.catalog.models import Component

    Component.objects.filter(version__procedure__code=CODE, order=0).update(reusable=True)  # the first: required
    draft = start(citizen)
    assert citizen.post(step(draft, "details"), DETAILS).status_code == 302
    page = citizen.get(step(draft, "documents")).content.decode()
    assert 'id="c1-held"' in page  # "the agency looks it up in the national databases"
    assert citizen.post(step(draft, "documents"), {"continue": "1"}).status_code == 302  # nothing to upload
    citizen.post(step(draft, "delivery"), {"delivery": "electronic"})
    assert citizen.post(step(draft, "review"), {"declare": "1"}).status_code == 302
    assert not Attachment.objects.exists() and Dossier.objects.count() == 1


def test_the_review_shows_choices_by_their_label(citizen: Client, world: World) -> None:
    ProcedureVersion.objects.filter(procedure__code=CODE).update(eform=[
        {"name": "kind", "label_vi": "Loại", "type": "select", "required": True,
         "choices": [{"value": "birth", "label_vi": "Trích lục khai sinh"}]}])
    draft = start(citizen)
    fill(citizen, draft, details={**DETAILS, "form_kind": "birth"})
    page = citizen.get(step(draft, "review")).content.decode()
    assert "Trích lục khai sinh" in page and ">birth<" not in page


def test_an_expired_form_and_an_oversized_upload_get_pages_with_a_way_back(world: World, settings: Any) -> None:
    strict = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    strict.force_login(citizen_user())
    response = strict.post(f"/nop-ho-so/{CODE}/", HTTP_REFERER=f"http://testserver/nop-ho-so/{CODE}/")
    body = response.content.decode()
    assert response.status_code == 403 and "The page has expired" in body
    assert f'id="go-back" href="http://testserver/nop-ho-so/{CODE}/"' in body
    assert not Draft.objects.exists()

    settings.MOTCUA_MAX_REQUEST_MB = 1
    big = Client(HTTP_ACCEPT_LANGUAGE="vi").post("/nop-ho-so/ho-so-nhap/x/documents/", data=b"x" * (2 * 1024 * 1024),
                                                 content_type="application/octet-stream",
                                                 HTTP_REFERER="http://evil.example/")
    page = big.content.decode()
    assert big.status_code == 413 and big["Content-Type"].startswith("text/html")
    assert '<html lang="vi">' in page and 'id="go-back" href="/nop-ho-so/ho-so-nhap/x/documents/"' in page


def test_a_file_the_agency_asked_to_replace_is_not_kept_as_verified(
    citizen: Client, world: World, django_capture_on_commit_callbacks: Any
) -> None:
    draft = start(citizen)
    fill(citizen, draft)
    citizen.post(step(draft, "review"), {"declare": "1"})
    dossier = Dossier.objects.get()
    dossier_services.perform(dossier.code, "request_supplement", actor=world.actor("tiepnhan"), params={
        "missing": [{"document": "Tờ khai đăng ký kết hôn", "reason": "Ảnh bị mờ"}]})
    citizen.post(f"/ho-so-cua-toi/{dossier.code}/bo-sung/", {"m0": upload("to-khai-ro.pdf", pdf_bytes("rõ"))})
    with django_capture_on_commit_callbacks(execute=True):
        dossier_services.perform(dossier.code, "receive", actor=world.actor("tiepnhan"))
    kept = StoredDocument.objects.get()  # one document for the component: the replacement, not the blurred photo
    replacement = Attachment.objects.get(dossier=dossier, kind="supplement")
    assert kept.sha256 == replacement.sha256


def test_a_phone_photo_becomes_an_a4_page() -> None:
    from motcua.documents.pdf import as_pdf

    out = io.BytesIO()
    Image.new("RGB", (3024, 4032), (250, 250, 240)).save(out, format="JPEG")
    page = PdfReader(io.BytesIO(as_pdf(io.BytesIO(out.getvalue()), "image/jpeg"))).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4, portrait
    wide = io.BytesIO()
    Image.new("RGBA", (1600, 900), (0, 0, 0, 0)).save(wide, format="PNG")  # transparent, landscape
    landscape = PdfReader(io.BytesIO(as_pdf(io.BytesIO(wide.getvalue()), "image/png"))).pages[0]
    assert round(float(landscape.mediabox.width)) == 842


def test_the_one_stop_point_of_the_applicants_ward_is_chosen_first(world: World, media: Path) -> None:
    from motcua.agencies.models import Agency, AgencyKind
    from motcua.geo.models import AdministrativeUnit
    from motcua.portal import services

    other = AdministrativeUnit.objects.create(code="06655", name="Phường Bãi Cháy", kind="ward",
                                              parent=world.commune.unit.parent)
    Agency.objects.create(identifier_code="000.03.20.H22", name="Trung tâm Phục vụ hành chính công phường Bãi Cháy",
                          kind=AgencyKind.COMMUNE_ONE_STOP, unit=other)
    Agency.objects.create(identifier_code="000.03.21.H22", name="Ủy ban nhân dân phường Bãi Cháy",
                          kind=AgencyKind.PEOPLE_COMMITTEE, unit=other)
    ProcedureVersion.objects.filter(procedure__code=CODE).update(boundary_free=True)
    draft = services.start(owner=citizen_user(address="Số 8, phường Hà Tu, Quảng Ninh"), code=CODE)
    assert draft.data["receiving_agency"] == world.commune.identifier_code
    unknown = services.start(owner=citizen_user(phone="0987654321", address="Hà Nội"), code=CODE)
    assert unknown.data["receiving_agency"] == ""  # the applicant chooses


def test_staff_see_which_documents_the_state_holds_for_an_online_dossier(citizen: Client, world: World) -> None:
    from motcua.catalog.models import Component

    Component.objects.filter(version__procedure__code=CODE, order=0).update(reusable=True)
    draft = start(citizen)
    citizen.post(step(draft, "details"), DETAILS)
    citizen.post(step(draft, "documents"), {"continue": "1"})
    citizen.post(step(draft, "delivery"), {"delivery": "electronic"})
    citizen.post(step(draft, "review"), {"declare": "1"})
    dossier = Dossier.objects.get()
    officer = Client(HTTP_ACCEPT_LANGUAGE="en")
    officer.force_login(world.users["tiepnhan"])
    page = officer.get(f"/workspace/dossiers/{dossier.code}/").content.decode()
    assert "held by the state: look it up by the applicant" in page
    assert "original(s)" not in page  # no paper counts for an online dossier


def test_only_points_that_can_route_the_dossier_are_offered(world: World) -> None:
    """A boundary-free commune procedure is received by any point of the province, but an online dossier has nobody
    to choose its commune: a provincial center (no People's Committee in its unit) is not offered, so the citizen
    never meets "no People's Committee is set up" at the end of the wizard."""
    from motcua.catalog.models import ProcedureVersion
    from motcua.portal.services import receiving_points

    version = ProcedureVersion.objects.in_force().get(procedure__code="1.000894")
    ProcedureVersion.objects.filter(pk=version.pk).update(boundary_free=True)
    version.refresh_from_db()
    offered = {agency.identifier_code for agency in receiving_points(version)}
    assert world.center.identifier_code not in offered
    assert world.commune.identifier_code in offered


# --- the e-form is the declaration --------------------------------------------------------------------------------
# The e-form is the online dossier's declaration: the wizard does not also ask for a scan of it.


EFORM = [{"name": "spouse_name", "label_vi": "Họ tên bên kia", "required": True}]
FORM = {"form_other_party_name": "Trần Văn Bình", "form_other_party_id_number": "022090005678",
        "form_other_party_birth_date": "02/03/1995", "form_voluntary": "1"}


def with_declaration(**overrides: Any) -> dict[str, Any]:
    record = procedure(eform=EFORM, **overrides)
    record["components"][0]["filled_by_eform"] = True
    return record


def test_the_flag_is_imported_exported_and_kept_through_xlsx(db: Any, center: Any) -> None:
    import_catalog(catalog(with_declaration()))
    assert [c.filled_by_eform for c in Component.objects.order_by("order")] == [True, False]
    exported = export_catalog()
    assert [c["filled_by_eform"] for c in exported["procedures"][0]["components"]] == [True, False]
    document, _locations = read_xlsx(write_xlsx(exported))
    assert import_catalog(document).unchanged == 1


def test_the_flag_needs_an_e_form_and_leaves_older_versions_unchanged(db: Any) -> None:
    record = procedure()
    record["components"][0]["filled_by_eform"] = True
    with pytest.raises(ValidationFailed) as caught:
        import_catalog(catalog(record))
    assert [e.code for e in caught.value.errors] == ["no_eform_to_fill"]
    import_catalog(catalog(procedure()))
    explicit = procedure()
    explicit["components"][0]["filled_by_eform"] = False
    assert import_catalog(catalog(explicit)).unchanged == 1  # the new key does not make new versions


@pytest.fixture
def hatu(db: Any, settings: Any, tmp_path: Any) -> dict[str, Agency]:
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_hatu()


def test_the_wizard_does_not_ask_for_the_declaration_its_e_form_is(hatu: dict[str, Agency]) -> None:
    declaration = Component.objects.get(version__procedure__code=MARRIAGE, order=0)
    assert declaration.filled_by_eform and declaration.version.eform  # as in the demo catalogue
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(citizen_user())
    draft = start(client)
    assert client.post(step(draft, "details"), {**DETAILS, **FORM}).status_code == 302
    page = client.get(step(draft, "documents")).content.decode()
    assert "your e-form: no need to attach" in page and 'id="c1-eform"' in page
    response = client.post(step(draft, "documents"), {"continue": "1"})  # nothing attached
    assert response.status_code == 302, response.content.decode()[:3000]
    assert client.post(step(draft, "delivery"), {"delivery": "counter"}).status_code == 302
    assert client.post(step(draft, "review"), {"declare": "1"}).status_code == 302
    dossier = Dossier.objects.get()
    assert dossier.form_data["other_party_name"] == "Trần Văn Bình" and not Attachment.objects.exists()
    first = DossierComponent.objects.get(dossier=dossier, order=1)
    assert first.received and (first.originals, first.copies) == (0, 0)  # it arrived as the e-form's data


def test_the_declaration_is_still_asked_for_when_the_version_has_no_e_form(hatu: dict[str, Agency]) -> None:
    ProcedureVersion.objects.filter(procedure__code=MARRIAGE).update(eform=[])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(citizen_user())
    draft = start(client)
    assert client.post(step(draft, "details"), DETAILS).status_code == 302
    response = client.post(step(draft, "documents"), {"continue": "1"})
    assert response.status_code == 422 and "c1-error" in response.content.decode()
