"""Issue 4's end-to-end test: a citizen's whole journey on a phone, in a real Chromium, with staff in a second one.

The citizen signs up (the code comes by email through the real background worker), submits a partial online and a
full online dossier with uploads, pays the fee in the sandbox, answers a supplement request, downloads the result,
finds it in the data warehouse and rates the service. Staff sign in to the workspace and move the dossier through
the workflow. Everything a person does is done by clicking, typing and choosing files; the ORM only builds the
province and checks results. Every new kind of page must fit the phone and pass axe-core (no serious or critical
violations).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from motcua.demo import DEMO_PASSWORD
from motcua.documents.models import StoredDocument
from motcua.dossiers.models import Attachment, Dossier
from motcua.dossiers.statuses import Status
from motcua.feedback.models import Rating
from motcua.payments.models import Payment
from tests.browsing import PHONE, fits, header_link, workspace_link
from tests.factories import CENTER, build_hatu, pdf_bytes
from tests.test_browser_portal import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STAFF = ("tiepnhan.hatu", "chuyenvien.hatu", "lanhdao.hatu")
MARRIAGE, COPY = "1.000894", "2.000635"  # partial online with an e-form; full online, 8,000 đ, electronic result
EMAIL, PASSWORD = "an.nguyen@example.vn", "Cong-dan-2026!"


def build_province() -> None:
    """Hà Tu ward's one-stop center and People's Committee, their demo staff, two procedures of the demo catalogue."""
    build_hatu(procedures=(MARRIAGE, COPY), staff=STAFF)


@pytest.fixture
def province(transactional_db: Any, settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    build_province()


def run_worker() -> None:
    """The background worker, once: it sends what the requests queued."""
    call_command("db_worker", queue_name="*", batch=True, reload=False, startup_delay=False, interval=0,
                 verbosity=0)



def looks_right(page: Any, what: str) -> None:
    """The page fits the phone and axe-core finds nothing serious."""
    assert fits(page), f"{what} ({page.url}) is wider than the phone's screen"
    problems = serious_violations(page)
    assert problems == [], f"{what} ({page.url}): {problems}"


def photo(path: Path) -> Path:
    Image.new("RGB", (600, 800), (200, 180, 160)).save(path, "JPEG")
    return path


def pdf(path: Path, text: str = "giấy tờ") -> Path:
    path.write_bytes(pdf_bytes(text))
    return path


def staff_page(browser: Any, live_server: Any, username: str) -> Any:
    """A staff member on their own phone, signed in through the workspace's sign-in page."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/")
    header_link(page, 'a[href="/workspace/"]')
    page.wait_for_url("**/workspace/login/**")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(re.compile(r".*/workspace/(\?.*)?$"))
    return page


def open_from_queue(page: Any, code: str, queue: str = "") -> None:
    if queue:
        page.locator(f"#tab-{queue}").click()
    page.locator(f'#queue-list a:text-is("{code}")').click()
    page.wait_for_url(f"**/workspace/dossiers/{code}/**")


def act(page: Any, action: str, fill: Any = None) -> None:
    """Open an action's panel on the workspace dossier page, fill it in, press its button; wait for the swap."""
    panel = page.locator(f"#action-{action}")
    if panel.get_attribute("open") is None:
        panel.locator("summary").first.click()
    if fill is not None:
        fill(panel)
    revision = page.locator(f"#action-{action} input[name=revision]").input_value()
    panel.locator('button[name="action"]').click()
    # the panel is swapped by htmx: wait for a new revision (polled from here, the page's policy forbids eval)
    for _ in range(200):
        current = page.locator("#dossier-panel input[name=revision]")
        try:  # a swap between count() and the read leaves no form to read (no action left): swapped
            if current.count() == 0 or current.first.input_value(timeout=1000) != revision:
                break
        except PlaywrightTimeout:
            break
        page.wait_for_timeout(50)
    assert page.locator("#action-error").count() == 0, page.locator("#action-error").inner_text()


