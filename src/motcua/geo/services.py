"""Loading administrative units and resolving old units to the ones that replaced them."""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from vietnam_provinces import Province, VietNamDivisionType, Ward

from motcua.core.errors import MotCuaError, NotFound
from motcua.core.text import fold
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
    commune_merges: int = 0


@transaction.atomic
def load_units(
    *, provinces: set[str] | None = None, progress: Callable[[str], None] | None = None
) -> LoadReport:
    """Create or update provinces and communes from ``vietnam-provinces`` (idempotent), then record the 2025
    merges: the 29 province merges and the old communes of the loaded provinces (:func:`load_commune_merges`).

    ``provinces`` limits communes, and their merges, to those provinces (all 34 provinces are always loaded).
    """
    report = LoadReport()
    existing = {u.code: u for u in AdministrativeUnit.objects.all()}
    # units merged away in this database (``merge_units``) stay merged: reloading does not bring them back
    merged = set(UnitMerge.objects.filter(old_unit__isnull=False).values_list("old_unit_id", flat=True))

    def upsert(code: str, name: str, kind: str, parent: AdministrativeUnit | None) -> AdministrativeUnit:
        unit = existing.get(code)
        if unit is None:
            unit = AdministrativeUnit.objects.create(code=code, name=name, kind=kind, parent=parent)
            existing[code] = unit
            report.created += 1
        elif unit.pk in merged:
            pass
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
    report.commune_merges = load_commune_merges(provinces=provinces)
    if progress:
        progress(f"{report.merges} province merges and {report.commune_merges} commune merges recorded")
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


# --- the commune-level reorganisation of 2025 (from 10,035 communes to 3,321) ---------------------------------

COMMUNE_REORGANISATION = date(2025, 7, 1)
# the resolution of the National Assembly Standing Committee for each province, where we checked it
COMMUNE_DECISIONS = {
    "22": "Nghị quyết số 1679/NQ-UBTVQH15 ngày 16/6/2025 về việc sắp xếp các đơn vị hành chính cấp xã của tỉnh "
          "Quảng Ninh năm 2025",
}
COMMUNE_DECISION = "Nghị quyết của Ủy ban Thường vụ Quốc hội về việc sắp xếp các đơn vị hành chính cấp xã năm 2025"
_OLD_KINDS = {"Phường": AdministrativeUnit.Kind.WARD, "Xã": AdministrativeUnit.Kind.COMMUNE,
              "Thị trấn": AdministrativeUnit.Kind.TOWNSHIP}
KIND_PREFIX = re.compile(r"^(phuong|xa|thi tran|dac khu) ")


def _key(name: str) -> str:
    """``vietnamadminunits``' key of a name: folded, without spaces or punctuation (``phuongbaichay``)."""
    return re.sub(r"[^a-z0-9]", "", fold(name))


def _mapping_files() -> Path:
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("vietnamadminunits is not installed")
    # only its data files are read: importing the package loads its address parser and geocoder (geopy, shapely)
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def load_commune_merges(*, provinces: set[str] | None = None) -> int:
    """Record where each old commune, ward and township (before 1 July 2025) went: the mapping of the MIT package
    ``vietnamadminunits`` (63 provinces → 34, down to communes), its old codes and names from its legacy table,
    the new communes matched by name within their province to the units loaded from ``vietnam-provinces``.

    An old commune divided between several new ones gets a row per successor, ``divided`` set and the package's
    default successor primary. ``provinces``: only the merges into these (new) provinces. Idempotent; the number
    of rows created.
    """
    data = _mapping_files()
    mapping = json.loads((data / "converter_2025.json").read_text(encoding="utf-8"))
    with closing(sqlite3.connect(data / "dataset.db")) as db:
        legacy = {
            f"{province_key}_{district_key}_{ward_key}": (code, ward, kind, district, province_code)
            for province_key, district_key, ward_key, code, ward, kind, district, province_code in db.execute(
                "SELECT DISTINCT provinceKey, districtKey, wardKey, wardCode, ward, wardType, district, provinceCode "
                "FROM admin_units_legacy WHERE wardCode IS NOT NULL")
        }
        province_codes = dict(db.execute("SELECT DISTINCT provinceKey, provinceCode FROM admin_units"))
    wanted = {key: code for key, code in province_codes.items() if provinces is None or code in provinces}
    new_units = {
        (unit.parent.code if unit.parent else "", _key(unit.name)): unit
        for unit in AdministrativeUnit.objects.filter(parent__code__in=wanted.values()).select_related("parent")
    }

    rows: list[tuple[str, AdministrativeUnit, bool, bool]] = []  # old key, new unit, divided, primary
    for province_key, province in wanted.items():
        for new_key, old_keys in mapping["DICT_PROVINCE_WARD_NO_DIVIDED"].get(province_key, {}).items():
            unit = new_units.get((province, _key(new_key)))
            if unit is not None:
                rows.extend((old_key, unit, False, True) for old_key in old_keys)
        for old_key, parts in mapping["DICT_PROVINCE_WARD_DIVIDED"].get(province_key, {}).items():
            for part in parts:
                unit = new_units.get((province, _key(part["newWardKey"])))
                if unit is not None:
                    rows.append((old_key, unit, True, bool(part["isDefaultNewWard"])))
    existing = set(UnitMerge.objects.filter(effective_date=COMMUNE_REORGANISATION, old_province_code__gt="")
                   .values_list("old_code", "new_unit_id"))
    new = []
    for old_key, unit, divided, primary in rows:
        if old_key not in legacy:
            continue
        code, name, kind, district, old_province = legacy[old_key]
        if (code, unit.pk) in existing:
            continue
        existing.add((code, unit.pk))
        assert unit.parent is not None
        new.append(UnitMerge(
            old_code=code, old_name=name, old_kind=_OLD_KINDS.get(kind, AdministrativeUnit.Kind.COMMUNE),
            old_province_code=old_province, old_district=district or "", new_unit=unit, divided=divided,
            is_primary=primary, effective_date=COMMUNE_REORGANISATION,
            decision=COMMUNE_DECISIONS.get(unit.parent.code, COMMUNE_DECISION),
        ))
    UnitMerge.objects.bulk_create(new, batch_size=2000)
    return len(new)


