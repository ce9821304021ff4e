"""A dossier received from another province, sent back to it by the officer who handled it (the other province's
dossier then moves on: ``integrations.peers``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from motcua.core.errors import MotCuaError
from motcua.integrations.peers import incoming
from motcua.workspace.views.base import actor_of, dossier_or_404


@require_POST
@login_required
def send_back(request: HttpRequest, code: str) -> HttpResponse:
    actor = actor_of(request)
    dossier = dossier_or_404(actor, code)
    outcome = request.POST.get("outcome", "done")
    try:
        incoming.send_back(dossier.code, actor=actor, outcome=outcome, note=request.POST.get("note", "")[:1000])
    except MotCuaError as exc:
        messages.error(request, exc.text())
    else:
        messages.success(request, _("Sent back to the province that asked; it is told at once."))
    return redirect("workspace:dossier", code=dossier.code)
