"""The staff workspace: queues, reception at the counter, the dossier page and its actions.

Views parse the request, call ``dossiers.services`` / ``dossiers.selectors`` and render; every rule (who may do
what, when, with which data) lives in ``motcua.dossiers``. Errors come back as :class:`MotCuaError` and are shown
next to the field they name (``error.location``), with everything the officer typed kept.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from motcua.accounts.lockout import StaffLoginForm
from motcua.agencies.models import Agency, AgencyKind, Membership, Role
from motcua.agencies.selectors import RECEIVING_KINDS
from motcua.catalog.models import Channel, Delivery, Level, ProcedureVersion
from motcua.catalog.selectors import procedure_version, procedures_received_at
from motcua.core.calendar import VN_TZ
from motcua.core.errors import FormErrors as Errors
from motcua.core.errors import MotCuaError, NotFound
from motcua.core.responses import private_file, private_pdf
from motcua.dossiers import deadlines, machine, selectors, services
from motcua.dossiers.actors import Actor
from motcua.dossiers.machine import PauseKind
from motcua.dossiers.models import Dossier
from motcua.dossiers.schema import ACTION_PARAMS
from motcua.dossiers.slips import SLIP_KINDS, available_slips, render_slip
from motcua.geo.models import AdministrativeUnit

PAGE_SIZE = 25
# what a queue row shows (``workspace/_queue.html``, ``_rows``): the rest of the dossier and of its procedure
# version (long texts) is not read
QUEUE_ROW_FIELDS = ("code", "status", "applicant_name", "plan", "step_index", "due_at", "step_due_at",
                    "apology_due_at", "version__name_vi")
FRONT_ROLES = (Role.RECEPTION, Role.POSTAL)
# the submission channels that fit a kind of service point (the procedure's own channels are checked too)
POINT_CHANNELS: dict[str, tuple[str, ...]] = {
    AgencyKind.POST_OFFICE: (Channel.POST_OFFICE, Channel.HOME_PICKUP),
    AgencyKind.SERVICE_CENTER: (Channel.COUNTER,),
    AgencyKind.COMMUNE_ONE_STOP: (Channel.COUNTER,),
}
APPLICANT_FIELDS = ("kind", "name", "id_number", "phone", "email", "address")
# the reception form's fields that show their own errors (components_<n>_… are shown on their row)
RECEIVE_FIELDS = ("procedure", "note", *(f"applicant_{name}" for name in APPLICANT_FIELDS))
CHECKLIST_FIELDS = ("channel", "delivery", "delivery_address", "counter", "components")
OTHER_DOCUMENTS = 2  # free-text rows in the supplement request form
EVENT_LABELS = {"attach": _("File attached")}
ACTION_FIELD_LABELS = {
    "note": _("Note"), "reasons": _("Reasons"), "reason": _("Reason"), "to_step": _("Step"),
    "assignee": _("Officer"), "new_due_at": _("New appointment date"), "delivery": _("Result delivery"),
    "recipient": _("Received by"), "attachment": _("Result file"), "file": _("Result file"),
    "kind": _("Reason for the pause"), "agency": _("Agency"), "missing": _("Missing documents"),
}


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# --- helpers ---------------------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user)


def _dossier_or_404(actor: Actor, code: str, via: str = "workspace") -> Dossier:
    try:
        return selectors.get_for(actor, code, via=via)
    except NotFound as exc:
        raise Http404(exc.text()) from None


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _local_input(moment: datetime | None) -> str:
    """A moment as a ``datetime-local`` input value, in Vietnam's time."""
    return moment.astimezone(VN_TZ).strftime("%Y-%m-%dT%H:%M") if moment else ""


# --- sign-in ---------------------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Staff sign-in, under the one sign-in lockout (:mod:`motcua.accounts.lockout`)."""

    template_name = "workspace/login.html"
    redirect_authenticated_user = True
    authentication_form = StaffLoginForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["demo_accounts"] = _demo_accounts() if settings.DEMO_MODE else []
        return context


class LogoutView(auth_views.LogoutView):
    next_page = "workspace:login"


