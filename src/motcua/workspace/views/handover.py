"""Hand-over records (biên bản bàn giao) between a post point and an agency: the list of both sides' batches
with their discrepancies, a new batch from the dossiers waiting to go, the batch page (items, originals and
copies, fees, signatures), confirming the packages one per Enter (htmx), and the PDF.

Scoped like everything else: the giving side's and the receiving side's staff see a batch, others get a 404
(``postal.selectors.handover``); what each side may do is the services' to decide (``postal.services.handover``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from motcua.core.errors import MotCuaError
from motcua.core.responses import private_pdf
from motcua.core.web import HtmxHttpRequest
from motcua.dossiers.actors import Actor
from motcua.postal.models import Direction, HandoverBatch, SignMethod
from motcua.postal.selectors import handover as selectors
from motcua.postal.services import handover as services
from motcua.workspace.views.base import actor_of, int_or_none

PAGE_SIZE = 30
OUTCOMES = {
    "received": _("Received: %(code)s."),
    "already": _("%(code)s was already confirmed: counted once."),
    "extra": _("%(code)s is not on this record: flagged as an extra package."),
    "extra_again": _("%(code)s is already flagged as an extra package."),
}


def _batch_or_404(actor: Actor, pk: int) -> HandoverBatch:
    try:
        return selectors.batch_for(actor, pk)
    except selectors.HandoverNotFound as exc:
        raise Http404(exc.text()) from None


@require_safe
@login_required
def handovers(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    page = max(1, int_or_none(request.GET.get("page")) or 1)
    rows = selectors.batches_for(actor, start=(page - 1) * PAGE_SIZE, count=PAGE_SIZE + 1)
    mine = selectors.staff_agencies(actor)
    return render(request, "workspace/handovers.html", {
        "actor": actor,
        "rows": [{"b": b, "given": b.giver_id in mine} for b in rows[:PAGE_SIZE]],
        "page": page, "has_next": len(rows) > PAGE_SIZE,
        "sides": selectors.giver_sides(actor),
        "discrepancies": selectors.discrepancy_count(actor),
    })


@login_required
def new_handover(request: HttpRequest) -> HttpResponse:
    """GET ``?giver=<agency>``: the dossiers (or results) waiting there, by receiver; POST: the batch."""
    actor = actor_of(request)
    sides = dict((agency.pk, (direction, agency)) for direction, agency in selectors.giver_sides(actor))
    giver_id = int_or_none(request.POST.get("giver") if request.method == "POST" else request.GET.get("giver"))
    if giver_id is None and len(sides) == 1:
        giver_id = next(iter(sides))
    if giver_id not in sides:
        raise Http404
    direction, giver = sides[giver_id]
    if request.method == "POST":
        try:
            batch = services.open_batch(
                actor=actor, direction=direction, giver_id=giver.pk,
                receiver_id=int_or_none(request.POST.get("receiver")) or 0, codes=request.POST.getlist("code"),
                note=request.POST.get("note", ""))
        except MotCuaError as exc:
            messages.error(request, exc.text())
            return redirect(f"{request.path}?giver={giver.pk}")
        messages.success(request, _("Record %(number)s prepared: check it, then sign and send it.") % {
            "number": batch.number})
        return redirect("workspace:handover", pk=batch.pk)
    if request.method != "GET":
        raise Http404
    return render(request, "workspace/handover_new.html", {
        "actor": actor, "giver": giver, "direction": direction, "to_agency": direction == Direction.TO_AGENCY,
        "counterparts": selectors.counterparts(direction, giver.pk), "sides": list(sides.values()),
    })


def _page_context(actor: Actor, batch: HandoverBatch, **extra: Any) -> dict[str, Any]:
    gives = selectors.may_give(actor, batch)
    return {
        "actor": actor, "batch": batch, "items": selectors.batch_items(batch), "gives": gives,
        "removable": gives and batch.is_open, "receives": selectors.may_receive(actor, batch),
        "to_agency": batch.direction == Direction.TO_AGENCY, "methods": SignMethod.choices, **extra,
    }


@require_safe
@login_required
def handover(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    batch = _batch_or_404(actor, pk)
    return render(request, "workspace/handover.html", _page_context(actor, batch))


@require_POST
@login_required
def scan(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One package confirmed by its code (a scanner types it and presses Enter); with htmx, the scan panel
    again (focused for the next code) and the item's row updated in place."""
    actor = actor_of(request)
    batch = _batch_or_404(actor, pk)
    code = request.POST.get("code", "")
    result: dict[str, Any] = {}
    try:
        done = services.confirm_item(batch.pk, actor=actor, code=code)
        result = {"ok": True, "outcome": done.outcome, "item": done.item,
                  "text": OUTCOMES[done.outcome] % {"code": done.item.code}}
    except MotCuaError as exc:
        result = {"ok": False, "text": exc.text()}
    if not request.htmx:
        level = (messages.error if not result["ok"] else messages.warning if result["outcome"].startswith("extra")
                 else messages.success)
        level(request, result["text"])
        return redirect("workspace:handover", pk=batch.pk)
    batch = _batch_or_404(actor, pk)
    return render(request, "workspace/_handover_scan.html", {"batch": batch, "result": result,
                                                             "to_agency": batch.direction == Direction.TO_AGENCY})


def _act(request: HttpRequest, pk: int, operation: str) -> HttpResponse:
    actor = actor_of(request)
    batch = _batch_or_404(actor, pk)
    post = request.POST
    method, pin = post.get("method", SignMethod.SCREEN), post.get("pin", "")[:64]
    try:
        if operation == "add":
            services.add_items(batch.pk, actor=actor, codes=post.get("codes", "").split())
        elif operation == "remove":
            services.remove_item(batch.pk, actor=actor, code=post.get("code", ""))
        elif operation == "send":
            services.send_batch(batch.pk, actor=actor, method=method, pin=pin)
            messages.success(request, _("Record %(number)s signed and sent.") % {"number": batch.number})
        else:
            done = services.close_batch(batch.pk, actor=actor, method=method, pin=pin, note=post.get("note", ""))
            text = _("Record %(number)s confirmed and signed.") % {"number": batch.number}
            if done.discrepancies:
                text = _("Record %(number)s closed with %(count)d discrepancies: they stay listed on both "
                         "sides.") % {"number": batch.number, "count": done.discrepancies}
            messages.success(request, text)
    except MotCuaError as exc:
        messages.error(request, exc.text())
    return redirect("workspace:handover", pk=batch.pk)


@require_POST
@login_required
def add(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "add")


@require_POST
@login_required
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "remove")


@require_POST
@login_required
def send(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "send")


@require_POST
@login_required
def close(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "close")


@require_safe
@login_required
def record_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    batch = _batch_or_404(actor, pk)
    try:
        data, name = selectors.record_pdf(batch)
    except MotCuaError as exc:
        raise Http404(exc.text()) from None
    return private_pdf(data, name)
