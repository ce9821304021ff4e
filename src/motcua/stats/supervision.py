"""Supervision week by week (issue 13): the late lists by officer, the bottlenecks (the steps and agencies where
dossiers wait longest or go late most, this week against last week) and the weekly ranking of units.

- Late by officer: the open overdue dossiers assigned to each officer (``Dossier.assignee``; unassigned ones
  under their agency) with the working days of delay of the oldest, and the steps each officer finished late in
  the week (``StepFact.officer``).
- Bottlenecks: ``StepFact`` visits finished in the week, per step (agency × step name) and per agency: how
  many, the average and median wait (start → end of the step, in hours), how many late; against the week before.
- Ranking: per unit of the board (``stats.board.units_of``), the on-time rate of the dossiers whose handling
  ended in the week (``DailyRollup`` early + on time over ended) and the overdue open dossiers now.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Aggregate, Avg, Count, DurationField, ExpressionWrapper, F, Min, Q, Sum
from django.utils import timezone

from motcua.agencies.models import Agency
from motcua.core.calendar import VN_TZ
from motcua.dossiers import deadlines
from motcua.dossiers.models import Dossier
from motcua.dossiers.statuses import Status
from motcua.stats import board
from motcua.stats.models import DailyRollup, Outcome, StepFact
from motcua.stats.periods import Period, period_of


class Median(Aggregate):
    """PostgreSQL's median (``percentile_cont(0.5)``) of an interval or a number."""

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


WAIT = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())


