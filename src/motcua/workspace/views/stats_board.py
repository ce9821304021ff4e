"""SKELETON (issue 13): filled in by the board work."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("…")
