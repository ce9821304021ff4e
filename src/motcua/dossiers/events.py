"""The one way into a dossier's log: :func:`record` (STYLE.md, row 1).

Every app that has something to say in a dossier's history — the actions of ``dossiers.machine``, the submission,
an attached file, a payment — calls :func:`record`. It builds the :class:`~motcua.dossiers.models.Event`, chains
it after the dossier's head (``dossiers.audit``), moves the head on the dossier row (with the caller's other
column changes, and its optimistic ``revision`` check, in the same UPDATE) and sends ``dossier_changed`` once the
transaction has committed. Nothing outside ``dossiers`` builds an ``Event``. :func:`record_many` does the same
for many events that leave their dossiers where they are, in two statements (a carrier's batch of updates).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction

from motcua.core.bulk import update_rows
from motcua.dossiers import audit
from motcua.dossiers.actors import Actor
from motcua.dossiers.errors import dossier_changed
from motcua.dossiers.models import Dossier, Event
from motcua.dossiers.signals import send_many_on_commit, send_on_commit, send_written
from motcua.dossiers.statuses import EventKind


def record(
    dossier: Dossier, kind: EventKind, *, actor: Actor | str, at: datetime, role: str = "",
    agency_id: int | None = None, moved_from: tuple[str, int | None] | None = None, note: str = "",
    data: Mapping[str, Any] | None = None, changes: Mapping[str, Any] | None = None,
    columns: Mapping[str, Any] | None = None, revision: int | None = None, notify: bool = True,
) -> Event:
    """Append a ``kind`` event to ``dossier``'s log and move its chain head; must run inside the operation's
    transaction, with the dossier's row locked (``select_for_update``) or just created.

    ``actor``: the person who acted, or the name of the system that did (a payment gateway).
    ``agency_id``: the agency on whose behalf (default: the one holding the dossier now).
    ``moved_from``: the (status, step) the dossier left, for an event that moved it; the status and step it is in
    now are the event's destination. Without it the event left the dossier where it was (a file, a payment).
    ``columns``: the dossier's other columns to write with the new head (what the action changed);
    ``revision``: the revision read under the lock — the row is written only if it still has it, and gets the next
    one (:class:`~motcua.dossiers.errors.Conflict` otherwise).
    ``notify``: send ``dossier_changed`` on commit (the applicant hears of it).
    """
    assert transaction.get_connection().in_atomic_block, "record dossier events inside the operation's transaction"
    event = _event(dossier, kind, actor=actor, at=at, role=role, agency_id=agency_id, moved_from=moved_from,
                   note=note, data=data, changes=changes)
    audit.append(dossier, event)
    head = {"event_count": dossier.event_count, "last_hash": dossier.last_hash, **(columns or {})}
    rows = Dossier.objects.filter(pk=dossier.pk)
    if revision is not None:
        rows = rows.filter(revision=revision)
        head["revision"] = revision + 1
    if rows.update(**head) != 1:
        raise dossier_changed(dossier.code, dossier.status)
    if revision is not None:
        dossier.revision = revision + 1
    send_written([(dossier, event)])
    send_on_commit(dossier, event, notify)
    return event


def _event(dossier: Dossier, kind: EventKind, *, actor: Actor | str, at: datetime, role: str = "",
           agency_id: int | None = None, moved_from: tuple[str, int | None] | None = None, note: str = "",
           data: Mapping[str, Any] | None = None, changes: Mapping[str, Any] | None = None) -> Event:
    from_status, from_step = moved_from if moved_from is not None else (dossier.status, dossier.step_index)
    return Event(
        action=kind,
        at=at,
        actor_id=actor.user_id if isinstance(actor, Actor) else None,
        actor_name=actor.name if isinstance(actor, Actor) else actor,
        role=role,
        agency_id=dossier.current_agency_id if agency_id is None else agency_id,
        from_status=from_status, to_status=dossier.status, from_step=from_step, to_step=dossier.step_index,
        note=note, data=dict(data or {}), changes=dict(changes or {}),
    )


def record_many(entries: Sequence[tuple[Dossier, EventKind, Mapping[str, Any]]], *, notify: bool = True
                ) -> list[Event]:
    """:func:`record` for many events that leave their dossiers where they are (a carrier's batch of updates):
    each ``(dossier, kind, arguments of record but columns, revision and moved_from)``, chained in the order given
    (several of one dossier: one after the other; pass the same instance for one dossier), then one insert of all
    the events and one update of the dossiers' heads. Same rules as :func:`record`: inside the operation's
    transaction, the dossiers' rows locked."""
    assert transaction.get_connection().in_atomic_block, "record dossier events inside the operation's transaction"
    events = []
    heads: dict[int, Dossier] = {}
    for dossier, kind, arguments in entries:
        events.append(audit.chain(dossier, _event(dossier, kind, **arguments)))
        heads[dossier.pk] = dossier
    if not events:
        return events
    Event.objects.bulk_create(events)
    if update_rows(list(heads.values()), ["event_count", "last_hash"]) != len(heads):
        raise dossier_changed(events[0].dossier.code, events[0].dossier.status)
    send_written([(event.dossier, event) for event in events])
    send_many_on_commit([(event.dossier, event) for event in events], notify)
    return events
