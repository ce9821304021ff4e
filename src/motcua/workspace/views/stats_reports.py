"""The periodic one-stop report (``stats.reports``) for leaders and supervisors, scoped (``stats.scope``): per unit
and period (a month, quarter, year, or from one day to another), by unit, channel and field, with charts; exported
to XLSX or CSV, the report itself or the dossiers behind it (one row per dossier, streamed).

Query parameters: ``ky`` a period (``2026-11``, ``2026-Q4``, ``2026``; empty: this month) or ``tu`` and ``den``
(dates) for a custom one; ``don-vi`` a unit of the scope; ``xuat`` ``xlsx`` or ``csv`` to export, with
``bang=ho-so`` for the dossiers rather than the report.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from motcua.dossiers.actors import Actor
from motcua.stats import drill as drills
from motcua.stats import exports, periods, reports
from motcua.stats.scope import Scope, scope_of
from motcua.workspace.views.base import actor_of

KINDS = ("month", "quarter", "year", "custom")


def _day(value: str | None, name: str) -> date | None:
    """A date of the custom period (``tu``, ``den``: 2026-11-03); a BadPeriod error for anything else."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise periods.BadPeriod(
            "bad_date", gettext_lazy("%(value)s is not a date: write it as 2026-11-03 (year-month-day)."),
            {"value": value[:20] if value else ""}, name) from None


def _period(request: HttpRequest) -> periods.Period:
    first, last = _day(request.GET.get("tu"), "tu"), _day(request.GET.get("den"), "den")
    if first or last:
        if not (first and last):
            raise periods.BadPeriod("bad_date", gettext_lazy("A period from one day to another needs both days."),
                                    {}, "tu")
        return periods.between(first, last)
    period = periods.parse(request.GET.get("ky", ""), default="month")
    if period.kind not in KINDS:  # a week or a day: the report is monthly at the finest; the custom form does days
        return periods.between(period.first, period.last)
    return period


@require_safe
@login_required
def page(request: HttpRequest) -> HttpResponseBase:
    actor = actor_of(request)
    scope = scope_of(actor)
    if not scope:
        raise PermissionDenied
    error = ""
    try:
        period = _period(request)
    except periods.BadPeriod as exc:
        error, period = exc.text(), periods.parse("", default="month")
    unit = request.GET.get("don-vi", "")
    fmt = request.GET.get("xuat", "")
    if fmt and fmt not in exports.FORMATS:
        return bad_format()
    figure, row = request.GET.get("so", ""), request.GET.get("hang", "")
    if figure and not error:
        try:
            return _drill(request, actor, scope, period, unit, figure, row, fmt)
        except reports.UnknownUnit:
            return HttpResponse(unknown_unit(unit), status=400, content_type="text/plain; charset=utf-8")
    report = reports.report(scope, period, unit)
    if unit and report.unit is None and not error:
        error = unknown_unit(unit)
    if fmt and not error:
        slug = f"{period.key}-{report.unit.key}" if report.unit else period.key
        if request.GET.get("bang") == "ho-so":
            ids = reports.agencies_of(scope, report.unit.key if report.unit else "")
            return exports.export(fmt, f"ho-so-{slug}", reports.facts_header(), reports.fact_rows(ids, period),
                                  sheet=_("Dossiers"))
        return exports.export(fmt, f"bao-cao-{slug}", reports.export_header(), reports.export_rows(report),
                              sheet=_("Report"))
    here = _here(request)
    if not error and "ky" not in here and "tu" not in here:
        here["ky"] = period.key
    if report.unit is None:
        here.pop("don-vi", None)
    this = periods.parse("", default="month")
    shortcuts = [(_("This month"), this), (_("Last month"), this.previous())]
    for kind in ("quarter", "year"):
        current = periods.period_of(kind, this.first)
        shortcuts += [(current.label, current), (current.previous().label, current.previous())]
    return render(request, "workspace/stats/report.html", {
        "actor": actor, "report": report, "period": period, "error": error, "columns": reports.COLUMNS,
        "groups": reports.column_groups(), "charts": reports.charts_of(report), "shortcuts": shortcuts,
        "custom": period.kind == "custom",
        "sections": [(_("By unit"), _("Unit"), report.by_unit, "units"),
                     (_("By channel"), _("Channel"), report.by_channel, "channels"),
                     (_("By field"), _("Field"), report.by_field, "fields")],
        "query": here.urlencode(), "on_time_note": reports.ON_TIME_NOTE,
    }, status=400 if error else 200)


def unknown_unit(unit: str) -> str:
    return _("%(unit)s is not a unit of your scope: choose one from the list.") % {"unit": unit[:20]}


def bad_format() -> HttpResponse:
    """An export format other than CSV or XLSX: a plain 400 saying which there are."""
    return HttpResponse(_("Unknown export format: write xuat=csv (CSV) or xuat=xlsx (XLSX)."), status=400,
                        content_type="text/plain; charset=utf-8")


def _here(request: HttpRequest) -> QueryDict:
    """The page's query without what exports or drills down."""
    here = request.GET.copy()
    for name in ("xuat", "bang", "so", "hang"):
        here.pop(name, None)
    return here


def _drill(request: HttpRequest, actor: Actor, scope: Scope, period: periods.Period, unit: str, figure: str,
           row: str, fmt: str) -> HttpResponseBase:
    """The dossiers behind one number (``so`` a column, ``hang`` a row of the report), as a list or exported."""
    if fmt in exports.FORMATS:
        of_agency, _lines = reports.units_of(scope)
        where = reports.row_filter(row, of_agency)
        filters = reports.figure_filters(period)
        if figure not in filters or where is None:
            raise Http404
        if unit and unit not in set(of_agency.values()):
            raise reports.UnknownUnit(unit)
        ids = reports.agencies_of(scope, unit, of_agency)
        return exports.export(fmt, f"ho-so-{period.key}-{figure}-{row}", reports.facts_header(),
                              reports.fact_rows(ids, period, where=filters[figure] & where), sheet=_("Dossiers"))
    found = reports.drill(scope, period, figure, row, unit)
    if found is None:
        raise Http404
    openable = drills.openable([r[0] for r in found.rows], actor)  # the others are listed without a link
    return render(request, "workspace/stats/report_drill.html", {
        "actor": actor, "period": period, "drill": found, "header": reports.facts_header(),
        "lines": [(r, r[0] in openable) for r in found.rows],
        "query": _here(request).urlencode(), "back": _here(request).urlencode(),
    })
