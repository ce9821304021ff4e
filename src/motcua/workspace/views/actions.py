"""The actions on a dossier (one POST per action of the machine's table): the form parsed into the action's
parameters, one service call, the panel again (htmx) or the page.

Validation is the schema's (``dossiers.schema.ACTION_PARAMS``), the decision the machine's; errors come back as
:class:`MotCuaError` and are shown in the action's form, with what the officer typed kept.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from motcua.core.errors import FormErrors as Errors
from motcua.core.errors import MotCuaError
from motcua.core.web import HtmxHttpRequest
from motcua.dossiers import machine, services
from motcua.dossiers.models import Dossier
from motcua.dossiers.schema import ACTION_PARAMS
from motcua.dossiers.services import certification
from motcua.dossiers.statuses import EventKind
from motcua.workspace import selectors
from motcua.workspace.views.base import actor_of, dossier_or_404, int_or_none
from motcua.workspace.views.dossier import OTHER_DOCUMENTS, panel_context

ACTION_FIELD_LABELS = {
    "note": _("Note"), "reasons": _("Reasons"), "reason": _("Reason"), "to_step": _("Step"),
    "assignee": _("Officer"), "new_due_at": _("New appointment date"), "delivery": _("Result delivery"),
    "recipient": _("Received by"), "attachment": _("Result file"), "file": _("Result file"),
    "kind": _("Reason for the pause"), "agency": _("Agency"), "missing": _("Missing documents"),
    "pin": _("PIN of your signing certificate"),
}


def _action_params(action: str, post: QueryDict, dossier: Dossier) -> dict[str, Any]:
    """The action form as ``schema.ACTION_PARAMS[action]`` expects it (validation is the schema's)."""
    params: dict[str, Any] = {"note": post.get("note", "")}
    if action == EventKind.REQUEST_SUPPLEMENT:
        names = {str(c.order): c.name for c in selectors.components(dossier)}
        missing = [{"document": names[order], "reason": post.get(f"reason-{order}", "")}
                   for order in post.getlist("missing_component") if order in names]
        for number in range(1, OTHER_DOCUMENTS + 1):
            document = post.get(f"other_document-{number}", "").strip()
            if document:
                missing.append({"document": document, "reason": post.get(f"other_reason-{number}", "")})
        params["missing"] = missing
        return params
    if action in (EventKind.RECEIVE, EventKind.SUPPLEMENT):
        params["received"] = [int(order) for order in post.getlist("received_component") if order.isdigit()]
        return params
    for name in ACTION_PARAMS[action].model_fields:
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
    actor = actor_of(request)
    found = dossier_or_404(actor, code)
    if action not in ACTION_PARAMS:
        raise Http404
    post = request.POST
    params = _action_params(action, post, found)
    revision = int_or_none(post.get("revision"))
    try:
        if action == EventKind.ISSUE_RESULT:  # the result file and the action: one operation
            upload = request.FILES.get("result_file")
            updated = services.issue_result(
                found.code, actor=actor, pin=post.get("pin", "")[:64], file=upload,
                name=(upload.name or "result") if upload else "", size=upload.size if upload else None,
                presigned=post.get("presigned") == "1", note=params["note"], revision=revision)
        else:
            updated = services.perform(found.code, action, actor=actor, params=params, revision=revision)
    except MotCuaError as exc:
        errors = Errors.of(exc)
        errors.general = _error_lines(errors, params)
        fresh = dossier_or_404(actor, code, via="")  # this request's access is logged already
        context = panel_context(request, actor, fresh, action, post, errors)
        if request.htmx:  # htmx swaps only successful answers: the error is the panel's content
            return render(request, "workspace/_panel.html", context)
        return render(request, "workspace/dossier.html", context, status=exc.status)
    messages.success(request, _("Done: %(action)s. The dossier is now “%(status)s”.") % {
        "action": machine.ACTIONS[action].label, "status": updated.get_status_display()})
    if request.htmx:
        fresh = dossier_or_404(actor, code, via="")  # this request's access is logged already
        return render(request, "workspace/_panel.html", panel_context(request, actor, fresh))
    return redirect("workspace:dossier", code=code)


@require_POST
@login_required
def certify(request: HtmxHttpRequest, code: str, pk: int) -> HttpResponse:
    """Certify a component's file as an electronic copy of the original the applicant shows."""
    actor = actor_of(request)
    found = dossier_or_404(actor, code)
    fee = int_or_none(request.POST.get("fee", "").strip() or "0")
    try:
        made = certification.certify_copy(found.code, actor=actor, attachment=pk, fee=-1 if fee is None else fee,
                                          pin=request.POST.get("pin", ""))
    except MotCuaError as exc:
        messages.error(request, exc.text())
        return redirect("workspace:dossier", code=code)
    messages.success(request, _("Certified copy %(number)s made; it is in the applicant's data warehouse.") % {
        "number": made.register_number})
    return redirect("workspace:dossier", code=code)
