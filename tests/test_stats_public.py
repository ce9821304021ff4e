"""The public figures of the service-quality index (issue 13, item 5): each unit's index, band and on-time rate,
and no personal data."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from motcua.stats import public
from tests.browsing import fits
from tests.factories import APPLICANT, MONDAY, World, at, petition, rating, receive, returned, through_processing

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_public_page_shows_each_unit_and_no_personal_data(client: Client) -> None:
    world = World()
    early = returned(world, receive(world))
    late = through_processing(world, receive(world, MONDAY + timedelta(minutes=1)), at(26, 9))
    petition(world, now=at(17, 9))
    rating(world.commune, score=1, dossier=early, now=at(20, 10))
    tables = public.figures(date(2026, 11, 27))
    assert [t.province for t in tables] == ["Quảng Ninh"]
    lines = {line.label: line for line in tables[0].lines}
    ward = lines["Phường Hà Tu"]
    assert ward.cells[0].on_time is not None and ward.cells[0].on_time == 50  # November: one of two on time
    assert ward.cells[0].band
    assert world.justice.name in lines
    page = client.get("/so-lieu/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Phường Hà Tu" in html and 'data-band="' in html
    for secret in (APPLICANT["name"], APPLICANT["id_number"], APPLICANT["phone"], early.code, late.code,
                   "Nguyễn Văn An", world.users["tiepnhan"].username):
        assert secret not in html
    assert "/so-lieu/" in client.get("/").content.decode()  # linked from the portal's footer


def test_the_public_page_costs_the_same_queries_for_few_or_many_dossiers(client: Client) -> None:
    world = World()
    returned(world, receive(world))
    with CaptureQueriesContext(connection) as few:
        assert client.get("/so-lieu/").status_code == 200
    for minute in range(4):
        receive(world, MONDAY + timedelta(minutes=10 + minute))
    with CaptureQueriesContext(connection) as many:
        assert client.get("/so-lieu/").status_code == 200
    assert len(many) == len(few)


@pytest.mark.browser
def test_the_index_and_the_public_figures_fit_a_phone(phone: Any, live_server: Any, settings: Any,
                                                      tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    world = World()
    returned(world, receive(world))
    through_processing(world, receive(world, MONDAY + timedelta(minutes=1)), at(26, 9))
    phone.goto(live_server.url + "/so-lieu/")
    assert phone.locator("h1").inner_text() and fits(phone)
    phone.goto(live_server.url + "/workspace/thong-ke/chi-so/?ky=2026-11")
    phone.wait_for_url("**/workspace/login/**")
    phone.locator("#id_username").fill("lanhdao")
    phone.locator("#id_password").fill("motcua-demo")
    phone.locator("#id_password").press("Enter")
    phone.wait_for_url("**/workspace/thong-ke/chi-so/**")
    assert phone.locator('#index tr[data-row="2.1"]').is_visible() and fits(phone)
    phone.locator('#index tr[data-row="2.1"] a').last.click()
    phone.wait_for_url("**/chi-so/2.1/**")
    assert phone.locator('[data-figure="count"]').inner_text() == "2" and fits(phone)
