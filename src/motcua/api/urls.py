"""The JSON API (``/api/v1/``), assembled from the apps' routers; OpenAPI at ``/api/v1/openapi.json``."""

import logging
from typing import Any

from django.core.exceptions import BadRequest as DjangoBadRequest
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema

from motcua import __version__
from motcua.api.assistant import router as assistant_router
from motcua.api.catalog import router as catalog_router
from motcua.api.dossiers import public as tracking_router
from motcua.api.dossiers import router as dossiers_router
from motcua.api.handovers import router as handovers_router
from motcua.api.national import router as national_router
from motcua.api.openapi import add_links
from motcua.api.payments import router as payments_router
from motcua.api.queue import router as queue_router
from motcua.api.refunds import router as refunds_router
from motcua.api.stats import router as stats_router
from motcua.api.verify import router as verify_router
from motcua.core.errors import (
    AccessDenied,
    BadRequest,
    InvalidBody,
    MotCuaError,
    ServerError,
    TooManyRequests,
    ValidationFailed,
    from_pydantic,
)
from motcua.core.middleware import fields_too_large, too_many_fields

log = logging.getLogger("motcua.api")


class MotCuaApi(NinjaAPI):
    """ninja's document with the links between operations (``api/openapi.py``)."""

    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        add_links(schema)
        return schema


api = MotCuaApi(
    title="MotCua API",
    version=__version__,
    description=(
        "The interconnected electronic one-stop shop. Errors are "
        '`{"error": code, "message": {"vi": …, "en": …}, "location": …}`.'
    ),
    urls_namespace="api",
)


@api.exception_handler(MotCuaError)
def motcua_error(request: HttpRequest, exc: MotCuaError) -> HttpResponse:
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if isinstance(exc, TooManyRequests):
        response["Retry-After"] = str(exc.wait)
    return response


@api.exception_handler(NinjaValidationError)
def invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [from_pydantic(error, _location(error.get("loc", ())))  # type: ignore[arg-type]
              for error in exc.errors]
    return api.create_response(request, ValidationFailed(errors).as_dict(), status=422)


def _location(loc: tuple[str | int, ...] | list[str | int]) -> str:
    """Where a fault is, as the caller wrote it: ``to_step``, ``components.0.order`` (without ninja's source,
    ``body``/``query``/``path``, nor the name of the body's parameter, ``payload``)."""
    parts = list(loc)
    if parts[:2] == ["body", "payload"]:
        parts = parts[2:]
    return ".".join(str(p) for p in parts if p not in ("query", "path", "body"))


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    error = MotCuaError(
        "unauthorized", _("Sign in, or send a token: Authorization: Bearer … (issued by `motcua create_token`)."),
    )
    return api.create_response(request, error.as_dict(), status=401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own refusals (an unreadable body, throttling…) in the API's error shape."""
    if exc.status_code == 400 and request.content_type in ("application/x-www-form-urlencoded", "text/plain"):
        # a form (or curl -d's default) sent to an endpoint that reads a JSON body
        error = MotCuaError("invalid_body", _(
            "The request body could not be read: this endpoint takes JSON (Content-Type: application/json)."))
    elif exc.status_code == 400:
        error = MotCuaError("invalid_body", _("The request body could not be read: send valid JSON (or a form)."))
    elif exc.status_code == 403:  # the only 403 ninja raises itself: a signed-in session without its CSRF token
        error = MotCuaError("csrf_failed", _(
            "A signed-in browser must send the CSRF token (X-CSRFToken header); integrations send "
            "Authorization: Bearer … instead."))
    else:
        error = MotCuaError("http_error", _("The request was refused (%(status)s)."), {"status": exc.status_code})
    return api.create_response(request, error.as_dict(), status=exc.status_code)


@api.exception_handler(Http404)
def http_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return not_found(request)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, AccessDenied().as_dict(), status=403)


@api.exception_handler(SuspiciousOperation)
@api.exception_handler(DjangoBadRequest)
def bad_request(request: HttpRequest, exc: Exception) -> HttpResponse:
    """What Django refuses itself (the input boundary refuses most of it before the view runs)."""
    error: MotCuaError
    if isinstance(exc, RequestDataTooBig):
        error = fields_too_large()
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        error = too_many_fields()
    else:
        error = BadRequest()
    return api.create_response(request, error.as_dict(), status=error.status)


@api.exception_handler(RawPostDataException)
def form_for_json(request: HttpRequest, exc: RawPostDataException) -> HttpResponse:
    """A form (multipart) sent where a JSON body is expected."""
    return api.create_response(request, InvalidBody().as_dict(), status=400)


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Anything unexpected: logged with its traceback like Django's own 500, answered in the error shape."""
    log.error("Internal Server Error: %s", request.path, exc_info=exc, extra={"status_code": 500,
                                                                             "request": request})
    return api.create_response(request, ServerError().as_dict(), status=500)


def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Unknown addresses under /api/ answer in JSON like every other API error."""
    error = MotCuaError("not_found", _("There is no API endpoint at this address."))
    return JsonResponse(error.as_dict(), status=404)


api.add_router("/procedures", catalog_router)
api.add_router("/dossiers", dossiers_router)
api.add_router("/dossiers", payments_router)
api.add_router("/dossiers", refunds_router)
api.add_router("/dossiers", national_router)
api.add_router("/track", tracking_router)
api.add_router("/verify", verify_router)
api.add_router("/handovers", handovers_router)
api.add_router("/stats", stats_router)
api.add_router("/assistant", assistant_router)
api.add_router("/queue", queue_router)
