"""Benchmark: catalogue search through the API over 2,147 procedures, on SQLite and on PostgreSQL.

2,147 is the number of procedures one province registered in the national database (Sơn La, 2025). The
benchmark builds a fresh database per engine, imports the demo catalogue and synthetic procedures up to that
count, then times `GET /api/v1/procedures` for a mix of queries through Django's full request stack
(middleware, routing, the query, serialization), in-process, single-threaded.

    .venv/bin/python bench/catalog_search.py [--requests 2000] [--engines sqlite,postgres] [--smoke]

Prints p50/p95/p99 latency and requests per second per engine, beside the floor of the same run (a one-row view
through the same stack, ``bench/floor.py``). Not a timed test: figures for the closing note. ``--smoke``: 300
procedures and 110 requests on PostgreSQL if it runs, else SQLite (make test). ``MOTCUA_BENCH_DB`` names the
PostgreSQL database (default ``motcua_bench``, suffixed ``_catalog``).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "bench")]  # this checkout's code, not the installed one
TARGET = 2147
QUERIES = ["dang ky ket hon", "giay phep xay dung", "ho kinh doanh", "khai sinh", "dat dai", "chung thuc",
           "1.000894", "ly lich tu phap", "cap doi giay phep lai xe", "xyz khong co", ""]


def child(requests: int, target: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    import floor
    from motcua.catalog.services import import_catalog

    setup_test_environment()
    call_command("migrate", verbosity=0)
    demo = json.loads((ROOT / "src/motcua/catalog/demo/catalog_quang_ninh.json").read_text(encoding="utf-8"))
    base = demo["procedures"]
    extra = []
    for i in range(max(0, target - len(base))):
        record = copy.deepcopy(base[i % len(base)])
        record["code"] = f"9.{i:06d}"
        record["name_vi"] = f"{record['name_vi']} (biến thể {i})"
        extra.append(record)
    demo["procedures"] = base + extra
    started = time.perf_counter()
    import_catalog(demo)
    load_s = time.perf_counter() - started
    if connection.vendor == "postgresql":
        # the steady state a catalogue is searched in: autovacuum has passed since the import (within a minute),
        # so the visibility map is set and index-only scans read no table pages
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    floor.install()
    client = Client()
    for q in QUERIES:  # warm-up
        client.get("/api/v1/procedures", {"q": q})
    client.get(floor.PATH)
    floors = []
    for _ in range(max(100, requests // 4)):
        t0 = time.perf_counter()
        client.get(floor.PATH)
        floors.append((time.perf_counter() - t0) * 1000)
    latencies = []
    wall = time.perf_counter()
    for n in range(requests):
        q = QUERIES[n % len(QUERIES)]
        t0 = time.perf_counter()
        response = client.get("/api/v1/procedures", {"q": q, "limit": 20})
        latencies.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.content
    total = time.perf_counter() - wall
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))]

    print(json.dumps({
        "floor_p50_ms": round(statistics.median(floors), 2), "floor_rps": round(1000 / statistics.fmean(floors), 1),
        "procedures": len(demo["procedures"]), "import_s": round(load_s, 2), "requests": requests,
        "p50_ms": round(pct(0.50), 2), "p95_ms": round(pct(0.95), 2), "p99_ms": round(pct(0.99), 2),
        "mean_ms": round(statistics.fmean(latencies), 2), "rps": round(requests / total, 1),
    }))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--procedures", type=int, default=TARGET)
    parser.add_argument("--smoke", action="store_true", help="a few seconds' run for make test")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.requests, args.procedures)
        return
    if args.smoke:
        args.requests, args.procedures = 110, 300
        up = subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"], check=False).returncode == 0
        args.engines = "postgres" if up else "sqlite"
    print(f"catalogue search over {args.procedures} procedures, {args.requests} requests per engine "
          "(in-process client)", flush=True)
    db = os.environ.get("MOTCUA_BENCH_DB", "motcua_bench") + "_catalog"
    failed = False
    for engine in args.engines.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, DJANGO_SETTINGS_MODULE="motcua.config.settings", MOTCUA_DATA_DIR=tmp,
                       PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT / "bench")]))
            if engine == "postgres":
                subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", db], check=True)
                subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
                env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{db}"
            else:
                env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
            out = subprocess.run([sys.executable, __file__, "--child", "--requests", str(args.requests),
                                  "--procedures", str(args.procedures)],
                                 env=env, capture_output=True, text=True, check=False)
            if out.returncode:
                print(f"{engine}: failed\n{out.stderr[-2000:]}")
                failed = True
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{engine:9s} import {r['import_s']:6.2f} s · p50 {r['p50_ms']:6.2f} ms · p95 {r['p95_ms']:6.2f} ms"
                  f" · p99 {r['p99_ms']:6.2f} ms · {r['rps']:7.1f} req/s  (floor, a one-row view: p50 "
                  f"{r['floor_p50_ms']:.2f} ms, {r['floor_rps']:.0f} req/s; search at "
                  f"{100 * r['rps'] / r['floor_rps']:.0f} % of it)", flush=True)
            if engine == "postgres":
                subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", db], check=False)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
