"""The service-quality index (Decision 766/QĐ-TTg; ``stats.index``) for leaders and supervisors: a scope of
their level and a period, the six groups and their rows, every number a link to the dossiers (procedures,
petitions, ratings) behind it (``stats.drill``), the band, and the index of each unit under the scope."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from motcua.core.middleware import refusal
from motcua.stats import drill as drills
from motcua.stats import index, scope
from motcua.stats.exports import FORMATS, export
from motcua.stats.periods import BadPeriod, Period, parse
from motcua.workspace.views.base import actor_of
from motcua.workspace.views.stats_reports import bad_format

PAGE_SIZE = 50
ON_TIME_INDEX = gettext_lazy("On time, counting overdue open dossiers (row 2.1, %)")
ON_TIME_INDEX_NOTE = gettext_lazy(
    "On time, counting overdue open dossiers (row 2.1): the dossiers handled early or on time among those handled "
    "in the period and those still open but already overdue at its end. The one-stop report's rate (on time "
    "among dossiers handled) leaves the open ones out, so it is higher when dossiers are overdue.")
KINDS = ("month", "quarter", "year")
def _chosen(request: HttpRequest, *, period_key: str | None = None) -> tuple[scope.Scope, list[scope.Scope], Period]:
    """The scope asked (``pham-vi``) within the user's (403 otherwise; a key that is no scope at all:
    ``scope.UnknownScope``), the choices, and the period (``ky``: BadPeriod)."""
    actor = actor_of(request)
    mine = scope.scope_of(actor)
    if not mine:
        raise PermissionDenied
    choices = scope.choices_of(mine)
    key = request.GET.get("pham-vi", "")
    scope.check_key(key)
    chosen = next((c for c in choices if c.key == key), None) if key else (choices[0] if choices else None)
    if chosen is None:
        chosen = scope.choose(mine, key)
    if chosen is None:
        raise PermissionDenied
    ky = request.GET.get("ky", "") if period_key is None else period_key
    return chosen, choices, parse(ky, default="month")


def _query(chosen: scope.Scope, period: Period, **more: str) -> str:
    return urlencode({"ky": period.key, "pham-vi": chosen.key, **more})


def unknown_scope(error: scope.UnknownScope) -> HttpResponse:
    return HttpResponse(error.text(), status=400, content_type="text/plain; charset=utf-8")


@require_safe
@login_required
def page(request: HttpRequest) -> HttpResponseBase:
    fmt = request.GET.get("xuat", "")
    if fmt and fmt not in FORMATS:
        return bad_format()
    error = ""
    try:
        chosen, choices, period = _chosen(request)
    except scope.UnknownScope as unknown:
        return unknown_scope(unknown)
    except BadPeriod as exc:  # shown on the page, the index of this month below it
        error = exc.text()
        chosen, choices, period = _chosen(request, period_key="")
    parts = scope.parts_of(chosen)
    result, *breakdown = index.compute_many([chosen, *parts], period)
    units = by_score(list(zip(parts, breakdown, strict=True)))
    if fmt and not error:
        return export(fmt, f"chi-so-{chosen.key}-{period.key}", EXPORT_HEADER, _table(result, units),
                      sheet=_("Service-quality index"))
    return render(request, "workspace/stats/index.html", {
        "actor": actor_of(request), "result": result, "chosen": chosen, "choices": choices, "period": period,
        "periods": [parse("", default=k) for k in KINDS] + [period.previous()], "error": error,
        "breakdown": units, "query": _query(chosen, period), "on_time_note": ON_TIME_INDEX_NOTE,
    }, status=400 if error else 200)


def by_score(units: list[tuple[scope.Scope, index.IndexResult]]) -> list[tuple[scope.Scope, index.IndexResult]]:
    """The units by score, lowest first (who is behind first), those without a score last."""
    return sorted(units, key=lambda u: (u[1].score100 is None, u[1].score100 or Decimal(0), u[0].label))


EXPORT_HEADER = (gettext_lazy("Group"), gettext_lazy("Row"), gettext_lazy("Indicator"), gettext_lazy("Numerator"),
                 gettext_lazy("Denominator"), gettext_lazy("Rate (%) or days"), gettext_lazy("Score"),
                 gettext_lazy("Maximum"), gettext_lazy("Reason"))


def _table(result: index.IndexResult, units: list[tuple[scope.Scope, index.IndexResult]]) -> Iterator[list[Any]]:
    """The index as a table: its rows group by group, a subtotal line per group, the total in columns of its
    own (points, available maximum, score on 100, band), then the index of each unit."""
    for group in result.groups:
        label = f"{group.code}. {group.label}"
        for row in group.rows:
            yield [label, row.code, row.label, row.numerator, row.denominator, row.ratio, row.score,
                   row.max if row.scored else None, row.reason]
        yield [label, "", _("Subtotal of the group (points earned, of its maximum)"), None, None, None,
               group.points, group.max, ""]
    yield []
    yield [_("Scope"), _("Period"), _("Points earned"), _("Maximum that could be computed"), _("Maximum"),
           _("Score /100"), _("Band"), _("Configuration")]
    yield [result.scope.label, result.period.label, result.points, result.available, result.maximum,
           result.score100, result.band_label, result.version]
    if units:
        yield []
        yield [_("Unit"), _("Score /100"), _("Band"), _("Points earned"), _("Maximum that could be computed"),
               str(ON_TIME_INDEX)]
        for part, r in units:
            on_time = r.on_time
            yield [part.label, r.score100, r.band_label, r.points, r.available,
                   on_time.ratio if on_time is not None else None]


@require_safe
@login_required
def drill(request: HttpRequest, code: str) -> HttpResponseBase:
    fmt = request.GET.get("xuat", "")
    if fmt and fmt not in FORMATS:
        return bad_format()
    try:
        chosen, _choices, period = _chosen(request)
    except scope.UnknownScope as unknown:
        return unknown_scope(unknown)
    except BadPeriod as error:
        return refusal(request, error)
    side = request.GET.get("phia", "denominator")
    try:
        found = drills.drill(code, side, chosen, period)
    except drills.UnknownRow:
        raise Http404(_("The index has no row %(code)s.") % {"code": code[:10]}) from None
    result = index.compute(chosen, period)
    row = result.row(code)
    shown = None if row is None else row.numerator if side == "numerator" else row.denominator
    if row is not None and shown is None:  # a row without data: its reason, never a list counting 0
        found.rows = found.rows.none()
    if fmt:
        rows = (drills.cells(found, r) for r in found.rows.iterator(chunk_size=2000))
        sheet = f"{code} {_('numerator') if side == 'numerator' else _('denominator')}"
        return export(fmt, f"chi-so-{code}-{side}-{period.key}", found.header, rows, sheet=sheet)
    listing = Paginator(found.rows, PAGE_SIZE).get_page(request.GET.get("trang"))
    lines = [drills.cells(found, r) for r in listing.object_list]
    seen = drills.openable([line[0] for line in lines], actor_of(request)) if found.kind == "dossiers" else set()
    return render(request, "workspace/stats/drill.html", {
        "actor": actor_of(request), "row": row, "found": found, "listing": listing,
        "lines": [(line, line[0] in seen) for line in lines],
        "chosen": chosen, "period": period,
        "numerator": side == "numerator", "dossiers": found.kind == "dossiers", "no_data": shown is None,
        "procedures": found.kind == "procedures", "petitions": found.kind == "petitions",
        "query": _query(chosen, period, phia=side), "index_query": _query(chosen, period),
    })

