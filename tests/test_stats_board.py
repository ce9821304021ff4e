"""Supervision (issue 13): the officers' inbox counters, the live board per unit and procedure, every number's list
of dossiers (and its exports), the late lists, the bottlenecks and the ranking — scoped, and flat in queries."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from typing import Any

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from motcua.agencies.models import Membership
from motcua.dossiers import deadlines
from motcua.dossiers import selectors as dossier_selectors
from motcua.dossiers import services as dossier_services
from motcua.dossiers.models import Dossier
from motcua.stats import board, services, supervision
from motcua.stats.models import Outcome, StepFact
from motcua.stats.scope import scope_of
from tests.browsing import fits
from tests.factories import APPLICANT, World, act, pay, receive, through_processing

pytestmark = pytest.mark.django_db

CODE = re.compile(r"\d{3}\.\d{2}\.\d{2}\.H22-\d{6}-\d{4}")


def supervisor(world: World) -> Any:
    user = get_user_model().objects.create_user("giamsat", password="x", last_name="Giám", first_name="sát",
                                                email="giamsat@example.vn")
    Membership.objects.create(user=user, agency=world.center, role="supervisor")
    world.users["giamsat"] = user
    return user


def refresh() -> None:
    """What the end of each action's transaction does (the tests' transaction never commits)."""
    services.refresh(Dossier.objects.values_list("pk", flat=True), force=True)


class States:
    """One dossier in each state of the board, at the Hà Tu ward, acted on at ``now``; and one overdue dossier of
    the Department of Justice."""

    def __init__(self, world: World, now: datetime) -> None:
        self.now = now
        today = board.start_of_day(now)
        t = max(now - timedelta(minutes=30), today + (now - today) / 2)  # today, whatever the hour
        self.fresh = receive(world, t)  # at the one-stop reception step: on time, received today
        self.moved = act(world, receive(world, t), "transfer", "tiepnhan", t)  # step 1 handed on today
        self.behind = act(world, receive(world, t), "transfer", "tiepnhan", t)
        Dossier.objects.filter(pk=self.behind.pk).update(step_due_at=now - timedelta(hours=1))
        self.late = act(world, receive(world, t), "transfer", "tiepnhan", t)
        self.late = act(world, self.late, "assign", "lanhdao", t, assignee="chuyenvien")
        Dossier.objects.filter(pk=self.late.pk).update(due_at=now - timedelta(days=7))  # late even over a holiday
        self.supplement = act(world, receive(world, t), "request_supplement", "tiepnhan", t,
                              missing=[{"document": "Tờ khai", "reason": "thiếu chữ ký"}])
        self.ready = through_processing(world, receive(world, t), t)
        back = through_processing(world, receive(world, t), t)
        pay(back, world.actor("tiepnhan"), t)
        self.back = act(world, back, "return_result", "tiepnhan", t + timedelta(minutes=5), delivery="counter",
                        recipient="Nguyễn Văn An")
        self.paused = act(world, act(world, receive(world, t), "transfer", "tiepnhan", t), "pause", "chuyenvien", t,
                          kind="other", reason="Chờ xác minh")
        self.fee = act(world, act(world, receive(world, t), "transfer", "tiepnhan", t), "pause", "chuyenvien", t,
                       kind="financial", reason="Chờ nộp thuế")
        justice, _ = dossier_services.create_dossier(actor=world.actor("tiepnhan.tinh"), now=t, data={
            "procedure": "2.000488", "channel": "counter", "applicant": APPLICANT,
            "components": [{"order": 1, "originals": 1}]})
        self.justice = act(world, justice, "transfer", "tiepnhan.tinh", t)
        Dossier.objects.filter(pk=self.justice.pk).update(due_at=now - timedelta(days=1))
        refresh()


@pytest.fixture
def states(world: World) -> States:
    supervisor(world)
    return States(world, timezone.now())


def ward_key(world: World) -> str:
    return f"u{world.commune.unit_id}"


EXPECTED = {  # column → the States attributes counted in it, at the ward
    "on_time": {"fresh", "moved"},
    "behind_step": {"behind"},
    "overdue": {"late"},
    "supplement": {"supplement"},
    "return_fee": {"ready", "fee"},
    "paused": {"paused"},
    "returned": {"back"},
}


def test_the_board_counts_every_column_and_each_list_has_exactly_those_dossiers(world: World, states: States
                                                                                 ) -> None:
    units = {u.key: u for u in board.board(board.units_of(scope_of(world.actor("giamsat"))), states.now)}
    ward = units[ward_key(world)]
    justice = units[f"a{world.justice.pk}"]
    received = {"fresh", "moved", "behind", "late", "supplement", "ready", "back", "paused", "fee"}
    for column, names in EXPECTED.items():
        assert ward.counts[column] == len(names), column
        found = set(board.drill(ward.agency_ids, column, states.now).values_list("code", flat=True))
        assert found == {getattr(states, n).code for n in names}, column
    # the live columns of a row add up to its open dossiers
    assert ward.open == Dossier.objects.filter(closed_at__isnull=True, current_agency_id__in=ward.agency_ids).count()
    assert ward.counts["received"] == len(received)
    assert set(board.drill(ward.agency_ids, "received", states.now).values_list("code", flat=True)) == {
        getattr(states, n).code for n in received}
    handed = set(board.drill(ward.agency_ids, "handed_on", states.now).values_list("code", flat=True))
    assert states.moved.code in handed and states.fresh.code not in handed
    assert ward.counts["handed_on"] >= len(handed)
    assert justice.counts["overdue"] == 1 and justice.open == 1
    # the units most overdue (in share) come first, each with its worst procedure
    ordered = list(units)
    assert ordered[0] == f"a{world.justice.pk}"
    assert "2.000488" in justice.worst_procedure
    assert "1.000894" in ward.worst_procedure
    # per procedure, the same counts
    rows = board.procedure_rows(ward)
    assert len(rows) == 1 and rows[0]["counts"]["overdue"] == 1


def test_the_officers_inbox_counters(world: World, states: States) -> None:
    counts = board.inbox_counters(world.actor("chuyenvien"), states.now)
    # held at the committee's processing step: moved, behind, paused, fee (unassigned) and late (assigned)
    assert counts["overdue"] == 1
    assert counts["mine"] == 1  # the late one, assigned to chuyenvien
    assert counts["new"] == 2  # moved and behind, not taken up (paused ones wait)
    reception = board.inbox_counters(world.actor("tiepnhan"), states.now)
    assert reception["supplement"] == 1 and reception["new"] == 1  # fresh is new at the reception step


def test_each_linked_inbox_counter_counts_exactly_its_queue_tab(world: World, states: States) -> None:
    """The trial: "due within 3 days" opened a tab of 2; "New 0" opened "To act on" listing 17."""
    Dossier.objects.filter(pk=states.moved.pk).update(due_at=states.now + timedelta(hours=2))
    Dossier.objects.filter(pk=states.fresh.pk).update(
        due_at=deadlines.calendar().add_working_days(states.now, dossier_selectors.DUE_SOON_DAYS + 1))
    for name in ("chuyenvien", "tiepnhan", "lanhdao"):
        actor = world.actor(name)
        counts = board.inbox_counters(actor, states.now)
        for key in board.INBOX_QUEUES:
            assert counts[key] == dossier_selectors.queue(actor, key, states.now).count(), (name, key)
            assert board.INBOX[key] == dossier_selectors.QUEUES[key]
    assert board.inbox_counters(world.actor("chuyenvien"), states.now)["due_soon"] >= 1
    assert str(dossier_selectors.DUE_SOON_DAYS) in str(dossier_selectors.QUEUES["due_soon"])
    client = Client()
    client.force_login(world.users["chuyenvien"])
    page = client.get(reverse("workspace:home")).content.decode()
    links = dict(re.findall(r'data-counter="(\w+)".*?(?:href="[^"]*\?queue=(\w+)"|</li>)', page, re.S))
    assert links == {"new": "", "mine": "mine", "due_soon": "due_soon", "overdue": "overdue", "supplement": ""}


def test_the_home_page_shows_the_counters(world: World, states: States) -> None:
    client = Client()
    client.force_login(world.users["chuyenvien"])
    page = client.get(reverse("workspace:home")).content.decode()
    assert 'id="inbox-counters"' in page and 'data-counter="overdue"' in page


def test_scopes_commune_leader_province_supervisor_and_officer(world: World, states: States) -> None:
    leader = Client()
    leader.force_login(world.users["lanhdao"])
    page = leader.get(reverse("workspace:stats_board")).content.decode()
    assert f'data-unit="a{world.committee.pk}"' in page and f'data-unit="a{world.justice.pk}"' not in page
    listed = leader.get(reverse("workspace:stats_dossiers") + "?col=overdue").content.decode()
    assert states.late.code in listed and states.justice.code not in listed
    assert leader.get(reverse("workspace:stats_dossiers") + f"?unit=a{world.justice.pk}&col=overdue"
                      ).status_code == 404
    chief = Client()
    chief.force_login(world.users["giamsat"])
    page = chief.get(reverse("workspace:stats_board") + f"?unit={ward_key(world)}").content.decode()
    assert f'data-unit="{ward_key(world)}"' in page and f'data-unit="a{world.justice.pk}"' in page
    assert 'id="unit-procedures"' in page
    listed = chief.get(reverse("workspace:stats_dossiers") + "?col=overdue").content.decode()
    assert states.late.code in listed and states.justice.code in listed
    officer = Client()
    officer.force_login(world.users["chuyenvien"])
    for name in ("stats_board", "stats_dossiers", "stats_late", "stats_week"):
        response = officer.get(reverse(f"workspace:{name}") + "?col=overdue")
        assert response.status_code == 403, name


def test_a_list_names_the_applicant_only_for_those_who_see_the_dossier(world: World, states: States) -> None:
    chief = Client()
    chief.force_login(world.users["giamsat"])
    # the center is involved in the Justice dossier only: the supervisor sees its applicant's name there
    page = chief.get(reverse("workspace:stats_dossiers") + f"?unit={ward_key(world)}&col=overdue").content.decode()
    assert states.late.code in page and APPLICANT["name"] not in page
    assert APPLICANT["id_number"] not in page
    # the commune's leader handles the ward's dossiers: the name shows (never the ID number on a list)
    leader = Client()
    leader.force_login(world.users["lanhdao"])
    page = leader.get(reverse("workspace:stats_dossiers") + "?col=overdue").content.decode()
    assert states.late.code in page and APPLICANT["name"] in page and APPLICANT["id_number"] not in page


def test_exports_of_a_list(world: World, states: States) -> None:
    chief = Client()
    chief.force_login(world.users["giamsat"])
    url = reverse("workspace:stats_dossiers") + f"?unit={ward_key(world)}&col=return_fee"
    response = chief.get(url + "&format=csv")
    body = b"".join(response.streaming_content).decode()
    assert states.ready.code in body and states.fee.code in body and states.late.code not in body
    response = chief.get(url + "&format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_late_by_officer_and_the_weekly_pages(world: World, states: States) -> None:
    units = board.units_of(scope_of(world.actor("giamsat")))
    period = supervision.week(states.now)
    rows = {r["officer_id"]: r for r in supervision.late_by_officer(units, states.now, period)}
    mine = rows[world.users["chuyenvien"].pk]
    assert mine["overdue"] == 1 and mine["days_late"] is not None and mine["days_late"] > 0
    assert rows[0]["overdue"] == 1  # the Justice dossier, not assigned
    ranking = supervision.ranking(units, states.now, period)
    ward = next(r for r in ranking if r["unit"].key == ward_key(world))
    assert ward["ended"] >= 2 and ward["overdue"] == 1
    found = supervision.bottlenecks(units, states.now, period)
    assert found["steps"] and found["agencies"]
    chief = Client()
    chief.force_login(world.users["giamsat"])
    page = chief.get(reverse("workspace:stats_late")).content.decode()
    assert f'data-officer="{world.users["chuyenvien"].pk}"' in page
    listed = chief.get(reverse("workspace:stats_dossiers") +
                       f"?col=overdue&officer={world.users['chuyenvien'].pk}").content.decode()
    assert set(CODE.findall(listed)) == {states.late.code}
    assert chief.get(reverse("workspace:stats_week")).status_code == 200


def _queries(client: Client, url: str) -> tuple[int, str]:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_query_budgets_of_the_board_and_a_list(world: World) -> None:
    supervisor(world)
    now = timezone.now()
    made = [receive(world, now - timedelta(minutes=10))]
    refresh()
    chief = Client()
    chief.force_login(world.users["giamsat"])
    urls = [reverse("workspace:stats_board") + f"?unit={ward_key(world)}",
            reverse("workspace:stats_dossiers") + "?col=on_time",
            reverse("workspace:stats_late"), reverse("workspace:stats_week")]
    before = {url: _queries(chief, url) for url in urls}
    assert made[0].code in before[urls[1]][1]
    for _ in range(49):
        made.append(act(world, receive(world, now - timedelta(minutes=10)), "transfer", "tiepnhan",
                        now - timedelta(minutes=5)))
    refresh()
    for url in urls:
        count, page = _queries(chief, url)
        assert count == before[url][0], f"{url}: {before[url][0]} queries for 1 dossier, {count} for 50"
    assert len(set(CODE.findall(_queries(chief, urls[1])[1]))) == 50


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_board_on_a_phone(phone: Any, live_server: Any, world: World) -> None:
    """giamsat opens the board on a phone, opens a unit's overdue dossiers: nothing wider than the screen."""
    supervisor(world)
    now = timezone.now()
    late = act(world, receive(world, now - timedelta(hours=1)), "transfer", "tiepnhan", now - timedelta(hours=1))
    Dossier.objects.filter(pk=late.pk).update(due_at=now - timedelta(days=1))
    refresh()
    client = Client()
    client.force_login(world.users["giamsat"])
    phone.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                                "url": live_server.url}])
    phone.goto(live_server.url + reverse("workspace:stats_board"))
    assert fits(phone)
    link = phone.locator(f'tr[data-unit="{ward_key(world)}"] td[data-col="overdue"] a')
    box = link.bounding_box()
    assert box is not None and box["height"] >= 40  # a finger's target
    link.click()
    phone.wait_for_url("**/thong-ke/danh-sach/**")
    assert late.code in phone.locator("#dossiers").inner_text()
    assert fits(phone)
    for name in ("stats_late", "stats_week"):
        phone.goto(live_server.url + reverse(f"workspace:{name}"))
        assert fits(phone), name


