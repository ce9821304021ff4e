"""The citizen's own dossiers ("my dossiers"): the list, a dossier's page with what the applicant may do on it now
(supplement, withdraw: the buttons the machine allows), its files and slips; and the data warehouse.

Views parse, call ``portal.services`` / ``portal.selectors`` and render; the machine decides what is offered.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from motcua.accounts.decorators import citizen_of, citizen_required
from motcua.accounts.selectors import filed_on_behalf
from motcua.catalog.models import Delivery, OnlineLevel
from motcua.core.errors import FormErrors, MotCuaError, NotFound
from motcua.core.responses import file_refused, private_file, private_pdf
from motcua.documents import services as warehouse
from motcua.dossiers import machine
from motcua.dossiers import selectors as dossier_selectors
from motcua.dossiers.integrity import FileAltered, open_verified
from motcua.dossiers.models import Dossier
from motcua.dossiers.services import perform
from motcua.dossiers.slips import available_slips, render_slip
from motcua.dossiers.statuses import EventKind, Status
from motcua.portal import selectors, services
from motcua.portal.views.pending import actor, pending_safe, user_id
from motcua.postal.selectors import pickups as postal_selectors
from motcua.postal.services import pickups

PAGE_SIZE = 20


@require_safe
@citizen_required
def my_dossiers(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.own_dossiers(request.user.pk), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/mine/list.html", {"page": page, "drafts": selectors.open_drafts(request.user)})


def _own(request: HttpRequest, code: str) -> Dossier:
    try:
        return selectors.find_own(request.user.pk, code)
    except NotFound:
        raise Http404 from None


@never_cache
@require_safe
@citizen_required
def my_dossier(request: HttpRequest, code: str) -> HttpResponse:
    return _dossier_page(request, _own(request, code))


def _dossier_page(request: HttpRequest, dossier: Dossier, errors: FormErrors | None = None,
                  status: int = 200) -> HttpResponse:
    who = actor(request)
    pickup = postal_selectors.pickup_view(dossier.pk, whole=True)
    rebook = pickup is not None and pickup.rebookable and dossier.status == Status.SUBMITTED
    context = {
        "dossier": dossier, "t": dossier_selectors.track(dossier.code), "slips": available_slips(dossier),
        "results": selectors.results(dossier), "files": selectors.submitted_files(dossier),
        # issued, but an unpaid dossier cannot release its result: the page says so beside the fee to pay
        "result_waits_for_fee": dossier.result_issued_at is not None and not selectors.result_released(dossier),
        "missing": selectors.missing_items(dossier), "errors": errors or FormErrors(),
        "full_online": dossier.version.online_level == OnlineLevel.FULL,
        "by_post": dossier.delivery == Delivery.POST, "at_counter": dossier.delivery == Delivery.COUNTER,
        # the page asks the machine, as the POST handlers below do through the services
        "can_withdraw": machine.may(dossier, EventKind.WITHDRAW, who),
        "can_supplement": machine.may(dossier, EventKind.SUPPLEMENT, who),
        "pickup": pickup, "rebook": rebook,
        "pickup_communes": postal_selectors.pickup_communes(dossier.version) if rebook else [],
        "typed": request.POST if request.method == "POST" else {},
        "on_behalf": filed_on_behalf(dossier.pk),  # assisted filing: who filed it for her, for which agency
    }
    return render(request, "portal/mine/detail.html", context, status=status)


@require_POST
@pending_safe
def supplement(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _own(request, code)
    files = {}
    for key, upload in request.FILES.items():
        if key.startswith("m") and key[1:].isdigit():
            files[int(key[1:])] = upload
    try:
        services.supplement(dossier=dossier, actor=actor(request), files=files, note=request.POST.get("note", ""))
    except MotCuaError as exc:
        return _dossier_page(request, dossier, FormErrors.of(exc), status=exc.status)
    messages.success(request, _("Thank you: your documents were sent and the dossier went back to the agency."))
    return redirect("portal:my_dossier", code=dossier.code)


@require_POST
@pending_safe
def withdraw(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _own(request, code)
    try:
        perform(dossier.code, EventKind.WITHDRAW, actor=actor(request),
                params={"reason": request.POST.get("reason", "").strip() or _("Withdrawn by the applicant online")})
    except MotCuaError as exc:
        return _dossier_page(request, dossier, FormErrors.of(exc), status=exc.status)
    messages.success(request, _("The dossier was withdrawn."))
    return redirect("portal:my_dossier", code=dossier.code)


@require_POST
@pending_safe
def rebook(request: HttpRequest, code: str) -> HttpResponse:
    """Book the post's visit again after a failed or cancelled pickup."""
    dossier = _own(request, code)
    post = request.POST
    booking = pickups.Booking(
        address=post.get("pickup_address", ""), commune=post.get("pickup_commune", ""),
        contact_name=post.get("pickup_contact_name", ""), contact_phone=post.get("pickup_contact_phone", ""),
        start=pickups.moment_of(post.get("pickup_day", ""), post.get("pickup_start", "")),
        end=pickups.moment_of(post.get("pickup_day", ""), post.get("pickup_end", "")))
    try:
        pickups.rebook(dossier.code, actor=actor(request), booking=booking)
    except MotCuaError as exc:
        return _dossier_page(request, dossier, FormErrors.of(exc), status=exc.status)
    messages.success(request, _("The post's visit was booked again."))
    return redirect("portal:my_dossier", code=dossier.code)


