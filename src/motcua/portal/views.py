"""Public catalogue pages. Views parse the request, call selectors and render; no rule lives here."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from motcua.agencies.selectors import agency_by_code, service_points
from motcua.catalog.models import Level, ProcedureVersion
from motcua.catalog.selectors import (
    SearchFilters,
    due_at,
    fields_in_use,
    procedure_version,
    procedures_received_at,
    search_procedures,
)
from motcua.core.calendar import calendar_for
from motcua.core.errors import MotCuaError, NotFound
from motcua.portal.qr import public_url, qr_png, qr_svg

PAGE_SIZE = 20


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


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


def _version_or_404(code: str) -> ProcedureVersion:
    try:
        return procedure_version(code)
    except NotFound as exc:
        raise Http404(exc.text()) from None


@require_safe
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    version = _version_or_404(code)
    url = public_url(request, reverse("portal:procedure", args=[version.procedure.code]))
    now = timezone.now()
    context = {
        "v": version,
        "url": url,
        "qr": qr_svg(url, title=version.procedure.code),
        "now": now,
        "due": due_at(version, now, calendar_for()),
        "fee_total": sum(f.amount for f in version.fees.all()),
    }
    return render(request, "portal/procedure.html", context)


@require_safe
@cache_control(max_age=3600, public=True)
def procedure_qr(request: HttpRequest, code: str) -> HttpResponse:
    version = _version_or_404(code)
    url = public_url(request, reverse("portal:procedure", args=[version.procedure.code]))
    return HttpResponse(qr_png(url), content_type="image/png")


@require_safe
def agency_list(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/agencies.html", {"agencies": service_points().order_by("kind", "name")})


@require_safe
def agency_detail(request: HttpRequest, code: str) -> HttpResponse:
    agency = agency_by_code(code)
    if agency is None:
        raise Http404
    versions = procedures_received_at(agency)
    return render(request, "portal/agency.html", {"agency": agency, "versions": versions})


@require_safe
def agency_print(request: HttpRequest, code: str) -> HttpResponse:
    """The printable list of a center's procedures, each with a QR code to its page (for the counters)."""
    agency = agency_by_code(code)
    if agency is None:
        raise Http404
    rows = []
    for version in procedures_received_at(agency):
        url = public_url(request, reverse("portal:procedure", args=[version.procedure.code]))
        rows.append((version, qr_svg(url, scale=2, title=version.procedure.code)))
    return render(request, "portal/agency_print.html", {"agency": agency, "rows": rows, "today": timezone.now()})


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
