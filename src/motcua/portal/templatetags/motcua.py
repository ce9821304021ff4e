import math
from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import get_language, ngettext

from motcua.catalog.eforms import display, fields_of
from motcua.core import formats
from motcua.dossiers.slips import SLIP_KINDS

register = template.Library()


@register.filter
def vnd(amount: int | None) -> str:
    """Amount in Vietnamese đồng: ``200.000 đ`` (dot as thousands separator, as printed on receipts)."""
    return formats.dong(amount)


@register.filter
def days(value: object) -> str:
    """A deadline in working days without trailing zeros: 5, 0,5 (Vietnamese) or 0.5."""
    text = formats.working_days(value)  # with a decimal comma, as Vietnamese and Spanish write it
    return text if (get_language() or "vi").startswith(("vi", "es")) else text.replace(",", ".")


@register.filter
def tel(number: str) -> str:
    """A ``tel:`` address: digits and a leading + only (``0203 3 656 656`` → ``tel:02033656656``)."""
    return "tel:" + "".join(ch for ch in number if ch.isdigit() or ch == "+")


@register.filter
def working_days(value: object) -> str:
    """``1 working day``, ``5 working days``, ``0,5 working day`` in the page's language."""
    count = math.ceil(Decimal(str(value)))
    return ngettext("%(d)s working day", "%(d)s working days", count) % {"d": days(value)}


@register.filter
def localized(obj: object, attr: str) -> str:
    """``obj.<attr>_en`` when the page is in English (or Spanish) and it exists, else ``obj.<attr>_vi``."""
    if not (get_language() or "vi").startswith("vi"):
        other = getattr(obj, f"{attr}_en", "")
        if other:
            return str(other)
    return str(getattr(obj, f"{attr}_vi", ""))


@register.filter
def slip_label(kind: str) -> str:
    """The name of an official slip (``receipt`` → "Receipt and appointment for the result (form 01)")."""
    return str(SLIP_KINDS.get(kind, kind))


@register.filter
def eform_rows(dossier: Any) -> list[tuple[str, str]]:
    """The dossier's filled e-form as (label, value) rows, in the order of the procedure version's fields."""
    return display(fields_of(dossier.version), dossier.form_data or {}, get_language() or "vi")


@register.filter
def person_name(user: Any) -> str:
    """A staff member's name in Vietnamese order: family name first (``Đỗ Thị Mai``), else the username."""
    if user is None:
        return ""
    name = f"{getattr(user, 'last_name', '')} {getattr(user, 'first_name', '')}".strip()
    return name or str(user.get_username())


@register.filter
def holds(actor: Any, roles: str) -> bool:
    """Whether the staff ``actor`` holds one of ``roles`` (comma-separated) at some agency: which links of the staff
    navigation lead somewhere for them (the pages check again). A page without ``actor`` shows every link."""
    if not hasattr(actor, "agencies_with"):
        return True
    return bool(actor.agencies_with(*[role.strip() for role in roles.split(",") if role.strip()]))


@register.simple_tag
def nav_here(path: str, *links: Any) -> dict[str, str]:
    """Which link of a navigation the page at ``path`` comes under, of ``links`` given as href, label, href, label…:
    the one sharing the most leading path segments with ``path``, the shortest on a tie (``/workspace/`` for a
    dossier's page, ``/workspace/thong-ke/`` for the board's lists). ``{"href": …, "label": …}``, empty if none."""
    parts = [part for part in str(path).split("/") if part]
    here, best = {"href": "", "label": ""}, (0, 0)
    for href, label in zip(links[::2], links[1::2], strict=False):
        segments = [part for part in str(href).split("/") if part]
        shared = 0
        for mine, theirs in zip(parts, segments, strict=False):
            if mine != theirs:
                break
            shared += 1
        if shared == 0 or shared < len(segments) - 1:  # all its segments but perhaps the last
            continue
        if (shared, -len(segments)) > best:
            here, best = {"href": str(href), "label": str(label)}, (shared, -len(segments))
    return here