def _demo_accounts() -> list[dict[str, Any]]:
    """The hypothetical accounts of the demo province (trial mode only), with their roles and agencies."""
    from motcua.demo import AGENCIES_FILE

    names = [row["username"] for row in json.loads(AGENCIES_FILE.read_text(encoding="utf-8"))["staff"]]
    accounts: dict[str, dict[str, Any]] = {}
    for membership in Membership.objects.filter(user__username__in=names, is_active=True).select_related(
        "user", "agency"
    ).order_by("agency__identifier_code", "user__username"):
        account = accounts.setdefault(membership.user.username, {"username": membership.user.username, "roles": []})
        account["roles"].append(f"{membership.get_role_display()} – {membership.agency.name}")
    return list(accounts.values())


# --- queues ----------------------------------------------------------------------------------------------


def _rows(dossiers: list[Dossier], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "d": d,
            "step": (d.current_step or {}).get("name", ""),
            "overdue": deadlines.is_overdue(d, now),
            "step_overdue": deadlines.is_step_overdue(d, now),
        }
        for d in dossiers
    ]


@require_safe
@login_required
@vary_on_headers("HX-Request")
def home(request: HtmxHttpRequest) -> HttpResponse:
    actor = _actor(request)
    name = request.GET.get("queue", "todo")
    if name not in selectors.QUEUES:
        raise Http404
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    now = timezone.now()
    rows: list[Dossier] = []
    if actor.roles:
        # one row more than a page says whether there is a next page, without counting the whole queue
        start = (number - 1) * PAGE_SIZE
        rows = list(selectors.queue(actor, name, now).select_related(None).select_related("version")
                    .only(*QUEUE_ROW_FIELDS)[start:start + PAGE_SIZE + 1])
    context = {
        "actor": actor,
        "queues": selectors.QUEUES.items(),
        "current": name,
        "rows": _rows(rows[:PAGE_SIZE], now),
        "page": number,
        "has_next": len(rows) > PAGE_SIZE,
    }
    template = "workspace/_queue.html" if request.htmx and not request.htmx.history_restore_request else (
        "workspace/home.html")
    return render(request, template, context)


# --- reception -------------------------------------------------------------------------------------------


def _points(actor: Actor) -> QuerySet[Agency]:
    """The service points where the actor receives dossiers."""
    return Agency.objects.filter(
        pk__in=actor.agencies_with(*FRONT_ROLES), kind__in=RECEIVING_KINDS, is_active=True
    ).order_by("identifier_code")


def _point(actor: Actor, code: str) -> Agency | None:
    points = list(_points(actor))
    return next((p for p in points if p.identifier_code == code), points[0] if points else None)


def _version(code: str) -> tuple[ProcedureVersion | None, MotCuaError | None]:
    if not code:
        return None, None
    try:
        return procedure_version(code), None
    except MotCuaError as exc:
        return None, exc


def _checklist_context(
    version: ProcedureVersion | None, point: Agency | None, values: QueryDict | None, errors: Errors,
) -> dict[str, Any]:
    """Everything the procedure-dependent part of the reception form needs (values typed so far kept)."""
    if version is None or point is None:
        return {"version": None, "errors": errors}
    rows = []
    for index, component in enumerate(version.components.all()):
        order = index + 1
        prefix = f"c{order}-"
        if values is not None and f"{prefix}originals" in values:
            originals, copies = values.get(f"{prefix}originals", ""), values.get(f"{prefix}copies", "")
            received = f"{prefix}received" in values
        else:
            originals, copies, received = str(component.originals), str(component.copies), False
        row_errors = [
            text for name in ("", "_order", "_originals", "_copies", "_received")
            for text in errors.fields.get(f"components_{index}{name}", [])
        ]
        rows.append({"order": order, "c": component, "prefix": prefix, "originals": originals, "copies": copies,
                     "received": received, "errors": row_errors})
    fits = POINT_CHANNELS.get(point.kind, ())
    channels = [c for c in version.channels if c in fits] or [c for c in version.channels if c != Channel.ONLINE]
    units: QuerySet[AdministrativeUnit] = AdministrativeUnit.objects.none()
    if version.boundary_free and version.level == Level.COMMUNE:
        units = AdministrativeUnit.objects.filter(
            agencies__kind=AgencyKind.PEOPLE_COMMITTEE, agencies__is_active=True
        ).distinct().order_by("name")
    return {
        "version": version,
        "point": point,
        "rows": rows,
        "channels": [(c, Channel(c).label) for c in channels],
        "deliveries": [(d, Delivery(d).label) for d in version.result_delivery],
        "counters": point.counters.all(),
        "units": units,
        "values": values if values is not None else {},
        "errors": errors,
    }


