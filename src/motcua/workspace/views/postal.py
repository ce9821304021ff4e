"""The post point's pages: its home pickup queue, one pickup as the courier works it on a phone (assign, collect
with the checklist and both signatures, or fail), and booking a pickup for a caller on the phone.

Views parse and call ``postal.services.pickups`` / ``postal.selectors``; every read is scoped to the officer's
points (a pickup of another point is a 404).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from motcua.catalog.models import Delivery
from motcua.catalog.selectors import procedure_version
from motcua.core.errors import FormErrors, MotCuaError, NotFound
from motcua.dossiers.actors import Actor
from motcua.payments import selectors as payment_selectors
from motcua.postal.models import FailReason, Pickup, PickupStatus
from motcua.postal.selectors import pickups as selectors
from motcua.postal.services import pickups
from motcua.workspace.views.base import actor_of, dossier_or_404

PAGE_SIZE = 50


@require_safe
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    name = request.GET.get("queue", "open")
    if name not in selectors.QUEUE_FILTERS:
        raise Http404
    rows = selectors.pickup_queue(actor, name, count=PAGE_SIZE) if selectors.postal_points(actor) else []
    return render(request, "workspace/postal/queue.html", {
        "actor": actor, "rows": rows, "current": name,
        "queues": [(key, label) for key, (label, _states) in selectors.QUEUE_FILTERS.items()],
    })


def _pickup(actor: Actor, pk: int) -> Pickup:
    try:
        return selectors.pickup_for(actor, pk)
    except NotFound:
        raise Http404 from None


def _checklist_rows(pickup: Pickup, post: Any = None) -> list[dict[str, Any]]:
    """The procedure's components with the counts the courier records (the catalogue's counts to start with)."""
    rows = []
    for component in selectors.dossier_components(pickup.dossier):
        catalog = component.component
        originals = catalog.originals if catalog is not None else 0
        copies = catalog.copies if catalog is not None else 0
        row = {"order": component.order, "name": component.name, "required": component.required,
               "originals": originals, "copies": copies, "received": component.required}
        if post is not None:
            row.update(originals=post.get(f"o{component.order}", ""), copies=post.get(f"c{component.order}", ""),
                       received=bool(post.get(f"r{component.order}")))
        rows.append(row)
    return rows


def _page(request: HttpRequest, actor: Actor, pickup: Pickup, errors: FormErrors | None = None,
          status: int = 200) -> HttpResponse:
    post = request.POST if request.method == "POST" else None
    dossier = pickup.dossier
    return render(request, "workspace/postal/pickup.html", {
        "actor": actor, "p": pickup, "d": dossier, "errors": errors or FormErrors(),
        "open": pickup.status in (PickupStatus.REQUESTED, PickupStatus.ASSIGNED),
        "couriers": selectors.couriers(pickup.point_id), "rows": _checklist_rows(pickup, post),
        "due": payment_selectors.amount_due(dossier), "reasons": FailReason.choices,
        "key": post.get("key") if post is not None else uuid.uuid4().hex, "values": post or {},
        "payment_receipt": pickup.receipt_number,
    }, status=status)


@require_safe
@login_required
def pickup(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    found = _pickup(actor, pk)
    dossier_or_404(actor, found.dossier.code, via="pickup")  # the applicant's address and phone: access logged
    return _page(request, actor, found)


@require_POST
@login_required
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    found = _pickup(actor, pk)
    try:
        pickups.assign(found.pk, actor=actor, courier=request.POST.get("courier", ""))
    except MotCuaError as exc:
        return _page(request, actor, found, FormErrors.of(exc), exc.status)
    messages.success(request, _("The courier was assigned."))
    return redirect("workspace:pickup", pk=found.pk)


@require_POST
@login_required
def collect(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    found = _pickup(actor, pk)
    post = request.POST
    checklist = [{"order": row["order"], "originals": post.get(f"o{row['order']}", "0") or "0",
                  "copies": post.get(f"c{row['order']}", "0") or "0", "received": bool(post.get(f"r{row['order']}"))}
                 for row in _checklist_rows(found)]
    collection = pickups.Collection(
        checklist=checklist, applicant_name=post.get("applicant_name", ""),
        applicant_image=post.get("applicant_image", ""), courier_image=post.get("courier_image", ""),
        fee_collected=bool(post.get("fee_collected")), key=f"pickup:{found.pk}:{post.get('key', '')}"[:100],
        note=post.get("note", ""),
    )
    try:
        pickups.collect(found.pk, actor=actor, collection=collection)
    except MotCuaError as exc:
        return _page(request, actor, _pickup(actor, pk), FormErrors.of(exc), exc.status)
    messages.success(request, _("The papers were collected and the dossier received at the post point."))
    return redirect("workspace:pickup", pk=found.pk)


@require_POST
@login_required
def fail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    found = _pickup(actor, pk)
    try:
        pickups.fail(found.pk, actor=actor, reason=request.POST.get("reason", ""), note=request.POST.get("note", ""))
    except MotCuaError as exc:
        return _page(request, actor, found, FormErrors.of(exc), exc.status)
    messages.warning(request, _("The pickup was recorded as failed; the applicant is told and may book again."))
    return redirect("workspace:pickup", pk=found.pk)


@require_POST
@login_required
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """The post point calls the visit off (the applicant asked by phone, or brought the papers in person)."""
    actor = actor_of(request)
    found = _pickup(actor, pk)
    try:
        pickups.cancel(found.pk, actor=actor)
    except MotCuaError as exc:
        return _page(request, actor, found, FormErrors.of(exc), exc.status)
    messages.success(request, _("The pickup was cancelled."))
    return redirect("workspace:pickup", pk=found.pk)


BOOK_FIELDS = ("procedure", "applicant_name", "applicant_id_number", "applicant_phone", "applicant_email",
               "pickup_address", "pickup_commune", "pickup_contact_name", "pickup_contact_phone", "pickup_day",
               "pickup_start", "pickup_end", "delivery", "delivery_address")


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def book(request: HttpRequest) -> HttpResponse:
    """An officer books a pickup for a caller (reception or postal staff)."""
    actor = actor_of(request)
    procedures = selectors.booking_procedures(actor)
    if not procedures:
        raise Http404
    source = request.POST if request.method == "POST" else request.GET
    values = {name: source.get(name, "").strip() for name in BOOK_FIELDS}
    errors = FormErrors()
    status = 200
    if request.method == "POST":
        data = {"procedure": values["procedure"], "delivery": values["delivery"] or "counter",
                "delivery_address": values["delivery_address"],
                "applicant": {"kind": "person", "name": values["applicant_name"],
                              "id_number": values["applicant_id_number"], "phone": values["applicant_phone"],
                              "email": values["applicant_email"], "address": values["pickup_address"]}}
        booking = pickups.Booking(
            address=values["pickup_address"], commune=values["pickup_commune"],
            contact_name=values["pickup_contact_name"] or values["applicant_name"],
            contact_phone=values["pickup_contact_phone"] or values["applicant_phone"],
            start=pickups.moment_of(values["pickup_day"], values["pickup_start"]),
            end=pickups.moment_of(values["pickup_day"], values["pickup_end"]))
        try:
            dossier, _pickup = pickups.book(actor=actor, data=data, booking=booking)
        except MotCuaError as exc:
            errors, status = FormErrors.of(exc, {"applicant.name": "applicant_name",
                                                 "applicant.id_number": "applicant_id_number"}), exc.status
        else:
            messages.success(request, _("Home pickup booked: dossier %(code)s.") % {"code": dossier.code})
            return redirect("workspace:dossier", code=dossier.code)
    chosen = next((v for v in procedures if v.procedure.code == values["procedure"]), procedures[0])
    try:
        version = procedure_version(chosen.procedure.code)
    except MotCuaError:
        version = chosen
    return render(request, "workspace/postal/book.html", {
        "actor": actor, "procedures": procedures, "v": version, "values": values, "errors": errors,
        "communes": selectors.pickup_communes(version),
        "deliveries": [(value, Delivery(value).label) for value in version.result_delivery],
    }, status=status)
