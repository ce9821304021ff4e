"""Counting uses in fixed windows, for the throttles (public tracking, the counter surveys): atomic and shared by
every web process and machine.

With Redis (``REDIS_URL``) the counts live there (``incr`` is atomic); without it, in the database
(:class:`~motcua.core.models.ThrottleWindow`, ``UPDATE … SET count = count + 1``). The database cache would not
do: its ``incr`` reads and writes back, so concurrent requests lose counts and a flood passes the limit.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

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


def _hit_in_database(key: str, window: int) -> tuple[int, int]:
    now = timezone.now()
    for _attempt in range(3):
        with transaction.atomic():
            if ThrottleWindow.objects.filter(key=key, ends_at__gt=now).update(count=F("count") + 1):
                count, ends_at = ThrottleWindow.objects.filter(key=key).values_list("count", "ends_at").get()
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