def _dossier_data(post: QueryDict, version: ProcedureVersion | None, point: Agency | None) -> dict[str, Any]:
    """The reception form as ``schema.DossierIn`` expects it; numbers are left as typed for the schema to check."""
    components = []
    for order in range(1, (version.components.count() if version else 0) + 1):
        item: dict[str, Any] = {"order": order, "received": f"c{order}-received" in post}
        for name in ("originals", "copies"):
            raw = post.get(f"c{order}-{name}", "").strip()
            if raw:
                item[name] = raw
        components.append(item)
    data: dict[str, Any] = {
        "procedure": post.get("procedure", ""),
        "channel": post.get("channel", ""),
        "receiving_agency": point.identifier_code if point else "",
        "counter": post.get("counter", "").strip() or None,
        "competent_unit": post.get("competent_unit", ""),
        "applicant": {name: post.get(f"applicant_{name}", "") for name in APPLICANT_FIELDS},
        "components": components,
        "delivery": post.get("delivery", ""),
        "delivery_address": post.get("delivery_address", ""),
        "receive": post.get("receive") != "0",
        "note": post.get("note", ""),
    }
    return data


def _scans(request: HttpRequest, version: ProcedureVersion | None) -> dict[int, UploadedFile]:
    """The uploaded scans by component number."""
    count = version.components.count() if version else 0
    return {order: upload for order in range(1, count + 1) if (upload := request.FILES.get(f"c{order}-scan"))}


