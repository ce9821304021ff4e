"""The service-quality index (Decision 766/QĐ-TTg, 2022; DESIGN.md §3): :func:`compute` for a scope and a period.

The weights, thresholds and which formula each row uses are configuration (``IndexVersion``, seeded from
``index_766.json``): a period is scored by the version in effect on its first day. The formulas are the named
functions of :data:`FORMULAS`; each returns a numerator and a denominator (or the reason it has none), and
``stats.drill`` lists the dossiers, procedures or petitions behind each number (their count is the number).

How each row is read (our reading of the portal's rows; the law gives the names, not the formulas):

- **Dossier rows** sum ``DailyRollup`` over the period's days: received-side columns count the dossiers received
  in the period (online share, payment, digitization, reuse, certified copies), ended-side columns those whose
  handling ended in it (timeliness, electronic results, satisfaction).
- **2.1 handled early or on time**: the denominator is every dossier whose handling ended in the period plus every
  dossier not ended at the period's end that was already past its due date then (received before the end, not
  withdrawn): an open late dossier is judged at the period's end and counts against the period. The numerator is
  the early and on-time ones ended in the period. 2.2, the average handling time (working days), is shown, not
  scored.
- **Procedure rows** read the catalogue: the procedures whose receiving or processing agency is in the scope, each
  by its version in force on the period's last day (today for the current period).
  *1.1 published on time*: the version names its announcing decision (a procedure is published by the decision
  announcing it: without one it is not published, as 1.2 and 1.3 read it) and was entered in the catalogue no
  later than the day it took effect (a procedure's first version is the catalogue as taken over: entered on
  time, but still published only if its decision is named). *1.2 updated and made public
  on time*: among the new versions (number > 1) taking effect in the period, those entered by their effective
  date and naming their announcing decision. *1.3 full content*: the announcing decision, the legal basis, a
  deadline, at least one component, one result, one workflow step and the fee list (even "free") are all filled;
  the drill-down lists, for each procedure, the items missing (``ProcedureRow.missing``, :data:`CONTENT_ITEMS`).
  *3.2 offered full online* (shown): online level "full". *4.1 fee procedures offered for online payment*: among
  those with a fee above zero, those submitted online (partial or full online service: the portal takes the fee
  through the payment gateway). *4.2 with online payment transactions*: among the same, those with at least one
  dossier of the scope received in the period and paid online (the roll-up's ``paid_online``).
- **6.1 petitions handled on time**: answered within 15 working days of their receipt (the first answer: a
  revision does not move it; ``PetitionEvent``). The denominator: petitions first answered in the period plus
  those still unanswered at its end whose 15 days had run out by then.
- **6.2 satisfaction**: the ratings of the scope's agencies given in the period that are satisfied (4 or 5 of 5).
  The portal's row measures satisfaction with petition handling; petition senders are not asked to rate here, so
  the agencies' ratings stand in for it.
- **6.3 satisfaction with procedure handling** = 100 % − (% late + % complained about or disliked), among the
  dossiers whose handling ended in the period: the numerator is the dossiers neither late nor complained about
  (a petition naming the dossier's code) nor disliked (a rating of 1 or 2 of that dossier); a dossier both late
  and complained about counts once, so the rate never goes below zero.
- Rows whose source does not exist yet (the national portal sync, the citizen's national document store, the
  population database: ``stats.facts.source_available``) are ``None`` with the reason, never 0.

The total: the points of the scored rows that could be computed, out of the maximum of those rows
(``available``); ``score100`` is that rate on 100 and gives the band (none while the timeliness row has no
figure: a unit with no dossier to judge is not banded on its catalogue alone). "x of 100 points could be
computed" is said wherever the total is shown.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from motcua.catalog.models import (
    Component,
    FeeItem,
    OnlineLevel,
    Procedure,
    ProcedureVersion,
    ResultDocument,
    WorkflowStep,
)
from motcua.core.calendar import VN_TZ, WorkingCalendar
from motcua.dossiers import deadlines
from motcua.feedback.models import Petition, PetitionEvent, PetitionKind, Rating
from motcua.stats.facts import source_available
from motcua.stats.models import DailyRollup, DossierFact, IndexVersion, Outcome
from motcua.stats.periods import Period
from motcua.stats.rollup import COLUMNS
from motcua.stats.scope import Scope

SEED = Path(__file__).resolve().parent / "index_766.json"
PETITION_DAYS = 15  # working days to handle a petition (Decree 20/2008/NĐ-CP as amended)
DISLIKED = 2  # a rating of at most this is a dislike
SATISFIED = 4  # a rating of at least this is satisfied
HUNDRED = Decimal(100)
CENT = Decimal("0.01")

GROUPS: dict[str, Promise] = {
    "CKMB": _("Publicity and transparency"),
    "TDGQ": _("Timeliness of handling"),
    "CLGQ": _("Online services"),
    "TTTT": _("Online payment"),
    "MDSH": _("Digitization"),
    "MDHL": _("Satisfaction"),
}
# the names of the versions seeded (index_766.json), shown translated; another version shows its name as stored
VERSION_LABELS: dict[str, Promise] = {
    "766/2022 as the national portal publishes it (2025)": _("766/2022 as the national portal publishes it (2025)"),
}
# the items of a procedure's full content (1.3): the field of a versions_in_force() row → what it is called
CONTENT_ITEMS: dict[str, Promise] = {
    "decision_no": _("announcing decision"),
    "legal_basis": _("legal basis"),
    "processing_days": _("deadline"),
    "has_components": _("components"),
    "has_results": _("result"),
    "has_steps": _("workflow steps"),
    "has_fees": _("fee list"),
}
BANDS: dict[str, Promise] = {
    "excellent": _("Excellent"), "good": _("Good"), "fair": _("Fair"), "average": _("Average"), "weak": _("Weak"),
}


# --- the data of one period, for the union of the scopes asked (a constant number of queries) ---------------

@dataclass
class ProcedureRow:
    procedure_id: int
    version_id: int
    agencies: set[int]
    on_time: bool
    full_content: bool
    full_online: bool
    online: bool
    has_fee: bool
    missing: tuple[str, ...] = ()  # the keys of CONTENT_ITEMS not filled (1.3)


def version_label(name: str) -> str:
    """A configuration's name as shown: the seeded one translated, another as stored."""
    return str(VERSION_LABELS.get(name, name))


