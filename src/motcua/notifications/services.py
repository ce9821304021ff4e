"""Messages to applicants (email and SMS), rendered from templates in their language.

:func:`notify` is the one entry point. The notifications work replaces the body with queued, retried delivery
by background tasks (issue 4, item 6), keeping this signature.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation


def notify(*, template: str, context: dict[str, Any], email: str = "", phone: str = "", user: Any = None,
           dossier: Any = None, language: str = "vi") -> None:
    """Send ``notifications/<template>.subject.txt`` / ``.txt`` by email and ``.sms.txt`` by SMS."""
    with translation.override(language):
        if email:
            subject = render_to_string(f"notifications/{template}.subject.txt", context).strip()
            body = render_to_string(f"notifications/{template}.txt", context)
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
