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
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from motcua.stats import exports, periods, reports
from motcua.stats.scope import scope_of
from motcua.workspace.views.base import actor_of

KINDS = ("month", "quarter", "year", "custom")


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _period(request: HttpRequest) -> periods.Period:
    first, last = _day(request.GET.get("tu")), _day(request.GET.get("den"))
    if first and last:
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
    report = reports.report(scope, period, request.GET.get("don-vi", ""))
    fmt = request.GET.get("xuat", "")
    if fmt in exports.FORMATS and not error:
        slug = f"{period.key}-{report.unit.key}" if report.unit else period.key
        if request.GET.get("bang") == "ho-so":
            ids = reports.agencies_of(scope, report.unit.key if report.unit else "")
            return exports.export(fmt, f"ho-so-{slug}", reports.facts_header(), reports.fact_rows(ids, period))
        return exports.export(fmt, f"bao-cao-{slug}", reports.export_header(), reports.export_rows(report))
    here = request.GET.copy()
    for name in ("xuat", "bang"):
        here.pop(name, None)
    if not error and "ky" not in here and "tu" not in here:
        here["ky"] = period.key
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
        "query": here.urlencode(),
    }, status=400 if error else 200)
