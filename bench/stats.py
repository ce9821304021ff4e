"""Benchmark: the statistics of issue 13 ("Performance") over 10,000,000 dossiers, and the cost of keeping them.

1. Reads, on PostgreSQL: 10,000,000 synthetic dossiers (default ``--size``) over 3 years, spread over the 34
   provinces' units (every province and city gets a service center and 8 departments, every commune and ward a
   one-stop department and a People's Committee: ≈ 7,000 agencies; communes weighted so some are busier), mixed
   channels, ≈ 6 % late, some refused, withdrawn, open and overdue. The dossiers, their ``DossierFact`` rows, the
   ``StepFact`` rows of the last 90 days and the ``DailyRollup`` are made server-side (``INSERT … SELECT FROM
   generate_series``, indexes dropped during the load and rebuilt after, foreign-key triggers off): no events, so
   the facts and the roll-up are written by SQL with the meaning of ``stats.facts`` and ``stats.rollup``
   (``--check`` rebuilds a sample's facts with ``facts.build_many`` from the dossier rows and compares).
   Then, cold (first run) and warm (median of ``--runs``), with EXPLAIN (ANALYZE, BUFFERS) of each query:
   the province index for a quarter (``stats.index.compute`` when it exists, else the same aggregates: the
   roll-up summed per agency, and the dossiers open past due at the period's end from the facts); a unit's live
   board (``stats.board`` when it exists, else the open / overdue / due-soon counts from ``dossiers_dossier``
   through the ``dossier_queue`` partial index, and today's and the month's roll-up); drill-down pages (the first
   50 of a unit's overdue dossiers, of a province's late dossiers of the quarter).
2. The incremental update: complete dossier lifecycles (receive → transfer → each step → return, through
   ``dossiers.services``, bench/lifecycle.py's) on a copy of the demo, three ways interleaved: without the
   ``stats_refresh`` receiver (the baseline), with ``MOTCUA_STATS_REFRESH=follow`` (what ``motcua serve`` runs:
   the follower refreshes) and with ``=immediate`` (the request refreshes); the ratios of the time per action,
   where the refresh's time goes (``services.refresh``, ``facts.build_many``, ``rollup.apply``, SQL statements),
   and the follower's catch-up time per event.

    .venv/bin/python bench/stats.py [--size 10000000] [--keep] [--runs 5] [--actions 400] [--smoke]

``--smoke``: 20,000 dossiers and a few dozen actions (make bench-smoke); without PostgreSQL only the incremental
part runs, on SQLite. The generated database, ``$MOTCUA_BENCH_DB_stats_<size>``, is reused when it exists with
that size (``--keep`` keeps it after the run; generating 10,000,000 dossiers takes a while).
``MOTCUA_BENCH_TEMPLATE``, a database with the demo loaded, is copied instead of migrating.

Prints the figures; not a timed test.
"""

# ruff: noqa: S608 - the SQL here is built from figures and column names computed here; values go as parameters
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "bench")]  # this checkout's code, not the installed one

PG = ["-h", "127.0.0.1", "-U", "postgres"]
TZ = "Asia/Ho_Chi_Minh"
DEPARTMENTS = 8  # specialized agencies made per province (beside its service center)
STEP_DAYS = 90  # StepFact rows for the dossiers received in the last 90 days
PAGE = 50  # a drill-down list's page


# ---------------------------------------------------------------------------------------------------------------
# generation (PostgreSQL, server-side)


def _columns(model: Any, given: dict[str, str]) -> tuple[list[str], list[str], list[Any]]:
    """The column list and SQL expressions of an ``INSERT … SELECT`` into ``model``'s table: ``given`` (column →
    expression), every other column its field's default (or NULL, or '' for a blank text field). A new NOT NULL
    column without a default stops here with its name (bench/lifecycle.py's rule)."""
    from django.db import connection

    given = dict(given)
    columns, expressions, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.column not in given and field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in given:
            expressions.append(given.pop(field.column).replace("%", "%%"))
        elif field.has_default():
            expressions.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
        elif field.null:
            expressions.append("NULL")
        elif getattr(field, "blank", False) and field.get_internal_type() in {"CharField", "TextField", "EmailField"}:
            expressions.append("''")
        else:
            raise SystemExit(f"bench/stats.py: give {model._meta.db_table}.{field.column} a value")
    if given:
        raise SystemExit(f"bench/stats.py: no such columns in {model._meta.db_table}: {', '.join(given)}")
    return columns, expressions, params


def _insert(cursor: Any, model: Any, given: dict[str, str], source: str, params: tuple[Any, ...] = ()) -> int:
    columns, expressions, defaults = _columns(model, given)
    cursor.execute(f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 - computed here
                   f"SELECT {', '.join(expressions)} {source}", [*defaults, *params])
    return int(cursor.rowcount)


class Unindexed:
    """Drop a table's secondary indexes and unique constraints during a bulk load, and make them again after
    (one sorted build each is much cheaper than 10,000,000 random inserts into a dozen B-trees)."""

    def __init__(self, cursor: Any, table: str) -> None:
        self.cursor, self.table = cursor, table
        cursor.execute("""SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                          WHERE conrelid = %s::regclass AND contype = 'u'""", [table])
        self.constraints = cursor.fetchall()
        cursor.execute("""SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
                          WHERE indrelid = %s::regclass AND NOT indisprimary
                          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = indexrelid)""", [table])
        self.indexes = cursor.fetchall()

    def __enter__(self) -> Unindexed:
        for name, _ in self.constraints:
            self.cursor.execute(f'ALTER TABLE {self.table} DROP CONSTRAINT "{name}"')
        for name, _ in self.indexes:
            self.cursor.execute(f"DROP INDEX {name}")
        return self

    def __exit__(self, *exc: object) -> None:
        for _, definition in self.indexes:
            self.cursor.execute(definition)
        for name, definition in self.constraints:
            self.cursor.execute(f'ALTER TABLE {self.table} ADD CONSTRAINT "{name}" {definition}')


