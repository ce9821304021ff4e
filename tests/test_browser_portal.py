"""The citizen portal in a real Chromium at a phone's size: accessibility (axe-core) and the submission wizard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from motcua.dossiers.models import Dossier
from tests.browsing import fits
from tests.factories import World, citizen_user, pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERIOUS = {"serious", "critical"}


@pytest.fixture
def world_live(transactional_db: Any, settings: Any, tmp_path: Path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    return World()


def sign_in(page: Any, live_server: Any, user: Any) -> None:
    """The browser carries the session of ``user`` (signing in itself is tested with the accounts)."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "url": live_server.url}])


def serious_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"] if v["impact"] in SERIOUS
    ]



def check(page: Any, url: str) -> None:
    page.goto(url)
    assert fits(page), f"{url} is wider than the phone's screen"
    problems = serious_violations(page)
    assert problems == [], f"{url}: {problems}"


def test_public_pages_have_no_serious_accessibility_violations(phone: Any, live_server: Any,
                                                                world_live: World) -> None:
    for path in ("/", "/thu-tuc/?q=ket+hon", "/thu-tuc/1.000894/", "/co-quan/", "/tra-cuu/",
                 "/tra-cuu/?ma=000.01.20.H22-261116-0001"):
        check(phone, live_server.url + path)


def test_a_citizen_submits_online_with_a_keyboard_and_the_pages_pass_axe(
    phone: Any, live_server: Any, world_live: World, tmp_path: Path
) -> None:
    user = citizen_user()
    sign_in(phone, live_server, user)
    phone.goto(live_server.url + "/thu-tuc/1.000894/")
    phone.locator("#submit-online").click()
    phone.wait_for_url("**/nop-ho-so/1.000894/")
    assert serious_violations(phone) == []
    phone.locator("#start").click()
    phone.wait_for_url("**/details/")
    assert fits(phone) and serious_violations(phone) == []
    assert "Nguyễn Văn An" in phone.locator("#main").inner_text()  # the applicant is the account holder
    assert phone.locator("#applicant_phone").count() == 0  # the phone is the account's, not typed again
    phone.locator("#applicant_address").fill("Tổ 3, khu 5, phường Hà Tu")
    phone.locator("#applicant_address").press("Enter")  # the keyboard submits the form
    phone.wait_for_url("**/documents/")
    assert fits(phone) and serious_violations(phone) == []
    phone.locator("#next").click()  # without the required document
    phone.locator("#c1-error").wait_for()
    assert serious_violations(phone) == []  # the page with errors too
    scan = tmp_path / "to-khai.pdf"
    scan.write_bytes(pdf_bytes())
    phone.locator("#c1-file").set_input_files(str(scan))
    phone.locator("#next").click()
    phone.wait_for_url("**/delivery/")
    assert serious_violations(phone) == []
    phone.locator("#delivery-electronic").check()
    phone.locator("#next").click()
    phone.wait_for_url("**/review/")
    assert fits(phone) and serious_violations(phone) == []
    phone.locator("#declare").check()
    phone.locator("#submit").dblclick()  # a double tap submits once
    phone.wait_for_url("**/ho-so-cua-toi/**")
    assert Dossier.objects.count() == 1
    code = Dossier.objects.get().code
    assert code in phone.locator("#dossier-code").inner_text()
    assert fits(phone) and serious_violations(phone) == []
    check(phone, live_server.url + "/ho-so-cua-toi/")
    check(phone, live_server.url + "/kho-du-lieu/")


def test_the_accessibility_check_catches_a_violation(phone: Any) -> None:
    """The check itself works: an unlabeled input and an image without text are reported."""
    phone.set_content('<html lang="vi"><head><title>x</title></head><body><main><input type="text">'
                      '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>')
    problems = serious_violations(phone)
    assert any(p.startswith("label") for p in problems) and any(p.startswith("image-alt") for p in problems)
