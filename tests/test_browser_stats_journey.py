"""Issue 13, "Done when", in real Chromium, on a phone and on a desktop: giamsat (the province supervisor) opens the
board of the province, sees which commune is behind and why, opens the overdue dossiers of one officer, exports
the quarter to XLSX, and reads the index with its six groups, each number leading to its dossiers; the figures
match a rebuild."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from motcua.agencies.models import Membership
from motcua.dossiers import services as dossier_services
from motcua.dossiers.models import Dossier
from motcua.stats import index, periods, reports, services
from motcua.stats.models import DossierFact
from motcua.stats.reports import COLUMNS
from motcua.stats.scope import scope_for_province
from tests.browsing import PHONE, fits, workspace_link
from tests.factories import APPLICANT, MONDAY, World, act, at, pay, receive, returned, through_processing

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "motcua-demo"
QUARTER = "2026-Q4"
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "vi-VN"}
STEP = "Thẩm định hồ sơ"  # the commune procedure's processing step (tests/factories.py, WORKFLOW)


@dataclass
class Province:
    world: World
    overdue: dict[str, set[str]]  # officer's username → codes of the overdue dossiers assigned to them
    on_time: list[str]
    late: str
    justice: str
    justice_in_quarter: bool  # received in the quarter exported (when the test runs in it)

    @property
    def ward(self) -> str:
        return f"u{self.world.commune.unit_id}"

    @property
    def overdue_codes(self) -> set[str]:
        return set().union(*self.overdue.values())


def build() -> Province:
    """The province of ``World`` in November 2026, through the real services: at Hà Tu ward, two dossiers
    handled on time, one handled late, and three received on 2 November still at the committee's processing step
    (two assigned to chuyenvien, one to chuyenvien2), long overdue; at the Department of Justice, one dossier
    received half an hour before the test runs, within time (whenever it runs: the board is live). giamsat
    supervises the province's service center."""
    world = World()
    user = get_user_model().objects.create_user("giamsat", password=PASSWORD, last_name="Giám", first_name="sát")
    Membership.objects.create(user=user, agency=world.center, role="supervisor")
    world.users["giamsat"] = user
    on_time = [returned(world, receive(world, MONDAY + timedelta(minutes=m))).code for m in (1, 2)]
    late = through_processing(world, receive(world, at(9, 9)), at(20, 9))
    pay(late, world.actor("tiepnhan"), at(20, 14))
    late = act(world, late, "return_result", "tiepnhan", at(20, 15), delivery="counter", recipient=APPLICANT["name"])
    overdue: dict[str, set[str]] = {"chuyenvien": set(), "chuyenvien2": set()}
    for minute, officer in enumerate(("chuyenvien", "chuyenvien", "chuyenvien2")):
        dossier = act(world, receive(world, at(2, 9, minute)), "transfer", "tiepnhan", at(2, 10))
        dossier = act(world, dossier, "assign", "lanhdao", at(2, 11), assignee=officer)
        overdue[officer].add(dossier.code)
    now = timezone.now()
    justice, _ = dossier_services.create_dossier(actor=world.actor("tiepnhan.tinh"), now=now - timedelta(minutes=30),
                                                 data={"procedure": "2.000488", "channel": "counter",
                                                       "applicant": APPLICANT,
                                                       "components": [{"order": 1, "originals": 1}]})
    justice = act(world, justice, "transfer", "tiepnhan.tinh", now - timedelta(minutes=20))
    assert justice.received_at is not None
    in_quarter = periods.parse(QUARTER).start <= justice.received_at < periods.parse(QUARTER).end
    return Province(world, overdue, on_time, late.code, justice.code, in_quarter)


