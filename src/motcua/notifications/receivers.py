"""The applicant hears about their dossier: the receiver of ``dossiers.signals.dossier_changed``."""

from __future__ import annotations

import logging
from typing import Any

from motcua.notifications.services import notify_dossier_event

logger = logging.getLogger(__name__)


def dossier_changed(sender: Any, dossier: Any, event: Any, **kwargs: Any) -> None:
    """Queue the applicant's messages for ``event``. Runs after the action committed, so an error here is
    logged and swallowed: it must not turn a successful action into an error page."""
    try:
        notify_dossier_event(dossier=dossier, event=event)
    except Exception:
        logger.exception("could not queue the notifications of dossier %s, event %s",
                         getattr(dossier, "code", "?"), getattr(event, "action", "?"))
