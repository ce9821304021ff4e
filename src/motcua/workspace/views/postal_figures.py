"""Postal figures for leaders and supervisors (``postal.figures``): per post point and phase, for a period."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from motcua.core.calendar import VN_TZ
from motcua.postal import figures as postal_figures
from motcua.workspace.views.base import actor_of


def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


@require_safe
@login_required
def figures(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.agencies_with(*postal_figures.SUPERVISING):
        raise PermissionDenied
    today = timezone.localdate()
    first = _day(request.GET.get("tu"), today.replace(day=1))
    last = _day(request.GET.get("den"), today)
    if last < first:
        first, last = last, first
    start = datetime.combine(first, time.min, tzinfo=VN_TZ)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=VN_TZ)
    rows = postal_figures.figures(actor, start, end)
    return render(request, "workspace/postal/figures.html", {
        "actor": actor, "rows": rows, "totals": postal_figures.totals(rows), "first": first, "last": last,
    })