class AmbiguousUnit(MotCuaError):
    """An old unit that stands for several units today (divided between them), or a name several old units had:
    ``candidates`` says which."""

    def __init__(self, code: str, message: str | Promise, params: dict[str, Any],
                 candidates: Sequence[AdministrativeUnit | str]) -> None:
        super().__init__(code, message, params)
        self.candidates = list(candidates)


@dataclass(frozen=True)
class Resolution:
    """What an old unit became: ``unit`` (its only successor, or the primary one of a divided unit) and every unit
    standing today that took a part of it (``unit`` first)."""

    unit: AdministrativeUnit
    successors: tuple[AdministrativeUnit, ...]
    old_code: str = ""
    old_name: str = ""

    @property
    def divided(self) -> bool:
        return len(self.successors) > 1


def resolve_old_unit(code: str = "", *, name: str = "", province: str = "", on: date | None = None) -> Resolution:
    """The units that stand today for an old unit, given by its old ``code``, or by its old ``name`` within its
    old ``province`` (the province's code then, e.g. ``"22"``; "Bãi Cháy" or "Phường Bãi Cháy", with or
    without diacritics).

    Unlike :func:`resolve_unit`, ``code`` is read as an *old* code first: a ward code reused by a new ward means
    the old ward here. A code that no merge names is a unit that did not change.
    """
    if not code:
        code = _old_code_by_name(name, province)
    merges = list(UnitMerge.objects.filter(old_code=code).select_related("new_unit")
                  .order_by("-effective_date", "-is_primary", "new_unit__code"))
    if on is not None:
        merges = [m for m in merges if m.effective_date <= on]
    if not merges:
        unit = resolve_unit(code, on=on)
        return Resolution(unit, (unit,), code, unit.name)
    latest = [m for m in merges if m.effective_date == merges[0].effective_date]
    successors: list[AdministrativeUnit] = []
    for merge in latest:
        for unit in _standing(merge.new_unit, on):
            if unit not in successors:
                successors.append(unit)
    return Resolution(successors[0], tuple(successors), code, latest[0].old_name)


def _standing(unit: AdministrativeUnit, on: date | None) -> list[AdministrativeUnit]:
    """``unit`` if it stands, else what it became (all of it, if it was divided in turn)."""
    if unit.is_active:
        return [unit]
    return list(resolve_old_unit(unit.code, on=on).successors)


def _old_code_by_name(name: str, province: str) -> str:
    wanted = KIND_PREFIX.sub("", fold(name))
    found: dict[str, UnitMerge] = {}
    for merge in UnitMerge.objects.filter(old_province_code=province_code(int(province)) if province.isdigit()
                                          else province):
        if KIND_PREFIX.sub("", fold(merge.old_name)) == wanted or fold(merge.old_name) == fold(name):
            found.setdefault(merge.old_code, merge)
    if not found:
        raise NotFound("old_unit_not_found", _("No old unit of province %(province)s was called %(name)s."),
                       {"province": province, "name": name})
    if len(found) > 1:
        listed = [f"{m.old_name} ({m.old_district}, {m.old_code})" for m in found.values()]
        raise AmbiguousUnit("old_unit_ambiguous",
                            _("Several old units of province %(province)s were called %(name)s: %(candidates)s. "
                              "Give the code."),
                            {"province": province, "name": name, "candidates": "; ".join(listed)}, listed)
    return next(iter(found))


def absorbed_units(unit_ids: Iterable[int]) -> set[int]:
    """These units and every unit merged into them by a live merge (``motcua merge_units``), however long the
    chain: the units whose history a report on them includes (one query; in a query, filter on
    ``unit__successor`` instead)."""
    ids = set(unit_ids)
    return ids | set(AdministrativeUnit.objects.filter(successor_id__in=ids).values_list("pk", flat=True))


def resolve_unit(code: str, *, on: date | None = None) -> AdministrativeUnit:
    """The unit that stands today (or ``on`` a date) for ``code``, following merges as far as they go.

    Data keyed on a commune or province that has since been merged still resolves: the old code leads to the
    unit that replaced it. A current unit whose code was reused from an old one is returned as it is (to read a
    code as an old one, use :func:`resolve_old_unit`). An old unit divided between several units resolves to
    none of them silently: :class:`AmbiguousUnit` names them (``candidates``, the primary one first).
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
        latest = list(merges.order_by("-effective_date", "-is_primary", "new_unit__code")[:50])
        if not latest:
            break
        merge = latest[0]
        if merge.divided:
            candidates = [m.new_unit for m in latest if m.effective_date == merge.effective_date]
            raise AmbiguousUnit(
                "unit_divided",
                _("%(name)s (%(code)s) was divided between %(candidates)s: choose one (the first took its records)."),
                {"name": merge.old_name, "code": current, "candidates": ", ".join(u.name for u in candidates)},
                candidates,
            )
        current = merge.new_unit.code
    raise NotFound("unit_not_found", _("No administrative unit has the code %(code)s."), {"code": code})


def validate_unit_code(code: str) -> None:
    if not code.isdigit() or len(code) not in (2, 5):
        raise MotCuaError(
            "invalid_unit_code",
            _("%(code)s is not a unit code (2 digits for a province, 5 for a commune)."),
            {"code": code},
        )
