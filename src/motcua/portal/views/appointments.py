"""Booking a time slot at a center (URL names ``queue:book…``): a signed-in citizen chooses the service point,
the service area, the day and a free slot; the confirmation shows the QR code to scan at the kiosk; "my
appointments" lists them, with a cancel button while they may be cancelled.

Views parse the request, call ``counters.services`` / ``counters.selectors`` and render; no rule lives here.
"""

from __future__ import annotations

from datetime import date, datetime

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.http import HttpResponseClientRedirect

from motcua.accounts.decorators import citizen_of, citizen_required
from motcua.agencies.selectors import agency_by_code
from motcua.core.calendar import VN_TZ
from motcua.core.errors import MotCuaError
from motcua.core.formats import qr_svg
from motcua.core.web import public_url
from motcua.counters import selectors, services
from motcua.portal.views.queue import area_id


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _moment(value: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return moment.replace(tzinfo=VN_TZ) if moment and moment.tzinfo is None else moment


@never_cache
@citizen_required
@require_http_methods(["GET", "HEAD", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    """Step by step in one page (GET parameters ``co-quan``, ``khu``, ``ngay``); ``POST slot``: book it."""
    code = request.GET.get("co-quan", "")[:100]
    agency = agency_by_code(code) if code else None
    refused = ""  # a service point named in the address that takes no appointments: said, never switched
    if code and (agency is None or not selectors.takes_appointments(agency)):
        refused = (_("%(agency)s does not take appointments. Choose a service point from the list below.")
                   % {"agency": agency.name} if agency else _("This service point does not exist."))
        agency = None
    area = selectors.area(area_id(request.GET.get("khu"))) if agency else None
    if area is not None and agency is not None and (area.agency_id != agency.pk or not area.takes_appointments):
        area = None
    if area is None and agency is not None:  # one service taking appointments: chosen already
        bookable = [a for a in selectors.areas_of(agency) if a.takes_appointments]
        area = bookable[0] if len(bookable) == 1 else None
    days = selectors.bookable_days(area) if area else []
    day = _day(request.GET.get("ngay"))
    day = day if day in days else (days[0] if days else None)
    error = ""
    status = 200
    if request.method == "POST" and area is not None:
        citizen = citizen_of(request.user)
        starts_at = _moment(request.POST.get("slot"))
        try:
            if starts_at is None:
                raise Http404
            appointment = services.book(area_id=area.pk, starts_at=starts_at, name=citizen.full_name,
                                        phone=citizen.phone, user=request.user,
                                        language=citizen.language or translation.get_language() or "vi")
        except MotCuaError as exc:
            error, status = exc.text(), exc.status
        else:
            return HttpResponseRedirect(reverse("queue:appointment", args=[appointment.token]))
    context = {
        "agencies": selectors.agencies_taking_appointments(), "agency": agency, "refused": refused,
        "areas": selectors.areas_of(agency) if agency else [], "area": area, "days": days, "day": day,
        "slots": selectors.free_slots(area, day) if area and day else [], "error": error,
    }
    return render(request, "queue/book.html", context, status=status)


@never_cache
@require_safe
def appointment(request: HttpRequest, token: str) -> HttpResponse:
    """The confirmation: the slot, the place and the QR code to scan at the kiosk (the address the SMS links)."""
    found = selectors.appointment_by_token(token)
    if found is None:
        raise Http404
    url = public_url(reverse("queue:appointment", args=[found.token]), request)
    own = getattr(request.user, "pk", None) == found.user_id and found.user_id is not None
    return render(request, "queue/appointment.html", {
        "appointment": found, "qr": qr_svg(url, scale=6, title=_("Appointment")), "own": own,
        "may_cancel": own and found.is_booked and found.starts_at > timezone.now(),
    })


@never_cache
@citizen_required
@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    return render(request, "queue/mine.html", {"appointments": selectors.appointments_of(request.user),
                                               "now": timezone.now()})


@citizen_required
@require_http_methods(["GET", "HEAD", "POST"])
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    """``POST``: cancel (the page's button asks for a confirmation first); ``GET`` (the address opened or
    bookmarked): back to the appointment's page, nothing cancelled."""
    if request.method != "POST":
        return HttpResponseRedirect(reverse("queue:appointment", args=[token]))
    try:
        services.cancel(token=token, user=request.user)
    except MotCuaError as exc:
        messages.error(request, exc.text())
    else:
        messages.success(request, _("The appointment was cancelled."))
    target = reverse("queue:my_appointments")
    if getattr(request, "htmx", False):  # the confirmed htmx request: the whole page goes to the list
        return HttpResponseClientRedirect(target)
    return HttpResponseRedirect(target)
