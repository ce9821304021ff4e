"""The public figures of the service-quality index (issue 13, item 5): each commune's and each provincial
department's index on 100, its band and its rate of dossiers handled early or on time, for the current and the
previous month and quarter; and the dossiers received regardless of administrative boundaries (DESIGN.md §3)
among all those received. Figures only: no name of an applicant or officer, no dossier code."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q

from motcua.agencies.models import Agency
from motcua.geo.models import AdministrativeUnit
from motcua.stats import index
from motcua.stats.models import DossierFact
from motcua.stats.periods import Period, period_of
from motcua.stats.scope import Scope, parts_of, scope_for_province


@dataclass(frozen=True)
class Cell:
    score100: Decimal | None
    band: str
    band_label: str
    available: Decimal
    on_time: Decimal | None  # percent


@dataclass(frozen=True)
class Line:
    label: str
    kind: str  # unit (a commune) or department
    cells: list[Cell]  # one per period, in the order of ``Table.periods``


@dataclass(frozen=True)
class Table:
    province: str
    periods: list[Period]
    lines: list[Line]
    # dossiers received regardless of boundary (at a point of another unit than their competent commune), and
    # all the dossiers received, one per period
    across: list[int] = field(default_factory=list)
    received: list[int] = field(default_factory=list)

    @property
    def boundary_rows(self) -> list[tuple[Period, int, int]]:
        """(period, received regardless of boundary, all received), one row per period."""
        return list(zip(self.periods, self.across, self.received, strict=False))


def _cell(result: index.IndexResult) -> Cell:
    row = result.on_time
    return Cell(result.score100, result.band, result.band_label, result.available,
                row.ratio if row is not None else None)


def provinces() -> list[AdministrativeUnit]:
    ids = Agency.objects.filter(unit__kind=AdministrativeUnit.Kind.PROVINCE).values("unit_id")
    return list(AdministrativeUnit.objects.filter(pk__in=ids).order_by("name"))


def periods(today: date) -> list[Period]:
    month, quarter = period_of("month", today), period_of("quarter", today)
    return [month, month.previous(), quarter, quarter.previous()]


def figures(today: date) -> list[Table]:
    """One table a province: its communes and departments, the index for each of :func:`periods`."""
    tables = []
    for unit in provinces():
        parts: list[Scope] = parts_of(scope_for_province(unit))
        chosen = periods(today)
        columns = [index.compute_many(parts, period) for period in chosen]
        lines = [Line(part.label, part.kind, [_cell(column[i]) for column in columns])
                 for i, part in enumerate(parts)]
        across, received = received_across(unit, chosen)
        tables.append(Table(unit.name, chosen, lines, across, received))
    return tables


def received_across(province: AdministrativeUnit, chosen: list[Period]) -> tuple[list[int], list[int]]:
    """Per period, the province's dossiers received regardless of boundary and all those received (one query)."""
    counts = DossierFact.objects.filter(province=province).aggregate(**{
        f"{name}{i}": Count("pk", filter=Q(received_on__gte=p.first, received_on__lte=p.last, **extra))
        for i, p in enumerate(chosen) for name, extra in (("a", {"across_boundary": True}), ("r", {}))})
    return ([counts[f"a{i}"] or 0 for i in range(len(chosen))], [counts[f"r{i}"] or 0 for i in range(len(chosen))])
