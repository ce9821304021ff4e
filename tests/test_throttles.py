"""The throttles' counts are exact when many processes count at once: no use is lost, so a flood cannot pass."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from motcua.core import throttles
from motcua.core.models import ThrottleWindow
from tests.concurrency import at_once


@pytest.mark.django_db
def test_a_window_counts_then_ends(monkeypatch: Any) -> None:
    assert [throttles.hit("k", 60)[0] for _ in range(3)] == [1, 2, 3]
    assert 0 < throttles.hit("k", 60)[1] <= 60
    ThrottleWindow.objects.filter(key="k").update(ends_at="2000-01-01T00:00:00Z")  # the window ended
    assert throttles.hit("k", 60) == (1, 60)
    assert throttles.hit("other", 60)[0] == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent connections")
def test_concurrent_uses_are_all_counted() -> None:
    def burst(index: int) -> list[int]:
        return [throttles.hit("flood", 60)[0] for _ in range(5)]

    results = at_once(8, burst)
    counts = sorted(count for result in results for count in result)
    assert counts == list(range(1, 41))  # 40 uses, each counted once: no two saw the same number
