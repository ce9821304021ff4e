"""The bare one-row floor of a benchmark: a view that reads one row by the ORM and answers a small JSON document,
served behind the whole middleware stack of the app (sessions, locale, CSRF, authentication, CSP…).

Each benchmark prints its figures beside this floor measured in the same run, on the same server or client, so
that the ratio means something on a machine whose speed varies with its load. ``install()`` adds the view at
``/bench/floor`` (in-process clients); ``floor_wsgi`` serves the app with it (gunicorn).
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import clear_url_caches, path
from django.views.decorators.http import require_safe

PATH = "/bench/floor"


@require_safe
def floor(request: HttpRequest) -> JsonResponse:
    # imported here: this module is imported before django.setup() by floor_wsgi
    from motcua.agencies.models import Agency

    row = Agency.objects.order_by("pk").values("identifier_code", "name").first()
    return JsonResponse(row or {})


def install() -> None:
    """Add the floor view in front of the app's URLs (after django.setup())."""
    from motcua.config import urls  # imported here: needs the settings loaded

    if not any(getattr(p, "name", None) == "bench-floor" for p in urls.urlpatterns):
        urls.urlpatterns.insert(0, path(PATH.lstrip("/"), floor, name="bench-floor"))
        clear_url_caches()
