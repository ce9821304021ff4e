from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.core.errors import MotCuaError
from motcua.payments.statements import import_file


class Command(BaseCommand):
    help = (
        "Import a statement: a bank's (CSV or XLSX: date, reference, amount, note), a payment gateway's "
        "transaction report (CSV: order_ref, transaction no, amount, paid time, status) or a carrier's "
        "cash-on-delivery statement (CSV: date, reference, amount, dossier_code). Lines already imported are "
        "skipped; bank transfers naming a dossier and paying what it owes become its payments; the others are "
        "listed as unmatched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", required=True, choices=["bank", "gateway", "carrier"])
        parser.add_argument("--name", required=True, help="The bank's BIN, the gateway's or the carrier's name.")
        parser.add_argument("--day", type=date.fromisoformat, default=None,
                            help="The statement's day (YYYY-MM-DD) for rows that carry none.")
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")

        def progress(done: int, total: int) -> None:
            self.stderr.write(f"  {done}/{total} lines stored…")

        try:
            result = import_file(options["source"], options["name"], path.read_bytes(), path.name,
                                 day=options["day"], progress=progress)
        except MotCuaError as exc:
            raise CommandError(exc.text("en")) from None
        self.stdout.write(f"{result.created} new line(s), {result.already} already imported, "
                          f"{result.ignored} ignored, {result.matched} matched, {len(result.unmatched)} unmatched")
        for line, why in result.unmatched:
            self.stdout.write(f"  UNMATCHED  {line.reference}  {line.amount}  {why}  {line.dossier_code}  "
                              f"{line.note[:60]}")
