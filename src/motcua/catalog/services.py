"""Actions that change the catalogue: import (all-or-nothing, idempotent, versioning) and version drafts.

Reads live in :mod:`motcua.catalog.selectors`; the file formats in :mod:`motcua.catalog.formats`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import ErrorDetails

from motcua.agencies.models import Agency
from motcua.catalog import models as m
from motcua.catalog.result_templates import TemplateInvalid, check_template
from motcua.catalog.schema import CatalogFile, ProcedureIn, ResultTemplateIn
from motcua.core.errors import MotCuaError, ValidationFailed, from_pydantic
from motcua.core.text import search_key

Loc = tuple[str | int, ...]
Locations = dict[Loc, str]

# Our own rule codes (schema.py) → messages in every language; pydantic's own are in core.errors.
_MESSAGES: dict[str, Any] = {
    "extra_forbidden": _("Unknown key; see docs/catalog-format.md for the keys of this format."),
    "duplicate_value": _("A value is listed twice."),
    "invalid_field_code": _("%(value)s is not a field code (1–20 letters, digits, '.', '-', '_')."),
    "invalid_procedure_code": _("%(value)s is not a procedure code (e.g. 1.000894)."),
    "no_copies": _("A document needs at least one original or one copy."),
    "online_not_offered": _("The online channel is listed but the procedure offers no online service."),
    "electronic_needs_full": _("Electronic results are only possible with a full online service."),
    "unknown_template_result": _(
        "The result template %(name)s is for “%(result)s”, which is not one of the procedure's results."
    ),
    "workflow_too_long": _(
        "The workflow steps take %(total)s working days, more than the legal deadline of %(days)s."
    ),
}


def format_loc(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _where(loc: Loc, locations: Locations | None) -> str:
    if locations:
        for end in range(len(loc), -1, -1):
            if loc[:end] in locations:
                return locations[loc[:end]]
    return format_loc(loc)


def _from_pydantic(error: ErrorDetails, locations: Locations | None) -> MotCuaError:
    return from_pydantic(error, _where(tuple(error["loc"]), locations), _MESSAGES)


def parse_catalog(data: object, locations: Locations | None = None) -> CatalogFile:
    """Validate a decoded file against the format; every error is reported at once."""
    try:
        return CatalogFile.model_validate(data)
    except PydanticValidationError as exc:
        raise ValidationFailed([_from_pydantic(e, locations) for e in exc.errors()]) from None


def content_hash(record: ProcedureIn) -> str:
    """Fingerprint of a version's content. The effective date is left out: it says when, not what."""
    content = record.content()
    content.pop("effective_from", None)
    if not content.get("unsigned_results_allowed"):  # the default: versions hashed before the field stay the same
        content.pop("unsigned_results_allowed", None)
    if content.get("fee_timing") == "before_return":  # likewise for the default fee timing
        content.pop("fee_timing", None)
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class ImportReport:
    dry_run: bool = False
    fields_created: int = 0
    fields_updated: int = 0
    procedures_created: int = 0
    versions_created: int = 0
    unchanged: int = 0
    changed_codes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return self.__dict__.copy()


