"""Merging administrative units in live data (``motcua merge_units DECISION_FILE``), in one transaction.

A decision (a resolution of the National Assembly Standing Committee or the provincial People's Council) names the
units that cease to exist and the unit each becomes, existing or created by it. For each dissolved unit:

- its agencies move to the successor unit, unless the successor already has an active agency of the same kind:
  then the agency is closed and its staff memberships, procedure links (which agencies receive and process which
  procedures), sub-agencies and open dossiers go to that agency;
- each open dossier that involved a closed agency (received there, held there, a step planned there) or whose
  competent unit was the dissolved one is carried over with a ``reroute`` event in its log (``events.record_many``,
  the one way into the log) saying from which agency and unit to which; closed dossiers keep their history as it
  was;
- counters: a moved agency keeps its identifier code and its dossier-code counters, so its codes go on without a
  gap; a closed agency's code series ends (its codes carry its identifier, the successor's carry the successor's);
  the registers whose numbers carry no agency (results, certified copies) go on at the successor from the higher
  number of the year, so no number is issued twice in the merged register;
- the unit is marked not in existence and a :class:`~motcua.geo.models.UnitMerge` row records the merge, so its old
  code still resolves, and ``successor`` set (on it and the units merged into it before), so the reports of the
  successor include its history (``stats.scope``, ``stats.board``, ``stats.reports``).

:func:`read_decision` checks the whole file before anything is written; :func:`plan` says what would change
(the dry run prints it); :func:`apply` does it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Agency, Membership
from motcua.catalog.models import Procedure
from motcua.core.bulk import update_rows
from motcua.core.errors import MotCuaError
from motcua.dossiers import audit
from motcua.dossiers.events import record_many
from motcua.dossiers.models import CertificationCounter, Dossier, DossierAgency, ResultCounter
from motcua.dossiers.statuses import EventKind
from motcua.geo.models import AdministrativeUnit, UnitMerge

# who carried the dossiers over, in their log (the log's language, as postal.carrier.CARRIER_NAME)
ACTOR = "Hệ thống MotCua (sáp nhập đơn vị hành chính)"
PROVINCIAL = (AdministrativeUnit.Kind.PROVINCE, AdministrativeUnit.Kind.CITY)
# the kinds a unit created by a decision may have (districts and townships are gone since 1 July 2025)
CURRENT_KINDS = (*PROVINCIAL, AdministrativeUnit.Kind.WARD, AdministrativeUnit.Kind.COMMUNE,
                 AdministrativeUnit.Kind.SPECIAL_ZONE)
MOVED = ("current_agency_id", "receiving_agency_id", "plan", "competent_unit_id")
BATCH = 500


class MergeError(MotCuaError):
    """A decision file that cannot be applied: nothing was changed."""


# --- the decision file ------------------------------------------------------------------------------------------

@dataclass
class NewUnit:
    code: str
    name: str
    kind: str
    parent: str  # the province's code


@dataclass
class MergeSpec:
    old: list[str]
    into: str = ""
    new: NewUnit | None = None

    @property
    def successor_code(self) -> str:
        return self.new.code if self.new else self.into


@dataclass
class Decision:
    effective_date: date
    legal_basis: str
    merges: list[MergeSpec]


def _field(row: dict[str, Any], name: str, where: str) -> Any:
    if name not in row or row[name] in ("", None, []):
        raise MergeError("merge_field_missing", _("The decision file lacks %(field)s (%(where)s)."),
                         {"field": name, "where": where})
    return row[name]


def read_decision(path: Path) -> Decision:
    """The decision in ``path``, checked against the live units: every error is a :class:`MergeError`.

    The file: ``{"effective_date": "2026-12-01", "legal_basis": "Nghị quyết số …", "merges": [{"old": ["06661",
    "06664"], "into": "06658"}, {"old": ["06667"], "new": {"code": "99001", "name": "Phường …", "kind": "ward"}}]}``.
    """
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise MergeError("merge_file_unreadable", _("The decision file %(path)s cannot be read: %(error)s"),
                         {"path": str(path), "error": exc.strerror or str(exc)}) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise MergeError("merge_file_malformed", _("The decision file %(path)s is not valid JSON: %(error)s"),
                         {"path": str(path), "error": str(exc)}) from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("merges"), list):
        raise MergeError("merge_file_malformed",
                         _("The decision file %(path)s must be an object with a list of merges."), {"path": str(path)})
    try:
        effective = date.fromisoformat(str(_field(raw, "effective_date", "decision")))
    except ValueError as exc:
        raise MergeError("merge_bad_date", _("The effective date %(value)s is not a date (YYYY-MM-DD)."),
                         {"value": raw["effective_date"]}) from exc
    legal_basis = str(_field(raw, "legal_basis", "decision"))[:200]
    specs = []
    for number, row in enumerate(raw["merges"], start=1):
        where = f"merge {number}"
        if not isinstance(row, dict):
            raise MergeError("merge_file_malformed", _("Merge %(number)s is not an object."), {"number": number})
        old = _field(row, "old", where)
        if not isinstance(old, list) or not all(isinstance(c, str) for c in old):
            raise MergeError("merge_file_malformed", _("Merge %(number)s: old must be a list of unit codes."),
                             {"number": number})
        new = None
        if isinstance(row.get("new"), dict):
            spec = row["new"]
            kind = str(_field(spec, "kind", where))
            if kind not in CURRENT_KINDS:
                raise MergeError("merge_bad_kind", _("Merge %(number)s: %(kind)s is not a kind of unit."),
                                 {"number": number, "kind": kind})
            new = NewUnit(str(_field(spec, "code", where)), str(_field(spec, "name", where)), kind,
                          str(spec.get("parent", "")))
        elif not row.get("into"):
            raise MergeError("merge_field_missing",
                             _("Merge %(number)s names no successor: give into (a unit code) or new."),
                             {"number": number})
        specs.append(MergeSpec(old=list(old), into=str(row.get("into") or ""), new=new))
    decision = Decision(effective, legal_basis, specs)
    _check(decision)
    return decision


def _check(decision: Decision) -> None:
    named = {c for m in decision.merges for c in [*m.old, m.into, m.new.parent if m.new else ""] if c}
    units = AdministrativeUnit.objects.in_bulk(named | {m.new.code for m in decision.merges if m.new},
                                               field_name="code")
    seen: set[str] = set()
    for merge in decision.merges:
        if merge.new is not None and merge.new.code in units:
            raise MergeError("merge_new_unit_exists",
                             _("A unit with the code %(code)s already exists: it cannot be created."),
                             {"code": merge.new.code})
        for code in [*merge.old, merge.into, merge.new.parent if merge.new else ""]:
            if code and code not in units:
                raise MergeError("merge_unknown_unit", _("No administrative unit has the code %(code)s."),
                                 {"code": code})
        provincial = (units[merge.into].is_province if merge.into else
                      merge.new is not None and merge.new.kind in PROVINCIAL)
        for code in merge.old:
            if units[code].is_province != provincial:
                raise MergeError("merge_level_mismatch", _("%(name)s (%(code)s) and its successor are not of the "
                                 "same level (province, commune)."), {"name": units[code].name, "code": code})
        if merge.into and not units[merge.into].is_active:
            raise MergeError("merge_successor_gone", _("%(name)s (%(code)s) no longer exists: merge into its "
                             "successor."), {"name": units[merge.into].name, "code": merge.into})
        for code in merge.old:
            if code == merge.successor_code:
                raise MergeError("merge_into_itself", _("%(name)s (%(code)s) cannot be merged into itself."),
                                 {"name": units[code].name, "code": code})
            if code in seen:
                raise MergeError("merge_twice", _("%(name)s (%(code)s) is merged twice in the decision file."),
                                 {"name": units[code].name, "code": code})
            if not units[code].is_active or UnitMerge.objects.filter(old_unit=units[code]).exists():
                raise MergeError("merge_already_merged", _("%(name)s (%(code)s) has already been merged."),
                                 {"name": units[code].name, "code": code})
            seen.add(code)
        if merge.into in seen:
            raise MergeError("merge_twice", _("%(name)s (%(code)s) is merged away in the decision file: it cannot "
                             "take in other units."), {"name": units[merge.into].name, "code": merge.into})
    for merge in decision.merges:  # a successor dissolved by a later merge of the same file
        if merge.into and merge.into in seen:
            raise MergeError("merge_twice", _("%(name)s (%(code)s) is merged away in the decision file: it cannot "
                             "take in other units."), {"name": units[merge.into].name, "code": merge.into})


# --- what would change ----------------------------------------------------------------------------------------

@dataclass
class UnitPlan:
    """What happens to one dissolved unit."""

    old: AdministrativeUnit
    successor_code: str
    successor_name: str
    moved: list[Agency] = field(default_factory=list)  # agencies that move to the successor
    closed: dict[int, tuple[Agency, Agency]] = field(default_factory=dict)  # closed → its successor agency
    staff: int = 0  # active memberships of the unit's agencies (moved with their agency or to the successor's)
    open_dossiers: int = 0
    procedures: int = 0  # procedure links (receiving or processing) of the unit's agencies


@dataclass
class Plan:
    decision: Decision
    units: list[UnitPlan]
    created: list[NewUnit]

    def lines(self) -> list[str]:
        out = [f"{self.decision.legal_basis} — {self.decision.effective_date:%d/%m/%Y}"]
        out += [f"  + {n.name} ({n.code}, {n.kind})" for n in self.created]
        for u in self.units:
            out.append(f"  {u.old.name} ({u.old.code}) → {u.successor_name} ({u.successor_code}): "
                       f"{len(u.moved)} agencies moved, {len(u.closed)} closed, {u.staff} staff, "
                       f"{u.open_dossiers} open dossiers, {u.procedures} procedure links")
            out += [f"      {a.identifier_code} {a.name} → moved" for a in u.moved]
            out += [f"      {a.identifier_code} {a.name} → closed, into {t.identifier_code}"
                    for a, t in u.closed.values()]
        return out


def check_effective(decision: Decision, today: date | None = None) -> None:
    """Refuse a decision that does not apply yet (its effective date is after today)."""
    today = today or timezone.localdate()
    if decision.effective_date > today:
        raise MergeError("merge_not_yet_effective",
                         _("The decision takes effect on %(date)s: it can be applied from that day on (today is "
                           "%(today)s). To apply it before, give --before-effective-date."),
                         {"date": f"{decision.effective_date:%d/%m/%Y}", "today": f"{today:%d/%m/%Y}"})


def plan(decision: Decision) -> Plan:
    """What :func:`apply` would do, read only."""
    named = {c for m in decision.merges for c in [*m.old, m.into] if c}
    units = AdministrativeUnit.objects.select_related("parent").in_bulk(named, field_name="code")
    out = Plan(decision, [], [m.new for m in decision.merges if m.new])
    for merge in decision.merges:
        successor = units.get(merge.into)
        # the agencies the successor has, by kind: its own, then those moved to it by this file (simulated)
        by_kind: dict[str, Agency] = {}
        if successor is not None:
            for agency in Agency.objects.filter(unit=successor, is_active=True).order_by("pk"):
                by_kind.setdefault(agency.kind, agency)
        for code in merge.old:
            old = units[code]
            unit_plan = UnitPlan(old, merge.successor_code, merge.new.name if merge.new else successor.name
                                 if successor else "")
            agencies = list(Agency.objects.filter(unit=old, is_active=True).order_by("pk"))
            for agency in agencies:
                if agency.kind in by_kind:
                    unit_plan.closed[agency.pk] = (agency, by_kind[agency.kind])
                else:
                    unit_plan.moved.append(agency)
                    by_kind[agency.kind] = agency
            ids = [a.pk for a in agencies]
            unit_plan.staff = Membership.objects.filter(agency_id__in=ids, is_active=True).count()
            unit_plan.procedures = (Procedure.agencies.through.objects.filter(agency_id__in=ids).count()
                                    + Procedure.objects.filter(processing_agency_id__in=ids).count())
            unit_plan.open_dossiers = _open_dossiers(old, list(unit_plan.closed)).count()
            out.units.append(unit_plan)
    return out


def _open_dossiers(unit: AdministrativeUnit, closed: list[int]) -> Any:
    involved = DossierAgency.objects.filter(agency_id__in=closed).values("dossier_id")
    return Dossier.objects.filter(Q(pk__in=involved) | Q(competent_unit=unit), closed_at__isnull=True)


# --- doing it ---------------------------------------------------------------------------------------------------

@dataclass
class Applied:
    agencies_moved: int = 0
    agencies_closed: int = 0
    staff_moved: int = 0
    dossiers: int = 0
    procedures: int = 0


@transaction.atomic
def apply(decision: Decision, *, progress: Callable[[str], None] = lambda line: None,
          now: datetime | None = None) -> Applied:
    """Carry out ``decision`` (read with :func:`read_decision`) in one transaction."""
    now = now or timezone.now()
    # the units named, locked: a concurrent merge of the same units waits, then is refused by the check
    list(AdministrativeUnit.objects.select_for_update().filter(
        code__in={c for m in decision.merges for c in [*m.old, m.into] if c}).order_by("pk"))
    _check(decision)
    done = Applied()
    the_plan = plan(decision)
    successors: dict[str, AdministrativeUnit] = {}
    for merge in decision.merges:
        if merge.new is not None:
            first = AdministrativeUnit.objects.get(code=merge.old[0])
            parent = (AdministrativeUnit.objects.get(code=merge.new.parent) if merge.new.parent
                      else first.parent if first.parent_id else None)
            successors[merge.new.code] = AdministrativeUnit.objects.create(
                code=merge.new.code, name=merge.new.name, kind=merge.new.kind, parent=parent)
            progress(f"created {merge.new.name} ({merge.new.code})")
        else:
            successors[merge.into] = AdministrativeUnit.objects.get(code=merge.into)
    for unit_plan in the_plan.units:
        _merge_unit(unit_plan.old, successors[unit_plan.successor_code], unit_plan.moved, unit_plan.closed,
                    decision, done, progress, now)
    return done


def _merge_unit(old: AdministrativeUnit, successor: AdministrativeUnit, moved: list[Agency],
                closed: dict[int, tuple[Agency, Agency]], decision: Decision, done: Applied,
                progress: Callable[[str], None], now: datetime) -> None:
    target = {pk: t for pk, (_a, t) in closed.items()}
    # the dossiers first, while their agencies still stand where they stood
    dossiers = _reroute(old, successor, closed, decision, progress, now)
    done.dossiers += dossiers

    Agency.objects.filter(pk__in=[a.pk for a in moved]).update(unit=successor)
    done.agencies_moved += len(moved)
    for pk, into in target.items():
        done.staff_moved += _move_staff(pk, into)
        done.procedures += _move_procedures(pk, into)
        Agency.objects.filter(parent_id=pk).exclude(pk=into.pk).update(parent=into)
        _carry_registers(pk, into, decision.effective_date.year)
    Agency.objects.filter(pk__in=list(target)).update(is_active=False)
    done.agencies_closed += len(target)

    AdministrativeUnit.objects.filter(parent=old).update(parent=successor)
    # the unit and those merged into it earlier now stand for ``successor`` (reports count them under it)
    AdministrativeUnit.objects.filter(Q(pk=old.pk) | Q(successor=old)).update(successor=successor)
    AdministrativeUnit.objects.filter(pk=old.pk).update(is_active=False)
    UnitMerge.objects.create(
        old_code=old.code, old_name=old.name, old_kind=old.kind,
        old_province_code=old.parent.code if old.parent else "", old_unit=old, new_unit=successor,
        effective_date=decision.effective_date, decision=decision.legal_basis,
    )
    progress(f"{old.name} ({old.code}) → {successor.name} ({successor.code}): {len(moved)} agencies moved, "
             f"{len(target)} closed, {dossiers} open dossiers carried over")


def _move_staff(agency_id: int, into: Agency) -> int:
    """The closed agency's active memberships, moved to ``into`` (one already there is kept, reactivated)."""
    memberships = list(Membership.objects.filter(agency_id=agency_id, is_active=True))
    there = {(m.user_id, m.role): m for m in Membership.objects.filter(agency=into)}
    move, reactivate = [], []
    for membership in memberships:
        existing = there.get((membership.user_id, membership.role))
        if existing is None:
            move.append(membership.pk)
        else:
            reactivate.append(existing.pk)
    Membership.objects.filter(pk__in=move).update(agency=into)
    Membership.objects.filter(pk__in=reactivate).update(is_active=True)
    Membership.objects.filter(agency_id=agency_id).update(is_active=False)
    return len(memberships)


