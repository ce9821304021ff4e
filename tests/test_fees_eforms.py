"""Properties of the fee quote (exemptions) and of e-form validation, over generated inputs (hypothesis)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motcua.catalog.eforms import EFormField, clean
from motcua.core.errors import ValidationFailed
from motcua.payments.fees import quote

codes = st.sampled_from(["poor", "disabled", "veteran", "remote"])
exemption = st.fixed_dictionaries({"code": codes, "name_vi": st.just("Miễn"), "percent": st.integers(1, 100)})
item = st.fixed_dictionaries({"name_vi": st.just("Lệ phí"), "amount": st.integers(0, 10**9),
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
