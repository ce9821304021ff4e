import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.dossiers.services.merges import MergeError, apply, check_effective, plan, read_decision, summary


class Command(BaseCommand):
    help = ("Apply a decision merging administrative units to live data in one transaction: agencies, staff, open "
            "dossiers (with a reroute event each), procedure links and registers carried to the successor units.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("decision_file", type=Path, help="the decision, as JSON (see docs/unit-merges.md)")
        parser.add_argument("--dry-run", action="store_true", help="print what would change and change nothing")
        parser.add_argument("--before-effective-date", action="store_true",
                            help="apply a decision whose effective date is still to come (refused without it)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            decision = read_decision(options["decision_file"])
            the_plan = plan(decision)
            if not options["dry_run"] and not options["before_effective_date"]:
                check_effective(decision)
        except MergeError as exc:
            raise CommandError(f"{exc.text('vi')}\n{exc.text('en')}") from exc
        for line in the_plan.lines():
            self.stdout.write(line)
        totals = summary(the_plan.units)
        if options["dry_run"]:
            try:
                check_effective(decision)
            except MergeError as exc:  # the dry run shows what the day will bring; it says the day too
                self.stdout.write(self.style.WARNING(f"{exc.text('vi')}\n{exc.text('en')}"))
            self.stdout.write(self.style.WARNING(
                f"Dry run: nothing changed. Would move {totals.get('moved', 0)} agencies, close "
                f"{totals.get('closed', 0)}, carry {totals.get('staff', 0)} staff memberships, "
                f"{totals.get('dossiers', 0)} open dossiers and {totals.get('procedures', 0)} procedure links."))
            return
        started = time.perf_counter()
        try:
            done = apply(decision, progress=lambda line: self.stdout.write(f"  {line}"))
        except MergeError as exc:
            raise CommandError(f"{exc.text('vi')}\n{exc.text('en')}") from exc
        self.stdout.write(self.style.SUCCESS(
            f"Merged in {time.perf_counter() - started:.1f} s: {done.agencies_moved} agencies moved, "
            f"{done.agencies_closed} closed, {done.staff_moved} staff memberships moved, {done.dossiers} open "
            f"dossiers carried over (each with a reroute event), {done.procedures} procedure links."))
