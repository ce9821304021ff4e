"""The periodic one-stop report (issue 13 §4), its exports and charts, on two hand-built months.

November 2026 at the Hà Tu ward (the commune procedure, 5 working days):

- B received 16/11, its result ready the same day: handled early;
- C received 2/11 (due 9/11), handled 12/11: late;
- D received 3/11 and left with the processing officer: pending and overdue at the end of November, and carried
  over into December, still overdue;
- E submitted online, accepted 26/11 (due 3/12): pending within time at the end of November; carried over into
  December and handled there on 2/12: early;
- F received 18/11, withdrawn 19/11;
- G received 20/11, a supplement requested 23/11 and never answered: pending, waiting for the supplement;
- J a province-level procedure received at the provincial center 16/11, handled by the Department of Justice:
  seen by the province's supervisor only.

So November for the ward: received 6 (online 1, counter 5), carried over 0, handled 2 (early 1, late 1),
withdrawn 1, pending 3 (overdue 1, within time 1, supplement 1); December: carried over 3, received 0, handled 1
(early), pending 2 (overdue 1, supplement 1).
"""

from __future__ import annotations

import csv
import io
import re
import tracemalloc
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext as _

from motcua.agencies.models import Membership, Role
from motcua.core.calendar import VN_TZ
from motcua.dossiers import services as dossier_services
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier
from motcua.stats import exports, reports, services
from motcua.stats.models import DossierFact
from motcua.stats.periods import between, parse
from motcua.stats.scope import scope_of
from tests.factories import APPLICANT, World, act, at, receive, through_processing

pytestmark = pytest.mark.django_db

URL = "workspace:stats_report"


def dec(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=VN_TZ)


def supervisor(world: World) -> Any:
    user = get_user_model().objects.create_user("giamsat.tinh", password="x")
    Membership.objects.create(user=user, agency=world.center, role=Role.SUPERVISOR)
    return user


def build(world: World) -> dict[str, Dossier]:
    made: dict[str, Dossier] = {}
    made["B"] = through_processing(world, receive(world, at(16, 9)), at(16, 9, 30))
    made["C"] = through_processing(world, receive(world, at(2, 9)), at(12, 9))
    d = receive(world, at(3, 9))
    made["D"] = act(world, d, "transfer", "tiepnhan", at(3, 10))
    e, _ = dossier_services.create_dossier(actor=world.actor("tiepnhan"), now=at(26, 9), data={
        "procedure": "1.000894", "channel": "online", "receiving_agency": world.commune.identifier_code,
        "applicant": dict(APPLICANT), "delivery": "electronic"})
    e = act(world, e, "receive", "tiepnhan", at(26, 10))
    made["E"] = through_processing(world, e, dec(2, 9))
    made["F"] = act(world, receive(world, at(18, 9)), "withdraw", "tiepnhan", at(19, 9), reason="Công dân xin rút")
    made["G"] = act(world, receive(world, at(20, 9)), "request_supplement", "tiepnhan", at(23, 9),
                    missing=[{"document": "Tờ khai", "reason": "thiếu chữ ký"}])
    j, _ = dossier_services.create_dossier(actor=world.actor("tiepnhan.tinh"), now=at(16, 9), data={
        "procedure": "2.000488", "channel": "counter", "applicant": dict(APPLICANT),
        "components": [{"order": 1, "originals": 1}]})
    made["J"] = j
    services.refresh([x.pk for x in made.values()], force=True)
    return made


@pytest.fixture
def world() -> World:
    world = World()
    build(world)
    return world


def ward_scope(world: World) -> Any:
    return scope_of(world.actor("lanhdao"))


def numbers(line: reports.Line) -> dict[str, Any]:
    return {name: line.figures.get(name) for name, _h, _g in reports.COLUMNS}


