"""Signals of the outbox: ``messages_delivered(system, dossier_ids)`` after a batch's outcomes are recorded (a
delivery is not an event of the log, so whoever counts deliveries — the reporting facts — listens here)."""

from __future__ import annotations

from django.dispatch import Signal

messages_delivered = Signal()
