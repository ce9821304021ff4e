"""``dossier_changed``: sent once a dossier's transaction has committed, for every event it recorded.

Receivers (notifications, the data warehouse…) run after the commit, so they never see a change that was rolled
back, and a failing receiver cannot undo the action. Arguments: ``dossier`` (the row as saved), ``event``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)
dossier_changed = Signal()


def _send(dossier: Any, event: Any) -> None:
    for receiver, result in dossier_changed.send_robust(sender=type(dossier), dossier=dossier, event=event):
        if isinstance(result, Exception):
            logger.error("dossier_changed receiver %r failed for %s #%s", receiver, dossier.code, event.seq,
                         exc_info=result)


def send_on_commit(dossier: Any, event: Any) -> None:
    transaction.on_commit(lambda: _send(dossier, event))
