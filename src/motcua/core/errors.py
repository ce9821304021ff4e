"""Errors that carry a stable code and a message users can read in Vietnamese and English.

Every rule that refuses input raises :class:`MotCuaError` (or a subclass). The API turns it into
``{"error": code, "message": {"vi": …, "en": …}, "location": …}``; pages show the active language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from pydantic_core import ErrorDetails

MESSAGE_LANGUAGES = ("vi", "en")


def render_in(message: str | Promise, language: str, params: dict[str, Any] | None = None) -> str:
    """The message in ``language``, with its parameters (translatable labels too) in that language."""
    with translation.override(language):
        if not params:
            return str(message)
        return str(message) % {key: str(value) if isinstance(value, Promise) else value
                               for key, value in params.items()}


class MotCuaError(Exception):
    """A refusal with a stable ``code``, a translatable message and, optionally, where the fault is."""

    status = 400

    def __init__(
        self,
        code: str,
        message: str | Promise,
        params: dict[str, Any] | None = None,
        location: str = "",
    ) -> None:
        self.code = code
        self.message = message
        self.params = params or {}
        self.location = location
        super().__init__(self.text("en"))

    def text(self, language: str | None = None) -> str:
        return render_in(self.message, language or translation.get_language() or "vi", self.params)

    def messages(self) -> dict[str, str]:
        return {lang: self.text(lang) for lang in MESSAGE_LANGUAGES}

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"error": self.code, "message": self.messages()}
        if self.location:
            data["location"] = self.location
        return data


class NotFound(MotCuaError):
    status = 404


class TooManyRequests(MotCuaError):
    """A throttle refused the request (:func:`motcua.core.web.throttle`); ``wait`` seconds until it may retry."""

    status = 429

    def __init__(self, wait: int) -> None:
        self.wait = wait
        super().__init__("too_many_requests",
                         _("Too many requests from your network address (IP). Wait %(seconds)d second(s) and "
                           "try again."),
                         {"seconds": wait})


class InvalidText(MotCuaError):
    """Text that PostgreSQL cannot store or that no form has a reason to carry: a NUL byte or another control
    character (tab, new line and carriage return are text), a lone surrogate, or bytes that are not UTF-8.
    Refused by the input boundary (``core.middleware.InputBoundaryMiddleware``) before any view runs."""

    def __init__(self, location: str) -> None:
        super().__init__(
            "invalid_text",
            _("The request contains characters that are not allowed (a control character such as a NUL byte, or "
              "text that is not UTF-8) in %(location)s; nothing was saved."),
            {"location": location},
            location=location,
        )


class NestedTooDeep(MotCuaError):
    def __init__(self, limit: int) -> None:
        super().__init__("body_too_deep", _("The request body is nested more than %(limit)s levels deep."),
                         {"limit": limit})


class InvalidBody(MotCuaError):
    """A body that cannot be read at all (a broken multipart form, a forged header)."""

    def __init__(self) -> None:
        super().__init__("invalid_body", _("The request body could not be read: send valid JSON (or a form)."))


class RequestTooLarge(MotCuaError):
    """Too much at once: the whole body (``MOTCUA_MAX_REQUEST_MB``), the text fields held in memory
    (``DATA_UPLOAD_MAX_MEMORY_SIZE``) or the number of fields or files."""

    status = 413

    def __init__(self, message: str | Promise, params: dict[str, Any] | None = None) -> None:
        super().__init__("request_too_large", message, params)


class AccessDenied(MotCuaError):
    status = 403

    def __init__(self) -> None:
        super().__init__("forbidden", _("You may not do this."))


class BadRequest(MotCuaError):
    def __init__(self) -> None:
        super().__init__("bad_request", _("The request could not be understood."))


class ServerError(MotCuaError):
    """Something nobody expected went wrong; it is logged with its traceback, the caller learns nothing more."""

    status = 500

    def __init__(self) -> None:
        super().__init__("server_error", _("Something went wrong on our side and it has been logged. Please try "
                                           "again in a few minutes; dossiers already submitted are safe."))


class ValidationFailed(MotCuaError):
    """Several errors found at once (e.g. an import file): all are reported, nothing is written."""

    status = 422

    def __init__(self, errors: list[MotCuaError]) -> None:
        self.errors = errors
        super().__init__(
            "validation_failed",
            _("%(count)d error(s) found; nothing was changed."),
            {"count": len(errors)},
        )

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        data["errors"] = [error.as_dict() for error in self.errors]
        return data


# Pydantic's error types → messages in every language (its own messages are English only).
PYDANTIC_MESSAGES: dict[str, Any] = {
    "missing": _("This value is required."),
    "extra_forbidden": _("Unknown key."),
    "string_too_short": _("This text may not be empty."),
    "string_too_long": _("This text is too long (at most %(max_length)s characters)."),
    "string_type": _("A text is expected here."),
    "int_parsing": _("A whole number is expected here, not %(input)s."),
    "int_type": _("A whole number is expected here, not %(input)s."),
    "int_from_float": _("A whole number is expected here, not %(input)s."),
    "greater_than_equal": _("The value must be at least %(ge)s, not %(input)s."),
    "less_than_equal": _("The value must be at most %(le)s, not %(input)s."),
    "decimal_parsing": _("A number is expected here, not %(input)s."),
    "decimal_type": _("A number is expected here, not %(input)s."),
    "decimal_max_places": _("At most %(decimal_places)s decimal places are allowed."),
    "literal_error": _("%(input)s is not allowed here; expected one of %(expected)s."),
    "bool_parsing": _("Yes or no (true/false) is expected here, not %(input)s."),
    "bool_type": _("Yes or no (true/false) is expected here, not %(input)s."),
    "date_from_datetime_parsing": _("A date YYYY-MM-DD is expected here, not %(input)s."),
    "date_parsing": _("A date YYYY-MM-DD is expected here, not %(input)s."),
    "date_type": _("A date YYYY-MM-DD is expected here, not %(input)s."),
    "list_type": _("A list is expected here."),
    "too_short": _("At least %(min_length)s item(s) are required."),
    "model_type": _("An object with keys is expected here."),
    "model_attributes_type": _("An object with keys is expected here."),
    "dict_type": _("An object with keys is expected here."),
}
for _kind in ("datetime_parsing", "datetime_type", "datetime_from_date_parsing", "datetime_object_invalid"):
    PYDANTIC_MESSAGES[_kind] = _(
        "A date and time is expected here (ISO 8601, e.g. 2026-11-23T09:00:00+07:00), not %(input)s."
    )
for _kind in ("float_parsing", "float_type"):
    PYDANTIC_MESSAGES[_kind] = _("A number is expected here, not %(input)s.")
PYDANTIC_MESSAGES["json_invalid"] = _("The request body is not valid JSON.")
FALLBACK_MESSAGE = _("Invalid value: %(detail)s")


def from_pydantic(error: ErrorDetails, location: str, messages: dict[str, Any] | None = None) -> MotCuaError:
    """A pydantic validation error as a :class:`MotCuaError` readable in Vietnamese and English."""
    kind = error["type"]
    params: dict[str, Any] = {str(k): v for k, v in (error.get("ctx") or {}).items()}
    params.setdefault("input", repr(error.get("input"))[:80])
    params["detail"] = error["msg"]
    message = (messages or {}).get(kind) or PYDANTIC_MESSAGES.get(kind, FALLBACK_MESSAGE)
    return MotCuaError(kind, message, params, location=location)


# --- errors of a submitted form, for pages -----------------------------------------------------------------


def _key(location: str) -> str:
    """``applicant.id_number`` → ``applicant_id_number``: the form field's name, usable in templates."""
    return location.replace(".", "_")


@dataclass
class FormErrors:
    """The errors of one submission: by form field, and those that belong to no field."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    status: int = 200
    code: str = ""

    @classmethod
    def of(cls, exc: MotCuaError, aliases: dict[str, str] | None = None) -> FormErrors:
        errors = cls(status=exc.status, code=exc.code)
        items = exc.errors if isinstance(exc, ValidationFailed) else [exc]
        for error in items:
            key = _key((aliases or {}).get(error.location, error.location))
            if key:
                errors.fields.setdefault(key, []).append(error.text())
            else:
                errors.general.append(error.text())
        return errors

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)
