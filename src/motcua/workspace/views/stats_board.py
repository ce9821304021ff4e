"""Supervision pages (issue 13) for leaders and supervisors, scoped (``stats.scope``): the live board per unit and
procedure, the dossiers behind each of its numbers (with CSV/XLSX export), the late lists by officer, and the week's
bottlenecks and ranking. Everyone else gets the 403 page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from motcua.core.calendar import VN_TZ
from motcua.dossiers.actors import Actor
from motcua.stats import board, exports, periods, supervision
from motcua.stats.scope import SUPERVISING, Scope, scope_of
from motcua.workspace.views.base import actor_of, int_or_none

PAGE_SIZE = 50


def _supervisor(request: HttpRequest) -> tuple[Actor, Scope]:
    actor = actor_of(request)
    scope = scope_of(actor) if actor.agencies_with(*SUPERVISING) else Scope(frozenset(), frozenset(), frozenset())
    if not scope:
        raise PermissionDenied(_("The supervision pages are for leaders and supervisors."))
    return actor, scope


def _week(request: HttpRequest, now: datetime) -> periods.Period:
    try:
        period = periods.parse(request.GET.get("week", ""), default="week", today=now.astimezone(VN_TZ).date())
    except periods.BadPeriod as exc:
        raise Http404(exc.text()) from None
    if period.kind != "week":
        raise Http404
    return period


@require_safe
@login_required
def page(request: HttpRequest) -> HttpResponse:
    """The board: a row per unit, sorted by overdue share; ``?unit=`` opens one unit per procedure."""
    actor, scope = _supervisor(request)
    now = timezone.now()
    units = board.board(board.units_of(scope), now)
    opened = next((u for u in units if u.key == request.GET.get("unit")), None)
    return render(request, "workspace/stats/board.html", {
        "actor": actor, "units": units, "totals": board.total_cells(units), "columns": board.COLUMNS.items(),
        "opened": opened, "procedures": board.procedure_rows(opened) if opened else [], "now": now,
    })


@require_safe
@login_required
def dossiers(request: HttpRequest) -> HttpResponseBase:
    """The dossiers behind one number of the board (or of the late lists), a page at a time, or exported."""
    actor, scope = _supervisor(request)
    now = timezone.now()
    units = board.units_of(scope)
    key = request.GET.get("unit", "")
    chosen = [u for u in units if not key or u.key == key]
    if not chosen:
        raise Http404
    agencies = [a for u in chosen for a in u.agency_ids]
    agency = int_or_none(request.GET.get("agency"))
    if agency is not None:  # one agency of the unit (the bottlenecks' rows)
        if agency not in agencies:
            raise Http404
        agencies = [agency]
    column = request.GET.get("col", "")
    procedure, officer = int_or_none(request.GET.get("procedure")), int_or_none(request.GET.get("officer"))
    if column in board.EXTRA_LISTS:
        week = _week(request, now)
        label: Any = board.EXTRA_LISTS[column]
        steps = board.late_steps(agencies, week.start, week.end, officer=officer)
        source: Any = steps

        def make_rows(found: Any) -> Any:
            return board.step_rows(found)
    elif column in board.COLUMNS or column in board.STEPS_BEHIND:
        label = {**board.COLUMNS, **board.STEPS_BEHIND}[column]
        source = board.with_access(board.drill(agencies, column, now, procedure=procedure, officer=officer), actor)

        def make_rows(found: Any) -> Any:
            return board.rows(found, now)
    else:
        raise Http404
    fmt = request.GET.get("format", "")
    if fmt in exports.FORMATS:
        header = [_("Code"), _("Procedure code"), _("Procedure"), _("Status"), _("Held by"), _("Step"), _("Officer"),
                  _("Received or started"), _("Due"), _("Working days late"), _("Applicant")]
        keys = ("code", "procedure_code", "procedure", "status", "agency", "step", "officer", "received_at",
                "due_at", "days_late", "applicant")
        rows = ([r[k] for k in keys] for r in make_rows(source.iterator(chunk_size=2000)))
        return exports.export(fmt, f"ho-so-{column}", header, rows)
    number = max(1, int_or_none(request.GET.get("page")) or 1)
    found = list(make_rows(source[(number - 1) * PAGE_SIZE:number * PAGE_SIZE + 1]))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(request, "workspace/stats/board_dossiers.html", {
        "actor": actor, "label": label, "unit": chosen[0] if key else None, "rows": found[:PAGE_SIZE],
        "page": number, "has_next": len(found) > PAGE_SIZE, "query": query.urlencode(),
    })


@require_safe
@login_required
def late(request: HttpRequest) -> HttpResponse:
    """The late lists by officer: overdue open dossiers assigned to each, and the steps they finished late."""
    actor, scope = _supervisor(request)
    now = timezone.now()
    week = _week(request, now)
    units = board.units_of(scope)
    key = request.GET.get("unit", "")
    chosen = [u for u in units if not key or u.key == key] or units
    return render(request, "workspace/stats/board_late.html", {
        "actor": actor, "week": week, "units": units, "unit": key,
        "rows": supervision.late_by_officer(chosen, now, week),
    })


@require_safe
@login_required
def week(request: HttpRequest) -> HttpResponse:
    """The week's bottlenecks (steps and agencies, against last week) and the ranking of the units."""
    actor, scope = _supervisor(request)
    now = timezone.now()
    period = _week(request, now)
    units = board.units_of(scope)
    return render(request, "workspace/stats/board_week.html", {
        "actor": actor, "week": period, "previous": period.previous(),
        "bottlenecks": supervision.bottlenecks(units, now, period),
        "ranking": supervision.ranking(units, now, period),
    })
