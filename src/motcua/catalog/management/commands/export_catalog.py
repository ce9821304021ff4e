from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.catalog.formats import write_json, write_xlsx
from motcua.catalog.services import export_catalog


class Command(BaseCommand):
    help = "Export the procedures in force to a .json or .xlsx file (docs/catalog-format.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--field", help="only this field code")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        suffix = path.suffix.lower()
        if suffix not in (".json", ".xlsx"):
            raise CommandError("Chỉ xuất được .json hoặc .xlsx / Only .json or .xlsx can be written.")
        document = export_catalog(field_code=options["field"])
        path.write_bytes(write_json(document) if suffix == ".json" else write_xlsx(document))
        self.stdout.write(self.style.SUCCESS(f"{len(document['procedures'])} procedures written to {path}."))
