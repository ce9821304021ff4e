from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from motcua.stats import digests


class Command(BaseCommand):
    help = "E-mail the leaders' daily and weekly supervision digests (with --if-due: only those due now)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-due", action="store_true",
                            help="only the digests whose hour has come (MOTCUA_DIGEST_HOUR); each is sent once")

    def handle(self, *args: Any, **options: Any) -> None:
        sent = digests.send_due(if_due=options["if_due"])
        self.stdout.write(f"{sent} digests sent.")
