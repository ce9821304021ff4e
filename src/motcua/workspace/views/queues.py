"""The officer's queues (the workspace's home page): what is theirs to do, by queue, a page at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from motcua.core.web import HtmxHttpRequest
from motcua.dossiers import deadlines, selectors
from motcua.dossiers.models import Dossier
from motcua.stats import board
from motcua.workspace.selectors import queue_rows
from motcua.workspace.views.base import actor_of

PAGE_SIZE = 25


def _rows(dossiers: list[Dossier], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "d": d,
            "step": (d.current_step or {}).get("name", ""),
            "overdue": deadlines.is_overdue(d, now),
            "step_overdue": deadlines.is_step_overdue(d, now),
        }
        for d in dossiers
    ]


@require_safe
@login_required
@vary_on_headers("HX-Request")
def home(request: HtmxHttpRequest) -> HttpResponse:
    actor = actor_of(request)
    name = request.GET.get("queue", "todo")
    if name not in selectors.QUEUES:
        raise Http404
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    now = timezone.now()
    rows: list[Dossier] = []
    counters: list[tuple[str, object, int, str]] = []
    if actor.roles and not request.htmx:
        counts = board.inbox_counters(actor, now)
        # a counter links to the queue tab listing exactly its dossiers, where there is one
        counters = [(key, label, counts[key], key if key in board.INBOX_QUEUES else "")
                    for key, label in board.INBOX.items()]
    if actor.roles:
        # one row more than a page says whether there is a next page, without counting the whole queue
        rows = queue_rows(actor, name, now, start=(number - 1) * PAGE_SIZE, count=PAGE_SIZE + 1)
    context = {
        "actor": actor,
        "queues": selectors.QUEUES.items(),
        "current": name,
        "rows": _rows(rows[:PAGE_SIZE], now),
        "page": number,
        "has_next": len(rows) > PAGE_SIZE,
        "counters": counters,
    }
    template = "workspace/_queue.html" if request.htmx and not request.htmx.history_restore_request else (
        "workspace/home.html")
    return render(request, template, context)
