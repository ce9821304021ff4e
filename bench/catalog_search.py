"""Benchmark: catalogue search through the API over 2,147 procedures, on SQLite and on PostgreSQL.

2,147 is the number of procedures one province registered in the national database (Sơn La, 2025). The
benchmark builds a fresh database per engine, imports the demo catalogue and synthetic procedures up to that
count, then times `GET /api/v1/procedures` for a mix of queries through Django's full request stack
(middleware, routing, the query, serialization), in-process, single-threaded.

    .venv/bin/python bench/catalog_search.py [--requests 2000] [--engines sqlite,postgres]

Prints p50/p95/p99 latency and requests per second per engine. Not a timed test: figures for the closing note.
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
TARGET = 2147
QUERIES = ["dang ky ket hon", "giay phep xay dung", "ho kinh doanh", "khai sinh", "dat dai", "chung thuc",
           "1.000894", "ly lich tu phap", "cap doi giay phep lai xe", "xyz khong co", ""]


def child(requests: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from motcua.catalog.services import import_catalog

    setup_test_environment()
    call_command("migrate", verbosity=0)
    demo = json.loads((ROOT / "src/motcua/catalog/demo/catalog_quang_ninh.json").read_text(encoding="utf-8"))
    base = demo["procedures"]
    extra = []
    for i in range(TARGET - len(base)):
        record = copy.deepcopy(base[i % len(base)])
        record["code"] = f"9.{i:06d}"
        record["name_vi"] = f"{record['name_vi']} (biến thể {i})"
        extra.append(record)
    demo["procedures"] = base + extra
    started = time.perf_counter()
    import_catalog(demo)
    load_s = time.perf_counter() - started

    client = Client()
    for q in QUERIES:  # warm-up
        client.get("/api/v1/procedures", {"q": q})
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
        "procedures": TARGET, "import_s": round(load_s, 2), "requests": requests,
        "p50_ms": round(pct(0.50), 2), "p95_ms": round(pct(0.95), 2), "p99_ms": round(pct(0.99), 2),
        "mean_ms": round(statistics.fmean(latencies), 2), "rps": round(requests / total, 1),
    }))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.requests)
        return
    print(f"catalogue search over {TARGET} procedures, {args.requests} requests per engine (in-process client)")
    for engine in args.engines.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, DJANGO_SETTINGS_MODULE="motcua.config.settings", MOTCUA_DATA_DIR=tmp)
            if engine == "postgres":
                db = "motcua_bench"
                subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", db], check=True)
                subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)
                env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{db}"
            else:
                env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
            out = subprocess.run([sys.executable, __file__, "--child", "--requests", str(args.requests)],
                                 env=env, capture_output=True, text=True, check=False)
            if out.returncode:
                print(f"{engine}: failed\n{out.stderr[-2000:]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{engine:9s} import {r['import_s']:6.2f} s · p50 {r['p50_ms']:6.2f} ms · p95 {r['p95_ms']:6.2f} ms"
                  f" · p99 {r['p99_ms']:6.2f} ms · {r['rps']:7.1f} req/s")
            if engine == "postgres":
                subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "motcua_bench"],
                               check=False)


if __name__ == "__main__":
    main()
