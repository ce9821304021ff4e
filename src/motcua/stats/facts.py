"""Facts of dossiers, projected from their event logs: :func:`build_many` (the one builder; the incremental
refresh and the rebuild both call it, so they cannot disagree).

A dossier's handling *ends*, as the service-quality index counts it (DESIGN.md §3, Decision 766/QĐ-TTg), at the
first of: result ready (handled), result returned, refused. A dossier waiting for its only supplement request
counts as ended on the request date; one that comes back from it starts again (its due date restarts from zero,
``dossiers.deadlines``). Early / on time / late is ``deadlines.judge`` of that end against the due date, except
that an apology or more than one supplement request is late whatever the dates (``deadlines.timeliness``).

The due date judged is the one in force *when handling ended* (replayed from the events' ``changes``: a pause
after the result was ready must not move it). The handling time (``handling_days``) is the working time from
acceptance to that end less the time the clock stood still (the citizen's supplement, pauses). Nothing here
depends on the moment it runs: a fact is a function of its dossier's log, so a refresh and a rebuild agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from django.apps import apps
from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from motcua.agencies.models import Agency, Role
from motcua.catalog.models import OnlineLevel
from motcua.core.calendar import VN_TZ, WorkingCalendar
from motcua.dossiers import deadlines, routing
from motcua.dossiers.models import Certification, Digitization, Dossier, Event, IssuedResult
from motcua.dossiers.statuses import EventKind, Status
from motcua.geo.models import AdministrativeUnit
from motcua.integrations.models import OutboxMessage, OutboxStatus, System
from motcua.stats.models import DossierFact, EndedBy, StepFact

ENDING = {Status.RESULT_READY: EndedBy.HANDLED, Status.RETURNED: EndedBy.RETURNED, Status.REFUSED: EndedBy.REFUSED}
STOPPED = (Status.SUPPLEMENT_REQUESTED, Status.PAUSED)  # the legal clock stands still (the citizen's time)
HANDLING_ROLES = (Role.PROCESSING, Role.LEADER, Role.SIGNER)


def source_available(name: str) -> bool:
    """Whether a source the index reads exists in this installation (issue 14's apps): ``"portal"`` for the
    national portal sync, ``"population"`` for the population database. Until then their facts stay ``None``."""
    return apps.is_installed("motcua.integrations") and name in getattr(settings, "MOTCUA_STATS_SOURCES", ())


@dataclass
class Built:
    facts: list[DossierFact] = field(default_factory=list)
    steps: list[StepFact] = field(default_factory=list)


def build_many(dossier_ids: Iterable[int], *, calendar: WorkingCalendar | None = None) -> Built:
    """The facts and step facts of these dossiers (drafts have none), in a constant number of queries."""
    ids = list(dossier_ids)
    built = Built()
    if not ids:
        return built
    cal = calendar or cast(WorkingCalendar, _LazyCalendar())
    # one query for the dossiers and what the side tables say of them (digitized, reused, certified, signed result)
    digitizations = Digitization.objects.filter(attachment__dossier_id=OuterRef("pk"))
    delivered = OutboxMessage.objects.filter(dossier_id=OuterRef("pk"), status=OutboxStatus.DELIVERED)
    dossiers = list(Dossier.objects.filter(pk__in=ids).exclude(status=Status.DRAFT).select_related("version")
                    .annotate(has_digitized=Exists(digitizations),
                              has_reused=Exists(digitizations.filter(Q(reused_from__isnull=False)
                                                                     | Q(reused_document_id__isnull=False))),
                              has_certified=Exists(Certification.objects.filter(dossier_id=OuterRef("pk"))),
                              has_signed=Exists(IssuedResult.objects.filter(dossier_id=OuterRef("pk"), signed=True)),
                              # a message delivered to the national portal for it; its result pushed to the store
                              has_synced=Exists(delivered.filter(system=System.PORTAL)),
                              has_store_synced=Exists(delivered.filter(system=System.STORE))))
    if not dossiers:
        return built
    ids = [d.pk for d in dossiers]
    events: dict[int, list[Event]] = defaultdict(list)
    for event in Event.objects.filter(dossier_id__in=ids).order_by("dossier_id", "seq"):
        events[event.dossier_id].append(event)
    agencies = _agencies({d.receiving_agency_id for d in dossiers} | {a for d in dossiers for a in _plan_agencies(d)})
    portal, population = source_available("portal"), source_available("population")
    for dossier in dossiers:
        log = events[dossier.pk]
        fact = _fact(dossier, log, agencies, cal)
        fact.digitized = dossier.has_digitized
        fact.reused = dossier.has_reused
        fact.certified = dossier.has_certified
        fact.electronic_result = dossier.has_signed
        if portal:
            fact.synced, fact.store_synced = dossier.has_synced, dossier.has_store_synced
        else:
            fact.synced = fact.store_synced = None
        if not population:
            fact.identity_verified = fact.population_data = None
        built.facts.append(fact)
        built.steps.extend(_steps(dossier, log, cal))
    return built


class _LazyCalendar:
    """The working calendar, read (one query) when a dossier first needs it: most refreshes need none."""

    def __init__(self) -> None:
        self._calendar: WorkingCalendar | None = None

    def __getattr__(self, name: str) -> Any:
        if self._calendar is None:
            self._calendar = deadlines.calendar()
        return getattr(self._calendar, name)


def _plan_agencies(dossier: Dossier) -> list[int]:
    return [step["agency"] for step in dossier.plan if step.get("agency")]


def _agencies(ids: set[int]) -> dict[int, tuple[int | None, int | None]]:
    """agency id → (its administrative unit, that unit's province)."""
    rows = Agency.objects.filter(pk__in=ids).values_list("pk", "unit_id", "unit__kind", "unit__parent_id")
    return {pk: (unit, unit if kind == AdministrativeUnit.Kind.PROVINCE or parent is None else parent)
            for pk, unit, kind, parent in rows}


def responsible_agency(dossier: Dossier) -> int:
    """The agency that answers for the handling: its first handling step's agency, else the receiving point."""
    for step in dossier.plan:
        if step.get("role") in HANDLING_ROLES and step.get("agency"):
            return int(step["agency"])
    return dossier.receiving_agency_id


def _local_date(moment: datetime | None) -> Any:
    return moment.astimezone(VN_TZ).date() if moment is not None else None


def _fact(dossier: Dossier, log: list[Event], agencies: dict[int, tuple[int | None, int | None]],
          cal: WorkingCalendar) -> DossierFact:
    received_at = next((e.at for e in log if e.action == EventKind.RECEIVE), None)
    supplements = sum(1 for e in log if e.action == EventKind.REQUEST_SUPPLEMENT)
    apologized = any(e.action == EventKind.APOLOGIZE for e in log)
    paid_online = any(e.action == EventKind.PAYMENT and (e.data or {}).get("gateway")
                      and not (e.data or {}).get("refund_due") for e in log)
    ended_at: datetime | None = None
    ended_by = ""
    # the due date as it stood when handling ended (a pause after the result was ready moves the dossier's own)
    due_at = dossier.due_at
    state: dict[str, Any] = {}
    # the working time the clock stood still after acceptance: the citizen's supplement, pauses
    still = 0
    still_since: datetime | None = None
    if received_at is not None:
        for e in log:
            state.update(e.changes or {})
            if e.at < received_at:
                continue
            stopped = e.to_status in STOPPED
            if stopped and still_since is None:
                still_since = e.at
            elif not stopped and still_since is not None:
                still += cal.working_seconds_between(still_since, e.at)
                still_since = None
            if e.to_status in ENDING:
                ended_at, ended_by = e.at, ENDING[Status(e.to_status)]
                due_at = _when(state.get("due_at"))
                break
        if ended_at is None and dossier.status == Status.SUPPLEMENT_REQUESTED and supplements == 1:
            # waiting for its only supplement: ended on the request date (the clock stopped there)
            ended_at, ended_by = dossier.supplement_requested_at, EndedBy.SUPPLEMENT
            if still_since is not None and ended_at is not None and still_since < ended_at:
                still += cal.working_seconds_between(still_since, ended_at)
    outcome = ""
    if ended_at is not None and received_at is not None:
        outcome = deadlines.index_timeliness(ended_at, due_at, apologized=apologized, supplements=supplements)
    handling_days = None
    if ended_at is not None and received_at is not None:
        seconds = max(0, cal.working_seconds_between(received_at, ended_at) - still)
        handling_days = (Decimal(seconds) / Decimal(cal.seconds_per_day)).quantize(Decimal("0.01"))
    agency = responsible_agency(dossier)
    unit, province = agencies.get(agency, (None, None))
    return DossierFact(
        dossier_id=dossier.pk, code=dossier.code, event_count=dossier.event_count,
        procedure_id=dossier.procedure_id, field_id=dossier.version.field_id,
        agency_id=agency, receiving_agency_id=dossier.receiving_agency_id, unit_id=unit, province_id=province,
        channel=dossier.channel, across_boundary=routing.across_boundary(
            agencies.get(dossier.receiving_agency_id, (None, None))[0], dossier.competent_unit_id),
        full_online_eligible=dossier.version.online_level == OnlineLevel.FULL,
        status=dossier.status, submitted_at=dossier.submitted_at,
        received_at=received_at, received_on=_local_date(received_at), due_at=due_at,
        ended_at=ended_at, ended_on=_local_date(ended_at), ended_by=ended_by, outcome=outcome,
        closed_at=dossier.closed_at, withdrawn=dossier.status == Status.WITHDRAWN,
        supplements=supplements, apologized=apologized, handling_days=handling_days,
        has_fee=dossier.fee_total > 0, paid_online=paid_online,
        identity_verified=dossier.identity_verified, population_data=dossier.population_data, synced=False,
        store_synced=False,
    )


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _steps(dossier: Dossier, log: list[Event], cal: WorkingCalendar) -> list[StepFact]:
    """The visits of workflow steps, replayed from the ``changes`` of each event (``dossiers.audit.PROJECTED``).

    A visit begins when the dossier enters a step (``step_started_at`` set: a transfer, forward, approval,
    sending back, the complete supplement's return) or moves to another agency at the same step (an
    inter-agency transfer), and ends at the next such event, at a supplement request (the citizen's time is no
    step's) or when the dossier closes. Its due date follows the dossier's step due date (a resumed pause moves
    it); its officer is the last one assigned during the visit, else who moved the dossier on."""
    visits: list[StepFact] = []
    current: StepFact | None = None
    state: dict[str, Any] = {}
    for event in log:
        changes = event.changes or {}
        state.update(changes)
        if current is not None and changes.get("assignee_id"):
            current.officer_id = changes["assignee_id"]
        entered = _when(changes.get("step_started_at"))
        if entered is None and current is not None and "step_index" in changes:
            # moved on at the very moment its step began (received and transferred at once): the start time did
            # not change, so only the step index says a new step began
            entered = event.at
        closing = event.to_status in (Status.RETURNED, Status.REFUSED, Status.WITHDRAWN)
        suspended = event.action == EventKind.REQUEST_SUPPLEMENT
        moved = (current is not None and entered is None and "current_agency_id" in changes
                 and changes["current_agency_id"] != current.agency_id)
        if current is not None and (entered is not None or closing or suspended or moved):
            current.ended_at = event.at
            if current.officer_id is None and event.actor_id is not None:
                current.officer_id = event.actor_id
            if current.due_at is not None:
                current.outcome = deadlines.judge(event.at, current.due_at)
            current = None
        elif current is not None and "step_due_at" in changes:
            current.due_at = _when(changes["step_due_at"])
        if closing or (entered is None and not moved):
            continue
        index = int(state.get("step_index") or 0)
        step = dossier.plan[index] if 0 <= index < len(dossier.plan) else {}
        current = StepFact(
            dossier_id=dossier.pk, visit=len(visits), step=index, name=str(step.get("name", ""))[:500],
            role=state.get("current_role") or step.get("role", ""),
            agency_id=state.get("current_agency_id", step.get("agency")),
            started_at=entered if entered is not None else event.at, due_at=_when(state.get("step_due_at")),
        )
        visits.append(current)
    return visits
