"""The feedback forms as the pages post them: the one-minute survey's answers, its fields' choices, and a
refusal's messages by form field. Shared by the public pages (``portal``), the staff pages (``workspace``) and the
``{% survey_form %}`` template tag."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from motcua.core.errors import MotCuaError, ValidationFailed
from motcua.feedback.models import Score
from motcua.feedback.services import Answers


def field_errors(exc: MotCuaError) -> dict[str, list[str]]:
    """An error's messages by form field (``""`` for those that belong to no field)."""
    items = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    errors: dict[str, list[str]] = {}
    for error in items:
        errors.setdefault(error.location, []).append(error.text())
    return errors


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def parse_answers(post: QueryDict) -> Answers:
    raw = post.get("score", "")
    return Answers(
        score=int(raw) if raw.isdigit() and len(raw) == 1 else None,
        guidance_clear=_yes_no(post.get("guidance_clear")),
        staff_courteous=_yes_no(post.get("staff_courteous")),
        on_time=_yes_no(post.get("on_time")),
        comment=post.get("comment", ""),
    )


def survey_context(values: QueryDict | dict[str, Any] | None = None,
                   errors: dict[str, list[str]] | None = None, *, ask_on_time: bool = True) -> dict[str, Any]:
    """What ``feedback/_survey_fields.html`` needs: the choices, the values typed so far and the errors."""
    questions = [("guidance_clear", _("Was the guidance clear?")),
                 ("staff_courteous", _("Were the staff courteous?"))]
    if ask_on_time:
        questions.append(("on_time", _("Was the result on time?")))
    return {
        "scores": Score.choices,
        "questions": questions,
        "values": values or {},
        "errors": errors or {},
    }
