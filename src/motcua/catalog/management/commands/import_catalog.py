from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from motcua.catalog.formats import read_catalog_file
from motcua.catalog.services import import_catalog
from motcua.core.errors import MotCuaError, ValidationFailed


def describe(error: MotCuaError) -> str:
    where = f"{error.location}: " if error.location else ""
    return f"{where}{error.text('vi')} / {error.text('en')}"


class Command(BaseCommand):
    help = "Import a catalogue file (.json or .xlsx): all or nothing, idempotent, versions for changed procedures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate("vi")
        try:
            data, locations = read_catalog_file(options["file"])
            report = import_catalog(
                data, locations=locations, dry_run=options["dry_run"],
                progress=lambda line: self.stdout.write(f"  {line}"),
            )
        except ValidationFailed as exc:
            for error in exc.errors:
                self.stderr.write(f"  {describe(error)}")
            raise CommandError(describe(exc)) from None
        except MotCuaError as exc:
            raise CommandError(describe(exc)) from None
        prefix = "[dry run] " if report.dry_run else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}Fields: {report.fields_created} created, {report.fields_updated} updated. "
                f"Procedures: {report.procedures_created} new, {report.versions_created} new versions, "
                f"{report.unchanged} unchanged."
            )
        )
