"""``dossier_changed``: sent once a dossier's transaction has committed, for every event it recorded that the
applicant hears of (``record(notify=True)``); ``event_recorded``: sent likewise for every event, told or not (the
reporting facts follow the whole log: ``stats.receivers``); ``event_written``: sent for every event *inside* its
transaction, before the commit (``pairs``: ``[(dossier, event), …]``), for what must be written with the event or
not at all — the outbox of messages to outside systems (``integrations.receivers``). A receiver of
``event_written`` that raises rolls the action back.

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
# ``record_many``'s batch (a carrier's updates): one signal for all its events, ``dossiers`` and ``events`` in order
events_recorded = Signal()
event_written = Signal()


def send_written(pairs: list[tuple[Any, Any]]) -> None:
    """``event_written`` for events just written, in the caller's transaction (errors propagate)."""
    if pairs and event_written.receivers:
        event_written.send(sender=type(pairs[0][0]), pairs=pairs)


def _send(dossier: Any, event: Any, notify: bool = True) -> None:
    if notify:
        _send_one(dossier_changed, "dossier_changed", dossier, event)
    _send_one(event_recorded, "event_recorded", dossier, event)


def send_on_commit(dossier: Any, event: Any, notify: bool = True) -> None:
    transaction.on_commit(lambda: _send(dossier, event, notify))


def _send_many(pairs: list[tuple[Any, Any]], notify: bool) -> None:
    if notify:
        for dossier, event in pairs:
            _send_one(dossier_changed, "dossier_changed", dossier, event)
    for receiver, result in events_recorded.send_robust(sender=type(pairs[0][0]), dossiers=[d for d, _ in pairs],
                                                        events=[e for _, e in pairs]):
        if isinstance(result, Exception):
            logger.error("events_recorded receiver %r failed for %s events", receiver, len(pairs), exc_info=result)


def _send_one(signal: Signal, name: str, dossier: Any, event: Any) -> None:
    for receiver, result in signal.send_robust(sender=type(dossier), dossier=dossier, event=event):
        if isinstance(result, Exception):
            logger.error("%s receiver %r failed for %s #%s", name, receiver, dossier.code, event.seq,
                         exc_info=result)


def send_many_on_commit(pairs: list[tuple[Any, Any]], notify: bool = True) -> None:
    """For a batch of events (``record_many``): ``dossier_changed`` for each (when ``notify``), then one
    ``events_recorded`` for all, so that a receiver may handle the batch at once."""
    if pairs:
        transaction.on_commit(lambda: _send_many(pairs, notify))
