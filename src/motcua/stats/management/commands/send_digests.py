from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "E-mail the leaders' daily and weekly supervision digests (with --if-due: only those due now)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-due", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        # SKELETON: the supervision work fills this in (stats.digests)
        self.stdout.write("0 digests sent.")
