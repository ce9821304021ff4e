"""Friendly pages for refusals that happen before a view runs: an expired security token (CSRF) and a request
body over the size limit. Both say what happened in the visitor's language and lead back to where they were;
the wizard's drafts keep what was saved before."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from motcua.core.errors import MotCuaError


def _back(request: HttpRequest) -> str:
    """Where to go back to: the page the form was on (its address), never another site."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return referer
    return request.path if request.method == "POST" else "/"


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: the page was open too long, or cookies were cleared; reload and try again."""
    return render(request, "403_csrf.html", {"back": _back(request)}, status=403)


def too_large(request: HttpRequest, error: MotCuaError) -> HttpResponse:
    """The body-size middleware's refusal as a page (it runs before the session and locale middleware)."""
    language = translation.get_language_from_request(request) or settings.LANGUAGE_CODE
    with translation.override(language):
        html = render_to_string("413.html", {"message": error.text(language), "back": _back(request),
                                             "LANGUAGE_CODE": language})
    return HttpResponse(html, status=413)
