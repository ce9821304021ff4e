"""``motcua poll_shipments``: ask the carrier about shipments that have had no news for a while (the fallback when
its webhooks do not arrive); ``motcua serve`` runs it every ``MOTCUA_SHIPMENT_POLL_MINUTES``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from motcua.postal.services import shipments


class Command(BaseCommand):
    help = "Poll the carrier's tracking for shipments not final and without news for --minutes minutes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--minutes", type=float, default=None,
                            help=f"quiet for this long (default MOTCUA_SHIPMENT_POLL_MINUTES, "
                                 f"{settings.MOTCUA_SHIPMENT_POLL_MINUTES:g}).")

    def handle(self, *args: Any, **options: Any) -> None:
        due = shipments.due_for_polling(minutes=options["minutes"])
        counts = shipments.poll(due)
        summary = ", ".join(f"{name} {count}" for name, count in sorted(counts.items())) or "nothing new"
        if due or options["verbosity"] > 1:
            self.stdout.write(f"Polled {len(due)} shipments: {summary}")
