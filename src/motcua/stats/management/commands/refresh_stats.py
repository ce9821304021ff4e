from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from motcua.core.stopping import Stopping
from motcua.stats import services


class Command(BaseCommand):
    help = ("Refresh the reporting facts of every dossier with events recorded since the last run. With --follow, "
            "keep doing it every few seconds until stopped: the follower `motcua serve` starts, so that actions "
            "leave the refresh to it (MOTCUA_STATS_REFRESH=follow).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=500)
        parser.add_argument("--follow", action="store_true", help="keep catching up until SIGTERM or Ctrl-C")
        parser.add_argument("--interval", type=float, default=None,
                            help="seconds between two catch-ups with --follow (MOTCUA_STATS_FOLLOW_SECONDS)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["follow"]:
            done = services.catch_up(batch=options["batch"], progress=self.stdout.write)
            self.stdout.write(self.style.SUCCESS(f"{done} dossier facts refreshed."))
            return
        stopping = Stopping()
        interval = options["interval"] or settings.MOTCUA_STATS_FOLLOW_SECONDS
        if options["verbosity"] > 0:
            self.stdout.write(f"Following the event log every {interval:g} s (Ctrl-C stops).")
        progress = self.stdout.write if options["verbosity"] > 1 else (lambda line: None)
        done = services.follow(interval=interval, stop=stopping.__bool__, progress=progress)
        if options["verbosity"] > 0:
            self.stdout.write(f"{done} dossier facts refreshed.")
