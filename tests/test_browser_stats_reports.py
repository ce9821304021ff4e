"""A commune leader reads the one-stop report on a phone: the charts are drawn by the vendored Chart.js under the
page's Content Security Policy, nothing is wider than the screen — in real Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browsing import fits
from tests.factories import World
from tests.test_stats_reports import build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_leader_reads_the_report_with_charts_on_a_phone(phone: Any, live_server: Any) -> None:
    build(World())
    problems: list[str] = []
    phone.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    phone.on("pageerror", lambda error: problems.append(str(error)))
    phone.goto(live_server.url + "/workspace/thong-ke/bao-cao/?ky=2026-11")
    phone.wait_for_url("**/workspace/login/**")
    phone.locator("#id_username").fill("lanhdao")
    phone.locator("#id_password").fill("motcua-demo")
    phone.locator("#id_password").press("Enter")
    phone.wait_for_url("**/thong-ke/bao-cao/**")
    phone.wait_for_function("document.querySelectorAll('canvas[data-chart]').length === 3"
                            " && [...document.querySelectorAll('canvas[data-chart]')].every(c => c.chart)")
    sizes = phone.evaluate("[...document.querySelectorAll('canvas[data-chart]')].map(c => [c.clientWidth, "
                           "c.clientHeight])")
    assert all(0 < width <= 390 and height > 100 for width, height in sizes), sizes
    assert phone.evaluate("window.Chart.version").startswith("4.")
    assert fits(phone)
    assert phone.locator('#report-units tfoot td[data-figure="received"]').inner_text() == "6"
    assert not problems, problems
