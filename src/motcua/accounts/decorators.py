"""Access to the citizen pages: a signed-in citizen account with a verified contact."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse


def citizen_of(user: Any) -> Any:
    """The user's :class:`~motcua.accounts.models.Citizen` profile, or ``None`` (staff, anonymous)."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.citizen
    except Exception:  # noqa: BLE001 - RelatedObjectDoesNotExist
        return None


def citizen_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Send anonymous visitors to the citizen sign-in (and back here afterwards), unverified ones to verify."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        citizen = citizen_of(request.user)
        if citizen is None:
            return HttpResponseRedirect(reverse("accounts:login") + "?" + urlencode({"next": request.get_full_path()}))
        if not citizen.verified:
            return HttpResponseRedirect(reverse("accounts:verify") + "?" + urlencode({"next": request.get_full_path()}))
        return view(request, *args, **kwargs)

    return wrapper
