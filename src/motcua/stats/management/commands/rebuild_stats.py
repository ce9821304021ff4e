from typing import Any

from django.core.management.base import BaseCommand

from motcua.stats import services


class Command(BaseCommand):
    help = ("Drop the reporting facts and the daily roll-up and rebuild them from the dossiers' event logs "
            "(the figures must not change).")

    def handle(self, *args: Any, **options: Any) -> None:
        facts, rows = services.rebuild(progress=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"{facts} dossier facts, {rows} daily roll-up rows rebuilt."))