def _hours(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        return round(value.total_seconds() / 3600, 1)
    return round(float(value) / 3_600_000_000, 1)  # SQLite returns microseconds


def week(now: datetime | None = None) -> Period:
    return period_of("week", (now or timezone.now()).astimezone(VN_TZ).date())


# --- late by officer -------------------------------------------------------------------------------------------


def late_by_officer(units: list[board.Unit], now: datetime, period: Period) -> list[dict[str, Any]]:
    """One row per officer with overdue open dossiers or steps finished late in ``period`` (two queries, and
    one for the names), most overdue first."""
    agencies = [a for u in units for a in u.agency_ids]
    rows: dict[int, dict[str, Any]] = {}

    def row(officer: int | None) -> dict[str, Any]:
        return rows.setdefault(officer or 0, {"officer_id": officer or 0, "name": "", "overdue": 0, "oldest": None,
                                               "days_late": None, "late_steps": 0})

    for officer, n, oldest in Dossier.objects.filter(
            board.live_q("overdue", now), closed_at__isnull=True, current_agency_id__in=agencies).values_list(
            "assignee_id").annotate(n=Count("pk"), oldest=Min("due_at")).order_by():
        r = row(officer)
        r["overdue"], r["oldest"] = n, oldest
    for officer, n in StepFact.objects.filter(
            agency_id__in=agencies, outcome=Outcome.LATE, ended_at__gte=period.start,
            ended_at__lt=period.end).values_list("officer_id").annotate(n=Count("pk")).order_by():
        row(officer)["late_steps"] = n
    names = dict(_users([pk for pk in rows if pk]))
    cal = deadlines.calendar()
    for pk, r in rows.items():
        r["name"] = names.get(pk, "")
        r["days_late"] = board.days_between(cal, r["oldest"], now) if r["oldest"] else None
    return sorted(rows.values(), key=lambda r: (-r["overdue"], -r["late_steps"], r["name"]))


def _users(ids: list[int]) -> list[tuple[int, str]]:
    return [(pk, f"{last} {first}".strip() or username) for pk, username, first, last in
            get_user_model().objects.filter(pk__in=ids).values_list("pk", "username", "first_name", "last_name")]


# --- bottlenecks ------------------------------------------------------------------------------------------------


def _step_figures(agencies: list[int], period: Period, by: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    found = StepFact.objects.filter(agency_id__in=agencies, ended_at__gte=period.start, ended_at__lt=period.end)
    figures: dict[str, Any] = {"n": Count("pk"), "late": Count("pk", filter=Q(outcome=Outcome.LATE)),
                               "avg": Avg(WAIT)}
    if connection.vendor == "postgresql":
        figures["median"] = Median(WAIT, output_field=DurationField())
    out = {}
    for r in found.values(*by).annotate(**figures).order_by():
        out[tuple(r[k] for k in by)] = {"n": r["n"], "late": r["late"], "avg": _hours(r["avg"]),
                                        "median": _hours(r.get("median"))}
    return out


@dataclass
class Bottleneck:
    agency_id: int
    agency: str
    step: str = ""
    this: dict[str, Any] = field(default_factory=dict)
    last: dict[str, Any] = field(default_factory=dict)
    open_late: int = 0  # steps open now past their step deadline

    @property
    def late_share(self) -> str:
        return f"{self.this['late'] / self.this['n'] * 100:.0f}%" if self.this.get("n") else "—"


def bottlenecks(units: list[board.Unit], now: datetime, period: Period, *, limit: int = 10
                ) -> dict[str, list[Bottleneck]]:
    """The steps and agencies where dossiers waited longest and went late most in ``period``, with the week
    before (``last``) beside them: ``{"steps": […], "agencies": […]}``, worst first (by late steps, then by
    average wait). Five queries whatever the number of steps."""
    agencies = [a for u in units for a in u.agency_ids]
    before = period.previous()
    names = dict(Agency.objects.filter(pk__in=agencies).values_list("pk", "name"))
    open_late: Counter[tuple[Any, ...]] = Counter()
    for agency, step, n in StepFact.objects.filter(agency_id__in=agencies, ended_at__isnull=True,
                                                   due_at__lt=now).values_list("agency_id", "name").annotate(
            n=Count("pk")).order_by():
        open_late[(agency, step)] += n
        open_late[(agency,)] += n
    out: dict[str, list[Bottleneck]] = {}
    for kind, by in (("steps", ("agency_id", "name")), ("agencies", ("agency_id",))):
        this, last = _step_figures(agencies, period, by), _step_figures(agencies, before, by)
        found = [Bottleneck(key[0], names.get(key[0], ""), key[1] if len(key) > 1 else "", this.get(key, {}),
                            last.get(key, {}), open_late[key])
                 for key in set(this) | {k for k in open_late if len(k) == len(by)}]
        found.sort(key=lambda b: (-(b.this.get("late") or 0), -b.open_late, -(b.this.get("avg") or 0)))
        out[kind] = found[:limit]
    return out


# --- the weekly ranking -------------------------------------------------------------------------------------------


def _rates(units: list[board.Unit], period: Period) -> dict[str, dict[str, Any]]:
    by_agency = {a: u.key for u in units for a in u.agency_ids}
    sums: dict[str, Counter[str]] = defaultdict(Counter)
    for agency, ended, early, on_time, late in DailyRollup.objects.filter(
            agency_id__in=list(by_agency), day__gte=period.first, day__lte=period.last).values_list(
            "agency_id").annotate(Sum("ended"), Sum("early"), Sum("on_time"), Sum("late")).order_by():
        sums[by_agency[agency]].update({"ended": ended, "early": early, "on_time": on_time, "late": late})
    return {key: {**s, "rate": (s["early"] + s["on_time"]) / s["ended"] if s["ended"] else None}
            for key, s in sums.items()}


def ranking(units: list[board.Unit], now: datetime, period: Period) -> list[dict[str, Any]]:
    """The units ranked by on-time rate of the dossiers ended in ``period`` (units without any ended last, by
    name), with last week's rate and the overdue open dossiers now. Three queries."""
    this, last = _rates(units, period), _rates(units, period.previous())
    by_agency = {a: u.key for u in units for a in u.agency_ids}
    overdue: Counter[str] = Counter()
    for agency, n in Dossier.objects.filter(
            board.live_q("overdue", now), closed_at__isnull=True, current_agency_id__in=list(by_agency)).exclude(
            status=Status.DRAFT).values_list("current_agency_id").annotate(n=Count("pk")).order_by():
        overdue[by_agency[agency]] += n
    rows = []
    for unit in units:
        figures = this.get(unit.key, {"ended": 0, "early": 0, "on_time": 0, "late": 0, "rate": None})
        rows.append({"unit": unit, **figures, "last_rate": last.get(unit.key, {}).get("rate"),
                     "overdue": overdue[unit.key]})
    rows.sort(key=lambda r: (r["rate"] is None, -(r["rate"] or 0), r["overdue"], r["unit"].name))
    for place, r in enumerate(rows, start=1):
        r["place"] = place
        r["percent"] = "—" if r["rate"] is None else f"{r['rate'] * 100:.0f}%"
        r["last_percent"] = "—" if r["last_rate"] is None else f"{r['last_rate'] * 100:.0f}%"
    return rows
