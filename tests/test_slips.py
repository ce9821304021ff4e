"""The official slips (Circular 01/2018/TT-VPCP, forms 01–05) as PDFs: content, Vietnamese text, QR code."""

from __future__ import annotations

import io
import time
from datetime import datetime, timedelta
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.contrib.auth import get_user_model
from pypdf import PdfReader

from motcua.agencies.models import Agency, AgencyKind, Membership
from motcua.catalog.models import ProcedureVersion
from motcua.catalog.services import import_catalog
from motcua.core.calendar import VN_TZ
from motcua.core.errors import NotFound
from motcua.dossiers import rules, services, slips
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier
from motcua.geo.models import AdministrativeUnit
from tests.factories import catalog, pay, procedure

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=VN_TZ)  # 24/11 is a holiday (Vietnam Cultural Day)
APPLICANT = {"name": "Nguyễn Văn A", "id_number": "022090001234", "phone": "0912345678",
             "address": "Tổ 5, khu 3, phường Hà Tu, tỉnh Quảng Ninh"}
WORKFLOW = [
    {"name_vi": "Tiếp nhận hồ sơ", "role": "reception", "agency_kind": "commune_one_stop", "days": "0.5"},
    {"name_vi": "Thẩm định", "role": "processing", "agency_kind": "people_committee", "days": "3"},
    {"name_vi": "Ký duyệt", "role": "leader", "agency_kind": "people_committee", "days": "1"},
    {"name_vi": "Ký ban hành kết quả", "role": "signer", "agency_kind": "people_committee", "days": "0.5"},
    {"name_vi": "Trả kết quả", "role": "reception", "agency_kind": "commune_one_stop", "days": "0"},
]


@pytest.fixture
def world(db: Any, settings: Any, tmp_path: Any) -> dict[str, Actor]:
    """Hà Tu ward of Quảng Ninh: its one-stop center (under the provincial center), its People's Committee,
    a reception officer, a processing officer and a leader who also signs; marriage registration."""
    settings.MEDIA_ROOT = tmp_path
    settings.PUBLIC_BASE_URL = ""
    province = AdministrativeUnit.objects.create(code="22", name="Tỉnh Quảng Ninh", kind="province")
    ward = AdministrativeUnit.objects.create(code="06652", name="Phường Hà Tu", kind="ward", parent=province)
    center = Agency.objects.create(identifier_code="000.00.01.H22", name="Trung tâm Phục vụ hành chính công tỉnh "
                                   "Quảng Ninh", kind=AgencyKind.SERVICE_CENTER, unit=province)
    front = Agency.objects.create(identifier_code="000.01.20.H22", name="Trung tâm Phục vụ hành chính công phường "
                                  "Hà Tu", kind=AgencyKind.COMMUNE_ONE_STOP, unit=ward, parent=center,
                                  hotline="0203 3 835 123")
    committee = Agency.objects.create(identifier_code="000.01.21.H22", name="Ủy ban nhân dân phường Hà Tu",
                                      kind=AgencyKind.PEOPLE_COMMITTEE, unit=ward)
    doc = catalog(procedure(workflow=WORKFLOW, fees=[{"name_vi": "Lệ phí", "amount": 1500000, "note": ""}],
                            unsigned_results_allowed=True))  # a scanned result: no PKI in these tests
    doc["procedures"][0]["agencies"] = [front.identifier_code]
    import_catalog(doc)
    users = {}
    for username, last, first, memberships in [
        ("tiepnhan.hatu", "Trần Văn", "Hùng", [(front, "reception")]),
        ("chuyenvien.hatu", "Đỗ Thị", "Mai", [(committee, "processing")]),
        ("lanhdao.hatu", "Bùi Văn", "Long", [(committee, "leader"), (committee, "signer")]),
    ]:
        user = get_user_model().objects.create_user(username=username, last_name=last, first_name=first)
        for agency, role in memberships:
            Membership.objects.create(user=user, agency=agency, role=role)
        users[username.split(".")[0]] = Actor.for_user(user)
    return users


def new_dossier(world: dict[str, Actor], now: datetime = MONDAY, transfer: bool = True) -> Dossier:
    dossier, _ = services.create_dossier(actor=world["tiepnhan"], now=now, data={
        "procedure": "1.000894", "channel": "counter", "applicant": APPLICANT,
        "components": [{"order": 1, "originals": 1}, {"order": 2, "originals": 1, "copies": 2}],
    })
    if transfer:
        dossier = services.perform(dossier.code, "transfer", actor=world["tiepnhan"], now=now + timedelta(minutes=30))
    return dossier


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


