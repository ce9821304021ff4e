"""``motcua deliver_outbox``: the outbox worker — sends what is due to the outside systems (``integrations.outbox``),
once until nothing is due, or for ever with ``--follow`` (what ``motcua serve`` runs)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from motcua.core.stopping import Stopping
from motcua.integrations import outbox


class Command(BaseCommand):
    help = "Send the outbox's due messages to the outside systems (national portal, peer instances…)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--follow", action="store_true", help="keep running, sending messages as they come.")
        parser.add_argument("--system", action="append", default=None,
                            help="only this system (portal, store, peer…); repeatable.")

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = int(options["verbosity"])
        if not options["follow"]:
            report = outbox.drain(systems=options["system"])
            self.stdout.write(f"{report.delivered} delivered, {report.retried} to retry, {report.failed} failed.")
            return
        stopping = Stopping()
        pause = float(settings.MOTCUA_OUTBOX_FOLLOW_SECONDS)
        while not stopping:
            try:
                report = outbox.deliver_due(systems=options["system"])
            except Exception as exc:  # the database away for a moment: try again at the next turn
                self.stderr.write(f"outbox: {type(exc).__name__}: {exc}")
                report = outbox.Report()
            if report.handled and verbosity > 1:
                self.stdout.write(f"{report.delivered} delivered, {report.retried} to retry, "
                                  f"{report.failed} failed.")
            if not report.handled:
                time.sleep(pause)
