"""The applicant hears about their dossier: the receiver of ``dossiers.signals.dossier_changed``.

``dossiers.messages`` decides whether the event is news to the applicant and what the message says; this app
renders and delivers it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from motcua.dossiers.messages import message_for
from motcua.dossiers.models import Dossier, Event, IntegrityAlert
from motcua.notifications.models import Notification
from motcua.notifications.services import notify

logger = logging.getLogger(__name__)


def notify_dossier_event(*, dossier: Dossier, event: Event) -> list[Notification]:
    """Queue the applicant's email and SMS about ``event``, if it is their business."""
    message = message_for(dossier, event)
    if message is None:
        return []
    return notify(template=message.template, context=message.context, email=message.email, phone=message.phone,
                  user=message.user, dossier=dossier, language=message.language)


def dossier_changed(sender: Any, dossier: Dossier, event: Event, **kwargs: Any) -> None:
    """Queue the applicant's messages for ``event``. Runs after the action committed, so an error here is
    logged and swallowed: it must not turn a successful action into an error page."""
    try:
        notify_dossier_event(dossier=dossier, event=event)
    except Exception:
        logger.exception("could not queue the notifications of dossier %s, event %s",
                         getattr(dossier, "code", "?"), getattr(event, "action", "?"))


def integrity_alert(sender: Any, alert: IntegrityAlert, **kwargs: Any) -> list[Notification]:
    """Mail an altered or lost stored file (``dossiers.integrity``) to the administrators (``ADMINS``) and the
    agency concerned."""
    addresses = [address for _name, address in settings.ADMINS]
    if alert.agency is not None and alert.agency.email:
        addresses.append(alert.agency.email)
    dossier = alert.dossier
    context = {"what": alert.get_subject_display(), "record": alert.object_id, "path": alert.path,
               "dossier": dossier.code if dossier is not None else "", "problem": alert.problem,
               "expected": alert.expected, "found": alert.found, "detected_at": alert.detected_at}
    sent: list[Notification] = []
    for address in dict.fromkeys(a.strip() for a in addresses if a.strip()):
        sent.extend(notify(template="integrity_alert", context=context, email=address, dossier=dossier))
    return sent