def qr_codes(pdf: bytes) -> list[str]:
    page = pdfium.PdfDocument(pdf)[0]
    image = page.render(scale=3).to_pil()
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def local(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment.astimezone(VN_TZ)


def assert_common(pdf: bytes, dossier: Dossier, title: str) -> str:
    assert pdf.startswith(b"%PDF-")
    text = flat(text_of(pdf))
    assert title in text
    assert dossier.code in text
    assert "Nguyễn Văn A" in text
    assert "Đăng ký kết hôn" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "Trung tâm Phục vụ hành chính công phường Hà Tu".upper() in text.upper()
    # rendered outside any request with MOTCUA_PUBLIC_URL unset: the link has no host rather than a guessed one
    assert f"/tra-cuu/?ma={dossier.code}" in "".join(text.split())
    codes = qr_codes(pdf)
    assert codes[0] == f"/tra-cuu/?ma={dossier.code}"
    # the receipt also carries the satisfaction survey's QR code (checked in tests/test_feedback.py) and, while a
    # fee is due, the VietQR code of a bank transfer (checked in tests/test_payments_collections.py)
    receipt = title == "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
    transfer = receipt and dossier.fee_total > dossier.fee_paid
    assert len(codes) == (1 + receipt + transfer)
    assert sum(code.startswith("000201") for code in codes) == transfer
    return text


def test_receipt(world: dict[str, Actor]) -> None:
    dossier = new_dossier(world)
    assert slips.available_slips(dossier) == ["receipt", "control"]
    started = time.perf_counter()
    pdf = slips.render_slip(dossier, "receipt")
    elapsed = time.perf_counter() - started
    text = assert_common(pdf, dossier, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")
    due = local(dossier.due_at)
    assert f"Ngày hẹn trả kết quả: {due:%H} giờ {due:%M} phút, ngày {due:%d/%m/%Y}" in text
    assert "Thời gian nhận hồ sơ: 09 giờ 00 phút, ngày 23/11/2026" in text
    assert "Quảng Ninh, ngày 23 tháng 11 năm 2026" in text
    assert "Tờ khai đăng ký kết hôn" in text and "Giấy xác nhận tình trạng hôn nhân" in text
    assert "022090001234" in text and "0912345678" in text and "Tổ 5, khu 3, phường Hà Tu" in text
    assert "1.500.000 đồng" in text
    assert "Trần Văn Hùng" in text  # the receiving officer
    assert "Nghị định số 118/2025/NĐ-CP" in text and "Thông tư số 03/2025/TT-VPCP" in text
    assert elapsed < 10


def test_receipt_lists_only_received_components(world: dict[str, Actor]) -> None:
    dossier, _ = services.create_dossier(actor=world["tiepnhan"], now=MONDAY, data={
        "procedure": "1.000894", "channel": "counter", "applicant": APPLICANT,
        "components": [{"order": 1, "originals": 1}, {"order": 2, "received": False}],
    })
    text = flat(text_of(slips.render_slip(dossier, "receipt")))
    assert "Tờ khai đăng ký kết hôn" in text
    assert "Giấy xác nhận tình trạng hôn nhân" not in text
    assert "gồm 1 thành phần" in text


def test_supplement(world: dict[str, Actor]) -> None:
    dossier = new_dossier(world)
    missing = [{"document": "Giấy xác nhận tình trạng hôn nhân", "reason": "Bản chụp bị mờ, không đọc được"},
               {"document": "Tờ khai đăng ký kết hôn", "reason": "Thiếu chữ ký của bên nữ"}]
    dossier = services.perform(dossier.code, "request_supplement", actor=world["chuyenvien"],
                               params={"missing": missing}, now=MONDAY + timedelta(hours=2))
    assert "supplement" in slips.available_slips(dossier)
    text = assert_common(slips.render_slip(dossier, "supplement"), dossier, "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ")
    for item in missing:
        assert item["document"] in text and item["reason"] in text
    assert "Đỗ Thị Mai" in text
    assert "được tính lại từ đầu" in text


def test_refusal(world: dict[str, Actor]) -> None:
    dossier = new_dossier(world)
    reason = "Hai bên chưa đủ tuổi kết hôn theo Luật Hôn nhân và gia đình"
    dossier = services.perform(dossier.code, "refuse", actor=world["chuyenvien"], params={"reasons": reason},
                               now=MONDAY + timedelta(hours=3))
    assert slips.available_slips(dossier) == ["receipt", "refusal", "control"]
    text = assert_common(slips.render_slip(dossier, "refusal"), dossier, "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ")
    assert reason in text
    assert "Ủy ban nhân dân phường Hà Tu từ chối tiếp nhận" in text


def test_apology(world: dict[str, Actor]) -> None:
    dossier = new_dossier(world)
    previous = local(dossier.due_at)
    new_date = datetime(2026, 12, 4, 16, 0, tzinfo=VN_TZ)
    dossier = services.perform(dossier.code, "apologize", actor=world["chuyenvien"], now=MONDAY + timedelta(days=2),
                               params={"new_due_at": new_date.isoformat(), "reason": "Cần xác minh thêm hộ tịch"})
    assert "apology" in slips.available_slips(dossier)
    title = rules.ruleset(dossier.rules_version).apology_title
    text = assert_common(slips.render_slip(dossier, "apology"), dossier, title)
    assert "Cần xác minh thêm hộ tịch" in text
    assert f"{previous:%H} giờ {previous:%M} phút, ngày {previous:%d/%m/%Y}" in text
    assert "16 giờ 00 phút, ngày 04/12/2026" in text
    assert "Quảng Ninh, ngày 25 tháng 11 năm 2026" in text


def test_control_slip_marks_a_late_step(world: dict[str, Actor]) -> None:
    dossier = new_dossier(world)
    code = dossier.code
    late = MONDAY + timedelta(days=14)
    services.perform(code, "forward", actor=world["chuyenvien"], now=late)  # Thẩm định: 3 working days
    services.perform(code, "approve", actor=world["lanhdao"], now=late + timedelta(hours=1))
    services.issue_result(code, actor=world["lanhdao"], file=io.BytesIO(slips.render_slip(dossier, "receipt")),
                          name="giay-chung-nhan-ket-hon.pdf", now=late + timedelta(hours=2))
    pay(dossier, world["tiepnhan"], late + timedelta(hours=2))
    dossier = services.perform(code, "return_result", actor=world["tiepnhan"], now=late + timedelta(hours=3),
                               params={"delivery": "counter", "recipient": "Nguyễn Văn A"})

    rows = slips.control_rows(dossier)
    assert [r["action"] for r in rows] == [
        "submit", "receive", "transfer", "forward", "approve", "issue_result", "return_result"]
    assert [r["timeliness"] for r in rows] == ["", "", "on_time", "late", "early", "on_time", "on_time"]
    transfer, forward = rows[2], rows[3]
    assert transfer["giver_agency"] == "Trung tâm Phục vụ hành chính công phường Hà Tu"
    assert transfer["giver_name"] == "Trần Văn Hùng"
    assert transfer["receiver_agency"] == "Ủy ban nhân dân phường Hà Tu"
    assert forward["giver_name"] == "Đỗ Thị Mai" and forward["from_step_name"] == "Thẩm định"
    assert forward["due_at"] < forward["at"]
    assert rows[-1]["to_applicant"] and rows[-1]["receiver_name"] == "Nguyễn Văn A"
    assert rows[-1]["giver_agency"] == "Trung tâm Phục vụ hành chính công phường Hà Tu"

    pdf = slips.render_slip(dossier, "control")
    text = assert_common(pdf, dossier, "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ")
    forward_due = local(forward["due_at"])
    assert f"Quá hạn (hạn {forward_due:%H:%M %d/%m/%Y})" in text  # the late step, with its due moment
    assert text.count("Quá hạn (hạn") == 1 and text.count("Đúng hạn (hạn") == 3 and text.count("Trước hạn (hạn") == 1
    assert "Kết quả giải quyết hồ sơ: Quá hạn" in text  # a step was late, and so was the result
    for row in rows:  # one table row per hand-over
        assert f"{local(row['at']):%H:%M %d/%m/%Y}" in text
    assert "Ký ban hành kết quả" in text and "Đỗ Thị Mai" in text and "Bùi Văn Long" in text


def test_control_slip_is_on_time_when_handed_on_in_time(world: dict[str, Actor]) -> None:
    dossier = new_dossier(world)
    dossier = services.perform(dossier.code, "forward", actor=world["chuyenvien"], now=MONDAY + timedelta(days=2))
    rows = slips.control_rows(dossier)
    assert [r["timeliness"] for r in rows] == ["", "", "on_time", "early"]
    text = flat(text_of(slips.render_slip(dossier, "control")))
    assert "Quá hạn (hạn" not in text and "Trước hạn (hạn" in text and "Đúng hạn (hạn" in text


def test_slip_not_available(world: dict[str, Actor]) -> None:
    dossier = new_dossier(world)
    for kind in ("supplement", "refusal", "apology", "nonsense", ""):
        with pytest.raises(NotFound) as caught:
            slips.render_slip(dossier, kind)
        assert caught.value.code == "slip_not_available"
        assert dossier.code in caught.value.text("en")
    online, _ = services.create_dossier(actor=world["tiepnhan"], now=MONDAY, data={
        "procedure": "1.000894", "channel": "online", "applicant": APPLICANT})
    assert slips.available_slips(online) == []
    with pytest.raises(NotFound):
        slips.render_slip(online, "receipt")


def test_slip_kinds_and_tracking_url(world: dict[str, Actor], settings: Any) -> None:
    assert list(slips.SLIP_KINDS) == ["receipt", "supplement", "refusal", "apology", "control"]
    dossier = new_dossier(world, transfer=False)
    settings.PUBLIC_BASE_URL = "https://dichvucong.quangninh.gov.vn"
    assert slips.tracking_url(dossier) == f"https://dichvucong.quangninh.gov.vn/tra-cuu/?ma={dossier.code}"
    assert qr_codes(slips.render_slip(dossier, "receipt"))[0] == slips.tracking_url(dossier)




# --- the forms' details (issue 9) -------------------------------------------------------------------------------


def test_a_commune_slip_is_headed_by_the_communes_peoples_committee(world: dict[str, Actor]) -> None:
    dossier = new_dossier(world)
    text = flat(text_of(slips.render_slip(dossier, "receipt"))).upper()
    assert "ỦY BAN NHÂN DÂN PHƯỜNG HÀ TU TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG PHƯỜNG HÀ TU" in text
    assert "TỈNH QUẢNG NINH TRUNG TÂM PHỤC VỤ" not in text  # not the provincial center above it
    Agency.objects.filter(kind=AgencyKind.PEOPLE_COMMITTEE).update(is_active=False)  # none registered: by name
    text = flat(text_of(slips.render_slip(dossier, "receipt"))).upper()
    assert "ỦY BAN NHÂN DÂN PHƯỜNG HÀ TU TRUNG TÂM PHỤC VỤ" in text


def test_the_receipt_never_lists_a_component_not_handed_in(world: dict[str, Actor]) -> None:
    dossier, _ = services.create_dossier(actor=world["tiepnhan"], now=MONDAY, data={
        "procedure": "1.000894", "channel": "counter", "applicant": APPLICANT,
        "components": [{"order": 1, "originals": 1}, {"order": 2}],  # ticked, with no original and no copy
    })
    text = flat(text_of(slips.render_slip(dossier, "receipt")))
    assert "Tờ khai đăng ký kết hôn 1 0" in text
    assert "Giấy xác nhận tình trạng hôn nhân" not in text and "gồm 1 thành phần" in text


def electronic_offered() -> None:
    ProcedureVersion.objects.update(result_delivery=["counter", "post", "electronic"])


def test_the_delivery_line_follows_the_way_of_delivery(world: dict[str, Actor]) -> None:
    electronic_offered()
    address = "Số 9, tổ 1, phường Hà Tu"
    texts = {}
    for delivery in ("electronic", "post"):
        dossier, _ = services.create_dossier(actor=world["tiepnhan"], now=MONDAY, data={
            "procedure": "1.000894", "channel": "counter", "delivery": delivery, "delivery_address": address,
            "applicant": {**APPLICANT, "email": "an@example.vn"}, "components": [{"order": 1, "originals": 1}],
        })
        texts[delivery] = flat(text_of(slips.render_slip(dossier, "receipt")))
    assert "Trực tuyến (nhận kết quả điện tử), qua thư điện tử an@example.vn" in texts["electronic"]
    assert address not in texts["electronic"]  # not a postal address for an electronic delivery
    assert f"Qua dịch vụ bưu chính công ích, đến địa chỉ: {address}" in texts["post"]


def test_staff_pages_do_not_speak_to_the_officer_as_the_citizen(world: dict[str, Actor], client: Any) -> None:
    electronic_offered()
    dossier, _ = services.create_dossier(actor=world["tiepnhan"], now=MONDAY, data={
        "procedure": "1.000894", "channel": "counter", "delivery": "electronic",
        "delivery_address": "Số 9, tổ 1, phường Hà Tu", "applicant": {**APPLICANT, "email": "an@example.vn"},
        "components": [{"order": 1, "originals": 1}],
    })
    client.force_login(get_user_model().objects.get(username="tiepnhan.hatu"))
    for language in ("vi", "en"):
        page = client.get(f"/workspace/dossiers/{dossier.code}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert "your address" not in page and "của bạn" not in page
        delivery = page.split('id="delivery">', 1)[1].split("</dd>", 1)[0]
        assert "an@example.vn" in delivery and "Số 9" not in delivery
    Dossier.objects.filter(pk=dossier.pk).update(delivery="post")
    page = client.get(f"/workspace/dossiers/{dossier.code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Số 9, tổ 1, phường Hà Tu" in page.split('id="delivery">', 1)[1].split("</dd>", 1)[0]
