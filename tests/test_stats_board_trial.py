"""What a new user's trial of the supervision pages found (issue 13), each fixed: the *why* links open exactly
their number's dossiers, medians without PostgreSQL, an honest ranking rate, the digest's labels, link and
recipients, bad input answered with a 400 (or a 404 naming nobody), and lists that fit a phone."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from io import StringIO
from pathlib import Path
from statistics import median
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

import motcua
from motcua.demo.province import _load_staff
from motcua.dossiers.models import Dossier
from motcua.stats import board, digests, supervision
from motcua.stats.models import DigestKind, StepFact
from motcua.stats.scope import scope_of
from tests.browsing import fits
from tests.factories import World, act, receive
from tests.test_stats_board import CODE, States, refresh, supervisor, ward_key

pytestmark = pytest.mark.django_db

DOSSIERS = reverse("workspace:stats_dossiers")


@pytest.fixture
def states(world: World) -> States:
    supervisor(world)
    return States(world, timezone.now())


def chief(world: World) -> Client:
    client = Client()
    client.force_login(world.users["giamsat"])
    return client


def codes(client: Client, url: str) -> set[str]:
    response = client.get(url.replace("&amp;", "&"))
    assert response.status_code == 200, url
    return set(CODE.findall(response.content.decode()))


def test_the_why_link_lists_exactly_the_dossiers_of_its_number_and_names_who_holds_them(world: World,
                                                                                        states: States) -> None:
    now = states.now
    # behind at the processing step (held by chuyenvien); fresh behind at the reception step; a result waiting
    # for its applicant past its step deadline is nobody's delay
    other = act(world, receive(world, now - timedelta(minutes=20)), "transfer", "tiepnhan", now - timedelta(minutes=10))
    refresh()
    Dossier.objects.filter(pk__in=[states.behind.pk, other.pk]).update(assignee=world.users["chuyenvien"])
    for dossier in (states.behind, states.fresh, states.ready, other):
        StepFact.objects.filter(dossier_id=dossier.pk, ended_at__isnull=True).update(due_at=now - timedelta(hours=1))
    units = {u.key: u for u in board.board(board.units_of(scope_of(world.actor("giamsat"))), now)}
    ward = units[ward_key(world)]
    step = StepFact.objects.get(dossier_id=states.behind.pk, ended_at__isnull=True)
    assert (ward.worst_step, ward.worst_step_count) == (step.name, 2)
    assert ward.worst_step_procedure == states.behind.procedure_id
    assert (ward.worst_step_officer_count, ward.worst_step_officer) == (2, board.officer_name(
        world.users["chuyenvien"]))
    # every open step behind (the fresh one too, not the ready one) is 3; the why's link lists its 2
    assert codes(chief(world), DOSSIERS + f"?unit={ward.key}&col=steps_behind") == {
        states.behind.code, states.fresh.code, other.code}
    page = chief(world).get(reverse("workspace:stats_board")).content.decode()
    row = page[page.index(f'data-unit="{ward.key}"'):]
    link = re.search(r'data-why-step><a [^>]*href="([^"]+)"', row)
    assert link is not None
    assert codes(chief(world), link.group(1)) == {states.behind.code, other.code}
    assert board.officer_name(world.users["chuyenvien"]) in row[:row.index("</tr>")]
    # the bottlenecks' per-step figure opens its step's dossiers only
    week = chief(world).get(reverse("workspace:stats_week")).content.decode()
    behind_links = re.findall(r'href="([^"]*col=steps_behind[^"]*)">(\d+)</a>', week)
    assert behind_links
    for url, n in behind_links:
        assert len(codes(chief(world), url)) == int(n), url


def test_no_why_for_a_unit_with_nothing_overdue_nor_behind(world: World, states: States) -> None:
    now = states.now
    Dossier.objects.filter(closed_at__isnull=True).update(due_at=now + timedelta(days=30), step_due_at=None)
    StepFact.objects.filter(dossier_id=states.ready.pk, ended_at__isnull=True).update(due_at=now - timedelta(hours=1))
    units = {u.key: u for u in board.board(board.units_of(scope_of(world.actor("giamsat"))), now)}
    ward = units[ward_key(world)]
    assert ward.counts["overdue"] == ward.counts["behind_step"] == 0
    assert (ward.worst_step, ward.worst_procedure) == ("", "")
    page = chief(world).get(reverse("workspace:stats_board")).content.decode()
    row = page[page.index(f'data-unit="{ward.key}"'):]
    assert "data-why" not in row[:row.index("</tr>")]


def test_the_bottlenecks_median_without_postgresql_and_last_weeks_figures(world: World, states: States) -> None:
    units = board.units_of(scope_of(world.actor("giamsat")))
    period = supervision.week(states.now)
    found = supervision.bottlenecks(units, states.now, period)
    finished = StepFact.objects.filter(ended_at__gte=period.start, ended_at__lt=period.end)
    for b in found["agencies"]:
        waits = [(s.ended_at - s.started_at).total_seconds() / 3600 for s in finished.filter(agency_id=b.agency_id)]
        if waits:
            assert b.this["median"] == pytest.approx(median(waits), abs=0.06)
        assert b.last["late"] == 0 and b.last["avg"] is None  # nothing last week: zeros, not blanks
    assert any(b.this["median"] is not None for b in found["steps"])
    page = chief(world).get(reverse("workspace:stats_week")).content.decode()
    assert re.search(r'<td class="text-end">\d+ / (—|[\d.]+)</td>', page)
    assert not re.search(r"\d+ / </td>", page)
    assert not re.search(r'class="text-end">—</td><td class="text-end">\d+ /', page)  # the median shows


def test_the_ranking_counts_open_dossiers_past_due_against_the_rate(world: World, states: States) -> None:
    units = board.units_of(scope_of(world.actor("giamsat")))
    period = supervision.week(states.now)
    ward = next(r for r in supervision.ranking(units, states.now, period) if r["unit"].key == ward_key(world))
    assert ward["ended"] >= 2 and ward["past_due"] >= 1 and ward["overdue"] == 1
    assert ward["rate"] == (ward["early"] + ward["on_time"]) / (ward["ended"] + ward["past_due"])
    assert ward["rate"] < 1
    page = chief(world).get(reverse("workspace:stats_week")).content.decode()
    row = page[page.index(f'data-unit="{ward_key(world)}"'):]
    assert f'data-col="past_due">{ward["past_due"]}<' in row and f'data-col="rate">{ward["percent"]}<' in row
    digest = digests.build(world.actor("giamsat"), DigestKind.WEEKLY, period, states.now)
    assert digest is not None and digest.figures["past_due"] >= 1 and digest.figures["percent"] != "100%"


def test_the_digest_labels_its_figures_and_links_to_the_board_absolutely(world: World, states: States,
                                                                           settings: Any) -> None:
    settings.PUBLIC_BASE_URL = ""
    digest = digests.build(world.actor("giamsat"), DigestKind.DAILY, digests.daily_period(states.now), states.now)
    assert digest is not None
    assert re.match(r"https?://[^/]+/workspace/thong-ke/$", digest.context()["board_url"])
    settings.PUBLIC_BASE_URL = "https://motcua.example.vn"
    assert digest.context()["board_url"] == "https://motcua.example.vn" + reverse("workspace:stats_board")
    call_command("send_digests")
    body = mail.outbox[0].body
    with translation.override(settings.LANGUAGE_CODE):
        assert gettext("waiting for return or fee") in body and gettext("in progress") in body
    assert "https://motcua.example.vn/workspace/thong-ke/" in body
    ward = next(u for u in digest.units if u.key == ward_key(world))
    assert ward.in_progress == ward.open - ward.counts["return_fee"] - ward.counts["supplement"]


def test_the_command_says_who_has_no_address_and_the_demo_leaders_have_one(world: World) -> None:
    out = StringIO()
    call_command("send_digests", stdout=out)
    assert "0 digests sent." in out.getvalue()
    assert "leaders and supervisors have no e-mail address" in out.getvalue()
    demo = json.loads((Path(motcua.__file__).parent / "agencies" / "demo" / "quang_ninh.json").read_text())
    chiefs = [r for r in demo["staff"] if {m["role"] for m in r["memberships"]} & {"leader", "supervisor"}]
    assert chiefs and all(r.get("email") for r in chiefs)
    assert any(r["email"] == "giamsat@demo.motcua.vn" for r in chiefs)
    _load_staff([{"username": "lanhdao.thu", "first_name": "Thu", "last_name": "Lê", "email": "thu@demo.motcua.vn",
                  "is_superuser": False, "memberships": [{"agency": world.committee.identifier_code,
                                                          "role": "leader"}]}])
    assert any(u.email == "thu@demo.motcua.vn" for u in digests.recipients())


@pytest.mark.parametrize("url", [
    "workspace:stats_board?unit=garbage", "workspace:stats_dossiers?col=overdue&officer=abc",
    "workspace:stats_dossiers?col=unknown", "workspace:stats_dossiers?col=overdue&xuat=pdf",
    "workspace:stats_dossiers?col=overdue&procedure=1x", "workspace:stats_late?week=2026-W99",
    "workspace:stats_late?unit=%3Cb%3E", "workspace:stats_week?week=2026-11",
    "workspace:stats_dossiers?col=overdue&step=Ky",
])
def test_bad_input_is_a_400_page_with_its_reason(world: World, url: str) -> None:
    supervisor(world)
    name, query = url.split("?")
    response = chief(world).get(reverse(name) + "?" + query)
    assert response.status_code == 400, url
    assert response["Content-Type"].startswith("text/html")
    assert "<html" in response.content.decode() and "<b>" not in response.content.decode()


def test_a_leader_cannot_list_an_officer_outside_the_scope(world: World, states: States) -> None:
    leader = Client()
    leader.force_login(world.users["lanhdao"])
    outsider = world.users["tiepnhan.tinh"]
    outsider.first_name, outsider.last_name = "Khoa", "Vũ Văn"
    outsider.save()
    response = leader.get(DOSSIERS + f"?col=overdue&officer={outsider.pk}")
    assert response.status_code == 404 and "Vũ Văn Khoa" not in response.content.decode()
    mine = leader.get(DOSSIERS + f"?col=overdue&officer={world.users['chuyenvien'].pk}")
    assert mine.status_code == 200 and states.late.code in mine.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_long_officer_list_is_compact_on_a_phone(phone: Any, live_server: Any, world: World) -> None:
    """15 overdue dossiers of one officer: cards a phone can read, each with its days late in sight."""
    supervisor(world)
    now = timezone.now()
    made = []
    for _ in range(15):
        d = act(world, receive(world, now - timedelta(hours=1)), "transfer", "tiepnhan", now - timedelta(hours=1))
        made.append(act(world, d, "assign", "lanhdao", now - timedelta(minutes=30), assignee="chuyenvien"))
    Dossier.objects.filter(pk__in=[d.pk for d in made]).update(due_at=now - timedelta(days=7))
    refresh()
    client = Client()
    client.force_login(world.users["giamsat"])
    phone.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                                "url": live_server.url}])
    phone.goto(live_server.url + DOSSIERS + f"?col=overdue&officer={world.users['chuyenvien'].pk}")
    assert fits(phone)
    height = phone.evaluate("document.documentElement.scrollHeight")
    assert height < 15 * 400, height
    badge = phone.locator("#dossiers [data-late]").first
    assert badge.is_visible()
    box = badge.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    buttons = phone.locator("a[href*='xuat=csv']").bounding_box()
    table = phone.locator("#dossiers").bounding_box()
    assert buttons is not None and table is not None and table["y"] - (buttons["y"] + buttons["height"]) < 40
