"""``motcua import_cod_statement [--day YYYY-MM-DD]``: the carrier's statement of the cash it collected on delivery
that day (yesterday by default), imported for the daily reconciliation (``motcua reconcile``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from motcua.core.calendar import VN_TZ
from motcua.core.errors import MotCuaError
from motcua.postal.services import shipments


class Command(BaseCommand):
    help = "Import the carrier's cash-on-delivery statement of a day (yesterday by default) for the reconciliation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", type=date.fromisoformat, default=None, help="the day, YYYY-MM-DD (yesterday).")

    def handle(self, *args: Any, **options: Any) -> None:
        day = options["day"] or timezone.now().astimezone(VN_TZ).date() - timedelta(days=1)
        self.stdout.write(f"Fetching the carrier's COD statement of {day:%d/%m/%Y}…")
        try:
            result = shipments.import_cod_statement(day)
        except MotCuaError as error:
            raise CommandError(f"{error.text('en')} / {error.text('vi')}") from error
        self.stdout.write(f"{result.created} new lines, {result.already} already imported, "
                          f"{result.matched} matched to a COD payment, {len(result.unmatched)} not matched")
        for line, why in result.unmatched:
            self.stdout.write(f"  {line.reference}  {line.amount:>12,} đ  {line.dossier_code or '-'}  {why}")
