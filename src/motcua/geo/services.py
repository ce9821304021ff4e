"""Loading administrative units and resolving old units to the ones that replaced them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from vietnam_provinces import Province, VietNamDivisionType, Ward

from motcua.core.errors import MotCuaError, NotFound
from motcua.geo.models import AdministrativeUnit, UnitMerge

DATA_DIR = Path(__file__).resolve().parent / "data"

_KIND_BY_DIVISION = {
    VietNamDivisionType.TINH: AdministrativeUnit.Kind.PROVINCE,
    VietNamDivisionType.THANH_PHO_TRUNG_UONG: AdministrativeUnit.Kind.CITY,
    VietNamDivisionType.PHUONG: AdministrativeUnit.Kind.WARD,
    VietNamDivisionType.XA: AdministrativeUnit.Kind.COMMUNE,
    VietNamDivisionType.DAC_KHU: AdministrativeUnit.Kind.SPECIAL_ZONE,
}


def province_code(code: int) -> str:
    return f"{int(code):02d}"


def ward_code(code: int) -> str:
    return f"{int(code):05d}"


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    merges: int = 0


@transaction.atomic
def load_units(
    *, provinces: set[str] | None = None, progress: Callable[[str], None] | None = None
) -> LoadReport:
    """Create or update provinces and communes from ``vietnam-provinces`` (idempotent).

    ``provinces`` limits communes to those provinces (all 34 provinces are always loaded).
    """
    report = LoadReport()
    existing = {u.code: u for u in AdministrativeUnit.objects.all()}

    def upsert(code: str, name: str, kind: str, parent: AdministrativeUnit | None) -> AdministrativeUnit:
        unit = existing.get(code)
        if unit is None:
            unit = AdministrativeUnit.objects.create(code=code, name=name, kind=kind, parent=parent)
            existing[code] = unit
            report.created += 1
        elif (unit.name, unit.kind, unit.parent_id, unit.is_active) != (name, kind, parent and parent.pk, True):
            unit.name, unit.kind, unit.parent, unit.is_active = name, kind, parent, True
            unit.save()
            report.updated += 1
        return unit

    province_rows = {}
    for prov in Province.iter_all():
        code = province_code(prov.code)
        province_rows[code] = upsert(code, prov.name, _KIND_BY_DIVISION[prov.division_type], None)
    if progress:
        progress(f"{len(province_rows)} provinces")

    new_wards = []
    for ward in Ward.iter_all():
        parent_code = province_code(ward.province_code)
        if provinces and parent_code not in provinces:
            continue
        code = ward_code(ward.code)
        kind = _KIND_BY_DIVISION.get(ward.division_type, AdministrativeUnit.Kind.COMMUNE)
        if code in existing:
            upsert(code, ward.name, kind, province_rows[parent_code])
        else:
            new_wards.append(
                AdministrativeUnit(code=code, name=ward.name, kind=kind, parent=province_rows[parent_code])
            )
    AdministrativeUnit.objects.bulk_create(new_wards, batch_size=1000)
    report.created += len(new_wards)
    if progress:
        progress(f"{report.created} units created, {report.updated} updated")

    report.merges = load_merges(DATA_DIR / "province_merges_2025.json")
    return report


def load_merges(path: Path) -> int:
    """Record merges from a JSON list of ``{old_code, old_name, old_kind, new_code, effective_date, decision}``.

    Old units that are not current units are kept as inactive rows so that foreign keys on them stay valid.
    """
    count = 0
    rows = json.loads(path.read_text(encoding="utf-8"))
    units = AdministrativeUnit.objects.in_bulk({row["new_code"] for row in rows}, field_name="code")
    for row in rows:
        new_unit = units.get(row["new_code"])
        if new_unit is None:
            raise AdministrativeUnit.DoesNotExist(f"No administrative unit has the code {row['new_code']}.")
        _, created = UnitMerge.objects.update_or_create(
            old_code=row["old_code"],
            old_kind=row["old_kind"],
            effective_date=date.fromisoformat(row["effective_date"]),
            defaults={"old_name": row["old_name"], "new_unit": new_unit, "decision": row.get("decision", "")},
        )
        count += created
    return count


def resolve_unit(code: str, *, on: date | None = None) -> AdministrativeUnit:
    """The unit that stands today (or ``on`` a date) for ``code``, following merges as far as they go.

    Data keyed on a commune or province that has since been merged still resolves: the old code leads to the
    unit that replaced it. A current unit whose code was reused from an old one is returned as it is.
    """
    seen: set[str] = set()
    current = code
    while current not in seen:
        seen.add(current)
        unit = AdministrativeUnit.objects.filter(code=current, is_active=True).first()
        if unit is not None:
            return unit
        merges = UnitMerge.objects.filter(old_code=current).select_related("new_unit")
        if on is not None:
            merges = merges.filter(effective_date__lte=on)
        merge = merges.order_by("-effective_date").first()
        if merge is None:
            break
        current = merge.new_unit.code
    raise NotFound("unit_not_found", _("No administrative unit has the code %(code)s."), {"code": code})


def validate_unit_code(code: str) -> None:
    if not code.isdigit() or len(code) not in (2, 5):
        raise MotCuaError(
            "invalid_unit_code",
            _("%(code)s is not a unit code (2 digits for a province, 5 for a commune)."),
            {"code": code},
        )