def fill_wizard_details(page: Any, values: dict[str, str]) -> None:
    for selector, value in values.items():
        element = page.locator(selector)
        kind = element.evaluate("e => e.tagName + ':' + (e.type || '')")
        if kind.startswith("SELECT"):
            element.select_option(value)
        elif kind.endswith("checkbox"):
            element.check()
        else:
            element.fill(value)


HA_TU = "06652"  # the ward of build_hatu


def choose_center(page: Any) -> None:
    """Submit at the provincial center: a boundary-free commune procedure then names its competent commune."""
    page.locator("#receiving_agency").select_option(CENTER)
    if page.locator("#competent_unit").count():
        page.locator("#competent_unit").select_option(HA_TU)


def submit_online(page: Any, tmp_path: Path, *, search: str, code: str, form: dict[str, str],
                  files: dict[int, Path], delivery: str, check_pages: bool) -> str:
    """From the home page: search, open the procedure, go through the four steps, submit; return the code."""
    page.locator('header a.mc-brand').click()
    page.wait_for_url(re.compile(r".*/$"))
    page.locator("#q").fill(search)
    page.locator("#q").press("Enter")
    page.wait_for_url("**/thu-tuc/?q=**")
    page.locator(f'a[href="/thu-tuc/{code}/"]').first.click()
    page.wait_for_url(f"**/thu-tuc/{code}/")
    if check_pages:
        looks_right(page, "the procedure's page")
    page.locator("#submit-online").click()
    page.wait_for_url(f"**/nop-ho-so/{code}/")
    if check_pages:
        looks_right(page, "the start of the wizard")
    page.locator("#start").click()
    page.wait_for_url("**/details/")
    assert "Nguyễn Văn An" in page.locator("#main").inner_text()  # the applicant is the account holder
    assert EMAIL in page.locator("#main").inner_text()  # the contacts are the account's
    if check_pages:
        # the e-form's required field, left empty, is named next to it; nothing typed is lost
        page.locator("#form_other_party_name").fill("Trần Thị Bình")
        page.locator("#next").click()
        page.locator("#form_other_party_id_number-error").wait_for()
        assert page.locator("#form_other_party_name").input_value() == "Trần Thị Bình"
        looks_right(page, "the e-form with errors")
    fill_wizard_details(page, form)
    choose_center(page)
    page.locator("#next").click()
    page.wait_for_url("**/documents/")
    if check_pages:
        looks_right(page, "the documents step")
    for index, path in files.items():
        page.locator(f"#c{index}-file").set_input_files(str(path))
    page.locator("#next").click()
    page.wait_for_url("**/delivery/")
    if check_pages:
        looks_right(page, "the delivery step")
    page.locator(f"#delivery-{delivery}").check()
    page.locator("#next").click()
    page.wait_for_url("**/review/")
    if check_pages:
        looks_right(page, "the review step")
    assert page.locator("#problems").count() == 0
    page.locator("#declare").check()
    page.locator("#submit").click()
    page.wait_for_url("**/ho-so-cua-toi/*/")
    dossier_code = page.locator("#dossier-code").inner_text().strip()
    if check_pages:
        looks_right(page, "the dossier's page")
    return dossier_code


