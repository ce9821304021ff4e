from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from motcua.stats import services


class Command(BaseCommand):
    help = ("Refresh the reporting facts of every dossier with events recorded since the last run (what the "
            "refresh after each action missed). `motcua serve` runs it every minute.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        done = services.catch_up(batch=options["batch"], progress=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"{done} dossier facts refreshed."))
