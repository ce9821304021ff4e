"""The roll-up of the facts per (responsible agency, procedure, day): what each fact adds to which row, applied
as deltas when a fact changes (:func:`apply`), or recomputed from all the facts (:func:`rebuild`).

A dossier counts on two days: received-side columns on the day it was received, ended-side columns on the day
its handling ended (the index's rows: online share and payment among dossiers received in the period, timeliness
and electronic results among dossiers whose handling ended in it).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F

from motcua.catalog.models import Channel
from motcua.stats.models import DailyRollup, DossierFact, EndedBy, Outcome

# column → what a fact must be to count in it
RECEIVED_SIDE: dict[str, str] = {
    "received": "",
    "received_online": "online",
    "eligible": "full_online_eligible",
    "eligible_online": "eligible_online",
    "with_fee": "has_fee",
    "paid_online": "paid_online_with_fee",
    "digitized": "digitized",
    "reused": "reused",
    "certified": "certified",
    "identity_verified": "identity_verified",
    "population_data": "population_data",
    "synced": "synced",
}
ENDED_SIDE: dict[str, str] = {
    "ended": "",
    "early": "early",
    "on_time": "on_time",
    "late": "late",
    "refused": "refused",
    "electronic_result": "electronic_result",
    "store_synced": "store_synced",
}
COLUMNS = (*RECEIVED_SIDE, *ENDED_SIDE, "handling_centidays")
Key = tuple[int, int, date]


def _is(fact: DossierFact, flag: str) -> bool:
    if not flag:
        return True
    if flag == "online":
        return fact.channel == Channel.ONLINE
    if flag == "eligible_online":
        return fact.full_online_eligible and fact.channel == Channel.ONLINE
    if flag == "paid_online_with_fee":
        return fact.has_fee and fact.paid_online
    if flag in ("early", "on_time", "late"):
        return fact.outcome == Outcome(flag)
    if flag == "refused":
        return fact.ended_by == EndedBy.REFUSED
    return bool(getattr(fact, flag))


def contribution(fact: DossierFact | None) -> dict[Key, Counter[str]]:
    """What one fact adds to the roll-up: {(agency, procedure, day): {column: n}}."""
    out: dict[Key, Counter[str]] = defaultdict(Counter)
    if fact is None:
        return out
    if fact.received_on is not None:
        row = out[(fact.agency_id, fact.procedure_id, fact.received_on)]
        for column, flag in RECEIVED_SIDE.items():
            if _is(fact, flag):
                row[column] += 1
    if fact.ended_on is not None and fact.outcome:
        row = out[(fact.agency_id, fact.procedure_id, fact.ended_on)]
        for column, flag in ENDED_SIDE.items():
            if _is(fact, flag):
                row[column] += 1
        if fact.handling_days is not None:
            row["handling_centidays"] += int(fact.handling_days * 100)
    return out


def delta(old: Iterable[DossierFact | None], new: Iterable[DossierFact | None]) -> dict[Key, Counter[str]]:
    """The change to the roll-up when facts ``old`` become ``new``."""
    total: dict[Key, Counter[str]] = defaultdict(Counter)
    for fact in new:
        for key, counts in contribution(fact).items():
            total[key].update(counts)
    for fact in old:
        for key, counts in contribution(fact).items():
            total[key].subtract(counts)
    return {key: Counter({c: n for c, n in counts.items() if n}) for key, counts in total.items()
            if any(counts.values())}


def apply(changes: Mapping[Key, Counter[str]]) -> None:
    """Add ``changes`` to the roll-up rows (created when missing, deleted when they fall back to zero, as a
    rebuild would not make them); inside the caller's transaction."""
    for (agency, procedure, day), counts in sorted(changes.items()):
        updates = {column: F(column) + n for column, n in counts.items()}
        rows = DailyRollup.objects.filter(agency_id=agency, procedure_id=procedure, day=day)
        if rows.update(**updates):
            if any(n < 0 for n in counts.values()):
                rows.filter(**dict.fromkeys(COLUMNS, 0)).delete()
            continue
        try:
            with transaction.atomic():  # a savepoint: another process may have created the row meanwhile
                DailyRollup.objects.create(agency_id=agency, procedure_id=procedure, day=day, **counts)
        except IntegrityError:
            rows.update(**updates)


def rebuild(batch: int = 5000) -> int:
    """Recompute every roll-up row from the facts; returns the number of rows."""
    total: dict[Key, Counter[str]] = defaultdict(Counter)
    for fact in DossierFact.objects.order_by("pk").iterator(chunk_size=batch):
        for key, counts in contribution(fact).items():
            total[key].update(counts)
    DailyRollup.objects.all().delete()
    rows = [DailyRollup(agency_id=a, procedure_id=p, day=d, **dict(counts)) for (a, p, d), counts in total.items()]
    DailyRollup.objects.bulk_create(rows, batch_size=batch)
    return len(rows)
