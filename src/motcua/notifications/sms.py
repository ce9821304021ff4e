"""SMS providers: one small interface, a file provider for development and an HTTP gateway for production.

Vietnamese SMS gateways (brand-name SMS of Viettel, VNPT, MobiFone and their resellers) differ in their APIs;
the HTTP provider speaks the simplest common shape — ``POST {"to", "text"}`` with a bearer token — so that a
province plugs in its gateway through a thin proxy or by subclassing :class:`SmsProvider`. ``SMS_PROVIDER``
chooses (``file`` or ``http``).
"""

from __future__ import annotations

import json
import unicodedata
import urllib.error
import urllib.request
import uuid
from abc import ABC, abstractmethod
from pathlib import Path

from django.conf import settings
from django.utils import timezone


class SmsError(Exception):
    """The provider did not accept the message; the delivery task records it and retries."""


class SmsProvider(ABC):
    @abstractmethod
    def send(self, phone: str, text: str) -> str:
        """Send ``text`` to ``phone``; return the provider's message id. Raise :class:`SmsError` on failure."""


class FileSmsProvider(SmsProvider):
    """Development: each message is a file under ``SMS_FILE_PATH`` (``var/sms/``), like the file mail backend."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def send(self, phone: str, text: str) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        message_id = uuid.uuid4().hex
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S-%f")
        (self.directory / f"{stamp}-{message_id}.txt").write_text(f"To: {phone}\n\n{text}\n", encoding="utf-8")
        return message_id


class HttpSmsProvider(SmsProvider):
    """Production: ``POST url`` with ``{"to": phone, "text": text}`` and ``Authorization: Bearer token``.

    Any non-2xx answer, a timeout or a refused connection is a failure. The message id is taken from the
    answer's ``id`` or ``message_id`` when it is JSON.
    """

    def __init__(self, url: str, token: str, timeout: float = 10) -> None:
        if not url:
            raise SmsError("SMS_API_URL is not set")
        self.url = url
        self.token = token
        self.timeout = timeout

    def send(self, phone: str, text: str) -> str:
        payload = json.dumps({"to": phone, "text": text}, ensure_ascii=False).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting
            self.url, data=payload, method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {self.token}",
                     "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read(64 * 1024)
                status = response.status
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", "replace")
            raise SmsError(f"HTTP {exc.code} from the SMS gateway: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise SmsError(f"SMS gateway unreachable: {getattr(exc, 'reason', exc)}") from None
        if not 200 <= status < 300:
            raise SmsError(f"HTTP {status} from the SMS gateway")
        try:
            answer = json.loads(body or b"{}")
        except ValueError:
            return ""
        if isinstance(answer, dict):
            return str(answer.get("id") or answer.get("message_id") or "")[:255]
        return ""


def get_provider() -> SmsProvider:
    """The provider ``SMS_PROVIDER`` names, configured from the settings (read at each delivery)."""
    kind = getattr(settings, "SMS_PROVIDER", "file")
    if kind == "http":
        return HttpSmsProvider(settings.SMS_API_URL, settings.SMS_API_TOKEN, getattr(settings, "SMS_API_TIMEOUT", 10))
    if kind == "file":
        return FileSmsProvider(getattr(settings, "SMS_FILE_PATH", Path("var/sms")))
    raise SmsError(f"unknown SMS_PROVIDER {kind!r} (file or http)")


# typographic punctuation a template may carry (a time window "08:00–10:00", quotes), in its GSM 7-bit form
PUNCTUATION = str.maketrans({"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "\u00a0": " "})


def ascii_fold(text: str) -> str:
    """``Hồ sơ đã được tiếp nhận`` → ``Ho so da duoc tiep nhan``: GSM 7-bit, 160 characters a message."""
    text = text.replace("đ", "d").replace("Đ", "D").translate(PUNCTUATION)
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))
