"""The fee of a dossier: the procedure version's fee items, less the exemptions the applicant declares.

Each :class:`~motcua.catalog.models.FeeItem` may list exemptions ``{"code", "name_vi", "name_en", "percent"}``
(percent off; 100 = exempt). An applicant declares the codes that apply to them; an item is reduced by the
largest percentage among the declared exemptions it lists. Amounts are whole đồng, rounded down.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FeeLine:
    name: str
    amount: int  # the catalogue amount
    due: int  # after exemptions
    exemption: str = ""  # the name of the exemption applied


@dataclass(frozen=True)
class FeeQuote:
    lines: list[FeeLine] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(line.due for line in self.lines)


def exemptions_of(version: Any) -> list[dict[str, Any]]:
    """Every exemption a version's fee items offer, once per code (for the wizard's checkboxes)."""
    seen: dict[str, dict[str, Any]] = {}
    for item in version.fees.all():
        for exemption in item.exemptions or []:
            seen.setdefault(exemption["code"], exemption)
    return list(seen.values())


def quote(version: Any, declared: Iterable[str] = ()) -> FeeQuote:
    codes = set(declared)
    lines = []
    for item in version.fees.all():
        best = max((e for e in item.exemptions or [] if e["code"] in codes), key=lambda e: e["percent"],
                   default=None)
        percent = int(best["percent"]) if best else 0
        due = item.amount * (100 - percent) // 100
        lines.append(FeeLine(item.name_vi, item.amount, due, best["name_vi"] if best else ""))
    return FeeQuote(lines)