def _move_procedures(agency_id: int, into: Agency) -> int:
    links = Procedure.agencies.through.objects
    procedure_ids = list(links.filter(agency_id=agency_id).values_list("procedure_id", flat=True))
    links.bulk_create([links.model(procedure_id=p, agency_id=into.pk) for p in procedure_ids],
                      ignore_conflicts=True)
    links.filter(agency_id=agency_id).delete()
    processing = Procedure.objects.filter(processing_agency_id=agency_id).update(processing_agency=into)
    return len(procedure_ids) + processing


def _carry_registers(agency_id: int, into: Agency, year: int) -> None:
    for model in (ResultCounter, CertificationCounter):
        for counter in model.objects.filter(agency_id=agency_id, year__gte=year):
            mine = model.objects.filter(agency=into, book=counter.book, year=counter.year)
            if not mine.filter(last__gte=counter.last).exists() and not mine.update(last=counter.last):
                model.objects.create(agency=into, book=counter.book, year=counter.year, last=counter.last)
    # dossier-code counters are not carried: a code carries its agency's identifier, so the successor's series
    # and the closed agency's cannot collide, and carrying a number over would leave a gap in the successor's


def _reroute(old: AdministrativeUnit, successor: AdministrativeUnit, closed: dict[int, tuple[Agency, Agency]],
             decision: Decision, progress: Callable[[str], None], now: datetime) -> int:
    target = {pk: t for pk, (_a, t) in closed.items()}
    names = {pk: a for pk, (a, _t) in closed.items()} | {t.pk: t for t in target.values()}
    ids = list(_open_dossiers(old, list(closed)).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        chunk = list(Dossier.objects.select_for_update().filter(pk__in=ids[start:start + BATCH]).order_by("pk"))
        entries = []
        access = []
        for dossier in chunk:
            before = audit.snapshot(dossier, MOVED)
            before_current, before_receiving = dossier.current_agency_id, dossier.receiving_agency_id
            if dossier.current_agency_id in target:
                dossier.current_agency_id = target[dossier.current_agency_id].pk
            if dossier.receiving_agency_id in target:
                dossier.receiving_agency_id = target[dossier.receiving_agency_id].pk
            dossier.plan = [{**step, "agency": target[step["agency"]].pk} if step.get("agency") in target else step
                            for step in dossier.plan]
            if dossier.competent_unit_id == old.pk:
                dossier.competent_unit_id = successor.pk
            access += [DossierAgency(dossier_id=dossier.pk, agency_id=target[a].pk)
                       for a in (before_current, before_receiving) if a in target]
            access += [DossierAgency(dossier_id=dossier.pk, agency_id=s["agency"]) for s in dossier.plan
                       if s.get("agency")]
            moved_from = before_current if before_current in target else before_receiving
            moved_to = target.get(moved_from) if moved_from is not None else None
            data = {"from_unit": old.code, "from_unit_name": old.name, "to_unit": successor.code,
                    "to_unit_name": successor.name, "decision": decision.legal_basis,
                    "effective_date": decision.effective_date.isoformat()}
            if moved_from is not None and moved_to is not None:
                data |= {"from_agency": names[moved_from].identifier_code, "from_agency_name": names[moved_from].name,
                         "to_agency": moved_to.identifier_code, "to_agency_name": moved_to.name}
            # what changed, as every event carries it: the log alone rebuilds the row (``audit.verify_dossier``)
            changes = {name: value for name, value in audit.snapshot(dossier, MOVED).items() if value != before[name]}
            entries.append((dossier, EventKind.REROUTE, {
                "actor": ACTOR, "at": now, "note": decision.legal_basis, "data": data, "changes": changes,
            }))
        update_rows(chunk, ["current_agency", "receiving_agency", "plan", "competent_unit"])
        DossierAgency.objects.bulk_create(access, ignore_conflicts=True)
        record_many(entries, notify=False)
        progress(f"  {min(start + BATCH, len(ids))}/{len(ids)} dossiers of {old.name} carried over")
    return len(ids)


def summary(units: list[UnitPlan]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for u in units:
        totals["moved"] += len(u.moved)
        totals["closed"] += len(u.closed)
        totals["staff"] += u.staff
        totals["dossiers"] += u.open_dossiers
        totals["procedures"] += u.procedures
    return dict(totals)


