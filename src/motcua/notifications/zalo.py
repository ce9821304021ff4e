"""Zalo: messages to citizens through the province's official account (OA), behind the SMS providers' interface.

Zalo's Open API for official accounts (``openapi.zalo.me``, v3.0) takes a message for one follower
(``recipient.user_id``, the ID Zalo gives that person for this OA) with the OA's access token in the
``access_token`` header, and answers HTTP 200 with ``{"error": 0, "data": {"message_id": …}}`` or a negative error
code. Two kinds are used:

* a *transaction* message (``/v3.0/oa/message/transaction``: a notice with a header and a text, what a dossier's
  news is) when the notification has a subject;
* a *consultation* message (``/v3.0/oa/message/cs``: plain text) otherwise — the answers to what a citizen just
  wrote to the OA.

The access token lives about 25 hours; it is made from a refresh token (``oauth.zaloapp.com/v4/oa/access_token``,
form ``app_id``, ``refresh_token``, ``grant_type=refresh_token``, header ``secret_key``) that can be used **once**:
each refresh answers a new refresh token, kept in :class:`~motcua.notifications.models.ZaloToken` under a row lock
so that two workers never spend the same one. ``MOTCUA_ZALO_REFRESH_TOKEN`` is the first one (and the fallback
when the stored one is refused: an operator who authorized the app again puts the new one there).

Errors: :class:`ZaloError` with Zalo's code; ``final`` when trying again cannot help (the person does not follow
the OA, or the message is invalid), so the delivery task gives up at once instead of retrying.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from motcua.notifications.models import ZaloToken
from motcua.notifications.sms import SmsError, SmsProvider

logger = logging.getLogger(__name__)

CS_PATH = "/v3.0/oa/message/cs"
TRANSACTION_PATH = "/v3.0/oa/message/transaction"
TOKEN_PATH = "/v4/oa/access_token"  # noqa: S105 - a URL path
# Zalo's error codes that matter here (negative, in the answer's "error")
INVALID_TOKEN = -216
NOT_FOLLOWER = -213
INVALID_PARAMS = -201
FINAL_ERRORS = {NOT_FOLLOWER: "the user does not follow the official account", INVALID_PARAMS: "invalid parameters"}
# a token is refreshed this long before Zalo says it expires
MARGIN = timedelta(minutes=5)


class ZaloError(SmsError):
    """Zalo did not accept the message. ``final``: no retry can help (not a follower, an invalid message)."""

    def __init__(self, message: str, *, code: int = 0, final: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.final = final


def enabled() -> bool:
    """Whether this installation talks to a Zalo official account (an app ID and an API address are set)."""
    return bool(settings.MOTCUA_ZALO_APP_ID and settings.MOTCUA_ZALO_API_URL)


def follow_url() -> str:
    """Where the QR codes lead: the OA's page in the Zalo app (the simulator's page in demo mode)."""
    return str(settings.MOTCUA_ZALO_FOLLOW_URL)


def _post(url: str, data: bytes, headers: dict[str, str], timeout: float) -> Any:
    request = urllib.request.Request(url, data=data, method="POST", headers=headers)  # noqa: S310 - a setting
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace")
        raise ZaloError(f"HTTP {exc.code} from Zalo: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ZaloError(f"Zalo unreachable: {getattr(exc, 'reason', exc)}") from None
    try:
        return json.loads(body or b"{}")
    except ValueError:
        raise ZaloError("Zalo answered something that is not JSON") from None


class ZaloProvider(SmsProvider):
    """Send to a follower of the OA: ``send(user_id, text)`` (a consultation message) and ``notice(user_id,
    header, text)`` (a transaction message); both return Zalo's message id or raise :class:`ZaloError`."""

    def __init__(self, *, api_url: str, oauth_url: str, app_id: str, secret_key: str, oa_id: str,
                 refresh_token: str, timeout: float = 10) -> None:
        if not (api_url and app_id):
            raise ZaloError("MOTCUA_ZALO_APP_ID and MOTCUA_ZALO_API_URL are not set", final=True)
        self.api_url, self.oauth_url = api_url.rstrip("/"), oauth_url.rstrip("/")
        self.app_id, self.secret_key, self.oa_id = app_id, secret_key, oa_id or app_id
        self.initial_refresh_token, self.timeout = refresh_token, timeout

    # --- the access token ------------------------------------------------------------------------------------

    def access_token(self, *, renew: bool = False) -> str:
        """A valid access token: the stored one, or a new one made from the refresh token (under the row's lock,
        so a refresh token is spent once even with several workers)."""
        now = timezone.now()
        if not renew:
            row = ZaloToken.objects.filter(oa_id=self.oa_id).first()
            if row is not None and row.access_token and row.expires_at and row.expires_at - MARGIN > now:
                return row.access_token
        with transaction.atomic():
            row, _created = ZaloToken.objects.select_for_update().get_or_create(
                oa_id=self.oa_id, defaults={"refresh_token": self.initial_refresh_token})
            if (not renew and row.access_token and row.expires_at and row.expires_at - MARGIN > now
                    and row.refreshed_at):
                return row.access_token  # another worker refreshed it while this one waited for the lock
            if renew and row.refreshed_at and now - row.refreshed_at < timedelta(seconds=5):
                return row.access_token  # refused token, but another worker has just made a new one
            try:
                answer = self._refresh(row.refresh_token)
            except ZaloError:
                if not self.initial_refresh_token or self.initial_refresh_token == row.refresh_token:
                    raise
                answer = self._refresh(self.initial_refresh_token)
            row.access_token = answer["access_token"]
            row.refresh_token = answer["refresh_token"]
            row.expires_at = now + timedelta(seconds=answer["expires_in"])
            row.refreshed_at = now
            row.save()
            logger.info("Zalo access token refreshed for OA %s (valid %s s)", self.oa_id, answer["expires_in"])
            return row.access_token

    def _refresh(self, refresh_token: str) -> dict[str, Any]:
        form = urllib.parse.urlencode({"app_id": self.app_id, "refresh_token": refresh_token,
                                       "grant_type": "refresh_token"}).encode()
        answer = _post(self.oauth_url + TOKEN_PATH, form, {
            "Content-Type": "application/x-www-form-urlencoded", "secret_key": self.secret_key,
            "Accept": "application/json"}, self.timeout)
        if not isinstance(answer, dict) or not answer.get("access_token") or not answer.get("refresh_token"):
            detail = answer.get("error_description") or answer.get("error") if isinstance(answer, dict) else answer
            raise ZaloError(f"Zalo refused to refresh the access token: {detail}")
        try:
            expires_in = int(answer.get("expires_in") or 3600)
        except (TypeError, ValueError):
            expires_in = 3600
        return {"access_token": str(answer["access_token"]), "refresh_token": str(answer["refresh_token"]),
                "expires_in": expires_in}

    # --- messages --------------------------------------------------------------------------------------------

    def send(self, phone: str, text: str) -> str:
        """A consultation message (plain text) to the follower ``phone`` (a Zalo user ID, named like the SMS
        interface's argument)."""
        return self._message(CS_PATH, phone, {"text": text[:2000]})

    def notice(self, user_id: str, header: str, text: str) -> str:
        """A transaction message: a header and a text, what a notification about a dossier is."""
        elements = [{"type": "header", "content": header[:100], "align": "left"},
                    {"type": "text", "content": text[:2000], "align": "left"}]
        return self._message(TRANSACTION_PATH, user_id, {"attachment": {"type": "template", "payload": {
            "template_type": "transaction_event", "language": "VI", "elements": elements}}})

    def _message(self, path: str, user_id: str, message: dict[str, Any]) -> str:
        if not user_id:
            raise ZaloError("no Zalo user ID", code=INVALID_PARAMS, final=True)
        payload = json.dumps({"recipient": {"user_id": user_id}, "message": message}, ensure_ascii=False).encode()
        renewed = False
        while True:
            token = self.access_token(renew=renewed)
            answer = _post(self.api_url + path, payload, {
                "Content-Type": "application/json; charset=utf-8", "access_token": token,
                "Accept": "application/json"}, self.timeout)
            code = int(answer.get("error", -1)) if isinstance(answer, dict) else -1
            if code == 0:
                data = answer.get("data") or {}
                return str(data.get("message_id") or "")[:255] if isinstance(data, dict) else ""
            if code == INVALID_TOKEN and not renewed:
                renewed = True  # revoked or expired before its time: one new token, one more try
                continue
            text = str(answer.get("message", "")) if isinstance(answer, dict) else ""
            raise ZaloError(f"Zalo error {code}: {text or FINAL_ERRORS.get(code, 'refused')}", code=code,
                            final=code in FINAL_ERRORS)


def get_provider() -> ZaloProvider:
    """The provider configured by the ``MOTCUA_ZALO_*`` settings (read at each delivery)."""
    return ZaloProvider(api_url=settings.MOTCUA_ZALO_API_URL, oauth_url=settings.MOTCUA_ZALO_OAUTH_URL,
                        app_id=settings.MOTCUA_ZALO_APP_ID, secret_key=settings.MOTCUA_ZALO_SECRET_KEY,
                        oa_id=settings.MOTCUA_ZALO_OA_ID, refresh_token=settings.MOTCUA_ZALO_REFRESH_TOKEN,
                        timeout=settings.MOTCUA_ZALO_TIMEOUT)
