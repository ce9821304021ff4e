"""Public catalogue pages. Views parse the request, call selectors and render; no rule lives here."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from motcua.agencies.models import AgencyKind
from motcua.agencies.selectors import agency_by_code, public_agencies
from motcua.catalog.models import Level
from motcua.catalog.selectors import (
    SearchFilters,
    due_at,
    fields_in_use,
    procedure_version,
    search_procedures,
)
from motcua.core.calendar import calendar_for
from motcua.core.errors import MotCuaError, NotFound
from motcua.portal.qr import public_url, qr_png, qr_svg

PAGE_SIZE = 20


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    centers = public_agencies().filter(
        kind__in=[AgencyKind.SERVICE_CENTER, AgencyKind.COMMUNE_ONE_STOP, AgencyKind.POST_OFFICE]
    )
    return render(request, "portal/home.html", {"fields": fields_in_use(), "centers": centers})


@require_GET
def procedure_search(request: HttpRequest) -> HttpResponse:
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
    template = "portal/_results.html" if request.htmx else "portal/search.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=400 if error else 200)


def _version_or_404(code: str):  # type: ignore[no-untyped-def]
    try:
        return procedure_version(code)
    except NotFound as exc:
        raise Http404(exc.text()) from None


@require_GET
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


@require_GET
@cache_control(max_age=3600, public=True)
def procedure_qr(request: HttpRequest, code: str) -> HttpResponse:
    version = _version_or_404(code)
    url = public_url(request, reverse("portal:procedure", args=[version.procedure.code]))
    return HttpResponse(qr_png(url), content_type="image/png")


@require_GET
def agency_list(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/agencies.html", {"agencies": public_agencies().order_by("kind", "name")})


@require_GET
def agency_detail(request: HttpRequest, code: str) -> HttpResponse:
    agency = agency_by_code(code)
    if agency is None:
        raise Http404
    versions = search_procedures(SearchFilters(agency=agency.identifier_code))
    return render(request, "portal/agency.html", {"agency": agency, "versions": versions})


@require_GET
def agency_print(request: HttpRequest, code: str) -> HttpResponse:
    """The printable list of a center's procedures, each with a QR code to its page (for the counters)."""
    agency = agency_by_code(code)
    if agency is None:
        raise Http404
    rows = []
    for version in search_procedures(SearchFilters(agency=agency.identifier_code)):
        url = public_url(request, reverse("portal:procedure", args=[version.procedure.code]))
        rows.append((version, qr_svg(url, scale=2, title=version.procedure.code)))
    return render(request, "portal/agency_print.html", {"agency": agency, "rows": rows, "today": timezone.now()})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