def generate(size: int, progress: Callable[[str], None]) -> list[tuple[str, float]]:
    """The agencies, dossiers, facts, step facts and roll-up of ``size`` synthetic dossiers; the time of each."""
    from django.db import connection

    from motcua.agencies.models import Agency
    from motcua.dossiers.models import Dossier
    from motcua.stats.models import DailyRollup, DossierFact, StepFact

    timings: list[tuple[str, float]] = []

    def step(label: str, work: Callable[[], Any]) -> None:
        started = time.perf_counter()
        work()
        timings.append((label, time.perf_counter() - started))
        progress(f"  {label}: {timings[-1][1]:.1f} s")

    with connection.cursor() as c:
        c.execute("SELECT pg_backend_pid()")
        backend = c.fetchone()[0]
        subprocess.run(["renice", "-n", "10", "-p", str(backend)], capture_output=True, check=False)  # share the cores
        c.execute("SET session_replication_role = replica")  # no foreign-key triggers: the rows are consistent
        c.execute("SET maintenance_work_mem = '512MB'")
        c.execute("SET work_mem = '256MB'")
        c.execute("SET synchronous_commit = off")
        c.execute("SET max_parallel_maintenance_workers = 0")
        c.execute("SET max_parallel_workers_per_gather = 0")
        c.execute("SELECT setseed(0.13)")

        def agencies() -> None:
            # provinces and cities without agencies: a service center and DEPARTMENTS specialized agencies
            _insert(c, Agency, {
                "identifier_code": "'B.' || u.id || '.' || d", "kind":
                "CASE WHEN d = 0 THEN 'service_center' ELSE 'specialized' END",
                "name": "CASE WHEN d = 0 THEN 'Trung tâm PVHCC ' ELSE 'Sở ' || d || ' ' END || u.name",
                "unit_id": "u.id", "parent_id": "NULL",
            }, f"""FROM geo_administrativeunit u CROSS JOIN generate_series(0, {DEPARTMENTS}) d
                   WHERE u.parent_id IS NULL AND NOT EXISTS (SELECT 1 FROM agencies_agency a WHERE a.unit_id = u.id)""")
            # communes and wards: a one-stop department (under the province's center) and a People's Committee
            _insert(c, Agency, {
                "identifier_code": "'B.' || u.id || '.' || d", "kind":
                "CASE WHEN d = 0 THEN 'commune_one_stop' ELSE 'people_committee' END",
                "name": "CASE WHEN d = 0 THEN 'Bộ phận một cửa ' ELSE 'UBND ' END || u.name", "unit_id": "u.id",
                "parent_id": """CASE WHEN d = 0 THEN (SELECT min(a.id) FROM agencies_agency a
                                WHERE a.unit_id = u.parent_id AND a.kind = 'service_center' AND a.parent_id IS NULL)
                                END""",
            }, """FROM geo_administrativeunit u CROSS JOIN generate_series(0, 1) d
                  WHERE u.parent_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM agencies_agency a WHERE a.unit_id = u.id)""")
            # who handles (agency) and who receives, by level: 0 commune, 1 province
            c.execute("DROP TABLE IF EXISTS bench_handler")
            c.execute("""CREATE UNLOGGED TABLE bench_handler AS
                SELECT lvl, (row_number() OVER (PARTITION BY lvl ORDER BY random()) - 1)::int AS k, agency_id,
                       receiving_id, unit_id, province_id FROM (
                  SELECT 0 AS lvl, a.id AS agency_id, os.id AS receiving_id, u.id AS unit_id, u.parent_id AS province_id
                  FROM agencies_agency a JOIN geo_administrativeunit u ON u.id = a.unit_id
                  JOIN agencies_agency os ON os.unit_id = u.id AND os.kind = 'commune_one_stop'
                  WHERE u.parent_id IS NOT NULL AND a.kind IN ('commune_one_stop', 'people_committee')
                  UNION ALL
                  SELECT 1, a.id, sc.id, u.id, u.id
                  FROM agencies_agency a JOIN geo_administrativeunit u ON u.id = a.unit_id
                  JOIN agencies_agency sc ON sc.unit_id = u.id AND sc.kind = 'service_center' AND sc.parent_id IS NULL
                  WHERE u.parent_id IS NULL AND a.kind = 'specialized') h""")
            c.execute("DROP TABLE IF EXISTS bench_procedure")
            c.execute("""CREATE UNLOGGED TABLE bench_procedure AS
                SELECT (level <> 'commune')::int AS lvl,
                       (row_number() OVER (PARTITION BY level <> 'commune' ORDER BY procedure_id) - 1)::int AS k,
                       procedure_id, id AS version_id, field_id, online_level = 'full' AS eligible,
                       greatest(processing_days, 0.5) AS days
                FROM (SELECT DISTINCT ON (procedure_id) * FROM catalog_procedureversion
                      ORDER BY procedure_id, number DESC) v""")

        step("agencies (≈ 7,000) and the handler / procedure maps", agencies)
        c.execute("SELECT lvl, count(*) FROM bench_handler GROUP BY lvl ORDER BY lvl")
        handlers = dict(c.fetchall())
        c.execute("SELECT lvl, count(*) FROM bench_procedure GROUP BY lvl ORDER BY lvl")
        procedures = dict(c.fetchall())

        def draw() -> None:
            # every random decision of every dossier, once: the dossiers and their facts are read from here
            c.execute("DROP TABLE IF EXISTS bench_gen")
            c.execute(f"""CREATE UNLOGGED TABLE bench_gen AS
            WITH d AS (
              SELECT i, (random() < 0.3)::int AS lvl, random() AS r_h, random() AS r_p, random() AS r_t,
                     random() AS r_ch, random() AS r_o, random() AS r_f, random() AS r_x, random() AS r_fee,
                     random() AS r_pay, random() AS r_dig, random() AS r_ru, random() AS r_cert, random() AS r_el,
                     random() AS r_ret
              FROM generate_series(1, {size}) i
            ), a AS (
              SELECT d.*, h.agency_id, h.receiving_id, h.unit_id, h.province_id, p.procedure_id, p.version_id,
                     p.field_id, p.eligible, p.days,
                     now() - interval '3 years' + r_t * (interval '3 years' - interval '1 hour') AS received_at,
                     CASE WHEN r_ch < 0.45 THEN 'online' WHEN r_ch < 0.85 THEN 'counter'
                          WHEN r_ch < 0.95 THEN 'post_office' ELSE 'home_pickup' END AS channel
              FROM d
              JOIN bench_handler h ON h.lvl = d.lvl AND h.k = CASE WHEN d.lvl = 0
                   THEN floor(power(d.r_h, 1.3) * {handlers.get(0, 1)}) ELSE floor(d.r_h * {handlers.get(1, 1)}) END
              JOIN bench_procedure p ON p.lvl = d.lvl
                   AND p.k = floor(d.r_p * CASE WHEN d.lvl = 0 THEN {procedures.get(0, 1)}
                                                ELSE {procedures.get(1, 1)} END)
            ), b AS (
              SELECT a.*, (((received_at AT TIME ZONE '{TZ}')::date + ceil(days * 1.4)::int + time '17:00')
                           AT TIME ZONE '{TZ}') AS due_at
              FROM a
            ), e AS (
              SELECT b.*, CASE
                  WHEN r_x < 0.02 THEN received_at + (due_at - received_at) * (0.05 + r_f * 0.3)  -- refused
                  WHEN r_x < 0.03 THEN NULL  -- withdrawn (2.0-2.5 %) or stuck open (2.5-3 %)
                  WHEN r_o < 0.06 THEN due_at + (due_at - received_at) * (0.05 + r_f * 0.8)  -- late
                  WHEN r_o < 0.65 THEN received_at + (due_at - received_at) * (0.1 + r_f * 0.7)  -- early
                  ELSE due_at - r_f * interval '6 hours' END AS planned_end
              FROM b
            )
            SELECT f.*,
              CASE WHEN status IN ('refused', 'returned', 'result_ready') THEN planned_end END AS ended_at,
              CASE WHEN status = 'refused' THEN planned_end
                   WHEN status = 'withdrawn' THEN received_at + (now() - received_at) * r_f * 0.2
                   WHEN status = 'returned' THEN planned_end + r_ret * interval '3 days' END AS closed_at
            FROM (SELECT e.*, CASE
                   WHEN r_x < 0.02 AND planned_end <= now() THEN 'refused'
                   WHEN r_x >= 0.02 AND r_x < 0.025 THEN 'withdrawn'
                   WHEN r_x < 0.03 OR planned_end > now() THEN
                     CASE WHEN r_ret < 0.7 THEN 'in_progress' WHEN r_ret < 0.85 THEN 'received'
                          ELSE 'awaiting_signature' END
                   WHEN planned_end + r_ret * interval '3 days' > now() THEN 'result_ready'
                   ELSE 'returned' END AS status
                  FROM e) f""")

        step(f"{size:,} dossiers drawn (unlogged staging table)", draw)

        def dossiers() -> None:
            c.execute("SELECT coalesce(max(id), 0) FROM dossiers_dossier")
            base = c.fetchone()[0]
            with Unindexed(c, "dossiers_dossier"):
                _insert(c, Dossier, {
                    "id": f"{base} + g.i", "code": "'BS-' || lpad(g.i::text, 9, '0')", "procedure_id": "g.procedure_id",
                    "version_id": "g.version_id", "rules_version": "'118/2025'", "applicant_kind": "'person'",
                    "applicant_name": "'Người thử'", "applicant_id_number": "'022090001234'", "channel": "g.channel",
                    "receiving_agency_id": "g.receiving_id", "delivery": "'counter'", "status": "g.status",
                    "plan": "jsonb_build_array(jsonb_build_object('role', 'processing', 'agency', g.agency_id))",
                    "step_index": "0", "current_agency_id": "g.agency_id",
                    "current_role": "CASE WHEN g.closed_at IS NULL THEN 'processing' ELSE '' END",
                    "submitted_at": "g.received_at - CASE WHEN g.channel = 'online' THEN g.r_f * interval '1 day' "
                                    "ELSE interval '0' END",
                    "received_at": "g.received_at", "clock_started_at": "g.received_at", "due_at": "g.due_at",
                    "step_started_at": "CASE WHEN g.closed_at IS NULL THEN g.received_at END",
                    "step_due_at": "CASE WHEN g.closed_at IS NULL THEN g.due_at END",
                    "result_issued_at": "CASE WHEN g.status IN ('returned', 'result_ready') THEN g.ended_at END",
                    "returned_at": "CASE WHEN g.status = 'returned' THEN g.closed_at END",
                    "closed_at": "g.closed_at",
                    "fee_total": "CASE WHEN g.r_fee < 0.35 THEN 50000 ELSE 0 END",
                    "fee_paid": "CASE WHEN g.r_fee < 0.35 THEN 50000 ELSE 0 END",
                    "created_at": "g.received_at",
                }, "FROM bench_gen g ORDER BY g.i")
            c.execute("SELECT setval(pg_get_serial_sequence('dossiers_dossier', 'id'), max(id)) FROM dossiers_dossier")
            c.execute("DROP TABLE IF EXISTS bench_base")
            c.execute(f"CREATE UNLOGGED TABLE bench_base AS SELECT {base}::bigint AS base")
            # who may read them (``dossiers.selectors.visible``): the open ones' handling and receiving agencies
            c.execute(f"""INSERT INTO dossiers_dossieragency (dossier_id, agency_id)
                SELECT DISTINCT {base} + i, a FROM bench_gen, LATERAL (VALUES (agency_id), (receiving_id)) v(a)
                WHERE closed_at IS NULL""")

        step("dossiers_dossier rows (+ their 17 indexes rebuilt)", dossiers)
        c.execute("SELECT base FROM bench_base")
        base = c.fetchone()[0]
        outcome = (f"CASE WHEN g.ended_at > g.due_at THEN 'late' WHEN (g.ended_at AT TIME ZONE '{TZ}')::date "
                   f"< (g.due_at AT TIME ZONE '{TZ}')::date THEN 'early' ELSE 'on_time' END")

        def dossier_facts() -> None:
            with Unindexed(c, "stats_dossierfact"):
                _insert(c, DossierFact, {
                    "dossier_id": f"{base} + g.i", "code": "'BS-' || lpad(g.i::text, 9, '0')", "event_count": "0",
                    "procedure_id": "g.procedure_id", "field_id": "g.field_id", "agency_id": "g.agency_id",
                    "receiving_agency_id": "g.receiving_id", "unit_id": "g.unit_id", "province_id": "g.province_id",
                    "channel": "g.channel", "full_online_eligible": "g.eligible", "status": "g.status",
                    "submitted_at": "g.received_at - CASE WHEN g.channel = 'online' THEN g.r_f * interval '1 day' "
                                    "ELSE interval '0' END",
                    "received_at": "g.received_at", "received_on": f"(g.received_at AT TIME ZONE '{TZ}')::date",
                    "due_at": "g.due_at", "ended_at": "g.ended_at",
                    "ended_on": f"(g.ended_at AT TIME ZONE '{TZ}')::date",
                    "ended_by": "CASE WHEN g.status = 'refused' THEN 'refused' WHEN g.ended_at IS NOT NULL "
                                "THEN 'handled' ELSE '' END",
                    "outcome": f"CASE WHEN g.ended_at IS NULL THEN '' ELSE {outcome} END",
                    "closed_at": "g.closed_at", "withdrawn": "g.status = 'withdrawn'", "supplements": "0",
                    "apologized": "coalesce(g.ended_at > g.due_at AND g.r_f < 0.3 AND g.status <> 'refused', false)",
                    # working days ≈ 5/7 of the calendar days (the synthetic data has no holidays)
                    "handling_days": "CASE WHEN g.ended_at IS NOT NULL THEN round((extract(epoch FROM g.ended_at - "
                                     "g.received_at) / 86400 * 5 / 7)::numeric, 2) END",
                    "has_fee": "g.r_fee < 0.35",
                    "paid_online": "g.r_fee < 0.35 AND ((g.channel = 'online' AND g.r_pay < 0.7) OR g.r_pay < 0.1)",
                    "digitized": "g.r_dig < 0.55", "reused": "g.r_dig < 0.55 AND g.r_ru < 0.35",
                    "certified": "g.r_cert < 0.06",
                    "electronic_result": "g.status IN ('returned', 'result_ready') AND g.r_el < 0.4",
                    "identity_verified": "NULL", "population_data": "NULL", "synced": "NULL", "store_synced": "NULL",
                }, "FROM bench_gen g ORDER BY g.i")

        step("stats_dossierfact rows (+ indexes)", dossier_facts)

        def step_facts() -> None:
            with Unindexed(c, "stats_stepfact"):
                _insert(c, StepFact, {
                    "dossier_id": f"{base} + g.i", "visit": "v", "step": "v",
                    "name": "CASE v WHEN 0 THEN 'Tiếp nhận' WHEN 1 THEN 'Thụ lý' ELSE 'Trả kết quả' END",
                    "role": "CASE v WHEN 0 THEN 'reception' WHEN 1 THEN 'processing' ELSE 'reception' END",
                    "agency_id": "CASE v WHEN 1 THEN g.agency_id ELSE g.receiving_id END",
                    "started_at": "CASE v WHEN 0 THEN g.received_at WHEN 1 THEN g.received_at + interval '10 minutes' "
                                  "ELSE g.ended_at END",
                    "ended_at": "CASE v WHEN 0 THEN g.received_at + interval '10 minutes' WHEN 1 THEN g.ended_at "
                                "ELSE g.closed_at END",
                    "due_at": "CASE v WHEN 1 THEN g.due_at END",
                    "outcome": f"CASE WHEN v = 1 AND g.ended_at IS NOT NULL THEN {outcome} ELSE '' END",
                }, f"""FROM bench_gen g CROSS JOIN generate_series(0, 2) v
                      WHERE g.received_at > now() - interval '{STEP_DAYS} days'
                      AND (v < 2 OR g.ended_at IS NOT NULL) ORDER BY g.i, v""")

        step(f"stats_stepfact rows (the last {STEP_DAYS} days' dossiers)", step_facts)

        def rollup() -> None:
            received = ["1", "(channel = 'online')::int", "full_online_eligible::int",
                        "(full_online_eligible AND channel = 'online')::int", "has_fee::int",
                        "(has_fee AND paid_online)::int", "digitized::int", "reused::int", "certified::int",
                        "coalesce(identity_verified, false)::int", "coalesce(population_data, false)::int",
                        "coalesce(synced, false)::int"]
            ended = ["1", "(outcome = 'early')::int", "(outcome = 'on_time')::int", "(outcome = 'late')::int",
                     "(ended_by = 'refused')::int", "electronic_result::int", "coalesce(store_synced, false)::int"]
            from motcua.stats.rollup import ENDED_SIDE, RECEIVED_SIDE

            assert len(received) == len(RECEIVED_SIDE) and len(ended) == len(ENDED_SIDE)
            zeros_r, zeros_e = ["0"] * len(received), ["0"] * len(ended)
            names = [*RECEIVED_SIDE, *ENDED_SIDE, "handling_centidays"]
            with Unindexed(c, "stats_dailyrollup"):
                _insert(c, DailyRollup, {
                    "agency_id": "agency_id", "procedure_id": "procedure_id", "day": "day",
                    **{name: f"sum({name})" for name in names},
                }, f"""FROM (
                      SELECT agency_id, procedure_id, received_on AS day,
                             {", ".join(f"{e} AS {n}" for e, n in zip(received + zeros_e, names, strict=False))},
                             0::bigint AS handling_centidays
                      FROM stats_dossierfact WHERE received_on IS NOT NULL AND dossier_id > {base}
                      UNION ALL
                      SELECT agency_id, procedure_id, ended_on,
                             {", ".join(f"{e} AS {n}" for e, n in zip(zeros_r + ended, names, strict=False))},
                             coalesce(trunc(handling_days * 100), 0)::bigint
                      FROM stats_dossierfact WHERE ended_on IS NOT NULL AND outcome <> '' AND dossier_id > {base}
                    ) x GROUP BY agency_id, procedure_id, day ORDER BY agency_id, procedure_id, day""")

        step("stats_dailyrollup rows (GROUP BY over the facts)", rollup)

        def analyze() -> None:
            c.execute("DROP TABLE IF EXISTS bench_gen")
            for table in ("agencies_agency", "dossiers_dossier", "dossiers_dossieragency", "stats_dossierfact",
                          "stats_stepfact", "stats_dailyrollup"):
                c.execute(f"VACUUM ANALYZE {table}")  # also sets the visibility map: index-only scans work

        step("VACUUM ANALYZE", analyze)
        c.execute("DROP TABLE IF EXISTS bench_meta")
        c.execute("CREATE TABLE bench_meta (size bigint, made_at timestamptz)")
        c.execute("INSERT INTO bench_meta VALUES (%s, now())", [size])
    return timings


