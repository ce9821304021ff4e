"""Boundary-free reception online: the wizard asks which commune is competent for a boundary-free commune-level
procedure (by default the commune of the citizen's address), checks it (this province, existing, a merged commune
standing for its successor) and keeps what was typed when it refuses one; the dossier goes to that commune."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from motcua.dossiers.models import Dossier
from motcua.portal.models import Draft
from tests.boundary import CAO_XANH, DISSOLVED, ELSEWHERE, MERGED, BoundaryWorld
from tests.browsing import fits
from tests.factories import MARRIAGE, citizen_user, pdf_bytes
from tests.test_browser_portal import serious_violations

HA_TU_POINT = "000.01.20.H22"


def step(draft: str, name: str) -> str:
    return f"/nop-ho-so/ho-so-nhap/{draft}/{name}/"


def png() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (30, 30, 200)).save(out, format="PNG")
    out.seek(0)
    out.name = "to-khai.png"
    return out


@pytest.fixture
def citizen(db: Any, settings: Any, tmp_path: Path) -> tuple[Client, BoundaryWorld]:
    settings.MEDIA_ROOT = tmp_path / "media"
    world = BoundaryWorld()
    client = Client()
    client.force_login(citizen_user())  # lives in "Tổ 3, khu 5, phường Hà Tu"
    return client, world


def _start(client: Client) -> str:
    response = client.post(f"/nop-ho-so/{MARRIAGE}/")
    assert response.status_code == 302
    return response["Location"].rsplit("/", 3)[-3]


@pytest.mark.django_db
def test_the_wizard_asks_for_the_competent_commune_and_sends_the_dossier_there(
        citizen: tuple[Client, BoundaryWorld]) -> None:
    client, world = citizen
    draft = _start(client)
    assert Draft.objects.get(pk=draft).data["competent_unit"] == "06652"  # the commune of the citizen's address
    page = client.get(step(draft, "details")).content.decode()
    assert 'id="competent_unit"' in page and 'data-filter-select="competent_unit"' in page
    assert 'value="06652" selected' in page and f'value="{CAO_XANH}"' in page
    assert f'value="{ELSEWHERE}"' not in page and f'value="{MERGED}"' not in page

    details = {"applicant_address": "Tổ 3, khu 5, phường Hà Tu", "receiving_agency": HA_TU_POINT,
               "competent_unit": CAO_XANH}
    assert client.post(step(draft, "details"), details).status_code == 302
    assert client.post(step(draft, "documents"), {"c1-file": png(), "continue": "1"}).status_code == 302
    assert client.post(step(draft, "delivery"), {"delivery": "counter"}).status_code == 302
    review = client.get(step(draft, "review")).content.decode()
    assert 'id="review-commune"' in review and "Phường Cao Xanh" in review
    assert client.post(step(draft, "review"), {"declare": "1"}).status_code == 302
    dossier = Dossier.objects.get()
    assert dossier.channel == "online" and dossier.competent_unit == world.cao_xanh
    assert dossier.receiving_agency == world.commune
    assert {s["agency"] for s in dossier.plan[1:-1]} == {world.cao_xanh_committee.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "error"), [
    ("", "Choose the commune whose People"),
    ("99999", "No commune has the code 99999."),
    (ELSEWHERE, "is in Hải Phòng, not in Quảng Ninh"),
    (DISSOLVED, "no longer exists"),
])
def test_the_wizard_refuses_a_bad_commune_and_keeps_what_was_typed(
        citizen: tuple[Client, BoundaryWorld], code: str, error: str) -> None:
    client, _world = citizen
    draft = _start(client)
    response = client.post(step(draft, "details"), {
        "applicant_address": "Số 9, đường Lê Lợi, phường Cao Xanh", "receiving_agency": HA_TU_POINT,
        "competent_unit": code}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    html = response.content.decode()
    assert error in html and 'id="competent_unit-error"' in html
    assert "Số 9, đường Lê Lợi, phường Cao Xanh" in html  # nothing typed is lost
    assert Draft.objects.get(pk=draft).data["applicant"]["address"] == "Số 9, đường Lê Lợi, phường Cao Xanh"
    review = client.get(step(draft, "review"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="problems"' in review and error in review  # nor can it be submitted
    assert not Dossier.objects.exists()


@pytest.mark.django_db
def test_a_merged_commune_in_a_draft_stands_for_its_successor(citizen: tuple[Client, BoundaryWorld]) -> None:
    client, _world = citizen
    draft = _start(client)
    response = client.post(step(draft, "details"), {"applicant_address": "Hạ Long", "receiving_agency": HA_TU_POINT,
                                                    "competent_unit": MERGED})
    assert response.status_code == 302
    assert Draft.objects.get(pk=draft).data["competent_unit"] == CAO_XANH


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_citizen_searches_and_picks_the_competent_commune(
        phone: Any, live_server: Any, settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    world = BoundaryWorld()
    client = Client()
    client.force_login(citizen_user())
    phone.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                                "url": live_server.url}])
    phone.goto(live_server.url + "/thu-tuc-khong-phu-thuoc-dia-gioi/")
    assert fits(phone) and serious_violations(phone) == []
    phone.locator(f"a[href='/thu-tuc/{MARRIAGE}/']").click()
    phone.locator("#submit-online").click()
    phone.locator("#start").click()
    phone.wait_for_url("**/details/")
    assert fits(phone) and serious_violations(phone) == []
    select = phone.locator("#competent_unit")
    assert select.input_value() == "06652"  # the commune of the account's address
    phone.locator("#competent_unit_search").fill("cao xanh")  # typed without accents, on the phone's keyboard
    visible = phone.eval_on_selector_all("#competent_unit option", "os => os.filter(o => !o.hidden && o.value)"
                                                                   ".map(o => o.value)")
    assert CAO_XANH in visible and "06652" in visible  # the chosen one stays listed
    select.select_option(CAO_XANH)
    phone.locator("#applicant_address").fill("Tổ 3, khu 5, phường Hà Tu")
    phone.locator("#receiving_agency").select_option(HA_TU_POINT)
    phone.locator("#next").click()
    phone.wait_for_url("**/documents/")
    scan = tmp_path / "to-khai.pdf"
    scan.write_bytes(pdf_bytes())
    phone.locator("#c1-file").set_input_files(str(scan))
    phone.locator("#next").click()
    phone.wait_for_url("**/delivery/")
    phone.locator("#delivery-electronic").check()
    phone.locator("#next").click()
    phone.wait_for_url("**/review/")
    assert "Phường Cao Xanh" in phone.locator("#review-commune").inner_text()
    assert fits(phone)
    phone.locator("#declare").check()
    phone.locator("#submit").click()
    phone.wait_for_url("**/ho-so-cua-toi/**")
    dossier = Dossier.objects.get()
    assert dossier.competent_unit == world.cao_xanh
    assert {s["agency"] for s in dossier.plan[1:-1]} == {world.cao_xanh_committee.pk}
    # her dossier's page names the commune that handles it
    assert phone.locator("#competent-unit").inner_text().strip() == "Phường Cao Xanh"
    assert wide(phone) <= 390
    # the receiving point's officer opens it on a phone: the long "received regardless of boundary" badge wraps
    officer = Client()
    officer.force_login(world.users["tiepnhan"])
    phone.context.clear_cookies()
    phone.context.add_cookies([{"name": "sessionid", "value": officer.cookies["sessionid"].value,
                                "url": live_server.url}])
    phone.goto(f"{live_server.url}/workspace/dossiers/{dossier.code}/")
    assert "Phường Cao Xanh" in phone.locator("#competent-commune").inner_text()
    assert wide(phone) <= 390, wide(phone)


def wide(page: Any) -> int:
    """How wide the page is, in CSS pixels (a phone's screen is 390)."""
    return int(page.evaluate("document.scrollingElement.scrollWidth"))
