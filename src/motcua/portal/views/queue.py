"""The public pages of the waiting room (URL names ``queue:…``): the kiosk that issues numbered tickets (and
checks appointments in), a ticket's place in line (the QR code on it), and the display board.

Views parse the request, call ``counters.services`` / ``counters.selectors`` and render; no rule lives here.
Nothing on these pages shows a person's name or phone.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from motcua.agencies.models import Agency
from motcua.agencies.selectors import agency_by_code
from motcua.core.errors import MotCuaError, TooManyRequests
from motcua.core.formats import qr_svg
from motcua.core.web import HtmxHttpRequest, public_url, throttle
from motcua.counters import selectors, services
from motcua.counters.models import Ticket


def area_id(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _agency(code: str) -> Agency:
    agency = agency_by_code(code)
    if agency is None:
        raise Http404
    return agency


def _throttle(request: HttpRequest) -> None:
    """The kiosk is public: a script cannot empty a day's numbers (the center's kiosks share one address, so the
    limit is generous, ``MOTCUA_KIOSK_TICKETS_PER_MINUTE``)."""
    wait = throttle(request, "kiosk", limit=settings.MOTCUA_KIOSK_TICKETS_PER_MINUTE, window=60)
    if wait:
        raise TooManyRequests(wait)


def _ticket_context(request: HttpRequest, ticket: Ticket) -> dict[str, object]:
    url = public_url(reverse("queue:ticket", args=[ticket.token]), request)
    return {"ticket": ticket, "ticket_url": url, "ticket_qr": qr_svg(url, scale=4, title=ticket.label)}


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def kiosk(request: HttpRequest, agency_code: str) -> HttpResponse:
    """``GET``: a big button per service area; ``POST area``: a ticket of that area, shown large with its QR."""
    agency = _agency(agency_code)
    context: dict[str, object] = {"agency": agency, "areas": selectors.areas_of(agency)}
    if request.method == "POST":
        try:
            _throttle(request)
            ticket = services.issue_ticket(area_id=area_id(request.POST.get("area")), agency=agency)
        except MotCuaError as exc:
            context["error"] = exc.text()
            return render(request, "queue/kiosk.html", context, status=exc.status)
        context.update(_ticket_context(request, ticket))
    return render(request, "queue/kiosk.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def check_in(request: HttpRequest, agency_code: str) -> HttpResponse:
    """"I have an appointment": the QR code scanned into (or its code typed in) the box, a priority ticket."""
    agency = _agency(agency_code)
    context: dict[str, object] = {"agency": agency, "areas": selectors.areas_of(agency), "checking_in": True}
    if request.method == "POST":
        try:
            _throttle(request)
            ticket = services.check_in(token=request.POST.get("token", "")[:300], agency=agency)
        except MotCuaError as exc:
            context["error"] = exc.text()
            return render(request, "queue/kiosk.html", context, status=exc.status)
        context.update(_ticket_context(request, ticket))
    return render(request, "queue/kiosk.html", context)


@never_cache
@require_safe
def ticket(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """A ticket's place in its line (people ahead, the estimated wait), refreshed by htmx while it waits."""
    place = selectors.place(token)
    if place is None:
        raise Http404
    template = "queue/_place.html" if request.htmx else "queue/ticket.html"
    return render(request, template, {"place": place, "ticket": place.ticket})


@never_cache
@require_safe
def display(request: HtmxHttpRequest, agency_code: str) -> HttpResponse:
    """The waiting-room board: the tickets called last and their counters, polled every 2 s (``…/bang/``)."""
    agency = _agency(agency_code)
    context = {"agency": agency, "board": selectors.board(agency)}
    template = "queue/_board.html" if request.htmx else "queue/display.html"
    return render(request, template, context)
