"""Public catalogue pages. Views parse the request, call selectors and render; no rule lives here."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from motcua.agencies.selectors import agency_by_code, service_points
from motcua.catalog.models import Level, ProcedureVersion
from motcua.catalog.models import Status as CatalogStatus
from motcua.catalog.selectors import (
    SearchFilters,
    boundary_free_procedures,
    due_at,
    fields_in_use,
    procedure_version,
    procedures_received_at,
    search_procedures,
)
from motcua.core.calendar import calendar_for
from motcua.core.errors import MotCuaError, NotFound, TooManyRequests
from motcua.core.formats import qr_png, qr_svg
from motcua.core.web import HtmxHttpRequest, public_url, throttle
from motcua.counters import selectors as queue_selectors
from motcua.dossiers.codes import is_code
from motcua.dossiers.selectors import track as track_dossier
from motcua.portal import selectors
from motcua.postal.selectors import pickups as postal_selectors

PAGE_SIZE = 20


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"fields": fields_in_use(), "centers": service_points()})


@require_safe
@vary_on_headers("HX-Request")  # the same address answers with a fragment for htmx and a page otherwise
def procedure_search(request: HtmxHttpRequest) -> HttpResponse:
    filters = SearchFilters(
        q=request.GET.get("q", ""),
        field=request.GET.get("field", ""),
        level=request.GET.get("level", ""),
        agency=request.GET.get("agency", ""),
        boundary_free=request.GET.get("boundary_free") == "1",
    )
    error: MotCuaError | None = None
    page = None
    try:
        paginator = Paginator(search_procedures(filters), PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
    except MotCuaError as exc:
        error = exc
    context = {
        "filters": filters,
        "page": page,
        "error": error,
        "fields": fields_in_use(),
        "levels": Level.choices,
        "agency": agency_by_code(filters.agency) if filters.agency else None,
    }
    template = "portal/_results.html" if request.htmx else "portal/search.html"
    return render(request, template, context, status=400 if error else 200)


@require_safe
def boundary_free(request: HttpRequest) -> HttpResponse:
    """The public list of procedures received regardless of administrative boundaries (any service point of the
    province receives them; the competent agency handles them), by field; ``?field=`` narrows it. No personal
    data: the catalogue only."""
    field = request.GET.get("field", "")
    error: MotCuaError | None = None
    groups: list[tuple[Any, list[ProcedureVersion]]] = []
    try:
        for version in boundary_free_procedures(field):
            if not groups or groups[-1][0] != version.field:
                groups.append((version.field, []))
            groups[-1][1].append(version)
    except MotCuaError as exc:
        error = exc
    return render(request, "portal/boundary_free.html", {
        "groups": groups, "count": sum(len(g[1]) for g in groups), "field": field, "error": error,
        "fields": fields_in_use()}, status=400 if error else 200)


def _version_or_404(code: str) -> ProcedureVersion:
    try:
        return procedure_version(code)
    except NotFound as exc:
        raise Http404(exc.text()) from None


@require_safe
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    version = _version_or_404(code)
    url = public_url(reverse("portal:procedure", args=[version.procedure.code]), request)
    now = timezone.now()
    context = {
        "v": version,
        "url": url,
        "qr": qr_svg(url, title=version.procedure.code),
        "now": now,
        "in_force": version.status == CatalogStatus.ACTIVE,
        "online": version.submits_online(),
        "due": due_at(version, now, calendar_for()),
        "fee_total": selectors.fee_total(version),
    }
    return render(request, "portal/procedure.html", context)


@require_safe
@cache_control(max_age=3600, public=True)
def procedure_qr(request: HttpRequest, code: str) -> HttpResponse:
    version = _version_or_404(code)
    url = public_url(reverse("portal:procedure", args=[version.procedure.code]), request)
    return HttpResponse(qr_png(url), content_type="image/png")


@require_safe
def agency_list(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/agencies.html", {"agencies": selectors.service_points_by_kind()})


@require_safe
def agency_detail(request: HttpRequest, code: str) -> HttpResponse:
    agency = agency_by_code(code)
    if agency is None:
        raise Http404
    versions = procedures_received_at(agency)
    # the booking link (the menu's too) only where the agency takes appointments, with the agency chosen already
    booking = (f"{reverse('queue:book')}?co-quan={quote(agency.identifier_code)}"
               if queue_selectors.takes_appointments(agency) else "")
    return render(request, "portal/agency.html", {"agency": agency, "versions": versions, "agency_page": True,
                                                  "agency_booking": booking})


@require_safe
def agency_print(request: HttpRequest, code: str) -> HttpResponse:
    """The printable list of a center's procedures, each with a QR code to its page (for the counters)."""
    agency = agency_by_code(code)
    if agency is None:
        raise Http404
    rows = []
    for version in procedures_received_at(agency):
        url = public_url(reverse("portal:procedure", args=[version.procedure.code]), request)
        rows.append((version, qr_svg(url, scale=2, title=version.procedure.code)))
    return render(request, "portal/agency_print.html", {"agency": agency, "rows": rows, "today": timezone.now()})


# What the tracking page may show: status, step, dates and milestones; never a person's name, ID or note.
PUBLIC_TRACK_KEYS = ("code", "procedure", "procedure_code", "received_at_agency", "status", "status_label",
                     "national_status", "step", "step_agency", "submitted_at", "due_at", "overdue", "returned_at")


@require_safe
@never_cache
def track(request: HttpRequest) -> HttpResponse:
    """Public tracking of a dossier by its code (``?ma=``), as printed on the receipt."""
    code = request.GET.get("ma", "").strip()[:60]
    result: dict[str, object] | None = None
    error = ""
    status = 200
    wait = throttle(request, "track", limit=settings.MOTCUA_TRACK_LIMIT_PER_MINUTE, window=60) if code else 0
    if wait:
        error, status = TooManyRequests(wait).text(), 429
    elif code:
        if not is_code(code):
            error, status = _("%(code)s is not a dossier code (it looks like 000.01.20.H22-250701-0001).") % {
                "code": code}, 400
        else:
            try:
                found = track_dossier(code)
            except NotFound as exc:
                error, status = exc.text(), 404
            else:
                result = {key: found[key] for key in PUBLIC_TRACK_KEYS}
                result["milestones"] = [{"at": m["at"], "label": m["label"]} for m in found["milestones"]]
                result["pickup"] = postal_selectors.pickup_view(found["dossier"].pk, whole=False)
    return render(request, "portal/track.html", {"code": code, "result": result, "error": error,
                                                 "limited": status == 429}, status=status)


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    selectors.database_answers()
    return JsonResponse({"status": "ok"})


@require_safe
@cache_control(public=True, max_age=3600)
def form_file(request: HttpRequest, name: str) -> FileResponse:
    """A blank form of the catalogue (a public document), from the file storage, in every mode (not only DEBUG)."""
    try:
        if not name or not default_storage.exists(f"forms/{name}"):
            raise Http404
        handle = default_storage.open(f"forms/{name}", "rb")
    except (SuspiciousFileOperation, ValueError) as exc:
        raise Http404 from exc
    return FileResponse(handle, filename=name.rsplit("/", 1)[-1])
