"""``/api/v1/dossiers`` (staff and integrations, Bearer token) and ``/api/v1/track`` (public, no personal data).

The endpoints only translate HTTP to ``dossiers.services`` / ``dossiers.selectors`` and back. Each action has its
own operation, ``POST /dossiers/{code}/actions/<name>``, whose body is the action's parameters
(``dossiers.schema``) and the ``revision`` last seen; an unknown key is a 422 naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Query, Router
from ninja import Status as Reply
from ninja.files import UploadedFile
from pydantic import BaseModel

from motcua.api.auth import BearerToken, SessionCookie
from motcua.api.schemas import (
    ACTION_BODIES,
    ERRORS,
    PUBLIC_ERRORS,
    AttachmentKindName,
    AttachmentOut,
    DossierDetail,
    DossierPage,
    DossierSearch,
    ErrorOut,
    EventOut,
    SlipKind,
    TrackOut,
)
from motcua.core.errors import NotFound, TooManyRequests
from motcua.core.responses import private_pdf
from motcua.core.web import throttle
from motcua.dossiers import deadlines, machine, rules, selectors, services
from motcua.dossiers.actors import Actor
from motcua.dossiers.machine import ACTIONS
from motcua.dossiers.models import AttachmentKind, Dossier
from motcua.dossiers.schema import DossierIn
from motcua.dossiers.slips import render_slip
from motcua.dossiers.statuses import EventKind, Status

AUTH = [BearerToken(), SessionCookie()]
router = Router(tags=["dossiers"], auth=AUTH)
public = Router(tags=["tracking"])


def summary(dossier: Dossier, now: datetime | None = None) -> dict[str, Any]:
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
    """The dossier in full; the applicant's personal data whole or masked, as ``actor`` may see it; the actions
    ``actor`` may take now, as the machine answers (``machine.available_actions``)."""
    codes = selectors.plan_agency_codes(dossier)
    applicant = selectors.applicant_for(actor, dossier)
    # the applicant sees the result only once it is paid for (staff see it to return it)
    released = not machine.is_applicant(dossier, actor) or rules.fee_settled(dossier, rules.RELEASE)
    data = summary(dossier)
    unit = dossier.competent_unit
    data.update({
        "competent_unit": {"code": unit.code, "name": unit.name} if unit is not None else None,
        "applicant": {key: applicant[key] for key in ("kind", "name", "id_number", "phone", "email", "address")},
        "delivery": dossier.delivery,
        "delivery_address": applicant["delivery_address"],
        "fee_total": dossier.fee_total,
        "fee_due": rules.fee_due(dossier),
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
            for a in selectors.attachments(dossier) if a.kind != AttachmentKind.RESULT or released
        ],
        "returned_at": dossier.returned_at,
        "returned_to": dossier.returned_to,
        "allowed_actions": [action.name for action in machine.available_actions(dossier, actor)],
    })
    return data


def _actor(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user)


@router.post("", response={200: DossierDetail, 201: DossierDetail, **ERRORS}, operation_id="create_dossier",
             summary="Submit (online) or receive (counter, post office) a dossier")
def create(request: HttpRequest, payload: DossierIn) -> Reply:
    """A retry with the same ``Idempotency-Key`` header returns the first dossier (200) instead of a new one."""
    key = request.headers.get("Idempotency-Key", "")
    actor = _actor(request)
    dossier, created = services.create_dossier(actor=actor, data=payload.model_dump(), idempotency_key=key)
    return Reply(201 if created else 200, detail(selectors.reread(dossier.code), actor))


@router.get("", response={200: DossierPage, **ERRORS}, operation_id="list_dossiers",
            summary="Dossiers of the caller's agencies")
def list_dossiers(request: HttpRequest, params: Query[DossierSearch]) -> dict[str, Any]:
    filters = selectors.Filters(
        status=params.status, agency=params.agency, procedure=params.procedure, overdue=params.overdue,
        received_from=params.received_from, received_to=params.received_to,
    )
    rows = list(selectors.search(_actor(request), filters)[params.offset: params.offset + params.limit + 1])
    return {
        "items": [summary(d) for d in rows[: params.limit]],
        "limit": params.limit, "offset": params.offset, "has_more": len(rows) > params.limit,
    }


@router.get("/{code}", response={200: DossierDetail, **ERRORS}, operation_id="get_dossier",
            summary="One dossier (access is logged)")
def get_dossier(request: HttpRequest, code: str) -> dict[str, Any]:
    actor = _actor(request)
    return detail(selectors.get_for(actor, code, via="api"), actor)


def _action_endpoint(action: str) -> Callable[..., dict[str, Any]]:
    body = ACTION_BODIES[action]

    def act(request: HttpRequest, code: str, payload: BaseModel) -> dict[str, Any]:
        actor = _actor(request)
        selectors.get_for(actor, code)  # 404 for dossiers the caller may not see
        params = payload.model_dump(exclude={"revision"})
        revision = getattr(payload, "revision", None)
        if action == EventKind.ISSUE_RESULT:  # numbered, QR-coded and signed: services.issuing
            services.issue_result(code, actor=actor, pin=params["pin"], attachment=params["attachment"],
                                  presigned=params["presigned"], note=params["note"], revision=revision)
        else:
            services.perform(code, action, actor=actor, params=params, revision=revision)
        return detail(selectors.reread(code), actor)

    act.__annotations__ = {"request": HttpRequest, "code": str, "payload": body, "return": dict[str, Any]}
    act.__name__ = f"act_{action}"
    act.__doc__ = (f"The action `{action}` (`dossiers.machine.ACTIONS`). 403: not your role or agency; 409: not "
                   "possible in the current status, a rule of law forbids it, or the dossier changed (`revision`). "
                   "The dossier's `allowed_actions` lists the actions the caller may take now.")
    return act


for _name in ACTIONS:
    router.post(f"/{{code}}/actions/{_name}", response={200: DossierDetail, **ERRORS}, operation_id=f"act_{_name}",
                summary=f"Action: {_name}")(_action_endpoint(_name))


@router.post("/{code}/actions/{action}", response={404: ErrorOut}, include_in_schema=False)
def unknown_action(request: HttpRequest, code: str, action: str) -> None:
    """An action the machine does not know: 404 ``unknown_action`` (after the dossier's own 404)."""
    selectors.get_for(_actor(request), code)
    raise NotFound("unknown_action", _("There is no action called %(action)s."), {"action": action[:40]})


@router.post("/{code}/attachments", response={201: AttachmentOut, **ERRORS}, operation_id="upload_attachment",
             summary="Upload a file")
def upload(request: HttpRequest, code: str, file: File[UploadedFile], kind: Form[AttachmentKindName] = "scan",
           component: Form[int | None] = None) -> Reply:
    """PDF, JPEG or PNG, checked by content; at most ``MOTCUA_MAX_UPLOAD_MB`` (20 MB)."""
    actor = _actor(request)
    selectors.get_for(actor, code)
    attachment = services.attach(code, actor=actor, file=file, name=file.name or "file", kind=kind,
                                 component=component, size=file.size)
    return Reply(201, {"id": attachment.pk, "kind": attachment.kind, "name": attachment.original_name,
                       "content_type": attachment.content_type, "size": attachment.size,
                       "sha256": attachment.sha256, "component": component})


@router.post("/{code}/result", response={200: DossierDetail, **ERRORS}, operation_id="issue_result_with_file",
             summary="Sign and issue the result with its file")
def issue_result(request: HttpRequest, code: str, file: File[UploadedFile], note: Form[str] = "",
                 pin: Form[str] = "", presigned: Form[bool] = False,
                 revision: Form[int | None] = None) -> dict[str, Any]:
    """The result file (PDF, checked by content): numbered, QR-coded, signed with the caller's certificate
    (``pin``) and sealed, then issued — one transaction; or, with ``presigned``, a file signed elsewhere whose
    signatures are checked and kept as they are. (``actions/issue_result`` issues the latest draft instead.)"""
    actor = _actor(request)
    selectors.get_for(actor, code)
    services.issue_result(code, actor=actor, file=file, name=file.name or "result", size=file.size, note=note,
                          pin=pin[:64], presigned=presigned, revision=revision)
    return detail(selectors.reread(code), actor)


@router.get("/{code}/events", response={200: list[EventOut], **ERRORS}, operation_id="list_events",
            summary="The dossier's event log")
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


@router.get("/{code}/slips/{kind}.pdf", response={200: None, **ERRORS}, operation_id="get_slip",
            summary="An official slip as PDF")
def slip(request: HttpRequest, code: str, kind: SlipKind) -> HttpResponse:
    actor = _actor(request)
    dossier = selectors.get_for(actor, code, via="slip")
    pdf = render_slip(dossier, kind, whole=selectors.sees_personal_data(actor, dossier))
    return private_pdf(pdf, f"{dossier.code}-{kind}.pdf")


@public.get("/{code}", response={200: TrackOut, **PUBLIC_ERRORS, 429: ErrorOut}, operation_id="track_dossier",
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

