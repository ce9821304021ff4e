"""``motcua sync_catalog``: import the national procedure catalogue from the national portal and map each local
procedure to its national code (``integrations.dvcqg.catalogue``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from motcua.integrations.dvcqg import catalogue
from motcua.integrations.dvcqg.client import PortalError


class Command(BaseCommand):
    help = ("Import the national procedure catalogue from the national public service portal and map the local "
            "procedures to their national codes (code mappings of kind procedure); safe to run again.")

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(line: str) -> None:
            if options["verbosity"] > 0:
                self.stdout.write(f"National catalogue: {line} procedures read")

        try:
            summary = catalogue.sync_catalog(progress)
        except PortalError as error:
            raise CommandError(error.text()) from error
        self.stdout.write(
            f"{summary.national} national procedures; {summary.mapped} local procedures mapped "
            f"({summary.new} new, {summary.updated} updated), {len(summary.unmapped)} unmapped; "
            f"{summary.national_only} national procedures not offered here.")
        if summary.unmapped:
            self.stdout.write("Unmapped (add a code mapping in the admin): " + ", ".join(summary.unmapped))
