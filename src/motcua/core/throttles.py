"""Counting uses in fixed windows, for the throttles (public tracking, the counter surveys): atomic and shared by
every web process and machine.

With Redis (``REDIS_URL``) the counts live there (``incr`` is atomic); without it, in the database
(:class:`~motcua.core.models.ThrottleWindow`, one ``UPDATE … SET count = count + 1 … RETURNING`` per use). The
database cache would not do: its ``incr`` reads and writes back, so concurrent requests lose counts and a flood
passes the limit.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from motcua.core.models import ThrottleWindow

REDIS = "django.core.cache.backends.redis.RedisCache"


def hit(key: str, window: int) -> tuple[int, int]:
    """Count one use of ``key``: (uses in the current window, this one included; seconds until it ends)."""
    if settings.CACHES["default"]["BACKEND"] == REDIS:
        return _hit_in_cache(key, window)
    return _hit_in_database(key, window)


def _hit_in_cache(key: str, window: int) -> tuple[int, int]:
    now = time.time()
    if cache.add(key, 1, window):
        cache.set(f"{key}:until", now + window, window)
        return 1, window
    try:
        count = int(cache.incr(key))
    except ValueError:  # expired between add and incr: a new window
        cache.set(key, 1, window)
        cache.set(f"{key}:until", now + window, window)
        return 1, window
    return count, max(1, int((cache.get(f"{key}:until") or now + window) - now + 0.999))


def _count_in_open_window(key: str, now: datetime) -> tuple[int, datetime] | None:
    """One statement, atomic on its own: add one to ``key``'s window if it is still open, and read it back
    (``UPDATE … RETURNING``, PostgreSQL and SQLite ≥ 3.35). ``None`` when there is no open window."""
    table, count, key_, ends = (connection.ops.quote_name(name) for name in (
        ThrottleWindow._meta.db_table, "count", "key", "ends_at"))
    ends_at_field = ThrottleWindow._meta.get_field("ends_at")
    sql = f"UPDATE {table} SET {count} = {count} + 1 WHERE {key_} = %s AND {ends} > %s RETURNING {count}, {ends}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, ends_at_field.get_db_prep_value(now, connection)])
        row = cursor.fetchone()
    if row is None:
        return None
    uses, ends_at = row
    if isinstance(ends_at, str):  # SQLite answers text
        ends_at = parse_datetime(ends_at)
    if timezone.is_naive(ends_at):  # stored in UTC without an offset (SQLite)
        ends_at = timezone.make_aware(ends_at, UTC)
    return int(uses), ends_at


def _hit_in_database(key: str, window: int) -> tuple[int, int]:
    now = timezone.now()
    for _attempt in range(3):
        counted = _count_in_open_window(key, now)
        if counted is not None:
            count, ends_at = counted
            return count, max(1, int((ends_at - now).total_seconds() + 0.999))
        try:
            with transaction.atomic():
                ends_at = now + timedelta(seconds=window)
                ThrottleWindow.objects.filter(key=key, ends_at__lte=now).delete()  # the window that ended, if any
                ThrottleWindow.objects.create(key=key, count=1, ends_at=ends_at)
            if random.random() < 0.01:  # now and then, forget windows that ended long ago
                ThrottleWindow.objects.filter(ends_at__lt=now - timedelta(hours=1)).delete()
            return 1, window
        except IntegrityError:  # another process opened the window at the same moment: count in it
            continue
    return 1, window
