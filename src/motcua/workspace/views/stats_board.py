"""Supervision pages (issue 13) for leaders and supervisors, scoped (``stats.scope``): the live board per unit and
procedure, the dossiers behind each of its numbers (with CSV/XLSX export), the late lists by officer, and the week's
bottlenecks and ranking. Everyone else gets the 403 page."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from motcua.core.calendar import VN_TZ
from motcua.core.errors import MotCuaError
from motcua.core.middleware import refusal
from motcua.dossiers.actors import Actor
from motcua.stats import board, exports, periods, supervision
from motcua.stats.scope import SUPERVISING, Scope, scope_of
from motcua.workspace.views.base import actor_of, int_or_none

PAGE_SIZE = 50
UNIT_KEY = re.compile(r"[ua][0-9]{1,12}")


class BadInput(MotCuaError):
    status = 400


def refusing(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Bad input (a period, a unit, a column, an officer, a format that cannot be) is the site's 400 page with
    its reason, never the whole province shown instead."""
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except MotCuaError as error:
            return refusal(request, error)
    return wrapped


def _number(request: HttpRequest, name: str) -> int | None:
    """The whole number given as ``?name=`` (None when absent), else a 400."""
    value = request.GET.get(name, "")
    if value == "":
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        raise BadInput("bad_number", _("%(name)s must be a whole number, not “%(value)s”."),
                       {"name": name, "value": value[:30]})
    return int(value)


def _unit(request: HttpRequest, units: list[board.Unit]) -> board.Unit | None:
    """The unit asked for by ``?unit=`` (None when absent): a 400 for what cannot be a unit, a 404 for a unit
    outside the scope."""
    key = request.GET.get("unit", "")
    if not key:
        return None
    if not UNIT_KEY.fullmatch(key):
        raise BadInput("bad_unit", _("“%(value)s” is not a unit of the board: choose one on the board."),
                       {"value": key[:30]})
    found = next((u for u in units if u.key == key), None)
    if found is None:
        raise Http404(_("This unit is not in your scope."))
    return found


def _supervisor(request: HttpRequest) -> tuple[Actor, Scope]:
    actor = actor_of(request)
    scope = scope_of(actor) if actor.agencies_with(*SUPERVISING) else Scope(frozenset(), frozenset(), frozenset())
    if not scope:
        raise PermissionDenied(_("The supervision pages are for leaders and supervisors."))
    return actor, scope


def _format(request: HttpRequest) -> str:
    """The export asked for (``?xuat=`` or ``?format=``: csv or xlsx), empty for the page; else a 400."""
    fmt = request.GET.get("xuat", "") or request.GET.get("format", "")
    if fmt and fmt not in exports.FORMATS:
        raise BadInput("bad_format", _("“%(value)s” is not an export format: choose %(formats)s."),
                       {"value": fmt[:10], "formats": ", ".join(exports.FORMATS)})
    return fmt


def _week(request: HttpRequest, now: datetime) -> periods.Period:
    period = periods.parse(request.GET.get("week", ""), default="week", today=now.astimezone(VN_TZ).date())
    if period.kind != "week":
        raise periods.BadPeriod("not_a_week", _("Give a week, such as %(example)s."),
                                {"example": periods.period_of("week", now.astimezone(VN_TZ).date()).key})
    return period


@require_safe
@login_required
@refusing
def page(request: HttpRequest) -> HttpResponseBase:
    """The board: a row per unit, sorted by overdue share; ``?unit=`` opens one unit per procedure."""
    actor, scope = _supervisor(request)
    now = timezone.now()
    fmt = _format(request)
    units = board.board(board.units_of(scope), now)
    opened = _unit(request, units)
    if fmt:  # the table on the page: a row per unit, or per procedure of the unit opened
        header = [_("Procedure") if opened else _("Unit"), *board.COLUMNS.values()]
        if opened:
            rows: Any = ([r["name"], *(n for _c, n in r["cells"])] for r in board.procedure_rows(opened))
        else:
            rows = ([u.name, *(n for _c, n in u.cells)] for u in units)
        return exports.export(fmt, f"bang-giam-sat-{opened.key if opened else 'tong'}", header, rows,
                              sheet=opened.name if opened else _("Supervision"))
    return render(request, "workspace/stats/board.html", {
        "actor": actor, "units": units, "totals": board.total_cells(units), "columns": board.COLUMNS.items(),
        "opened": opened, "procedures": board.procedure_rows(opened) if opened else [], "now": now,
    })


