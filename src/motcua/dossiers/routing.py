"""Which agency carries out each step of a dossier's internal workflow (the one routing rule).

The catalogue's workflow names a role and a *kind* of agency for each step; a dossier needs real agencies:

- reception and return steps (role reception/postal) stay with the point that received the dossier — a post
  office's steps are done by postal staff;
- for a commune-level procedure, the other steps go to the competent commune's People's Committee (its
  specialized divisions are part of it): the commune of the receiving point, or the one chosen at reception
  for a boundary-free procedure received elsewhere (DESIGN.md §3: routed to the *competent* agency);
- for a province-level procedure, to the procedure's processing agency (``Procedure.processing_agency``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Agency, AgencyKind, Role
from motcua.catalog.models import Level, ProcedureVersion
from motcua.core.errors import MotCuaError, NotFound
from motcua.geo.models import AdministrativeUnit
from motcua.geo.services import AmbiguousUnit, resolve_unit

FRONT_ROLES = {Role.RECEPTION, Role.POSTAL}

# Higher apps (``postal``) say here, without ``dossiers`` importing them (STYLE.md: a lower app takes a callable):
# - a reception check: ``(agency, version, channel) -> None``, raising a ``MotCuaError`` when ``agency`` may not
#   receive dossiers of ``version`` that way (a post point offering only guidance for it);
# - a front sharer: ``(agency, version) -> roles``, the other roles that do the reception and return steps at
#   ``agency`` besides the step's own (postal staff working inside a center: phase 3).
# - a step router: ``(version, steps) -> None``, which may give a middle step of the plan to another agency than
#   the handler (a step done by an agency of another province: ``integrations.peers``).
ReceptionCheck = Callable[[Agency, ProcedureVersion, str], None]
FrontSharer = Callable[[Agency, ProcedureVersion], frozenset[str]]
StepRouter = Callable[[ProcedureVersion, list[dict[str, Any]]], None]
_reception_checks: list[ReceptionCheck] = []
_front_sharers: list[FrontSharer] = []
_step_routers: list[StepRouter] = []


def check_reception_with(check: ReceptionCheck) -> None:
    """Register a reception check (see above); called from the registering app's ``AppConfig.ready``."""
    if check not in _reception_checks:
        _reception_checks.append(check)


def share_front_with(sharer: FrontSharer) -> None:
    """Register a front sharer (see above); called from the registering app's ``AppConfig.ready``."""
    if sharer not in _front_sharers:
        _front_sharers.append(sharer)


def route_steps_with(router: StepRouter) -> None:
    """Register a step router (see above); called from the registering app's ``AppConfig.ready``."""
    if router not in _step_routers:
        _step_routers.append(router)


def check_reception(agency: Agency, version: ProcedureVersion, channel: str) -> None:
    """Raise the first registered check's error if ``agency`` may not receive ``version`` through ``channel``."""
    for check in _reception_checks:
        check(agency, version, channel)


def shared_front_roles(agency: Agency, version: ProcedureVersion) -> frozenset[str]:
    roles: set[str] = set()
    for sharer in _front_sharers:
        roles |= sharer(agency, version)
    return frozenset(roles)


class RoutingError(MotCuaError):
    status = 422


def province_of(unit: AdministrativeUnit | None) -> int | None:
    """The id of the province a unit belongs to (its own for a province), without reading the province."""
    if unit is None:
        return None
    return unit.pk if unit.is_province or unit.parent_id is None else unit.parent_id


def choose_competent_unit(version: ProcedureVersion, receiving: Agency, code: str) -> AdministrativeUnit | None:
    """The competent commune of a dossier of ``version`` received at ``receiving``, from the ``code`` typed at
    reception or in the wizard (empty: the receiving point's own commune).

    Checked at the boundary (DESIGN.md §3, boundary-free reception inside a province): a commune code that exists,
    of the receiving point's province; a commune merged away resolves to the commune that replaced it
    (``geo.services.resolve_unit``), one that resolves to nothing is refused. A commune one-stop point takes a
    dossier for another commune only for a boundary-free procedure; a provincial center or a post point serves
    every commune. A province-level procedure has no competent commune: its processing agency handles it."""
    code = (code or "").strip()
    if version.level != Level.COMMUNE:
        return None
    if not code:
        if version.boundary_free and (receiving.unit is None or receiving.unit.is_province):
            raise RoutingError("competent_unit_required",
                               _("Choose the competent commune: %(agency)s serves the whole province."),
                               {"agency": receiving.name}, "competent_unit")
        return receiving.unit
    if not code.isdigit() or len(code) != 5:
        raise RoutingError("invalid_unit_code", _("%(code)s is not a commune code (5 digits)."),
                           {"code": code[:20]}, "competent_unit")
    unit = AdministrativeUnit.objects.filter(code=code).first()
    if unit is None or not unit.is_active:
        try:
            unit = resolve_unit(code)  # merged away: the commune that replaced it
        except AmbiguousUnit as exc:  # divided between several communes: the officer or citizen chooses one
            exc.location = "competent_unit"
            raise
        except NotFound:
            if unit is None:
                raise RoutingError("unknown_unit", _("No commune has the code %(code)s."), {"code": code},
                                   "competent_unit") from None
            raise RoutingError(
                "unit_dissolved",
                _("%(unit)s no longer exists and no commune is recorded as replacing it; choose the commune that "
                  "handles its area now."), {"unit": unit.name}, "competent_unit") from None
    if unit.is_province or unit.kind == AdministrativeUnit.Kind.DISTRICT:
        raise RoutingError("not_a_commune", _("%(unit)s is not a commune or ward; choose a commune."),
                           {"unit": unit.name}, "competent_unit")
    here, there = province_of(receiving.unit), province_of(unit)
    if here is not None and there is not None and here != there:
        names = dict(AdministrativeUnit.objects.filter(pk__in=(here, there)).values_list("pk", "name"))
        raise RoutingError(
            "unit_of_another_province",
            _("%(unit)s is in %(other)s, not in %(province)s: a dossier is received regardless of boundaries only "
              "inside its province."), {"unit": unit.name, "other": names.get(there, ""),
                                        "province": names.get(here, "")},
            "competent_unit")
    if (not version.boundary_free and receiving.kind == AgencyKind.COMMUNE_ONE_STOP
            and receiving.unit_id is not None and unit.pk != receiving.unit_id):
        raise RoutingError(
            "not_boundary_free",
            _("Procedure %(code)s is not received regardless of boundaries: %(agency)s receives it only for "
              "%(unit)s."), {"code": version.procedure.code, "agency": receiving.name,
                             "unit": receiving.unit.name if receiving.unit else ""}, "competent_unit")
    return unit