@require_POST
@pending_safe
def cancel_pickup(request: HttpRequest, code: str) -> HttpResponse:
    """Call the post's visit off before the papers are collected."""
    dossier = _own(request, code)
    pickup = postal_selectors.pickup_view(dossier.pk, whole=False)
    if pickup is None:
        raise Http404
    try:
        pickups.cancel(pickup.pk, actor=actor(request))
    except MotCuaError as exc:
        return _dossier_page(request, dossier, FormErrors.of(exc), status=exc.status)
    messages.success(request, _("The post's visit was cancelled."))
    return redirect("portal:my_dossier", code=dossier.code)


@require_safe
@citizen_required
def my_file(request: HttpRequest, code: str, pk: int) -> HttpResponseBase:
    item = selectors.own_attachment(_own(request, code), pk)
    if item is None:
        raise Http404
    try:
        handle = open_verified(item)
    except FileAltered as exc:
        return file_refused(request, exc)
    return private_file(handle, item.content_type, item.original_name)


@require_safe
@citizen_required
def my_slip(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    dossier = _own(request, code)
    if kind not in available_slips(dossier):
        raise Http404
    pdf = render_slip(dossier, kind)
    return private_pdf(pdf, f"{dossier.code}-{kind}.pdf")


# --- the data warehouse ---------------------------------------------------------------------------------


@require_safe
@citizen_required
def warehouse_page(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/warehouse.html", {
        "documents": warehouse.owned(user_id(request)), "citizen": citizen_of(request.user),
        "dossier_count": selectors.own_dossier_count(request.user.pk),
    })


@require_safe
@citizen_required
def warehouse_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    document = selectors.owned_document(user_id(request), pk)
    if document is None:
        raise Http404
    try:
        handle = warehouse.open_document(document)
    except FileAltered as exc:
        return file_refused(request, exc)
    return private_file(handle, document.content_type, f"{document.title[:80]}.pdf")


@require_safe
@citizen_required
def warehouse_archive(request: HttpRequest) -> HttpResponse:
    """All of it at once: personal data, dossiers and documents, as a ZIP (Law 91/2025: the data subject's
    right to obtain their data)."""
    try:
        archive = warehouse.export_archive(request.user)
    except FileAltered as exc:
        return file_refused(request, exc)
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="kho-du-lieu.zip"'
    response["Cache-Control"] = "private, no-store"
    return response
