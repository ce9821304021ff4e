"""The roll-up stays exact when refreshes race (PostgreSQL, real concurrent connections): two refreshes of the
same dossier, two dossiers whose facts move the same roll-up row (also the row's first creation), and a refresh
racing a rebuild."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from django.db import connection, connections, transaction

from motcua.core.calendar import VN_TZ
from motcua.dossiers import services as dossier_services
from motcua.dossiers.models import Dossier
from motcua.dossiers.signals import event_recorded
from motcua.stats import receivers, services
from motcua.stats.models import DailyRollup, DossierFact
from tests.concurrency import at_once
from tests.factories import World, receive
from tests.test_stats_facts import tables

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent connections"),
]

START = datetime(2026, 11, 2, 8, 0, tzinfo=VN_TZ)


@contextmanager
def refresh_missed() -> Iterator[None]:
    """Actions whose refresh after the commit never ran (the facts are left behind their dossiers)."""
    event_recorded.disconnect(dispatch_uid="stats_refresh")
    try:
        yield
    finally:
        event_recorded.connect(receivers.refresh_facts, dispatch_uid="stats_refresh")


def rebuilt() -> tuple[list[tuple], list[tuple], list[tuple]]:
    services.rebuild()
    return tables()


def test_two_refreshes_of_one_dossier_count_it_once() -> None:
    world = World()
    with refresh_missed():
        dossier = receive(world, START)
    results = at_once(2, lambda i: services.refresh([dossier.pk]))
    assert sorted(results) == [0, 1], results  # one built the fact, the other found it up to date
    assert DailyRollup.objects.get().received == 1
    incremental = tables()
    assert rebuilt() == incremental


def test_two_dossiers_on_one_new_roll_up_row_both_count() -> None:
    world = World()
    with refresh_missed():
        first = receive(world, START)
        second = receive(world, START + timedelta(minutes=5))
    assert not DailyRollup.objects.exists()
    results = at_once(2, lambda i: services.refresh([(first, second)[i].pk]))
    assert results == [1, 1], results
    row = DailyRollup.objects.get()
    assert row.received == 2
    incremental = tables()
    assert rebuilt() == incremental


def test_many_refreshes_racing_on_the_same_rows_stay_exact() -> None:
    world = World()
    with refresh_missed():
        codes = [receive(world, START + timedelta(minutes=i)).code for i in range(6)]
        for code in codes[:3]:
            dossier_services.perform(code, "refuse", actor=world.actor("tiepnhan"), params={"reasons": "Sai"},
                                     now=START + timedelta(hours=2))
    ids = list(Dossier.objects.filter(code__in=codes).values_list("pk", flat=True))
    # each thread refreshes overlapping sets in its own order
    results = at_once(4, lambda i: services.refresh(ids[i:] + ids[:i]))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 6
    assert DossierFact.objects.count() == 6
    row = DailyRollup.objects.get()
    assert (row.received, row.ended, row.refused) == (6, 3, 3)
    incremental = tables()
    assert rebuilt() == incremental


def test_a_refresh_racing_a_rebuild_does_not_count_twice() -> None:
    world = World()
    receive(world, START)
    with refresh_missed():
        late = receive(world, START + timedelta(minutes=5))
    results = at_once(2, lambda i: services.refresh([late.pk]) if i else services.rebuild())
    assert not [r for r in results if isinstance(r, Exception)], results
    assert DailyRollup.objects.get().received == 2
    incremental = tables()
    assert rebuilt() == incremental


def test_an_action_during_a_rebuild_does_not_wait_for_it_and_the_catch_up_makes_it_good() -> None:
    world = World()
    receive(world, START)
    services.catch_up()
    holding, release = threading.Event(), threading.Event()

    def rebuilding() -> None:  # a long rebuild holds its lock
        try:
            with transaction.atomic():
                services._lock_against_rebuild(exclusive=True)  # noqa: SLF001 - what rebuild() takes
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=rebuilding)
    thread.start()
    try:
        assert holding.wait(30)
        started = time.monotonic()
        late = receive(world, START + timedelta(minutes=5))  # its refresh runs after the commit, here
        assert time.monotonic() - started < 10
        assert not DossierFact.objects.filter(pk=late.pk).exists()  # left to the catch-up
    finally:
        release.set()
        thread.join(30)
    assert services.catch_up() == 1
    assert DailyRollup.objects.get().received == 2
    incremental = tables()
    assert rebuilt() == incremental
