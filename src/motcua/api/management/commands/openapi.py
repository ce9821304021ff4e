from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from motcua.api.openapi import render
from motcua.api.urls import api


class Command(BaseCommand):
    help = "Write the API's OpenAPI document (the contract committed as docs/api/openapi.json), stable and sorted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", default="-", help="File to write (default: standard output).")

    def handle(self, *args: Any, **options: Any) -> None:
        text = render(api.get_openapi_schema())
        if options["output"] == "-":
            self.stdout.write(text, ending="")
        else:
            Path(options["output"]).write_text(text, encoding="utf-8")
