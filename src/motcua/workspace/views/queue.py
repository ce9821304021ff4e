"""The officer's counter in the waiting room (``/workspace/quay/``): call the next number, call it again, set it
aside (absent), mark it served; and the waiting-time figures for leaders and supervisors, with a CSV export.

Counters are those of the officer's agencies (``counters.selectors.counters_for``); the services check again.
Views parse, call and render; no rule lives here.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from motcua.core.errors import MotCuaError
from motcua.core.web import HtmxHttpRequest
from motcua.counters import figures as queue_figures
from motcua.counters import selectors, services
from motcua.stats import exports
from motcua.workspace.views.base import actor_of, int_or_none

SESSION_COUNTER = "queue_counter"
ACTIONS = {"next", "call", "recall", "skip", "finish"}


def _render_desk(request: HttpRequest, counter_id: int | None, *, notice: str = "", error: str = "",
                 status: int = 200) -> HttpResponse:
    actor = actor_of(request)
    counters = selectors.counters_for(actor)
    if not counters:
        raise PermissionDenied
    counter = selectors.counter_for(actor, counter_id) or counters[0]
    request.session[SESSION_COUNTER] = counter.pk
    context = {"actor": actor, "counters": counters, "desk": selectors.desk(counter), "notice": notice,
               "error": error}
    template = "workspace/queue/_desk.html" if getattr(request, "htmx", False) else "workspace/queue/panel.html"
    return render(request, template, context, status=status)


@never_cache
@require_safe
@login_required
def panel(request: HtmxHttpRequest) -> HttpResponse:
    counter_id = int_or_none(request.GET.get("quay")) or request.session.get(SESSION_COUNTER)
    return _render_desk(request, counter_id)


@require_POST
@login_required
def act(request: HtmxHttpRequest, counter_id: int, action: str) -> HttpResponse:
    """One button of the counter: ``next``, ``call`` (a chosen ticket), ``recall``, ``skip``, ``finish``."""
    counter = selectors.counter_for(actor_of(request), counter_id)
    if counter is None or action not in ACTIONS:
        raise PermissionDenied
    ticket_id = int_or_none(request.POST.get("ticket")) or 0
    try:
        if action == "next":
            ticket = services.call_next(counter=counter, staff=request.user)
        elif action == "call":
            ticket = services.call(ticket_id=ticket_id, counter=counter, staff=request.user)
        elif action == "recall":
            ticket = services.recall(ticket_id=ticket_id, counter=counter, staff=request.user)
        elif action == "skip":
            ticket = services.skip(ticket_id=ticket_id, counter=counter, staff=request.user)
        else:
            ticket = services.finish(ticket_id=ticket_id, counter=counter, staff=request.user)
    except MotCuaError as exc:
        if not request.htmx:
            return HttpResponseRedirect(reverse("workspace:queue") + f"?quay={counter.pk}")
        return _render_desk(request, counter.pk, error=exc.text())
    if not request.htmx:
        return HttpResponseRedirect(reverse("workspace:queue") + f"?quay={counter.pk}")
    return _render_desk(request, counter.pk, notice=ticket.label)


def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _period(request: HttpRequest) -> tuple[date, date]:
    today = timezone.localdate()
    first = _day(request.GET.get("tu"), today - timedelta(days=6))
    last = _day(request.GET.get("den"), today)
    return (last, first) if last < first else (first, last)


@require_safe
@login_required
def figures(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.agencies_with(*queue_figures.SUPERVISING):
        raise PermissionDenied
    first, last = _period(request)
    rows = queue_figures.figures(actor, first, last)
    return render(request, "workspace/queue/figures.html", {"actor": actor, "rows": rows, "first": first,
                                                            "last": last})


@require_safe
@login_required
def figures_csv(request: HttpRequest) -> HttpResponseBase:
    actor = actor_of(request)
    if not actor.agencies_with(*queue_figures.SUPERVISING):
        raise PermissionDenied
    first, last = _period(request)
    # headers in the page's language (Vietnamese by default), as the statistics exports; cells as text, never a
    # formula (stats.exports)
    header = [_("Day"), _("Agency"), _("Service area"), *[queue_figures.LABELS[c] for c in queue_figures.COLUMNS]]
    rows = ([row.day, row.area.agency.name, f"{row.area.letter} {row.area.name}", *row.values()]
            for row in queue_figures.figures(actor, first, last))
    return exports.export("csv", f"thoi-gian-cho-{first}-{last}", header, rows)
