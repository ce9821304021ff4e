"""Results sent by post, in the staff workspace: hand a ready result to the post, try an order again, and the
list of shipments of the user's agencies with the ones needing attention highlighted."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from motcua.core.errors import MotCuaError, NotFound
from motcua.postal.selectors import shipments as selectors
from motcua.postal.services import shipments as services
from motcua.workspace.views.base import actor_of, dossier_or_404

PAGE_SIZE = 50


@require_POST
@login_required
def send(request: HttpRequest, code: str) -> HttpResponse:
    actor = actor_of(request)
    dossier = dossier_or_404(actor, code)
    try:
        shipment = services.send_by_post(dossier.code, actor=actor)
    except MotCuaError as exc:
        messages.error(request, exc.text())
    else:
        if shipment.waybill:
            messages.success(request, _("Handed to the post: waybill %(waybill)s.") % {"waybill": shipment.waybill})
        else:
            messages.warning(request, _("The carrier did not answer; the order will be tried again."))
    return redirect("workspace:dossier", code=dossier.code)


@require_POST
@login_required
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        shipment = services.retry(pk, actor=actor)
    except NotFound:
        raise Http404 from None
    except MotCuaError as exc:
        messages.error(request, exc.text())
        return redirect("workspace:shipments")
    if shipment.waybill:
        messages.success(request, _("Handed to the post: waybill %(waybill)s.") % {"waybill": shipment.waybill})
    else:
        messages.error(request, shipment.last_error)
    return redirect("workspace:dossier", code=shipment.dossier.code)


@require_safe
@login_required
def shipment_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    problems = request.GET.get("loi") == "1"
    page = Paginator(selectors.staff_list(actor, problems=problems), PAGE_SIZE).get_page(request.GET.get("trang"))
    return render(request, "postal/shipments.html", {"actor": actor, "page": page, "problems": problems})