def test_november_and_december_for_the_ward(world: World) -> None:
    nov = reports.report(ward_scope(world), parse("2026-11"))
    t = nov.total.figures
    assert (t.received, t.online, t.counter, t.post, t.carried) == (6, 1, 5, 0, 0)
    assert (t.handled, t.early, t.on_time, t.late) == (2, 1, 0, 1)
    assert (t.refused, t.withdrawn) == (0, 1)
    assert (t.pending, t.pending_overdue, t.pending_on_time, t.pending_supplement) == (3, 1, 1, 1)
    assert t.on_time_rate == 50.0
    assert nov.identity_holds
    assert [line.label for line in nov.by_unit] == ["Phường Hà Tu"]
    channels = {line.key: line.figures.received for line in nov.by_channel}
    assert channels == {"online": 1, "counter": 5, "post": 0}
    assert [(line.label, line.figures.received) for line in nov.by_field] == [("Hộ tịch", 6)]

    december = reports.report(ward_scope(world), parse("2026-12"))
    t = december.total.figures
    assert (t.received, t.carried, t.total) == (0, 3, 3)
    assert (t.handled, t.early, t.late) == (1, 1, 0)
    assert (t.pending, t.pending_overdue, t.pending_on_time, t.pending_supplement) == (2, 1, 0, 1)
    assert december.identity_holds
    # the quarter holds both months: nothing carried over into it
    q4 = reports.report(ward_scope(world), parse("2026-Q4")).total.figures
    assert (q4.received, q4.carried, q4.handled, q4.withdrawn, q4.pending) == (6, 0, 3, 1, 2)
    # a custom period: 17/11 to 30/11 carries D over (B and C were handled before the 17th), receives E, F, G
    custom = reports.report(ward_scope(world), between(at(17, 0).date(), at(30, 0).date())).total.figures
    assert (custom.carried, custom.received, custom.handled, custom.withdrawn) == (1, 3, 0, 1)
    # 12/11 to 16/11: carries C and D over, receives B, handles B (early) and C (late)
    custom = reports.report(ward_scope(world), between(at(12, 0).date(), at(16, 0).date())).total.figures
    assert (custom.carried, custom.received, custom.early, custom.late, custom.pending) == (2, 1, 1, 1, 1)


def test_the_identity_holds_for_every_row_and_period(world: World) -> None:
    scope = scope_of(Actor.for_user(supervisor(world)))
    for key in ("2026-10", "2026-11", "2026-12", "2026-Q4", "2026"):
        report = reports.report(scope, parse(key))
        for line in [report.total, *report.by_unit, *report.by_channel, *report.by_field]:
            f = line.figures
            assert f.received + f.carried == f.handled + f.refused + f.withdrawn + f.pending, (key, line.label)


def test_the_province_supervisor_sees_the_department_too(world: World) -> None:
    scope = scope_of(Actor.for_user(supervisor(world)))
    nov = reports.report(scope, parse("2026-11"))
    assert nov.total.figures.received == 7
    rows = {line.label: line.figures for line in nov.by_unit}
    assert rows["Sở Tư pháp"].received == 1 and rows["Phường Hà Tu"].received == 6
    narrowed = reports.report(scope, parse("2026-11"), f"a{world.justice.pk}")
    assert narrowed.unit is not None and narrowed.total.figures.received == 1
    assert [line.label for line in narrowed.by_unit] == ["Sở Tư pháp"]


def test_the_trend_reads_the_rollup_as_the_index_counts(world: World) -> None:
    trend = reports.report(ward_scope(world), parse("2026-12")).trend
    assert len(trend) == 12 and trend[-1].month.key == "2026-12" and trend[0].month.key == "2026-01"
    by = {m.month.key: m for m in trend}
    # November: B early, C late, and G (its only supplement pending: ended on the request date) early
    assert (by["2026-11"].good, by["2026-11"].handled) == (2, 3)
    assert by["2026-12"].rate == 100.0
    assert by["2026-06"].rate is None


def test_every_number_opens_the_dossiers_behind_it(world: World) -> None:
    scope = scope_of(Actor.for_user(supervisor(world)))
    for key in ("2026-11", "2026-12"):
        report = reports.report(scope, parse(key))
        for line in [report.total, *report.by_unit, *report.by_channel, *report.by_field]:
            for name, _h, _g in reports.COLUMNS:
                found = reports.drill(scope, parse(key), name, line.key)
                assert found is not None
                expected = line.figures.handled if name == "on_time_rate" else line.figures.get(name)
                assert found.count == len(found.rows) == expected, (key, line.label, name)
    assert reports.drill(scope, parse("2026-11"), "nonsense", "total") is None
    assert reports.drill(scope, parse("2026-11"), "late", "u999999") is None


# --- the page ----------------------------------------------------------------------------------------------------

def client_for(world: World, username: str = "lanhdao", user: Any = None) -> Client:
    client = Client()
    client.force_login(user or world.users[username])
    return client


def test_the_page_for_a_commune_leader(world: World) -> None:
    response = client_for(world).get(reverse(URL), {"ky": "2026-11"})
    assert response.status_code == 200
    page = response.content.decode()
    total = re.search(r'<tr data-row="total".*?</tr>', page, re.S)
    assert total is not None
    cells = dict(re.findall(r'data-figure="(\w+)">(?:<a [^>]*>)?([^<]*)<', total.group(0)))
    assert cells["received"] == "6" and cells["carried"] == "0" and cells["late"] == "1"
    assert "Sở Tư pháp" not in page  # the department is outside the commune's scope
    assert 'data-chart="chart-channels"' in page and 'id="chart-trend"' in page


