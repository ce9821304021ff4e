"""The commune's officer confirms a hand-over record on a phone, one package per Enter — in real Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browsing import fits
from tests.factories import World
from tests.test_handover import at_post, sent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_confirms_packages_one_per_enter_on_a_phone(
        phone: Any, live_server: Any, settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    world = World()
    first, second = at_post(world), at_post(world)
    batch = sent(world, [first, second])
    phone.goto(live_server.url + f"/workspace/handovers/{batch.pk}/")
    phone.wait_for_url("**/workspace/login/**")
    phone.locator("#id_username").fill("chuyenvien")
    phone.locator("#id_password").fill("motcua-demo")
    phone.locator("#id_password").press("Enter")
    phone.wait_for_url(f"**/workspace/handovers/{batch.pk}/")
    assert fits(phone)

    phone.locator("#scan-code").fill(first.code)
    phone.locator("#scan-code").press("Enter")
    phone.locator(f'li[data-code="{first.code}"][data-state="received"]').wait_for()
    assert phone.url.endswith(f"/workspace/handovers/{batch.pk}/")  # htmx: the page stayed
    assert phone.locator("#scan-code").input_value() == ""
    assert phone.evaluate("document.activeElement.id") == "scan-code"  # ready for the next package
    phone.keyboard.type("000.91.30.H22-261116-9999")
    phone.keyboard.press("Enter")
    phone.locator('li[data-code="000.91.30.H22-261116-9999"][data-state="extra"]').wait_for()
    assert phone.locator("#scan-result").get_attribute("data-outcome") == "extra"
    assert phone.locator("#scan-counts").get_attribute("data-received") == "1"
    assert fits(phone)

    phone.locator("form[action$='/close/'] button").click()
    phone.wait_for_selector("#discrepancy-badge")
    assert phone.locator("#discrepancy-badge").get_attribute("data-count") == "2"
    assert phone.locator(f'li[data-code="{second.code}"][data-state="missing"]').count() == 1
    assert fits(phone)
