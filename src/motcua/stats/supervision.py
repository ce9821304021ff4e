"""Supervision week by week (issue 13): the late lists by officer, the bottlenecks (the steps and agencies where
dossiers wait longest or go late most, this week against last week) and the weekly ranking of units.

- Late by officer: the open overdue dossiers assigned to each officer (``Dossier.assignee``; unassigned ones
  under their agency) with the working days of delay of the oldest, and the steps each officer finished late in
  the week (``StepFact.officer``).
- Bottlenecks: ``StepFact`` visits finished in the week, per step (agency × step name) and per agency: how
  many, the average and median wait (start → end of the step, in hours; the median by PostgreSQL, elsewhere in
  Python over at most ``MEDIAN_ROWS`` waits), how many late; against the week before.
- Ranking: per unit of the board (``stats.board.units_of``), the on-time rate as the index's row 2.1 counts it
  (``stats.index.ended_q``, ``overdue_q``): the dossiers ended early or on time in the week over those ended in
  the week plus those open and past due at its end (now, while it runs); and the overdue open dossiers now.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Aggregate, Avg, Count, DurationField, ExpressionWrapper, F, Min, Q, QuerySet
from django.utils import timezone

from motcua.agencies.models import Agency
from motcua.core.calendar import VN_TZ
from motcua.dossiers import deadlines
from motcua.dossiers.models import Dossier
from motcua.dossiers.statuses import Status
from motcua.stats import board
from motcua.stats.index import ended_q, overdue_q
from motcua.stats.models import DossierFact, Outcome, StepFact
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


MEDIAN_ROWS = 200_000  # without PostgreSQL, the medians of a week with more finished steps are not computed
EMPTY: dict[str, Any] = {"n": 0, "late": 0, "avg": None, "median": None}


def _finished(agencies: list[int], period: Period) -> QuerySet[StepFact]:
    return StepFact.objects.filter(agency_id__in=agencies, ended_at__gte=period.start, ended_at__lt=period.end)


def _medians(agencies: list[int], period: Period) -> dict[tuple[Any, ...], float]:
    """The median wait in hours per ``(agency, step name)`` and per ``(agency,)``, computed in Python from the waits
    (one query, at most ``MEDIAN_ROWS`` rows: none beyond)."""
    waits: dict[tuple[Any, ...], list[float]] = defaultdict(list)
    found = _finished(agencies, period).values_list("agency_id", "name", "started_at", "ended_at").order_by()
    for n, (agency, name, started, ended) in enumerate(found.iterator(chunk_size=5000)):
        if n >= MEDIAN_ROWS:
            return {}
        if ended is None:  # never: the steps finished in the period
            continue
        hours = (ended - started).total_seconds() / 3600
        waits[(agency, name)].append(hours)
        waits[(agency,)].append(hours)
    return {key: round(statistics.median(values), 1) for key, values in waits.items()}


def _step_figures(agencies: list[int], period: Period, by: tuple[str, ...],
                  medians: dict[tuple[Any, ...], float] | None = None) -> dict[tuple[Any, ...], dict[str, Any]]:
    figures: dict[str, Any] = {"n": Count("pk"), "late": Count("pk", filter=Q(outcome=Outcome.LATE)),
                               "avg": Avg(WAIT)}
    if medians is None:
        figures["median"] = Median(WAIT, output_field=DurationField())
    out = {}
    for r in _finished(agencies, period).values(*by).annotate(**figures).order_by():
        key = tuple(r[k] for k in by)
        out[key] = {"n": r["n"], "late": r["late"], "avg": _hours(r["avg"]),
                    "median": _hours(r["median"]) if medians is None else medians.get(key)}
    return out


@dataclass
class Bottleneck:
    agency_id: int
    agency: str
    step: str = ""
    this: dict[str, Any] = field(default_factory=lambda: dict(EMPTY))
    last: dict[str, Any] = field(default_factory=lambda: dict(EMPTY))
    open_late: int = 0  # steps open now past their step deadline

    @property
    def late_share(self) -> str:
        return f"{self.this['late'] / self.this['n'] * 100:.0f}%" if self.this.get("n") else "—"


def bottlenecks(units: list[board.Unit], now: datetime, period: Period, *, limit: int = 10
                ) -> dict[str, list[Bottleneck]]:
    """The steps and agencies where dossiers waited longest and went late most in ``period``, with the week
    before (``last``) beside them: ``{"steps": […], "agencies": […]}``, worst first (by late steps, then by
    average wait). Five queries whatever the number of steps (seven without PostgreSQL: the medians)."""
    agencies = [a for u in units for a in u.agency_ids]
    before = period.previous()
    names = dict(Agency.objects.filter(pk__in=agencies).values_list("pk", "name"))
    open_late: Counter[tuple[Any, ...]] = Counter()
    for agency, step, n in board.open_steps_behind(agencies, now).values_list("agency_id", "name").annotate(
            n=Count("pk")).order_by():
        open_late[(agency, step)] += n
        open_late[(agency,)] += n
    portable = connection.vendor != "postgresql"
    medians = (_medians(agencies, period), _medians(agencies, before)) if portable else (None, None)
    out: dict[str, list[Bottleneck]] = {}
    for kind, by in (("steps", ("agency_id", "name")), ("agencies", ("agency_id",))):
        this, last = _step_figures(agencies, period, by, medians[0]), _step_figures(agencies, before, by, medians[1])
        found = [Bottleneck(key[0], names.get(key[0], ""), key[1] if len(key) > 1 else "", this.get(key, EMPTY),
                            last.get(key, EMPTY), open_late[key])
                 for key in set(this) | {k for k in open_late if len(k) == len(by)}]
        found.sort(key=lambda b: (-(b.this.get("late") or 0), -b.open_late, -(b.this.get("avg") or 0)))
        out[kind] = found[:limit]
    return out


# --- the weekly ranking -------------------------------------------------------------------------------------------


def rate_figures(agencies: list[int], period: Period) -> dict[int, Counter[str]]:
    """Per agency, as the index's row 2.1 counts them: the dossiers whose handling ended in ``period`` (``ended``:
    ``early``, ``on_time``, ``late``) and those open and past due at its end (``past_due``; now while it runs).
    One query."""
    ended, past_due = ended_q(agencies, period), overdue_q(agencies, period)
    out: dict[int, Counter[str]] = defaultdict(Counter)
    counts = {"ended": Count("pk", filter=ended), "early": Count("pk", filter=ended & Q(outcome=Outcome.EARLY)),
              "on_time": Count("pk", filter=ended & Q(outcome=Outcome.ON_TIME)),
              "late": Count("pk", filter=ended & Q(outcome=Outcome.LATE)), "past_due": Count("pk", filter=past_due)}
    found: Any = DossierFact.objects.filter(ended | past_due).values("agency_id").annotate(**counts).order_by()
    for row in found:
        out[row["agency_id"]].update({key: row[key] for key in counts})
    return out


def with_rate(figures: Counter[str]) -> dict[str, Any]:
    """``figures`` with ``rate``: ended early or on time ÷ (ended + open past due); None without any."""
    handled = figures["ended"] + figures["past_due"]
    return {key: figures[key] for key in ("ended", "early", "on_time", "late", "past_due")} | {
        "rate": (figures["early"] + figures["on_time"]) / handled if handled else None}


def _rates(units: list[board.Unit], period: Period) -> dict[str, dict[str, Any]]:
    by_agency = {a: u.key for u in units for a in u.agency_ids}
    sums: dict[str, Counter[str]] = defaultdict(Counter)
    for agency, figures in rate_figures(list(by_agency), period).items():
        sums[by_agency[agency]].update(figures)
    return {key: with_rate(s) for key, s in sums.items()}


def ranking(units: list[board.Unit], now: datetime, period: Period) -> list[dict[str, Any]]:
    """The units ranked by on-time rate (:func:`with_rate`: open dossiers past due count against it; units with
    nothing ended nor past due last, by name), with last week's rate and the overdue open dossiers now. Three
    queries."""
    this, last = _rates(units, period), _rates(units, period.previous())
    by_agency = {a: u.key for u in units for a in u.agency_ids}
    overdue: Counter[str] = Counter()
    for agency, n in Dossier.objects.filter(
            board.live_q("overdue", now), closed_at__isnull=True, current_agency_id__in=list(by_agency)).exclude(
            status=Status.DRAFT).values_list("current_agency_id").annotate(n=Count("pk")).order_by():
        overdue[by_agency[agency]] += n
    rows = []
    for unit in units:
        figures = this.get(unit.key) or with_rate(Counter())
        rows.append({"unit": unit, **figures, "last_rate": last.get(unit.key, {}).get("rate"),
                     "overdue": overdue[unit.key]})
    rows.sort(key=lambda r: (r["rate"] is None, -(r["rate"] or 0), r["overdue"], r["unit"].name))
    for place, r in enumerate(rows, start=1):
        r["place"] = place
        r["percent"] = "—" if r["rate"] is None else f"{r['rate'] * 100:.0f}%"
        r["last_percent"] = "—" if r["last_rate"] is None else f"{r['last_rate'] * 100:.0f}%"
    return rows
