"""The staff workspace's navigation on a phone (the new-user trial: ten buttons took 40 % of the first screen): folded
to the page's section and a "Menu" button that unfolds every link; from md up, the row of buttons as before. The
supervision board and the index keep their key figures on the phone's screen. In real Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext

from motcua.portal.templatetags.motcua import nav_here
from tests.browsing import PHONE, fits
from tests.test_browser_stats_journey import DESKTOP, PASSWORD, QUARTER, build, watch

pytestmark = pytest.mark.django_db(transaction=True)

LINKS = ["/workspace/", "/workspace/receive/", "/workspace/handovers/", "/workspace/shipments/", "/workspace/phan-anh/",
         "/workspace/buu-dien/nhan-tai-nha/", "/workspace/quay/", "/workspace/reconciliation/", "/workspace/thong-ke/",
         "/workspace/thong-ke/chi-so/", "/workspace/thong-ke/bao-cao/", "/workspace/quay/so-lieu/"]


@pytest.mark.parametrize(("path", "expected"), [
    ("/workspace/", "/workspace/"),
    ("/workspace/dossiers/HT-1/", "/workspace/"),
    ("/workspace/receive/checklist/", "/workspace/receive/"),
    ("/workspace/handovers/3/scan/", "/workspace/handovers/"),
    ("/workspace/phan-anh/danh-gia/", "/workspace/phan-anh/"),
    ("/workspace/buu-dien/so-lieu/", "/workspace/buu-dien/nhan-tai-nha/"),
    ("/workspace/thong-ke/", "/workspace/thong-ke/"),
    ("/workspace/thong-ke/tre-han/", "/workspace/thong-ke/"),
    ("/workspace/thong-ke/chi-so/2.1/", "/workspace/thong-ke/chi-so/"),
    ("/workspace/thong-ke/bao-cao/", "/workspace/thong-ke/bao-cao/"),
    ("/workspace/quay/", "/workspace/quay/"),
    ("/workspace/quay/3/next/", "/workspace/quay/"),
    ("/workspace/quay/so-lieu/", "/workspace/quay/so-lieu/"),
    ("/tra-cuu/", ""),
])
def test_the_section_of_a_page_is_its_nearest_link(path: str, expected: str) -> None:
    pairs = [item for href in LINKS for item in (href, f"label of {href}")]
    here = nav_here(path, *pairs)
    assert here["href"] == expected
    assert here["label"] == (f"label of {expected}" if expected else "")


def sign_in(page: Any, base: str) -> None:
    page.goto(base + "/workspace/")
    page.wait_for_url("**/workspace/login/**")
    page.locator("#id_username").fill("giamsat")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(re.compile(r"/workspace/$"))


def right_edge(page: Any, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return float(box["x"] + box["width"])


@pytest.mark.browser
def test_on_a_phone_the_menu_is_folded_and_unfolds_every_link(browser: Any, live_server: Any, settings: Any,
                                                               tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    build()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        problems = watch(page, live_server.url)
        sign_in(page, live_server.url)
        nav = page.locator("nav.mc-ws-nav")
        box = nav.bounding_box()
        assert box is not None and box["height"] < 0.2 * 844, box  # folded: one line
        assert box["y"] + box["height"] < 844 * 0.3  # and near the top
        toggle = page.locator("#mc-ws-toggle")
        assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
        assert toggle.get_attribute("aria-controls") == "mc-ws-menu"
        with translation.override("vi"):
            assert toggle.inner_text().strip() == gettext("Menu")
            assert page.locator("#mc-ws-here").inner_text().strip() == gettext("My queues")
        assert nav.get_attribute("aria-label")
        links = nav.locator("#mc-ws-menu a")
        assert [links.nth(i).get_attribute("href") for i in range(links.count())] == LINKS
        assert not any(links.nth(i).is_visible() for i in range(links.count()))
        assert nav.locator('a[aria-current="page"]').get_attribute("href") == "/workspace/"

        toggle.click()
        page.locator("#mc-ws-menu.show").wait_for()
        assert toggle.get_attribute("aria-expanded") == "true"
        for i in range(links.count()):
            link = links.nth(i)
            assert link.is_visible(), link.get_attribute("href")
            link.click(trial=True)  # nothing covers it: a tap lands on it
            assert right_edge(page, f'#mc-ws-menu a[href="{link.get_attribute("href")}"]') <= 390
        assert nav.locator("form button").is_visible()  # sign out
        assert fits(page)

        # a link of the unfolded menu opens its page, whose section is shown, folded again
        nav.locator('a[href="/workspace/thong-ke/chi-so/"]').click()
        page.wait_for_url("**/thong-ke/chi-so/")
        with translation.override("vi"):
            assert page.locator("#mc-ws-here").inner_text().strip() == gettext("Service-quality index")
        assert not nav.locator('a[href="/workspace/"]').is_visible()
        assert nav.locator('a[aria-current="page"]').get_attribute("href") == "/workspace/thong-ke/chi-so/"

        # the index's key figures on the screen: the score and maximum of each row, the band of each unit
        page.goto(f"{live_server.url}/workspace/thong-ke/chi-so/?ky={QUARTER}")
        assert fits(page)
        assert right_edge(page, '#index tr[data-row="2.1"] td:last-child') <= 390
        assert right_edge(page, '#index tr[data-row="2.1"] td:nth-child(6)') <= 390
        assert right_edge(page, "#breakdown tbody tr td:nth-child(3)") <= 390

        # the board's: the overdue share and the overdue count
        page.goto(live_server.url + "/workspace/thong-ke/")
        assert fits(page)
        assert right_edge(page, '#board tbody tr td[data-col="overdue"]') <= 390
        assert right_edge(page, '#board thead th[data-col="overdue"]') <= 390
        assert not problems, problems
    finally:
        context.close()


@pytest.mark.browser
def test_on_a_desktop_the_buttons_show_without_a_menu(browser: Any, live_server: Any, settings: Any,
                                                      tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    build()
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        problems = watch(page, live_server.url)
        sign_in(page, live_server.url)
        nav = page.locator("nav.mc-ws-nav")
        assert not page.locator("#mc-ws-toggle").is_visible()
        assert not page.locator("#mc-ws-here").is_visible()
        links = nav.locator("a")
        assert links.count() == len(LINKS)
        for i in range(links.count()):
            assert links.nth(i).is_visible()
            links.nth(i).click(trial=True)
        box = nav.bounding_box()
        assert box is not None and box["height"] < 100  # a row (two at most) of buttons
        page.goto(live_server.url + "/workspace/thong-ke/")
        assert page.locator('#board thead th[data-col="received"]').is_visible()  # every column from md up
        assert page.locator("#board tbody tr td:last-child").first.is_visible()  # and the why
        assert not problems, problems
    finally:
        context.close()
