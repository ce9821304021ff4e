"""Who sees which figures (issue 13, "scoped"): a leader or supervisor sees the agencies of their level.

- a supervisor or leader of a provincial agency with no parent (the Public Administration Service Center) sees the
  whole province: every agency whose unit is the province or one of its communes;
- of a commune agency (one-stop department, People's Committee, post point): every agency of that commune;
- of a provincial department: that department and the agencies under it.

Staff without a leader or supervisor role see nothing here (their own queues are in the workspace).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from motcua.agencies.models import Agency, AgencyKind, Role
from motcua.dossiers.actors import Actor
from motcua.geo.models import AdministrativeUnit

SUPERVISING = (Role.LEADER, Role.SUPERVISOR)


@dataclass(frozen=True)
class Scope:
    agency_ids: frozenset[int]
    province_ids: frozenset[int]  # the provinces seen whole
    unit_ids: frozenset[int]  # the communes seen whole

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
        agencies |= set(Agency.objects.filter(Q(unit_id__in=provinces) | Q(unit__parent_id__in=provinces)
                                              | Q(unit_id__in=units)).values_list("pk", flat=True))
    return Scope(frozenset(agencies), frozenset(provinces), frozenset(units))