def test_worst_step_late_steps_and_bottlenecks_lead_to_their_dossiers(world: World, states: States) -> None:
    now = states.now
    StepFact.objects.filter(dossier_id=states.behind.pk, ended_at__isnull=True).update(
        due_at=now - timedelta(hours=1))
    first = StepFact.objects.get(dossier_id=states.moved.pk, visit=0)
    StepFact.objects.filter(pk=first.pk).update(outcome=Outcome.LATE, due_at=first.ended_at - timedelta(hours=3))
    units = {u.key: u for u in board.board(board.units_of(scope_of(world.actor("giamsat"))), now)}
    ward = units[ward_key(world)]
    step = StepFact.objects.get(dossier_id=states.behind.pk, ended_at__isnull=True)
    assert (ward.worst_step, ward.worst_step_count) == (step.name, 1)
    assert list(board.drill(ward.agency_ids, "steps_behind", now).values_list("code", flat=True)) == [
        states.behind.code]
    period = supervision.week(now)
    found = supervision.bottlenecks(list(units.values()), now, period)
    worst = found["steps"][0]
    assert (worst.agency_id, worst.step, worst.this["late"]) == (first.agency_id, first.name, 1)
    assert any(b.open_late == 1 and b.agency_id == step.agency_id for b in found["agencies"])
    officer = world.users["tiepnhan"].pk
    rows = {r["officer_id"]: r for r in supervision.late_by_officer(list(units.values()), now, period)}
    assert rows[officer]["late_steps"] == 1
    chief = Client()
    chief.force_login(world.users["giamsat"])
    listed = chief.get(reverse("workspace:stats_dossiers") + f"?col=late_steps&officer={officer}").content.decode()
    assert set(CODE.findall(listed)) == {states.moved.code}
    listed = chief.get(reverse("workspace:stats_dossiers") +
                       f"?agency={step.agency_id}&col=steps_behind").content.decode()
    assert set(CODE.findall(listed)) == {states.behind.code}
    page = chief.get(reverse("workspace:stats_week")).content.decode()
    assert f"agency={first.agency_id}&amp;col=late_steps" in page


