"""The fields a result template (``catalog.ResultTemplate``) may use: the one list, each with its label and a
sample value for the admin's preview.

A template names them as ``{{ applicant.name }}`` or ``{{ form.other_party_name }}``: the fixed fields below, plus
``form.<name>`` for each field of the procedure version's e-form (``catalog.eforms``). The values are filled by
``dossiers.results.result_context`` from the dossier; every value is text (dates as dd/mm/yyyy), so a template
needs no formatting of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from motcua.catalog.eforms import EFormField


@dataclass(frozen=True)
class ResultField:
    path: str  # "applicant.name"
    label: Promise | str
    sample: str  # what the admin's preview shows


FIELDS: tuple[ResultField, ...] = (
    ResultField("dossier.code", _("Dossier code"), "000.01.21.H22-261125-0001"),
    ResultField("dossier.received_at", _("Date the dossier was accepted"), "20/11/2026"),
    ResultField("dossier.due_at", _("Date the result is due"), "27/11/2026"),
    ResultField("procedure.code", _("Procedure code"), "1.000894"),
    ResultField("procedure.name", _("Procedure name"), "Đăng ký kết hôn"),
    ResultField("applicant.name", _("Applicant's name"), "Nguyễn Văn An"),
    ResultField("applicant.id_number", _("Applicant's citizen ID or tax code"), "022090001234"),
    ResultField("applicant.address", _("Applicant's address"), "Tổ 3, khu 5, phường Hà Tu, tỉnh Quảng Ninh"),
    ResultField("applicant.kind", _("Applicant kind (person or organization)"), "Công dân"),
    ResultField("applicant.phone", _("Applicant's phone"), "0912345678"),
    ResultField("agency.name", _("Issuing agency"), "Ủy ban nhân dân phường Hà Tu"),
    ResultField("agency.superior", _("The issuing agency's superior body"), "Ủy ban nhân dân tỉnh Quảng Ninh"),
    ResultField("agency.unit", _("Administrative unit of the issuing agency"), "Phường Hà Tu"),
    ResultField("agency.place", _("Place name printed before the date"), "Quảng Ninh"),
    ResultField("result.name", _("Name of the result document"), "Giấy chứng nhận kết hôn"),
    ResultField("result.number", _("Register number (blank on a draft)"), "12/2026/GP"),
    ResultField("result.book", _("Register book"), "GP"),
    ResultField("result.issued_at", _("Date of issue"), "25/11/2026"),
    ResultField("result.valid_until", _("Valid until (blank: no expiry)"), "25/11/2027"),
    ResultField("today", _("Today's date"), "25/11/2026"),
    ResultField("today_long", _("Today in words (ngày … tháng … năm …)"), "ngày 25 tháng 11 năm 2026"),
)
FIXED: dict[str, ResultField] = {f.path: f for f in FIELDS}
# the names a template may start from; ``form`` holds the e-form's values
ROOTS = frozenset({path.split(".")[0] for path in FIXED} | {"form"})
# names with no attribute: ``{{ today }}``
LEAVES = frozenset(path for path in FIXED if "." not in path)


def form_path(field: EFormField) -> str:
    return f"form.{field.name}"


def usable_fields(eform: list[EFormField], language: str = "vi") -> list[tuple[str, str]]:
    """(name, label) of every field a template of a version with this e-form may use, for the admin's list."""
    rows = [(f.path, str(f.label)) for f in FIELDS]
    rows += [(form_path(f), f"{_('E-form')}: {f.label(language)}") for f in eform]
    return rows


def sample_values(eform: list[EFormField]) -> dict[str, Any]:
    """A whole context filled with sample values (the admin's preview: nothing is read or written)."""
    context: dict[str, Any] = {}
    for item in FIELDS:
        root, _dot, leaf = item.path.partition(".")
        if leaf:
            context.setdefault(root, {})[leaf] = item.sample
        else:
            context[root] = item.sample
    context["form"] = {f.name: _sample_of(f) for f in eform}
    return context


def _sample_of(field: EFormField) -> str:
    if field.type == "date":
        return "01/01/1995"
    if field.type == "number":
        return "2"
    if field.type == "checkbox":
        return "✔"
    if field.type == "select" and field.choices:
        return field.choices[0].label_vi
    if field.type == "citizen_id":
        return "022095004321"
    return f"[{field.label_vi}]"


# The register books of common result documents (sổ đăng ký): a result's book defaults from its name.
BOOKS = (
    ("giấy phép", "GP"), ("quyết định", "QĐ"), ("giấy chứng nhận", "GCN"), ("giấy xác nhận", "GXN"),
    ("trích lục", "TL"), ("giấy khai sinh", "KS"), ("phiếu lý lịch tư pháp", "LLTP"), ("văn bản", "VB"),
    ("thông báo", "TB"),
)


def default_book(name: str) -> str:
    """The register book of a result named ``name``: "Giấy phép xây dựng" → "GP", else the initials of its first
    two words ("Biên bản hòa giải" → "BB")."""
    folded = name.strip().lower()
    for prefix, book in BOOKS:
        if folded.startswith(prefix):
            return book
    return "".join(word[0] for word in name.split()[:2]).upper() or "KQ"