def test_a_number_links_to_its_dossiers_and_their_export(world: World) -> None:
    client = client_for(world)
    page = client.get(reverse(URL), {"ky": "2026-11"}).content.decode()
    assert "so=late&amp;hang=total" in page
    response = client.get(reverse(URL), {"ky": "2026-11", "so": "pending_overdue", "hang": "total"})
    assert response.status_code == 200
    assert response.context["drill"].count == 1
    code = DossierFact.objects.filter(received_on__day=3).values_list("code", flat=True).get()
    assert code in response.content.decode()
    exported = client.get(reverse(URL), {"ky": "2026-11", "so": "received", "hang": "online", "xuat": "csv"})
    rows = list(csv.reader(io.StringIO(content(exported).decode("utf-8-sig"))))
    assert len(rows) == 2
    assert client.get(reverse(URL), {"ky": "2026-11", "so": "late", "hang": f"a{world.justice.pk}"}
                      ).status_code == 404  # outside the commune leader's scope


def test_staff_without_a_supervising_role_get_403(world: World) -> None:
    assert client_for(world, "chuyenvien").get(reverse(URL)).status_code == 403
    assert client_for(world, "tiepnhan").get(reverse(URL), {"xuat": "csv"}).status_code == 403


def test_a_bad_period_is_a_400_with_the_formats(world: World) -> None:
    response = client_for(world).get(reverse(URL), {"ky": "2026-13"})
    assert response.status_code == 400
    assert 'id="period-error"' in response.content.decode()


def test_custom_period_from_the_form(world: World) -> None:
    response = client_for(world).get(reverse(URL), {"tu": "2026-11-17", "den": "2026-11-30"})
    assert response.status_code == 200
    assert response.context["report"].total.figures.carried == 1


def test_the_page_costs_the_same_queries_for_one_unit_or_a_province(world: World) -> None:
    def count(client: Client, params: dict[str, str]) -> int:
        client.get(reverse(URL), params)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(URL), params).status_code == 200
        return len(queries)

    province = client_for(world, user=supervisor(world))
    few = count(province, {"ky": "2026-11"})
    drill = {"ky": "2026-11", "so": "received", "hang": "total"}
    few_drill = count(province, drill)
    for day in (24, 25):  # more dossiers, of more units and fields
        receive(world, at(day, 9))
    services.refresh(Dossier.objects.values_list("pk", flat=True))
    many = count(province, {"ky": "2026-11"})
    assert many == few
    assert few <= 14, few
    assert count(province, drill) == few_drill <= 13, few_drill  # 13: which codes the user may open (one query)
    print(f"query budget: report {few}, drill-down {few_drill}")
    assert count(client_for(world), {"ky": "2026-11"}) <= few


# --- exports --------------------------------------------------------------------------------------------------------

