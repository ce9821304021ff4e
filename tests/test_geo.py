"""Administrative units after 1 July 2025, and old units that still resolve after merges."""

from datetime import date

import pytest

from motcua.core.errors import NotFound
from motcua.geo.models import AdministrativeUnit, UnitMerge
from motcua.geo.services import load_units, resolve_unit

pytestmark = pytest.mark.django_db


def test_load_units_is_complete_and_idempotent() -> None:
    first = load_units()
    assert AdministrativeUnit.objects.filter(parent__isnull=True).count() == 34
    assert AdministrativeUnit.objects.filter(parent__isnull=False).count() == 3321
    assert first.merges == 29
    again = load_units()
    assert (again.created, again.updated, again.merges) == (0, 0, 0)
    ha_tu = AdministrativeUnit.objects.get(name="Phường Hà Tu")
    assert ha_tu.parent is not None and ha_tu.parent.name == "Quảng Ninh"


def test_old_province_codes_resolve_to_the_merged_province() -> None:
    load_units(provinces={"22"})
    assert resolve_unit("30").name == "Thành phố Hải Phòng"  # Hải Dương merged into Hải Phòng
    assert resolve_unit("77").name == "Thành phố Hồ Chí Minh"  # Bà Rịa - Vũng Tàu
    assert resolve_unit("22").name == "Quảng Ninh"  # unchanged
    assert resolve_unit("15").name == "Lào Cai"  # Yên Bái's code, reused by the new Lào Cai
    with pytest.raises(NotFound):
        resolve_unit("30", on=date(2025, 6, 30))  # not merged yet on that day: no such current unit
    with pytest.raises(NotFound) as caught:
        resolve_unit("00")
    assert caught.value.code == "unit_not_found"


def test_merge_chains_are_followed() -> None:
    province = AdministrativeUnit.objects.create(code="22", name="Quảng Ninh", kind="province")
    middle = AdministrativeUnit.objects.create(code="90001", name="Phường B", kind="ward", parent=province,
                                               is_active=False)
    final = AdministrativeUnit.objects.create(code="90002", name="Phường C", kind="ward", parent=province)
    UnitMerge.objects.create(old_code="80001", old_name="Phường A", old_kind="ward", new_unit=middle,
                             effective_date=date(2020, 1, 1))
    UnitMerge.objects.create(old_code="90001", old_name="Phường B", old_kind="ward", new_unit=final,
                             effective_date=date(2025, 7, 1))
    assert resolve_unit("80001") == final
