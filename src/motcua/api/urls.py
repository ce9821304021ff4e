"""The JSON API (``/api/v1/``), assembled from the apps' routers; OpenAPI at ``/api/v1/openapi.json``."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from motcua import __version__
from motcua.catalog.api import router as catalog_router
from motcua.core.errors import MotCuaError, TooManyRequests, ValidationFailed, from_pydantic
from motcua.dossiers.api import public as tracking_router
from motcua.dossiers.api import router as dossiers_router

api = NinjaAPI(
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
    errors = [
        from_pydantic(
            error,  # type: ignore[arg-type]
            ".".join(str(p) for p in error.get("loc", []) if p not in ("query", "path", "body")),
        )
        for error in exc.errors
    ]
    return api.create_response(request, ValidationFailed(errors).as_dict(), status=422)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    error = MotCuaError(
        "unauthorized", _("Sign in, or send a token: Authorization: Bearer … (issued by `motcua create_token`)."),
    )
    return api.create_response(request, error.as_dict(), status=401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own refusals (an unreadable body, throttling…) in the API's error shape."""
    if exc.status_code == 400:
        error = MotCuaError("invalid_body", _("The request body could not be read: send valid JSON (or a form)."))
    else:
        error = MotCuaError("http_error", _("The request was refused (%(status)s)."), {"status": exc.status_code})
    return api.create_response(request, error.as_dict(), status=exc.status_code)


def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Unknown addresses under /api/ answer in JSON like every other API error."""
    error = MotCuaError("not_found", _("There is no API endpoint at this address."))
    return JsonResponse(error.as_dict(), status=404)


api.add_router("/procedures", catalog_router)
api.add_router("/dossiers", dossiers_router)
api.add_router("/track", tracking_router)
