"""Who sees which figures (issue 13, "scoped"): a leader or supervisor sees the agencies of their level.

- a supervisor or leader of a provincial agency with no parent (the Public Administration Service Center) sees the
  whole province: every agency whose unit is the province or one of its communes;
- of a commune agency (one-stop department, People's Committee, post point): every agency of that commune;
- of a provincial department: that department and the agencies under it.

Staff without a leader or supervisor role see nothing here (their own queues are in the workspace).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.agencies.models import Agency, AgencyKind, Role
from motcua.core.errors import MotCuaError
from motcua.dossiers.actors import Actor
from motcua.geo.models import AdministrativeUnit

SUPERVISING = (Role.LEADER, Role.SUPERVISOR)
KEY = re.compile(r"[puda][0-9]{1,10}")  # p<unit> a province, u<unit> a commune, d<agency> a department, a<agency>


class UnknownScope(MotCuaError):
    """A scope key that is no scope at all (a known scope outside the user's is a PermissionDenied)."""

    status = 400


def check_key(key: str) -> None:
    """Raise :class:`UnknownScope` unless ``key`` is empty or written as a scope key."""
    if key and not KEY.fullmatch(key):
        raise UnknownScope("unknown_scope", gettext_lazy(
            "Unknown scope %(key)s: write p<id> (a province), u<id> (a commune), d<id> (a department) or a<id> (an "
            "agency), or choose one from the list."), {"key": key[:20]}, "scope")


@dataclass(frozen=True)
class Scope:
    agency_ids: frozenset[int]
    province_ids: frozenset[int]  # the provinces seen whole
    unit_ids: frozenset[int]  # the communes seen whole
    key: str = ""  # as written in a URL: p<unit> a province, u<unit> a commune, d<agency> a department, a<agency>
    label: str = ""
    kind: str = ""  # province, unit, department, agency (empty: a user's whole scope)

    def __bool__(self) -> bool:
        return bool(self.agency_ids)

    def allows(self, agency_id: int | None) -> bool:
        return agency_id in self.agency_ids


def scope_of(actor: Actor) -> Scope:
    own = list(Agency.objects.filter(pk__in=actor.agencies_with(*SUPERVISING))
               .select_related("unit"))
    agencies: set[int] = set()
    provinces: set[int] = set()
    units: set[int] = set()
    for agency in own:
        if agency.parent_id is None and agency.kind == AgencyKind.SERVICE_CENTER \
                and agency.unit.kind == AdministrativeUnit.Kind.PROVINCE:
            provinces.add(agency.unit_id)
        elif agency.unit.kind != AdministrativeUnit.Kind.PROVINCE:
            units.add(agency.unit_id)
        else:
            agencies.add(agency.pk)
            frontier = {agency.pk}
            while frontier:
                frontier = set(Agency.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - agencies
                agencies |= frontier
    if provinces or units:
        # a commune's figures include those of the communes merged into it (``merge_units``), so that they run on
        # across the merge; a province's already do (the merged communes keep their province)
        agencies |= set(Agency.objects.filter(Q(unit_id__in=provinces) | Q(unit__parent_id__in=provinces)
                                              | Q(unit_id__in=units) | Q(unit__successor_id__in=units))
                        .values_list("pk", flat=True))
    return Scope(frozenset(agencies), frozenset(provinces), frozenset(units))


# --- scopes of one province, commune, department or agency (the index's choices and breakdowns) ---------------

def scope_for_province(unit: AdministrativeUnit) -> Scope:
    """Every agency of the province ``unit`` and of its communes."""
    ids = Agency.objects.filter(Q(unit=unit) | Q(unit__parent=unit)).values_list("pk", flat=True)
    return Scope(frozenset(ids), frozenset({unit.pk}), frozenset(), f"p{unit.pk}", unit.name, "province")


def scope_for_unit(unit: AdministrativeUnit) -> Scope:
    """Every agency of the commune ``unit`` (its one-stop department, People's Committee, post points), and those of
    the communes merged into it, closed or not: the commune's reports run on across a merge."""
    ids = Agency.objects.filter(Q(unit=unit) | Q(unit__successor=unit)).values_list("pk", flat=True)
    return Scope(frozenset(ids), frozenset(), frozenset({unit.pk}), f"u{unit.pk}", unit.name, "unit")


def _descendants(root: Agency, among: list[Agency] | None = None) -> set[int]:
    """``root`` and the agencies under it in the same administrative unit (a commune's one-stop department may
    hang under the province's service center: it belongs to its commune, not to the center). ``among``: the
    agencies to look in, already read (else they are read, one query a level)."""
    found = {root.pk}
    frontier = {root.pk}
    while frontier:
        if among is None:
            below = set(Agency.objects.filter(parent_id__in=frontier, unit_id=root.unit_id)
                        .values_list("pk", flat=True))
        else:
            below = {a.pk for a in among if a.parent_id in frontier and a.unit_id == root.unit_id}
        frontier = below - found
        found |= frontier
    return found


def scope_for_department(agency: Agency) -> Scope:
    """A provincial department (or the service center) and the agencies under it."""
    return Scope(frozenset(_descendants(agency)), frozenset(), frozenset(), f"d{agency.pk}", agency.name,
                 "department")


def scope_for_agency(agency: Agency) -> Scope:
    return Scope(frozenset({agency.pk}), frozenset(), frozenset(), f"a{agency.pk}", agency.name, "agency")


def parts_of(scope: Scope) -> list[Scope]:
    """What ``scope`` breaks down into, so a supervisor sees who is behind: a province into its communes and its
    departments (the province-level agencies without a province-level parent, each with those under it); a
    commune into its agencies; a department into itself and the agencies under it."""
    agencies = list(Agency.objects.filter(pk__in=scope.agency_ids).select_related("unit__successor")
                    .order_by("name"))
    if scope.kind in ("unit", "department", "agency"):
        return [scope_for_agency(a) for a in agencies] if len(agencies) > 1 else []
    by_pk = {a.pk: a for a in agencies}
    parts: list[Scope] = []
    units: dict[int, str] = {}
    commune_agencies: dict[int, set[int]] = {}
    for agency in agencies:
        if agency.unit.kind == AdministrativeUnit.Kind.PROVINCE:
            parent = by_pk.get(agency.parent_id) if agency.parent_id else None
            if parent is None or parent.unit_id != agency.unit_id:
                ids = frozenset(_descendants(agency, agencies))
                parts.append(Scope(ids, frozenset(), frozenset(), f"d{agency.pk}", agency.name, "department"))
        else:
            standing = agency.unit.successor or agency.unit  # a merged commune's agencies: of the one it became
            unit_id, name = standing.pk, standing.name
            units[unit_id] = name
            commune_agencies.setdefault(unit_id, set()).add(agency.pk)
    for unit_id, name in sorted(units.items(), key=lambda u: u[1]):
        parts.append(Scope(frozenset(commune_agencies[unit_id]), frozenset(), frozenset({unit_id}), f"u{unit_id}",
                           name, "unit"))
    return parts


def choices_of(scope: Scope) -> list[Scope]:
    """The scopes a user with ``scope`` may choose: their whole scope (each province seen whole, else each commune
    seen whole, else the departments), then its parts."""
    first: list[Scope] = []
    for unit in AdministrativeUnit.objects.filter(pk__in=scope.province_ids).order_by("name"):
        first.append(scope_for_province(unit))
    if not first:
        for unit in AdministrativeUnit.objects.filter(pk__in=scope.unit_ids).order_by("name"):
            first.append(scope_for_unit(unit))
    if not first and scope:
        first.append(Scope(scope.agency_ids, frozenset(), frozenset(), "", str(_("All my agencies")), "all"))
    seen = {s.key for s in first}
    out = list(first)
    for whole in first:
        for part in parts_of(whole):
            if part.key not in seen and part.agency_ids <= scope.agency_ids:
                out.append(part)
                seen.add(part.key)
    return out


def choose(scope: Scope, key: str) -> Scope | None:
    """The scope written ``key`` if it lies within ``scope`` (else None); empty: the first choice."""
    options = choices_of(scope)
    if not key:
        return options[0] if options else None
    for option in options:
        if option.key == key:
            return option
    kind, number = key[:1], key[1:]
    if not number.isdigit():
        return None
    found: Scope | None = None
    if kind == "a":
        agency = Agency.objects.filter(pk=int(number)).first()
        found = scope_for_agency(agency) if agency else None
    elif kind == "d":
        agency = Agency.objects.filter(pk=int(number)).first()
        found = scope_for_department(agency) if agency else None
    elif kind == "u":
        unit = AdministrativeUnit.objects.filter(pk=int(number)).first()
        found = scope_for_unit(unit) if unit else None
    if found is None or not found.agency_ids or not found.agency_ids <= scope.agency_ids:
        return None
    return found
