"""Benchmark (part 3 of ``bench/interconnect.py``): a commune with many open dossiers merged into another
(``motcua merge_units``), in one transaction.

Setup: a PostgreSQL database with the demo province (a copy of ``MOTCUA_BENCH_TEMPLATE``, a database with the demo
loaded, as ``make bench-smoke`` makes; else ``migrate`` and ``load_demo --without-history``), and ``--size`` open
dossiers received at the Việt Hưng ward's one-stop department, their next step at its People's Committee (bulk
insert). Then the demo's sample decision (``src/motcua/demo/data/merge_example.json``: Việt Hưng into Hà Tu) is read,
planned (the dry run's figures) and applied: Việt Hưng's one-stop department, People's Committee and post point
closed into Hà Tu's, their staff and procedure links moved, every open dossier carried over with a ``reroute``
event. Afterwards every dossier is checked: held by Hà Tu's one-stop department, a ``reroute`` event in its log.

    .venv/bin/python bench/interconnect_merge.py [--size 5000] [--smoke]

Prints the figures; not a timed test. Needs PostgreSQL on 127.0.0.1:5432 with trust auth for ``postgres``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]  # this checkout's code (and tests.factories for the setup)
DB = os.environ.get("MOTCUA_BENCH_DB", "motcua_bench") + "_interconnect_merge"
PG = ["-h", "127.0.0.1", "-U", "postgres"]


def run(size: int, tmp: Path) -> list[tuple[str, str]]:
    os.environ.update(DJANGO_SETTINGS_MODULE="motcua.config.settings", MOTCUA_DATA_DIR=str(tmp),
                      DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DB}", SECRET_KEY=secrets.token_urlsafe(50),
                      DEBUG="0", LOG_LEVEL="WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from motcua.agencies.models import Agency
    from motcua.catalog.models import ProcedureVersion
    from motcua.dossiers.models import Dossier, DossierAgency, Event
    from motcua.dossiers.services.merges import apply, plan, read_decision
    from motcua.dossiers.statuses import EventKind, Status

    started = time.perf_counter()
    if not os.environ.get("MOTCUA_BENCH_TEMPLATE"):
        call_command("migrate", verbosity=0)
        call_command("load_demo", without_history=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    one_stop = Agency.objects.get(identifier_code="000.02.20.H22")  # Việt Hưng
    committee = Agency.objects.get(identifier_code="000.02.21.H22")
    version = ProcedureVersion.objects.filter(procedure__agencies=one_stop).select_related("procedure").first()
    assert version is not None, "no procedure received at Việt Hưng"
    now = timezone.now()
    plan_steps = [{"name": "Tiếp nhận", "role": "reception", "agency": one_stop.pk, "days": "0.5"},
                  {"name": "Thẩm định", "role": "processing", "agency": committee.pk, "days": "3"},
                  {"name": "Trả kết quả", "role": "reception", "agency": one_stop.pk, "days": "0"}]
    with transaction.atomic():
        copies = Dossier.objects.bulk_create([Dossier(
            code=f"{one_stop.identifier_code}-261201-{i:04d}", procedure=version.procedure, version=version,
            rules_version="bench", applicant_kind="person", applicant_name="Nguyễn Văn An",
            applicant_id_number="022090001234", channel="counter", receiving_agency=one_stop,
            competent_unit=one_stop.unit, delivery="counter", status=Status.RECEIVED, plan=plan_steps,
            current_agency=one_stop, current_role="reception", submitted_at=now, received_at=now,
        ) for i in range(1, size + 1)], batch_size=1000)
        DossierAgency.objects.bulk_create(
            [DossierAgency(dossier=d, agency_id=a) for d in copies for a in (one_stop.pk, committee.pk)],
            batch_size=2000)
    setup = time.perf_counter() - started
    target = Agency.objects.get(identifier_code="000.01.20.H22")  # Hà Tu's one-stop department

    decision_file = ROOT / "src" / "motcua" / "demo" / "data" / "merge_example.json"
    started = time.perf_counter()
    decision = read_decision(decision_file)
    the_plan = plan(decision)
    planned = time.perf_counter() - started
    total = the_plan.units[0].open_dossiers  # ours, and those of the demo's history if the template has it
    assert total >= size, total

    lines: list[str] = []
    started = time.perf_counter()
    with transaction.atomic():  # apply's own: split the transaction from what runs once it commits
        done = apply(decision, progress=lines.append)
        inside = time.perf_counter() - started
    merged = time.perf_counter() - started  # with the commit and its hooks (the reporting facts refreshed)

    assert done.dossiers == total, done.dossiers
    assert Dossier.objects.filter(pk__in=[d.pk for d in copies], current_agency=target).count() == size
    assert Event.objects.filter(action=EventKind.REROUTE).count() == total
    return [
        ("open dossiers in the merged commune", f"{total:,}"),
        ("setup (demo province, bulk dossiers)", f"{setup:.1f} s"),
        ("dry run (read + plan)", f"{planned * 1000:.0f} ms"),
        ("merge: the transaction", f"{inside:.2f} s"),
        ("merge: with the commit's hooks (facts)", f"{merged:.2f} s"),
        ("per dossier", f"{merged / total * 1000:.2f} ms"),
        ("dossiers per second", f"{total / merged:,.0f}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000, help="open dossiers in the merged commune")
    parser.add_argument("--smoke", action="store_true", help="500 dossiers (make test)")
    options = parser.parse_args()
    size = 500 if options.smoke else options.size
    subprocess.run(["dropdb", *PG, "--if-exists", "--force", DB], check=True)  # noqa: S603, S607
    template = os.environ.get("MOTCUA_BENCH_TEMPLATE", "")  # a database with the demo loaded (make bench-smoke)
    subprocess.run(["createdb", *PG, *(["-T", template] if template else []), DB], check=True)  # noqa: S603, S607
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rows = run(size, Path(tmp))
    finally:
        from django.db import connections

        connections.close_all()
        subprocess.run(["dropdb", *PG, "--if-exists", "--force", DB], check=False)  # noqa: S603, S607
    width = max(len(label) for label, _ in rows)
    print("Unit merge (merge_units): a commune's open dossiers carried to the successor's agencies")
    for label, figure in rows:
        print(f"  {label.ljust(width)}  {figure}")


if __name__ == "__main__":
    main()
