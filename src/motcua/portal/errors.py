"""Friendly pages for refusals that happen before or outside a view: an expired security token (CSRF), a request
the boundary refused (``400.html``, ``413.html``, rendered by ``core.middleware.refusal``), a server error. They
say what happened in the visitor's language and lead back to where they were; the wizard's drafts keep what was
saved before. Under ``/api/`` every one of them answers in the API's JSON error shape instead."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views import defaults

from motcua.core.errors import AccessDenied, BadRequest, NotFound, ServerError
from motcua.core.middleware import back_address


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: the page was open too long, or cookies were cleared; reload and try again."""
    if _api(request):
        return JsonResponse(AccessDenied().as_dict(), status=403)
    return render(request, "403_csrf.html", {"back": back_address(request)}, status=403)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler400`` (a forbidden Host header, a suspicious request Django refused itself)."""
    if _api(request):
        return JsonResponse(BadRequest().as_dict(), status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler403``."""
    if _api(request):
        return JsonResponse(AccessDenied().as_dict(), status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404`` (the API's own views, such as its index, raise Django's 404 too)."""
    if _api(request):
        error = NotFound("not_found", _("There is no API endpoint at this address."))
        return JsonResponse(error.as_dict(), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: Django has already logged the exception with its traceback."""
    if _api(request):
        return JsonResponse(ServerError().as_dict(), status=500)
    return defaults.server_error(request)
