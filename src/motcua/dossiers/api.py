"""``/api/v1/dossiers`` (staff and integrations, Bearer token) and ``/api/v1/track`` (public, no personal data).

The endpoints only translate HTTP to ``dossiers.services`` / ``dossiers.selectors`` and back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router
from ninja import Status as Reply
from ninja.files import UploadedFile
from pydantic import BaseModel
from pydantic import Field as PydanticField

from motcua.api.auth import BearerToken, SessionCookie
from motcua.catalog.api import ErrorOut, Out
from motcua.core.errors import TooManyRequests
from motcua.core.responses import private_pdf
from motcua.core.values import Integer, IsoDate
from motcua.core.web import throttle
from motcua.dossiers import deadlines, rules, selectors, services
from motcua.dossiers.actors import Actor
from motcua.dossiers.machine import Status
from motcua.dossiers.models import Attachment, Dossier
from motcua.dossiers.schema import DossierIn

AUTH = [BearerToken(), SessionCookie()]
router = Router(tags=["dossiers"], auth=AUTH)
public = Router(tags=["tracking"])
ERRORS: dict[int, type] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
                           413: ErrorOut, 422: ErrorOut}


class ComponentOut(Out):
    order: int
    name: str
    required: bool
    originals: int
    copies: int
    received: bool


class AttachmentOut(Out):
    id: int
    kind: str
    name: str
    content_type: str
    size: int
    sha256: str
    component: int | None


class StepOut(Out):
    number: int
    name: str
    role: str
    agency: str


class DossierSummary(Out):
    code: str
    status: str
    status_label: str
    national_status: int | None
    procedure: str
    procedure_name: str
    channel: str
    receiving_agency: str
    current_agency: str | None
    current_role: str
    step: int
    submitted_at: datetime
    received_at: datetime | None
    due_at: datetime | None
    step_due_at: datetime | None
    apology_due_at: datetime | None
    overdue: bool
    step_overdue: bool
    ack_overdue: bool = PydanticField(description="An online dossier not yet accepted after 8 working hours")
    timeliness: str
    revision: int


class DossierDetail(DossierSummary):
    applicant: dict[str, str]
    delivery: str
    delivery_address: str
    fee_total: int
    rules_version: str
    plan: list[StepOut]
    assignee: str | None
    components: list[ComponentOut]
    attachments: list[AttachmentOut]
    returned_at: datetime | None
    returned_to: str


class DossierPage(Out):
    items: list[DossierSummary]
    limit: int
    offset: int
    has_more: bool = PydanticField(description="Lists are not counted (millions of rows); page until false.")


class EventOut(Out):
    seq: int
    action: str
    at: datetime
    actor: str
    role: str
    agency: str | None
    from_status: str
    to_status: str
    from_step: int | None
    to_step: int | None
    note: str
    data: dict[str, Any]
    hash: str


class MilestoneOut(Out):
    at: datetime
    action: str
    label: str


class TrackOut(Out):
    code: str
    procedure: str
    procedure_code: str
    received_at_agency: str
    status: str
    status_label: str
    national_status: int | None
    step: str
    step_agency: str
    submitted_at: datetime
    due_at: datetime | None
    overdue: bool
    returned_at: datetime | None
    milestones: list[MilestoneOut]


class ActionIn(BaseModel):
    """The action's parameters (see each action's schema in the docs) and, optionally, the ``revision`` you
    last saw: if the dossier changed since, you get 409 instead of acting on a dossier you have not seen."""

    model_config = {"extra": "allow"}
    revision: Integer | None = None


def summary(dossier: Dossier, now: datetime | None = None) -> dict[str, Any]:
    from django.utils import timezone

    now = now or timezone.now()
    return {
        "code": dossier.code,
        "status": dossier.status,
        "status_label": str(Status(dossier.status).label),
        "national_status": dossier.national_status,
        "procedure": dossier.procedure.code,
        "procedure_name": dossier.version.name_vi,
        "channel": dossier.channel,
        "receiving_agency": dossier.receiving_agency.identifier_code,
        "current_agency": dossier.current_agency.identifier_code if dossier.current_agency else None,
        "current_role": dossier.current_role,
        "step": dossier.step_index,
        "submitted_at": dossier.submitted_at,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "step_due_at": dossier.step_due_at,
        "apology_due_at": dossier.apology_due_at,
        "overdue": deadlines.is_overdue(dossier, now),
        "step_overdue": deadlines.is_step_overdue(dossier, now),
        "ack_overdue": dossier.status == Status.SUBMITTED and deadlines.ack_overdue(
            dossier, rules.online_ack_deadline(dossier, deadlines.calendar()), now),
        "timeliness": dossier.timeliness,
        "revision": dossier.revision,
    }


def detail(dossier: Dossier, actor: Actor) -> dict[str, Any]:
    """The dossier in full; the applicant's personal data whole or masked, as ``actor`` may see it."""
    from motcua.agencies.models import Agency

    codes = dict(Agency.objects.filter(pk__in={s["agency"] for s in dossier.plan}).values_list("pk",
                                                                                               "identifier_code"))
    applicant = selectors.applicant_for(actor, dossier)
    data = summary(dossier)
    data.update({
        "applicant": {key: applicant[key] for key in ("kind", "name", "id_number", "phone", "email", "address")},
        "delivery": dossier.delivery,
        "delivery_address": applicant["delivery_address"],
        "fee_total": dossier.fee_total,
        "rules_version": dossier.rules_version,
        "plan": [
            {"number": i, "name": s["name"], "role": s["role"], "agency": codes.get(s["agency"], "")}
            for i, s in enumerate(dossier.plan)
        ],
        "assignee": dossier.assignee.get_username() if dossier.assignee else None,
        "components": [
            {"order": c.order, "name": c.name, "required": c.required, "originals": c.originals, "copies": c.copies,
             "received": c.received}
            for c in dossier.components.all()
        ],
        "attachments": [
            {"id": a.pk, "kind": a.kind, "name": a.original_name, "content_type": a.content_type, "size": a.size,
             "sha256": a.sha256, "component": a.component.order if a.component else None}
            for a in Attachment.objects.filter(dossier=dossier).select_related("component")
        ],
        "returned_at": dossier.returned_at,
        "returned_to": dossier.returned_to,
    })
    return data


