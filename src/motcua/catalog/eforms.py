"""Per-procedure e-forms (tờ khai điện tử): the fields a procedure asks for online, and their validation.

A procedure version's ``eform`` is a list of field definitions (see :class:`EFormField`), kept in the catalogue
and exchanged in its files. :func:`clean` checks what an applicant typed against them and returns the values to
store on the dossier (``Dossier.form_data``), or every error at once, each naming its field, in vi/en.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field, field_validator

from motcua.core import identity
from motcua.core.errors import MotCuaError, ValidationFailed

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FieldType = Literal["text", "textarea", "date", "number", "select", "checkbox", "email", "phone", "citizen_id"]


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    value: Annotated[str, Field(min_length=1, max_length=60)]
    label_vi: Annotated[str, Field(min_length=1, max_length=200)]
    label_en: Annotated[str, Field(max_length=200)] = ""


class EFormField(BaseModel):
    """One field of an e-form. ``name`` is the key in the dossier's ``form_data``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str
    label_vi: Annotated[str, Field(min_length=1, max_length=300)]
    label_en: Annotated[str, Field(max_length=300)] = ""
    type: FieldType = "text"
    required: bool = False
    help_vi: Annotated[str, Field(max_length=500)] = ""
    help_en: Annotated[str, Field(max_length=500)] = ""
    max_length: Annotated[int, Field(ge=1, le=5000)] = 300
    min_value: float | None = None  # numbers only
    max_value: float | None = None
    choices: list[Choice] = []

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("a field name is lower-case letters, digits and _ (e.g. spouse_name)")
        return value

    def label(self, language: str) -> str:
        return self.label_en if language == "en" and self.label_en else self.label_vi


def fields_of(version: Any) -> list[EFormField]:
    return [EFormField.model_validate(item) for item in (version.eform or [])]


def clean(definitions: list[EFormField], data: dict[str, Any]) -> dict[str, Any]:
    """The typed values, checked and normalised (dates as ISO text, numbers as numbers, checkboxes as bools)."""
    errors: list[MotCuaError] = []
    values: dict[str, Any] = {}
    for item in definitions:
        raw = data.get(item.name, "")
        if item.type == "checkbox":
            checked = raw not in ("", None, False, "0", "off", "false")
            if item.required and not checked:
                errors.append(MotCuaError("required", _("“%(label)s” must be ticked."), {"label": item.label_vi},
                                          f"form.{item.name}"))
            values[item.name] = checked
            continue
        text = str(raw if raw is not None else "").strip()
        if not text:
            if item.required:
                errors.append(MotCuaError("required", _("“%(label)s” is required."), {"label": item.label_vi},
                                          f"form.{item.name}"))
            values[item.name] = ""
            continue
        error = _check(item, text)
        if error is not None:
            errors.append(MotCuaError(error[0], error[1], {"label": item.label_vi, "value": text[:60]},
                                      f"form.{item.name}"))
            values[item.name] = text
            continue
        values[item.name] = _convert(item, text)
    if errors:
        raise ValidationFailed(errors)
    return values


def _check(item: EFormField, text: str) -> tuple[str, Any] | None:
    if len(text) > item.max_length:
        return "too_long", _("“%(label)s” is too long.")
    if item.type == "date":
        try:
            day = _parse_date(text)
        except ValueError:
            return "invalid_date", _("“%(label)s”: %(value)s is not a date (dd/mm/yyyy).")
        if not date(1900, 1, 1) <= day <= date(2100, 12, 31):
            return "invalid_date", _("“%(label)s”: %(value)s is not a date (dd/mm/yyyy).")
    if item.type == "number":
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            return "invalid_number", _("“%(label)s”: %(value)s is not a number.")
        if (item.min_value is not None and number < item.min_value) or (
                item.max_value is not None and number > item.max_value):
            return "out_of_range", _("“%(label)s”: %(value)s is outside the allowed range.")
    if item.type == "citizen_id" and not identity.is_citizen_id(text):
        return "invalid_citizen_id", _("“%(label)s”: %(value)s is not a citizen ID (12 digits starting with a "
                                       "province code).")
    if item.type == "select" and text not in {c.value for c in item.choices}:
        return "invalid_choice", _("“%(label)s”: choose one of the options.")
    if item.type == "email" and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", text):
        return "invalid_email", _("“%(label)s”: %(value)s is not an email address.")
    if item.type == "phone" and not re.match(r"^(\+84|0)\d{9,10}$", re.sub(r"[\s.-]", "", text)):
        return "invalid_phone", _("“%(label)s”: %(value)s is not a phone number.")
    return None


def _parse_date(text: str) -> date:
    if re.match(r"^\d{4}-\d{2}-\d{2}$", text):
        return date.fromisoformat(text)
    match = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", text)
    if not match:
        raise ValueError(text)
    return date(int(match[3]), int(match[2]), int(match[1]))


def _convert(item: EFormField, text: str) -> Any:
    if item.type == "date":
        return _parse_date(text).isoformat()
    if item.type == "citizen_id":
        return identity.normalize(text)
    if item.type == "number":
        number = float(text.replace(",", "."))
        return int(number) if number.is_integer() else number
    return text


def display(definitions: list[EFormField], values: dict[str, Any], language: str) -> list[tuple[str, str]]:
    """The filled e-form as (label, text) rows for people: choices by their label, checkboxes as ✔ / —."""
    rows = []
    for item in definitions:
        if item.name not in values:
            continue
        value = values[item.name]
        if item.type == "checkbox":
            text = "✔" if value else "—"
        elif item.type == "select":
            choice = next((c for c in item.choices if c.value == value), None)
            text = (choice.label_en if language == "en" and choice.label_en else choice.label_vi) if choice else ""
        else:
            text = str(value)
        rows.append((item.label(language), text))
    return rows
