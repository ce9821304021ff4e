"""Sign-in through the national identity provider (VNeID) or any OpenID Connect provider, with mozilla-django-oidc.

Everything is configured by the ``OIDC_*`` environment variables (see README, "Production settings"); without
``OIDC_RP_CLIENT_ID`` the views answer 404, the backend does nothing and no button is shown. The backend links a
provider account to a :class:`~motcua.accounts.models.Citizen` by the ``sub`` claim only
(:func:`motcua.accounts.services.sign_in_with_identity_provider`).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from motcua.accounts import services

logger = logging.getLogger(__name__)


def oidc_enabled() -> bool:
    """OpenID Connect is on when a client ID is configured (read at each request, so tests can switch it)."""
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


def provider_name() -> str:
    return str(getattr(settings, "OIDC_PROVIDER_NAME", "") or "OpenID Connect")


class CitizenOIDCBackend(OIDCAuthenticationBackend):
    """Finds or creates the citizen by the provider's subject; never matches by email, never signs staff in."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.enabled = oidc_enabled()
        if self.enabled:
            super().__init__(*args, **kwargs)
        else:  # the parent refuses to start without endpoints; this backend is listed even when OIDC is off
            self.UserModel = get_user_model()

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        # Only the callback may exchange a code: a `?code=&state=` slipped onto another sign-in page must not
        # reach the provider (and the callback passes the nonce it stored with the state).
        if not self.enabled or request is None or "nonce" not in kwargs:
            return None
        if request.path != reverse(settings.OIDC_AUTHENTICATION_CALLBACK_URL):
            return None
        return super().authenticate(request, **kwargs)

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get("sub"))

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        user_info = self.get_userinfo(access_token, id_token, payload)
        subject = str(payload.get("sub") or "")
        # OpenID Connect Core 5.3.2: the userinfo subject must be the ID token's, or the answer is not about them
        if not subject or str(user_info.get("sub") or "") != subject:
            raise SuspiciousOperation("The userinfo subject does not match the ID token's.")
        claims = {**payload, **user_info}
        return services.sign_in_with_identity_provider(subject=subject, claims=claims)


class _EnabledOnly:
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not oidc_enabled():
            raise Http404("OpenID Connect is not configured.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class AuthenticateView(_EnabledOnly, OIDCAuthenticationRequestView):
    """Sends the visitor to the provider, keeping a safe ``next`` in the session for the return."""


class CallbackView(_EnabledOnly, OIDCAuthenticationCallbackView):
    """The provider's answer: signs the citizen in and continues to ``next``, or explains the failure."""

    request: HttpRequest

    @property
    def success_url(self) -> str:
        return self.request.session.get("oidc_login_next") or reverse("accounts:profile")

    def login_failure(self) -> HttpResponse:
        messages.error(self.request, _(
            "Signing in with %(provider)s did not succeed. Try again, or sign in with your phone or email.")
            % {"provider": provider_name()})
        url = reverse("accounts:login")
        next_url = self.request.session.get("oidc_login_next")
        return HttpResponseRedirect(url + ("?" + urlencode({"next": next_url}) if next_url else ""))

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            response: HttpResponse = super().get(request)
        except SuspiciousOperation as exc:  # unknown or replayed state, bad signature, nonce, subject
            logger.warning("OpenID Connect sign-in refused: %s", exc)
            return self.login_failure()
        except requests.RequestException as exc:  # the provider did not answer, or refused the code
            logger.warning("OpenID Connect provider error: %s", exc)
            return self.login_failure()
        return response
