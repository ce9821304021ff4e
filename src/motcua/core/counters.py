"""Gap-free running numbers (dossier codes, receipt numbers, petition codes): one implementation, each caller
with its own counter model and key.

A counter model has the key fields (unique together) and an integer ``last``. :func:`take_next` increments the
key's row in one statement (``UPDATE … SET last = last + 1 … RETURNING last``, on SQLite ≥ 3.35 and PostgreSQL)
and creates the row at 1 the first time (a concurrent creator loses on the unique key and increments instead).
It runs inside the caller's transaction: the row lock serializes concurrent takers of the same key until the
transaction ends, and a rollback gives the number back, so the numbers have no gaps.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.db.models import Field, Model


def take_next(model: type[Model], **key: Any) -> int:
    """The next number of ``model``'s counter for ``key`` (e.g. ``agency=…, day=…``); inside a transaction."""
    using = router.db_for_write(model)
    assert transaction.get_connection(using).in_atomic_block, "take numbers inside the transaction that uses them"
    number = _increment(model, key, using)
    if number is None:
        try:
            with transaction.atomic(using=using):
                model._default_manager.using(using).create(**key, last=1)
            return 1
        except IntegrityError:  # a concurrent transaction created the row first: it now exists
            number = _increment(model, key, using)
            assert number is not None
    return number


def _increment(model: type[Model], key: dict[str, Any], using: str) -> int | None:
    connection = connections[using]
    quote = connection.ops.quote_name
    where, params = [], []
    for name, value in key.items():
        field, column = _field(model, name)
        where.append(f"{quote(column)} = %s")
        params.append(field.get_db_prep_value(value.pk if isinstance(value, Model) else value, connection))
    last = quote(_field(model, "last")[1])
    # identifiers from the model's own metadata, values as parameters
    sql = f"UPDATE {quote(model._meta.db_table)} SET {last} = {last} + 1 WHERE {' AND '.join(where)} RETURNING {last}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return int(row[0]) if row else None


def _field(model: type[Model], name: str) -> tuple[Field[Any, Any], str]:
    """The concrete field ``name`` of ``model`` and its column."""
    field = model._meta.get_field(name)
    assert isinstance(field, Field) and field.column
    return field, field.column