@dataclass
class PetitionRow:
    pk: int
    agency_id: int
    kind: str
    created_at: datetime
    first_answer: datetime | None
    deadline: datetime


@dataclass
class Data:
    period: Period
    rollup: dict[int, Counter[str]] = field(default_factory=dict)
    paid_procedures: set[tuple[int, int]] = field(default_factory=set)  # (agency, procedure) paid online
    overdue_open: Counter[int] = field(default_factory=Counter)
    ended_facts: Counter[int] = field(default_factory=Counter)
    satisfied_facts: Counter[int] = field(default_factory=Counter)
    procedures: list[ProcedureRow] = field(default_factory=list)
    updates: list[ProcedureRow] = field(default_factory=list)
    petitions: list[PetitionRow] = field(default_factory=list)
    ratings: dict[int, tuple[int, int]] = field(default_factory=dict)  # agency → (all, satisfied)

    def sum(self, scope: Scope, column: str) -> int:
        return sum(self.rollup[a][column] for a in scope.agency_ids if a in self.rollup)


def _day_of(period: Period) -> date:
    """The day whose catalogue the procedure rows read: the period's last day, or today while it runs."""
    return min(period.last, timezone.localdate())


def ended_q(agency_ids: Iterable[int], period: Period) -> Q:
    """Facts of dossiers whose handling ended in the period (as the roll-up's ended-side columns count them)."""
    return Q(agency_id__in=list(agency_ids), ended_on__gte=period.first, ended_on__lte=period.last) & ~Q(outcome="")


def overdue_q(agency_ids: Iterable[int], period: Period) -> Q:
    """Facts of dossiers not ended at the period's end that were already past due then (2.1): received before the
    end, not withdrawn. While the period runs, past due now: a dossier still within its time is not counted
    against it before its due date comes."""
    end = period.end
    return Q(agency_id__in=list(agency_ids), received_at__lt=end, due_at__lt=min(end, timezone.now()),
             withdrawn=False) & (Q(ended_at__isnull=True) | Q(ended_at__gte=end))


