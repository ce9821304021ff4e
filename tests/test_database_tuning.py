"""What the performance migrations and a bulk catalogue import set up on PostgreSQL (and that SQLite keeps working
without them): the catalogue's trigram index answers word searches, the planner's statistics follow a bulk import,
the throttles' table writes no WAL, and the throttle reads back the moment its window ends whichever engine
answers (PostgreSQL a timestamp, SQLite text)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from motcua.catalog.models import ProcedureVersion
from motcua.catalog.services import BULK_IMPORT, import_catalog
from motcua.core import throttles
from motcua.core.models import ThrottleWindow
from tests.factories import World, catalog, procedure

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL index and table option")


@pytest.mark.django_db
@postgres_only
def test_the_catalogue_search_key_has_a_trigram_index() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'version_search_trgm'")
        (definition,) = cursor.fetchone()
        cursor.execute("EXPLAIN SELECT id FROM catalog_procedureversion WHERE search_text LIKE '% khai%' "
                       "AND search_text LIKE '% sinh%'")
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "gin_trgm_ops" in definition and "search_text" in definition
    assert "version_search_trgm" in plan or "Seq Scan" in plan  # an empty table may be scanned; the index exists


@pytest.mark.django_db
@postgres_only
def test_the_throttle_windows_are_unlogged() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = %s", [ThrottleWindow._meta.db_table])
        assert cursor.fetchone() == ("u",)


@pytest.mark.django_db
def test_a_count_in_an_open_window_reads_back_its_end() -> None:
    now = timezone.now()
    ThrottleWindow.objects.create(key="k", count=4, ends_at=now + timedelta(seconds=30))
    assert throttles.hit("k", 60) == (5, 30)
    assert ThrottleWindow.objects.get(key="k").count == 5


def _planned_rows() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [ProcedureVersion._meta.db_table])
        (rows,) = cursor.fetchone()
    return float(rows)


@pytest.mark.django_db
@postgres_only
def test_a_bulk_catalogue_import_refreshes_the_planner_statistics(world: World) -> None:
    before = _planned_rows()
    import_catalog(catalog(*[procedure(f"8.{n:06d}") for n in range(BULK_IMPORT - 1)]))
    assert _planned_rows() == before  # a small import leaves it to autovacuum
    import_catalog(catalog(*[procedure(f"7.{n:06d}") for n in range(BULK_IMPORT)]))
    assert _planned_rows() >= 2 * BULK_IMPORT - 1  # ANALYZE counted the new versions
