"""The dossier page: what the officer sees of a dossier (applicant, checklist, files, history, slips) and the
forms of the actions the machine allows them now; the dossier's files and slips.

Which forms show is :func:`motcua.dossiers.machine.available_actions`; the page never re-derives a rule.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from motcua.catalog.models import Channel, Delivery
from motcua.core.errors import FormErrors as Errors
from motcua.core.errors import NotFound
from motcua.core.responses import file_refused, private_file, private_pdf
from motcua.dossiers import deadlines, machine, selectors, services
from motcua.dossiers.actors import Actor
from motcua.dossiers.integrity import FileAltered, open_verified
from motcua.dossiers.models import Dossier, DossierComponent
from motcua.dossiers.services import certification, signatures
from motcua.dossiers.slips import SLIP_KINDS, available_slips, render_slip
from motcua.dossiers.statuses import EventKind, PauseKind
from motcua.integrations import selectors as integration_selectors
from motcua.integrations.models import ExchangeState, System
from motcua.integrations.peers import selectors as peer_selectors
from motcua.postal.models import ShipmentStatus
from motcua.postal.selectors import pickups as postal_selectors
from motcua.workspace import selectors as page_selectors
from motcua.workspace.views.base import actor_of, dossier_or_404, local_input

OTHER_DOCUMENTS = 2  # free-text rows in the supplement request form
RECEIPT = "receipt"  # the slip the page offers to print right after reception


def _event_rows(dossier: Dossier, *, whole: bool) -> list[dict[str, Any]]:
    """The history; file names (often a person's name and ID) only for those who may open the files."""
    rows = []
    for event in selectors.events(dossier):
        action = machine.ACTIONS.get(event.action)
        label = action.label if action else selectors.MILESTONES.get(event.action) or (
            EventKind(event.action).label if event.action in EventKind.values else event.action)
        data = event.data or {}
        reasons = [data[k] for k in ("reasons", "reason") if isinstance(data.get(k), str) and data[k]]
        rows.append({"e": event, "label": label, "reasons": reasons, "missing": data.get("missing") or [],
                     "file": (data.get("name") or (data.get("result") or {}).get("name", "")) if whole else "",
                     "assignee": data.get("assignee", ""),
                     "to_agency": data.get("to_agency", "") if event.action != EventKind.REROUTE else "",
                     "reroute": _reroute_line(data) if event.action == EventKind.REROUTE else None,
                     "shipment": _shipment_line(data) if event.action == EventKind.SHIPMENT else "",
                     "exchange": _exchange_line(data) if event.action == EventKind.EXCHANGE else ""})
    return rows


def _reroute_line(data: dict[str, Any]) -> tuple[str, str] | None:
    """A ``reroute`` event (a merge of administrative units): the agency (or unit) it left → the one it went to."""
    if data.get("from_agency_name") and data.get("to_agency_name"):
        return str(data["from_agency_name"]), str(data["to_agency_name"])
    if data.get("from_unit_name") and data.get("to_unit_name"):
        return str(data["from_unit_name"]), str(data["to_unit_name"])
    return None


def _exchange_line(data: dict[str, Any]) -> str:
    """An ``exchange`` event in the history: what happened in the other province, and its dossier there."""
    outcome = ""
    if data.get("final"):  # the other province's answer: done, or declined (the dossier went on, or came back)
        outcome = str(ExchangeState.DONE.label if data.get("outcome") == ExchangeState.DONE
                      else ExchangeState.DECLINED.label)
    parts = [outcome, data.get("remote_label") or "", data.get("remote_code") or "", data.get("not_sent") or ""]
    return " · ".join(str(part) for part in parts if part)


def _shipment_line(data: dict[str, Any]) -> str:
    """A ``shipment`` event in the history: the waybill and the status the carrier reported."""
    status = data.get("status", "")
    label = ShipmentStatus(status).label if status in ShipmentStatus.values else status
    return " · ".join(str(part) for part in (data.get("waybill") or data.get("order_number") or "", label) if part)


def _action_defaults(dossier: Dossier, name: str) -> dict[str, Any]:
    if name == EventKind.RETURN_RESULT:
        return {"delivery": dossier.delivery, "recipient": dossier.applicant_name}
    if name == EventKind.APOLOGIZE:
        return {"new_due_at": local_input(services.apology_default_date(dossier))}
    if name == EventKind.PAUSE:
        return {"kind": PauseKind.OTHER}
    if name == EventKind.SEND_BACK and dossier.step_index > 1:
        return {"to_step": str(dossier.step_index - 1)}
    return {}


def _action_forms(dossier: Dossier, actor: Actor, components: list[DossierComponent], failed: str = "",
                  post: QueryDict | None = None, errors: Errors | None = None) -> list[dict[str, Any]]:
    """One form per action the machine allows the actor now, the failed one open with what was typed."""
    forms = []
    for action in machine.available_actions(dossier, actor):
        values = _action_defaults(dossier, action.name)
        if action.name == failed and post is not None:
            values = {key: post.get(key) for key in post}
            values["missing_component"] = post.getlist("missing_component")
        form: dict[str, Any] = {
            "a": action,
            "values": values,
            "errors": errors if errors is not None and action.name == failed else Errors(),
            "open": action.name == failed,
        }
        if action.name in (EventKind.RECEIVE, EventKind.SUPPLEMENT):
            form["pending_components"] = [c for c in components if not c.received]
        if action.name == EventKind.REQUEST_SUPPLEMENT:
            checked = set(values.get("missing_component") or [])
            form["supplement_rows"] = [
                (c, str(c.order) in checked, values.get(f"reason-{c.order}") or "") for c in components
            ]
            form["other_rows"] = [
                (n, values.get(f"other_document-{n}") or "", values.get(f"other_reason-{n}") or "")
                for n in range(1, OTHER_DOCUMENTS + 1)
            ]
        forms.append(form)
    return forms


def _choices(dossier: Dossier, actions: set[str]) -> dict[str, Any]:
    """The choices offered by the action forms: earlier steps, officers, agencies, pause reasons, deliveries."""
    choices: dict[str, Any] = {}
    if EventKind.SEND_BACK in actions:
        choices["steps"] = [(i, step["name"]) for i, step in enumerate(dossier.plan) if 1 <= i < dossier.step_index]
    if EventKind.ASSIGN in actions:
        choices["officers"] = page_selectors.officers(dossier)
    if EventKind.TRANSFER in actions:
        choices["agencies"] = page_selectors.other_agencies(dossier)
    choices["pause_kinds"] = PauseKind.choices
    choices["deliveries"] = Delivery.choices
    return choices


def panel_context(request: HttpRequest, actor: Actor, dossier: Dossier, failed: str = "",
                  post: QueryDict | None = None, errors: Errors | None = None) -> dict[str, Any]:
    """Everything the dossier's panel shows (``workspace/_panel.html``), the action ``failed`` open with its
    errors and what was typed."""
    now = timezone.now()
    components = page_selectors.components(dossier)
    forms = _action_forms(dossier, actor, components, failed, post, errors)
    slips = [(kind, SLIP_KINDS[kind]) for kind in available_slips(dossier)]
    whole = selectors.sees_personal_data(actor, dossier)
    drafting = machine.may_draft_result(dossier, actor)
    return {
        "actor": actor,
        "d": dossier,
        "whole": whole,  # the applicant's data, e-form and files whole, or masked and closed, by role
        "applicant": selectors.applicant_data(dossier, whole=whole),
        "now": now,
        "overdue": deadlines.is_overdue(dossier, now),
        "step_overdue": deadlines.is_step_overdue(dossier, now),
        "step": dossier.current_step,
        "step_number": dossier.step_index + 1,
        "steps_total": len(dossier.plan),
        "online": dossier.channel == Channel.ONLINE,
        "by_post": dossier.delivery == Delivery.POST,
        "components": components,
        "attachments": page_selectors.attachments(dossier),
        "events": _event_rows(dossier, whole=whole),
        "forms": forms,
        "choices": _choices(dossier, {f["a"].name for f in forms}),
        "slips": slips,
        # the draft of the result: the latest, for the staff who open files; templates for the officer drafting it
        "draft": selectors.latest_draft(dossier) if whole else None,
        "drafting": drafting,
        "result_templates": selectors.result_templates(dossier) if drafting else [],
        "receipt": next((kind for kind, _label in slips if kind == RECEIPT), None),
        "new": request.GET.get("new") == "1",
        "error": errors if errors is not None and failed else None,
        "failed": failed,
        "certify": (certify := whole and certification.may_certify(dossier, actor)),
        "can_sign": certify and signatures.may_sign(actor),  # the certification form asks for the PIN
        "certifiable_kinds": certification.CERTIFIABLE_KINDS,
        # the dossier's home pickup (whole for those who see personal data); its page for the point's postal staff
        "pickup": (pickup := postal_selectors.pickup_view(dossier.pk, whole=whole)),
        "pickup_mine": pickup is not None and pickup.point.pk in postal_selectors.postal_points(actor),
        # the fee taken at the counter or post point; ``receipt``: the one just recorded, to open and print
        "collect": page_selectors.collect_form(actor, dossier),
        "collected": request.GET.get("receipt", "")[:30],
        "exchange": peer_selectors.exchange_view(dossier, actor),  # with another province's MotCua
        # whether its changes reached the national public service portal (delivered, retrying, failed)
        "portal_sync": integration_selectors.delivery_state(dossier.pk, System.PORTAL),
        "EventKind": EventKind,  # the action forms compare their action's name with these, never with a literal
    }


@require_safe
@login_required
def dossier(request: HttpRequest, code: str) -> HttpResponse:
    actor = actor_of(request)
    found = dossier_or_404(actor, code)
    return render(request, "workspace/dossier.html", panel_context(request, actor, found))


@require_safe
@login_required
def attachment(request: HttpRequest, code: str, pk: int) -> HttpResponseBase:
    """A dossier's file, to those who may see the dossier (files are never served from a public address)."""
    actor = actor_of(request)
    found = dossier_or_404(actor, code)
    try:
        item = selectors.attachment_for(actor, found, pk)
    except selectors.FilesNotForYou as exc:
        raise PermissionDenied(exc.text()) from None
    except NotFound:
        raise Http404 from None
    try:
        handle = open_verified(item)
    except FileAltered as exc:
        return file_refused(request, exc)
    return private_file(handle, item.content_type, item.original_name)


@require_safe
@login_required
def slip(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    actor = actor_of(request)
    found = dossier_or_404(actor, code, via="slip")
    if kind not in SLIP_KINDS:
        raise Http404
    try:
        pdf = render_slip(found, kind, whole=selectors.sees_personal_data(actor, found))
    except NotFound as exc:
        raise Http404(exc.text()) from None
    return private_pdf(pdf, f"{found.code}-{kind}.pdf")