def unhappy_q() -> Q:
    """Late, complained about (a petition naming the dossier) or disliked (a rating ≤ 2 of the dossier)."""
    complained = Exists(Petition.objects.filter(dossier_code=OuterRef("code")))
    disliked = Exists(Rating.objects.filter(dossier_id=OuterRef("dossier_id"), score__lte=DISLIKED))
    return Q(outcome=Outcome.LATE) | Q(complained) | Q(disliked)


def versions_in_force(day: date) -> Any:
    has = {name: Exists(model.objects.filter(version_id=OuterRef("pk")))
           for name, model in (("has_components", Component), ("has_results", ResultDocument),
                               ("has_steps", WorkflowStep), ("has_fees", FeeItem))}
    paid = Exists(FeeItem.objects.filter(version_id=OuterRef("pk"), amount__gt=0))
    return ProcedureVersion.objects.in_force(day).annotate(**has, has_paid_fee=paid)


def _procedure_row(version: dict[str, Any], agencies: set[int]) -> ProcedureRow:
    """``version``: a row of :func:`versions_in_force` ``.values()``."""
    entered = version["created_at"].astimezone(VN_TZ).date()
    missing = tuple(name for name in CONTENT_ITEMS if not version[name])
    return ProcedureRow(
        procedure_id=version["procedure_id"], version_id=version["pk"], agencies=agencies,
        on_time=bool(version["decision_no"]) and (version["number"] == 1 or entered <= version["effective_from"]),
        full_content=not missing, missing=missing,
        full_online=version["online_level"] == OnlineLevel.FULL,
        online=version["online_level"] != OnlineLevel.NONE, has_fee=bool(version["has_paid_fee"]),
    )


VERSION_VALUES = ("pk", "procedure_id", "number", "created_at", "effective_from", "decision_no", "legal_basis",
                  "processing_days", "online_level", "has_components", "has_results", "has_steps", "has_fees",
                  "has_paid_fee")


def gather(agency_ids: Iterable[int], period: Period, *, cal: WorkingCalendar | None = None) -> Data:
    """Everything the rows need for these agencies and this period: ten queries, whatever the data's size."""
    ids = sorted(set(agency_ids))
    data = Data(period)
    days = {"day__gte": period.first, "day__lte": period.last}
    for agency, *sums in (DailyRollup.objects.filter(agency_id__in=ids, **days).values("agency_id")
                          .annotate(**{f"s_{c}": Sum(c) for c in COLUMNS})
                          .values_list("agency_id", *(f"s_{c}" for c in COLUMNS))):
        data.rollup[agency] = Counter({c: n or 0 for c, n in zip(COLUMNS, sums, strict=True)})
    data.paid_procedures = {(a, p) for a, p in DailyRollup.objects.filter(agency_id__in=ids, **days)
                            .values("agency_id", "procedure_id").annotate(n=Sum("paid_online")).filter(n__gt=0)
                            .values_list("agency_id", "procedure_id")}
    overdue = DossierFact.objects.filter(overdue_q(ids, period)).values("agency_id").annotate(n=Count("pk"))
    data.overdue_open = Counter(dict(overdue.values_list("agency_id", "n")))
    for agency, total, happy in (DossierFact.objects.filter(ended_q(ids, period)).values("agency_id")
                                 .annotate(total=Count("pk"), happy=Count("pk", filter=~unhappy_q()))
                                 .values_list("agency_id", "total", "happy")):
        data.ended_facts[agency], data.satisfied_facts[agency] = total, happy
    # the catalogue: the procedures of these agencies and who receives or processes them
    links: dict[int, set[int]] = {}
    receiving = Procedure.agencies.through.objects.filter(agency_id__in=ids).values_list("procedure_id", "agency_id")
    processing = Procedure.objects.filter(processing_agency_id__in=ids).values_list("pk", "processing_agency_id")
    for procedure, agency in [*receiving, *processing]:
        links.setdefault(procedure, set()).add(agency)
    versions = versions_in_force(_day_of(period)).filter(procedure_id__in=list(links))
    data.procedures = [_procedure_row(v, links[v["procedure_id"]]) for v in versions.values(*VERSION_VALUES)]
    updates = ProcedureVersion.objects.filter(
        procedure_id__in=list(links), number__gt=1, effective_from__gte=period.first,
        effective_from__lte=period.last)
    data.updates = [ProcedureRow(v.procedure_id, v.pk, links[v.procedure_id],
                                 on_time=v.created_at.astimezone(VN_TZ).date() <= v.effective_from
                                 and bool(v.decision_no), full_content=False, full_online=False, online=False,
                                 has_fee=False) for v in updates]
    # petitions: received before the end and not first answered before the start
    cal = cal or deadlines.calendar()
    for row in petitions_around(ids, period).values_list("pk", "agency_id", "kind", "created_at", "first_answer"):
        pk, agency, kind, created, answered = row
        data.petitions.append(PetitionRow(pk, agency, kind, created, answered,
                                          cal.add_working_days(created, PETITION_DAYS)))
    for agency, total, happy in (Rating.objects.filter(agency_id__in=ids, created_at__gte=period.start,
                                                       created_at__lt=period.end)
                                 .values("agency_id").annotate(total=Count("pk"),
                                                               happy=Count("pk", filter=Q(score__gte=SATISFIED)))
                                 .values_list("agency_id", "total", "happy")):
        data.ratings[agency] = (total, happy)
    return data


