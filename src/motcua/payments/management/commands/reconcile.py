import sys
from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from motcua.core.calendar import VN_TZ
from motcua.payments.reconciliation import reconcile, save_run


class Command(BaseCommand):
    help = (
        "Reconcile a day (Asia/Ho_Chi_Minh): per collection point, gateway, carrier and bank, what was collected "
        "and refunded, what the dossiers owed and what the statements say, then every mismatch. Exit status 1 "
        "when something does not balance."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: yesterday)")
        parser.add_argument("--until", type=date.fromisoformat, default=None, help="last day of a range")
        parser.add_argument("--save", action="store_true", help="store the result as a ReconciliationRun")

    def handle(self, *args: Any, **options: Any) -> None:
        day = options["day"] or timezone.now().astimezone(VN_TZ).date() - timedelta(days=1)
        result = reconcile(day, until=options["until"])
        out = self.stdout.write
        span = f"{result.first}" + (f" … {result.last}" if result.last != result.first else "")
        out(f"Reconciliation {span}")
        out(f"{'channel':8} {'name':32} {'payments':>8} {'collected':>12} {'refunded':>10} {'owed':>12} "
            f"{'statement':>12} {'mismatches':>10}")
        for g in result.groups:
            statement = "-" if g.statement is None else f"{g.statement:,}"
            out(f"{g.channel:8} {g.name[:32]:32} {g.payments:>8} {g.collected:>12,} {g.refunded:>10,} "
                f"{g.owed:>12,} {statement:>12} {g.mismatches:>10}")
        totals = result.totals()
        out(f"{'total':41} {sum(g.payments for g in result.groups):>8} {totals['collected']:>12,} "
            f"{totals['refunded']:>10,} {totals['owed']:>12,} {totals['statement']:>12,} "
            f"{len(result.mismatches):>10}")
        for m in result.mismatches:
            expected = "-" if m.expected is None else f"{m.expected:,}"
            actual = "-" if m.actual is None else f"{m.actual:,}"
            out(f"MISMATCH  {m.kind:24} {m.channel:8} {m.name[:24]:24} {m.dossier_code or '-':28} "
                f"ours {expected:>10}  statement {actual:>10}  {m.reference}")
        if options["save"]:
            out(f"saved as reconciliation run {save_run(result).pk}")
        out("BALANCED" if result.balanced else f"NOT BALANCED: {len(result.mismatches)} mismatch(es)")
        if not result.balanced:
            sys.exit(1)
