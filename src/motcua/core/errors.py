"""Errors that carry a stable code and a message users can read in Vietnamese and English.

Every rule that refuses input raises :class:`MotCuaError` (or a subclass). The API turns it into
``{"error": code, "message": {"vi": …, "en": …}, "location": …}``; pages show the active language.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.functional import Promise

MESSAGE_LANGUAGES = ("vi", "en")


def render_in(message: str | Promise, language: str, params: dict[str, Any] | None = None) -> str:
    with translation.override(language):
        text = str(message)
    return text % params if params else text


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


class ValidationFailed(MotCuaError):
    """Several errors found at once (e.g. an import file): all are reported, nothing is written."""

    status = 422

    def __init__(self, errors: list[MotCuaError]) -> None:
        self.errors = errors
        from django.utils.translation import gettext_lazy as _

        super().__init__(
            "validation_failed",
            _("%(count)d error(s) found; nothing was changed."),
            {"count": len(errors)},
        )

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        data["errors"] = [error.as_dict() for error in self.errors]
        return data
