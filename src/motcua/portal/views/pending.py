"""What the citizen's pages share: who is asking, and the values a form posted after the session expired.

A wizard step or a dossier action posted after the session expired is not lost: what was typed is kept in the
session, the citizen signs in again and comes back to the same step (or the dossier page) with it filled in.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext as _

from motcua.accounts.decorators import citizen_of, citizen_required
from motcua.dossiers.actors import Actor

PENDING = "wizard_pending"


def pending_safe(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Keep a step's typed values when the session has expired, then ask the citizen to sign in again.

    The wizard's steps come back to the same step; the dossier page's actions (POST only: supplement, withdraw)
    come back to the dossier page, since signing in ends with a GET of ``next``."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "POST" and citizen_of(request.user) is None:
            values = {key: request.POST.getlist(key) for key in request.POST if key != "csrfmiddlewaretoken"}
            request.session[PENDING] = {"path": request.path, "values": values}
            messages.info(request, _("Your session ended. Sign in again: what you typed is kept."))
            back = reverse("portal:my_dossier", kwargs={"code": kwargs["code"]}) if "code" in kwargs else request.path
            return HttpResponseRedirect(reverse("accounts:login") + "?" + urlencode({"next": back}))
        return citizen_required(view)(request, *args, **kwargs)

    return wrapper


def pending(request: HttpRequest) -> dict[str, list[str]] | None:
    """The values stashed for this very page, taken out of the session (once)."""
    stash = request.session.get(PENDING)
    if stash and stash.get("path") == request.path:
        del request.session[PENDING]
        return dict(stash["values"])
    return None


class Values(dict[str, Any]):
    """Stashed ``getlist`` values read like a QueryDict's single values."""

    def get(self, key: str, default: Any = None) -> Any:
        value = super().get(key, default)
        return value[-1] if isinstance(value, list) and value else value


def user_id(request: HttpRequest) -> int:
    assert request.user.pk is not None  # the citizen views require a signed-in citizen
    return int(request.user.pk)


def actor(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user)
