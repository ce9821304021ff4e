"""``dossier_changed``: sent once a dossier's transaction has committed, for every event it recorded that the
applicant hears of (``record(notify=True)``); ``event_recorded``: sent likewise for every event, told or not (the
reporting facts follow the whole log: ``stats.receivers``).

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
event_recorded = Signal()


def _send(dossier: Any, event: Any, notify: bool = True) -> None:
    signals = (("dossier_changed", dossier_changed),) if notify else ()
    for name, signal in (*signals, ("event_recorded", event_recorded)):
        for receiver, result in signal.send_robust(sender=type(dossier), dossier=dossier, event=event):
            if isinstance(result, Exception):
                logger.error("%s receiver %r failed for %s #%s", name, receiver, dossier.code, event.seq,
                             exc_info=result)


def send_on_commit(dossier: Any, event: Any, notify: bool = True) -> None:
    transaction.on_commit(lambda: _send(dossier, event, notify))
