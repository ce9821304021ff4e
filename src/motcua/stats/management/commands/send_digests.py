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
        missing = digests.without_address()
        if missing:
            self.stdout.write(f"{missing} leaders and supervisors have no e-mail address: no digest for them.")
        if not digests.recipients():
            self.stdout.write("Nobody to send to: give the leaders and supervisors an e-mail address.")
        elif not sent:
            why = " or are not due yet (MOTCUA_DIGEST_HOUR)." if options["if_due"] else "."
            self.stdout.write(f"Each digest is sent once: those of this day and week were sent already{why}")
