"""Assisted filing in a real Chromium, both sides on a phone, with the population simulator as a real process (the
issue's "done when"): a postal worker files online for an elderly citizen who has no account; she confirms by the
code on her phone; she then signs in with a code and sees the dossier in her account, saying who filed it; she
withdraws her consent and the postal worker's next try is refused."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from motcua.accounts.models import AssistedConsent, Citizen
from motcua.dossiers.models import Dossier
from motcua.integrations.population import people
from motcua.notifications.models import Notification
from tests.browsing import PHONE, fits
from tests.factories import World
from tests.population_sim import PopulationSim, population_fixture, population_sim_fixture  # noqa: F401
from tests.test_browser_portal import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAN = people.ASSISTED_DEMO  # Vũ Thị Lan, 022141000088, 19/08/1941
HER_PHONE = "0912000005"


@pytest.fixture
def world_live(transactional_db: Any, settings: Any, tmp_path: Path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    return World()


def last_code(template: str) -> str:
    """What her phone shows: the last SMS of ``template`` (the file provider writes it under var/sms/)."""
    sms = Notification.objects.filter(recipient=HER_PHONE, template=template).order_by("-pk").first()
    assert sms is not None
    match = re.search(r"\b(\d{6})\b", sms.body)
    assert match, sms.body
    return match.group(1)


def photo(tmp_path: Path) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (600, 800), (240, 240, 230)).save(out, format="JPEG")
    path = tmp_path / "to-khai.jpg"
    path.write_bytes(out.getvalue())
    return path


def test_a_postal_worker_files_for_an_elderly_citizen_who_confirms_by_a_code_and_sees_it_in_her_account(
        browser: Any, live_server: Any, world_live: World, population: PopulationSim, tmp_path: Path) -> None:
    worker = browser.new_context(**PHONE)
    post = worker.new_page()
    post.set_default_timeout(15_000)
    post.goto(live_server.url + "/workspace/login/")
    post.locator("#id_username").fill("buudien")
    post.locator("#id_password").fill("motcua-demo")
    post.locator("#id_password").press("Enter")
    post.wait_for_url(lambda url: "/login/" not in url)
    post.locator("#mc-ws-toggle").click()
    post.locator("#nav-assisted").click()
    post.wait_for_url("**/workspace/assisted/")
    assert fits(post) and serious_violations(post) == []

    # 1. who she is: checked with the population database; she has no account, one is made for her
    post.locator("#id_number").fill(LAN.id_number)
    post.locator("#full_name").fill(LAN.full_name)
    post.locator("#date_of_birth").fill(LAN.date_of_birth.isoformat())
    post.locator("#phone").fill(HER_PHONE)
    post.locator("#identify").click()
    post.wait_for_url(re.compile(r".*/workspace/assisted/\d+/$"))
    lan = Citizen.objects.get(id_number=LAN.id_number)
    assert lan.identity_verified_at is not None and not lan.user.has_usable_password()
    assert fits(post) and serious_violations(post) == []

    # 2. she agrees: the code comes to her phone, she reads it out, the postal worker types it
    post.locator("#send-code").click()
    post.locator("#code").wait_for()
    assert post.locator("#demo-sms").count() == 0  # the SMS text is shown in trial mode only
    post.locator("#code").fill(last_code("assisted_code"))
    post.locator("#confirm-code").click()
    post.locator("#start-filing").wait_for()
    consent = AssistedConsent.objects.get()
    assert consent.active and consent.citizen == lan
    assert fits(post) and serious_violations(post) == []  # the procedures' long names too

    # 3. the online wizard, on her behalf: no procedure is chosen for her in advance
    assert post.locator("#procedure").input_value() == ""
    post.locator("#procedure").select_option("1.000894")
    post.locator("#start-filing").click()
    post.wait_for_url("**/details/")
    assert post.locator("#assisted-banner").is_visible() and LAN.full_name in post.locator("main").inner_text()
    assert fits(post) and serious_violations(post) == []
    post.locator("#applicant_address").fill("Tổ 2, khu 1, phường Hà Tu")
    post.locator("#receiving_agency").select_option("000.01.20.H22")
    post.locator("#next").click()
    post.wait_for_url("**/documents/")
    post.locator("#c1-file").set_input_files(str(photo(tmp_path)))
    post.locator("#next").click()
    post.wait_for_url("**/delivery/")
    post.locator("#delivery-electronic").check()
    post.locator("#next").click()
    post.wait_for_url("**/review/")
    post.locator("#declare").check()
    post.locator("#submit").click()
    post.wait_for_url(f"**/workspace/assisted/{consent.pk}/")
    dossier = Dossier.objects.get()
    assert dossier.applicant_user_id == lan.user_id and dossier.channel == "online"
    assert dossier.code in post.locator("#consent-uses").inner_text()

    # she signs in on her phone with a code (no password yet) and sees the dossier, filed on her behalf
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/tai-khoan/dang-nhap/")
    page.locator("#login-code-link").click()
    page.locator("#id_phone").fill(HER_PHONE)
    page.locator("#send-sign-in-code").click()
    page.locator("#id_code").wait_for()
    assert fits(page) and serious_violations(page) == []
    page.locator("#id_code").fill(last_code("sign_in_code"))
    page.locator("#sign-in-code").click()
    page.wait_for_url("**/ho-so-cua-toi/")
    assert dossier.code in page.locator("main").inner_text()
    page.goto(live_server.url + f"/ho-so-cua-toi/{dossier.code}/")
    assert world_live.post.name in page.locator("#filed-on-behalf").inner_text()
    assert fits(page) and serious_violations(page) == []

    # she withdraws her consent from her account; the postal worker's next try is refused, with the reason
    page.goto(live_server.url + "/tai-khoan/")
    confirm = page.locator(f"[data-confirm-withdraw='{consent.pk}']")
    assert not confirm.is_visible()  # a first click only asks to confirm
    page.locator(f"[data-withdraw='{consent.pk}']").click()
    confirm.click()
    page.locator(f"#consent-{consent.pk} [data-state='withdrawn']").wait_for()
    assert fits(page)
    post.goto(live_server.url + f"/workspace/assisted/{consent.pk}/")
    assert post.locator("#consent-refusal").is_visible() and post.locator("#start-filing").count() == 0
    assert fits(post)
    context.close()
    worker.close()
