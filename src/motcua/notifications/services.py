"""Messages to applicants (email and SMS): rendered now, delivered later by a background task, retried.

:func:`notify` is the one entry point (other apps call it: keep its signature). It renders the text in the
recipient's language, writes one :class:`Notification` per channel that has a recipient, and enqueues the
delivery only once the caller's transaction has committed — so a request never waits for SMTP or an SMS
gateway, and a rolled-back action never sends anything.

:func:`deliver` is what the task runs: one attempt, claimed by its number so that a task delivered twice (a
worker restart, a resend racing a retry) never sends twice; on failure the next attempt is enqueued with
exponential backoff, and after ``NOTIFY_MAX_ATTEMPTS`` the notification is ``failed`` — shown to staff
(``selectors.failed_notifications``, the admin, ``notifications/_staff_alert.html``) and resendable
(:func:`resend`); so is a message left queued long past its due attempt (no worker running, a lost task).

:func:`notify_dossier_event` decides what the applicant hears about their dossier (the receiver of
``dossier_changed`` calls it); the texts are in ``templates/notifications/<language>/dossier_status.*``.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template import Context, Engine, TemplateDoesNotExist
from django.utils import timezone, translation

from motcua.core.web import public_url
from motcua.notifications.models import Notification, NotificationChannel, NotificationStatus
from motcua.notifications.sms import ascii_fold, get_provider

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


def notify(*, template: str, context: dict[str, Any], email: str = "", phone: str = "", user: Any = None,
           dossier: Any = None, language: str = "vi") -> list[Notification]:
    """Queue ``notifications/<template>.subject.txt`` / ``.txt`` by email and ``.sms.txt`` by SMS.

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
    ids = [n.pk for n in created]
    if ids:
        transaction.on_commit(lambda: _enqueue_all(ids))
    return created


def _enqueue_all(ids: list[int]) -> None:
    for pk in ids:
        enqueue(pk, 1)


def enqueue(notification_id: int, attempt: int, run_after: datetime | None = None) -> None:
    """Enqueue attempt number ``attempt`` of a notification on the ``notifications`` queue.

    A failure to enqueue (the queue's database or broker down) is logged, not raised: the caller's action has
    committed already, and the notification stays ``queued`` where staff can see and resend it.
    """
    from motcua.notifications.tasks import deliver_notification

    task = deliver_notification if run_after is None else deliver_notification.using(run_after=run_after)
    try:
        task.enqueue(notification_id, attempt)
    except Exception:
        logger.exception("could not enqueue notification %s (attempt %s)", notification_id, attempt)


# --- delivery ------------------------------------------------------------------------------------------


def backoff(attempt: int) -> timedelta:
    """The wait after failed attempt ``attempt``: 1, 5, 25, 125 minutes… with the default settings."""
    base = int(getattr(settings, "NOTIFY_RETRY_SECONDS", 60))
    return timedelta(seconds=base * BACKOFF_FACTOR ** (attempt - 1))


def max_attempts() -> int:
    return max(1, int(getattr(settings, "NOTIFY_MAX_ATTEMPTS", 5)))


def _send_email(notification: Notification) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "motcua.local"
    message_id = make_msgid(domain=domain)
    EmailMessage(notification.subject, notification.body, settings.DEFAULT_FROM_EMAIL, [notification.recipient],
                 headers={"Message-ID": message_id}).send()
    return message_id


def _send_sms(notification: Notification) -> str:
    return get_provider().send(notification.recipient, notification.body)


def deliver(notification_id: int, attempt: int) -> str:
    """Make attempt ``attempt`` to deliver a notification. Returns what happened (kept as the task's result).

    The attempt is claimed first with a conditional update (status queued, ``attempts == attempt - 1``): only
    one task can win it, so a duplicated task or a second worker never sends the same message twice. The send
    happens outside any transaction (an SMTP server that hangs must not hold a database lock).
    """
    # while the attempt runs, next_attempt_at says when a retry would be due: a message still queued long after
    # it (the worker died mid-send, or no worker runs) shows as overdue to staff (selectors.overdue_notifications)
    claimed = Notification.objects.filter(
        pk=notification_id, status=NotificationStatus.QUEUED, attempts=attempt - 1,
    ).update(attempts=attempt, next_attempt_at=timezone.now() + backoff(attempt))
    if not claimed:
        return "skipped"
    notification = Notification.objects.get(pk=notification_id)
    mine = Notification.objects.filter(pk=notification_id, status=NotificationStatus.QUEUED, attempts=attempt)
    try:
        if notification.channel == NotificationChannel.EMAIL:
            message_id = _send_email(notification)
        else:
            message_id = _send_sms(notification)
    except Exception as exc:  # every failure of a provider is recorded, whatever its kind
        error = f"{type(exc).__name__}: {exc}"[:2000]
        now = timezone.now()
        if attempt >= max_attempts():
            mine.update(status=NotificationStatus.FAILED, last_error=error, next_attempt_at=None)
            logger.warning("notification %s failed after %s attempts: %s", notification_id, attempt, error)
            return "failed"
        run_after = now + backoff(attempt)
        mine.update(last_error=error, next_attempt_at=run_after)
        enqueue(notification_id, attempt + 1, run_after)
        return "retry"
    mine.update(status=NotificationStatus.SENT, sent_at=timezone.now(), provider_message_id=message_id[:255],
                last_error="", next_attempt_at=None)
    return "sent"


