"""Properties of the fee quote (exemptions) and of e-form validation, over generated inputs (hypothesis)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motcua.catalog.eforms import EFormField, clean
from motcua.catalog.fees import quote
from motcua.core.errors import ValidationFailed

codes = st.sampled_from(["poor", "disabled", "veteran", "remote"])
exemption = st.fixed_dictionaries({"code": codes, "name_vi": st.just("Miễn"), "percent": st.integers(1, 100)})
item = st.fixed_dictionaries({"name_vi": st.just("Lệ phí"), "amount": st.integers(0, 10**9), "per_field": st.just(""),
                              "exemptions": st.lists(exemption, max_size=3)})


class Version(SimpleNamespace):
    """A procedure version with its fee items, shaped like the model's ``fees`` manager."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        super().__init__(fees=SimpleNamespace(all=lambda: [SimpleNamespace(**i) for i in items]))


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(item, max_size=5), declared=st.sets(codes))
def test_an_exemption_never_raises_a_fee_and_the_largest_applies(items: list[dict[str, Any]],
                                                                 declared: set[str]) -> None:
    result = quote(Version(items), declared)
    assert quote(Version(items), ()).total == sum(i["amount"] for i in items)
    assert 0 <= result.total <= sum(i["amount"] for i in items)
    for line, source in zip(result.lines, items, strict=True):
        applicable = [e["percent"] for e in source["exemptions"] if e["code"] in declared]
        percent = max(applicable, default=0)
        assert line.due == source["amount"] * (100 - percent) // 100
        if percent == 100:
            assert line.due == 0 and line.exemption
        elif source["amount"] >= 100:
            assert line.due > 0  # a reduction never makes a real fee free


FIELDS = [
    EFormField(name="name", label_vi="Họ tên", required=True, max_length=50),
    EFormField(name="born", label_vi="Ngày sinh", type="date"),
    EFormField(name="copies", label_vi="Số bản", type="number"),
    EFormField(name="kind", label_vi="Loại", type="select", choices=[{"value": "a", "label_vi": "A"}]),  # type: ignore[list-item]
    EFormField(name="agree", label_vi="Đồng ý", type="checkbox", required=True),
]


@settings(max_examples=400, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.dictionaries(st.sampled_from(["name", "born", "copies", "kind", "agree", "extra"]),
                            st.one_of(st.text(max_size=80), st.none(), st.booleans(), st.integers())))
def test_any_typed_values_are_either_cleaned_or_refused_field_by_field(data: dict[str, Any]) -> None:
    try:
        values = clean(FIELDS, data)
    except ValidationFailed as exc:
        assert exc.errors and all(e.location.startswith("form.") for e in exc.errors)
        return
    assert set(values) == {f.name for f in FIELDS}  # unknown keys are dropped, every field has a value
    assert values["name"] and len(values["name"]) <= 50 and values["agree"] is True
    assert values["kind"] in ("", "a")
    assert values["born"] == "" or len(values["born"]) == 10  # ISO date


def test_a_fee_per_copy_follows_the_e_form_and_a_counter_dossier_pays_one() -> None:
    version = Version([{"name_vi": "Phí cấp bản sao", "amount": 8000, "exemptions": [], "per_field": "copies"}])
    assert quote(version, (), {"copies": 3}).total == 24000
    assert quote(version, (), {"copies": "2"}).lines[0].quantity == 2
    assert quote(version, (), {}).total == 8000  # no e-form (a counter dossier): one
    copies = EFormField(name="copies", label_vi="Số bản sao", type="number", required=True, min_value=1,
                        max_value=20)
    for bad in ("0", "21", "-1"):
        try:
            clean([copies], {"copies": bad})
        except ValidationFailed as exc:
            assert exc.errors[0].code == "out_of_range"
        else:
            raise AssertionError(f"{bad} copies accepted")


def test_a_citizen_id_field_is_checked() -> None:
    field = EFormField(name="other_id", label_vi="Số định danh", type="citizen_id", required=True)
    assert clean([field], {"other_id": "022 090 001 234"}) == {"other_id": "022090001234"}
    try:
        clean([field], {"other_id": "12345"})
    except ValidationFailed as exc:
        assert exc.errors[0].code == "invalid_citizen_id"
    else:
        raise AssertionError("12345 accepted as a citizen ID")