def petitions_around(agency_ids: Iterable[int], period: Period) -> Any:
    """Petitions received before the period's end and not first answered before its start, with their first
    answer (``first_answer``: a revision does not move it)."""
    first = (PetitionEvent.objects.filter(petition_id=OuterRef("pk"), action=PetitionEvent.Action.ANSWER)
             .order_by("at").values("at")[:1])
    return (Petition.objects.filter(agency_id__in=list(agency_ids), created_at__lt=period.end)
            .annotate(first_answer=Coalesce(Subquery(first), "answered_at"))
            .filter(Q(first_answer__isnull=True) | Q(first_answer__gte=period.start)))


# --- the formulas ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Figure:
    numerator: Decimal | int | None
    denominator: int | None
    reason: str = ""


@dataclass(frozen=True)
class Formula:
    label: Promise
    drill: str  # what the numbers list: dossiers, procedures, petitions, ratings ("" when nothing)
    reason: Promise  # why there is no figure when the denominator is 0
    compute: Callable[[Data, Scope], Figure]
    source: str = ""  # a source that may not exist yet (stats.facts.source_available)
    unit: str = "%"  # "%" or "days" (a figure shown as a value, not a rate)


NO_DOSSIER_RECEIVED = _("No dossier was received in the period.")
NO_DOSSIER_ENDED = _("No dossier's handling ended in the period.")
NO_PROCEDURE = _("No procedure of the catalogue is received or processed here.")
NO_SOURCE = {
    "portal": _("No data yet: the national portal connection is not set up."),
    "store": _("No data yet: the connection to the citizens' national document store is not set up."),
    "population": _("No data yet: the population database connection is not set up."),
}


def _rollup(numerator: str, denominator: str) -> Callable[[Data, Scope], Figure]:
    def compute(data: Data, scope: Scope) -> Figure:
        return Figure(data.sum(scope, numerator), data.sum(scope, denominator))
    return compute


def _procedures(test: Callable[[ProcedureRow], bool], among: Callable[[ProcedureRow], bool] = lambda p: True,
                rows: str = "procedures") -> Callable[[Data, Scope], Figure]:
    def compute(data: Data, scope: Scope) -> Figure:
        chosen = [p for p in getattr(data, rows) if p.agencies & scope.agency_ids and among(p)]
        return Figure(sum(1 for p in chosen if test(p)), len(chosen))
    return compute


def _handled_on_time(data: Data, scope: Scope) -> Figure:
    ended = data.sum(scope, "ended")
    overdue = sum(data.overdue_open[a] for a in scope.agency_ids)
    return Figure(data.sum(scope, "early") + data.sum(scope, "on_time"), ended + overdue)


def _average_days(data: Data, scope: Scope) -> Figure:
    ended = data.sum(scope, "ended")
    return Figure((Decimal(data.sum(scope, "handling_centidays")) / HUNDRED), ended)


