"""The dossier event log: append-only, hash-chained per dossier, and the projection it rebuilds.

Each event's hash is SHA-256 over its canonical JSON (dossier code, sequence number, action, actor, role,
agency, moment, statuses, steps, note, data, changes) and the previous event's hash. The dossier row keeps the
head of its chain (``event_count``, ``last_hash``), so an altered, inserted or deleted event breaks either the
chain or the head; and the day counters of dossier codes reveal a dossier deleted with all its events.
Chains are per dossier so that officers working on different dossiers never wait for each other.

``changes`` holds, for every event, the projected fields it set; replaying them from an empty dossier
(:func:`rebuild`) gives back the dossier row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Model

from motcua.dossiers.codes import CODE, format_code
from motcua.dossiers.models import Dossier, DossierCounter, Event
from motcua.dossiers.statuses import EventKind

# The fields of the dossier row that events carry (everything but identity, chain head and bookkeeping).
PROJECTED: tuple[str, ...] = tuple(
    field.attname
    for field in Dossier._meta.concrete_fields
    if field.attname not in {"id", "revision", "event_count", "last_hash", "created_at"}
)


def to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def snapshot(dossier: Dossier, fields: Iterable[str] = PROJECTED) -> dict[str, Any]:
    return {name: to_json(getattr(dossier, name)) for name in fields}


def event_hash(event: Event, code: str) -> str:
    body = {
        "dossier": code,
        "seq": event.seq,
        "action": event.action,
        "at": to_json(event.at),
        "actor": event.actor_id,
        "actor_name": event.actor_name,
        "role": event.role,
        "agency": event.agency_id,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "from_step": event.from_step,
        "to_step": event.to_step,
        "note": event.note,
        "data": event.data,
        "changes": event.changes,
        "prev": event.prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append(dossier: Dossier, event: Event) -> Event:
    """Chain ``event`` after the dossier's head and save it; the caller saves the dossier's new head."""
    chain(dossier, event)
    event.save(force_insert=True)
    return event


def chain(dossier: Dossier, event: Event) -> Event:
    """Chain ``event`` after the dossier's head (in memory): the caller saves it, then the dossier's new head."""
    event.dossier = dossier
    event.seq = dossier.event_count + 1
    event.prev_hash = dossier.last_hash
    event.data = to_json(event.data)
    event.changes = to_json(event.changes)
    event.hash = event_hash(event, dossier.code)
    dossier.event_count = event.seq
    dossier.last_hash = event.hash
    return event


def rebuild(events: Iterable[Event]) -> dict[str, Any]:
    """The projected fields of a dossier, replayed from its events in order.

    ``fee_paid`` came after the first dossiers: for one whose events never set it, it is what its ``payment``
    events counted (their ``amount``, but for money taken that was not owed, ``refund_due``)."""
    state: dict[str, Any] = {}
    counted = 0
    for event in events:
        state.update(event.changes)
        if event.action == EventKind.PAYMENT and not (event.data or {}).get("refund_due"):
            counted += int((event.data or {}).get("amount") or 0)
    state.setdefault("fee_paid", counted)
    return state


@dataclass
class Finding:
    code: str
    problem: str

    def __str__(self) -> str:
        return f"{self.code}: {self.problem}"


def verify_dossier(dossier: Dossier, events: list[Event]) -> Iterator[Finding]:
    prev = ""
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            yield Finding(dossier.code, f"event #{expected_seq} is missing (found #{event.seq} in its place)")
            return
        if event.prev_hash != prev:
            yield Finding(dossier.code, f"event #{event.seq} does not follow event #{event.seq - 1} (inserted?)")
            return
        if event_hash(event, dossier.code) != event.hash:
            yield Finding(dossier.code, f"event #{event.seq} ({event.action}) was altered")
            return
        prev = event.hash
    if len(events) != dossier.event_count or prev != dossier.last_hash:
        yield Finding(
            dossier.code,
            f"the log ends at event #{len(events)} but the dossier recorded #{dossier.event_count} (deleted?)",
        )
        return
    state = rebuild(events)
    current = snapshot(dossier)
    differing = sorted(name for name in PROJECTED if state.get(name) != current[name])
    if differing:
        yield Finding(dossier.code, "the dossier row differs from its events in: " + ", ".join(differing))


def verify_counters(codes: set[str]) -> Iterator[Finding]:
    """Every number a day counter handed out must belong to an existing dossier (no deleted dossiers)."""
    for counter in DossierCounter.objects.select_related("agency").order_by("agency_id", "day"):
        for number in range(1, counter.last + 1):
            code = format_code(counter.agency.identifier_code, counter.day, number)
            if code not in codes:
                yield Finding(code, "the number was issued but the dossier is gone (deleted?)")


def verify_all(batch: int = 2000, progress: Any = None) -> Iterator[Finding]:
    """Check every dossier's chain and projection, then the code counters."""
    codes: set[str] = set()
    last_id = 0
    checked = 0
    while True:
        dossiers = list(Dossier.objects.filter(pk__gt=last_id).order_by("pk")[:batch])
        if not dossiers:
            break
        events: dict[int, list[Event]] = {d.pk: [] for d in dossiers}
        for event in Event.objects.filter(dossier_id__in=list(events)).order_by("dossier_id", "seq"):
            events[event.dossier_id].append(event)
        for dossier in dossiers:
            codes.add(dossier.code)
            yield from verify_dossier(dossier, events[dossier.pk])
        checked += len(dossiers)
        last_id = dossiers[-1].pk
        if progress:
            progress(checked)
    orphans = Event.objects.exclude(dossier_id__in=Dossier.objects.values("pk")).values_list("pk", flat=True)[:1]
    if orphans:
        yield Finding("?", "events exist for a dossier that does not")
    yield from verify_counters({c for c in codes if CODE.match(c)})
