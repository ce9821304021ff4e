"""Benchmark (part of bench/postal.py): the daily reconciliation of a month of a province's payments.

A province's month: ``size`` payments (60,000 by default) of 30,000 đ each, one dossier each, spread over 30 days
and 30 collection points — 40 % cash or card at the points, 30 % through the gateway, 20 % bank transfers,
10 % cash on delivery — with the gateway's, the bank's and the carrier's statement lines matching them (all
bulk-created), and a few refunds. Then ``payments.reconciliation.reconcile`` is timed for each day (p50, max) and
for the whole month in one call; every day must balance.

    .venv/bin/python bench/postal_reconcile.py [--size 60000] [--smoke]

``DATABASE_URL`` chooses the database (default: a fresh SQLite file); it is migrated and filled.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]  # this checkout's code (and tests/factories.py)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.config.settings")
os.environ.setdefault("SECRET_KEY", "bench-postal-reconcile")

POINTS = 30
DAYS = 30
FEE = 30000


def _setup() -> None:
    if "DATABASE_URL" not in os.environ:
        folder = tempfile.mkdtemp(prefix="motcua-bench-reconcile-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
        os.environ.setdefault("MOTCUA_DATA_DIR", folder)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(size: int, first: date) -> int:
    """The month's dossiers, payments, statement lines and refunds, bulk-created; the payments' count."""
    from django.db import transaction
    from tests.factories import World, new_dossier

    from motcua.agencies.models import Agency, AgencyKind
    from motcua.core.calendar import VN_TZ
    from motcua.dossiers.models import Dossier
    from motcua.payments.models import Payment, Refund, StatementLine

    world = World()
    points = [world.commune, world.post] + [
        Agency.objects.create(identifier_code=f"000.9{n // 10}.{n % 10}1.H22", name=f"Điểm Bưu điện {n}",
                              kind=AgencyKind.POST_OFFICE, unit=world.post.unit, parent=world.center)
        for n in range(POINTS - 2)]
    template = new_dossier(world)
    fields = [f for f in Dossier._meta.concrete_fields if not f.primary_key and f.name not in ("code", "created_at")]
    batch = 5000
    made = 0
    with transaction.atomic():
        for start in range(0, size, batch):
            count = min(batch, size - start)
            dossiers = []
            for n in range(start, start + count):
                item = Dossier(**{f.attname: getattr(template, f.attname) for f in fields})
                item.code = f"000.00.99.H22-{n // 10000:06d}-{n % 10000:04d}"
                item.fee_total = FEE
                dossiers.append(item)
            created = Dossier.objects.bulk_create(dossiers)
            payments, lines, refunds = [], [], []
            for offset, dossier in enumerate(created):
                n = start + offset
                day = first + timedelta(days=n % DAYS)
                paid_at = datetime(day.year, day.month, day.day, 8 + n % 9, n % 60, tzinfo=VN_TZ)
                kind = n % 10
                method = "cash" if kind < 3 else "card" if kind < 4 else "gateway" if kind < 7 else \
                    "transfer" if kind < 9 else "cod"
                payments.append(Payment(
                    dossier=dossier, amount=FEE, order_ref=f"MCB{n:010d}", gateway="sandbox" if method == "gateway"
                    else "", method=method, point=points[n % POINTS] if method in ("cash", "card") else None,
                    status="paid", created_at=paid_at, expires_at=paid_at, paid_at=paid_at,
                    receipt_number=f"BL-B-{n:07d}", gateway_transaction=f"{n:08d}" if method == "gateway" else "",
                    reference=f"FT{n:010d}" if method == "transfer" else f"EB{n:09d}VN" if method == "cod" else ""))
            Payment.objects.bulk_create(payments)
            for p in payments:
                day = p.paid_at.astimezone(VN_TZ).date()
                if p.method in ("gateway", "transfer", "cod"):
                    source = {"gateway": "gateway", "transfer": "bank", "cod": "carrier"}[p.method]
                    name = {"gateway": "sandbox", "transfer": "970436", "cod": "vnpost"}[p.method]
                    lines.append(StatementLine(
                        source=source, name=name, day=day, reference=p.gateway_transaction or p.reference,
                        amount=p.amount, note=p.order_ref if source == "gateway" else p.reference,
                        dossier_code=p.dossier.code, payment=p, raw={}))
                if p.method == "cash" and int(p.order_ref[3:]) % 97 == 0:  # a few cash refunds, same day, same point
                    refunds.append(Refund(payment=p, amount=10000, method="cash", reason="bench", status="done",
                                          point=p.point, requested_at=p.paid_at, done_at=p.paid_at,
                                          requested_by_name="bench"))
            StatementLine.objects.bulk_create(lines)
            Refund.objects.bulk_create(refunds)
            made += len(payments)
    return made


def run(size: int, *, smoke: bool) -> list[tuple[str, str]]:
    """Build the month (a few hundred payments with ``smoke``) and time the reconciliations."""
    if smoke:
        size = min(size, 300)
    _setup()
    from motcua.payments.reconciliation import reconcile

    first = date(2026, 10, 1)
    started = time.perf_counter()
    made = build(size, first)
    built = time.perf_counter() - started
    times = []
    for offset in range(DAYS):
        started = time.perf_counter()
        result = reconcile(first + timedelta(days=offset))
        times.append(time.perf_counter() - started)
        assert result.balanced, (offset, result.mismatches[:5])
    started = time.perf_counter()
    month = reconcile(first, until=first + timedelta(days=DAYS - 1))
    whole = time.perf_counter() - started
    assert month.balanced and sum(g.payments for g in month.groups) == made, month.mismatches[:5]
    engine = os.environ["DATABASE_URL"].split(":", 1)[0]
    return [
        ("reconcile: engine", engine),
        ("reconcile: payments in the month (bulk-created)", f"{made:,} in {built:.1f} s"),
        ("reconcile: one day (p50 of 30)", f"{statistics.median(times) * 1000:.0f} ms"),
        ("reconcile: one day (max of 30)", f"{max(times) * 1000:.0f} ms"),
        ("reconcile: the whole month in one call", f"{whole:.2f} s ({made / whole:,.0f} payments/s)"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=60000)
    parser.add_argument("--smoke", action="store_true", help="a few hundred payments")
    args = parser.parse_args()
    for label, figure in run(args.size, smoke=args.smoke):
        print(f"{label:55} {figure}")


if __name__ == "__main__":
    main()