def _fee_paid(data: Data, scope: Scope) -> Figure:
    chosen = {p.procedure_id for p in data.procedures if p.agencies & scope.agency_ids and p.has_fee}
    paid = {p for a, p in data.paid_procedures if a in scope.agency_ids}
    return Figure(len(chosen & paid), len(chosen))


def petition_answered_on_time(p: PetitionRow, period: Period) -> bool:
    return p.first_answer is not None and period.start <= p.first_answer < period.end \
        and p.first_answer <= p.deadline


def petition_counted(p: PetitionRow, period: Period) -> bool:
    """In 6.1's denominator: first answered in the period, or unanswered at its end and overdue then."""
    if p.first_answer is not None and period.start <= p.first_answer < period.end:
        return True
    return (p.first_answer is None or p.first_answer >= period.end) and p.deadline < period.end


def _petitions_on_time(data: Data, scope: Scope) -> Figure:
    mine = [p for p in data.petitions if p.agency_id in scope.agency_ids]
    return Figure(sum(1 for p in mine if petition_answered_on_time(p, data.period)),
                  sum(1 for p in mine if petition_counted(p, data.period)))


def petition_received(p: PetitionRow, period: Period) -> bool:
    return period.start <= p.created_at < period.end


def _petitions_received(test: Callable[[PetitionRow], bool]) -> Callable[[Data, Scope], Figure]:
    def compute(data: Data, scope: Scope) -> Figure:
        mine = [p for p in data.petitions if p.agency_id in scope.agency_ids
                and petition_received(p, data.period)]
        return Figure(sum(1 for p in mine if test(p)), len(mine))
    return compute


def _ratings(data: Data, scope: Scope) -> Figure:
    total = sum(data.ratings.get(a, (0, 0))[0] for a in scope.agency_ids)
    happy = sum(data.ratings.get(a, (0, 0))[1] for a in scope.agency_ids)
    return Figure(happy, total)


def _handling_satisfaction(data: Data, scope: Scope) -> Figure:
    return Figure(sum(data.satisfied_facts[a] for a in scope.agency_ids),
                  sum(data.ended_facts[a] for a in scope.agency_ids))


def _none(data: Data, scope: Scope) -> Figure:
    return Figure(None, None)


