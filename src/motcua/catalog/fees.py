"""The fee of a dossier: the procedure version's fee items, less the exemptions the applicant declares.

Each :class:`~motcua.catalog.models.FeeItem` may list exemptions ``{"code", "name_vi", "name_en", "percent"}``
(percent off; 100 = exempt). An applicant declares the codes that apply to them; an item is reduced by the
largest percentage among the declared exemptions it lists. Amounts are whole đồng, rounded down.

Items whose names differ only by a qualifier in brackets are alternatives, one of which is due
("Phí thẩm định (khu vực đô thị)" / "Phí thẩm định (khu vực khác)"): :func:`fee_range` says what the fees come
to before anyone's case is known, from the cheapest to the dearest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FeeLine:
    name: str
    amount: int  # the catalogue amount, times the quantity
    due: int  # after exemptions
    exemption: str = ""  # the name of the exemption applied
    quantity: int = 1  # e.g. the number of copies, for a fee "per copy"


@dataclass(frozen=True)
class FeeQuote:
    lines: list[FeeLine] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(line.due for line in self.lines)


_QUALIFIER = re.compile(r"\s*\([^()]*\)\s*$")


def base_name(name: str) -> str:
    """A fee item's name without its last qualifier in brackets (``"Phí (khu vực khác)"`` → ``"phí"``), folded to
    lower case: items with the same base name are alternatives."""
    return " ".join(_QUALIFIER.sub("", name).split()).casefold()


@dataclass(frozen=True)
class FeeRange:
    """What a version's fee items come to for one unit of each, before exemptions: ``low`` when the cheapest of
    each group of alternatives applies, ``high`` when the dearest does; ``items`` is how many the catalogue lists."""

    low: int
    high: int
    items: int

    @property
    def listed(self) -> bool:
        """The catalogue lists at least one fee item (none listed is not the same as free)."""
        return self.items > 0

    @property
    def free(self) -> bool:
        """Fee items are listed and every one is 0 đ."""
        return self.listed and self.high == 0

    @property
    def exact(self) -> bool:
        """One amount whatever the case (no alternatives of different amounts)."""
        return self.low == self.high


def fee_range(items: Iterable[Any]) -> FeeRange:
    """The range of the fee items ``items`` (``name_vi``, ``amount``): alternatives (:func:`base_name`) count once,
    from their cheapest to their dearest; the other items add up, as :func:`quote` adds them."""
    groups: dict[str, list[int]] = {}
    count = 0
    for item in items:
        groups.setdefault(base_name(item.name_vi), []).append(int(item.amount))
        count += 1
    return FeeRange(sum(min(g) for g in groups.values()), sum(max(g) for g in groups.values()), count)


def exemptions_of(version: Any) -> list[dict[str, Any]]:
    """Every exemption a version's fee items offer, once per code (for the wizard's checkboxes)."""
    seen: dict[str, dict[str, Any]] = {}
    for item in version.fees.all():
        for exemption in item.exemptions or []:
            seen.setdefault(exemption["code"], exemption)
    return list(seen.values())


def quantity(item: Any, form: Mapping[str, Any] | None) -> int:
    """How many times a fee item is due: the value of its ``per_field`` in the e-form; 1 when the fee is not
    per anything or the e-form does not say (a counter dossier: the officer collects what the paper form says)."""
    value = (form or {}).get(getattr(item, "per_field", "") or "") if getattr(item, "per_field", "") else None
    if value in (None, ""):
        return 1
    try:
        return max(0, int(float(str(value).replace(",", "."))))
    except ValueError:
        return 1


def quote(version: Any, declared: Iterable[str] = (), form: Mapping[str, Any] | None = None) -> FeeQuote:
    """The fee lines of ``version`` for the declared exemption codes and the e-form's quantities."""
    codes = set(declared)
    lines = []
    for item in version.fees.all():
        best = max((e for e in item.exemptions or [] if e["code"] in codes), key=lambda e: e["percent"],
                   default=None)
        percent = int(best["percent"]) if best else 0
        count = quantity(item, form)
        amount = item.amount * count
        lines.append(FeeLine(item.name_vi, amount, amount * (100 - percent) // 100, best["name_vi"] if best else "",
                             count))
    return FeeQuote(lines)