def _actor(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user)


def _fresh(code: str) -> Dossier:
    return Dossier.objects.select_related("version", "procedure", "receiving_agency", "current_agency",
                                          "assignee").get(code=code)


@router.post("", response={200: DossierDetail, 201: DossierDetail, **ERRORS},
             summary="Submit (online) or receive (counter, post office) a dossier")
def create(request: HttpRequest, payload: DossierIn) -> Reply:
    """A retry with the same ``Idempotency-Key`` header returns the first dossier (200) instead of a new one."""
    key = request.headers.get("Idempotency-Key", "")
    actor = _actor(request)
    dossier, created = services.create_dossier(actor=actor, data=payload.model_dump(), idempotency_key=key)
    return Reply(201 if created else 200, detail(_fresh(dossier.code), actor))


class ListParams(BaseModel):
    status: str = ""
    agency: str = PydanticField(default="", description="Identifier code: held or received there")
    procedure: str = ""
    overdue: bool | None = None
    received_from: IsoDate | None = None
    received_to: IsoDate | None = None
    limit: Integer = PydanticField(default=25, ge=1, le=100)
    offset: Integer = PydanticField(default=0, ge=0, le=100_000)


@router.get("", response={200: DossierPage, **ERRORS}, summary="Dossiers of the caller's agencies")
def list_dossiers(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    filters = selectors.Filters(
        status=params.status, agency=params.agency, procedure=params.procedure, overdue=params.overdue,
        received_from=params.received_from, received_to=params.received_to,
    )
    rows = list(selectors.search(_actor(request), filters)[params.offset: params.offset + params.limit + 1])
    return {
        "items": [summary(d) for d in rows[: params.limit]],
        "limit": params.limit, "offset": params.offset, "has_more": len(rows) > params.limit,
    }


@router.get("/{code}", response={200: DossierDetail, **ERRORS}, summary="One dossier (access is logged)")
def get_dossier(request: HttpRequest, code: str) -> dict[str, Any]:
    actor = _actor(request)
    return detail(selectors.get_for(actor, code, via="api"), actor)


@router.post("/{code}/actions/{action}", response={200: DossierDetail, **ERRORS}, summary="Take an action")
def act(request: HttpRequest, code: str, action: str, payload: ActionIn) -> dict[str, Any]:
    """Actions: receive, request_supplement, supplement, refuse, transfer, assign, forward, send_back, pause,
    resume, approve, issue_result, return_result, withdraw, apologize. 403: not your role or agency;
    409: not possible in the current status, a rule of law forbids it, or the dossier changed (``revision``)."""
    actor = _actor(request)
    selectors.get_for(actor, code)  # 404 for dossiers the caller may not see
    params = payload.model_dump(exclude={"revision"})
    services.perform(code, action, actor=actor, params=params, revision=payload.revision)
    return detail(_fresh(code), actor)


@router.post("/{code}/attachments", response={201: AttachmentOut, **ERRORS}, summary="Upload a file")
def upload(request: HttpRequest, code: str, file: File[UploadedFile], kind: Form[str] = "scan",
           component: Form[int | None] = None) -> Reply:
    """PDF, JPEG or PNG, checked by content; at most ``MOTCUA_MAX_UPLOAD_MB`` (20 MB)."""
    actor = _actor(request)
    selectors.get_for(actor, code)
    attachment = services.attach(code, actor=actor, file=file, name=file.name or "file", kind=kind,
                                 component=component, size=file.size)
    return Reply(201, {"id": attachment.pk, "kind": attachment.kind, "name": attachment.original_name,
                       "content_type": attachment.content_type, "size": attachment.size,
                       "sha256": attachment.sha256, "component": component})


@router.post("/{code}/result", response={200: DossierDetail, **ERRORS}, summary="Issue the result with its file")
def issue_result(request: HttpRequest, code: str, file: File[UploadedFile], note: Form[str] = "",
                 revision: Form[int | None] = None) -> dict[str, Any]:
    """The signed result file (PDF, JPEG or PNG, checked by content) and the ``issue_result`` action in one
    transaction: if the action is refused (403, 409), the file is not kept either. (``actions/issue_result``
    with the ``attachment`` id of a result file uploaded before does the same in two requests.)"""
    actor = _actor(request)
    selectors.get_for(actor, code)
    services.issue_result(code, actor=actor, file=file, name=file.name or "result", size=file.size, note=note,
                          revision=revision)
    return detail(_fresh(code), actor)


@router.get("/{code}/events", response={200: list[EventOut], **ERRORS}, summary="The dossier's event log")
def list_events(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    actor = _actor(request)
    dossier = selectors.get_for(actor, code, via="api")
    whole = selectors.sees_personal_data(actor, dossier)
    return [
        {"seq": e.seq, "action": e.action, "at": e.at, "actor": e.actor_name, "role": e.role,
         "agency": e.agency.identifier_code if e.agency else None, "from_status": e.from_status,
         "to_status": e.to_status, "from_step": e.from_step, "to_step": e.to_step, "note": e.note,
         "data": selectors.event_data_for(e.data, whole=whole), "hash": e.hash}
        for e in selectors.events(dossier)
    ]


@router.get("/{code}/slips/{kind}.pdf", response={200: None, **ERRORS}, summary="An official slip as PDF")
def slip(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    from motcua.dossiers.slips import render_slip

    actor = _actor(request)
    dossier = selectors.get_for(actor, code, via="slip")
    pdf = render_slip(dossier, kind, whole=selectors.sees_personal_data(actor, dossier))
    return private_pdf(pdf, f"{dossier.code}-{kind}.pdf")


@public.get("/{code}", response={200: TrackOut, 404: ErrorOut, 429: ErrorOut},
            summary="Track a dossier by its code (public)")
def track(request: HttpRequest, code: str) -> dict[str, Any]:
    """Status, step, due date and milestones; never personal data. At most ``MOTCUA_TRACK_LIMIT_PER_MINUTE``
    look-ups per client address a minute (shared with the tracking page): 429 and ``Retry-After`` beyond."""
    wait = throttle(request, "track", limit=settings.MOTCUA_TRACK_LIMIT_PER_MINUTE, window=60)
    if wait:
        raise TooManyRequests(wait)
    data = selectors.track(code)
    data.pop("dossier")
    data["status_label"] = str(data["status_label"])
    data["milestones"] = [{**m, "label": str(m["label"])} for m in data["milestones"]]
    return data

