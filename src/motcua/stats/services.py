"""Keeping the reporting model up to date: :func:`refresh` of the dossiers an event touched (incremental),
:func:`catch_up` with the event log since the last time (what a refresh did not do), :func:`follow` (catch up
every few seconds: ``motcua refresh_stats --follow``), and :func:`rebuild` from scratch (``motcua rebuild_stats``).
All of them build the facts with ``stats.facts.build_many``.

Who refreshes (``MOTCUA_STATS_REFRESH``): ``immediate`` — each action's request, after its commit (what a process
without a follower needs: ``runserver``, the tests); ``follow`` — the follower process that ``motcua serve`` starts,
so that an action pays nothing for the figures (they follow within ``MOTCUA_STATS_FOLLOW_SECONDS``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction

from motcua.dossiers import deadlines
from motcua.dossiers.models import Dossier, Event
from motcua.dossiers.statuses import Status
from motcua.stats import facts, rollup
from motcua.stats.models import Cursor, DailyRollup, DossierFact, StepFact

log = logging.getLogger(__name__)
CATCH_UP = "events"
# PostgreSQL advisory lock: refreshes share it, a rebuild takes it alone (a refresh that read a fact the rebuild
# was replacing would otherwise add its delta to the rebuilt roll-up a second time). A refresh does not wait for a
# rebuild (it runs after an action, in the request): it leaves its dossier to the next catch-up, which starts
# from the last event the rebuild read.
REBUILD_LOCK = 0x5374617473  # "Stats"


def _lock_against_rebuild(exclusive: bool = False, wait: bool = False) -> bool:
    """Take the rebuild lock (a rebuild: waiting for the refreshes under way; ``wait``: a refresh waiting for a
    rebuild); False if a refresh may not run now."""
    if connection.vendor != "postgresql":
        return True  # SQLite: one writer at a time
    with connection.cursor() as cursor:
        if exclusive or wait:
            cursor.execute(f"SELECT pg_advisory_xact_lock{'' if exclusive else '_shared'}(%s)", [REBUILD_LOCK])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock_shared(%s)", [REBUILD_LOCK])
        return bool(cursor.fetchone()[0])


def refresh(dossier_ids: Iterable[int], *, force: bool = False) -> int:
    """Rebuild the facts of these dossiers and move the roll-up by the difference, in one transaction; a fact
    already built from its dossier's last event is left alone (unless ``force``). Returns the facts rebuilt."""
    ids = sorted(set(dossier_ids))
    if not ids:
        return 0
    with transaction.atomic():
        if not _lock_against_rebuild():
            return 0  # a rebuild is under way; the next catch-up refreshes these
        # lock the dossiers (in one order: no deadlock between two refreshes of overlapping sets): two refreshes of
        # one dossier (the action's and the catch-up's) take turns
        heads = dict(Dossier.objects.select_for_update().filter(pk__in=ids).order_by("pk")
                     .values_list("pk", "event_count"))
        old = {f.pk: f for f in DossierFact.objects.filter(pk__in=ids)}
        stale = [pk for pk in ids if force or pk not in heads or pk not in old
                 or old[pk].event_count != heads[pk]]
        if not stale:
            return 0
        built = facts.build_many([pk for pk in stale if pk in heads])
        new = {f.pk: f for f in built.facts}
        rollup.apply(rollup.delta([old.get(pk) for pk in stale], [new.get(pk) for pk in stale]))
        DossierFact.objects.filter(pk__in=stale).delete()
        DossierFact.objects.bulk_create(built.facts)
        StepFact.objects.filter(dossier_id__in=stale).delete()
        StepFact.objects.bulk_create(built.steps)
    return len(stale)