def competent_communes(version: ProcedureVersion, point: Agency | None) -> list[AdministrativeUnit]:
    """The communes one may pick as competent for ``version`` at ``point`` (the counter's list, the wizard's): for
    a boundary-free commune-level procedure, the existing communes of the point's province with a People's
    Committee to route the dossier to; none otherwise (the commune follows from the point)."""
    if not (version.boundary_free and version.level == Level.COMMUNE):
        return []
    units = AdministrativeUnit.objects.filter(
        is_active=True, agencies__kind=AgencyKind.PEOPLE_COMMITTEE, agencies__is_active=True)
    province = province_of(point.unit) if point is not None else None
    if province is not None:
        units = units.filter(parent_id=province)
    return list(units.distinct().order_by("name"))


def across_boundary(receiving_unit_id: int | None, competent_unit_id: int | None) -> bool:
    """A dossier *received regardless of boundary*: received at a point of another unit than its competent
    commune (a commune-level dossier; a province-level one has no competent commune)."""
    return competent_unit_id is not None and receiving_unit_id != competent_unit_id


def handling_agency(version: ProcedureVersion, unit: AdministrativeUnit | None) -> Agency:
    if version.level == Level.COMMUNE:
        agency = Agency.objects.filter(kind=AgencyKind.PEOPLE_COMMITTEE, unit=unit, is_active=True).first()
        if agency is None:
            raise RoutingError(
                "no_competent_agency",
                _("No People's Committee is set up for %(unit)s; an administrator must add it."),
                {"unit": unit.name if unit else "?"}, "competent_unit",
            )
        return agency
    agency = version.procedure.processing_agency
    if agency is None or not agency.is_active:
        raise RoutingError(
            "no_processing_agency",
            _("Procedure %(code)s has no processing agency; an administrator must set one."),
            {"code": version.procedure.code},
        )
    return agency


def routable_points(version: ProcedureVersion, points: QuerySet[Agency]) -> QuerySet[Agency]:
    """The ``points`` that can take a dossier of ``version`` without anyone choosing its competent commune (an
    online dossier): for a commune-level procedure, those in a commune that has a People's Committee — a
    provincial center cannot route it on its own (:func:`handling_agency` would refuse it at submission)."""
    if version.level != Level.COMMUNE:
        return points
    committees = Agency.objects.filter(kind=AgencyKind.PEOPLE_COMMITTEE, is_active=True).values("unit")
    return points.filter(unit__in=committees)


def plan(version: ProcedureVersion, receiving: Agency, unit: AdministrativeUnit | None) -> list[dict[str, Any]]:
    """The dossier's workflow with real agencies. A version without a workflow gets reception → handling → return."""
    steps: list[dict[str, Any]] = [
        {"name": s.name_vi, "role": s.role, "days": str(s.days)}
        for s in version.steps.all()
    ]
    if not steps or steps[0]["role"] not in FRONT_ROLES:
        steps.insert(0, {"name": "Tiếp nhận hồ sơ", "role": Role.RECEPTION, "days": "0"})
    if len(steps) == 1 or all(step["role"] in FRONT_ROLES for step in steps):
        steps.insert(1, {"name": "Giải quyết hồ sơ", "role": Role.PROCESSING, "days": str(version.processing_days)})
    if steps[-1]["role"] not in FRONT_ROLES:
        steps.append({"name": "Trả kết quả", "role": Role.RECEPTION, "days": "0"})
    if not any(step["role"] == Role.SIGNER for step in steps):
        # somebody signs and issues every result; a workflow that forgot it gets the step before the return
        steps.insert(len(steps) - 1, {"name": "Ký, ban hành kết quả", "role": Role.SIGNER, "days": "0"})
    handler = None
    front_role = Role.POSTAL if receiving.kind == AgencyKind.POST_OFFICE else Role.RECEPTION
    shared = sorted(shared_front_roles(receiving, version) - {front_role})
    for index, step in enumerate(steps):
        if step["role"] in FRONT_ROLES and index in (0, len(steps) - 1):
            step["agency"] = receiving.pk
            step["role"] = front_role
            if shared:  # e.g. postal staff doing the center's reception and return (``machine.step_roles``)
                step["shared_with"] = shared
        else:
            if step["role"] in FRONT_ROLES:
                step["role"] = Role.PROCESSING  # a front step in the middle is clerical work of the handler
            handler = handler or handling_agency(version, unit)
            step["agency"] = handler.pk
    for router in _step_routers:  # the first and last (front) steps stay with the receiving point
        router(version, steps)
    return steps