@require_safe
@login_required
@refusing
def dossiers(request: HttpRequest) -> HttpResponseBase:
    """The dossiers behind one number of the board (or of the late lists), a page at a time, or exported:
    ``?col=`` the number's column; ``unit``, ``agency``, ``procedure``, ``step`` (a step's name), ``officer``
    narrow it; ``xuat`` (or ``format``) ``csv`` or ``xlsx`` exports it."""
    actor, scope = _supervisor(request)
    now = timezone.now()
    units = board.units_of(scope)
    unit = _unit(request, units)
    column = request.GET.get("col", "")
    if column not in board.COLUMNS and column not in board.STEPS_BEHIND and column not in board.EXTRA_LISTS:
        raise BadInput("bad_column", _("“%(value)s” is not a list of the board: choose a number on the board."),
                       {"value": column[:30]})
    fmt = _format(request)
    chosen = [unit] if unit is not None else units
    agencies = [a for u in chosen for a in u.agency_ids]
    agency, procedure = _number(request, "agency"), _number(request, "procedure")
    officer = _number(request, "officer")
    step = request.GET.get("step") or None
    if step is not None and column not in board.STEPS_BEHIND and column not in board.EXTRA_LISTS:
        raise BadInput("bad_step", _("Only the lists of steps can be narrowed to one step."))
    if agency is not None:  # one agency of the unit (the bottlenecks' rows)
        if agency not in agencies:
            raise Http404
        agencies = [agency]
    if officer and not board.officer_in_scope(officer, scope.agency_ids):
        raise Http404  # never the name of an officer outside the scope
    if column in board.EXTRA_LISTS:
        week = _week(request, now)
        label: Any = board.EXTRA_LISTS[column]
        steps = board.late_steps(agencies, week.start, week.end, officer=officer, step=step)
        source: Any = steps

        def make_rows(found: Any) -> Any:
            return board.step_rows(found)
    else:
        label = {**board.COLUMNS, **board.STEPS_BEHIND}[column]
        source = board.with_access(board.drill(agencies, column, now, procedure=procedure, officer=officer,
                                               step=step), actor)

        def make_rows(found: Any) -> Any:
            return board.rows(found, now)
    if fmt:
        header = [_("Code"), _("Procedure code"), _("Procedure"), _("Status"), _("Held by"), _("Step"), _("Officer"),
                  _("Received or started"), _("Due"), _("Working days late"), _("Applicant")]
        keys = ("code", "procedure_code", "procedure", "status", "agency", "step", "officer", "received_at",
                "due_at", "days_late", "applicant")
        rows = ([r[k] for k in keys] for r in make_rows(source.iterator(chunk_size=2000)))
        return exports.export(fmt, f"ho-so-{column}", header, rows, sheet=label)
    number = max(1, int_or_none(request.GET.get("page")) or 1)
    found = list(make_rows(source[(number - 1) * PAGE_SIZE:number * PAGE_SIZE + 1]))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    query.pop("xuat", None)
    return render(request, "workspace/stats/board_dossiers.html", {
        "actor": actor, "label": label, "unit": unit, "step": step or "", "rows": found[:PAGE_SIZE],
        "officer": board.officer_label(officer) if officer is not None else "",
        "page": number, "has_next": len(found) > PAGE_SIZE, "query": query.urlencode(),
    })


@require_safe
@login_required
@refusing
def late(request: HttpRequest) -> HttpResponseBase:
    """The late lists by officer: overdue open dossiers assigned to each, and the steps they finished late."""
    actor, scope = _supervisor(request)
    now = timezone.now()
    week = _week(request, now)
    units = board.units_of(scope)
    unit = _unit(request, units)
    fmt = _format(request)
    chosen = [unit] if unit is not None else units
    rows = supervision.late_by_officer(chosen, now, week)
    if fmt:
        header = [_("Officer"), _("Overdue open dossiers"), _("Oldest: working days late"),
                  _("Steps finished late (%(week)s)") % {"week": week.label}]
        return exports.export(fmt, f"tre-han-{week.key}", header,
                              ([r["name"] or _("Not assigned"), r["overdue"], r["days_late"], r["late_steps"]]
                               for r in rows), sheet=_("Late by officer"))
    return render(request, "workspace/stats/board_late.html", {
        "actor": actor, "week": week, "units": units, "unit": unit.key if unit is not None else "", "rows": rows,
    })


@require_safe
@login_required
@refusing
def week(request: HttpRequest) -> HttpResponseBase:
    """The week's bottlenecks (steps and agencies, against last week) and the ranking of the units."""
    actor, scope = _supervisor(request)
    now = timezone.now()
    period = _week(request, now)
    fmt = _format(request)
    units = board.units_of(scope)
    ranking = supervision.ranking(units, now, period)
    if fmt:  # the ranking of the units
        header = ["#", _("Unit"), _("Ended"), _("Early"), _("On time"), _("Late"), _("Open, past due"),
                  _("On-time rate"), _("Last week"), _("Overdue open now")]
        return exports.export(fmt, f"xep-hang-{period.key}", header, (
            [r["place"], r["unit"].name, r["ended"], r["early"], r["on_time"], r["late"], r["past_due"], r["percent"],
             r["last_percent"], r["overdue"]] for r in ranking), sheet=_("Ranking of units"))
    return render(request, "workspace/stats/board_week.html", {
        "actor": actor, "week": period, "previous": period.previous(),
        "bottlenecks": supervision.bottlenecks(units, now, period), "ranking": ranking,
    })