def _check_references(
    catalog: CatalogFile, locations: Locations | None, today: date
) -> list[MotCuaError]:
    """Rules that need the whole file or the database; each error says where it is."""
    errors: list[MotCuaError] = []

    def fail(loc: Loc, error_code: str, message: Any, **params: Any) -> None:
        errors.append(MotCuaError(error_code, message, params, location=_where(loc, locations)))

    seen: dict[str, int] = {}
    for i, item in enumerate(catalog.fields):
        if item.code in seen:
            fail(("fields", i, "code"), "duplicate_code", _("The code %(code)s appears twice in the file."),
                 code=item.code)
        seen[item.code] = i
    known_fields = set(seen) | set(m.Field.objects.values_list("code", flat=True))
    codes = [p.code for p in catalog.procedures]
    known_agencies = set(
        Agency.objects.filter(identifier_code__in={a for p in catalog.procedures for a in p.agencies})
        .values_list("identifier_code", flat=True)
    )
    latest = {
        v.procedure.code: v
        for v in m.ProcedureVersion.objects.filter(procedure__code__in=codes)
        .select_related("procedure")
        .order_by("procedure_id", "number")
    }
    seen = {}
    for i, proc in enumerate(catalog.procedures):
        if proc.code in seen:
            fail(("procedures", i, "code"), "duplicate_code", _("The code %(code)s appears twice in the file."),
                 code=proc.code)
        seen[proc.code] = i
        if proc.field not in known_fields:
            fail(("procedures", i, "field"), "unknown_field",
                 _("The field %(code)s is neither in the file nor in the catalogue."), code=proc.field)
        for j, agency in enumerate(proc.agencies):
            if agency not in known_agencies:
                fail(("procedures", i, "agencies", j), "unknown_agency",
                     _("No agency has the identifier code %(code)s."), code=agency)
        for j, template in enumerate(proc.result_templates):
            try:
                check_template(template.body, proc.eform)
            except TemplateInvalid as exc:
                errors.append(MotCuaError(exc.code, exc.message, exc.params,
                                          location=_where(("procedures", i, "result_templates", j, "body"), locations)))
        previous = latest.get(proc.code)
        starts = proc.effective_from or today
        if previous and previous.content_hash != content_hash(proc) and starts < previous.effective_from:
            fail(("procedures", i, "effective_from"), "effective_date_too_early",
                 _("The new version cannot take effect on %(date)s, before the current version (%(current)s)."),
                 date=starts.isoformat(), current=previous.effective_from.isoformat())
    return errors


