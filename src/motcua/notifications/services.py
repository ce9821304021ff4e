"""Messages to applicants (email and SMS): rendered now, delivered later by a background task, retried.

:func:`notify` is the one entry point (other apps call it: keep its signature). It renders the text in the
recipient's language, writes one :class:`Notification` per channel that has a recipient, and enqueues the
delivery only once the caller's transaction has committed — so a request never waits for SMTP or an SMS
gateway, and a rolled-back action never sends anything.

:func:`~motcua.notifications.tasks.deliver` is what the task runs (``notifications.tasks``): one attempt, retried
with backoff; after ``NOTIFY_MAX_ATTEMPTS`` the notification is ``failed`` — shown to staff
(``selectors.failed_notifications``, the admin, ``notifications/_staff_alert.html``) and resendable
(:func:`resend`); so is a message left queued long past its due attempt (no worker running, a lost task).

What the applicant hears about their dossier is decided by ``dossiers.messages``; the receiver of
``dossier_changed`` (``notifications.receivers``) delivers it with the texts of
``templates/notifications/<language>/dossier_status.*``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template import Context, Engine, TemplateDoesNotExist
from django.utils import timezone, translation

from motcua.notifications import zalo
from motcua.notifications.models import Notification, NotificationChannel, NotificationStatus
from motcua.notifications.selectors import resendable
from motcua.notifications.sms import ascii_fold
from motcua.notifications.tasks import backoff, deliver, enqueue, max_attempts  # noqa: F401 (re-exported)

logger = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "vi"
SMS_LIMIT = 160
BACKOFF_FACTOR = 5


# --- rendering -----------------------------------------------------------------------------------------


def _template_candidates(name: str, language: str) -> list[tuple[str, str]]:
    """Where ``name`` may live, with the language it is written in: ``notifications/<lang>/<name>`` (long texts,
    one file per language), then ``notifications/<name>`` (one file, ``{% translate %}`` inside), then the
    Vietnamese file — every message exists in Vietnamese."""
    candidates = [(language, f"notifications/{language}/{name}"), (language, f"notifications/{name}")]
    if language != DEFAULT_LANGUAGE:
        candidates.append((DEFAULT_LANGUAGE, f"notifications/{DEFAULT_LANGUAGE}/{name}"))
    return candidates


def render_text(name: str, context: dict[str, Any], language: str) -> tuple[str, str] | None:
    """Render template ``name`` as plain text (no HTML escaping) in ``language``; ``(text, language used)``, or
    ``None`` if no layout has it."""
    engine = Engine.get_default()
    for used, path in _template_candidates(name, language):
        try:
            template = engine.get_template(path)
        except TemplateDoesNotExist:
            continue
        with translation.override(used):
            return template.render(Context(context, autoescape=False)), used
    return None


def _tidy(text: str) -> str:
    """Template branches leave blank lines and trailing spaces; keep at most one empty line between paragraphs."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def render_email(template: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """Subject, body and the language they are written in. Both templates must exist."""
    subject = render_text(f"{template}.subject.txt", context, language)
    body = render_text(f"{template}.txt", context, language)
    if subject is None or body is None:
        raise TemplateDoesNotExist(f"notifications/[{language}/]{template}.subject.txt and .txt")
    return _one_line(subject[0])[:300], _tidy(body[0]), body[1]


def render_sms(template: str, context: dict[str, Any], language: str) -> tuple[str, str] | None:
    """The SMS text (one line; without diacritics when ``SMS_ASCII``), or ``None`` without a ``.sms.txt``.

    When it is longer than one SMS and the context offers a shorter ``sms_tracking_url``, that is used instead.
    """
    rendered = render_text(f"{template}.sms.txt", context, language)
    if rendered is None:
        return None
    text, used = _one_line(rendered[0]), rendered[1]
    if getattr(settings, "SMS_ASCII", True):
        text = ascii_fold(text)
    if len(text) > SMS_LIMIT and context.get("sms_tracking_url"):
        return render_sms(template, {**context, "tracking_url": context["sms_tracking_url"],
                                     "sms_tracking_url": ""}, language)
    return text, used


# --- writing and enqueueing ------------------------------------------------------------------------------


def render_zalo(template: str, context: dict[str, Any], language: str) -> tuple[str, str, str] | None:
    """The Zalo message (title, text, language), or ``None`` without a ``.zalo.txt``: Zalo carries Unicode, so
    the text keeps its diacritics; its title is the email's subject when there is one (a notice), else empty (a
    plain answer)."""
    rendered = render_text(f"{template}.zalo.txt", context, language)
    if rendered is None:
        return None
    subject = render_text(f"{template}.subject.txt", context, language)
    title = _one_line(subject[0])[:100] if subject is not None else ""
    return title, _tidy(rendered[0]).strip(), rendered[1]


def zalo_recipient(user: Any) -> str:
    """The Zalo user ID the account's holder linked (``accounts``: ``Citizen.zalo_user_id``), or ``""``; read
    through the user's reverse relation, so this app does not import the accounts app above it."""
    if not getattr(user, "pk", None):
        return ""
    try:
        citizen = user.citizen
    except Exception:  # no citizen profile (staff, integrations): RelatedObjectDoesNotExist
        return ""
    return str(getattr(citizen, "zalo_user_id", "") or "")


