"""The public figures of the service-quality index (``stats.public``): every commune's and department's score,
band and on-time rate, this and the previous month and quarter. No personal data, no dossier codes.

Cached by the browser only (``private``): the page carries the site's header, whose language switcher holds a CSRF
token (and sets its cookie) and which names a signed-in user; a shared cache must not keep it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from motcua.stats import public


@require_safe
@cache_control(private=True, max_age=300)
def figures(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/figures.html", {"tables": public.figures(timezone.localdate())})
