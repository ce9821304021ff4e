"""Template tags of the feedback app: the rating state of a dossier, for the panel the citizen page includes."""

from typing import Any

from django import template

from motcua.feedback import selectors
from motcua.feedback.forms import survey_context

register = template.Library()


@register.simple_tag
def dossier_rating(dossier: Any, user: Any) -> selectors.DossierRating:
    """``{% dossier_rating dossier request.user as state %}``: whether the form is shown or the rating given."""
    return selectors.dossier_rating(dossier, user)


@register.simple_tag
def survey_form(values: Any = None, errors: Any = None, ask_on_time: bool = True) -> dict[str, Any]:
    """``{% survey_form values errors ask_on_time as s %}``: the choices, values typed so far and errors of the
    one-minute survey's fields (``feedback/_survey_fields.html``)."""
    context = survey_context(values, errors, ask_on_time=bool(ask_on_time))
    context["general"] = context["errors"].get("", [])
    return context


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """``values|get_item:name``: a form value by a name held in a variable."""
    try:
        return mapping.get(key, "") if mapping is not None else ""
    except AttributeError:
        return ""
