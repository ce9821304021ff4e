"""What a new user's trial of the index and report pages found (issue 13): each problem fixed, held by a test that
failed before the fix."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from html import unescape
from types import SimpleNamespace
from typing import Any

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext as _

from motcua.catalog.models import ProcedureVersion
from motcua.dossiers.actors import Actor
from motcua.dossiers.statuses import Status
from motcua.stats import drill, exports, index, reports, scope
from motcua.stats.models import DossierFact
from motcua.stats.periods import parse
from motcua.workspace.views import stats_index
from tests.factories import World
from tests.test_stats_reports import build, supervisor

pytestmark = pytest.mark.django_db(transaction=True)
INDEX = "/workspace/thong-ke/chi-so/"
REPORT = "/workspace/thong-ke/bao-cao/"
MONTH = parse("2026-11")


@pytest.fixture
def world() -> World:
    world = World()
    build(world)
    return world


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rows_of(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def book_of(response: Any) -> Any:
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


# 1. the report's drill-down links only the dossiers the user may open

def test_the_report_drill_links_only_the_dossiers_the_supervisor_may_open(world: World) -> None:
    user = supervisor(world)
    page = client_for(user).get(REPORT, {"ky": "2026-11", "so": "total", "hang": "total"})
    assert page.status_code == 200
    html = page.content.decode()
    codes = list(DossierFact.objects.filter(received_at__isnull=False).values_list("code", flat=True))
    assert len(codes) > 1
    mine = drill.openable(codes, Actor.for_user(user))
    assert mine and set(codes) - mine  # some he may open (the province's), some not (the commune's)
    for code in codes:
        linked = f'href="{reverse("workspace:dossier", args=[code])}"' in html
        assert linked == (code in mine), code
        assert code in html  # listed all the same


# 2. Vietnamese pages and exports: no English configuration name, no raw status codes or True/False

def test_the_configuration_name_is_a_translatable_label(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    name = index.seed_config().name
    assert name in index.VERSION_LABELS
    monkeypatch.setitem(index.VERSION_LABELS, name, "Chỉ số 766/2022 (cổng quốc gia, 2025)")
    client = client_for(world.users["lanhdao"])
    html = client.get(INDEX, {"ky": "2026-11"}).content.decode()
    assert "Chỉ số 766/2022 (cổng quốc gia, 2025)" in html and name not in html
    assert client.get("/api/v1/stats/index", {"period": "2026-11"}).json()["version"] == \
        "Chỉ số 766/2022 (cổng quốc gia, 2025)"


def test_the_dossier_exports_show_status_labels_and_yes_or_blank(world: World) -> None:
    client = client_for(supervisor(world))
    header, *rows = rows_of(client.get(REPORT, {"ky": "2026-11", "xuat": "csv", "bang": "ho-so"}))
    status = header.index(_("Status"))
    raw = {s.value for s in Status}
    labels = {str(s.label) for s in Status}
    assert rows and all(r[status] in labels and r[status] not in raw for r in rows)
    for flag in (_("Withdrawn"), _("Apology"), _("Fee"), _("Paid online"), _("Digitized"), _("Reused data"),
                 _("Electronic result")):
        assert {r[header.index(flag)] for r in rows} <= {_("Yes"), ""}, flag
    assert _("Yes") in {r[header.index(_("Withdrawn"))] for r in rows}  # F was withdrawn
    drilled = client.get(REPORT, {"ky": "2026-11", "so": "total", "hang": "total"}).content.decode()
    assert ">True<" not in drilled and ">False<" not in drilled and ">returned<" not in drilled
    book = book_of(client.get(REPORT, {"ky": "2026-11", "xuat": "xlsx", "bang": "ho-so"}))
    assert book.sheetnames == [_("Dossiers")]
    book = book_of(client.get(REPORT, {"ky": "2026-11", "xuat": "xlsx"}))
    assert book.sheetnames == [_("Report")]


def test_a_sheet_title_is_one_excel_accepts() -> None:
    assert exports.sheet_title("") == ""
    assert exports.sheet_title("1.3 [tử số]: a/b*c?d\\e") == "1.3  tử số   a b c d e"
    assert len(exports.sheet_title("x" * 40)) == 31
    assert exports.sheet_title("'quoted'") == "quoted"
    response = exports.export("xlsx", "t", ["a"], [[1]], sheet="Hồ sơ quá hạn")
    assert book_of(response).sheetnames == ["Hồ sơ quá hạn"]
    assert book_of(exports.export("xlsx", "t", ["a"], [[1]])).sheetnames == ["Sheet1"]


# 3. the index export: a clear table

def test_the_index_export_is_a_table_with_subtotals_a_labelled_total_and_the_units(world: World) -> None:
    client = client_for(supervisor(world))
    header, *rows = rows_of(client.get(INDEX, {"ky": "2026-11", "xuat": "csv"}))
    assert header == [_("Group"), _("Row"), _("Indicator"), _("Numerator"), _("Denominator"), _("Rate (%) or days"),
                      _("Score"), _("Maximum"), _("Reason")]
    whole = scope.scope_of(Actor.for_user(supervisor_user(world)))
    result = index.compute(whole, MONTH)
    subtotal = _("Subtotal of the group (points earned, of its maximum)")
    subtotals = [r for r in rows if len(r) > 2 and r[2] == subtotal]
    assert len(subtotals) == len(result.groups) == 6
    assert [Decimal(r[6]) for r in subtotals] == [g.points for g in result.groups]
    labels = rows.index([_("Scope"), _("Period"), _("Points earned"), _("Maximum that could be computed"),
                         _("Maximum"), _("Score /100"), _("Band"), _("Configuration")])
    total = rows[labels + 1]
    assert Decimal(total[2]) == result.points and Decimal(total[3]) == result.available
    assert Decimal(total[4]) == result.maximum == 100
    assert (Decimal(total[5]) if total[5] else None) == result.score100 and total[6] == result.band_label
    unit_header = next(i for i, r in enumerate(rows) if r[:1] == [_("Unit")])
    units = rows[unit_header + 1:]
    assert {u[0] for u in units} == {p.label for p in scope.parts_of(whole)}
    book = book_of(client.get(INDEX, {"ky": "2026-11", "xuat": "xlsx"}))
    assert book.sheetnames == [exports.sheet_title(_("Service-quality index"))]


def supervisor_user(world: World) -> Any:
    return get_user_model().objects.get(username="giamsat.tinh")


# 4. 1.3 explains its 0; 1.1 reads "published" as 1.3 does; a null row's drill says why

def test_the_full_content_drill_names_what_each_procedure_lacks(world: World) -> None:
    whole = scope.scope_for_province(world.center.unit)
    ProcedureVersion.objects.update(decision_no="12/QĐ-UBND")
    version = ProcedureVersion.objects.in_force(MONTH.last).order_by("pk").first()
    assert version is not None
    before = index.compute(whole, MONTH)
    assert before.row("1.1") is not None and before.row("1.1").numerator
    ProcedureVersion.objects.filter(pk=version.pk).update(decision_no="")
    after = index.compute(whole, MONTH)
    published, full = after.row("1.1"), after.row("1.3")
    assert published is not None and full is not None and before.row("1.1") is not None
    assert published.numerator == before.row("1.1").numerator - 1  # not published without its decision
    found = drill.drill("1.3", "denominator", whole, MONTH)
    assert found.header[-1] == _("Missing from the full content")
    lines = {r["procedure__code"]: drill.cells(found, r)[-1] for r in found.rows}
    assert str(index.CONTENT_ITEMS["decision_no"]) in lines[version.procedure.code]
    complete = {r["procedure__code"] for r in drill.drill("1.3", "numerator", whole, MONTH).rows}
    assert all((missing == "") == (code in complete) for code, missing in lines.items())
    assert len(lines) - len(complete) == full.denominator - full.numerator


def test_a_null_row_opened_by_url_gives_its_reason_not_a_count(world: World) -> None:
    client = client_for(world.users["lanhdao"])
    result = index.compute(scope.scope_of(world.actor("lanhdao")), MONTH)
    synced = result.row("1.4")
    assert synced is not None and synced.numerator is None and synced.reason
    page = client.get(f"{INDEX}1.4/", {"ky": "2026-11", "phia": "numerator"})
    html = page.content.decode()
    assert page.status_code == 200 and synced.reason in html and 'data-figure="count"' not in html
    lines = rows_of(client.get(f"{INDEX}1.4/", {"ky": "2026-11", "phia": "denominator", "xuat": "csv"}))
    assert len(lines) == 1  # the header only: the row has no figure


# 5. bad input

def test_bad_input_on_the_index_pages(world: World) -> None:
    client = client_for(world.users["lanhdao"])
    page = client.get(INDEX, {"ky": "2026-13"})
    html = page.content.decode()
    assert page.status_code == 400 and 'id="period-error"' in html and "2026-Q4" in html
    assert 'id="index-choice"' in html and "workspace/thong-ke/chi-so/2.1/" in html  # the page, the error inline
    garbage = client.get(INDEX, {"pham-vi": "garbage"})
    assert garbage.status_code == 400 and "garbage" in garbage.content.decode()
    assert client.get(INDEX, {"pham-vi": f"d{world.justice.pk}"}).status_code == 403  # known, not his
    api = client.get("/api/v1/stats/index", {"scope": "garbage"})
    assert api.status_code == 400 and api.json()["error"] == "unknown_scope"
    assert client.get("/api/v1/stats/index", {"scope": f"d{world.justice.pk}"}).status_code == 403
    for url in (INDEX, f"{INDEX}2.1/"):
        answer = client.get(url, {"ky": "2026-11", "xuat": "pdf"})
        assert answer.status_code == 400 and answer["Content-Type"].startswith("text/plain"), url
        assert "csv" in answer.content.decode() and "xlsx" in answer.content.decode()


def test_bad_input_on_the_report_pages(world: World) -> None:
    client = client_for(supervisor(world))
    for params in ({"tu": "abc", "den": "2026-11-30"}, {"tu": "2026-11-01", "den": "xyz"}, {"tu": "2026-11-01"},
                   {"ky": "2026-11", "don-vi": "zzz"}):
        page = client.get(REPORT, params)
        assert page.status_code == 400 and 'id="period-error"' in page.content.decode(), params
    drilled = client.get(REPORT, {"ky": "2026-11", "so": "total", "hang": "total", "don-vi": "zzz"})
    assert drilled.status_code == 400
    for params in ({"ky": "2026-11", "xuat": "pdf"}, {"ky": "2026-11", "so": "total", "hang": "total", "xuat": "x"}):
        answer = client.get(REPORT, params)
        assert answer.status_code == 400 and answer["Content-Type"].startswith("text/plain"), params
    assert client.get(REPORT, {"tu": "2026-11-01", "den": "2026-11-30"}).status_code == 200


# 6. two on-time rates, labelled apart; units behind first

def test_the_two_on_time_rates_are_labelled_apart_and_explained(world: World) -> None:
    client = client_for(supervisor(world))
    report = unescape(client.get(REPORT, {"ky": "2026-11"}).content.decode())
    assert _("On time among dossiers handled") in report and str(reports.ON_TIME_NOTE) in report
    page = unescape(client.get(INDEX, {"ky": "2026-11"}).content.decode())
    assert _("On time, counting overdue open dossiers (row 2.1)") in page
    assert str(stats_index.ON_TIME_INDEX_NOTE) in page
    figures = Client().get("/so-lieu/").content.decode()
    assert _("On time, counting overdue open dossiers (row 2.1)") in figures and 'id="on-time-note"' in figures


def test_units_are_listed_by_score_lowest_first_without_score_last() -> None:
    def unit(label: str, score: str | None) -> tuple[Any, Any]:
        return SimpleNamespace(label=label), SimpleNamespace(score100=Decimal(score) if score else None)
    units = [unit("A", "90"), unit("B", None), unit("C", "16.5"), unit("D", "50"), unit("E", None)]
    assert [u.label for u, _r in stats_index.by_score(units)] == ["C", "D", "A", "B", "E"]  # type: ignore[arg-type]


# 7. the public page sets no cookie in a shared cache

def test_the_public_figures_are_not_cached_publicly_with_a_cookie(world: World) -> None:
    page = Client().get("/so-lieu/")
    assert page.status_code == 200
    control = page["Cache-Control"]
    if page.cookies:  # the language switcher's CSRF token: then only the browser may keep the page
        assert "public" not in control and "private" in control
    assert "max-age=300" in control
