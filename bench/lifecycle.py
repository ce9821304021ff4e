"""Benchmark: complete dossier lifecycles, and opening a staff queue with 1,000,000 dossiers in the database.

For each engine (SQLite, PostgreSQL) on a fresh database with the demo province:

1. lifecycles through the service layer: receive at the counter → transfer → each step of the procedure's
   workflow (forward / approve / upload the result and issue it) → return, for the demo procedures with the
   longest workflow (6 events and one file each), in-process, single thread;
2. the same through HTTP (Django's full stack with Bearer tokens, in-process client);
3. 1,000,000 synthetic dossiers spread over the province's agencies (inserted in bulk by SQL), then the time
   to open the processing officer's queues (to act on, overdue) and the API list, p50 of 20 runs each.

    .venv/bin/python bench/lifecycle.py [--lifecycles 200] [--dossiers 1000000] [--engines sqlite,postgres] [--smoke]

Each figure is printed beside the floor of the same run (a one-row ORM read, a one-row view through HTTP).
``MOTCUA_BENCH_DB`` names the PostgreSQL database (default ``motcua_bench``, suffixed ``_lifecycle``);
``MOTCUA_BENCH_TEMPLATE``, a database with the demo already loaded, is copied instead of migrating.

Prints the figures; not a timed test.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "bench")]  # this checkout's code, not the installed one


def pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


NEXT = {"processing": "forward", "leader": "approve", "signer": "issue_result"}
APPLICANT = {"name": "Nguyễn Văn An", "id_number": "022090001234", "phone": "0912345678"}


_ACTORS: dict[str, Any] = {}


def lifecycle_services(procedure: str, result: bytes) -> int:
    from django.contrib.auth.models import User

    from motcua.dossiers import services
    from motcua.dossiers.actors import Actor
    from motcua.dossiers.statuses import Status

    if not _ACTORS:  # the officers, once: what is measured is the services, not building the callers
        _ACTORS.update({u.username: Actor.for_user(u) for u in User.objects.filter(username__endswith=".hatu")})
    actors = _ACTORS
    front = actors["tiepnhan.hatu"]
    dossier, _ = services.create_dossier(actor=front, data={
        "procedure": procedure, "channel": "counter", "applicant": APPLICANT,
        "components": [{"order": i, "originals": 1} for i in range(1, 6)][: _components(procedure)]})
    events = 2
    dossier = services.perform(dossier.code, "transfer", actor=front)
    events += 1
    while dossier.status != Status.RESULT_READY:
        role = dossier.current_role
        actor = actors["chuyenvien.hatu"] if role == "processing" else actors["lanhdao.hatu"]
        if role == "signer":  # the result file, numbered and registered (unsigned here: see child())
            dossier = services.issue_result(dossier.code, actor=actor, file=io.BytesIO(result), name="ket-qua.pdf")
            events += 2  # attach + issue_result
            continue
        dossier = services.perform(dossier.code, NEXT[role], actor=actor)
        events += 1
    services.perform(dossier.code, "return_result", actor=front, params={"delivery": "counter", "recipient": "An"})
    return events + 1


_COMPONENTS: dict[str, int] = {}


def _components(procedure: str) -> int:
    if procedure not in _COMPONENTS:
        from motcua.catalog.selectors import procedure_version

        _COMPONENTS[procedure] = len(procedure_version(procedure).components.all())
    return _COMPONENTS[procedure]


def lifecycle_http(clients: dict[str, Any], procedure: str, result: bytes) -> None:
    def post(who: str, path: str, body: dict[str, Any]) -> Any:
        response = clients[who].post(path, json.dumps(body), content_type="application/json")
        assert response.status_code in (200, 201), response.content
        return response.json()

    body = {"procedure": procedure, "channel": "counter", "applicant": APPLICANT,
            "components": [{"order": i, "originals": 1} for i in range(1, _components(procedure) + 1)]}
    dossier = post("tiepnhan.hatu", "/api/v1/dossiers", body)
    code = dossier["code"]
    dossier = post("tiepnhan.hatu", f"/api/v1/dossiers/{code}/actions/transfer", {})
    while dossier["status"] != "result_ready":
        role = dossier["current_role"]
        who = "chuyenvien.hatu" if role == "processing" else "lanhdao.hatu"
        if role == "signer":  # the result file and the action in one request (unsigned here: see child())
            stream = io.BytesIO(result)
            stream.name = "ket-qua.pdf"
            issued = clients[who].post(f"/api/v1/dossiers/{code}/result", {"file": stream})
            assert issued.status_code == 200, issued.content
            dossier = issued.json()
            continue
        dossier = post(who, f"/api/v1/dossiers/{code}/actions/{NEXT[role]}", {})
    post("tiepnhan.hatu", f"/api/v1/dossiers/{code}/actions/return_result",
         {"delivery": "counter", "recipient": "An"})


def bulk_insert(count: int) -> float:
    """Insert ``count`` synthetic dossiers and their scoping rows with one SQL statement each.

    The column list is read from the model (``Dossier._meta.concrete_fields``): every column not given an
    expression below takes the field's default (or NULL when nullable), so a column added later cannot break
    the insert. A new NOT NULL column without a default stops here with its name.
    """
    from django.db import connection

    from motcua.agencies.models import Agency
    from motcua.catalog.models import ProcedureVersion
    from motcua.dossiers.models import Dossier

    version = ProcedureVersion.objects.in_force().get(procedure__code="1.000894")
    agencies = list(Agency.objects.order_by("pk").values_list("pk", flat=True))
    statuses = ["in_progress"] * 5 + ["returned"] * 3 + ["awaiting_signature", "received"]
    postgres = connection.vendor == "postgresql"
    if postgres:
        series = f"SELECT generate_series(1, {count}) AS i"
        moment = "now() + ((s.i % 2000) - 1000) * interval '1 hour'"
        now = "now()"
    else:
        series = (f"WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {count}) "  # noqa: S608
                  "SELECT i FROM g")
        moment = "strftime('%Y-%m-%d %H:%M:%f', 'now', ((s.i % 2000) - 1000) || ' hours')"
        now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    returned = f"CASE WHEN st.status = 'returned' THEN {moment} END"
    given = {  # column → SQL expression over s (the series), a (an agency), st (a status)
        "code": "'BENCH-' || s.i", "procedure_id": str(version.procedure_id), "version_id": str(version.pk),
        "rules_version": "'118/2025'", "applicant_kind": "'person'", "applicant_name": "'Người thử'",
        "applicant_id_number": "'022090001234'", "channel": "'counter'", "receiving_agency_id": "a.agency_id",
        "delivery": "'counter'", "status": "st.status", "plan": "'[]'", "step_index": "1",
        "current_agency_id": "a.agency_id", "current_role": "'processing'", "submitted_at": moment,
        "received_at": moment, "clock_started_at": moment, "due_at": moment, "step_started_at": moment,
        "step_due_at": moment, "returned_at": returned, "closed_at": returned, "created_at": now,
    }
    columns, expressions, params = [], [], []
    for field in Dossier._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in given:
            expressions.append(given.pop(field.column).replace("%", "%%"))  # "%" is the placeholder sign
        elif field.has_default():
            expressions.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
        elif field.null:
            expressions.append("NULL")
        elif getattr(field, "blank", False) and field.get_internal_type() in {"CharField", "TextField", "EmailField"}:
            expressions.append("''")
        else:
            raise SystemExit(f"bench/lifecycle.py: give dossiers_dossier.{field.column} a value in bulk_insert")
    if given:
        raise SystemExit(f"bench/lifecycle.py: no such dossier columns any more: {', '.join(given)}")
    n_agencies, n_statuses = len(agencies), len(statuses)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE bench_agency (k integer, agency_id bigint)")
        cursor.executemany("INSERT INTO bench_agency VALUES (%s, %s)", list(enumerate(agencies)))
        cursor.execute("CREATE TEMPORARY TABLE bench_status (k integer, status varchar(30))")
        cursor.executemany("INSERT INTO bench_status VALUES (%s, %s)", list(enumerate(statuses)))
        cursor.execute(f"""
            INSERT INTO dossiers_dossier ({", ".join(columns)})
            SELECT {", ".join(expressions)}
            FROM ({series.replace("%", "%%")}) s
            JOIN bench_agency a ON a.k = s.i %% {n_agencies}
            JOIN bench_status st ON st.k = (s.i / {n_agencies}) %% {n_statuses}
        """, params)  # noqa: S608 - figures and column names computed here, values as parameters
        cursor.execute("""
            INSERT INTO dossiers_dossieragency (dossier_id, agency_id)
            SELECT id, current_agency_id FROM dossiers_dossier WHERE code LIKE 'BENCH-%'
        """)
        cursor.execute("ANALYZE" if not postgres else "ANALYZE dossiers_dossier")
        if postgres:
            cursor.execute("ANALYZE dossiers_dossieragency")
    return time.perf_counter() - started


def timed(function: Any, runs: int = 20) -> float:
    function()  # warm
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        function()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


class Statements:
    """Counts the SQL statements run on the default connection (``connection.execute_wrapper``)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def child(lifecycles: int, dossiers: int, ready: bool) -> None:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    import floor
    from motcua.agencies.models import Agency
    from motcua.api.auth import issue_token
    from motcua.demo import load_demo
    from motcua.dossiers import selectors
    from motcua.dossiers.actors import Actor

    setup_test_environment()
    if not ready:
        call_command("migrate", verbosity=0)
        load_demo(history=False)  # the province and catalogue; the benchmark makes its own dossiers
    floor.install()
    # the one-stop steps are measured here, without the leader's signature (bench/signing.py measures signing):
    # the procedures issue unsigned results, as a version with `unsigned_results_allowed` does
    from motcua.catalog.models import ProcedureVersion

    ProcedureVersion.objects.update(unsigned_results_allowed=True)
    result = pdf()
    procedure = "1.004873"  # 5-step workflow: reception, processing, leader, signer, return
    out: dict[str, Any] = {}

    # the floors of this run: one row read by the ORM (in-process), one-row view through the whole stack (HTTP)
    first = Agency.objects.order_by("pk").values_list("pk", flat=True).first()
    reads = max(200, lifecycles * 40)
    started = time.perf_counter()
    for _ in range(reads):
        Agency.objects.filter(pk=first).values("identifier_code", "name").get()
    out["floor_orm_per_s"] = round(reads / (time.perf_counter() - started))

    lifecycle_services(procedure, result)  # warm: imports, caches, the first counter of the day
    statements = Statements()
    started = time.perf_counter()
    with connection.execute_wrapper(statements):
        events = sum(lifecycle_services(procedure, result) for _ in range(lifecycles))
    elapsed = time.perf_counter() - started
    out["service_per_s"] = round(lifecycles / elapsed, 1)
    out["service_ms"] = round(elapsed * 1000 / lifecycles, 1)
    out["events_per_lifecycle"] = events // lifecycles
    out["statements_per_lifecycle"] = round(statements.count / lifecycles, 1)
    out["statements_per_action"] = round(statements.count / events, 1)

    clients = {u.username: Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(u)}")
               for u in User.objects.filter(username__endswith=".hatu")}
    anonymous = Client()
    anonymous.get(floor.PATH)
    started = time.perf_counter()
    for _ in range(reads):
        anonymous.get(floor.PATH)
    out["floor_http_per_s"] = round(reads / (time.perf_counter() - started))
    count = max(1, lifecycles // 2)
    lifecycle_http(clients, procedure, result)  # warm
    started = time.perf_counter()
    for _ in range(count):
        lifecycle_http(clients, procedure, result)
    elapsed = time.perf_counter() - started
    out["http_per_s"] = round(count / elapsed, 1)
    out["http_ms"] = round(elapsed * 1000 / count, 1)

    out["bulk_insert_s"] = round(bulk_insert(dossiers), 1)
    out["dossiers"] = dossiers
    runs = 20 if dossiers >= 100_000 else 5
    officer = Actor.for_user(User.objects.get(username="chuyenvien.hatu"))
    out["queue_todo_ms"] = round(timed(lambda: list(selectors.queue(officer, "todo")[:25]), runs), 2)
    out["queue_overdue_ms"] = round(timed(lambda: list(selectors.queue(officer, "overdue")[:25]), runs), 2)
    out["queue_mine_ms"] = round(timed(lambda: list(selectors.queue(officer, "mine")[:25]), runs), 2)
    api = clients["chuyenvien.hatu"]
    out["api_list_ms"] = round(timed(lambda: api.get("/api/v1/dossiers", {"limit": 25}), runs), 2)
    web = Client()
    web.force_login(User.objects.get(username="chuyenvien.hatu"))
    out["workspace_page_ms"] = round(timed(lambda: web.get("/workspace/"), runs), 2)
    out["floor_http_ms"] = round(timed(lambda: anonymous.get(floor.PATH), runs), 2)
    print(json.dumps(out))


def postgres_up() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"], check=False).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lifecycles", type=int, default=200)
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--smoke", action="store_true",
                        help="a few seconds' run for make test: 6 lifecycles, 2,000 dossiers, PostgreSQL if it runs")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ready", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.lifecycles, args.dossiers, args.ready)
        return
    if args.smoke:
        args.lifecycles, args.dossiers = 6, 2000
        args.engines = "postgres" if postgres_up() else "sqlite"
    print(f"dossier lifecycles ({args.lifecycles} via services, {max(1, args.lifecycles // 2)} via HTTP) and "
          f"staff queues over {args.dossiers:,} dossiers", flush=True)
    failed = False
    for engine in args.engines.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, DJANGO_SETTINGS_MODULE="motcua.config.settings", MOTCUA_DATA_DIR=tmp,
                       MEDIA_ROOT=f"{tmp}/media", PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT / "bench")]))
            db = os.environ.get("MOTCUA_BENCH_DB", "motcua_bench") + "_lifecycle"
            template = os.environ.get("MOTCUA_BENCH_TEMPLATE", "")  # a database with the demo loaded (make bench-smoke)
            ready = False
            if engine == "postgres":
                subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", db], check=True)
                copy = ["-T", template] if template else []
                subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", *copy, db], check=True)
                ready = bool(template)
                env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{db}"
            else:
                env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
            print(f"{engine}: running…", flush=True)
            out = subprocess.run([sys.executable, __file__, "--child", "--lifecycles", str(args.lifecycles),
                                  "--dossiers", str(args.dossiers), *(["--ready"] if ready else [])], env=env,
                                 capture_output=True, text=True, check=False)
            if engine == "postgres":
                subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", db], check=False)
            if out.returncode:
                print(f"{engine}: failed\n{out.stderr[-3000:]}")
                failed = True
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"  floor: one-row ORM read {r['floor_orm_per_s']:,}/s in-process · one-row view through HTTP "
                  f"{r['floor_http_per_s']:,}/s ({r['floor_http_ms']} ms)")
            print(f"  lifecycles, services: {r['service_per_s']:6.1f}/s ({r['service_ms']} ms each = "
                  f"{r['floor_orm_per_s'] / r['service_per_s']:.0f} one-row reads; {r['events_per_lifecycle']} "
                  f"events, {r['statements_per_lifecycle']} SQL statements: {r['statements_per_action']} per action)")
            print(f"  lifecycles, HTTP:     {r['http_per_s']:6.1f}/s ({r['http_ms']} ms each = "
                  f"{r['floor_http_per_s'] / r['http_per_s']:.0f} one-row views)")
            print(f"  {r['dossiers']:,} dossiers inserted in {r['bulk_insert_s']} s; median opens:")
            print(f"    queue 'to act on' {r['queue_todo_ms']} ms · 'overdue' {r['queue_overdue_ms']} ms · "
                  f"'mine' {r['queue_mine_ms']} ms · API list {r['api_list_ms']} ms · "
                  f"workspace page {r['workspace_page_ms']} ms · one-row view {r['floor_http_ms']} ms", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