FORMULAS: dict[str, Formula] = {
    "procedures_published_on_time": Formula(
        _("Procedures published on time"), "procedures", NO_PROCEDURE, _procedures(lambda p: p.on_time)),
    "procedures_updated_on_time": Formula(
        _("Procedures updated and made public on time"), "procedures",
        _("No procedure changed in the period."), _procedures(lambda p: p.on_time, rows="updates")),
    "procedures_full_content": Formula(
        _("Procedures published with full content"), "procedures", NO_PROCEDURE,
        _procedures(lambda p: p.full_content)),
    "dossiers_synced": Formula(
        _("Dossiers synced to the national public service portal"), "dossiers", NO_DOSSIER_RECEIVED,
        _rollup("synced", "received"), source="portal"),
    "handled_on_time": Formula(
        _("Dossiers handled early or on time"), "dossiers", NO_DOSSIER_ENDED, _handled_on_time),
    "average_handling_days": Formula(
        _("Average handling time (working days)"), "dossiers", NO_DOSSIER_ENDED, _average_days, unit="days"),
    "full_online_share": Formula(
        _("Full-online dossiers among those of procedures offered fully online"), "dossiers",
        _("No dossier of a procedure offered fully online was received in the period."),
        _rollup("eligible_online", "eligible")),
    "procedures_offered_online": Formula(
        _("Procedures offered as a full online service"), "procedures", NO_PROCEDURE,
        _procedures(lambda p: p.full_online)),
    "received_online_share": Formula(
        _("Dossiers received online (all channels)"), "dossiers", NO_DOSSIER_RECEIVED,
        _rollup("received_online", "received")),
    "fee_procedures_payable_online": Formula(
        _("Procedures with fees offered for online payment"), "procedures",
        _("No procedure here has a fee."), _procedures(lambda p: p.online, lambda p: p.has_fee)),
    "fee_procedures_paid_online": Formula(
        _("Procedures with fees that had online payments"), "procedures", _("No procedure here has a fee."),
        _fee_paid),
    "dossiers_paid_online": Formula(
        _("Dossiers paid online among those with a fee"), "dossiers",
        _("No dossier with a fee was received in the period."), _rollup("paid_online", "with_fee")),
    "electronic_results": Formula(
        _("Dossiers with an electronic (signed) result"), "dossiers", NO_DOSSIER_ENDED,
        _rollup("electronic_result", "ended")),
    "digitized_components": Formula(
        _("Dossiers with digitized components"), "dossiers", NO_DOSSIER_RECEIVED, _rollup("digitized", "received")),
    "certified_copies": Formula(
        _("Dossiers with certified electronic copies"), "dossiers", NO_DOSSIER_RECEIVED,
        _rollup("certified", "received")),
    "reused_data": Formula(
        _("Dossiers reusing digitized data"), "dossiers", NO_DOSSIER_RECEIVED, _rollup("reused", "received")),
    "store_synced": Formula(
        _("Results synced to the citizen's national document store"), "dossiers", NO_DOSSIER_ENDED,
        _rollup("store_synced", "ended"), source="store"),
    "population_data": Formula(
        _("Dossiers using population data"), "dossiers", NO_DOSSIER_RECEIVED,
        _rollup("population_data", "received"), source="population"),
    "procedures_population_connected": Formula(
        _("Procedures connected to the population database"), "procedures", NO_PROCEDURE, _none,
        source="population"),
    "petitions_on_time": Formula(
        _("Petitions handled on time"), "petitions", _("No petition was answered or overdue in the period."),
        _petitions_on_time),
    "ratings_satisfied": Formula(
        _("Satisfied ratings (standing in for satisfaction with petition handling)"), "ratings",
        _("No rating was given in the period."), _ratings),
    "handling_satisfaction": Formula(
        _("Satisfaction with procedure handling (neither late, complained about nor disliked)"), "dossiers",
        NO_DOSSIER_ENDED, _handling_satisfaction),
    "petitions_of_kind_petition": Formula(
        _("Petitions (kiến nghị) among the feedback and petitions received"), "petitions",
        _("No feedback or petition was received in the period."),
        _petitions_received(lambda p: p.kind == PetitionKind.PETITION)),
    "petitions_answered": Formula(
        _("Feedback and petitions received in the period that have been answered"), "petitions",
        _("No feedback or petition was received in the period."),
        _petitions_received(lambda p: p.first_answer is not None)),
}
SOURCES = {"portal": "portal", "store": "portal", "population": "population"}


# --- the result ----------------------------------------------------------------------------------------------

@dataclass
class Row:
    code: str
    group: str
    formula: str
    label: str
    max: Decimal
    threshold: Decimal | None
    numerator: Decimal | int | None
    denominator: int | None
    ratio: Decimal | None  # a percentage, or a value in days
    score: Decimal | None
    reason: str
    unit: str
    drill: str

    @property
    def scored(self) -> bool:
        return self.max > 0

    @property
    def available(self) -> bool:
        return self.ratio is not None

    @property
    def in_days(self) -> bool:
        return self.unit == "days"

    @property
    def drillable(self) -> bool:
        return bool(self.drill) and self.denominator is not None


@dataclass
class Group:
    code: str
    key: str
    label: str
    max: Decimal
    rows: list[Row]

    @property
    def scored_rows(self) -> list[Row]:
        return [r for r in self.rows if r.scored]

    @property
    def points(self) -> Decimal:
        return sum((r.score for r in self.rows if r.scored and r.score is not None), Decimal(0))

    @property
    def available(self) -> Decimal:
        return sum((r.max for r in self.rows if r.scored and r.score is not None), Decimal(0))


