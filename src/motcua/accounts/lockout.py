"""One lockout for every password sign-in — the citizen portal, the staff workspace, the Django admin — built on
django-axes, its state in the database, so that every web process (gunicorn workers, several machines) sees the
same failures.

The policy (settings ``ACCOUNTS_LOGIN_*``, from the ``MOTCUA_LOGIN_*`` variables):

- ``ACCOUNTS_LOGIN_FAILURES_PER_IDENTIFIER`` (5) failed sign-ins of one account (the staff user name; for a
  citizen their account, whichever of their phone or email they typed) lock it;
- ``ACCOUNTS_LOGIN_FAILURES_PER_IP`` (30) failures from one client address (:func:`motcua.core.web.client_ip`,
  which believes only trusted proxies) lock the address, whatever accounts it tried: many citizens may share
  one address (a center's kiosk, a carrier's NAT), so this limit is larger;
- a lock lasts ``ACCOUNTS_LOGIN_WINDOW_SECONDS`` (15 minutes) from the last counted failure; tries refused
  during a lock are not counted (they would let anyone keep an account locked forever), and the right password
  is refused too;
- a successful sign-in clears the failures of its account (not those of its address).

Sign-in through the identity provider (OpenID Connect) names no account and has no password to guess: axes
leaves it alone (:func:`not_a_password_sign_in`), so a citizen locked out of password sign-in can still use it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials, get_failure_limit, get_lockout_parameters
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import MotCuaError


def too_many_attempts(wait: int | None = None) -> MotCuaError:
    """The refusal shown on every sign-in page while a lock holds (``wait``: seconds left, the whole cool-off
    when unknown)."""
    seconds = settings.ACCOUNTS_LOGIN_WINDOW_SECONDS if wait is None else wait
    minutes = max(1, (seconds + 59) // 60)
    return MotCuaError("too_many_attempts", _(
        "Too many failed sign-ins. Wait %(minutes)d minute(s) and try again."),
        {"minutes": minutes}, location="identifier")


def is_locked(request: HttpRequest, username: str) -> bool:
    """Whether a sign-in to ``username`` from this request's client would be refused now."""
    return not AxesProxyHandler.is_allowed(request, get_credentials(username))


# --- what settings.py points axes to ----------------------------------------------------------------------


def failure_limit(request: HttpRequest | None, credentials: dict[str, Any] | None) -> int:
    """``AXES_FAILURE_LIMIT``: failures of one account (read at each use, so tests can change it)."""
    return int(settings.ACCOUNTS_LOGIN_FAILURES_PER_IDENTIFIER)


def cool_off(request: HttpRequest | None = None) -> timedelta:
    """``AXES_COOLOFF_TIME``: how long a lock lasts."""
    return timedelta(seconds=int(settings.ACCOUNTS_LOGIN_WINDOW_SECONDS))


def not_a_password_sign_in(request: HttpRequest, credentials: dict[str, Any] | None) -> bool:
    """``AXES_WHITELIST_CALLABLE``: the identity provider's callback names no account (its credentials are a
    nonce and a code), so there is nothing to guess and nothing to count."""
    return credentials is not None and not credentials.get("username")


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: every MotCua sign-in page says itself, in the visitor's language, that the lock
    holds (and the failure that reaches the limit is still told its password was wrong); so the page stays as
    rendered instead of axes's bare 429 text, answered 429 when it refused a locked sign-in (the staff and admin
    forms mark the request). Without a page (never expected) a short translated text."""
    if original_response is not None:
        if getattr(request, "motcua_refused_for_lock", False):
            original_response.status_code = 429
        return original_response
    return HttpResponse(escape(too_many_attempts().text()), status=429, content_type="text/plain; charset=utf-8")


class LockoutBackend(AxesStandaloneBackend):
    """Axes's backend (first in ``AUTHENTICATION_BACKENDS``: it refuses a locked account before any password is
    checked). A call without a request — the test client's ``login()``, a shell — is no sign-in over the web and
    has no client to count; axes would raise, this passes it on to the next backends."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class LockoutHandler(AxesDatabaseHandler):
    """Axes's database handler with two limits: axes compares one number with one limit, so the failures from the
    client's address count as "at the limit" once they reach ``ACCOUNTS_LOGIN_FAILURES_PER_IP``, and a
    successful sign-in clears only its account's failures (axes's reset would clear the address's too, letting
    anyone with one account wipe the count of a flood)."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        limit = get_failure_limit(request, credentials)
        per_address = int(settings.ACCOUNTS_LOGIN_FAILURES_PER_IP)
        worst = 0
        parameters = get_lockout_parameters(request, credentials)
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials), strict=True):
            count = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            if parameter == "ip_address":
                count = limit if count >= per_address else min(count, limit - 1)
            worst = max(worst, count)
        return worst

    def user_logged_in(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        super().user_logged_in(sender, request, user, **kwargs)
        AccessAttempt.objects.filter(username=user.get_username()).delete()


# --- the staff sign-in forms (workspace and admin) ---------------------------------------------------------


class LockoutMessageMixin:
    """Refuses a locked account or address with the bilingual ``too_many_attempts`` message, before the
    password is checked (the backend refuses it too, should a lock start in between)."""

    request: HttpRequest | None

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = self.cleaned_data  # type: ignore[attr-defined]
        username = cleaned.get("username")
        if self.request is not None and username and is_locked(self.request, username):
            # axes's middleware then hands the page to lockout_response, which answers it 429
            self.request.axes_locked_out = True  # type: ignore[attr-defined]
            self.request.motcua_refused_for_lock = True  # type: ignore[attr-defined]
            raise forms.ValidationError(too_many_attempts().text(), code="too_many_attempts")
        return super().clean()  # type: ignore[misc]


class StaffLoginForm(LockoutMessageMixin, AuthenticationForm):
    pass


class AdminLoginForm(LockoutMessageMixin, AdminAuthenticationForm):
    pass

