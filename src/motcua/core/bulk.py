"""Writing new values of some columns to many rows in one statement.

Django's ``bulk_update`` builds a ``CASE WHEN pk = … THEN …`` per row and per column: slow to build in Python for
a few hundred rows. :func:`update_rows` sends one ``UPDATE … FROM (VALUES …)`` instead (PostgreSQL, and SQLite
since 3.33), each value prepared by its field as a save would prepare it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.db import connection
from django.db.models import Field, Model


def update_rows(objs: Sequence[Model], fields: Sequence[str]) -> int:
    """Write ``fields`` of ``objs`` (saved instances of one model) in one statement; the number of rows written."""
    if not objs:
        return 0
    meta = type(objs[0])._meta
    assert meta.pk is not None
    columns: list[Field[Any, Any]] = [meta.pk, *(cast("Field[Any, Any]", meta.get_field(name)) for name in fields)]
    # PostgreSQL types the VALUES by their first row (text, unless cast); SQLite keeps each value as prepared (a
    # cast there would turn a datetime's text into a number)
    value = ", ".join(f"CAST(%s AS {field.db_type(connection)})" if connection.vendor == "postgresql" else "%s"
                      for field in columns)
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    sets = ", ".join(f"{quote(str(field.column))} = v.column{n}" for n, field in enumerate(columns[1:], start=2))
    params: list[Any] = []
    for obj in objs:
        params += [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns]
    sql = (f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([f'({value})'] * len(objs))}) AS v "  # noqa: S608
           f"WHERE {table}.{quote(str(meta.pk.column))} = v.column1")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)