def import_catalog(
    data: object,
    *,
    locations: Locations | None = None,
    dry_run: bool = False,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import a decoded catalogue file: all or nothing, idempotent, a new version for each changed procedure.

    Raises :class:`ValidationFailed` with every error found; in that case nothing is written.
    """
    today = today or timezone.localdate()
    catalog = parse_catalog(data, locations)
    errors = _check_references(catalog, locations, today)
    if errors:
        raise ValidationFailed(errors)

    report = ImportReport(dry_run=dry_run)
    with transaction.atomic():
        fields = {f.code: f for f in m.Field.objects.all()}
        for item in catalog.fields:
            existing = fields.get(item.code)
            if existing is None:
                fields[item.code] = m.Field.objects.create(**item.model_dump())
                report.fields_created += 1
            elif (existing.name_vi, existing.name_en) != (item.name_vi, item.name_en):
                existing.name_vi, existing.name_en = item.name_vi, item.name_en
                existing.save(update_fields=["name_vi", "name_en"])
                report.fields_updated += 1

        procedures = {p.code: p for p in m.Procedure.objects.filter(code__in=[r.code for r in catalog.procedures])}
        # each procedure's latest version, in one query rather than one per procedure
        newest = m.ProcedureVersion.objects.filter(procedure=OuterRef("procedure")).order_by("-number")
        latest_versions = {v.procedure_id: v for v in m.ProcedureVersion.objects.filter(
            procedure__in=procedures.values(), number=Subquery(newest.values("number")[:1]))}
        # where each procedure is received, set for all of them at the end in three queries, not three each
        agency_ids = dict(Agency.objects.filter(
            identifier_code__in={code for record in catalog.procedures for code in record.agencies}
        ).values_list("identifier_code", "pk"))
        wanted: dict[int, set[int]] = {}
        for index, record in enumerate(catalog.procedures, start=1):
            procedure = procedures.get(record.code)
            if procedure is None:
                procedure = m.Procedure.objects.create(code=record.code)
                report.procedures_created += 1
            latest = latest_versions.get(procedure.pk)
            if latest is not None and latest.content_hash == content_hash(record):
                report.unchanged += 1
            else:
                publish_version(procedure, record, field=fields[record.field], previous=latest, today=today)
                report.versions_created += 1
                report.changed_codes.append(record.code)
            if record.agencies:
                wanted[procedure.pk] = {agency_ids[code] for code in record.agencies}
            if progress and index % 500 == 0:
                progress(f"{index}/{len(catalog.procedures)} procedures")
        _set_agencies(wanted)
        if dry_run:
            transaction.set_rollback(True)
    if not dry_run and report.versions_created >= BULK_IMPORT:
        _refresh_statistics()
    return report


# From this many new versions an import changes the catalogue's shape enough for the planner's statistics to be
# stale until autovacuum's next pass (up to a minute): a search could then scan every version.
BULK_IMPORT = 100


def _refresh_statistics() -> None:
    """``ANALYZE`` the catalogue's tables on PostgreSQL after a bulk import, so the next search is planned on the
    new numbers of rows (SQLite plans without statistics here)."""
    if connection.vendor != "postgresql":
        return
    tables = [model._meta.db_table for model in (m.ProcedureVersion, m.Procedure, m.FeeItem)]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


def _set_agencies(wanted: dict[int, set[int]]) -> None:
    """``procedure.agencies.set(...)`` for many procedures at once: what is no longer listed is removed, what is
    new is added, the rest is left alone."""
    through = m.Procedure.agencies.through
    current: dict[int, set[int]] = {pk: set() for pk in wanted}
    for procedure_id, agency_id in through.objects.filter(procedure_id__in=wanted).values_list(
            "procedure_id", "agency_id"):
        current[procedure_id].add(agency_id)
    stale = Q(pk__in=[])
    for procedure_id, agencies in wanted.items():
        if gone := current[procedure_id] - agencies:
            stale |= Q(procedure_id=procedure_id, agency_id__in=gone)
    through.objects.filter(stale).delete()
    through.objects.bulk_create([
        through(procedure_id=procedure_id, agency_id=agency_id)
        for procedure_id, agencies in wanted.items() for agency_id in sorted(agencies - current[procedure_id])
    ])


def publish_version(
    procedure: m.Procedure,
    record: ProcedureIn,
    *,
    field: m.Field,
    previous: m.ProcedureVersion | None,
    today: date,
) -> m.ProcedureVersion:
    """Create the next version of ``procedure`` from ``record``; the previous one stops applying when it starts."""
    starts = record.effective_from or today
    version = m.ProcedureVersion.objects.create(
        procedure=procedure,
        number=(previous.number + 1) if previous else 1,
        name_vi=record.name_vi,
        name_en=record.name_en,
        field=field,
        level=record.level,
        implementing_body=record.implementing_body,
        processing_days=record.processing_days,
        processing_note=record.processing_note,
        requirements=record.requirements,
        how_to=record.how_to,
        legal_basis=record.legal_basis,
        online_level=record.online_level,
        channels=record.channels,
        result_delivery=record.result_delivery,
        boundary_free=record.boundary_free,
        unsigned_results_allowed=record.unsigned_results_allowed,
        fee_timing=record.fee_timing,
        status=record.status,
        decision_no=record.decision_no,
        effective_from=starts,
        source=record.source,
        eform=[f.model_dump(mode="json") for f in record.eform],
        content_hash=content_hash(record),
        search_text=search_text(procedure.code, record.name_vi, record.name_en, field, record.implementing_body),
        search_name=search_name(procedure.code, record.name_vi, record.name_en),
    )
    m.Component.objects.bulk_create(
        m.Component(version=version, order=i, **c.model_dump()) for i, c in enumerate(record.components)
    )
    m.FeeItem.objects.bulk_create(
        m.FeeItem(version=version, order=i, **f.model_dump(mode="json")) for i, f in enumerate(record.fees)
    )
    m.ResultDocument.objects.bulk_create(
        m.ResultDocument(version=version, order=i, **r.model_dump()) for i, r in enumerate(record.results)
    )
    m.WorkflowStep.objects.bulk_create(
        m.WorkflowStep(version=version, order=i, **s.model_dump()) for i, s in enumerate(record.workflow)
    )
    if record.result_templates:
        results = {r.name_vi: r for r in m.ResultDocument.objects.filter(version=version)}
        templates = []
        for i, t in enumerate(record.result_templates):
            result = results.get(t.result)
            templates.append(m.ResultTemplate(
                version=version, order=i, result=result, name=t.name, body=t.body, valid_for_days=t.valid_for_days,
                paper=t.paper, book=t.book))
        m.ResultTemplate.objects.bulk_create(templates)
    if previous is not None:
        previous.effective_to = starts
        previous.save(update_fields=["effective_to"])
    return version


def search_text(code: str, name_vi: str, name_en: str, field: m.Field, body: str) -> str:
    """The folded text a version is found by (code, names, field, implementing body)."""
    return search_key(code, name_vi, name_en, field.name_vi, field.name_en, body)


def search_name(code: str, name_vi: str, name_en: str) -> str:
    """The folded code and names: a match here ranks above a match on the field or the body."""
    return search_key(code, name_vi, name_en)


# what version_record reads of a version besides its own row: prefetch it where several versions are read
VERSION_CONTENT = ("components", "fees", "results", "steps", "result_templates", "procedure__agencies")


def version_record(version: m.ProcedureVersion) -> ProcedureIn:
    """The exchange-format record of a stored version (the inverse of :func:`publish_version`)."""

    def rows(manager: Any, keys: tuple[str, ...]) -> list[dict[str, Any]]:
        return [{k: getattr(obj, k) for k in keys} for obj in manager.all()]

    result_names = {r.pk: r.name_vi for r in version.results.all()}

    return ProcedureIn(
        code=version.procedure.code,
        name_vi=version.name_vi,
        name_en=version.name_en,
        field=version.field.code,
        level=version.level,  # type: ignore[arg-type]
        implementing_body=version.implementing_body,
        processing_days=version.processing_days,
        processing_note=version.processing_note,
        requirements=version.requirements,
        how_to=version.how_to,
        legal_basis=version.legal_basis,
        online_level=version.online_level,  # type: ignore[arg-type]
        channels=version.channels,
        result_delivery=version.result_delivery,
        boundary_free=version.boundary_free,
        unsigned_results_allowed=version.unsigned_results_allowed,
        fee_timing=version.fee_timing,  # type: ignore[arg-type]
        results=rows(version.results, ("name_vi", "name_en")),  # type: ignore[arg-type]
        components=rows(  # type: ignore[arg-type]
            version.components,
            ("name_vi", "name_en", "originals", "copies", "required", "reusable", "filled_by_eform", "template_name",
             "template_url"),
        ),
        fees=rows(version.fees, ("name_vi", "amount", "note", "exemptions", "per_field")),  # type: ignore[arg-type]
        eform=version.eform,
        workflow=rows(version.steps, ("name_vi", "role", "agency_kind", "days")),  # type: ignore[arg-type]
        result_templates=[
            ResultTemplateIn(name=t.name, result=result_names.get(t.result_id or 0, ""), book=t.book, body=t.body,
                             valid_for_days=t.valid_for_days, paper=t.paper)  # type: ignore[arg-type]
            for t in version.result_templates.all()
        ],
        decision_no=version.decision_no,
        effective_from=version.effective_from,
        status=version.status,  # type: ignore[arg-type]
        source=version.source,
        agencies=sorted(a.identifier_code for a in version.procedure.agencies.all()),  # prefetched by the export
    )


def export_catalog(*, on: date | None = None, field_code: str | None = None) -> dict[str, Any]:
    """The versions in force (on ``on``, today by default) as an exchange-format document."""
    versions = (
        m.ProcedureVersion.objects.in_force(on)
        .select_related("procedure", "field")
        .prefetch_related(*VERSION_CONTENT)
        .order_by("procedure__code")
    )
    if field_code:
        versions = versions.filter(field__code=field_code)
    records = [version_record(v) for v in versions]
    used = {r.field for r in records}
    fields = [
        {"code": f.code, "name_vi": f.name_vi, "name_en": f.name_en}
        for f in m.Field.objects.filter(code__in=used).order_by("code")
    ]
    return {
        "format": "motcua-catalog",
        "format_version": 1,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "fields": fields,
        "procedures": [r.model_dump(mode="json") for r in records],
    }


@transaction.atomic
def draft_next_version(version: m.ProcedureVersion, *, effective_from: date) -> m.ProcedureVersion:
    """Copy ``version`` as the next version, prepared ahead for ``effective_from`` (for editing in admin)."""
    if effective_from <= timezone.localdate():
        raise MotCuaError(
            "draft_must_be_future", _("A new version prepared ahead must take effect after today.")
        )
    record = version_record(version)
    record.effective_from = effective_from
    latest = version.procedure.versions.order_by("-number").first()
    if latest is not None and latest.effective_from >= effective_from:
        raise MotCuaError(
            "effective_date_too_early",
            _("The new version cannot take effect on %(date)s, before the current version (%(current)s)."),
            {"date": effective_from.isoformat(), "current": latest.effective_from.isoformat()},
        )
    new = publish_version(version.procedure, record, field=version.field, previous=latest, today=effective_from)
    # A copy has the same content; the hash is refreshed when the draft is edited and saved.
    return new


def refresh_version(version: m.ProcedureVersion) -> None:
    """Recompute what is derived from a version's content after it was edited (admin, prepared versions)."""
    version.refresh_from_db()
    record = version_record(m.ProcedureVersion.objects.select_related("procedure", "field").prefetch_related(
        *VERSION_CONTENT).get(pk=version.pk))
    version.content_hash = content_hash(record)
    version.search_text = search_text(
        version.procedure.code, version.name_vi, version.name_en, version.field, version.implementing_body
    )
    version.search_name = search_name(version.procedure.code, version.name_vi, version.name_en)
    version.save(update_fields=["content_hash", "search_text", "search_name"])
    previous = version.procedure.versions.filter(number__lt=version.number).order_by("-number").first()
    if previous is not None and previous.effective_to != version.effective_from:
        previous.effective_to = version.effective_from
        previous.save(update_fields=["effective_to"])


@dataclass
class SynonymReport:
    created: int = 0
    updated: int = 0
    unknown_procedures: list[str] = field(default_factory=list)


def load_synonyms(rows: list[dict[str, Any]]) -> SynonymReport:
    """Add or update the synonyms ``[{"phrase", "meaning", "procedure"?}]`` (idempotent: one per phrase and
    meaning); a synonym naming a procedure the catalogue does not hold is kept without it and reported. Synonyms an
    administrator added or switched off in the admin are left as they are."""
    report = SynonymReport()
    codes = {str(row.get("procedure") or "") for row in rows} - {""}
    procedures = {p.code: p for p in m.Procedure.objects.filter(code__in=codes)}
    with transaction.atomic():
        existing = {(s.phrase, s.meaning): s for s in m.Synonym.objects.all()}
        for row in rows:
            phrase, meaning = str(row["phrase"]).strip()[:200], str(row.get("meaning") or "").strip()[:300]
            code = str(row.get("procedure") or "")
            procedure = procedures.get(code)
            if code and procedure is None:
                report.unknown_procedures.append(code)
            synonym = existing.get((phrase, meaning))
            if synonym is None:
                m.Synonym.objects.create(phrase=phrase, meaning=meaning, procedure=procedure)
                report.created += 1
            elif synonym.procedure_id != (procedure.pk if procedure else None):
                synonym.procedure = procedure
                synonym.save(update_fields=["procedure", "updated_at"])
                report.updated += 1
    return report
