"""``/api/v1/procedures``: the public catalogue. Only translates HTTP to selectors and back."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router

from motcua.api.schemas import PUBLIC_ERRORS, DueDateOut, ProcedureDetail, ProcedurePage, ProcedureSearch
from motcua.catalog import eforms
from motcua.catalog.models import ProcedureVersion
from motcua.catalog.selectors import SearchFilters, due_at, procedure_version, search_procedures
from motcua.core.calendar import WorkingCalendar
from motcua.core.values import IsoDateTime
from motcua.core.web import public_url

router = Router(tags=["catalogue"])


def _item(request: HttpRequest, v: ProcedureVersion) -> dict[str, object]:
    return {
        "code": v.procedure.code,
        "name": v.name_vi,
        "name_en": v.name_en,
        "field": {"code": v.field.code, "name": v.field.name_vi, "name_en": v.field.name_en},
        "level": v.level,
        "processing_days": float(v.processing_days),
        "online_level": v.online_level,
        "boundary_free": v.boundary_free,
        "fees": [{"name": f.name_vi, "amount": f.amount, "note": f.note} for f in v.fees.all()],
        "url": public_url(reverse("portal:procedure", args=[v.procedure.code]), request),
    }


@router.get("", response={200: ProcedurePage, **PUBLIC_ERRORS}, operation_id="list_procedures",
            summary="Search procedures")
def list_procedures(request: HttpRequest, params: Query[ProcedureSearch]) -> dict[str, object]:
    filters = SearchFilters(q=params.q, field=params.field, level=params.level, agency=params.agency,
                            boundary_free=params.boundary_free)
    versions = search_procedures(filters)
    page = list(versions[params.offset : params.offset + params.limit])
    # Counted only when the page is full or offset; the count runs on the search index alone. (A window
    # COUNT(*) OVER () in the page query was measured 3x slower on SQLite: it materializes every match.)
    count = versions.count() if (params.offset or len(page) == params.limit) else len(page)
    return {
        "count": count,
        "limit": params.limit,
        "offset": params.offset,
        "items": [_item(request, v) for v in page],
    }


@router.get("/{code}", response={200: ProcedureDetail, **PUBLIC_ERRORS}, operation_id="get_procedure",
            summary="One procedure in force, with what POST /dossiers needs (component numbers, e-form fields)")
def get_procedure(request: HttpRequest, code: str) -> dict[str, object]:
    v = procedure_version(code)
    return {
        **_item(request, v),
        "version": v.number,
        "effective_from": v.effective_from.isoformat(),
        "status": v.status,
        "implementing_body": v.implementing_body,
        "processing_note": v.processing_note,
        "requirements": v.requirements,
        "how_to": v.how_to,
        "legal_basis": v.legal_basis,
        "channels": v.channels,
        "result_delivery": v.result_delivery,
        "components": [
            {"order": order, "name": c.name_vi, "name_en": c.name_en, "originals": c.originals, "copies": c.copies,
             "required": c.required, "reusable": c.reusable, "filled_by_eform": c.filled_by_eform,
             "template_name": c.template_name,
             "template_url": c.template_url}
            for order, c in enumerate(v.components.all(), start=1)
        ],
        "eform": [field.model_dump() for field in eforms.fields_of(v)],
        "results": [r.name_vi for r in v.results.all()],
        "workflow": [
            {"name": s.name_vi, "role": s.role, "agency_kind": s.agency_kind, "days": float(s.days)}
            for s in v.steps.all()
        ],
        "agencies": [
            {"identifier_code": a.identifier_code, "name": a.name, "kind": a.kind, "address": a.address,
             "hotline": a.hotline}
            for a in v.procedure.agencies.all()
        ],
        "decision_no": v.decision_no,
    }


@router.get(
    "/{code}/due-date",
    response={200: DueDateOut, **PUBLIC_ERRORS},
    operation_id="get_due_date",
    summary="When the result is due if the dossier is received at a given moment",
)
def get_due_date(request: HttpRequest, code: str, received_at: IsoDateTime | None = None) -> dict[str, object]:
    """``received_at`` is ISO 8601; without a time zone it is Vietnam time; without it, now."""
    version = procedure_version(code)
    moment = received_at or timezone.now()
    due = due_at(version, moment)  # refuses moments outside the calendar before anything else
    return {
        "code": version.procedure.code,
        "processing_days": float(Decimal(version.processing_days)),
        "received_at": WorkingCalendar.localize(moment),
        "due_at": due,
    }
