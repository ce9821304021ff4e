"""Benchmark (part of bench/postal.py): a hand-over record of 500 dossiers from a post point to the commune,
sent and confirmed item by item through the services, and the record's page rendered.

On a fresh database (a temporary SQLite file, or PostgreSQL with ``--engine postgres``: ``MOTCUA_BENCH_DB``, default
``motcua_bench``, suffixed ``_handover``) with the small province of ``tests.factories.World``:

1. ``size`` dossiers received at the Hà Tu post point (not timed), one paid in cash at the point each;
2. the record prepared with all of them (one call), signed on screen and sent (the PDF of ``size`` rows rendered,
   each dossier's ``handover`` event recorded);
3. each package confirmed by its code as the commune unpacks it: ``size`` calls of ``confirm_item``, each one
   transferring its dossier and restarting its clock (time per item: mean, p50, p95), then closed and signed
   (the receiver's PDF);
4. the record's page for the receiving officer (``size`` rows), p50 of 5 GETs through Django's stack.

    .venv/bin/python bench/postal_handover.py [--size 500] [--engine sqlite|postgres] [--smoke]

Prints the figures; not a timed test. ``run(size, smoke=…)`` gives them as rows to ``bench/postal.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]  # this checkout's code (and its tests.factories)

SMOKE_SIZE = 20


def _setup(engine: str, tmp: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-postal-handover")
    os.environ.setdefault("MOTCUA_DATA_DIR", tmp)
    if engine == "postgres":
        db = os.environ.get("MOTCUA_BENCH_DB", "motcua_bench") + "_handover"
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{db}"
        import psycopg  # noqa: PLC0415 - only for PostgreSQL

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}"')
            conn.execute(f'CREATE DATABASE "{db}"')
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    warnings.filterwarnings("ignore", message="No directory at")  # no collected static files in a bench
    import django  # noqa: PLC0415 - after the environment is set

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415
    from django.test.utils import setup_test_environment  # noqa: PLC0415

    setup_test_environment()
    call_command("migrate", verbosity=0)


def run(size: int, *, smoke: bool) -> list[tuple[str, str]]:
    """The figures of one run with ``size`` items (``SMOKE_SIZE`` with ``smoke``), as (label, figure) rows.
    Django must be set up on an empty, migrated database (``main`` does it)."""
    from django.conf import settings  # noqa: PLC0415 - Django is set up by the caller
    from django.test import Client  # noqa: PLC0415
    from django.urls import reverse  # noqa: PLC0415
    from tests.factories import APPLICANT, MONDAY, World  # noqa: PLC0415

    from motcua.dossiers import services as dossier_services  # noqa: PLC0415
    from motcua.payments.services import record_collection  # noqa: PLC0415
    from motcua.postal.models import Direction  # noqa: PLC0415
    from motcua.postal.services import handover  # noqa: PLC0415

    size = SMOKE_SIZE if smoke else size
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="handover-media-")
    world = World()
    post, commune = world.actor("buudien"), world.actor("chuyenvien")
    codes = []
    for n in range(size):
        dossier, _ = dossier_services.create_dossier(actor=post, now=MONDAY, data={
            "procedure": "1.000894", "channel": "post_office", "applicant": APPLICANT,
            "components": [{"order": 1, "originals": 1, "copies": 1}], "receiving_agency": world.post.identifier_code})
        if n % 2 == 0:
            record_collection(code=dossier.code, method="cash", amount=30000, actor=post, point_id=world.post.pk,
                              now=MONDAY)
        codes.append(dossier.code)

    started = time.perf_counter()
    batch = handover.open_batch(actor=post, direction=Direction.TO_AGENCY, giver_id=world.post.pk,
                                receiver_id=world.committee.pk, codes=codes)
    prepared = time.perf_counter() - started
    started = time.perf_counter()
    batch = handover.send_batch(batch.pk, actor=post)
    sent = time.perf_counter() - started

    per_item = []
    started = time.perf_counter()
    for code in codes:
        one = time.perf_counter()
        handover.confirm_item(batch.pk, actor=commune, code=code)
        per_item.append(time.perf_counter() - one)
    confirming = time.perf_counter() - started
    started = time.perf_counter()
    batch = handover.close_batch(batch.pk, actor=commune)
    closed = time.perf_counter() - started
    assert batch.received_count == size and batch.missing_count == 0

    client = Client()
    client.force_login(world.users["chuyenvien"])
    url = reverse("workspace:handover", args=[batch.pk])
    pages = []
    for _ in range(5):
        one = time.perf_counter()
        response = client.get(url)
        pages.append(time.perf_counter() - one)
        assert response.status_code == 200
    per_item.sort()
    ms = 1000
    return [
        ("hand-over: items", f"{size}"),
        ("hand-over: prepare the record (one call)", f"{prepared * ms:.0f} ms"),
        ("hand-over: sign on screen and send (PDF + events)", f"{sent * ms:.0f} ms"),
        ("hand-over: confirm one item (mean / p50 / p95)",
         f"{statistics.mean(per_item) * ms:.1f} / {per_item[len(per_item) // 2] * ms:.1f} / "
         f"{per_item[int(len(per_item) * 0.95) - 1] * ms:.1f} ms"),
        ("hand-over: confirm every item (total)", f"{confirming:.2f} s ({size / confirming:.0f} items/s)"),
        ("hand-over: close and sign (final PDF)", f"{closed * ms:.0f} ms"),
        (f"hand-over: record page with {size} rows (p50 of 5)", f"{statistics.median(pages) * ms:.0f} ms"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=500, help="items in the record (500)")
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_SIZE} items: does it run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-handover-") as tmp:
        _setup(args.engine, tmp)
        rows = run(args.size, smoke=args.smoke)
    width = max(len(label) for label, _ in rows)
    print(f"postal hand-over ({args.engine})")
    for label, figure in rows:
        print(f"  {label:<{width}}  {figure}")


if __name__ == "__main__":
    main()
