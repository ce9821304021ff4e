"""Supervision (issue 13): the officers' inbox counters, the live board per unit and procedure, and the lists of
dossiers behind every number of it.

The board reads, per column, the table that answers it in a constant number of queries:

- the *live* columns (in progress on time / behind the step deadline, overdue, waiting for a supplement, for
  return or the fee, paused) count the open dossiers where they are now: ``Dossier.current_agency``, over the
  partial index ``dossier_queue`` (open dossiers only);
- *received today* counts the dossiers accepted today by their responsible agency: ``DossierFact.received_on``
  (index ``fact_received``);
- *handed on today* counts the workflow steps finished today: ``StepFact.ended_at`` (index ``stepfact_ended``);
- *received today for another unit* counts the dossiers accepted today at a service point of the unit for
  another competent commune (received regardless of boundary, DESIGN.md §3): ``DossierFact.across_boundary``,
  by the *receiving* agency;
- *returned today* counts the results handed back today at the receiving point: ``Dossier.returned_at``
  (index ``dossier_front``).

*Overdue* here is an open dossier past its legal due date while its clock runs (received, in progress, awaiting
signature): a dossier waiting for the applicant (supplement, fee, result to collect) or paused is counted in its
own column, so that the columns of a row add up to its open dossiers.

A *unit* of the board is, for a province supervisor, a commune (all its agencies) or a provincial agency; for a
commune leader or a department, each agency of their scope (``stats.scope``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Agency, Membership
from motcua.catalog.models import ProcedureVersion
from motcua.core.calendar import VN_TZ, WorkingCalendar
from motcua.dossiers import deadlines
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier, DossierAgency
from motcua.dossiers.selectors import PERSONAL_DATA_ROLES, QUEUES, applicant_data, queue_q
from motcua.dossiers.statuses import PauseKind, Status
from motcua.geo.models import AdministrativeUnit
from motcua.stats.models import DossierFact, Outcome, StepFact
from motcua.stats.scope import Scope

# statuses in which the legal clock runs and the agency is the one to act
RUNNING = (Status.SUBMITTED, Status.RECEIVED, Status.IN_PROGRESS, Status.AWAITING_SIGNATURE)

COLUMNS: dict[str, Any] = {
    "received": _("Received today"),
    "handed_on": _("Handed on today"),
    "on_time": _("In progress, on time"),
    "behind_step": _("Behind the step deadline"),
    "overdue": _("Overdue"),
    "supplement": _("Waiting for a supplement"),
    "return_fee": _("Waiting for return or fee"),
    "returned": _("Returned today"),
    "paused": _("Paused"),
    "across_boundary": _("Received today for another unit (regardless of boundary)"),
}
LIVE = ("on_time", "behind_step", "overdue", "supplement", "return_fee", "paused")
# the drill lists beyond the board's columns: the dossiers whose current step is past its step deadline (the
# worst step, the bottlenecks: overdue ones included), and a late officer's or agency's finished steps
STEPS_BEHIND: dict[str, Any] = {"steps_behind": _("Open steps past their deadline")}
EXTRA_LISTS: dict[str, Any] = {"late_steps": _("Steps finished late")}


def start_of_day(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(VN_TZ).date(), time.min, VN_TZ)


def live_q(column: str, now: datetime) -> Q:
    """The open dossiers of a live column (each open dossier is in exactly one)."""
    overdue = Q(due_at__lt=now)
    running = Q(status__in=RUNNING)
    financial = Q(status=Status.PAUSED, pause_kind=PauseKind.FINANCIAL)
    if column == "on_time":
        return running & ~overdue & (Q(step_due_at__isnull=True) | Q(step_due_at__gte=now))
    if column == "behind_step":
        return running & ~overdue & Q(step_due_at__lt=now)
    if column == "overdue":
        return running & overdue
    if column == "supplement":
        return Q(status=Status.SUPPLEMENT_REQUESTED)
    if column == "return_fee":
        return Q(status=Status.RESULT_READY) | financial
    if column == "paused":
        return Q(status=Status.PAUSED) & ~financial
    raise KeyError(column)


def open_steps_behind(agencies: list[int], now: datetime) -> QuerySet[StepFact]:
    """The open steps past their step deadline of running dossiers (the clock runs: a result waiting for its
    applicant or a supplement asked for is not the agency's delay): the board's *why*, the bottlenecks' *open
    and behind now* and the ``steps_behind`` list count these."""
    return StepFact.objects.filter(agency_id__in=agencies, ended_at__isnull=True, due_at__lt=now,
                                   dossier__closed_at__isnull=True, dossier__status__in=RUNNING)


def days_between(cal: WorkingCalendar, start: datetime | None, end: datetime | None) -> Decimal | None:
    """Working days from ``start`` to ``end`` (one decimal), None without both."""
    if start is None or end is None or end <= start:
        return None if start is None or end is None else Decimal("0.0")
    return (Decimal(cal.working_seconds_between(start, end)) / Decimal(cal.seconds_per_day)).quantize(Decimal("0.1"))


# --- the officer's inbox counters ------------------------------------------------------------------------------

INBOX: dict[str, Any] = {
    "new": _("New"),
    "mine": QUEUES["mine"],
    "due_soon": QUEUES["due_soon"],
    "overdue": QUEUES["overdue"],
    "supplement": _("Waiting for supplement"),
}
# the counters that count exactly the dossiers of the queue tab of the same name (the home page links them to it)
INBOX_QUEUES = ("mine", "due_soon", "overdue")


def inbox_counters(actor: Actor, now: datetime | None = None) -> dict[str, int]:
    """What waits for the officer, in one query: *new*: held at one of their agencies for a role they hold there,
    running and taken up by nobody yet; *mine*, *due soon*, *overdue*: the dossiers of the queue tabs of these names
    (``dossiers.selectors.queue_q``); *supplement*: held or assigned to them, waiting for the applicant."""
    now = now or timezone.now()
    held = queue_q(actor, "todo", now)
    mine = queue_q(actor, "mine", now)
    tabs = {name: queue_q(actor, name, now) for name in INBOX_QUEUES}
    base = Dossier.objects.filter(held | mine | tabs["overdue"])
    counts = base.aggregate(
        new=Count("pk", filter=held & Q(assignee__isnull=True, status__in=RUNNING)),
        supplement=Count("pk", filter=(held | mine) & Q(status=Status.SUPPLEMENT_REQUESTED)),
        **{name: Count("pk", filter=q) for name, q in tabs.items()},
    )
    return {key: counts[key] or 0 for key in INBOX}


# --- units -------------------------------------------------------------------------------------------------------


@dataclass
class Unit:
    key: str  # "u<administrative unit id>" (a commune seen whole) or "a<agency id>"
    name: str
    agency_ids: list[int] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    procedures: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    worst_procedure: str = ""
    worst_step: str = ""  # the step (of one procedure) with most running dossiers past its step deadline
    worst_step_count: int = 0
    worst_step_procedure: int | None = None
    worst_step_procedure_code: str = ""
    worst_step_officer: str = ""  # who holds most of them (assigned), and how many
    worst_step_officer_count: int = 0

    @property
    def cells(self) -> list[tuple[str, int]]:
        """The counts in the board's column order."""
        return [(c, self.counts[c]) for c in COLUMNS]

    @property
    def open(self) -> int:
        return sum(self.counts[c] for c in LIVE)

    @property
    def in_progress(self) -> int:
        """Open and handled by the agencies (not waiting for the applicant: a supplement, the fee, the result)."""
        return sum(self.counts[c] for c in ("on_time", "behind_step", "overdue", "paused"))

    @property
    def overdue_share(self) -> float | None:
        return self.counts["overdue"] / self.open if self.open else None

    @property
    def overdue_percent(self) -> str:
        share = self.overdue_share
        return "—" if share is None else f"{share * 100:.0f}%"


def units_of(scope: Scope) -> list[Unit]:
    """The board's rows for ``scope``: communes and provincial agencies for a province, agencies otherwise."""
    rows = Agency.objects.filter(pk__in=scope.agency_ids).values_list(
        "pk", "name", "unit_id", "unit__name", "unit__kind", "unit__successor_id", "unit__successor__name",
    ).order_by("unit__name", "name")
    units: dict[str, Unit] = {}
    for pk, name, unit_id, unit_name, kind, successor_id, successor_name in rows:
        if successor_id is not None:  # a merged commune's agencies count under the commune it became
            unit_id, unit_name = successor_id, successor_name
        if scope.province_ids and kind != AdministrativeUnit.Kind.PROVINCE:
            key, label = f"u{unit_id}", unit_name
        else:
            key, label = f"a{pk}", name
        units.setdefault(key, Unit(key, label)).agency_ids.append(pk)
    return list(units.values())


# --- the board -----------------------------------------------------------------------------------------------------


def _count_into(units: list[Unit], rows: Iterable[tuple[int | None, int, str, int]]) -> None:
    """Add ``(agency, procedure, column, n)`` rows to their units."""
    by_agency = {a: u for u in units for a in u.agency_ids}
    for agency, procedure, column, n in rows:
        unit = by_agency.get(agency) if agency is not None else None
        if unit is None or not n:
            continue
        unit.counts[column] += n
        unit.procedures[procedure][column] += n


def board(units: list[Unit], now: datetime | None = None) -> list[Unit]:
    """Count every column for ``units`` (in six queries whatever their number), with each unit's worst
    procedure (most overdue, then most behind) and worst step (most open steps past their step deadline);
    sorted by overdue share, highest first."""
    now = now or timezone.now()
    agencies = [a for u in units for a in u.agency_ids]
    today = start_of_day(now)
    live = Dossier.objects.filter(closed_at__isnull=True, current_agency_id__in=agencies).exclude(
        status=Status.DRAFT).values("current_agency_id", "procedure_id").annotate(
        **{c: Count("pk", filter=live_q(c, now)) for c in LIVE}).values_list(
        "current_agency_id", "procedure_id", *LIVE).order_by()
    _count_into(units, ((r[0], r[1], c, n) for r in live for c, n in zip(LIVE, r[2:], strict=True)))
    received = DossierFact.objects.filter(agency_id__in=agencies, received_on=today.date()).values_list(
        "agency_id", "procedure_id").annotate(n=Count("pk")).order_by()
    _count_into(units, ((a, p, "received", n) for a, p, n in received))
    across = _across_today(agencies, today).values_list(
        "receiving_agency_id", "procedure_id").annotate(n=Count("pk")).order_by()
    _count_into(units, ((a, p, "across_boundary", n) for a, p, n in across))
    returned = Dossier.objects.filter(receiving_agency_id__in=agencies, status=Status.RETURNED,
                                      returned_at__gte=today).values_list(
        "receiving_agency_id", "procedure_id").annotate(n=Count("pk")).order_by()
    _count_into(units, ((a, p, "returned", n) for a, p, n in returned))
    handed = StepFact.objects.filter(agency_id__in=agencies, ended_at__gte=today, ended_at__lte=now).values_list(
        "agency_id", "dossier__procedure_id").annotate(n=Count("pk")).order_by()
    _count_into(units, ((a, p, "handed_on", n) for a, p, n in handed))
    steps = open_steps_behind(agencies, now).values_list(
        "agency_id", "dossier__procedure_id", "name", "dossier__assignee_id").annotate(n=Count("pk")).order_by()
    by_agency = {a: u for u in units for a in u.agency_ids}
    step_counts: dict[str, Counter[tuple[int, str]]] = defaultdict(Counter)
    holders: dict[tuple[str, int, str], Counter[int]] = defaultdict(Counter)
    for agency, procedure, name, assignee, n in steps:
        key = by_agency[agency].key
        step_counts[key][(procedure, name)] += n
        if assignee is not None:
            holders[(key, procedure, name)][assignee] += n
    names = procedure_names({p for u in units for p in u.procedures} | {
        p for counts in step_counts.values() for p, _name in counts})
    worst_holders: dict[str, tuple[int, int]] = {}
    for unit in units:
        if not (unit.counts["overdue"] or unit.counts["behind_step"]):
            continue  # nothing late: no cause to show
        if unit.procedures:
            worst = max(unit.procedures.items(), key=lambda item: (item[1]["overdue"], item[1]["behind_step"]))
            if worst[1]["overdue"] or worst[1]["behind_step"]:
                unit.worst_procedure = names.get(worst[0], "")
        if step_counts[unit.key]:
            (procedure, name), unit.worst_step_count = step_counts[unit.key].most_common(1)[0]
            unit.worst_step, unit.worst_step_procedure = name, procedure
            unit.worst_step_procedure_code = names.get(procedure, "").split(" – ")[0]
            if holders[(unit.key, procedure, name)]:
                worst_holders[unit.key] = holders[(unit.key, procedure, name)].most_common(1)[0]
    people = officer_names({pk for pk, _n in worst_holders.values()})
    for unit in units:
        if unit.key in worst_holders:
            pk, unit.worst_step_officer_count = worst_holders[unit.key]
            unit.worst_step_officer = people.get(pk, "")
    return sorted(units, key=lambda u: (-(u.overdue_share or 0), -u.counts["overdue"], u.name))


def _across_today(agencies: list[int], today: datetime) -> QuerySet[DossierFact]:
    """The facts of the dossiers accepted today at these agencies for another competent commune."""
    return DossierFact.objects.filter(receiving_agency_id__in=agencies, received_on=today.date(),
                                      across_boundary=True)


def procedure_names(ids: Iterable[int]) -> dict[int, str]:
    """``code – name`` of each procedure, the name of its latest version."""
    names: dict[int, str] = {}
    for pk, code, name in ProcedureVersion.objects.filter(procedure_id__in=set(ids)).order_by(
            "procedure_id", "-number").values_list("procedure_id", "procedure__code", "name_vi"):
        names.setdefault(pk, f"{code} – {name}")
    return names


def totals(units: list[Unit]) -> Counter[str]:
    total: Counter[str] = Counter()
    for unit in units:
        total.update(unit.counts)
    return total


def total_cells(units: list[Unit]) -> list[tuple[str, int]]:
    total = totals(units)
    return [(c, total[c]) for c in COLUMNS]


def procedure_rows(unit: Unit) -> list[dict[str, Any]]:
    """A unit's counts per procedure (after :func:`board`), most overdue first."""
    names = procedure_names(unit.procedures)
    rows = [{"id": pk, "name": names.get(pk, str(pk)), "counts": counts, "cells": [(c, counts[c]) for c in COLUMNS]}
            for pk, counts in unit.procedures.items()]
    return sorted(rows, key=lambda r: (-r["counts"]["overdue"], -r["counts"]["behind_step"], r["name"]))


# --- the dossiers behind a number ---------------------------------------------------------------------------------


def drill(agencies: list[int], column: str, now: datetime, *, procedure: int | None = None,
          officer: int | None = None, step: str | None = None) -> QuerySet[Dossier]:
    """The dossiers counted in ``column`` for these agencies (and one procedure, or assigned to one officer:
    ``officer=0`` for those assigned to nobody; for ``steps_behind``, at the step named ``step``)."""
    today = start_of_day(now)
    if column in LIVE:
        found = Dossier.objects.filter(live_q(column, now), closed_at__isnull=True, current_agency_id__in=agencies)
    elif column == "received":
        found = Dossier.objects.filter(pk__in=DossierFact.objects.filter(
            agency_id__in=agencies, received_on=today.date()).values("pk"))
    elif column == "across_boundary":
        found = Dossier.objects.filter(pk__in=_across_today(agencies, today).values("pk"))
    elif column == "returned":
        found = Dossier.objects.filter(receiving_agency_id__in=agencies, status=Status.RETURNED,
                                       returned_at__gte=today)
    elif column in STEPS_BEHIND:
        behind = open_steps_behind(agencies, now)
        if step is not None:
            behind = behind.filter(name=step)
        found = Dossier.objects.filter(pk__in=behind.values("dossier_id"))
    elif column == "handed_on":
        found = Dossier.objects.filter(pk__in=StepFact.objects.filter(
            agency_id__in=agencies, ended_at__gte=today, ended_at__lte=now).values("dossier_id"))
    else:
        raise KeyError(column)
    if procedure is not None:
        found = found.filter(procedure_id=procedure)
    if officer is not None:
        found = found.filter(assignee_id=officer) if officer else found.filter(assignee__isnull=True)
    return found.order_by("due_at", "pk")


LIST_FIELDS = ("code", "status", "pause_kind", "applicant_kind", "applicant_name", "applicant_id_number",
               "applicant_phone", "applicant_email", "applicant_address", "delivery_address", "due_at",
               "step_due_at", "apology_due_at", "received_at", "returned_at", "plan", "step_index",
               "procedure__code", "version__name_vi", "current_agency__name", "assignee__username",
               "assignee__first_name", "assignee__last_name")


def with_access(found: QuerySet[Dossier], actor: Actor) -> QuerySet[Dossier]:
    """``found`` with what a list row reads, and whether ``actor`` sees each dossier (``seen``: the dossier page
    and the applicant's name, as ``dossiers.selectors.visible`` and ``applicant_data`` allow) and its personal
    data whole (``whole``: ``dossiers.selectors.sees_personal_data``)."""
    involved = DossierAgency.objects.filter(dossier=OuterRef("pk"))
    return found.select_related("procedure", "version", "current_agency", "assignee").only(*LIST_FIELDS).annotate(
        seen=Exists(involved.filter(agency_id__in=sorted(actor.agencies_with()))),
        whole=Exists(involved.filter(agency_id__in=sorted(actor.agencies_with(*PERSONAL_DATA_ROLES)))),
    )


def officer_names(ids: Iterable[int]) -> dict[int, str]:
    """The names of these users (one query, none without any)."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    return {user.pk: officer_name(user) for user in get_user_model().objects.filter(pk__in=ids).only(
        "username", "first_name", "last_name")}


def officer_in_scope(officer: int, agencies: Iterable[int]) -> bool:
    """Whether the user ``officer`` is (or was) a member of one of these agencies: a list by officer names only
    officers of the viewer's scope."""
    return Membership.objects.filter(user_id=officer, agency_id__in=list(agencies)).exists()


def officer_name(user: Any) -> str:
    if user is None:
        return ""
    return f"{user.last_name} {user.first_name}".strip() or user.username


def officer_label(officer: int) -> str:
    """Whose dossiers a list filtered by ``officer`` (a user's id; ``0``: assigned to nobody) shows, for its title."""
    if not officer:
        return str(_("Not assigned"))
    user = get_user_model().objects.filter(pk=officer).only("username", "first_name", "last_name").first()
    return officer_name(user)


def rows(dossiers: Iterable[Dossier], now: datetime, cal: WorkingCalendar | None = None) -> Iterator[dict[str, Any]]:
    """A list row per dossier (of :func:`with_access`): the applicant's name only where the actor sees the
    dossier, the working days of delay of an overdue one."""
    cal = cal or deadlines.calendar()
    for d in dossiers:
        step = d.current_step or {}
        seen = bool(getattr(d, "seen", False))
        overdue = d.due_at is not None and d.due_at < now and d.status not in (Status.RETURNED, Status.REFUSED,
                                                                              Status.WITHDRAWN)
        yield {
            "code": d.code, "seen": seen, "procedure_code": d.procedure.code, "procedure": d.version.name_vi,
            "status": d.get_status_display(), "agency": d.current_agency.name if d.current_agency else "",
            "step": step.get("name", "") if d.returned_at is None else "",
            "officer": officer_name(d.assignee), "received_at": d.received_at, "due_at": d.due_at,
            "days_late": days_between(cal, d.due_at, now) if overdue else None,
            "applicant": applicant_data(d, whole=bool(getattr(d, "whole", False)))["name"] if seen else "",
        }


def late_steps(agencies: list[int], start: datetime, end: datetime, *, officer: int | None = None,
               step: str | None = None) -> QuerySet[StepFact]:
    """The workflow steps finished late over ``[start, end)`` at these agencies (by one officer, of one name)."""
    found = StepFact.objects.filter(agency_id__in=agencies, outcome=Outcome.LATE, ended_at__gte=start,
                                    ended_at__lt=end)
    if step is not None:
        found = found.filter(name=step)
    if officer is not None:
        found = found.filter(officer_id=officer) if officer else found.filter(officer__isnull=True)
    return found.select_related("dossier__procedure", "dossier__version", "agency", "officer").order_by(
        "-ended_at", "pk")


def step_rows(steps: Iterable[StepFact], cal: WorkingCalendar | None = None) -> Iterator[dict[str, Any]]:
    """A list row per late step (no applicant data: the step is what is late)."""
    cal = cal or deadlines.calendar()
    for s in steps:
        yield {
            "code": s.dossier.code, "seen": False, "procedure_code": s.dossier.procedure.code,
            "procedure": s.dossier.version.name_vi, "status": s.get_outcome_display(),
            "agency": s.agency.name if s.agency else "", "step": s.name, "officer": officer_name(s.officer),
            "received_at": s.started_at, "due_at": s.due_at, "days_late": days_between(cal, s.due_at, s.ended_at),
            "applicant": "",
        }


def week_start(now: datetime) -> datetime:
    day = now.astimezone(VN_TZ).date()
    return datetime.combine(day - timedelta(days=day.weekday()), time.min, VN_TZ)
