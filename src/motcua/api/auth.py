"""Bearer-token authentication for the API, and the issuing of tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from motcua.api.models import ApiToken

PREFIX = "mc_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: Any, name: str = "") -> str:
    """Create a token for ``user`` and return it (the only time it is ever visible)."""
    token = PREFIX + secrets.token_urlsafe(32)
    ApiToken.issue(user, name=name, prefix=token[:10], key_hash=digest(token))
    return token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        record = ApiToken.usable(digest(token))
        if record is None:
            return None
        now = timezone.now()
        if record.last_used_at is None or now - record.last_used_at > timedelta(minutes=5):
            record.mark_used(now)
        request.user = record.user
        return record.user


class SessionCookie(SessionAuth):
    """A signed-in browser's session (the workspace calling the API), CSRF-checked; a request without a session
    cookie is simply not signed in (401 ``unauthorized``, which says how to send a token), not a CSRF failure."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        return super()._get_key(request)