def test_the_board_the_late_lists_and_the_ranking_export_what_they_show(world: World, states: States) -> None:
    """Each view exports: the board (a row per unit, or per procedure of a unit), the late lists by officer and the
    week's ranking, in CSV and XLSX; the figures are the page's."""
    chief = Client()
    chief.force_login(world.users["giamsat"])
    units = board.board(board.units_of(scope_of(world.actor("giamsat"))), timezone.now())
    ward = next(u for u in units if u.key == ward_key(world))
    body = b"".join(chief.get(reverse("workspace:stats_board") + "?xuat=csv").streaming_content).decode("utf-8-sig")
    line = next(row for row in body.splitlines() if row.startswith(ward.name))
    assert line.split(",")[1:] == [str(n) for _c, n in ward.cells]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(
        chief.get(reverse("workspace:stats_board") + f"?unit={ward.key}&xuat=xlsx").streaming_content)))
    assert book.active.max_row == 1 + len(board.procedure_rows(ward))
    for name in ("workspace:stats_late", "workspace:stats_week"):
        exported = chief.get(reverse(name) + "?xuat=csv")
        assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
        assert len(b"".join(exported.streaming_content).decode("utf-8-sig").splitlines()) >= 2
    assert chief.get(reverse("workspace:stats_week") + "?xuat=pdf").status_code == 400
