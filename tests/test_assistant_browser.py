"""The virtual assistant in a real Chromium at a phone's size (issue 15, "done when"): "lam so do" and "dang ky khai
sinh cho con" each lead to the right procedure, with its documents and fees, and the online button; the QR code of
a counter opens the assistant at that point; nothing is wider than the screen."""

from __future__ import annotations

from typing import Any

import pytest

from motcua.assistant.models import AskChannel, Question
from tests.browsing import fits, header_link
from tests.test_assistant import BIRTH, HATU, LAND_FIRST_TIME, load_world
from tests.test_browser_portal import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world_live(transactional_db: Any, settings: Any) -> Any:
    settings.MOTCUA_ASSISTANT_LLM_URL = ""
    return load_world()


def test_a_citizen_asks_on_her_phone_without_diacritics(phone: Any, live_server: Any, world_live: Any) -> None:
    phone.goto(live_server.url + "/")
    header_link(phone, "#nav-assistant")
    phone.locator("#assistant-q").fill("lam so do")
    phone.locator("#assistant-ask").click()
    card = phone.locator(f'#assistant-card[data-code="{LAND_FIRST_TIME}"]')
    card.wait_for()
    assert phone.locator("#assistant-documents").is_visible()
    assert phone.locator("#assistant-card ol li").count() >= 3
    assert phone.locator("#assistant-fees").is_visible()
    # the catalogue lists no fee for it: said as such (not "free"), as the API says it
    assert phone.locator("#assistant-fee-list li").count() == 0
    assert phone.locator("#assistant-fee-total").is_visible()
    assert phone.locator("#assistant-where").is_visible()
    assert "q=lam" in phone.url  # the address can be shared and reloaded
    assert fits(phone)
    assert serious_violations(phone) == []

    # the second question through the example-free box: the birth registration, free of charge, filed online
    phone.locator("#assistant-q").fill("dang ky khai sinh cho con")
    phone.locator("#assistant-q").press("Enter")
    phone.locator(f'#assistant-card[data-code="{BIRTH}"]').wait_for()
    assert phone.locator("#assistant-fee-list li").count() >= 1
    online = phone.locator("#assistant-online")
    assert online.is_visible()
    assert online.get_attribute("href") == f"/nop-ho-so/{BIRTH}/"
    assert fits(phone)


def test_the_counter_qr_code_opens_the_assistant_at_that_point(phone: Any, live_server: Any, world_live: Any
                                                               ) -> None:
    phone.goto(f"{live_server.url}/co-quan/{HATU}/tro-ly-qr/")
    assert fits(phone)
    assert phone.locator("#assistant-qr-url").get_attribute("href").endswith(f"/tro-ly/?counter={HATU}")
    phone.goto(f"{live_server.url}/tro-ly/?counter={HATU}")
    assert phone.locator("#assistant-counter").is_visible()
    phone.locator("#assistant-examples a").nth(1).click()
    phone.locator(f'#assistant-card[data-code="{BIRTH}"]').wait_for()
    assert phone.locator("#assistant-places li").first.inner_text().startswith("Trung tâm Phục vụ hành chính công "
                                                                               "phường Hà Tu")
    assert Question.objects.filter(channel=AskChannel.QR, counter=HATU).count() == 1
    assert fits(phone)


def test_a_question_it_cannot_answer_offers_the_hotline(phone: Any, live_server: Any, world_live: Any) -> None:
    phone.goto(live_server.url + "/tro-ly/?q=gia+vang+hom+nay")
    assert phone.locator("#assistant-not-sure").is_visible()
    assert phone.locator("#assistant-hotline").get_attribute("href") == "tel:02033656656"
    phone.goto(live_server.url + "/tro-ly/?q=" + "a" * 600)
    assert phone.locator("#assistant-refused").is_visible()
    assert len(phone.locator("#assistant-q").input_value()) == 600
    assert fits(phone)