@dataclass
class IndexResult:
    scope: Scope
    period: Period
    version: str
    groups: list[Group]
    bands: list[dict[str, Any]]

    @property
    def rows(self) -> list[Row]:
        return [r for g in self.groups for r in g.rows]

    def row(self, code: str) -> Row | None:
        return next((r for r in self.rows if r.code == code), None)

    @property
    def points(self) -> Decimal:
        """The points of the scored rows that could be computed."""
        return sum((g.points for g in self.groups), Decimal(0))

    @property
    def available(self) -> Decimal:
        """Of the 100 points, how many could be computed (rows without data are left out, not counted 0)."""
        return sum((g.available for g in self.groups), Decimal(0))

    @property
    def maximum(self) -> Decimal:
        return sum((g.max for g in self.groups), Decimal(0))

    @property
    def score100(self) -> Decimal | None:
        """The points on 100, over the points that could be computed. None when none could, or when the
        timeliness row could not (no dossier ended or was overdue in the period: a unit with nothing to judge
        gets no score and no band from its catalogue rows alone)."""
        on_time = self.on_time
        if not self.available or (on_time is not None and on_time.score is None):
            return None
        return (self.points * HUNDRED / self.available).quantize(CENT, ROUND_HALF_UP)

    @property
    def band(self) -> str:
        score = self.score100
        if score is None:
            return ""
        for band in self.bands:
            if score >= Decimal(str(band["min"])):
                return str(band["band"])
        return ""

    @property
    def band_label(self) -> str:
        return str(BANDS.get(self.band, "")) if self.band else ""

    @property
    def on_time(self) -> Row | None:
        return next((r for r in self.rows if r.formula == "handled_on_time"), None)


# --- the configuration ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Config:
    name: str
    groups: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    bands: list[dict[str, Any]]


def seed_config() -> Config:
    data = json.loads(SEED.read_text(encoding="utf-8"))
    return Config(data["name"], data["groups"], data["rows"], data["bands"])


def config_for(period: Period) -> Config:
    """The version in effect on the period's first day (the oldest one before any; the seed file when the table
    is empty, as in a test database)."""
    version = (IndexVersion.objects.filter(effective_from__lte=period.first).order_by("-effective_from").first()
               or IndexVersion.objects.order_by("effective_from").first())
    if version is None:
        return seed_config()
    return Config(version.name, version.groups, version.rows, version.bands)


def _score(ratio: Decimal, maximum: Decimal, threshold: Decimal | None) -> Decimal:
    if threshold:
        return (maximum * min(Decimal(1), ratio / threshold)).quantize(CENT, ROUND_HALF_UP)
    return (maximum * min(Decimal(1), ratio / HUNDRED)).quantize(CENT, ROUND_HALF_UP)


def evaluate(config: Config, data: Data, scope: Scope) -> IndexResult:
    groups = []
    for g in config.groups:
        rows = []
        for spec in [r for r in config.rows if r["code"].split(".")[0] == g["code"]]:
            formula = FORMULAS[spec["formula"]]
            maximum = Decimal(str(spec.get("max") or 0))
            threshold = Decimal(str(spec["threshold"])) if spec.get("threshold") else None
            if formula.source and not source_available(SOURCES[formula.source]):
                figure = Figure(None, None, str(NO_SOURCE[formula.source]))
            else:
                figure = formula.compute(data, scope)
                if not figure.denominator:
                    figure = Figure(None if formula.unit == "days" else figure.numerator, figure.denominator,
                                    str(formula.reason))
            ratio = score = None
            if figure.numerator is not None and figure.denominator:
                if formula.unit == "days":
                    ratio = (Decimal(figure.numerator) / figure.denominator).quantize(CENT, ROUND_HALF_UP)
                else:
                    ratio = (Decimal(figure.numerator) * HUNDRED / figure.denominator).quantize(CENT, ROUND_HALF_UP)
                    score = _score(ratio, maximum, threshold) if maximum else None
            rows.append(Row(spec["code"], g["code"], spec["formula"], str(formula.label), maximum, threshold,
                            figure.numerator, figure.denominator, ratio, score, figure.reason, formula.unit,
                            formula.drill))
        groups.append(Group(g["code"], g["key"], str(GROUPS.get(g["key"], g["key"])), Decimal(str(g["max"])), rows))
    return IndexResult(scope, data.period, version_label(config.name), groups, config.bands)


def compute_many(scopes: Sequence[Scope], period: Period) -> list[IndexResult]:
    """The index of each scope for the period, from one gathering of the data of all of them."""
    config = config_for(period)
    data = gather({a for s in scopes for a in s.agency_ids}, period)
    return [evaluate(config, data, scope) for scope in scopes]


def compute(scope: Scope, period: Period) -> IndexResult:
    return compute_many([scope], period)[0]
