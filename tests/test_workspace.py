"""The staff workspace (queues, reception, the dossier page and its actions) and public tracking, through HTTP.

The fixture builds the part of the demo province these tests need (Hà Tu ward's one-stop center and People's
Committee, the provincial Department of Justice, their demo staff, procedure 1.000894 from the demo catalogue)
in a few hundred milliseconds, so that each test starts from a clean database.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from PIL import Image

from motcua.agencies.models import Agency
from motcua.demo import DEMO_PASSWORD
from motcua.dossiers.models import Attachment, Dossier, DossierAccess
from motcua.dossiers.statuses import Status
from tests.factories import CENTER, MARRIAGE, build_hatu

pytestmark = pytest.mark.django_db

APPLICANT = "Nguyễn Thị Hoa"
CITIZEN_ID = "022190000123"


@pytest.fixture
def hatu(db: Any) -> dict[str, Agency]:
    return build_hatu()


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(buffer, "PDF")
    return buffer.getvalue()


def signed_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=DEMO_PASSWORD)
    return client


def reception_form(**overrides: Any) -> dict[str, Any]:
    form = {
        "point": CENTER, "procedure": MARRIAGE, "channel": "counter", "delivery": "counter", "counter": "1",
        "applicant_kind": "person", "applicant_name": APPLICANT, "applicant_id_number": CITIZEN_ID,
        "applicant_phone": "0912 345 678", "applicant_email": "hoa@example.vn",
        "applicant_address": "Tổ 5, khu 3, phường Hà Tu", "note": "",
        "c1-originals": "1", "c1-copies": "0", "c1-received": "1",
        "c2-originals": "1", "c2-copies": "0", "c2-received": "1",
        "c3-originals": "0", "c3-copies": "0",
        "receive": "1",
    }
    form.update(overrides)
    return form


def receive(client: Client, **overrides: Any) -> str:
    scan = SimpleUploadedFile("to-khai.pdf", pdf_bytes(), content_type="application/pdf")
    response = client.post("/workspace/receive/", {**reception_form(**overrides), "c1-scan": scan})
    assert response.status_code == 302, response.content.decode()[:3000]
    match = re.match(r"^/workspace/dossiers/(?P<code>[^/]+)/\?new=1$", response["Location"])
    assert match, response["Location"]
    return match.group("code")


def act(client: Client, code: str, action: str, htmx: bool = False, **fields: Any) -> Any:
    revision = fields.pop("revision", None)
    if revision is None:
        revision = Dossier.objects.get(code=code).revision
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/workspace/dossiers/{code}/actions/{action}/", {"revision": revision, **fields},
                       headers=headers)


def label(status: Status) -> str:
    with translation.override("vi"):
        return str(status.label)


def test_pages_need_sign_in_and_login_page_lists_demo_accounts(hatu: dict[str, Agency], settings: Any) -> None:
    anonymous = Client()
    for url in ("/workspace/", "/workspace/receive/", "/workspace/dossiers/000.01.20.H22-250701-0001/"):
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/workspace/login/?next="), url
    settings.DEMO_MODE = True
    page = anonymous.get("/workspace/login/").content.decode()
    assert "tiepnhan.hatu" in page and "motcua-demo" in page and 'autocomplete="current-password"' in page
    response = anonymous.post("/workspace/login/", {"username": "tiepnhan.hatu", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/workspace/"


def test_staff_without_membership_get_a_clear_message(hatu: dict[str, Agency]) -> None:
    get_user_model().objects.create_user("moi", password=DEMO_PASSWORD)
    page = signed_in("moi").get("/workspace/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "not a member of any agency" in page


def test_reception_form_lists_the_procedures_and_loads_the_checklist(hatu: dict[str, Agency]) -> None:
    client = signed_in("tiepnhan.hatu")
    page = client.get("/workspace/receive/").content.decode()
    assert f'<option value="{MARRIAGE}"' in page and 'hx-get="/workspace/receive/checklist/"' in page
    fragment = client.get("/workspace/receive/checklist/", {"procedure": MARRIAGE},
                          HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment
    assert "Tờ khai đăng ký kết hôn" in fragment and 'name="c1-scan"' in fragment and 'name="c3-received"' in fragment
    assert 'value="counter"' in fragment and 'value="post_office"' not in fragment  # a counter, not a post office
    # without JavaScript, the procedure is chosen by a plain GET of the same page
    page = client.get("/workspace/receive/", {"procedure": MARRIAGE, "applicant_name": APPLICANT}).content.decode()
    assert 'name="c1-scan"' in page and f'value="{APPLICANT}"' in page


def test_receive_with_a_scan_redirects_to_the_dossier_page(hatu: dict[str, Agency]) -> None:
    client = signed_in("tiepnhan.hatu")
    code = receive(client)
    dossier = Dossier.objects.get(code=code)
    assert code.startswith(CENTER + "-")
    assert dossier.status == Status.RECEIVED and dossier.applicant_id_number == CITIZEN_ID
    assert dossier.counter is not None and dossier.counter.number == 1
    scan = Attachment.objects.get(dossier=dossier)
    assert scan.kind == "scan" and scan.component is not None and scan.component.order == 1
    page = client.get(f"/workspace/dossiers/{code}/?new=1").content.decode()
    assert APPLICANT in page and label(Status.RECEIVED) in page
    assert f'href="/workspace/dossiers/{code}/slips/receipt.pdf"' in page and 'id="print-receipt"' in page
    assert f"/workspace/dossiers/{code}/files/{scan.pk}/" in page and "/media/" not in page
    download = client.get(f"/workspace/dossiers/{code}/files/{scan.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    receipt = client.get(f"/workspace/dossiers/{code}/slips/receipt.pdf")
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    assert receipt["Content-Disposition"].startswith("inline") and receipt.content.startswith(b"%PDF")
    assert client.get(f"/workspace/dossiers/{code}/slips/refusal.pdf").status_code == 404
    assert set(DossierAccess.objects.filter(dossier=dossier).values_list("via", flat=True)) == {"workspace", "slip"}


def test_invalid_citizen_id_is_shown_next_to_the_field_and_nothing_typed_is_lost(hatu: dict[str, Agency]) -> None:
    client = signed_in("tiepnhan.hatu")
    response = client.post("/workspace/receive/", reception_form(
        applicant_id_number="12345", applicant_address="Số 7 đường Vườn Đào", note="khách hẹn chiều"))
    assert response.status_code == 422
    page = response.content.decode()
    field = re.search(r'<input id="applicant_id_number"[^>]*>', page)
    assert field is not None and "is-invalid" in field.group(0) and 'value="12345"' in field.group(0)
    error = re.search(r'<div id="applicant_id_number-error" class="invalid-feedback">([^<]+)</div>', page)
    assert error is not None and "12345" in error.group(1)
    for kept in (f'value="{APPLICANT}"', 'value="Số 7 đường Vườn Đào"', "khách hẹn chiều", 'value="0912 345 678"',
                 'id="c1-received" name="c1-received" value="1" checked', f'value="{MARRIAGE}" selected'):
        assert kept in page, kept
    assert not Dossier.objects.exists()
    # without a procedure, every error is still shown somewhere (here, the channel has no field yet)
    response = signed_in("tiepnhan.hatu").post("/workspace/receive/", reception_form(procedure="", channel=""))
    assert response.status_code == 422
    page = response.content.decode()
    alert = re.search(r'<div class="alert alert-danger" role="alert" id="form-errors".*?</div>', page, re.S)
    assert alert is not None and "<li>" in alert.group(0)
    assert re.search(r'<select id="procedure"[^>]*is-invalid', page)


def test_accepting_without_a_required_document_says_so(hatu: dict[str, Agency]) -> None:
    client = signed_in("tiepnhan.hatu")
    form = reception_form()
    del form["c2-received"]
    response = client.post("/workspace/receive/", form)
    assert response.status_code == 422 and 'id="components-error"' in response.content.decode()
    code = receive(client, **{"receive": "0", "c2-received": ""})  # recorded as incomplete instead
    assert Dossier.objects.get(code=code).status == Status.SUBMITTED


def test_queues_show_the_dossier_to_the_agency_holding_it_only(hatu: dict[str, Agency]) -> None:
    reception = signed_in("tiepnhan.hatu")
    code = receive(reception)
    assert code in reception.get("/workspace/").content.decode()  # waiting for transfer at reception
    assert act(reception, code, "transfer").status_code == 302
    processing, other = signed_in("chuyenvien.hatu"), signed_in("chuyenvien.tuphap")
    page = processing.get("/workspace/?queue=todo").content.decode()
    assert code in page and APPLICANT in page and "Đăng ký kết hôn" in page
    partial = processing.get("/workspace/?queue=mine", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and code not in partial and 'aria-current="page"' in partial
    assert 'hx-get="/workspace/?queue=overdue"' in partial and 'hx-push-url="true"' in partial
    assert processing.get("/workspace/?queue=nonsense").status_code == 404
    for queue in ("todo", "mine", "due_soon", "overdue", "returned_today"):
        assert code not in other.get(f"/workspace/?queue={queue}").content.decode(), queue
    assert other.get(f"/workspace/dossiers/{code}/").status_code == 404
    assert other.get(f"/workspace/dossiers/{code}/slips/receipt.pdf").status_code == 404
    assert act(other, code, "forward").status_code == 404
    scan = Attachment.objects.get(dossier__code=code)
    assert other.get(f"/workspace/dossiers/{code}/files/{scan.pk}/").status_code == 404


def test_actions_flow_through_to_returned(hatu: dict[str, Agency]) -> None:
    reception, processing, leader = signed_in("tiepnhan.hatu"), signed_in("chuyenvien.hatu"), signed_in(
        "lanhdao.hatu")
    code = receive(reception)
    page = reception.get(f"/workspace/dossiers/{code}/").content.decode()
    assert f'action="/workspace/dossiers/{code}/actions/transfer/"' in page and 'name="revision" value="1"' in page
    assert act(reception, code, "transfer", note="chuyển xử lý").status_code == 302

    page = processing.get(f"/workspace/dossiers/{code}/").content.decode()
    assert 'actions/forward/"' in page and 'actions/assign/"' in page
    response = act(processing, code, "assign", assignee="chuyenvien.hatu")
    assert response.status_code == 302
    assert Dossier.objects.get(code=code).assignee.username == "chuyenvien.hatu"
    # htmx: the panel comes back alone, with the message
    response = act(processing, code, "forward", htmx=True)
    assert response.status_code == 200
    panel = response.content.decode()
    assert "<html" not in panel and 'id="dossier-panel"' in panel and label(Status.AWAITING_SIGNATURE) in panel

    page = leader.get(f"/workspace/dossiers/{code}/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'actions/issue_result/"' in page
    assert 'actions/apologize/"' in page and 'type="datetime-local"' in page
    result = SimpleUploadedFile("giay-chung-nhan.pdf", pdf_bytes(), content_type="application/pdf")
    response = act(leader, code, "issue_result", result_file=result)
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier = Dossier.objects.get(code=code)
    assert dossier.status == Status.RESULT_READY
    assert Attachment.objects.filter(dossier=dossier, kind="result", original_name="giay-chung-nhan.pdf").exists()

    page = reception.get(f"/workspace/dossiers/{code}/").content.decode()
    assert f'name="recipient" value="{APPLICANT}"' in page
    response = act(reception, code, "return_result", delivery="counter", recipient=APPLICANT)
    assert response.status_code == 302
    assert Dossier.objects.get(code=code).status == Status.RETURNED
    page = reception.get(f"/workspace/dossiers/{code}/").content.decode()
    assert label(Status.RETURNED) in page and "chuyển xử lý" in page and "giay-chung-nhan.pdf" in page
    assert code in reception.get("/workspace/?queue=returned_today").content.decode()


def test_supplement_request_and_refusal_keep_typed_values_on_error(hatu: dict[str, Agency]) -> None:
    reception = signed_in("tiepnhan.hatu")
    code = receive(reception, **{"receive": "0", "c2-received": ""})
    response = act(reception, code, "request_supplement", missing_component="2", **{"reason-2": ""},
                   note="gọi điện báo")
    assert response.status_code == 422
    page = response.content.decode()
    assert "Giấy tờ tùy thân" in page and "gọi điện báo" in page and 'id="rs-c2" checked' in page
    response = act(reception, code, "request_supplement", missing_component="2",
                   **{"reason-2": "Chưa xuất trình căn cước", "other_document-1": "Ảnh 4x6", "other_reason-1": "Thiếu"})
    assert response.status_code == 302
    dossier = Dossier.objects.get(code=code)
    assert dossier.status == Status.SUPPLEMENT_REQUESTED
    page = reception.get(f"/workspace/dossiers/{code}/").content.decode()
    assert "Chưa xuất trình căn cước" in page and "Ảnh 4x6" in page
    assert f'href="/workspace/dossiers/{code}/slips/supplement.pdf"' in page


def test_a_stale_revision_gets_the_conflict_message(hatu: dict[str, Agency]) -> None:
    reception = signed_in("tiepnhan.hatu")
    code = receive(reception)
    stale = Dossier.objects.get(code=code).revision
    assert act(reception, code, "apologize", new_due_at="2099-01-05T09:00", reason="Cần xác minh").status_code == 302
    response = act(reception, code, "withdraw", reason="Người nộp rút hồ sơ", revision=stale)
    assert response.status_code == 409
    page = response.content.decode()
    assert 'id="action-error"' in page and f'href="/workspace/dossiers/{code}/">' in page
    assert "Người nộp rút hồ sơ" in page  # what was typed is still there
    assert Dossier.objects.get(code=code).status == Status.RECEIVED
    # through htmx the conflict is the panel's content (htmx does not swap error answers)
    response = act(reception, code, "withdraw", reason="x", revision=stale, htmx=True)
    assert response.status_code == 200 and 'id="action-error"' in response.content.decode()


def test_tracking_shows_status_and_no_personal_data(hatu: dict[str, Agency]) -> None:
    reception = signed_in("tiepnhan.hatu")
    code = receive(reception, note="ghi chú nội bộ")
    act(reception, code, "transfer", note="ghi chú chuyển")
    public = Client()
    empty = public.get("/tra-cuu/")
    assert empty.status_code == 200 and 'name="ma"' in empty.content.decode()
    response = public.get("/tra-cuu/", {"ma": code})
    assert response.status_code == 200
    page = response.content.decode()
    assert code in page and label(Status.IN_PROGRESS) in page and "Ủy ban nhân dân phường Hà Tu" in page
    assert 'id="milestones"' in page
    for private in (APPLICANT, CITIZEN_ID, "0912", "hoa@example.vn", "Tổ 5", "ghi chú", "Trần Văn Hùng",
                    "tiepnhan", "chuyenvien"):
        assert private not in page, private
    assert "/tra-cuu/" in public.get("/").content.decode()  # in the site's navigation
    assert public.get("/tra-cuu/", {"ma": "000.01.20.H22-250101-9999"}).status_code == 404
    assert public.get("/tra-cuu/", {"ma": "not a code"}).status_code == 400
