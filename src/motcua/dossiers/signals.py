"""``dossier_changed``: sent once a dossier's transaction has committed, for every event it recorded.

Receivers (notifications, the data warehouse…) run after the commit, so they never see a change that was rolled
back, and a failing receiver cannot undo the action. Arguments: ``dossier`` (the row as saved), ``event``.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import Signal

dossier_changed = Signal()


def send_on_commit(dossier: Any, event: Any) -> None:
    transaction.on_commit(lambda: dossier_changed.send(sender=type(dossier), dossier=dossier, event=event))
