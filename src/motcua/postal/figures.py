"""Postal figures for supervision (issue 12, item 6): per post point (or center where postal staff work) and
postal phase, for a period — dossiers received by post, home pickups requested / collected / failed, dossiers
registered for return by post, results handed to the post (shipments) and delivered on time.

Scoped to the leader's or supervisor's agencies and the agencies under them (a provincial center sees the post
points attached to it). A dossier's phase is its point's phase for its procedure (``postal.rules``), as set now.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q

from motcua.agencies.models import Agency, AgencyKind, Role
from motcua.catalog.models import Channel, Delivery
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier, Event
from motcua.dossiers.statuses import EventKind
from motcua.postal import rules
from motcua.postal.models import Phase, Pickup, PostalService, Shipment

SUPERVISING = (Role.LEADER, Role.SUPERVISOR)
COUNTS = ("received", "pickups_requested", "pickups_collected", "pickups_failed", "postal_return",
          "handed_to_post", "delivered_on_time")


@dataclass
class FigureRow:
    point: Agency
    phase: int | None
    counts: dict[str, int | None] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))

    @property
    def phase_label(self) -> Any:
        return Phase(self.phase).label if self.phase else "—"


def supervised_points(actor: Actor) -> list[Agency]:
    """The post points and postal-service centers among the actor's supervised agencies and those under them."""
    scope = set(actor.agencies_with(*SUPERVISING))
    frontier = set(scope)
    while frontier:  # the agencies under them (a few levels: province center → post points)
        frontier = set(Agency.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - scope
        scope |= frontier
    with_service = PostalService.objects.values("point_id")
    return list(Agency.objects.filter(Q(kind=AgencyKind.POST_OFFICE) | Q(pk__in=with_service), pk__in=scope)
                .order_by("name"))


def figures(actor: Actor, start: datetime, end: datetime) -> list[FigureRow]:
    """One row per (point, phase) with something in [start, end), in a constant number of queries."""
    points = {p.pk: p for p in supervised_points(actor)}
    if not points:
        return []
    ids = list(points)
    phases = _phases(ids)
    rows: dict[tuple[int, int | None], FigureRow] = {}

    def add(point_id: int, procedure_id: int, name: str, count: int) -> None:
        phase = _phase(phases, points[point_id], procedure_id)
        row = rows.setdefault((point_id, phase), FigureRow(points[point_id], phase))
        row.counts[name] = (row.counts[name] or 0) + count

    period = {"submitted_at__gte": start, "submitted_at__lt": end}
    by_post = Dossier.objects.filter(receiving_agency_id__in=ids, channel__in=[Channel.POST_OFFICE,
                                                                               Channel.HOME_PICKUP], **period)
    for point_id, procedure_id, n in by_post.values_list("receiving_agency_id", "procedure_id").annotate(
            n=Count("pk")):
        add(point_id, procedure_id, "received", n)
    # postal staff receiving inside a center (phase 3): their receive events there
    in_center = Event.objects.filter(action=EventKind.RECEIVE, role=Role.POSTAL, agency_id__in=ids, at__gte=start,
                                     at__lt=end).exclude(agency__kind=AgencyKind.POST_OFFICE)
    for point_id, procedure_id, n in in_center.values_list("agency_id", "dossier__procedure_id").annotate(
            n=Count("dossier_id", distinct=True)):
        add(point_id, procedure_id, "received", n)
    returns = Dossier.objects.filter(receiving_agency_id__in=ids, delivery=Delivery.POST, **period)
    for point_id, procedure_id, n in returns.values_list("receiving_agency_id", "procedure_id").annotate(
            n=Count("pk")):
        add(point_id, procedure_id, "postal_return", n)
    pickups = Pickup.objects.filter(point_id__in=ids)
    for name, moment in (("pickups_requested", "requested_at"), ("pickups_collected", "collected_at"),
                         ("pickups_failed", "failed_at")):
        done = pickups.filter(**{f"{moment}__gte": start, f"{moment}__lt": end})
        for point_id, procedure_id, n in done.values_list("point_id", "dossier__procedure_id").annotate(
                n=Count("pk")):
            add(point_id, procedure_id, name, n)
    _shipments(ids, start, end, add, rows)
    return sorted(rows.values(), key=lambda r: (r.point.name, r.phase or 0))


def _shipments(ids: list[int], start: datetime, end: datetime, add: Any,
               rows: dict[tuple[int, int | None], FigureRow]) -> None:
    """Results handed to the post (shipments created) and delivered on time (delivered no later than the dossier's
    due date)."""
    mine = Shipment.objects.filter(dossier__receiving_agency_id__in=ids)
    created = mine.filter(created_at__gte=start, created_at__lt=end)
    for row in created.values("dossier__receiving_agency_id", "dossier__procedure_id").annotate(n=Count("pk")):
        add(row["dossier__receiving_agency_id"], row["dossier__procedure_id"], "handed_to_post", row["n"])
    on_time = mine.filter(delivered_at__gte=start, delivered_at__lt=end, delivered_at__lte=F("dossier__due_at"))
    for row in on_time.values("dossier__receiving_agency_id", "dossier__procedure_id").annotate(n=Count("pk")):
        add(row["dossier__receiving_agency_id"], row["dossier__procedure_id"], "delivered_on_time", row["n"])


def _phases(ids: list[int]) -> dict[int, dict[int | None, int]]:
    """point → procedure (``None``: every procedure) → phase, one query."""
    table: dict[int, dict[int | None, int]] = defaultdict(dict)
    for point_id, procedure_id, phase in PostalService.objects.filter(point_id__in=ids).values_list(
            "point_id", "procedure_id", "phase"):
        table[point_id][procedure_id] = phase
    return table


def _phase(table: dict[int, dict[int | None, int]], point: Agency, procedure_id: int) -> int | None:
    """``rules.phase_of``, from the table read once."""
    return rules.phase_in(table.get(point.pk, {}), point, procedure_id)


def totals(rows: list[FigureRow]) -> dict[str, int | None]:
    result: dict[str, int | None] = {}
    for name in COUNTS:
        values = [row.counts[name] for row in rows]
        result[name] = None if any(v is None for v in values) else sum(v or 0 for v in values)
    return result
