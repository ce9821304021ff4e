"""Result templates: checked when saved or imported, rendered into the official page, stamped with the QR code
of Circular 01/2023/TT-VPCP (decoded back from the rendered page), exchanged in the catalogue's files; register
numbers without gaps."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from motcua.catalog.eforms import EFormField, fields_of
from motcua.catalog.formats import read_json, read_xlsx, write_json, write_xlsx
from motcua.catalog.models import ProcedureVersion, ResultTemplate
from motcua.catalog.result_fields import default_book, sample_values, usable_fields
from motcua.catalog.result_templates import TemplateInvalid, check_template, render_pdf, sample_heading
from motcua.catalog.services import draft_next_version, export_catalog, import_catalog
from motcua.core.calendar import VN_TZ
from motcua.core.errors import ValidationFailed
from motcua.demo import CATALOG_FILE
from motcua.dossiers.models import Attachment, Dossier, IssuedResult, ResultCounter
from motcua.dossiers.results import (
    parse_qr_payload,
    qr_payload,
    render_result,
    result_context,
    signature_box,
    stamp_result,
    take_result_number,
)
from tests.factories import World, catalog, pdf_bytes, procedure, receive

pytestmark = pytest.mark.django_db

EFORM = [
    {"name": "other_party_name", "label_vi": "Họ tên bên kia", "type": "text"},
    {"name": "wedding_day", "label_vi": "Ngày đăng ký", "type": "date"},
    {"name": "venue", "label_vi": "Nơi đăng ký", "type": "select",
     "choices": [{"value": "ubnd", "label_vi": "Trụ sở UBND"}, {"value": "home", "label_vi": "Tại nhà"}]},
]
BODY = """<h1>GIẤY CHỨNG NHẬN KẾT HÔN</h1>
<p>Họ, chữ đệm, tên chồng: <b>{{ applicant.name }}</b> (số định danh {{ applicant.id_number }})</p>
<p>Họ, chữ đệm, tên vợ: <b>{{ form.other_party_name }}</b></p>
<p>Ngày đăng ký: {{ form.wedding_day }} · {{ form.venue }}</p>
{% if result.valid_until %}<p>Có giá trị đến: {{ result.valid_until }}</p>{% endif %}
<p>Hồ sơ {{ dossier.code }}, thủ tục {{ procedure.code }} – {{ procedure.name }}; {{ today_long }}</p>
"""


def version() -> ProcedureVersion:
    found = ProcedureVersion.objects.get(procedure__code="1.000894")
    found.eform = EFORM
    found.save(update_fields=["eform"])
    return found


def template(**overrides: object) -> ResultTemplate:
    found = version()
    values = {"version": found, "result": found.results.first(), "name": "Giấy chứng nhận kết hôn", "body": BODY,
              "valid_for_days": 365}
    values.update(overrides)
    item = ResultTemplate(**values)
    item.full_clean()
    item.save()
    return item


def dossier(world: World) -> Dossier:
    found = receive(world)
    Dossier.objects.filter(pk=found.pk).update(form_data={
        "other_party_name": "Trần Thị Bình", "wedding_day": "2026-11-20", "venue": "ubnd"})
    return Dossier.objects.select_related("version__procedure").get(pk=found.pk)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def decode_qr(pdf: bytes) -> list[str]:
    """The QR codes found on page 1, as a phone would read them from the rendered page (300 dpi)."""
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=300 / 72).to_pil()
    return [result.text for result in zxingcpp.read_barcodes(image) if result.format == zxingcpp.BarcodeFormat.QRCode]


# --- checked when saved -----------------------------------------------------------------------------------------


def test_a_valid_template_passes_and_gets_its_book_from_the_result() -> None:
    World()
    item = template()
    assert item.book == "GCN"
    assert default_book("Giấy phép xây dựng") == "GP"
    assert default_book("Quyết định công nhận hòa giải viên") == "QĐ"
    assert default_book("Biên bản hòa giải thành") == "BB"


@pytest.mark.parametrize(("body", "code", "line", "name"), [
    ("<p>{{ applicant.name }}</p>\n<p>{{ applicant.birthday }}</p>", "unknown_template_field", 2,
     "applicant.birthday"),
    ("{{ form.spouse }}", "unknown_template_field", 1, "form.spouse"),
    ("\n\n{{ secret_key }}", "unknown_template_field", 3, "secret_key"),
    ("{{ dossier }}", "unknown_template_field", 1, "dossier"),
    ("{{ applicant.name.__class__ }}", "unknown_template_field", 1, "applicant.name.__class__"),
    ("{{ range(10) }}", "unknown_template_field", 1, "range"),
    ("<p>{{ applicant.name }</p>", "template_syntax", 1, None),
    ("{% if applicant.name %}\n<p>x</p>", "template_syntax", 2, None),
    ("{{ applicant.name|no_such_filter }}", "template_syntax", 1, None),
    ("<p>x</p>\n{% include 'base.html' %}", "template_include", 2, None),
    ('{% extends "x.html" %}', "template_include", 1, None),
])
def test_an_unknown_field_or_broken_syntax_is_refused_with_its_line(body: str, code: str, line: int,
                                                                    name: str | None) -> None:
    with pytest.raises(TemplateInvalid) as caught:
        check_template(body, [])
    assert caught.value.code == code
    assert caught.value.params["line"] == line
    if name:
        assert caught.value.params["name"] == name
        assert name in caught.value.text("en") and name in caught.value.text("vi")


def test_local_names_filters_and_e_form_fields_are_accepted() -> None:
    World()
    eform = version()
    check_template("{% for part in [applicant.name, form.venue] %}{{ loop.index }}. {{ part }}{% endfor %}",
                   fields_of(eform))
    check_template('{% set who = applicant.name|upper %}{{ who }} {{ form["other_party_name"] }}'
                   "{{ form.wedding_day|default('—') }}", fields_of(eform))


def test_the_model_refuses_a_bad_template_when_it_is_saved() -> None:
    World()
    with pytest.raises(ValidationError) as caught:
        template(body="<p>{{ form.no_such_key }}</p>")
    assert "form.no_such_key" in str(caught.value.message_dict["body"])
    assert not ResultTemplate.objects.exists()


def test_the_admin_lists_the_usable_fields_with_the_e_form() -> None:
    World()
    names = dict(usable_fields(fields_of(version())))
    assert "applicant.name" in names and "result.valid_until" in names
    assert "form.other_party_name" in names


# --- rendering ---------------------------------------------------------------------------------------------------


def test_render_fills_the_page_from_the_dossier_and_its_e_form() -> None:
    world = World()
    item = template()
    found = dossier(world)
    issued = datetime(2026, 11, 25, 10, 0, tzinfo=VN_TZ)
    context = result_context(found, item, issued_at=issued)
    assert context["form"] == {"other_party_name": "Trần Thị Bình", "wedding_day": "20/11/2026",
                               "venue": "Trụ sở UBND"}
    assert context["result"]["valid_until"] == "25/11/2027"
    pdf = render_result(found, item, issued_at=issued)
    text = text_of(pdf)
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Nguyễn Văn An",
                     "Trần Thị Bình", "20/11/2026", "Trụ sở UBND", "Có giá trị đến: 25/11/2027", found.code,
                     "ỦY BAN NHÂN DÂN PHƯỜNG HÀ", "Số: ……/2026/GCN"):
        assert expected in text, expected
    numbered = text_of(render_result(found, item, number="7/2026/GCN", issued_at=issued))
    assert "Số: 7/2026/GCN" in numbered


def test_values_are_escaped_and_nothing_is_fetched() -> None:
    world = World()
    found = dossier(world)
    Dossier.objects.filter(pk=found.pk).update(applicant_name="<b>An</b> & <img src='http://x/'>")
    found.refresh_from_db()
    text = text_of(render_result(found, template()))
    assert "<b>An</b> & <img src='http://x/'>" in text


def test_the_qr_and_signature_zones_are_blank() -> None:
    world = World()
    item = template()
    pdf = render_result(dossier(world), item)
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    height = float(page.mediabox.height)
    found: list[tuple[float, float]] = []
    page.extract_text(visitor_text=lambda text, cm, tm, *_: found.append((tm[4], tm[5])) if text.strip() else None)
    mm = 72 / 25.4
    assert found and all(not (x < 32 * mm and y > height - 40 * mm) for x, y in found)
    index, (x1, y1, x2, y2) = signature_box(pdf)
    assert index == len(PdfReader(io.BytesIO(pdf)).pages) - 1
    assert x2 - x1 == pytest.approx(80 * mm) and y2 - y1 == pytest.approx(45 * mm)
    assert x1 > float(page.mediabox.width) / 2


def test_a_template_failing_while_filled_is_a_clear_error() -> None:
    with pytest.raises(TemplateInvalid) as caught:
        render_pdf("{{ applicant.name }}", {"applicant": {}}, heading={})
    assert caught.value.code == "template_render_failed"


def test_the_preview_renders_on_sample_values() -> None:
    World()
    eform = fields_of(version())
    text = text_of(render_pdf(BODY, sample_values(eform), heading={"agency": "UBND", "number_text": "……/2026/GCN"}))
    assert "Nguyễn Văn An" in text and "[Họ tên bên kia]" in text


# --- the QR code ---------------------------------------------------------------------------------------------------


def test_the_stamped_qr_code_decodes_to_every_datum_of_the_circular() -> None:
    world = World()
    item = template()
    found = dossier(world)
    issued = datetime(2026, 11, 25, 10, 30, tzinfo=VN_TZ)
    payload = qr_payload(dossier_code=found.code, procedure_code="1.000894", applicant_id="022090001234",
                         document="Giấy chứng nhận kết hôn", issued_at=issued, valid_until=None,
                         verification_code="AbCdEfGhIjKlMnOp", number="12/2026/GCN")
    stamped = stamp_result(render_result(found, item, issued_at=issued), qr_payload=payload,
                           number_text="Số: 12/2026/GCN")
    decoded = decode_qr(stamped)
    assert decoded == [payload]
    values = parse_qr_payload(decoded[0])
    assert values == {
        "dossier_code": found.code, "procedure_code": "1.000894", "applicant_id": "022090001234",
        "document": "Giấy chứng nhận kết hôn", "system": "Hệ thống thông tin giải quyết TTHC MotCua",
        "issued_at": "25/11/2026 10:30", "validity": "Không thời hạn", "number": "12/2026/GCN",
        "verify_url": "/xac-thuc/AbCdEfGhIjKlMnOp/",
    }
    assert "Số: 12/2026/GCN" in PdfReader(io.BytesIO(stamped)).pages[0].extract_text()
    assert "Nguyễn Văn An" in text_of(stamped)  # the document itself is unchanged under the stamp


def test_any_pdf_can_be_stamped_even_a_turned_page(settings: object) -> None:
    settings.PUBLIC_BASE_URL = "https://dichvucong.quangninh.gov.vn"  # type: ignore[attr-defined]
    issued = datetime(2026, 11, 25, 10, 30, tzinfo=VN_TZ)
    payload = qr_payload(dossier_code="X-1", procedure_code="1.013225", applicant_id="022090001234",
                         document="Giấy phép xây dựng", issued_at=issued, valid_until=datetime(2027, 11, 25).date(),
                         verification_code="c0de")
    upload = pdf_bytes("bản đã sửa")
    stamped = stamp_result(upload, qr_payload=payload, number_text="Số: 3/2026/GP")
    values = parse_qr_payload(decode_qr(stamped)[0])
    assert values["verify_url"] == "https://dichvucong.quangninh.gov.vn/xac-thuc/c0de/"
    assert values["validity"] == "đến hết ngày 25/11/2027"
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.pages[0].rotate(90)
    buffer = io.BytesIO()
    writer.write(buffer)
    assert decode_qr(stamp_result(buffer.getvalue(), qr_payload=payload, number_text="Số: 3/2026/GP")) == [payload]


# --- register numbers ----------------------------------------------------------------------------------------------


def test_register_numbers_are_gap_free_per_agency_book_and_year() -> None:
    world = World()
    agency = world.committee.pk
    with transaction.atomic():
        assert [take_result_number(agency, "GP", 2026) for _ in range(3)] == [1, 2, 3]
        assert take_result_number(agency, "QĐ", 2026) == 1
        assert take_result_number(agency, "GP", 2027) == 1
        assert take_result_number(world.justice.pk, "GP", 2026) == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        assert take_result_number(agency, "GP", 2026) == 4
        raise RuntimeError("the issue failed")
    with transaction.atomic():
        assert take_result_number(agency, "GP", 2026) == 4  # the rolled-back number is given back
    assert ResultCounter.objects.get(agency_id=agency, book="GP", year=2026).last == 4


def test_the_register_holds_one_row_per_number() -> None:
    world = World()
    found = dossier(world)
    attachment = Attachment.objects.create(dossier=found, kind="result", original_name="kq.pdf",
                                           content_type="application/pdf", size=1, sha256="0" * 64, file="x.pdf")
    values = {"dossier": found, "attachment": attachment, "name": "Giấy phép", "agency": world.committee,
              "book": "GP", "year": 2026, "number": 12, "issued_at": datetime(2026, 11, 25, tzinfo=VN_TZ),
              "sha256": "0" * 64}
    first = IssuedResult.objects.create(**values)
    assert first.register_number == "12/2026/GP"
    assert len(first.verification_code) == 16
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuedResult.objects.create(**values)


# --- the catalogue's files ----------------------------------------------------------------------------------------

PERMIT_TEMPLATE = {"name": "Giấy phép xây dựng", "result": "Giấy phép xây dựng", "body":
                   "<h1>GIẤY PHÉP XÂY DỰNG</h1>\n<p>Cấp cho: {{ applicant.name }}, {{ form.plot }}</p>",
                   "valid_for_days": 365}


def permit(**template: object) -> dict[str, object]:
    return procedure(
        "1.013225", name_vi="Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ", field="XD",
        results=[{"name_vi": "Giấy phép xây dựng"}],
        eform=[{"name": "plot", "label_vi": "Thửa đất số"}],
        result_templates=[{**PERMIT_TEMPLATE, **template}],
    )


def test_templates_travel_in_json_and_xlsx_and_a_round_trip_changes_nothing() -> None:
    report = import_catalog(catalog(permit()))
    assert report.versions_created == 1
    stored = ResultTemplate.objects.select_related("result").get()
    assert (stored.name, stored.result.name_vi, stored.book, stored.valid_for_days, stored.paper) == (
        "Giấy phép xây dựng", "Giấy phép xây dựng", "GP", 365, "A4")
    document = export_catalog()
    [record] = [p for p in document["procedures"] if p["code"] == "1.013225"]
    assert record["result_templates"] == [{**PERMIT_TEMPLATE, "book": "GP", "paper": "A4"}]
    assert import_catalog(read_json(write_json(document))).versions_created == 0
    data, locations = read_xlsx(write_xlsx(document))
    assert data["procedures"][0]["result_templates"][0]["body"] == PERMIT_TEMPLATE["body"]
    assert import_catalog(data, locations=locations).versions_created == 0
    changed = import_catalog(catalog(permit(body="<p>{{ applicant.name }}</p>")))
    assert changed.versions_created == 1 and ResultTemplate.objects.count() == 2


def test_a_procedure_without_templates_keeps_its_fingerprint() -> None:
    import_catalog(catalog(procedure()))
    assert import_catalog(catalog(procedure(result_templates=[]))).unchanged == 1


@pytest.mark.parametrize("reader", ["json", "xlsx"])
def test_a_bad_template_refuses_the_whole_import_naming_its_row(reader: str) -> None:
    document = catalog(procedure(), permit(body="<p>{{ applicant.name }}</p>\n<p>{{ form.parcel }}</p>"))
    if reader == "xlsx":
        data, locations = read_xlsx(write_xlsx(document))
    else:
        data, locations = document, None
    with pytest.raises(ValidationFailed) as caught:
        import_catalog(data, locations=locations)
    [error] = caught.value.errors
    assert error.code == "unknown_template_field"
    assert error.params == {"line": 2, "name": "form.parcel"}
    expected = "result_templates!E2" if reader == "xlsx" else "procedures[1].result_templates[0].body"
    assert error.location == expected
    assert not ProcedureVersion.objects.exists() and not ResultTemplate.objects.exists()


def test_a_template_for_a_result_the_procedure_does_not_have_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        import_catalog(catalog(permit(result="Giấy phép khai thác")))
    assert [e.code for e in caught.value.errors] == ["unknown_template_result"]
    assert "Giấy phép khai thác" in caught.value.errors[0].text("vi")


def test_drafting_the_next_version_copies_its_templates() -> None:
    import_catalog(catalog(permit()))
    current = ProcedureVersion.objects.get()
    new = draft_next_version(current, effective_from=timezone.localdate() + timedelta(days=3))
    copy = new.result_templates.select_related("result").get()
    assert copy.result is not None and copy.result.version_id == new.pk and copy.body == PERMIT_TEMPLATE["body"]


# --- the admin: usable fields and a live preview ------------------------------------------------------------------


@pytest.fixture
def admin_client(client: Client) -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.invalid", "a-long-password-1")
    client.force_login(user)
    return client


def test_the_admin_form_lists_the_fields_and_previews_the_unsaved_body(admin_client: Client) -> None:
    import_catalog(catalog(permit()))
    current = ProcedureVersion.objects.get()
    draft = draft_next_version(current, effective_from=timezone.localdate() + timedelta(days=3))
    item = draft.result_templates.get()
    page = admin_client.get(f"/admin/catalog/resulttemplate/{item.pk}/change/").content.decode()
    assert "{{ applicant.name }}" in page and "{{ form.plot }}" in page and 'id="preview-button"' in page
    preview = admin_client.post("/admin/catalog/resulttemplate/preview/", {
        "version": draft.pk, "paper": "A4", "body": "<h1>GIẤY PHÉP</h1><p>{{ applicant.name }}, {{ form.plot }}</p>"})
    assert preview.status_code == 200
    html = preview.content.decode()
    url = html.split('src="')[1].split('"')[0]
    pdf = admin_client.get(url)
    assert pdf["Content-Type"] == "application/pdf" and pdf["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in pdf["Content-Security-Policy"]
    assert "Nguyễn Văn An" in text_of(pdf.content) and "[Thửa đất số]" in text_of(pdf.content)
    assert Client().get(url).status_code == 302  # staff only (to the sign-in page)

    broken = admin_client.post("/admin/catalog/resulttemplate/preview/", {
        "version": draft.pk, "body": "<p>{{ applicant.name }}</p>\n{{ form.parcel }}"}).content.decode()
    assert 'id="preview-error"' in broken and "form.parcel" in broken and "2" in broken


def test_the_admin_refuses_to_save_an_unknown_field_and_saves_a_good_one(admin_client: Client) -> None:
    import_catalog(catalog(permit()))
    draft = draft_next_version(ProcedureVersion.objects.get(), effective_from=timezone.localdate() + timedelta(days=3))
    item = draft.result_templates.get()
    values = {"version": draft.pk, "result": item.result_id, "order": 0, "name": "Giấy phép", "book": "GP",
              "body": "{{ applicant.nickname }}", "valid_for_days": "", "paper": "A4"}
    response = admin_client.post(f"/admin/catalog/resulttemplate/{item.pk}/change/", values)
    assert response.status_code == 200 and "applicant.nickname" in response.content.decode()
    item.refresh_from_db()
    assert item.body == PERMIT_TEMPLATE["body"]
    before = ProcedureVersion.objects.get(pk=draft.pk).content_hash
    response = admin_client.post(f"/admin/catalog/resulttemplate/{item.pk}/change/",
                                 {**values, "body": "<p>{{ applicant.name }}</p>"})
    assert response.status_code == 302
    assert ProcedureVersion.objects.get(pk=draft.pk).content_hash != before  # part of the version's content
    in_force = ProcedureVersion.objects.get(pk=ProcedureVersion.objects.order_by("number").first().pk)
    old = in_force.result_templates.get()
    page = admin_client.get(f"/admin/catalog/resulttemplate/{old.pk}/change/").content.decode()
    assert 'name="body"' not in page  # a version in force is read-only


def test_the_demo_templates_are_valid_and_render(db: Any) -> None:
    document = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    with_templates = [p for p in document["procedures"] if p.get("result_templates")]
    assert len(with_templates) >= 3
    for record in with_templates:
        assert "signer" in {step["role"] for step in record["workflow"]}
        eform = [EFormField.model_validate(f) for f in record.get("eform") or []]
        for item in record["result_templates"]:
            check_template(item["body"], eform)
            text = text_of(render_pdf(item["body"], sample_values(eform), heading={"agency": "UBND"}))
            assert "Nguyễn Văn An".upper() in text.upper(), record["code"]


@pytest.mark.parametrize("number", ["12/2026/GP", "7/2026/QĐ"])
def test_the_corner_is_drawn_directly_or_through_weasyprint_for_letters_the_standard_fonts_lack(number: str) -> None:
    """ASCII-only numbers are drawn as PDF operators (fast); a book like ``QĐ`` goes through WeasyPrint's fonts."""
    payload = qr_payload(dossier_code="X-2", procedure_code="1.000894", applicant_id="022090001234",
                         document="Quyết định", issued_at=datetime(2026, 11, 25, 9, 0, tzinfo=VN_TZ),
                         valid_until=None, verification_code="c0de", number=number)
    document = render_pdf("<p>Nội dung (có dấu ngoặc)</p>", sample_values([]), heading=sample_heading())
    stamped = stamp_result(document, qr_payload=payload, number_text=number)
    assert parse_qr_payload(decode_qr(stamped)[0])["number"] == number
    text = PdfReader(io.BytesIO(stamped)).pages[0].extract_text()
    assert number in text and "Nội dung (có dấu ngoặc)" in text  # the page's own content is still there