def feedback(progress: Callable[[str], None]) -> list[tuple[str, float]]:
    """Ratings (8 % of the ended dossiers, mostly satisfied) and petitions (0.1 % of the dossiers, most answered)
    of the synthetic dossiers, when there are none yet: the index's satisfaction rows read them."""
    from django.db import connection

    from motcua.feedback.models import Petition, Rating

    timings: list[tuple[str, float]] = []
    if Rating.objects.filter(dossier__code__startswith="BS-").exists():
        return timings
    started = time.perf_counter()
    with connection.cursor() as c:
        c.execute("SET session_replication_role = replica")
        c.execute("SET maintenance_work_mem = '512MB'")
        c.execute("SET max_parallel_workers_per_gather = 0")
        with Unindexed(c, "feedback_rating"):
            _insert(c, Rating, {
                "score": "CASE WHEN r < 0.5 THEN 5 WHEN r < 0.75 THEN 4 WHEN r < 0.87 THEN 3 WHEN r < 0.95 THEN 2 "
                         "ELSE 1 END",
                "channel": "CASE WHEN (r * 1000)::int % 2 = 0 THEN 'account' ELSE 'receipt_qr' END",
                "dossier_id": "f.dossier_id", "agency_id": "f.agency_id",
                "created_at": "coalesce(f.closed_at, f.ended_at) + interval '1 hour'",
            }, """FROM (SELECT f.*, random() AS r FROM stats_dossierfact f
                        WHERE f.ended_at IS NOT NULL AND f.code LIKE 'BS-%%'
                        AND hashtext(f.code) %% 100 < 8) f""")
        with Unindexed(c, "feedback_petition"):
            _insert(c, Petition, {
                "code": "'BP-' || f.dossier_id", "kind": "CASE WHEN r < 0.8 THEN 'feedback' ELSE 'petition' END",
                "subject": "'Phản ánh về hồ sơ'", "body": "'Nội dung phản ánh'", "agency_id": "f.agency_id",
                "dossier_code": "f.code", "sender_name": "'Người phản ánh'", "sender_phone": "'0912345678'",
                "status": "CASE WHEN r < 0.9 THEN 'answered' ELSE 'received' END",
                "answer": "CASE WHEN r < 0.9 THEN 'Trả lời' ELSE '' END",
                "answered_at": "CASE WHEN r < 0.9 THEN f.received_at + interval '4 days' END",
                "created_at": "f.received_at + interval '2 days'",
            }, """FROM (SELECT f.*, random() AS r FROM stats_dossierfact f
                        WHERE f.received_at IS NOT NULL AND f.received_at < now() - interval '5 days'
                        AND f.code LIKE 'BS-%%' AND hashtext(f.code) %% 1000 = 7) f""")
        c.execute("VACUUM ANALYZE feedback_rating")
        c.execute("VACUUM ANALYZE feedback_petition")
    timings.append(("ratings (8 % of the ended) and petitions (0.1 %)", time.perf_counter() - started))
    progress(f"  {timings[-1][0]}: {timings[-1][1]:.1f} s")
    return timings


