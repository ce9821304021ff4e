"""The postal phases and home pickup, as one set of rules: may this point receive this procedure, in which phase,
does it collect papers at this address (the Hạ Long pilot; Decision 45/2016/QĐ-TTg, Circular 17/2017/TT-BTTTT).

A point × procedure row of :class:`~motcua.postal.models.PostalService` says it; the row for the procedure wins
over the point's row for every procedure. Without any row a post point keeps reception and return (phase 2, what
post points did before phases were set) and a center has no postal staff doing its front work.

``dossiers`` asks through the hooks it takes (``routing.check_reception_with`` / ``share_front_with``),
registered in ``PostalConfig.ready``: it never imports ``postal``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Agency, AgencyKind, Role
from motcua.catalog.models import Channel, ProcedureVersion
from motcua.core.calendar import calendar_for
from motcua.core.errors import MotCuaError
from motcua.geo.models import AdministrativeUnit
from motcua.postal.models import Phase, PostalService

POSTAL_CHANNELS = (Channel.POST_OFFICE, Channel.HOME_PICKUP)


GUIDANCE_ONLY = _("%(point)s only guides applicants for this procedure (postal phase 1): the dossier is filed "
                  "online or at the one-stop department, not received here.")


class GuidanceOnly(MotCuaError):
    """Phase 1: the post point guides the applicant but does not receive this procedure's dossiers."""

    status = 422


class OutsideServiceArea(MotCuaError):
    status = 422


def service_for(point: Agency, procedure_id: int) -> PostalService | None:
    """The point's postal service row for the procedure (the procedure's own row before the point's default)."""
    rows = PostalService.objects.filter(Q(procedure_id=procedure_id) | Q(procedure__isnull=True), point=point)
    return _most_specific(list(rows)).get(point.pk)


def _most_specific(rows: list[PostalService]) -> dict[int, PostalService]:
    """Per point, its procedure's row if it has one, else its default row."""
    chosen: dict[int, PostalService] = {}
    for row in rows:
        if row.point_id not in chosen or row.procedure_id is not None:
            chosen[row.point_id] = row
    return chosen


def phase_in(phases: Mapping[int | None, int], point: Agency, procedure_id: int) -> int | None:
    """The phase rule, from the point's rows (procedure id → phase; ``None``: every procedure): the procedure's own
    row, else the point's default row, else 2 for a post point and ``None`` (no postal service) for any other
    agency. Pages that read many points' rows at once ask it too (``postal.figures``)."""
    if procedure_id in phases:
        return phases[procedure_id]
    if None in phases:
        return phases[None]
    return Phase.RECEPTION if point.kind == AgencyKind.POST_OFFICE else None


def phase_of(point: Agency, procedure_id: int) -> int | None:
    """The phase the point works ``procedure_id`` in (:func:`phase_in`), one query."""
    rows = PostalService.objects.filter(Q(procedure_id=procedure_id) | Q(procedure__isnull=True), point=point)
    return phase_in(dict(rows.values_list("procedure_id", "phase")), point, procedure_id)


def check_reception(point: Agency, version: ProcedureVersion, channel: str) -> None:
    """The ``dossiers.routing`` reception check: a post point in phase 1 for this procedure only guides."""
    if point.kind != AgencyKind.POST_OFFICE:
        return
    if phase_of(point, version.procedure_id) == Phase.GUIDANCE:
        raise GuidanceOnly(
            "postal_guidance_only",
            GUIDANCE_ONLY,
            {"point": point.name}, "receiving_agency",
        )


def shared_front_roles(point: Agency, version: ProcedureVersion) -> frozenset[str]:
    """The ``dossiers.routing`` front sharer: in phase 3 postal staff of a center receive and return there."""
    if point.kind == AgencyKind.POST_OFFICE:
        return frozenset()
    row = service_for(point, version.procedure_id)
    return frozenset({Role.POSTAL}) if row is not None and row.phase == Phase.IN_CENTER else frozenset()


# --- home pickup --------------------------------------------------------------------------------------------


def pickup_offered(version: ProcedureVersion) -> bool:
    """The procedure's version offers home pickup and some point collects it."""
    return Channel.HOME_PICKUP in version.channels and bool(pickup_services(version))


def pickup_services(version: ProcedureVersion) -> list[PostalService]:
    """The rows that offer home pickup for ``version`` at active post points receiving it in phase 2, with their
    points and areas read (a point's row for the procedure decides for it, even when it offers no pickup)."""
    if Channel.HOME_PICKUP not in version.channels:
        return []
    rows = PostalService.objects.filter(
        Q(procedure_id=version.procedure_id) | Q(procedure__isnull=True),
        point__is_active=True, point__kind=AgencyKind.POST_OFFICE,
    ).select_related("point__unit").prefetch_related("service_area").order_by("point__name", "pk")
    if not version.boundary_free:
        rows = rows.filter(point__procedures=version.procedure_id)
    return [row for row in _most_specific(list(rows)).values() if row.home_pickup and row.phase == Phase.RECEPTION]


def area_of(row: PostalService) -> list[AdministrativeUnit]:
    return list(row.service_area.all()) or [row.point.unit]


def pickup_communes(version: ProcedureVersion) -> list[AdministrativeUnit]:
    """Every commune some point collects papers of ``version`` in (what the booking form offers)."""
    seen: dict[int, AdministrativeUnit] = {}
    for row in pickup_services(version):
        for unit in area_of(row):
            seen.setdefault(unit.pk, unit)
    return sorted(seen.values(), key=lambda unit: unit.name)


@dataclass(frozen=True)
class PickupOffer:
    point: Agency
    postage: int
    commune: AdministrativeUnit


def pickup_point(version: ProcedureVersion, commune_code: str) -> PickupOffer:
    """The post point that collects papers of ``version`` in commune ``commune_code``, or
    :class:`OutsideServiceArea`."""
    for row in pickup_services(version):
        for unit in area_of(row):
            if unit.code == commune_code:
                return PickupOffer(row.point, row.pickup_postage, unit)
    raise OutsideServiceArea(
        "outside_service_area",
        _("This address is outside the service area of the post points that collect papers for this procedure. "
          "Choose another commune, or submit the dossier another way."),
        location="pickup_commune",
    )


def check_window(point: Agency, start: datetime, end: datetime, now: datetime) -> None:
    """A pickup window: in the future, inside one working day's working hours of the point, and at least
    ``MOTCUA_PICKUP_MIN_WINDOW_HOURS`` long."""
    calendar = calendar_for(point.working_periods or None)
    minimum = timedelta(hours=settings.MOTCUA_PICKUP_MIN_WINDOW_HOURS)
    if start <= now:
        raise MotCuaError("window_in_past", _("Choose a time window in the future."), location="pickup_start")
    if end <= start:
        raise MotCuaError("window_reversed", _("The time window ends before it starts: swap the two times."),
                          location="pickup_end")
    if end - start < minimum:
        raise MotCuaError("window_too_short", _("The time window must be at least %(hours)s hours long."),
                          {"hours": settings.MOTCUA_PICKUP_MIN_WINDOW_HOURS}, "pickup_end")
    local_start, local_end = calendar.localize(start), calendar.localize(end)
    if (local_start.date() != local_end.date() or not calendar.is_working_moment(local_start)
            or not calendar.is_working_moment(local_end)):
        raise MotCuaError("window_outside_hours",
                          _("The post collects papers within working hours of a working day; choose a window inside "
                            "them."), location="pickup_start")