def test_a_citizen_goes_from_sign_up_to_rating_the_service(
    browser: Any, live_server: Any, province: None, tmp_path: Path
) -> None:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)

    # 1. sign up from the home page, with an email; the code comes by email
    page.goto(live_server.url + "/")
    looks_right(page, "the home page")
    header_link(page, 'a[href^="/tai-khoan/dang-ky/"]')
    page.wait_for_url("**/tai-khoan/dang-ky/**")
    looks_right(page, "the sign-up page")
    page.locator("#id_full_name").fill("Nguyễn Văn An")
    page.locator("#id_id_number").fill("022090001234")
    page.locator("#id_email").fill(EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#id_password2").press("Enter")
    page.wait_for_url("**/tai-khoan/xac-minh/**")
    looks_right(page, "the verification page")
    run_worker()
    [message] = [m for m in mail.outbox if EMAIL in m.to]
    code = re.search(r"\b(\d{6})\b", message.body)
    assert code, message.body
    page.locator("#id_code").fill(code.group(1))
    page.locator("#id_code").press("Enter")
    page.wait_for_url(lambda url: "/xac-minh/" not in url)
    looks_right(page, "the page after verifying")

    # 2. the partial online procedure: e-form, a photo (becomes a PDF) and a PDF, collected at the counter
    partial = submit_online(
        page, tmp_path, search="ket hon", code=MARRIAGE, delivery="counter", check_pages=True,
        form={"#form_other_party_name": "Trần Thị Bình", "#form_other_party_id_number": "022190000456",
              "#form_other_party_birth_date": "12/03/1996", "#form_voluntary": "1"},
        files={1: photo(tmp_path / "to-khai.jpg"), 2: pdf(tmp_path / "can-cuoc.pdf")},
    )
    dossier = Dossier.objects.get(code=partial)
    assert dossier.status == Status.SUBMITTED and dossier.form_data["other_party_name"] == "Trần Thị Bình"
    scans = list(Attachment.objects.filter(dossier=dossier).order_by("component__order"))
    assert len(scans) == 2 and all(a.file.open("rb").read(4) == b"%PDF" for a in scans)  # the photo became a PDF
    where = page.locator("main dl").first.inner_text()
    assert "Trung tâm Phục vụ hành chính công phường Hà Tu, Trụ sở UBND phường Hà Tu" in where  # where to collect

    # 3. the full online procedure, with the result delivered electronically
    full = submit_online(
        page, tmp_path, search="ban sao trich luc", code=COPY, delivery="electronic", check_pages=False,
        form={"#form_extract_kind": "birth", "#form_person_name": "Nguyễn Văn An", "#form_copies": "1"},
        files={1: pdf(tmp_path / "to-khai-trich-luc.pdf"), 3: photo(tmp_path / "can-cuoc.jpg")},
    )
    dossier = Dossier.objects.get(code=full)
    assert dossier.delivery == "electronic" and dossier.fee_total == 8000

    # 4. pay the fee in the sandbox; an electronic receipt
    assert page.locator("#fee-due").inner_text().startswith("8.000")
    page.locator('#fees button[type="submit"]').click()
    page.wait_for_url("**/thanh-toan/sandbox/**")
    assert "CỔNG THANH TOÁN THỬ NGHIỆM" in page.locator("h1").inner_text()
    assert page.locator("#sandbox-amount").inner_text().startswith("8.000")
    looks_right(page, "the sandbox gateway")
    page.locator('button[name="outcome"][value="pay"]').click()
    page.wait_for_url("**/thanh-toan/ket-qua/**")
    looks_right(page, "the payment's result")
    receipt_number = page.locator("#receipt-number").inner_text().strip()
    assert re.fullmatch(r"BL-\d{4}-000001", receipt_number)
    page.locator(f'#payment-result ~ p a[href="/ho-so-cua-toi/{full}/"]').click()
    page.wait_for_url(f"**/ho-so-cua-toi/{full}/")
    assert Payment.objects.get().status == "paid"
    assert page.locator("#fee-due").count() == 0 and page.locator("#fees form").count() == 0
    receipt_link = page.locator("#receipts a", has_text=receipt_number)
    response = page.request.get(live_server.url + receipt_link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    assert receipt_number in text and "THỬ NGHIỆM" in text  # a sandbox receipt says so

    # 5. a reception officer asks for a supplement, naming a document and why
    officer = staff_page(browser, live_server, "tiepnhan.hatu")
    looks_right(officer, "the staff queues")
    open_from_queue(officer, full)
    looks_right(officer, "the staff dossier page")

    def ask(panel: Any) -> None:
        panel.locator("#rs-c4").check()
        panel.locator("#rs-reason-4").fill("Cần giấy xác nhận cư trú vì số định danh chưa khớp")

    act(officer, "request_supplement", ask)
    assert Dossier.objects.get(code=full).status == Status.SUPPLEMENT_REQUESTED
    mail.outbox.clear()
    run_worker()  # the email says what is missing, why, and where to supplement it
    [message] = [m for m in mail.outbox if EMAIL in m.to and full in m.subject and "bổ sung" in m.subject.lower()]
    assert "Giấy tờ chứng minh nơi cư trú" in message.body and "số định danh chưa khớp" in message.body
    assert f"/ho-so-cua-toi/{full}/" in message.body

    # 6. the citizen sees exactly what is missing, uploads it, sends it
    page.reload()
    missing = page.locator("#missing").inner_text()
    assert "Giấy tờ chứng minh nơi cư trú" in missing and "số định danh chưa khớp" in missing
    looks_right(page, "the dossier's page with a supplement request")
    page.locator("#m0").set_input_files(str(pdf(tmp_path / "xac-nhan-cu-tru.pdf")))
    page.locator("#note").fill("Tôi gửi bổ sung.")
    page.locator("#send-supplement").click()
    page.wait_for_url(f"**/ho-so-cua-toi/{full}/")
    assert page.locator("#missing").count() == 0
    assert Attachment.objects.filter(dossier__code=full, kind="supplement").count() == 1

    # 7. staff accept it and take it through the workflow, to the signed result returned electronically
    workspace_link(officer, 'a[href="/workspace/"]')
    officer.wait_for_url(re.compile(r".*/workspace/(\?.*)?$"))
    open_from_queue(officer, full)
    act(officer, "receive")
    assert Dossier.objects.get(code=full).status == Status.RECEIVED
    act(officer, "transfer")
    assert Dossier.objects.get(code=full).status == Status.IN_PROGRESS

    processor = staff_page(browser, live_server, "chuyenvien.hatu")
    open_from_queue(processor, full)
    act(processor, "forward")
    leader = staff_page(browser, live_server, "lanhdao.hatu")
    open_from_queue(leader, full)
    act(leader, "issue_result",
        lambda panel: panel.locator("#issue_result-file").set_input_files(str(pdf(tmp_path / "ban-sao.pdf"))))
    # the citizen chose to receive it electronically: returned into their account the moment it is issued,
    # without a clerk pressing "return"
    assert Dossier.objects.get(code=full).status == Status.RETURNED
    mail.outbox.clear()
    run_worker()  # the email says the result can be downloaded, and where
    bodies = "\n".join(m.body for m in mail.outbox if EMAIL in m.to)
    assert f"/ho-so-cua-toi/{full}/" in bodies, bodies
    for staff in (officer, processor, leader):
        staff.context.close()

    # 8. the citizen downloads the result, finds it in the data warehouse, rates the service
    page.reload()
    looks_right(page, "the returned dossier's page")
    # the link opens the PDF (no `download` attribute: a refused file's error page must be seen, not swallowed)
    result = page.request.get(live_server.url + page.locator("#results a").first.get_attribute("href"))
    assert result.ok and result.body().startswith(b"%PDF")
    assert StoredDocument.objects.filter(source_dossier__code=full, kind="result").exists()
    header_link(page, 'a[href="/ho-so-cua-toi/"]')
    page.wait_for_url("**/ho-so-cua-toi/")
    looks_right(page, "my dossiers")
    page.locator('#main a[href="/kho-du-lieu/"]').click()
    page.wait_for_url("**/kho-du-lieu/")
    looks_right(page, "the data warehouse")
    kept = page.locator("#documents li", has_text="Bản sao Trích lục hộ tịch, bản sao Giấy khai sinh")
    assert full in kept.inner_text()  # the result, from this dossier
    response = page.request.get(live_server.url + kept.locator("a").get_attribute("href"))
    assert response.ok and response.body().startswith(b"%PDF")
    page.go_back()
    page.locator(f'a[href="/ho-so-cua-toi/{full}/"]').first.click()
    page.wait_for_url(f"**/ho-so-cua-toi/{full}/")
    page.locator("#rating-score-5").check()
    page.locator("#rating-comment").fill("Nhanh, không phải đi lại.")
    page.locator("#rating-panel button").click()
    page.locator("#rating-given").wait_for()
    rating = Rating.objects.get()
    assert rating.score == 5 and rating.dossier.code == full and rating.channel == "account"
    looks_right(page, "the rated dossier's page")
    context.close()


def test_bad_input_expired_session_and_double_submit_in_the_browser(
    browser: Any, live_server: Any, province: None, tmp_path: Path, settings: Any
) -> None:
    from tests.factories import make_citizen

    settings.MOTCUA_MAX_UPLOAD_MB = 1
    make_citizen(phone="0912345678", id_number="022090001234", address="Tổ 3, khu 5, phường Hà Tu")
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + f"/thu-tuc/{MARRIAGE}/")
    page.locator("#submit-online").click()
    page.wait_for_url("**/tai-khoan/dang-nhap/**")
    page.locator("#id_identifier").fill("0912 345 678")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(f"**/nop-ho-so/{MARRIAGE}/")
    page.locator("#start").click()
    page.wait_for_url("**/details/")
    details_url = page.url

    # the session ends while the citizen types: sign in again, back on the same step with what was typed
    typed = {"#form_other_party_name": "Trần Thị Bình", "#form_other_party_id_number": "022190000456",
             "#form_other_party_birth_date": "12/03/1996"}
    fill_wizard_details(page, typed)
    choose_center(page)
    page.context.clear_cookies(name="sessionid")  # the session expired (the CSRF cookie lives a year)
    page.locator("#next").click()
    page.wait_for_url("**/tai-khoan/dang-nhap/**")
    looks_right(page, "the sign-in page after the session ended")
    page.locator("#id_identifier").fill("0912345678")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(details_url)
    for selector, value in typed.items():
        assert page.locator(selector).input_value() == value, selector
    assert page.locator("#receiving_agency").input_value() == CENTER
    assert page.locator("#competent_unit").input_value() == HA_TU  # the competent commune kept too
    # the required checkbox was left unticked: named next to it, the rest kept
    assert page.locator("#form_voluntary-error").is_visible()
    page.locator("#form_voluntary").check()
    page.locator("#next").click()
    page.wait_for_url("**/documents/")

    # a ".pdf" that is text, and a photo over the limit: each named next to its field; the good file is kept
    fake = tmp_path / "to-khai.pdf"
    fake.write_text("this is not a PDF\n" * 100)
    page.locator("#c1-file").set_input_files(str(fake))
    page.locator("#c2-file").set_input_files(str(pdf(tmp_path / "can-cuoc.pdf")))
    page.locator("#next").click()
    page.locator("#c1-error").wait_for()
    assert page.locator("#c1-file").get_attribute("aria-invalid") == "true"
    assert "PDF" in page.locator("#c1-error").inner_text()
    assert page.locator("#c2-given").is_visible()  # the valid one was kept
    looks_right(page, "the documents step with an error")
    big = tmp_path / "anh-lon.png"
    Image.frombytes("RGB", (700, 700), bytes(range(256)) * (700 * 700 * 3 // 256) + bytes(700 * 700 * 3 % 256)
                    ).save(big, "PNG")
    big.write_bytes(big.read_bytes() + b"\0" * max(0, 1_500_000 - big.stat().st_size))
    assert big.stat().st_size >= 1_500_000
    page.locator("#c1-file").set_input_files(str(big))
    page.locator("#next").click()
    page.locator("#c1-error").wait_for()
    assert "1 MB" in page.locator("#c1-error").inner_text()
    assert page.locator("#c2-given").is_visible()
    page.locator("#c1-file").set_input_files(str(photo(tmp_path / "to-khai.jpg")))
    page.locator("#next").click()
    page.wait_for_url("**/delivery/")
    page.locator("#delivery-counter").check()
    page.locator("#next").click()
    page.wait_for_url("**/review/")

    # a double tap on Submit makes one dossier
    page.locator("#declare").check()
    page.locator("#submit").dblclick()
    page.wait_for_url("**/ho-so-cua-toi/*/")
    assert Dossier.objects.count() == 1
    assert Dossier.objects.get().form_data["other_party_name"] == "Trần Thị Bình"
    context.close()