def check_sample(count: int = 300) -> str:
    """Rebuild a sample of the synthetic dossiers' facts with ``facts.build_many`` and compare the columns the
    roll-up reads with the SQL-made rows (no events: only the columns read from the dossier row can agree)."""
    from motcua.stats import facts
    from motcua.stats.models import DossierFact

    ids = list(DossierFact.objects.filter(code__startswith="BS-").order_by("?").values_list("pk", flat=True)[:count])
    built = {f.pk: f for f in facts.build_many(ids).facts}
    stored = DossierFact.objects.in_bulk(ids)
    fields = ("agency_id", "receiving_agency_id", "unit_id", "province_id", "procedure_id", "field_id", "channel",
              "full_online_eligible", "due_at", "has_fee", "status", "closed_at")
    wrong = [(pk, name) for pk in ids for name in fields
             if getattr(built[pk], name) != getattr(stored[pk], name)]
    return "all agree" if not wrong else f"{len(wrong)} disagree, e.g. {wrong[:5]}"


# ---------------------------------------------------------------------------------------------------------------
# timed reads


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def _timed(work: Callable[[], Any], runs: int) -> tuple[float, float]:
    """(first run, median of the next ``runs``) in seconds."""
    started = time.perf_counter()
    work()
    first = time.perf_counter() - started
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return first, statistics.median(samples)


