import sys
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from motcua.dossiers.audit import verify_all
from motcua.dossiers.integrity import verify_files
from motcua.dossiers.seals import verify_seals


class Command(BaseCommand):
    help = (
        "Verify the dossier event log: every hash chain, every dossier row against the events it is rebuilt from, "
        "the dossier-code counters, every stored file against the SHA-256 its dossier's chain recorded (and every "
        "data-warehouse document against its own), and the sealed chain heads (signature, timestamp, and each "
        "sealed head still in its log). Exit status 1 if anything was altered, inserted, deleted or lost."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Print only the findings.")
        parser.add_argument("--no-files", action="store_true", help="Skip reading the stored files.")

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = options["quiet"]

        def progress(what: str) -> Callable[[int], None]:
            def tell(count: int) -> None:
                if not quiet:
                    self.stderr.write(f"  {count} {what} checked…")
            return tell

        findings = 0
        checks = [verify_all(progress=progress("dossiers")), verify_seals(progress=progress("seals"))]
        if not options["no_files"]:
            checks.insert(1, verify_files(progress=progress("files")))
        for check in checks:
            for finding in check:
                findings += 1
                self.stdout.write(f"TAMPERED / BỊ SỬA ĐỔI  {finding}")
        if findings:
            self.stderr.write(self.style.ERROR(f"{findings} problem(s) found / phát hiện {findings} vấn đề."))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(
            "The event log, the stored files and the seals are intact. / "
            "Nhật ký sự kiện, các tệp lưu trữ và các niêm phong toàn vẹn."))
