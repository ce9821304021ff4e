"""The public pages of feedback (under ``/danh-gia/``, URL names ``feedback:…``): the applicant's rating of a
returned dossier, the one-minute QR surveys (counter and receipt), the counters' printable QR sheet, and the
feedback/petition form with its lookup and the public list of published answers.

Views parse the request, call ``feedback.services`` / ``feedback.selectors`` and render; no rule lives here.
Nothing on these pages shows a person's name or contact, except the sender's own petition to its sender.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from motcua.accounts.decorators import citizen_of
from motcua.agencies.selectors import agency_by_code
from motcua.core.errors import MotCuaError, NotFound
from motcua.core.formats import qr_svg
from motcua.core.web import HtmxHttpRequest, client_ip, public_url
from motcua.feedback import selectors, services
from motcua.feedback.forms import field_errors, parse_answers, survey_context
from motcua.feedback.models import PetitionKind, PetitionStatus

PAGE_SIZE = 20
SENT_SESSION_KEY = "feedback_petition_sent"


def browser_key(request: HttpRequest) -> str:
    """The browser's session (created for the survey if there is none yet): who answered, without an account."""
    if not request.session.session_key:
        request.session["survey"] = True
        request.session.save()
    return f"session:{request.session.session_key}"


# --- the applicant's rating of a returned dossier --------------------------------------------------------


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def rate(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """``GET``: the rating panel of one's own dossier; ``POST``: rate it (htmx swaps the panel in place)."""
    dossier = selectors.own_dossier(request.user, code)
    if dossier is None:
        raise Http404
    values: QueryDict | None = None
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        try:
            services.rate_dossier(user=request.user, dossier_code=code, answers=parse_answers(request.POST))
        except NotFound:
            raise Http404 from None
        except MotCuaError as exc:
            values, errors, status = request.POST, field_errors(exc), exc.status
        else:
            target = _safe_next(request)
            if target and not request.htmx:
                return HttpResponseRedirect(target)
    context = {"dossier": dossier, "panel_values": values, "panel_errors": errors, "next": _safe_next(request)}
    template = "feedback/_dossier_panel.html" if request.htmx else "feedback/rate.html"
    # htmx swaps only successful answers, so an error is the panel's content with 200
    return render(request, template, context, status=200 if request.htmx else status)


# --- the counter survey ----------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def counter_survey(request: HttpRequest, agency_code: str, counter_number: int) -> HttpResponse:
    counter = selectors.counter(agency_code, counter_number)
    if counter is None:
        raise Http404
    context: dict[str, Any] = {"counter": counter, "agency": counter.agency}
    if request.method == "POST":
        try:
            services.rate_at_counter(agency_code=agency_code, counter_number=counter_number,
                                     answers=parse_answers(request.POST), client=browser_key(request),
                                     address=client_ip(request))
        except services.Throttled as exc:
            return render(request, "feedback/thanks.html", {**context, "notice": exc.text()}, status=exc.status)
        except MotCuaError as exc:
            context.update(survey_context(request.POST, field_errors(exc), ask_on_time=False))
            return render(request, "feedback/counter_survey.html", context, status=exc.status)
        return render(request, "feedback/thanks.html", context)
    context.update(survey_context(ask_on_time=False))
    return render(request, "feedback/counter_survey.html", context)


@require_safe
def counter_sheet(request: HttpRequest, agency_code: str) -> HttpResponse:
    """A printable sheet of the agency's counters, each with the QR code of its survey (to stick on it)."""
    agency = agency_by_code(agency_code)
    if agency is None:
        raise Http404
    rows = []
    for item in selectors.counters_of(agency):
        url = public_url(reverse("feedback:counter_survey", args=[agency.identifier_code, item.number]), request)
        rows.append({"counter": item, "url": url, "qr": qr_svg(url, scale=4, title=item.name)})
    return render(request, "feedback/counter_sheet.html", {"agency": agency, "rows": rows,
                                                           "today": timezone.now()})


# --- the receipt survey ----------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def receipt_survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        dossier = services.receipt_dossier(token)
    except NotFound:
        raise Http404 from None
    context: dict[str, Any] = {"agency": dossier.receiving_agency}
    if request.method == "POST":
        try:
            services.rate_receipt(token=token, answers=parse_answers(request.POST))
        except services.Refused as exc:
            return render(request, "feedback/thanks.html", {**context, "notice": exc.text()}, status=exc.status)
        except MotCuaError as exc:
            context.update(survey_context(request.POST, field_errors(exc), ask_on_time=False))
            return render(request, "feedback/receipt_survey.html", context, status=exc.status)
        return render(request, "feedback/thanks.html", context)
    if selectors.rated(dossier.pk):
        return render(request, "feedback/thanks.html", {**context, "notice": services.AlreadyRated().text()})
    context.update(survey_context(ask_on_time=False))
    return render(request, "feedback/receipt_survey.html", context)


# --- feedback and petitions ------------------------------------------------------------------------------


def _petition_data(post: QueryDict) -> services.PetitionIn:
    return services.PetitionIn(
        kind=post.get("kind", ""), subject=post.get("subject", ""), body=post.get("body", ""),
        agency=post.get("agency", ""), sender_name=post.get("sender_name", ""), phone=post.get("phone", ""),
        email=post.get("email", ""), dossier_code=post.get("dossier_code", ""),
        consent_to_publish=post.get("consent_to_publish") == "on",
    )


@require_http_methods(["GET", "HEAD", "POST"])
def petition(request: HttpRequest) -> HttpResponse:
    """The public feedback/petition form; a signed-in citizen finds their name and contact filled in."""
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        try:
            created = services.submit_petition(data=_petition_data(request.POST), user=request.user,
                                               language=translation.get_language() or "vi")
        except MotCuaError as exc:
            values: QueryDict | dict[str, str] = request.POST
            errors, status = field_errors(exc), exc.status
        else:
            request.session[SENT_SESSION_KEY] = created.code
            return redirect("feedback:petition_sent")
    else:
        citizen = citizen_of(request.user)
        values = {
            "kind": request.GET.get("loai", PetitionKind.FEEDBACK),
            "agency": request.GET.get("co-quan", ""),
            "dossier_code": request.GET.get("ma", "")[:40],
            "sender_name": citizen.full_name if citizen else "",
            "phone": citizen.phone if citizen else "",
            "email": citizen.email if citizen else "",
        }
    context = {"values": values, "errors": errors, "kinds": PetitionKind.choices,
               "agencies": selectors.petition_agencies()}
    return render(request, "feedback/petition.html", context, status=status)


@never_cache
@require_safe
def petition_sent(request: HttpRequest) -> HttpResponse:
    code = request.session.get(SENT_SESSION_KEY)
    if not code:
        return redirect("feedback:petition")
    return render(request, "feedback/petition_sent.html", {"code": code})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def petition_lookup(request: HttpRequest) -> HttpResponse:
    """One's own petition by its code and the phone or email given with it (posted, to keep it out of logs)."""
    code = (request.POST.get("ma") if request.method == "POST" else request.GET.get("ma")) or ""
    found = None
    error = ""
    status = 200
    if request.method == "POST":
        found = selectors.lookup_petition(code[:30], request.POST.get("contact", "")[:200])
        if found is None:
            error, status = _("No feedback or petition matches this code and contact."), 404
    return render(request, "feedback/petition_lookup.html",
                  {"code": code[:30], "petition": found, "error": error, "PetitionStatus": PetitionStatus},
                  status=status)


@require_safe
def published(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.published_petitions(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "feedback/published.html", {"page": page, "PetitionStatus": PetitionStatus})

