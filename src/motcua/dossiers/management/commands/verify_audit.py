import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from motcua.dossiers.audit import verify_all


class Command(BaseCommand):
    help = (
        "Verify the dossier event log: every hash chain, every dossier row against the events it is rebuilt from, "
        "and the dossier-code counters. Exit status 1 if anything was altered, inserted or deleted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Print only the findings.")

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = options["quiet"]

        def progress(count: int) -> None:
            if not quiet:
                self.stderr.write(f"  {count} dossiers checked…")

        findings = 0
        for finding in verify_all(progress=progress):
            findings += 1
            self.stdout.write(f"TAMPERED / BỊ SỬA ĐỔI  {finding}")
        if findings:
            self.stderr.write(self.style.ERROR(f"{findings} problem(s) found / phát hiện {findings} vấn đề."))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("The event log is intact. / Nhật ký sự kiện toàn vẹn."))