def _plan(queryset: Any, lines: int) -> list[str]:
    plan = queryset.explain(analyze=True, buffers=True).splitlines()
    keep = [line for line in plan if "Planning" in line or "Execution" in line]
    return [line[:150] for line in plan[:lines]] + ([*keep] if len(plan) > lines else [])


def _statements(work: Callable[[], Any]) -> list[str]:
    """The SQL statements of one (warm) run of ``work``, slowest first: milliseconds and the statement's start."""
    import re

    from django.db import connection

    spent: list[tuple[float, str]] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent.append((time.perf_counter() - started, re.sub(r"\s+", " ", sql)))

    work()
    started = time.perf_counter()
    with connection.execute_wrapper(wrapper):
        work()
    total = time.perf_counter() - started
    in_sql = sum(t for t, _ in spent)
    lines = [f"{total * 1000:,.0f} ms in all: {len(spent)} statements {in_sql * 1000:,.0f} ms, "
             f"Python {(total - in_sql) * 1000:,.0f} ms"]
    for seconds, sql in sorted(spent, reverse=True)[:8]:
        lines.append(f"{seconds * 1000:8.1f} ms  {sql[:130]}")
    return lines


def reads(runs: int, plan_lines: int) -> dict[str, Any]:
    """Time the index, the boards and the drill-down lists (the real ``stats.index``, ``stats.board`` and
    ``stats.drill`` when they exist, else the same queries written here); returns rows to print and the plans."""
    from django.db.models import Count, Q, Sum
    from django.utils import timezone

    from motcua.agencies.models import Agency
    from motcua.dossiers import deadlines
    from motcua.dossiers.models import Dossier
    from motcua.geo.models import AdministrativeUnit
    from motcua.stats import periods
    from motcua.stats.models import DailyRollup, DossierFact
    from motcua.stats.rollup import COLUMNS
    from motcua.stats.scope import Scope

    out: dict[str, Any] = {"rows": [], "plans": {}}
    rows, plans = out["rows"], out["plans"]
    now = timezone.now()
    today = timezone.localdate(now)
    quarter = periods.period_of("quarter", today).previous()  # the last whole quarter
    month = periods.period_of("month", today)

    def timed(label: str, work: Callable[[], Any], note: Callable[[], str] = lambda: "") -> None:
        first, warm = _timed(work, runs)
        flag = "" if max(first, warm) < 1 else "  ← over 1 s"
        rows.append((label, f"first {_ms(first)} · warm {_ms(warm)}{note()}{flag}"))

    def plan(label: str, queryset: Any) -> None:
        if plan_lines:
            plans[label] = _plan(queryset, plan_lines)

    # the two provinces with most communes, and the busiest commune of the first
    counts = (Agency.objects.filter(unit__parent__isnull=False).values("unit__parent_id")
              .annotate(n=Count("pk")).order_by("-n", "unit__parent_id"))
    province_units = list(AdministrativeUnit.objects.filter(pk__in=[r["unit__parent_id"] for r in counts[:2]]))
    province_units.sort(key=lambda u: [r["unit__parent_id"] for r in counts[:2]].index(u.pk))

    def province_scope(unit: AdministrativeUnit) -> Scope:
        ids = frozenset(Agency.objects.filter(Q(unit=unit) | Q(unit__parent=unit)).values_list("pk", flat=True))
        return Scope(ids, frozenset({unit.pk}), frozenset())

    from motcua.stats import scope as scopes

    make_province: Callable[[Any], Scope] = getattr(scopes, "scope_for_province", province_scope)
    provinces = [make_province(u) for u in province_units]
    scope = provinces[0]
    ids = sorted(scope.agency_ids)
    received = DailyRollup.objects.filter(agency_id__in=ids).aggregate(n=Sum("received"))["n"] or 0
    commune_id = (DailyRollup.objects.filter(agency_id__in=ids, day__gte=quarter.first,
                                             agency__unit__parent_id=province_units[0].pk)
                  .values("agency__unit_id").annotate(n=Sum("received")).order_by("-n").first() or {}
                  ).get("agency__unit_id")
    commune_unit = AdministrativeUnit.objects.get(pk=commune_id)
    commune = Scope(frozenset(Agency.objects.filter(unit=commune_unit).values_list("pk", flat=True)), frozenset(),
                    frozenset({commune_unit.pk}))
    if hasattr(scopes, "scope_for_unit"):
        commune = scopes.scope_for_unit(commune_unit)
    rows.append(("province timed", f"{province_units[0].name}: {len(ids):,} agencies, {received:,} dossiers "
                                   f"received in 3 years; period {quarter.key}; commune {commune_unit.name}"))

    # 1. the province index for a quarter
    try:
        from motcua.stats import index
    except ImportError:
        index = None  # type: ignore[assignment]
    if index is not None:
        for n, s in enumerate(provinces):
            timed(f"index.compute(province {n + 1}, {quarter.key})", lambda s=s: index.compute(s, quarter))
        parts = getattr(scopes, "parts_of", lambda s: [])(scope)
        timed(f"index page: compute_many(province + its {len(parts)} parts, {quarter.key})",
              lambda: index.compute_many([scope, *parts], quarter))
        year = periods.period_of("year", quarter.first)
        timed(f"index.compute(province 1, the year {year.key})", lambda: index.compute(scope, year))
        plan("index: the roll-up summed per agency (stats.index.gather)",
             DailyRollup.objects.filter(agency_id__in=ids, day__gte=quarter.first, day__lte=quarter.last)
             .values("agency_id").annotate(**{f"s_{c}": Sum(c) for c in COLUMNS}))
        if hasattr(index, "overdue_q"):
            overdue_open = DossierFact.objects.filter(index.overdue_q(ids, quarter))
            ended = DossierFact.objects.filter(index.ended_q(ids, quarter))
        else:  # the first version of stats.index
            overdue_open, ended = index.overdue_open(ids, quarter), index.ended_facts(ids, quarter)
        plan("index: dossiers open past due at the quarter's end (stats.index.overdue_q)",
             overdue_open.values("agency_id").annotate(n=Count("pk")))
        plan("index: ended in the quarter, satisfied (stats.index.ended_q, unhappy_q)",
             ended.values("agency_id").annotate(total=Count("pk"), happy=Count("pk", filter=~index.unhappy_q())))
    else:
        def rollup_sums(s: Scope) -> Any:
            return (DailyRollup.objects.filter(agency_id__in=sorted(s.agency_ids), day__gte=quarter.first,
                                               day__lte=quarter.last)
                    .values("agency_id").annotate(**{f"s_{c}": Sum(c) for c in COLUMNS}).order_by("agency_id"))

        def open_past_due(s: Scope) -> Any:
            end = quarter.end
            return (DossierFact.objects.filter(agency_id__in=sorted(s.agency_ids), received_at__lt=end,
                                               due_at__lt=end, withdrawn=False)
                    .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=end))
                    .values("agency_id").annotate(n=Count("pk")).order_by("agency_id"))

        for n, s in enumerate(provinces):
            timed(f"index (equivalent): roll-up summed per agency (province {n + 1})",
                  lambda s=s: list(rollup_sums(s)))
            timed(f"index (equivalent): open past due at the quarter's end (province {n + 1})",
                  lambda s=s: list(open_past_due(s)))
        plan("index: the roll-up summed per agency", rollup_sums(scope))
        plan("index: open past due at the quarter's end", open_past_due(scope))

    # 2. a unit's live board
    try:
        from motcua.stats import board
    except ImportError:
        board = None  # type: ignore[assignment]
    if board is not None:
        for label, s in (("commune", commune), ("province 1", scope)):
            timed(f"board.board(units_of({label}))", lambda s=s: board.board(board.units_of(s), now))
        plan("board: the live columns (province)",
             Dossier.objects.filter(closed_at__isnull=True, current_agency_id__in=ids).exclude(status="draft")
             .values("current_agency_id", "procedure_id")
             .annotate(**{c: Count("pk", filter=board.live_q(c, now)) for c in board.LIVE}).order_by())
    else:
        soon = deadlines.calendar().add_working_days(now, 2)

        def live(agencies: list[int]) -> Any:
            return (Dossier.objects.filter(current_agency_id__in=agencies, closed_at__isnull=True)
                    .exclude(status="draft").values("current_agency_id")
                    .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now)),
                              due_soon=Count("pk", filter=Q(due_at__gte=now, due_at__lte=soon)))
                    .order_by("current_agency_id"))

        def month_sums(agencies: list[int]) -> Any:
            return (DailyRollup.objects.filter(agency_id__in=agencies, day__gte=month.first, day__lte=today)
                    .values("day").annotate(received=Sum("received"), ended=Sum("ended"), late=Sum("late"))
                    .order_by("day"))

        for label, s in (("commune", commune), ("province 1", scope)):
            agencies = sorted(s.agency_ids)
            timed(f"board (equivalent): open / overdue / due soon + the month per day ({label})",
                  lambda a=agencies: (list(live(a)), list(month_sums(a))))
        plan("board: open / overdue / due soon (province)", live(ids))

    # 3. drill-down pages: the first 50 and the count
    def overdue(agencies: list[int]) -> Any:
        if board is not None:
            return board.drill(agencies, "overdue", now)
        return Dossier.objects.filter(deadlines.overdue_q(now), current_agency_id__in=agencies).order_by("due_at",
                                                                                                          "pk")

    for label, s in (("commune", commune), ("province 1", scope)):
        agencies = sorted(s.agency_ids)
        timed(f"drill: a unit's overdue dossiers, page 1 of {PAGE} + count ({label})",
              lambda a=agencies: (list(overdue(a)[:PAGE]), overdue(a).count()),
              lambda a=agencies: f" ({overdue(a).count():,} in all)")
    plan("drill: a unit's overdue dossiers, page 1 (province)", overdue(ids)[:PAGE])
    try:
        from motcua.stats import drill as drills
    except ImportError:
        drills = None  # type: ignore[assignment]
    if drills is not None:
        for code, side in (("2.1", "numerator"), ("2.1", "denominator"), ("3.1", "numerator")):
            def page(code: str = code, side: str = side) -> Any:
                found = drills.drill(code, side, scope, quarter)
                return list(found.rows[:PAGE]), found.count()

            timed(f"drill: index row {code} {side}, page 1 of {PAGE} + count (province 1)", page,
                  lambda code=code, side=side: f" ({drills.drill(code, side, scope, quarter).count():,} in all)")
        plan("drill: index row 2.1 denominator, page 1 (province)",
             drills.drill("2.1", "denominator", scope, quarter).rows[:PAGE])
        if hasattr(index, "ended_q") and hasattr(index, "overdue_q"):
            # a proposal: the ended OR the overdue facts as a UNION of two index-bounded sets of ids (an OR of the
            # two makes one bitmap of every fact of the scope's history)
            def union() -> Any:
                ended = DossierFact.objects.filter(index.ended_q(ids, quarter)).values("pk")
                late = DossierFact.objects.filter(index.overdue_q(ids, quarter)).values("pk")
                return DossierFact.objects.filter(pk__in=ended.union(late)).order_by("received_at", "pk")

            timed(f"proposal: drill 2.1 denominator as a UNION, page 1 of {PAGE} + count (province 1)",
                  lambda: (list(union()[:PAGE]), union().count()), lambda: f" ({union().count():,} in all)")
            plan("proposal: drill 2.1 denominator as a UNION, page 1 (province)", union()[:PAGE])
    else:
        def late(s: Scope) -> Any:
            return (DossierFact.objects.filter(agency_id__in=sorted(s.agency_ids), ended_on__gte=quarter.first,
                                               ended_on__lte=quarter.last, outcome="late")
                    .order_by("ended_on", "dossier_id"))

        timed(f"drill (equivalent): late in {quarter.key}, page 1 of {PAGE} + count (province 1)",
              lambda: (list(late(scope)[:PAGE]), late(scope).count()))
        plan("drill: late in the quarter, page 1 (province)", late(scope)[:PAGE])
    # where the time goes: each SQL statement of one index.compute and one board, by time (warm)
    if index is not None:
        out["breakdown"] = {
            f"index.compute(province 1, {quarter.key})": _statements(lambda: index.compute(scope, quarter)),
        }
        if board is not None:
            out["breakdown"]["board.board(province 1)"] = _statements(lambda: board.board(board.units_of(scope), now))

    # the same heaviest reads with the session tuned as settings could tune it (OPTIONS "-c jit=off -c work_mem=32MB"):
    # the planner's JIT costs ~250 ms on the satisfied-count query, and 4 MB bitmaps go lossy over a province
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SET jit = off")
        c.execute("SET work_mem = '32MB'")
    try:
        if index is not None:
            timed(f"tuned session: index.compute(province 1, {quarter.key})", lambda: index.compute(scope, quarter))
        if drills is not None:
            timed(f"tuned session: drill 2.1 denominator, page 1 of {PAGE} + count (province 1)",
                  lambda: (list(drills.drill("2.1", "denominator", scope, quarter).rows[:PAGE]),
                           drills.drill("2.1", "denominator", scope, quarter).count()))
    finally:
        with connection.cursor() as c:
            c.execute("RESET jit")
            c.execute("RESET work_mem")
    return out