def _receive_page(request: HttpRequest, actor: Actor, values: QueryDict | None, errors: Errors) -> HttpResponse:
    source = values if values is not None else request.GET
    points = list(_points(actor))
    point = _point(actor, source.get("point", ""))
    version, problem = _version(source.get("procedure", ""))
    if problem is not None:
        errors.fields.setdefault("procedure", []).append(problem.text())
    checklist = _checklist_context(version, point, values, errors)
    shown = set(RECEIVE_FIELDS)
    if checklist["version"] is not None:
        shown |= {*CHECKLIST_FIELDS, *(["competent_unit"] if checklist["units"] else [])}
    for key in [k for k in errors.fields if k not in shown and not (version and k.startswith("components_"))]:
        errors.general.extend(errors.fields.pop(key))  # e.g. receiving_agency: no field of its own here
    context = {
        "actor": actor,
        "points": points,
        "point": point,
        "procedures": procedures_received_at(point) if point else [],
        "selected": source.get("procedure", ""),
        "values": values if values is not None else request.GET,
        "kinds": [("person", _("Person")), ("organization", _("Organization or business"))],
        "errors": errors,
        "lost_files": bool(values is not None and request.FILES),
        **{f"checklist_{k}": v for k, v in checklist.items()},
    }
    return render(request, "workspace/receive.html", context, status=errors.status if errors else 200)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def receive(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if request.method != "POST":
        return _receive_page(request, actor, None, Errors())
    post = request.POST
    point = _point(actor, post.get("point", ""))
    version, _problem = _version(post.get("procedure", ""))
    try:
        dossier = services.receive_at_counter(actor=actor, data=_dossier_data(post, version, point),
                                              scans=_scans(request, version))
    except MotCuaError as exc:
        return _receive_page(request, actor, post, Errors.of(exc, {"code": "procedure"}))
    messages.success(request, _("Dossier %(code)s recorded: %(status)s.") % {
        "code": dossier.code, "status": dossier.get_status_display()})
    return redirect(reverse("workspace:dossier", args=[dossier.code]) + "?new=1")


@require_safe
@login_required
def receive_checklist(request: HttpRequest) -> HttpResponse:
    """The procedure-dependent part of the reception form (htmx, when the procedure is picked)."""
    actor = _actor(request)
    point = _point(actor, request.GET.get("point", ""))
    version, problem = _version(request.GET.get("procedure", ""))
    errors = Errors()
    if problem is not None:
        errors.general.append(problem.text())
    context = {f"checklist_{k}": v for k, v in _checklist_context(version, point, None, errors).items()}
    return render(request, "workspace/_checklist.html", context)


# --- the dossier page ------------------------------------------------------------------------------------


def _slips(dossier: Dossier) -> list[tuple[str, Any]]:
    return [(kind, SLIP_KINDS[kind]) for kind in available_slips(dossier)]


def _event_rows(dossier: Dossier, *, whole: bool) -> list[dict[str, Any]]:
    """The history; file names (often a person's name and ID) only for those who may open the files."""
    rows = []
    for event in selectors.events(dossier):
        action = machine.ACTIONS.get(event.action)
        label = action.label if action else selectors.MILESTONES.get(event.action) or EVENT_LABELS.get(
            event.action, event.action)
        data = event.data or {}
        reasons = [data[k] for k in ("reasons", "reason") if isinstance(data.get(k), str) and data[k]]
        rows.append({"e": event, "label": label, "reasons": reasons, "missing": data.get("missing") or [],
                     "file": (data.get("name") or (data.get("result") or {}).get("name", "")) if whole else "",
                     "assignee": data.get("assignee", ""), "to_agency": data.get("to_agency", "")})
    return rows


def _action_defaults(dossier: Dossier, name: str) -> dict[str, Any]:
    if name == "return_result":
        return {"delivery": dossier.delivery, "recipient": dossier.applicant_name}
    if name == "apologize":
        return {"new_due_at": _local_input(services.apology_default_date(dossier))}
    if name == "pause":
        return {"kind": PauseKind.OTHER}
    if name == "send_back" and dossier.step_index > 1:
        return {"to_step": str(dossier.step_index - 1)}
    return {}


def _action_forms(dossier: Dossier, actor: Actor, failed: str = "", post: QueryDict | None = None,
                  errors: Errors | None = None) -> list[dict[str, Any]]:
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
        if action.name in ("receive", "supplement"):
            form["pending_components"] = [c for c in dossier.components.all() if not c.received]
        if action.name == "request_supplement":
            checked = set(values.get("missing_component") or [])
            form["supplement_rows"] = [
                (c, str(c.order) in checked, values.get(f"reason-{c.order}") or "") for c in dossier.components.all()
            ]
            form["other_rows"] = [
                (n, values.get(f"other_document-{n}") or "", values.get(f"other_reason-{n}") or "")
                for n in range(1, OTHER_DOCUMENTS + 1)
            ]
        forms.append(form)
    return forms


def _choices(dossier: Dossier, actions: set[str]) -> dict[str, Any]:
    """The choices offered by the action forms: components, earlier steps, officers, agencies."""
    choices: dict[str, Any] = {}
    if "send_back" in actions:
        choices["steps"] = [(i, step["name"]) for i, step in enumerate(dossier.plan) if 1 <= i < dossier.step_index]
    if "assign" in actions and dossier.current_agency_id is not None:
        choices["officers"] = [
            m.user for m in Membership.objects.filter(
                agency_id=dossier.current_agency_id, role=dossier.current_role, is_active=True, user__is_active=True,
            ).select_related("user").order_by("user__last_name", "user__first_name", "user__username")
        ]
    if "transfer" in actions:
        choices["agencies"] = Agency.objects.filter(is_active=True).exclude(
            pk=dossier.current_agency_id or 0).order_by("kind", "name")
    choices["pause_kinds"] = PauseKind.choices
    choices["deliveries"] = Delivery.choices
    return choices


def _panel_context(request: HttpRequest, actor: Actor, dossier: Dossier, failed: str = "",
                   post: QueryDict | None = None, errors: Errors | None = None) -> dict[str, Any]:
    now = timezone.now()
    forms = _action_forms(dossier, actor, failed, post, errors)
    slips = _slips(dossier)
    step = dossier.current_step
    whole = selectors.sees_personal_data(actor, dossier)
    return {
        "actor": actor,
        "d": dossier,
        "whole": whole,  # the applicant's data, e-form and files whole, or masked and closed, by role
        "applicant": selectors.applicant_data(dossier, whole=whole),
        "now": now,
        "overdue": deadlines.is_overdue(dossier, now),
        "step_overdue": deadlines.is_step_overdue(dossier, now),
        "step": step,
        "step_number": dossier.step_index + 1,
        "steps_total": len(dossier.plan),
        "components": dossier.components.select_related("component").prefetch_related("attachments"),
        "attachments": dossier.attachments.select_related("component"),
        "events": _event_rows(dossier, whole=whole),
        "forms": forms,
        "choices": _choices(dossier, {f["a"].name for f in forms}),
        "slips": slips,
        "receipt": next((kind for kind, _label in slips if kind == "receipt"), None),
        "new": request.GET.get("new") == "1",
        "error": errors if errors is not None and failed else None,
        "failed": failed,
    }


@require_safe
@login_required
def dossier(request: HttpRequest, code: str) -> HttpResponse:
    actor = _actor(request)
    found = _dossier_or_404(actor, code)
    return render(request, "workspace/dossier.html", _panel_context(request, actor, found))


def _action_params(action: str, post: QueryDict, dossier: Dossier) -> dict[str, Any]:
    """The action form as ``schema.ACTION_PARAMS[action]`` expects it (validation is the schema's)."""
    params: dict[str, Any] = {"note": post.get("note", "")}
    fields = ACTION_PARAMS[action].model_fields
    if action == "request_supplement":
        names = {str(c.order): c.name for c in dossier.components.all()}
        missing = [{"document": names[order], "reason": post.get(f"reason-{order}", "")}
                   for order in post.getlist("missing_component") if order in names]
        for number in range(1, OTHER_DOCUMENTS + 1):
            document = post.get(f"other_document-{number}", "").strip()
            if document:
                missing.append({"document": document, "reason": post.get(f"other_reason-{number}", "")})
        params["missing"] = missing
        return params
    if action in ("receive", "supplement"):
        params["received"] = [int(order) for order in post.getlist("received_component") if order.isdigit()]
        return params
    for name in fields:
        if name in ("note", "attachment"):
            continue
        if name in post:
            params[name] = post.get(name)
    return params


def _error_lines(errors: Errors, params: dict[str, Any]) -> list[str]:
    """An action's errors as lines that say what they are about (``missing.1.reason`` names the document)."""
    lines = list(errors.general)
    missing = params.get("missing") or []
    for key, texts in errors.fields.items():
        parts = key.split("_")
        label: Any = ACTION_FIELD_LABELS.get(key, key)
        if parts[0] == "missing" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(missing):
            label = missing[int(parts[1])]["document"]
        lines.extend(f"{label}: {text}" for text in texts)
    return lines


@require_POST
@login_required
def act(request: HtmxHttpRequest, code: str, action: str) -> HttpResponse:
    actor = _actor(request)
    found = _dossier_or_404(actor, code)
    if action not in ACTION_PARAMS:
        raise Http404
    post = request.POST
    params = _action_params(action, post, found)
    revision = _int_or_none(post.get("revision"))
    try:
        if action == "issue_result":  # the result file and the action: one operation
            upload = request.FILES.get("result_file")
            updated = services.issue_result(
                found.code, actor=actor, file=upload, name=(upload.name or "result") if upload else "",
                size=upload.size if upload else None, note=params["note"], revision=revision)
        else:
            updated = services.perform(found.code, action, actor=actor, params=params, revision=revision)
    except MotCuaError as exc:
        errors = Errors.of(exc)
        errors.general = _error_lines(errors, params)
        fresh = _dossier_or_404(actor, code, via="")  # this request's access is logged already
        context = _panel_context(request, actor, fresh, action, post, errors)
        if request.htmx:  # htmx swaps only successful answers: the error is the panel's content
            return render(request, "workspace/_panel.html", context)
        return render(request, "workspace/dossier.html", context, status=exc.status)
    messages.success(request, _("Done: %(action)s. The dossier is now “%(status)s”.") % {
        "action": machine.ACTIONS[action].label, "status": updated.get_status_display()})
    if request.htmx:
        fresh = _dossier_or_404(actor, code, via="")  # this request's access is logged already
        return render(request, "workspace/_panel.html", _panel_context(request, actor, fresh))
    return redirect("workspace:dossier", code=code)


@require_safe
@login_required
def attachment(request: HttpRequest, code: str, pk: int) -> FileResponse:
    """A dossier's file, to those who may see the dossier (files are never served from a public address)."""
    actor = _actor(request)
    found = _dossier_or_404(actor, code)
    try:
        item = selectors.attachment_for(actor, found, pk)
    except selectors.FilesNotForYou as exc:
        raise PermissionDenied(exc.text()) from None
    except NotFound:
        raise Http404 from None
    return private_file(item.file, item.content_type, item.original_name)


@require_safe
@login_required
def slip(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    actor = _actor(request)
    found = _dossier_or_404(actor, code, via="slip")
    if kind not in SLIP_KINDS:
        raise Http404
    try:
        pdf = render_slip(found, kind, whole=selectors.sees_personal_data(actor, found))
    except NotFound as exc:
        raise Http404(exc.text()) from None
    return private_pdf(pdf, f"{found.code}-{kind}.pdf")


