"""``/api/v1/queue``: the waiting-room board of a service point, for any screen (public, no personal data) — the
same figures as the page ``/man-hinh/<code>/`` (``counters.selectors.board``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router

from motcua.agencies.selectors import agency_by_code
from motcua.api.schemas import PUBLIC_ERRORS, Out
from motcua.core.errors import NotFound
from motcua.counters import selectors

router = Router(tags=["queue"])


class CalledOut(Out):
    ticket: str
    area: str
    counter: int | None
    calls: int
    called_at: datetime | None


class LineOut(Out):
    letter: str
    name: str
    waiting: int


class BoardOut(Out):
    agency: str
    signature: str
    called: list[CalledOut]
    lines: list[LineOut]


@router.get("/{path:code}/display", response={200: BoardOut, **PUBLIC_ERRORS}, operation_id="queue_display",
            summary="The waiting-room board of a service point")
def display(request: HttpRequest, code: str) -> dict[str, Any]:
    """The last numbers called (newest first) with their counters, and the people waiting per service area;
    ``signature`` changes with every call or recall (a screen chimes when it does)."""
    agency = agency_by_code(code)
    if agency is None:
        raise NotFound("agency_not_found", _("No agency has the code %(code)s."),
                       {"code": code[:60]})
    board = selectors.board(agency)
    return {
        "agency": agency.identifier_code, "signature": board.signature,
        "called": [{"ticket": t.label, "area": t.area.letter, "counter": t.counter.number if t.counter else None,
                    "calls": t.called_count, "called_at": t.last_called_at} for t in board.called],
        "lines": [{"letter": a.letter, "name": a.name, "waiting": n} for a, n in board.lines],
    }
