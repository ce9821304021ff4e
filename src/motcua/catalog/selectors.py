"""Queries on the catalogue: search, the public page of a procedure, and the due date if submitted now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Case, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Agency
from motcua.catalog.models import Field, Level, Procedure, ProcedureVersion, Status
from motcua.core.calendar import FIRST_YEAR, LAST_YEAR, OutsideCalendar, WorkingCalendar, calendar_for
from motcua.core.errors import MotCuaError, NotFound
from motcua.core.text import search_terms

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
LIST_DEFERRED = ("requirements", "how_to", "processing_note", "search_text", "search_name", "legal_basis", "source",
                 "content_hash", "implementing_body", "decision_no")


@dataclass(frozen=True)
class SearchFilters:
    q: str = ""
    field: str = ""
    level: str = ""
    agency: str = ""
    boundary_free: bool = False  # only the procedures any service point of the province receives

    def validate(self) -> SearchFilters:
        if len(self.q) > MAX_QUERY_LENGTH:
            raise MotCuaError(
                "query_too_long",
                _("The search text is too long: at most %(limit)s characters, you sent %(length)s."),
                {"limit": MAX_QUERY_LENGTH, "length": len(self.q)},
                location="q",
            )
        if self.field and not Field.objects.filter(code=self.field).exists():
            raise MotCuaError(
                "unknown_field", _("No field has the code %(code)s."), {"code": self.field[:40]}, location="field"
            )
        if self.agency and not Agency.objects.filter(identifier_code=self.agency, is_active=True).exists():
            raise MotCuaError(
                "unknown_agency", _("No agency has the identifier code %(code)s."), {"code": self.agency[:40]},
                location="agency",
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
    terms = search_terms(filters.q)[:MAX_TERMS]
    for term in terms:
        versions = versions.filter(search_text__contains=" " + term)
    if filters.field:
        versions = versions.filter(field__code=filters.field)
    if filters.level:
        versions = versions.filter(level=filters.level)
    if filters.agency:
        versions = versions.filter(procedure__agencies__identifier_code=filters.agency)
    if filters.boundary_free:
        versions = versions.filter(boundary_free=True)
    versions = versions.defer(*LIST_DEFERRED).prefetch_related("fees")
    if not terms:
        return versions.order_by("field__name_vi", "name_vi")
    # Procedures whose code or name holds more of the words come first; then the shorter, more general names.
    rank = sum(
        (Case(When(search_name__contains=" " + term, then=Value(1)), default=Value(0)) for term in terms),
        Value(0),
    )
    return versions.annotate(rank=rank).order_by("-rank", Length("name_vi"), "name_vi")


def procedures_received_at(agency: Agency) -> QuerySet[ProcedureVersion]:
    """The procedures in force that ``agency`` receives, as a search would list them: those it is listed for, and
    every boundary-free one (any service point of the province receives them, DESIGN.md §3)."""
    listed = Procedure.objects.filter(agencies=agency).values("pk")
    return search_procedures(SearchFilters()).filter(Q(procedure__in=listed) | Q(boundary_free=True))


def boundary_free_procedures(field: str = "") -> QuerySet[ProcedureVersion]:
    """The public list of boundary-free procedures in force (any service point of the province receives them and
    routes them to the competent agency), by field then name; ``field`` (a field code) narrows it."""
    return search_procedures(SearchFilters(field=field, boundary_free=True)).order_by(
        "field__name_vi", "name_vi")


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
    try:
        return calendar.add_working_days(received_at or timezone.now(), version.processing_days)
    except OutsideCalendar:
        raise MotCuaError(
            "date_out_of_range", _("Dates from %(first)s to %(last)s can be computed."),
            {"first": FIRST_YEAR, "last": LAST_YEAR}, location="received_at",
        ) from None
