"""Signals between the parts of the postal app, so that each part reacts to another without importing its
workflow.

``handover_item_confirmed``: sent (on commit) when the receiving side of a hand-over record confirms one item,
with ``item`` (a ``HandoverItem``) and ``batch``; the home pickup of that dossier becomes "delivered to the
agency" (``postal.services.pickups``).
"""

from django.dispatch import Signal

handover_item_confirmed = Signal()
