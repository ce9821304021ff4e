"""A reception officer receives a dossier on a phone and prints the receipt; a citizen tracks it — in real Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from motcua.agencies.models import Agency
from motcua.demo import DEMO_PASSWORD
from motcua.dossiers.models import Dossier
from tests.browsing import PHONE, fits, header_link
from tests.factories import MARRIAGE, build_hatu
from tests.test_workspace import APPLICANT, CITIZEN_ID, pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hatu(transactional_db: Any, settings: Any, tmp_path: Path) -> dict[str, Agency]:
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_hatu()



def test_officer_receives_on_a_phone_and_citizen_tracks_the_code(
    phone: Any, browser: Any, live_server: Any, hatu: dict[str, Agency], tmp_path: Path
) -> None:
    phone.goto(live_server.url + "/workspace/receive/")
    phone.wait_for_url("**/workspace/login/**")
    phone.locator("#id_username").fill("tiepnhan.hatu")
    phone.locator("#id_password").fill(DEMO_PASSWORD)
    phone.locator("#id_password").press("Enter")
    phone.wait_for_url("**/workspace/receive/")
    assert fits(phone)

    phone.locator("#procedure").select_option(MARRIAGE)
    phone.locator("#c1-scan").wait_for()  # the checklist came through htmx
    assert phone.url.endswith("/workspace/receive/")
    phone.locator("#c1-received").check()
    phone.locator("#c2-received").check()
    scan = tmp_path / "to-khai.pdf"
    scan.write_bytes(pdf_bytes())
    phone.locator("#c1-scan").set_input_files(str(scan))
    phone.locator("#applicant_name").fill(APPLICANT)
    phone.locator("#applicant_id_number").fill(CITIZEN_ID)
    phone.locator("#applicant_phone").fill("0912345678")
    assert fits(phone)
    phone.locator('button[name="receive"][value="1"]').click()
    phone.wait_for_url("**/workspace/dossiers/**")

    code = phone.locator("h1 .font-monospace").inner_text().strip()
    dossier = Dossier.objects.get(code=code)
    assert dossier.attachments.count() == 1
    assert APPLICANT in phone.locator("#applicant-name").inner_text()
    assert fits(phone)
    receipt = phone.locator("#print-receipt")
    assert receipt.is_visible()
    href = receipt.get_attribute("href")
    assert href == f"/workspace/dossiers/{code}/slips/receipt.pdf"
    response = phone.request.get(live_server.url + href)  # the signed-in browser's cookies
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    citizen_context = browser.new_context(**PHONE)
    citizen = citizen_context.new_page()
    citizen.set_default_timeout(10_000)
    citizen.goto(live_server.url + "/")
    header_link(citizen, 'a[href="/tra-cuu/"]')
    citizen.wait_for_url("**/tra-cuu/")
    citizen.locator("#ma").fill(code)
    citizen.locator("#ma").press("Enter")
    citizen.locator("#track-status").wait_for()
    assert code in citizen.locator("#track-title").inner_text()
    assert citizen.locator("#track-status").inner_text().strip() != ""
    assert citizen.locator("#milestones li").count() >= 2  # submitted, accepted
    content = citizen.content()
    assert APPLICANT not in content and CITIZEN_ID not in content and "0912345678" not in content
    assert fits(citizen)
    citizen_context.close()