def mark_synced(dossier_ids: Iterable[int], flag: str) -> int:
    """Set a fact's ``synced`` or ``store_synced`` (a delivery to the national portal or the document store, which
    is no event) and move the roll-up by it, without rebuilding the facts; a dossier without a fact yet gets the flag
    when it is built (``facts.build_many`` reads the deliveries). Returns the facts changed."""
    assert flag in ("synced", "store_synced")
    ids = sorted(set(dossier_ids))
    if not ids:
        return 0
    with transaction.atomic():
        if not _lock_against_rebuild():
            return 0  # the rebuild reads the deliveries itself
        list(Dossier.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
        old = list(DossierFact.objects.filter(pk__in=ids).exclude(**{flag: True}))
        if not old:
            return 0
        new = []
        for fact in old:
            changed = DossierFact(**{f.attname: getattr(fact, f.attname) for f in DossierFact._meta.concrete_fields})
            setattr(changed, flag, True)
            new.append(changed)
        rollup.apply(rollup.delta(old, new))
        DossierFact.objects.filter(pk__in=[f.pk for f in old]).update(**{flag: True})
    return len(old)


def stale(dossier_ids: Iterable[int]) -> list[int]:
    """Which of these dossiers have facts behind their log (or none), read without locking anything (two queries):
    the catch-up then refreshes only those, under their locks."""
    ids = set(dossier_ids)
    heads = dict(Dossier.objects.filter(pk__in=ids).exclude(status=Status.DRAFT).values_list("pk", "event_count"))
    built = dict(DossierFact.objects.filter(pk__in=ids).values_list("pk", "event_count"))
    gone = (ids - set(heads)) & set(built)  # a draft (or a deleted dossier) with a fact: refreshed away
    return sorted({pk for pk, count in heads.items() if built.get(pk) != count} | gone)


def catch_up(*, batch: int = 500, progress: Callable[[str], None] = lambda line: None,
             recheck: int | None = None) -> int:
    """Refresh the dossiers of every event recorded since the last catch-up (``Cursor``); returns how many.

    The last ``recheck`` events before the cursor are read again (``MOTCUA_STATS_RECHECK_EVENTS``): an event
    numbered before another but committed after it (two transactions at once) would otherwise be passed over.
    Reading them again costs two queries; only dossiers whose facts are behind are refreshed."""
    recheck = settings.MOTCUA_STATS_RECHECK_EVENTS if recheck is None else recheck
    cursor, _ = Cursor.objects.get_or_create(name=CATCH_UP)
    start = max(0, cursor.last_event_id - recheck)
    done = 0
    while True:
        rows = list(Event.objects.filter(pk__gt=start).order_by("pk").values_list("pk", "dossier_id")[: batch * 4])
        if not rows:
            return done
        behind = stale({dossier for _, dossier in rows})
        last = rows[-1][0]
        with transaction.atomic():  # not while a rebuild runs: it sets the cursor where it read the log
            _lock_against_rebuild(wait=True)
            if behind:
                done += refresh(behind)
            Cursor.objects.filter(name=CATCH_UP, last_event_id__lt=last).update(last_event_id=last)
        start = last
        if behind:
            progress(f"… {done} dossiers refreshed (event {last})")


def follow(*, interval: float, stop: Callable[[], bool], progress: Callable[[str], None] = lambda line: None
           ) -> int:
    """Catch up with the event log every ``interval`` seconds until ``stop()`` (``motcua refresh_stats --follow``,
    which ``motcua serve`` runs: the actions then leave the refresh to it). Returns the dossiers refreshed."""
    done = 0
    while not stop():
        try:
            done += catch_up(progress=progress)
        except DatabaseError as exc:  # a locked database, a dropped connection: tried again at the next turn
            log.warning("reporting facts catch-up failed, retrying: %s", exc)
            close_old_connections()
        deadline = time.monotonic() + interval
        while not stop() and time.monotonic() < deadline:
            time.sleep(min(0.2, interval))
    return done


def rebuild(*, batch: int = 2000, progress: Callable[[str], None] = lambda line: None) -> tuple[int, int]:
    """Drop the facts and the roll-up and build them again from the event logs; returns (facts, roll-up rows)."""
    with transaction.atomic():
        _lock_against_rebuild(exclusive=True)
        last_event = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        ids = list(Dossier.objects.order_by("pk").values_list("pk", flat=True))
        StepFact.objects.all().delete()
        DossierFact.objects.all().delete()
        DailyRollup.objects.all().delete()
        cal = deadlines.calendar()
        made = 0
        for start in range(0, len(ids), batch):
            built = facts.build_many(ids[start:start + batch], calendar=cal)
            DossierFact.objects.bulk_create(built.facts)
            StepFact.objects.bulk_create(built.steps)
            made += len(built.facts)
            progress(f"… {made} / {len(ids)} dossiers")
        rows = rollup.rebuild()
        Cursor.objects.update_or_create(name=CATCH_UP, defaults={"last_event_id": last_event})
    return made, rows
