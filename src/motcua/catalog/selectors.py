"""Queries on the catalogue: search, the public page of a procedure, and the due date if submitted now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Agency
from motcua.catalog.models import Field, Level, ProcedureVersion, Status
from motcua.core.calendar import WorkingCalendar, calendar_for
from motcua.core.errors import MotCuaError, NotFound
from motcua.core.text import search_terms

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
LIST_DEFERRED = ("requirements", "how_to", "processing_note", "search_text", "legal_basis", "source",
                 "content_hash", "implementing_body", "decision_no")


@dataclass(frozen=True)
class SearchFilters:
    q: str = ""
    field: str = ""
    level: str = ""
    agency: str = ""

    def validate(self) -> SearchFilters:
        if len(self.q) > MAX_QUERY_LENGTH:
            raise MotCuaError(
                "query_too_long",
                _("The search text is too long: at most %(limit)s characters, you sent %(length)s."),
                {"limit": MAX_QUERY_LENGTH, "length": len(self.q)},
                location="q",
            )
        if self.level and self.level not in Level.values:
            raise MotCuaError(
                "unknown_level", _("Unknown level %(level)s; use one of %(allowed)s."),
                {"level": self.level[:40], "allowed": ", ".join(Level.values)}, location="level",
            )
        return self


def versions_in_force(on: date | None = None) -> QuerySet[ProcedureVersion]:
    return ProcedureVersion.objects.in_force(on).select_related("procedure", "field")


def search_procedures(filters: SearchFilters, *, on: date | None = None) -> QuerySet[ProcedureVersion]:
    """Procedures in force matching every word of ``q`` (without diacritics, any case) and the filters."""
    filters.validate()
    versions = versions_in_force(on).filter(status=Status.ACTIVE)
    for term in search_terms(filters.q)[:MAX_TERMS]:
        versions = versions.filter(search_text__contains=term)
    if filters.field:
        versions = versions.filter(field__code=filters.field)
    if filters.level:
        versions = versions.filter(level=filters.level)
    if filters.agency:
        versions = versions.filter(procedure__agencies__identifier_code=filters.agency)
    # Lists show names, code, field, level, deadline and fees: leave the long texts in the database.
    return (
        versions.defer(*LIST_DEFERRED).prefetch_related("fees").order_by("field__name_vi", "name_vi")
    )


def procedure_version(code: str, *, on: date | None = None) -> ProcedureVersion:
    """The version of procedure ``code`` in force, with everything its public page shows."""
    version = (
        versions_in_force(on)
        .filter(procedure__code=code)
        .prefetch_related(
            "components", "fees", "results", "steps",
            Prefetch("procedure__agencies", queryset=Agency.objects.filter(is_active=True).order_by("kind", "name")),
        )
        .first()
    )
    if version is None:
        raise NotFound(
            "procedure_not_found", _("No procedure in force has the code %(code)s."), {"code": code[:50]},
            location="code",
        )
    return version


def fields_in_use() -> QuerySet[Field]:
    return Field.objects.filter(versions__in=versions_in_force()).distinct().order_by("name_vi")


def due_at(version: ProcedureVersion, received_at: datetime | None = None,
           calendar: WorkingCalendar | None = None) -> datetime:
    """When the result is due for a dossier of ``version`` received at ``received_at`` (now by default)."""
    calendar = calendar or calendar_for()
    return calendar.add_working_days(received_at or timezone.now(), version.processing_days)