def notify(*, template: str, context: dict[str, Any], email: str = "", phone: str = "", user: Any = None,
           dossier: Any = None, language: str = "vi", zalo_user_id: str = "") -> list[Notification]:
    """Queue ``notifications/<template>.subject.txt`` / ``.txt`` by email, ``.sms.txt`` by SMS and
    ``.zalo.txt`` by Zalo.

    Zalo is used for the templates that have a ``.zalo.txt`` (a verification code sent to a phone never goes to
    Zalo: it proves the phone), to ``zalo_user_id`` or else to the Zalo account ``user`` linked
    (:func:`zalo_recipient`).

    The texts are rendered now (so the row shows exactly what was sent and later template edits do not change
    it); delivery is enqueued after the current transaction commits. Returns the notifications written.
    """
    language = language or DEFAULT_LANGUAGE
    now = timezone.now()
    common = {"user": user if getattr(user, "pk", None) else None, "dossier": dossier, "template": template,
              "status": NotificationStatus.QUEUED, "next_attempt_at": now}
    created: list[Notification] = []
    if email:
        subject, body, used = render_email(template, context, language)
        created.append(Notification.objects.create(
            channel=NotificationChannel.EMAIL, recipient=email.strip(), subject=subject, body=body, language=used,
            **common,
        ))
    if phone:
        sms = render_sms(template, context, language)
        if sms is not None:
            created.append(Notification.objects.create(
                channel=NotificationChannel.SMS, recipient=phone.strip(), body=sms[0], language=sms[1], **common,
            ))
        else:
            logger.warning("no SMS template notifications/%s.sms.txt: SMS to %s not sent", template, phone)
    zalo_user_id = zalo_user_id or (zalo_recipient(user) if user is not None else "")
    if zalo_user_id and zalo.enabled():
        message = render_zalo(template, context, language)
        if message is not None:
            created.append(Notification.objects.create(
                channel=NotificationChannel.ZALO, recipient=zalo_user_id[:254], subject=message[0],
                body=message[1], language=message[2], **common,
            ))
    ids = [n.pk for n in created]
    if ids:
        transaction.on_commit(lambda: _enqueue_all(ids))
    return created


def _enqueue_all(ids: list[int]) -> None:
    for pk in ids:
        enqueue(pk, 1)


def resend(notification: Notification) -> bool:
    """Queue a failed or overdue notification again, from attempt 1 (staff's "resend"); others are left alone.

    Restarting the count also retires any task still waiting for the old chain: its attempt number can no
    longer be claimed. Returns whether the notification was queued again.
    """
    updated = resendable().filter(pk=notification.pk).update(
        status=NotificationStatus.QUEUED, attempts=0, next_attempt_at=timezone.now(),
    )
    if updated:
        pk = notification.pk
        transaction.on_commit(lambda: enqueue(pk, 1))
    return bool(updated)