def content(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def test_report_csv(world: World) -> None:
    response = client_for(world).get(reverse(URL), {"ky": "2026-11", "xuat": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="bao-cao-2026-11.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(content(response).decode("utf-8-sig"))))
    assert len(rows[0]) == 2 + len(reports.COLUMNS)
    total = rows[1]
    values = dict(zip([name for name, _h, _g in reports.COLUMNS], total[2:], strict=True))
    assert values["total"] == "6" and values["late"] == "1" and values["withdrawn"] == "1"
    assert values["pending_overdue"] == "1"
    assert [r[1] for r in rows if r[1] == "Phường Hà Tu"]


def test_report_xlsx(world: World) -> None:
    response = client_for(world).get(reverse(URL), {"ky": "2026-12", "xuat": "xlsx"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(content(response)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    names = [name for name, _h, _g in reports.COLUMNS]
    total = dict(zip(names, rows[1][2:], strict=True))
    assert total["carried"] == 3 and total["early"] == 1 and total["pending_supplement"] == 1
    assert len(rows) == 1 + 1 + 1 + 3 + 1  # header, total, one unit, three channels, one field


def test_facts_csv_has_a_row_per_dossier_and_no_personal_data(world: World) -> None:
    response = client_for(world).get(reverse(URL), {"ky": "2026-11", "xuat": "csv", "bang": "ho-so"})
    text = content(response).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + 6
    assert APPLICANT["name"] not in text and APPLICANT["id_number"] not in text and APPLICANT["phone"] not in text
    places = Counter(r[-1] for r in rows[1:])
    assert places == {_("handled"): 2, _("withdrawn"): 1, _("pending, overdue"): 1, _("pending"): 1,
                      _("pending, waiting for a supplement"): 1}
    assert {r[-2] for r in rows[1:]} == {_("received")}


def test_csv_cells_never_start_a_formula() -> None:
    response = exports.export("csv", "x", ["a"], [["=HYPERLINK(\"http://x\")"], ["+1"], ["ok"]])
    text = content(response).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+1" in text


def clone_facts(world: World, count: int, start: int = 0) -> None:
    """``count`` more dossiers and facts like B's (bulk copies: the export's volume, not the lifecycle, is tested)."""
    model = Dossier.objects.get(code=DossierFact.objects.filter(outcome="early").values_list("code", flat=True)[0])
    fact = DossierFact.objects.get(pk=model.pk)
    copies = []
    for i in range(start, start + count):
        copy = Dossier(**{f.attname: getattr(model, f.attname) for f in Dossier._meta.concrete_fields})
        copy.pk = None
        copy.code = f"X-{i:07d}"
        copies.append(copy)
    made = Dossier.objects.bulk_create(copies, batch_size=1000)
    facts = []
    for dossier in made:
        clone = DossierFact(**{f.attname: getattr(fact, f.attname) for f in DossierFact._meta.concrete_fields})
        clone.dossier_id = dossier.pk
        clone.code = dossier.code
        facts.append(clone)
    DossierFact.objects.bulk_create(facts, batch_size=1000)


def test_facts_xlsx_of_3000_dossiers_opens_with_the_right_rows(world: World) -> None:
    clone_facts(world, 3000)
    response = client_for(world).get(reverse(URL), {"ky": "2026-11", "xuat": "xlsx", "bang": "ho-so"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(content(response)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 1 + 6 + 3000
    assert rows[0][0] == str(reports.facts_header()[0])
    assert sum(1 for r in rows if str(r[0]).startswith("X-")) == 3000


def peak(chunks: Iterable[bytes]) -> int:
    tracemalloc.start()
    try:
        for _chunk in chunks:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def export_peak(world: World, fmt: str) -> int:
    agencies = reports.agencies_of(ward_scope(world))
    period = parse("2026-11")

    def run() -> Iterable[bytes]:
        response = exports.export(fmt, "x", reports.facts_header(), reports.fact_rows(agencies, period))
        yield from response.streaming_content

    return peak(run())


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_facts_export_does_not_grow_with_the_rows(world: World, fmt: str) -> None:
    clone_facts(world, 1000)
    small = export_peak(world, fmt)
    clone_facts(world, 4000, start=1000)
    large = export_peak(world, fmt)
    print(f"{fmt}: peak {small} bytes for 1,000 rows, {large} for 5,000")
    assert large < small * 1.5 + 200_000


# --- charts and assets ------------------------------------------------------------------------------------------------

def test_the_chart_library_is_served_from_here_and_the_page_links_nothing_outside(world: World) -> None:
    assert finders.find("vendor/chartjs/chart.umd.min.js")
    assert finders.find("vendor/chartjs/LICENSE.md")
    assert finders.find("workspace/charts.js")
    page = client_for(world).get(reverse(URL), {"ky": "2026-11"}).content.decode()
    assert "/static/vendor/chartjs/chart.umd.min.js" in page and "/static/workspace/charts.js" in page
    assert not re.search(r'(src|href|action)="(https?:)?//', page)
    assert not re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))", page)


def test_chart_specs_are_json_with_a_table_fallback(world: World) -> None:
    report = reports.report(ward_scope(world), parse("2026-11"))
    made = {c.id: c for c in reports.charts_of(report)}
    channels = made["chart-channels"]
    assert channels.spec["type"] == "doughnut" and channels.spec["data"]["datasets"][0]["data"] == [1, 5, 0]
    units = made["chart-units"].spec
    assert units["options"]["indexAxis"] == "y" and [d["data"] for d in units["data"]["datasets"]] == [[1], [0], [1]]
    trend = made["chart-trend"]
    assert trend.spec["options"]["scales"]["y"]["max"] == 100 and len(trend.table["rows"]) == 12


def test_the_drill_page_shows_times_in_vietnam_time(world: World) -> None:
    """The dossier received on 3 Nov at 09:00 (Vietnam time, 02:00 UTC) is listed at 09:00, not at 02:00."""
    page = client_for(world).get(reverse(URL), {"ky": "2026-11", "so": "pending_overdue", "hang": "total"})
    text = page.content.decode()
    assert "09:00" in text and "02:00" not in text
