"""The applicant hears about their dossier: the receiver of ``dossiers.signals.dossier_changed``.

``dossiers.messages`` decides whether the event is news to the applicant and what the message says; this app
renders and delivers it.
"""

from __future__ import annotations

import logging
from typing import Any

from motcua.dossiers.messages import message_for
from motcua.dossiers.models import Dossier, Event
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
