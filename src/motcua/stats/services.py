"""Keeping the reporting model up to date: :func:`refresh` after events (incremental), :func:`catch_up` for what
the immediate refresh missed (a process that died between the action's commit and its refresh), and
:func:`rebuild` from scratch (``motcua rebuild_stats``). All three build the facts with ``stats.facts.build_many``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import connection, transaction

from motcua.dossiers import deadlines
from motcua.dossiers.models import Dossier, Event
from motcua.stats import facts, rollup
from motcua.stats.models import Cursor, DailyRollup, DossierFact, StepFact

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


def catch_up(*, batch: int = 500, progress: Callable[[str], None] = lambda line: None) -> int:
    """Refresh the dossiers of every event recorded since the last catch-up (``Cursor``); returns how many."""
    cursor, _ = Cursor.objects.get_or_create(name=CATCH_UP)
    done = 0
    while True:
        start = cursor.last_event_id
        rows = list(Event.objects.filter(pk__gt=start).order_by("pk").values_list("pk", "dossier_id")[: batch * 4])
        if not rows:
            return done
        with transaction.atomic():  # after a rebuild under way, from where it left the cursor
            _lock_against_rebuild(wait=True)
            cursor.refresh_from_db()
            if cursor.last_event_id != start:  # a rebuild (or another catch-up) moved it meanwhile
                continue
            done += refresh({dossier for _, dossier in rows})
            cursor.last_event_id = rows[-1][0]
            cursor.save(update_fields=["last_event_id"])
        progress(f"… {done} dossiers refreshed (event {cursor.last_event_id})")


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
