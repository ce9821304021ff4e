"""The JSON API (``/api/v1/``), assembled from the apps' routers; OpenAPI at ``/api/v1/openapi.json``."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError

from motcua import __version__
from motcua.catalog.api import router as catalog_router
from motcua.core.errors import MotCuaError

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
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        loc = [str(p) for p in error.get("loc", []) if p not in ("query", "path", "body")]
        errors.append(
            MotCuaError(
                error.get("type", "invalid"),
                _("Invalid value for %(name)s: %(detail)s"),
                {"name": ".".join(loc) or "request", "detail": error.get("msg", "")},
                location=".".join(loc),
            ).as_dict()
        )
    body = MotCuaError("invalid_request", _("The request has invalid parameters.")).as_dict()
    body["errors"] = errors
    return api.create_response(request, body, status=422)


api.add_router("/procedures", catalog_router)
