"""What the staff pages share: who is asking, the dossier they asked for (or a 404), small input parsers."""

from __future__ import annotations

from datetime import datetime

from django.http import Http404, HttpRequest

from motcua.core.calendar import VN_TZ
from motcua.core.errors import NotFound
from motcua.dossiers import selectors
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier


def actor_of(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user)


def dossier_or_404(actor: Actor, code: str, via: str = "workspace") -> Dossier:
    """The dossier if the actor may see it (the access is logged ``via`` the page), else 404."""
    try:
        return selectors.get_for(actor, code, via=via)
    except NotFound as exc:
        raise Http404(exc.text()) from None


def int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def local_input(moment: datetime | None) -> str:
    """A moment as a ``datetime-local`` input value, in Vietnam's time."""
    return moment.astimezone(VN_TZ).strftime("%Y-%m-%dT%H:%M") if moment else ""
