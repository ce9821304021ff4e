from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from motcua.geo.services import load_units


class Command(BaseCommand):
    help = ("Load the 34 provinces and their communes (two-level government since 1 July 2025) and the 2025 merges "
            "of provinces and communes (old codes and names → new units); idempotent.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--province", action="append", help="only communes of this province code (e.g. 22)")

    def handle(self, *args: Any, **options: Any) -> None:
        provinces = {f"{int(p):02d}" for p in options["province"]} if options["province"] else None
        report = load_units(provinces=provinces, progress=lambda line: self.stdout.write(f"  {line}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Units: {report.created} created, {report.updated} updated; {report.merges} province merges and "
                f"{report.commune_merges} commune merges recorded."
            )
        )
