"""The service-quality index (Decision 766/QĐ-TTg; ``stats.index``) for leaders and supervisors: a scope of
their level and a period, the six groups and their rows, every number a link to the dossiers (procedures,
petitions, ratings) behind it (``stats.drill``), the band, and the index of each unit under the scope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from motcua.core.middleware import refusal
from motcua.stats import drill as drills
from motcua.stats import index, scope
from motcua.stats.exports import FORMATS, export
from motcua.stats.periods import BadPeriod, Period, parse
from motcua.workspace.views.base import actor_of

PAGE_SIZE = 50
KINDS = ("month", "quarter", "year")


def _chosen(request: HttpRequest) -> tuple[scope.Scope, list[scope.Scope], Period]:
    """The scope asked (``pham-vi``) within the user's (403 otherwise), the choices, and the period (``ky``)."""
    actor = actor_of(request)
    mine = scope.scope_of(actor)
    if not mine:
        raise PermissionDenied
    choices = scope.choices_of(mine)
    key = request.GET.get("pham-vi", "")
    chosen = next((c for c in choices if c.key == key), None) if key else (choices[0] if choices else None)
    if chosen is None:
        chosen = scope.choose(mine, key)
    if chosen is None:
        raise PermissionDenied
    return chosen, choices, parse(request.GET.get("ky", ""), default="month")


def _query(chosen: scope.Scope, period: Period, **more: str) -> str:
    return urlencode({"ky": period.key, "pham-vi": chosen.key, **more})


@require_safe
@login_required
def page(request: HttpRequest) -> HttpResponseBase:
    try:
        chosen, choices, period = _chosen(request)
    except BadPeriod as error:
        return refusal(request, error)
    parts = scope.parts_of(chosen)
    result, *breakdown = index.compute_many([chosen, *parts], period)
    fmt = request.GET.get("xuat", "")
    if fmt in FORMATS:
        return export(fmt, f"chi-so-{period.key}", (
            _("Scope"), _("Period"), _("Row"), _("Indicator"), _("Numerator"), _("Denominator"), _("Rate (%)"),
            _("Score"), _("Maximum"), _("Reason")), _table(result))
    return render(request, "workspace/stats/index.html", {
        "actor": actor_of(request), "result": result, "chosen": chosen, "choices": choices, "period": period,
        "periods": [parse("", default=k) for k in KINDS] + [period.previous()],
        "breakdown": list(zip(parts, breakdown, strict=True)), "query": _query(chosen, period),
    })


def _table(result: index.IndexResult) -> Iterator[list[Any]]:
    for row in result.rows:
        yield [result.scope.label, result.period.label, row.code, row.label, row.numerator, row.denominator,
               row.ratio, row.score, row.max if row.scored else None, row.reason]
    yield [result.scope.label, result.period.label, "", _("Total"), result.points, None, result.score100, None,
           result.available, _("%(available)s of %(maximum)s points could be computed")
           % {"available": result.available, "maximum": result.maximum}]


@require_safe
@login_required
def drill(request: HttpRequest, code: str) -> HttpResponseBase:
    try:
        chosen, _choices, period = _chosen(request)
    except BadPeriod as error:
        return refusal(request, error)
    side = request.GET.get("phia", "denominator")
    try:
        found = drills.drill(code, side, chosen, period)
    except drills.UnknownRow:
        raise Http404(_("The index has no row %(code)s.") % {"code": code[:10]}) from None
    fmt = request.GET.get("xuat", "")
    if fmt in FORMATS:
        rows = (drills.cells(found, r) for r in found.rows.iterator(chunk_size=2000))
        return export(fmt, f"chi-so-{code}-{side}-{period.key}", found.header, rows)
    result = index.compute(chosen, period)
    row = result.row(code)
    listing = Paginator(found.rows, PAGE_SIZE).get_page(request.GET.get("trang"))
    lines = [drills.cells(found, r) for r in listing.object_list]
    return render(request, "workspace/stats/drill.html", {
        "actor": actor_of(request), "row": row, "found": found, "listing": listing, "lines": lines,
        "chosen": chosen, "period": period,
        "numerator": side == "numerator", "dossiers": found.kind == "dossiers",
        "procedures": found.kind == "procedures", "petitions": found.kind == "petitions",
        "query": _query(chosen, period, phia=side), "index_query": _query(chosen, period),
    })