def watch(page: Any, base: str) -> list[str]:
    """Console errors (CSP violations are reported there), uncaught exceptions and failed responses of ``page``."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.url.startswith(base) else None)
    return problems


def wide_enough(page: Any, phone: bool) -> None:
    """On a phone nothing is wider than the screen."""
    if phone:
        assert fits(page), page.url
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), page.url


def links_open(page: Any, base: str, selector: str) -> int:
    """Every link of ``selector`` on the page answers (no 403 or 404 behind a number); returns how many."""
    hrefs = page.eval_on_selector_all(f"{selector} a[href]", "links => links.map(a => a.getAttribute('href'))")
    for href in set(hrefs):
        if href.startswith("#"):
            continue
        response = page.request.get(urljoin(page.url, href), max_redirects=0)
        assert response.status == 200, f"{href} on {page.url}: {response.status}"
    return len(hrefs)


def codes(page: Any) -> set[str]:
    return set(page.eval_on_selector_all("#dossiers tbody tr[data-code]", "rows => rows.map(r => r.dataset.code)"))


def journey(page: Any, base: str, province: Province, tmp_path: Path, *, phone: bool) -> None:
    world = province.world
    problems = watch(page, base)

    # sign in, open Supervision from the workspace's menu
    page.goto(base + "/workspace/")
    page.wait_for_url("**/workspace/login/**")
    page.locator("#id_username").fill("giamsat")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(re.compile(r"/workspace/$"))
    workspace_link(page, 'a[href="/workspace/thong-ke/"]')
    page.wait_for_url("**/workspace/thong-ke/")
    wide_enough(page, phone)

    # the commune behind comes first, with its overdue count and why: its worst step
    rows = page.locator("#board tbody tr[data-unit]")
    assert rows.count() >= 2
    first = rows.first
    assert first.get_attribute("data-unit") == province.ward
    assert first.locator('td[data-col="overdue"]').inner_text().strip() == str(len(province.overdue_codes))
    justice = page.locator(f'#board tr[data-unit="a{world.justice.pk}"]')
    assert justice.locator('td[data-col="overdue"]').inner_text().strip() == "0"
    with translation.override("vi"):
        why = gettext("%(step)s: %(n)s behind") % {"step": STEP, "n": len(province.overdue_codes)}
    assert why in first.inner_text()
    if phone:  # why, under the commune's name: on the screen without scrolling the table sideways
        shown = first.locator("[data-why]")
        box = shown.bounding_box()
        assert shown.inner_text().strip().startswith(why) and box is not None and box["x"] + box["width"] <= 390
    assert "1.000894" in first.inner_text()  # its worst procedure
    if not phone:
        links_open(page, base, "#board")

    # its overdue dossiers: exactly those
    first.locator('td[data-col="overdue"] a').click()
    page.wait_for_url("**/thong-ke/danh-sach/**")
    assert codes(page) == province.overdue_codes
    wide_enough(page, phone)

    # the late list by officer, then one officer's overdue dossiers
    page.locator('nav a[href="/workspace/thong-ke/tre-han/"]').click()
    page.wait_for_url("**/thong-ke/tre-han/**")
    wide_enough(page, phone)
    officer = world.users["chuyenvien"]
    line = page.locator(f'#late tr[data-officer="{officer.pk}"]')
    assert line.locator("td").first.inner_text().strip() == str(len(province.overdue["chuyenvien"]))
    other = page.locator(f'#late tr[data-officer="{world.users["chuyenvien2"].pk}"]')
    assert other.locator("td").first.inner_text().strip() == str(len(province.overdue["chuyenvien2"]))
    line.locator("td a").first.click()
    page.wait_for_url("**/thong-ke/danh-sach/**")
    assert codes(page) == province.overdue["chuyenvien"]
    assert page.locator("h1 #officer").inner_text() == f"{officer.last_name} {officer.first_name}"  # whose
    wide_enough(page, phone)

    # the quarter's report, exported to XLSX
    workspace_link(page, 'a[href="/workspace/thong-ke/bao-cao/"]')
    page.wait_for_url("**/thong-ke/bao-cao/**")
    page.locator("#ky").fill(QUARTER)
    page.locator("#report-form button").click()
    page.wait_for_url(f"**ky={QUARTER}**")
    wide_enough(page, phone)
    with page.expect_download() as caught:
        page.locator("#export-xlsx").click()
    download = caught.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / f"{'phone' if phone else 'desktop'}-{download.suggested_filename}"
    download.save_as(saved)
    sheet = load_workbook(io.BytesIO(saved.read_bytes()), read_only=True).active
    lines = list(sheet.iter_rows(values_only=True))
    total = dict(zip([name for name, _h, _g in COLUMNS], lines[1][2:], strict=True))
    handled = len(province.on_time) + 1
    assert total["received"] == handled + len(province.overdue_codes) + province.justice_in_quarter
    assert (total["handled"], total["late"]) == (handled, 1)
    assert total["pending_overdue"] == len(province.overdue_codes)

    # the index of the quarter: six groups, every number leads to as many dossiers
    workspace_link(page, 'a[href="/workspace/thong-ke/chi-so/"]')
    page.wait_for_url("**/thong-ke/chi-so/**")
    page.locator("#ky").fill(QUARTER)
    page.locator("#index-choice button").click()
    page.wait_for_url(f"**ky={QUARTER}**")
    wide_enough(page, phone)
    assert page.locator("#index tbody[data-group]").count() == 6
    figures = page.locator("#index").inner_text()
    breakdown = page.locator("#breakdown").inner_text()
    timeliness = page.locator('#index tr[data-row="2.1"]')
    numerator = timeliness.locator("td").nth(2)
    denominator = timeliness.locator("td").nth(3)
    assert numerator.inner_text().strip() == str(len(province.on_time))  # the late one is not on time
    ended = len(province.on_time) + 1  # and the late one
    assert denominator.inner_text().strip() == str(ended + len(province.overdue_codes))  # and the overdue ones
    if not phone:
        assert links_open(page, base, "#index") > 2
    numerator.locator("a").click()
    page.wait_for_url("**/chi-so/2.1/**")
    wide_enough(page, phone)
    assert page.locator('[data-figure="count"]').inner_text().strip() == str(len(province.on_time))
    listed = page.locator("#drill tbody tr")
    assert listed.count() == len(province.on_time)
    assert {listed.nth(i).locator("td").first.inner_text().strip() for i in range(listed.count())} == set(
        province.on_time)
    if not phone:
        links_open(page, base, "#drill")
    page.go_back()
    page.wait_for_url("**/thong-ke/chi-so/?**")
    denominator.locator("a").click()
    page.wait_for_url("**/chi-so/2.1/**")
    assert page.locator('[data-figure="count"]').inner_text().strip() == str(ended + len(province.overdue_codes))
    page.go_back()
    page.wait_for_url("**/thong-ke/chi-so/?**")

    # the figures match a rebuild
    services.rebuild()
    page.reload()
    assert page.locator("#index").inner_text() == figures
    assert page.locator("#breakdown").inner_text() == breakdown
    assert not problems, problems


@pytest.mark.browser
@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_the_supervisor_follows_the_figures_to_their_dossiers(screen: str, browser: Any, live_server: Any,
                                                               settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    province = build()
    assert Dossier.objects.filter(code__in=province.overdue_codes, closed_at__isnull=True).count() == 3
    context = browser.new_context(**(PHONE if screen == "phone" else DESKTOP), accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        journey(page, live_server.url, province, tmp_path, phone=screen == "phone")
    finally:
        context.close()


def test_a_running_period_counts_as_overdue_only_what_is_past_due_now() -> None:
    """The report's "pending at the end, overdue" and the index's 2.1 denominator, for a period not over yet: a
    dossier due later in the period is not (yet) overdue; once past due, it is. Its index list links the dossier
    only for those who may open it."""
    world = World()
    supervisor = get_user_model().objects.create_user("giamsat", password=PASSWORD)
    Membership.objects.create(user=supervisor, agency=world.center, role="supervisor")
    now = timezone.now()
    quarter = periods.period_of("quarter", timezone.localdate(now))
    if now + timedelta(hours=2) >= quarter.end or now - timedelta(hours=1) < quarter.start:
        pytest.skip("the quarter ends or starts within the hour")
    dossier = act(world, receive(world, now - timedelta(minutes=30)), "transfer", "tiepnhan",
                  now - timedelta(minutes=20))
    province = scope_for_province(world.commune.unit.parent)

    def overdue() -> tuple[int, int]:
        counted = reports.report(province, quarter).total.figures.pending_overdue
        return counted, DossierFact.objects.filter(index.overdue_q(province.agency_ids, quarter)).count()

    DossierFact.objects.filter(dossier_id=dossier.pk).update(due_at=now + timedelta(hours=1))
    assert overdue() == (0, 0)
    DossierFact.objects.filter(dossier_id=dossier.pk).update(due_at=now - timedelta(hours=1))
    assert overdue() == (1, 1)
    link = f'href="/workspace/dossiers/{dossier.code}/"'
    url = f"/workspace/thong-ke/chi-so/2.1/?ky={quarter.key}&phia=denominator"
    for user, linked in ((supervisor, False), (world.users["lanhdao"], True)):
        client = Client()
        client.force_login(user)
        page = client.get(url).content.decode()
        assert dossier.code in page and (link in page) is linked, user.username