def sizes() -> list[tuple[str, str]]:
    from django.db import connection

    out = []
    with connection.cursor() as c:
        c.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        out.append(("disk: the whole database", c.fetchone()[0]))
        for table in ("dossiers_dossier", "stats_dossierfact", "stats_stepfact", "stats_dailyrollup"):
            c.execute("""SELECT reltuples::bigint, pg_size_pretty(pg_table_size(%s::regclass)),
                                pg_size_pretty(pg_indexes_size(%s::regclass)) FROM pg_class WHERE oid = %s::regclass""",
                      [table, table, table])
            rows, heap, indexes = c.fetchone()
            out.append((f"disk: {table}", f"{rows:,} rows · table {heap} · indexes {indexes}"))
    return out


def child_reads(size: int, runs: int, generate_first: bool, migrate: bool, check: bool, plan_lines: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    rows: list[tuple[str, str]] = []

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    call_command("migrate", verbosity=0)  # a database generated earlier, or copied from the template, is brought up
    if migrate:
        from motcua.demo import load_demo

        load_demo(history=False)  # the province and catalogue; the benchmark makes its own dossiers
    if generate_first:
        started = time.perf_counter()
        timings = generate(size, progress)
        rows += [(f"made: {label}", f"{seconds:,.1f} s") for label, seconds in timings]
        rows.append(("made: in all", f"{time.perf_counter() - started:,.1f} s"))
    else:
        rows.append(("made", "reused the database generated earlier"))
    rows += [(f"made: {label}", f"{seconds:,.1f} s") for label, seconds in feedback(progress)]
    rows += sizes()
    if check:
        rows.append(("check: facts.build_many on 300 sampled dossiers", check_sample()))
    result = reads(runs, plan_lines)
    print(json.dumps({"rows": rows + result["rows"], "plans": result["plans"],
                      "breakdown": result.get("breakdown", {})}))


# ---------------------------------------------------------------------------------------------------------------
# the incremental update


def child_actions(lifecycles: int, ready: bool) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    import lifecycle
    from motcua.catalog.models import ProcedureVersion
    from motcua.dossiers import signals
    from motcua.stats import facts, rollup, services
    from motcua.stats.models import DossierFact
    from motcua.stats.receivers import refresh_facts

    call_command("migrate", verbosity=0)
    if not ready:
        from motcua.demo import load_demo

        load_demo(history=False)  # the province and catalogue; the benchmark makes its own dossiers
    # the signal the facts follow: every event (``event_recorded``), or the notified ones (``dossier_changed``)
    signal = getattr(signals, "event_recorded", signals.dossier_changed)
    ProcedureVersion.objects.update(unsigned_results_allowed=True)  # as bench/lifecycle.py: signing is not measured
    result = lifecycle.pdf()
    procedure = "1.004873"  # 5-step workflow: reception, processing, leader, signer, return

    spent: dict[str, float] = {"refresh": 0.0, "build_many": 0.0, "apply": 0.0}
    statements = {"refresh": 0}
    calls = {"refresh": 0}
    counting = {"refresh": False}

    def wrap(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                if name == "refresh":
                    calls["refresh"] += 1
                    counting["refresh"] = True
                return function(*args, **kwargs)
            finally:
                if name == "refresh":
                    counting["refresh"] = False
                spent[name] += time.perf_counter() - started
        return timed

    services.refresh = wrap("refresh", services.refresh)  # type: ignore[assignment]
    facts.build_many = wrap("build_many", facts.build_many)  # type: ignore[assignment]
    rollup.apply = wrap("apply", rollup.apply)  # type: ignore[assignment]
    side = {"now": "off"}

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements[side["now"]] += 1
        if counting["refresh"]:
            statements["refresh"] += 1
        return execute(sql, params, many, context)

    from django.conf import settings

    # three ways, interleaved: no receiver at all (the baseline), MOTCUA_STATS_REFRESH=immediate (each action's
    # request refreshes its facts) and =follow (what ``motcua serve`` runs: the follower refreshes them)
    modes = ("off", "immediate", "follow")
    lifecycle.lifecycle_services(procedure, result)  # warm: imports, caches, the day's first counter
    for key in spent:
        spent[key] = 0.0
    calls["refresh"] = 0
    elapsed_by = dict.fromkeys(modes, 0.0)
    events = dict.fromkeys(modes, 0)
    statements.update(dict.fromkeys(modes, 0))
    facts_before = DossierFact.objects.count()
    rounds = max(1, min(10, lifecycles))
    per_round = max(1, lifecycles // rounds)
    follow_events = 0
    with connection.execute_wrapper(count):
        for n in range(rounds):
            for mode in modes[n % 3:] + modes[:n % 3]:  # interleaved, each in turn first
                side["now"] = mode
                if mode == "off":
                    signal.disconnect(dispatch_uid="stats_refresh")
                else:
                    signal.connect(refresh_facts, dispatch_uid="stats_refresh")
                    settings.MOTCUA_STATS_REFRESH = mode
                started = time.perf_counter()
                made = sum(lifecycle.lifecycle_services(procedure, result) for _ in range(per_round))
                elapsed_by[mode] += time.perf_counter() - started
                events[mode] += made
    signal.connect(refresh_facts, dispatch_uid="stats_refresh")
    settings.MOTCUA_STATS_REFRESH = "immediate"
    made_facts = DossierFact.objects.count() - facts_before
    follow_events = events["off"] + events["follow"]
    per_call = {key: value * 1000 / max(1, calls["refresh"]) for key, value in spent.items()}
    per_call_sql = statements["refresh"] / max(1, calls["refresh"])
    refresh_calls = calls["refresh"]
    # the follower's work: the facts of the dossiers acted on in follow mode (and without the receiver), caught up
    # in batches (``services.catch_up``, what ``refresh_stats --follow`` runs every MOTCUA_STATS_FOLLOW_SECONDS)
    started = time.perf_counter()
    caught = services.catch_up()
    catch_up_s = time.perf_counter() - started
    ms = {mode: elapsed_by[mode] * 1000 / max(1, events[mode]) for mode in modes}
    sql = {mode: statements[mode] / max(1, events[mode]) for mode in modes}
    rows = [
        ("actions: engine", connection.vendor),
        ("actions: lifecycles each way (interleaved rounds)", f"{rounds * per_round} ({events['off']:,} actions "
                                                               "each way)"),
        ("actions: per action, no stats receiver (baseline)", f"{ms['off']:.2f} ms ({sql['off']:.1f} SQL)"),
        ("actions: per action, MOTCUA_STATS_REFRESH=follow (motcua serve)",
         f"{ms['follow']:.2f} ms ({sql['follow']:.1f} SQL): {(ms['follow'] / ms['off'] - 1) * 100:+.1f} % "
         "(target < 10 %)"),
        ("actions: per action, MOTCUA_STATS_REFRESH=immediate (refresh in the request)",
         f"{ms['immediate']:.2f} ms ({sql['immediate']:.1f} SQL): {(ms['immediate'] / ms['off'] - 1) * 100:+.1f} %"),
        ("refresh: per call in the request (services.refresh)", f"{per_call['refresh']:.2f} ms · {per_call_sql:.1f} "
                                                                f"SQL · {refresh_calls:,} calls"),
        ("refresh: of which facts.build_many", f"{per_call['build_many']:.2f} ms"),
        ("refresh: of which rollup.apply", f"{per_call['apply']:.2f} ms"),
        ("refresh: facts made in the requests", f"{made_facts:,}"),
        ("follower: catch_up of the follow-mode and baseline actions",
         f"{caught:,} dossiers ({follow_events:,} events) in {catch_up_s * 1000:,.0f} ms: "
         f"{catch_up_s * 1000 / max(1, follow_events):.2f} ms per event "
         f"({catch_up_s * 1000 / max(1, follow_events) / ms['off'] * 100:.1f} % of an action), off the actions' path"),
    ]
    print(json.dumps({"rows": rows}))


# ---------------------------------------------------------------------------------------------------------------


def postgres_up() -> bool:
    return subprocess.run(["pg_isready", "-q", *PG[:2], "-p", "5432"], check=False).returncode == 0


def _psql(db: str, sql: str) -> str:
    out = subprocess.run(["psql", *PG, "-d", db, "-Atc", sql], capture_output=True, text=True, check=False)
    return out.stdout.strip() if out.returncode == 0 else ""


def _run_child(args: list[str], env: dict[str, str]) -> dict[str, Any] | None:
    out = subprocess.run([sys.executable, __file__, *args], env=env, stdout=subprocess.PIPE, text=True,
                         check=False)  # stderr (the generation's progress) goes straight through
    if out.returncode:
        print(f"bench/stats.py {args[0:2]} failed", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000_000, help="synthetic dossiers")
    parser.add_argument("--runs", type=int, default=5, help="warm runs of each read (median)")
    parser.add_argument("--actions", type=int, default=50, help="lifecycles each way (≈ 8 actions each)")
    parser.add_argument("--keep", action="store_true", help="keep the generated database for the next run")
    parser.add_argument("--parts", default="reads,actions")
    parser.add_argument("--check", action="store_true", help="compare a sample of facts with facts.build_many")
    parser.add_argument("--plans", type=int, default=14, help="lines of each EXPLAIN to print (0: none)")
    parser.add_argument("--smoke", action="store_true", help="20,000 dossiers, 4 lifecycles each way")
    parser.add_argument("--child", choices=["reads", "actions"], help=argparse.SUPPRESS)
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--migrate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "reads":
        child_reads(args.size, args.runs, args.generate, args.migrate, args.check, args.plans)
        return
    if args.child == "actions":
        child_actions(args.actions, not args.migrate)
        return
    if args.smoke:
        args.size, args.runs, args.actions, args.plans = 20_000, 3, 4, 0
        args.check = True
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    postgres = postgres_up()
    prefix = os.environ.get("MOTCUA_BENCH_DB", "motcua_bench") + "_stats"
    template = os.environ.get("MOTCUA_BENCH_TEMPLATE", "")
    failed = False
    print(f"statistics over {args.size:,} synthetic dossiers (PostgreSQL), the incremental update over "
          f"{args.actions} lifecycles each way", flush=True)
    table: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="motcua.config.settings", MOTCUA_DATA_DIR=tmp,
                   MEDIA_ROOT=f"{tmp}/media", SECRET_KEY=os.environ.get("SECRET_KEY", "bench-stats"),
                   PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT / "bench")]))
        if "reads" in parts and not postgres:
            print("== PostgreSQL not running on 127.0.0.1:5432: skipped the reads over synthetic dossiers ==")
        elif "reads" in parts:
            db = f"{prefix}_{args.size}"
            made = _psql(db, "SELECT size FROM bench_meta")
            generate_first, migrate = made != str(args.size), False
            if generate_first:
                subprocess.run(["dropdb", *PG, "--if-exists", "--force", db], check=True)
                subprocess.run(["createdb", *PG, *(["-T", template] if template else []), db], check=True)
                migrate = not template
                print(f"reads: generating {args.size:,} dossiers in {db}…", flush=True)
            result = _run_child(["--child", "reads", "--size", str(args.size), "--runs", str(args.runs),
                                 "--plans", str(args.plans), *(["--generate"] if generate_first else []),
                                 *(["--migrate"] if migrate else []), *(["--check"] if args.check else [])],
                                dict(env, DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{db}"))
            if not args.keep:
                subprocess.run(["dropdb", *PG, "--if-exists", "--force", db], check=False)
            if result is None:
                failed = True
            else:
                table += [tuple(row) for row in result["rows"]]  # type: ignore[misc]
                for label, plan in result["plans"].items():
                    print(f"-- EXPLAIN (ANALYZE, BUFFERS) {label}")
                    print("\n".join(f"   {line}" for line in plan))
                for label, lines in result.get("breakdown", {}).items():
                    print(f"-- where the time goes: {label}")
                    print("\n".join(f"   {line}" for line in lines))
        if "actions" in parts:
            copy = ["--migrate"]
            if postgres:
                db = f"{prefix}_actions"
                subprocess.run(["dropdb", *PG, "--if-exists", "--force", db], check=True)
                subprocess.run(["createdb", *PG, *(["-T", template] if template else []), db], check=True)
                copy = [] if template else ["--migrate"]
                url = f"postgres://postgres@127.0.0.1:5432/{db}"
            else:
                url = f"sqlite:///{tmp}/bench.sqlite3"
            result = _run_child(["--child", "actions", "--actions", str(args.actions), *copy],
                                dict(env, DATABASE_URL=url))
            if postgres:
                subprocess.run(["dropdb", *PG, "--if-exists", "--force", db], check=False)
            if result is None:
                failed = True
            else:
                table += [tuple(row) for row in result["rows"]]  # type: ignore[misc]
    for label, figure in table:
        print(f"  {label:66} {figure}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
