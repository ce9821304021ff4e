"""The virtual assistant's pages: the question box (``/tro-ly/``; ``?counter=`` from the QR code at a counter) and
the printable QR code of each service point. The answers come from ``assistant.services`` (docs/assistant.md)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from motcua.agencies.selectors import agency_by_code
from motcua.assistant import selectors
from motcua.assistant.models import AskChannel
from motcua.assistant.services import MAX_QUESTION, ask
from motcua.core.errors import TooManyRequests
from motcua.core.formats import qr_png, qr_svg
from motcua.core.web import HtmxHttpRequest, public_url, throttle

MAX_READ = 20 * MAX_QUESTION  # longer input is cut before it is read (the answer still says "too long")


@require_safe
@vary_on_headers("HX-Request")  # the same address answers with a fragment for htmx and a page otherwise
def assistant(request: HtmxHttpRequest) -> HttpResponse:
    question = request.GET.get("q", "")[:MAX_READ]
    commune = request.GET.get("commune", "")[:10]
    counter_code = request.GET.get("counter", "")[:20]
    counter = agency_by_code(counter_code) if counter_code else None
    answer = None
    error = ""
    status = 200
    if "q" in request.GET:
        wait = throttle(request, "assistant", limit=settings.MOTCUA_ASSISTANT_LIMIT_PER_MINUTE, window=60)
        if wait:
            error, status = TooManyRequests(wait).text(), 429
        else:
            answer = ask(question, channel=AskChannel.QR if counter else AskChannel.WEB, commune=commune,
                         counter=counter.identifier_code if counter else "")
    context = {
        "question": question, "commune": commune, "counter": counter, "answer": answer, "error": error,
        "communes": selectors.communes_served(), "examples": selectors.EXAMPLES, "max_length": MAX_QUESTION,
    }
    template = "portal/_assistant_answer.html" if request.htmx else "portal/assistant.html"
    return render(request, template, context, status=status)


def _assistant_url(request: HttpRequest, code: str) -> str:
    return public_url(reverse("portal:assistant") + "?" + urlencode({"counter": code}), request)


@require_safe
def agency_assistant_qr(request: HttpRequest, code: str) -> HttpResponse:
    """A printable sheet for a counter: the QR code that opens the assistant with this service point as where to
    go (its questions are counted as asked at the counter)."""
    agency = agency_by_code(code)
    if agency is None:
        raise Http404
    url = _assistant_url(request, agency.identifier_code)
    return render(request, "portal/assistant_qr.html", {
        "agency": agency, "url": url, "qr": qr_svg(url, scale=8, title=agency.name), "examples": selectors.EXAMPLES})


@require_safe
@cache_control(max_age=3600, public=True)
def agency_assistant_qr_png(request: HttpRequest, code: str) -> HttpResponse:
    agency = agency_by_code(code)
    if agency is None:
        raise Http404
    return HttpResponse(qr_png(_assistant_url(request, agency.identifier_code), scale=10), content_type="image/png")