def resend(notification: Notification) -> bool:
    """Queue a failed or overdue notification again, from attempt 1 (staff's "resend"); others are left alone.

    Restarting the count also retires any task still waiting for the old chain: its attempt number can no
    longer be claimed. Returns whether the notification was queued again.
    """
    from motcua.notifications.selectors import resendable

    updated = resendable().filter(pk=notification.pk).update(
        status=NotificationStatus.QUEUED, attempts=0, next_attempt_at=timezone.now(),
    )
    if updated:
        pk = notification.pk
        transaction.on_commit(lambda: enqueue(pk, 1))
    return bool(updated)


# --- what the applicant hears about their dossier --------------------------------------------------------

# The national portal's codes (machine.NATIONAL_STATUS) are what the applicant sees: a change between two
# internal statuses with the same code (in progress ⇄ awaiting signature) is not news to them.
STATUS_KINDS = {
    "received": "received",
    "in_progress": "in_progress",
    "awaiting_signature": "in_progress",
    "paused": "paused",
    "result_ready": "result_ready",
    "returned": "returned",
    "refused": "refused",
    "withdrawn": "withdrawn",
    "supplement_requested": "supplement_requested",
}
ACTION_KINDS = {
    "request_supplement": "supplement_requested",
    "supplement": "supplemented",
    "apologize": "apology",
    "resume": "resumed",
    "refuse": "refused",
    "issue_result": "result_ready",
    "return_result": "returned",
    "withdraw": "withdrawn",
    "receive": "received",
    "payment": "paid",
}


def message_kind(dossier: Any, event: Any) -> str | None:
    """Which message an event is for the applicant, or ``None`` when it is not their business (assignments,
    files, hand-overs inside the agency that do not change what they see)."""
    from motcua.dossiers.statuses import NATIONAL_STATUS

    action = event.action
    if action == "submit":
        # counter and post-office dossiers are accepted (or sent a supplement request) in the same breath
        return "submitted" if dossier.channel == "online" else None
    if action in ACTION_KINDS:
        return ACTION_KINDS[action]
    before, after = event.from_status, event.to_status
    if before == after or NATIONAL_STATUS.get(before) == NATIONAL_STATUS.get(after):
        return None
    return STATUS_KINDS.get(after)


def recipients(dossier: Any) -> tuple[str, str, Any, str]:
    """Email, phone, account and language of a dossier's applicant: the dossier's own contacts, else those of
    the applicant's citizen account; the account's language, else Vietnamese."""
    email, phone, language = dossier.applicant_email, dossier.applicant_phone, DEFAULT_LANGUAGE
    user = dossier.applicant_user
    citizen = getattr(user, "citizen", None) if user is not None else None
    if citizen is not None:
        email = email or citizen.email
        phone = phone or citizen.phone
        language = citizen.language or DEFAULT_LANGUAGE
    return email, phone, user, language


def dossier_context(dossier: Any, event: Any, kind: str) -> dict[str, Any]:
    """What the dossier templates may say: the code, the procedure, dates, reasons, missing documents, links.

    Only the email uses the names and reasons; the SMS templates keep to the code, the status and dates.
    """
    from motcua.dossiers.slips import moment, tracking_url, vnd

    data = event.data or {}
    agency = dossier.receiving_agency
    version = dossier.version
    online = dossier.applicant_user_id is not None
    return {
        "kind": kind,
        "code": dossier.code,
        "applicant_name": dossier.applicant_name,
        "organization": dossier.applicant_kind == "organization",
        "procedure_vi": version.name_vi,
        "procedure_en": version.name_en or version.name_vi,
        "agency_vi": agency.name,
        "agency_en": agency.name_en or agency.name,
        "agency_address": agency.address,
        "agency_hotline": agency.hotline,
        "due": moment(dossier.due_at),
        "new_due": moment(dossier.apology_due_at),
        "previous_due": moment(data.get("previous_due_at")),
        "reason": data.get("reason", ""),
        "reasons": data.get("reasons", ""),
        "missing": data.get("missing", []),
        "phase": data.get("phase", ""),
        "clock_restarted": bool(data.get("clock_restarted")),
        "pause_kind": dossier.pause_kind,
        "delivery": dossier.delivery,
        "online": online,
        "dossier_url": public_url(f"/ho-so-cua-toi/{quote(dossier.code, safe='')}/") if online else "",
        "tracking_url": tracking_url(dossier),
        "sms_tracking_url": public_url("/tra-cuu/"),
        "amount_text": vnd(data.get("amount")) + " đ",
        "receipt_number": data.get("receipt_number", ""),
    }


def notify_dossier_event(*, dossier: Any, event: Any) -> list[Notification]:
    """Tell the applicant about ``event`` if it is their business, by email and SMS, in their language."""
    kind = message_kind(dossier, event)
    if kind is None:
        return []
    email, phone, user, language = recipients(dossier)
    if not (email or phone):
        return []
    return notify(template="dossier_status", context=dossier_context(dossier, event, kind), email=email,
                  phone=phone, user=user, dossier=dossier, language=language)
