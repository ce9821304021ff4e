"""The 2025 commune-level merges (vietnamadminunits' mapping) checked against Quảng Ninh's resolution, and old
codes and names that resolve to the new units, divided communes naming every successor."""

from collections import Counter

import pytest

from motcua.core.errors import NotFound
from motcua.core.text import fold
from motcua.geo.models import AdministrativeUnit, UnitMerge
from motcua.geo.services import KIND_PREFIX, AmbiguousUnit, load_units, resolve_old_unit, resolve_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def quang_ninh() -> AdministrativeUnit:
    load_units(provinces={"22"})
    return AdministrativeUnit.objects.get(code="22")


def formed(new_name: str) -> tuple[set[str], set[str]]:
    """The old units (folded names without their kind) wholly in, and partly in, the new unit of Quảng Ninh."""
    whole, part = set(), set()
    for merge in UnitMerge.objects.filter(new_unit__parent__code="22", new_unit__name=new_name):
        name = fold(merge.old_name).removeprefix("phuong ").removeprefix("xa ").removeprefix("thi tran ")
        (part if merge.divided else whole).add(name)
    return whole, part


def test_quang_ninh_goes_from_171_communes_to_54(quang_ninh: AdministrativeUnit) -> None:
    merges = UnitMerge.objects.filter(old_province_code="22")
    assert merges.values("old_code").distinct().count() == 171  # 73 wards, 7 townships, 91 communes (1/11/2024)
    kinds = Counter(m.old_kind for m in merges.filter(is_primary=True))
    assert kinds == {"ward": 73, "township": 7, "commune": 91}
    assert merges.values("new_unit").distinct().count() == 54
    assert quang_ninh.children.count() == 54
    assert all(m.decision.startswith("Nghị quyết số 1679/NQ-UBTVQH15") for m in merges)
    # every old commune has exactly one primary successor
    assert merges.filter(is_primary=True).count() == 171


def test_rows_of_resolution_1679(quang_ninh: AdministrativeUnit) -> None:
    # art. 1 §1: the communes Bằng Cả, Dân Chủ, Tân Dân and Quảng La form the commune Quảng La
    assert formed("Xã Quảng La") == ({"bang ca", "dan chu", "tan dan", "quang la"}, set())
    # §2: Vũ Oai, Hòa Bình, Thống Nhất and a part of Đồng Lâm form the commune Thống Nhất
    assert formed("Xã Thống Nhất") == ({"vu oai", "hoa binh", "thong nhat"}, {"dong lam"})
    # §4: the township Tiên Yên, Phong Dụ, Tiên Lãng and parts of Yên Than, Đại Dực, Đông Ngũ, Vô Ngại form Tiên Yên
    assert formed("Xã Tiên Yên") == ({"tien yen", "phong du", "tien lang"},
                                     {"yen than", "dai duc", "dong ngu", "vo ngai"})
    # the wards Hồng Gai, Bạch Đằng and Trần Hưng Đạo form the ward Hồng Gai
    assert formed("Phường Hồng Gai")[0] == {"hong gai", "bach dang", "tran hung dao"}


def test_old_codes_and_names_resolve(quang_ninh: AdministrativeUnit) -> None:
    bai_chay = resolve_old_unit(name="Bãi Cháy", province="22")
    assert bai_chay.unit.name == "Phường Bãi Cháy" and not bai_chay.divided
    assert resolve_old_unit(name="phuong bach dang", province="22").unit.name == "Phường Hồng Gai"
    by_code = resolve_old_unit(bai_chay.old_code)
    assert by_code.unit == bai_chay.unit and by_code.old_name == "Phường Bãi Cháy"
    with pytest.raises(NotFound) as caught:
        resolve_old_unit(name="Không Có", province="22")
    assert caught.value.code == "old_unit_not_found"


def test_a_divided_commune_names_every_successor(quang_ninh: AdministrativeUnit) -> None:
    dong_lam = resolve_old_unit(name="Xã Đồng Lâm", province="22")
    assert dong_lam.divided
    assert {u.name for u in dong_lam.successors} == {"Xã Thống Nhất", "Phường Hoành Bồ"}
    primary = UnitMerge.objects.get(old_code=dong_lam.old_code, is_primary=True).new_unit
    assert dong_lam.unit == primary == dong_lam.successors[0]
    # resolve_unit does not pick one silently: it names them, the primary one first
    current = set(AdministrativeUnit.objects.filter(is_active=True).values_list("code", flat=True))
    divided = UnitMerge.objects.filter(old_province_code="22", divided=True).exclude(old_code__in=current)
    code = divided.first().old_code
    with pytest.raises(AmbiguousUnit) as caught:
        resolve_unit(code)
    assert caught.value.code == "unit_divided"
    assert caught.value.candidates[0] == UnitMerge.objects.get(old_code=code, is_primary=True).new_unit
    assert len(caught.value.candidates) == divided.filter(old_code=code).count() >= 2


def test_a_name_two_old_communes_had_asks_for_the_code(quang_ninh: AdministrativeUnit) -> None:
    names = Counter(KIND_PREFIX.sub("", fold(m.old_name))
                    for m in UnitMerge.objects.filter(old_province_code="22", is_primary=True))
    repeated = next(name for name, count in names.items() if count > 1)
    with pytest.raises(AmbiguousUnit) as caught:
        resolve_old_unit(name=repeated, province="22")
    assert caught.value.code == "old_unit_ambiguous" and len(caught.value.candidates) == names[repeated]


def test_loading_is_idempotent_and_loads_every_province() -> None:
    first = load_units()
    assert first.commune_merges > 10_035  # every old commune, the divided ones once per successor
    assert load_units().commune_merges == 0
    assert UnitMerge.objects.filter(old_province_code__gt="").values("old_code").distinct().count() == 10_035
