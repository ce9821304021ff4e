"""Refuse oversized request bodies before Django reads them (a 200 MB upload never reaches the disk)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import MotCuaError


def body_limit() -> int:
    """``MOTCUA_MAX_REQUEST_MB`` (50 MB by default): a reception form with several scans fits; each file is
    further limited to ``MOTCUA_MAX_UPLOAD_MB`` by ``documents.validation``."""
    return int(settings.MOTCUA_MAX_REQUEST_MB) * 1024 * 1024


class BodySizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > body_limit():
            error = MotCuaError(
                "request_too_large",
                _("The upload is too large (%(size)s MB): at most %(total)s MB at once, %(limit)s MB per file."),
                {"size": round(length / (1024 * 1024)), "limit": settings.MOTCUA_MAX_UPLOAD_MB,
                 "total": settings.MOTCUA_MAX_REQUEST_MB},
            )
            if request.path.startswith("/api/"):
                return JsonResponse(error.as_dict(), status=413)
            from motcua.portal.errors import too_large

            return too_large(request, error)
        return self.get_response(request)


class ApiMethodNotAllowedMiddleware:
    """A wrong method under /api/ answers in the API's JSON error shape, not Django's HTML page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and request.path.startswith("/api/"):
            error = MotCuaError("method_not_allowed", _("%(method)s is not allowed here; allowed: %(allowed)s."),
                                {"method": request.method, "allowed": response.get("Allow", "")})
            replaced = JsonResponse(error.as_dict(), status=405)
            replaced["Allow"] = response.get("Allow", "")
            return replaced
        return response
