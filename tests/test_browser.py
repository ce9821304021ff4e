"""A citizen on a phone finds a procedure without typing diacritics and scans its QR code — in real Chromium."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_find_a_procedure_without_diacritics_and_scan_its_qr(
    phone: Any, live_server: Any, imported: dict[str, Any]
) -> None:
    phone.goto(live_server.url + "/")
    phone.locator("#q").fill("dang ky ket hon")  # the procedure search (the home page also asks the assistant)
    phone.keyboard.press("Enter")
    result = phone.get_by_role("link", name="Đăng ký kết hôn")
    result.click()
    phone.wait_for_url("**/thu-tuc/1.000894/")
    assert phone.locator("h1").inner_text() == "Đăng ký kết hôn"
    assert phone.locator("#due-now time").get_attribute("datetime")
    assert phone.get_by_text("Tờ khai đăng ký kết hôn").is_visible()
    # The page fits a phone: nothing wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot = phone.locator(".mc-qr").screenshot()
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    assert [code.text for code in decoded] == [live_server.url + "/thu-tuc/1.000894/"]


def test_live_search_updates_results_as_you_type(phone: Any, live_server: Any, imported: dict[str, Any]) -> None:
    phone.goto(live_server.url + "/thu-tuc/")
    assert phone.locator(".mc-results li").count() == 2
    phone.locator("#q").press_sequentially("giay phep xay", delay=30)
    expect(phone.locator(".mc-results li")).to_have_count(1)  # polled from here: the page's policy forbids eval
    assert "Cấp giấy phép xây dựng" in phone.locator(".mc-results").inner_text()
    # The address follows, so the search can be shared or reloaded.
    assert parse_qs(urlsplit(phone.url).query)["q"] == ["giay phep xay"]
