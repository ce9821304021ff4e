"""The outbox: everything that leaves MotCua for an outside system goes through here (issue 14).

* :func:`enqueue` / :func:`enqueue_many` write messages in the caller's transaction — the one of the event that
  causes them (``integrations.receivers``) — so a message exists exactly when its cause committed. A message's
  ``key`` is unique per (system, target): writing the same key twice keeps the first (a retried action never sends
  twice), and the key travels with the message so that the receiving side can drop a duplicate delivery.
* :func:`deliver_due` is one turn of the outbox worker (``motcua deliver_outbox [--follow]``, which ``motcua
  serve`` runs): it claims a batch of due messages per system with a lease (``claimed_until``; a worker that dies
  mid-send leaves a lease that runs out, and another worker takes the message again — never lost), hands each
  system's batch to the handler registered for it (:func:`register`), and records each outcome: delivered,
  retried later with exponential backoff, or failed for good after ``MOTCUA_OUTBOX_MAX_ATTEMPTS`` (administrators
  see failed messages in the admin and send them again: :func:`replay`).
* Messages of one (system, target, ``ordering``) group go out in id order: a message waits while an earlier one of
  its group is waiting for a retry or held by another worker. A handler receives a group's messages together, in
  order, and says for each what happened (:class:`Outcome`); ``attempted=False`` leaves a message untouched (a
  later message of a group whose earlier one failed in this batch).
* :func:`on_events` registers what a system does with the events of the log (called inside their transaction).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from motcua.integrations.models import CodeMapping, OutboxMessage, OutboxStatus
from motcua.integrations.signals import messages_delivered

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What became of one message: ``ok`` (delivered, with the answer kept in ``response``), or an ``error`` that is
    retried (``retry=True``: down, slow, garbage) or final (``retry=False``: refused for good). ``attempted=False``:
    the handler did not try it this turn (it stays as it was, its attempts not counted)."""

    ok: bool
    response: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    retry: bool = True
    attempted: bool = True


BLOCKED_GROUPS_BY_VALUE = 2000  # above this many blocked groups, claim() leaves them out with a subquery
Handler = Callable[[list[OutboxMessage]], dict[int, Outcome]]
EventHook = Callable[[list[tuple[Any, Any]]], None]


@dataclass
class _Registration:
    handler: Handler
    batch: int


_HANDLERS: dict[str, _Registration] = {}
_EVENT_HOOKS: list[EventHook] = []


def register(system: str, handler: Handler, *, batch: int = 100) -> None:
    """Deliver ``system``'s messages with ``handler``, at most ``batch`` messages per call."""
    _HANDLERS[system] = _Registration(handler, batch)


def on_events(hook: EventHook) -> EventHook:
    """Call ``hook(pairs)`` — ``[(dossier, event), …]`` — for the events of the log, inside their transaction (it
    enqueues what must leave because of them). A decorator."""
    if hook not in _EVENT_HOOKS:
        _EVENT_HOOKS.append(hook)
    return hook


def event_hooks() -> list[EventHook]:
    return list(_EVENT_HOOKS)


@dataclass
class Message:
    """A message to write: see :class:`~motcua.integrations.models.OutboxMessage`."""

    system: str
    kind: str
    key: str
    payload: dict[str, Any] = field(default_factory=dict)
    target: str = ""
    ordering: str = ""
    dossier_id: int | None = None


def enqueue(message: Message) -> OutboxMessage | None:
    """Write one message in the caller's transaction; ``None`` when its key was written already."""
    written = enqueue_many([message])
    return written[0] if written else None


def enqueue_many(messages: Sequence[Message]) -> list[OutboxMessage]:
    """Write messages in the caller's transaction (one insert); keys written already are skipped."""
    if not messages:
        return []
    rows = [OutboxMessage(system=m.system, target=m.target, kind=m.kind, ordering=m.ordering, key=m.key[:120],
                          payload=m.payload, dossier_id=m.dossier_id) for m in messages]
    try:
        with transaction.atomic():
            return OutboxMessage.objects.bulk_create(rows)
    except IntegrityError:
        pass
    # some key exists already: write the new ones one by one (rare: a retried action)
    existing = set(OutboxMessage.objects.filter(
        key__in=[r.key for r in rows]).values_list("system", "target", "key"))
    fresh = [r for r in rows if (r.system, r.target, r.key) not in existing]
    return OutboxMessage.objects.bulk_create(fresh, ignore_conflicts=True) if fresh else []


def backoff(attempt: int) -> timedelta:
    """The wait after failed attempt ``attempt``: 10 s, 20 s, 40 s… (``MOTCUA_OUTBOX_RETRY_SECONDS``), at most
    an hour."""
    base = float(settings.MOTCUA_OUTBOX_RETRY_SECONDS)
    return timedelta(seconds=min(3600.0, base * 2 ** max(0, attempt - 1)))


@dataclass
class Report:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    untried: int = 0
    by_system: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def handled(self) -> int:
        return self.delivered + self.retried + self.failed

    def add(self, other: Report) -> None:
        self.delivered += other.delivered
        self.retried += other.retried
        self.failed += other.failed
        self.untried += other.untried
        for system, count in other.by_system.items():
            self.by_system[system] += count


def _claimable(now: datetime) -> Q:
    return (Q(status=OutboxStatus.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)))


def claim(system: str, limit: int, *, now: datetime | None = None) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages of ``system`` with a lease, in id order, skipping any group with a message
    that waits for a retry or is held by another worker.

    The groups so blocked are read first (few, as a rule: only messages in a retry or in flight) and left out by
    value, which keeps the claim an index scan of the pending messages whatever the planner knows of the table (a
    correlated ``EXISTS`` was planned badly right after a burst of inserts, before the table was analysed). With
    very many blocked groups (an outside system down for long) the ``EXISTS`` form is used instead."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=float(settings.MOTCUA_OUTBOX_LEASE_SECONDS))
    with transaction.atomic():
        waiting = (OutboxMessage.objects.filter(system=system, status=OutboxStatus.PENDING)
                   .exclude(ordering="").filter(Q(next_attempt_at__gt=now) | Q(claimed_until__gte=now))
                   .values_list("target", "ordering").distinct())
        blocked_groups = list(waiting[:BLOCKED_GROUPS_BY_VALUE + 1])
        candidates = OutboxMessage.objects.filter(_claimable(now), system=system)
        if len(blocked_groups) > BLOCKED_GROUPS_BY_VALUE:
            blocked = OutboxMessage.objects.filter(
                system=OuterRef("system"), target=OuterRef("target"), ordering=OuterRef("ordering"),
                id__lt=OuterRef("id"), status=OutboxStatus.PENDING,
            ).filter(Q(next_attempt_at__gt=now) | Q(claimed_until__gte=now))
            candidates = candidates.exclude(~Q(ordering="") & Exists(blocked))
        else:
            by_target: dict[str, list[str]] = defaultdict(list)
            for target, ordering in blocked_groups:
                by_target[target].append(ordering)
            for target, orderings in by_target.items():
                candidates = candidates.exclude(target=target, ordering__in=orderings)
        candidates = candidates.order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        OutboxMessage.objects.filter(pk__in=ids).update(claimed_until=lease)
    return list(OutboxMessage.objects.filter(pk__in=ids).order_by("id"))


def deliver_due(*, systems: Iterable[str] | None = None, now: datetime | None = None) -> Report:
    """One turn of the outbox worker: a batch per system, delivered by its handler, outcomes recorded."""
    report = Report()
    for system in list(systems) if systems is not None else list(_HANDLERS):
        registration = _HANDLERS.get(system)
        if registration is None:
            continue
        batch = claim(system, registration.batch, now=now)
        if batch:
            report.add(_deliver(system, registration.handler, batch))
    return report


def drain(*, systems: Iterable[str] | None = None, rounds: int = 10_000) -> Report:
    """Deliver until nothing is due (tests, commands): turns of :func:`deliver_due` until one handles nothing."""
    total = Report()
    for _round in range(rounds):
        report = deliver_due(systems=systems)
        total.add(report)
        if not report.handled:
            break
    return total


def _deliver(system: str, handler: Handler, batch: list[OutboxMessage]) -> Report:
    report = Report()
    try:
        outcomes = handler(batch)
    except Exception as exc:  # a handler that breaks fails its whole batch, retried like any failure
        log.exception("outbox handler for %s failed on %s messages", system, len(batch))
        error = f"{type(exc).__name__}: {exc}"
        outcomes = {m.pk: Outcome(ok=False, error=error) for m in batch}
    now = timezone.now()
    max_attempts = max(1, int(settings.MOTCUA_OUTBOX_MAX_ATTEMPTS))
    delivered: list[OutboxMessage] = []
    for message in batch:
        outcome = outcomes.get(message.pk) or Outcome(ok=False, attempted=False)
        if not outcome.attempted:
            OutboxMessage.objects.filter(pk=message.pk).update(claimed_until=None)
            report.untried += 1
            continue
        message.attempts += 1
        message.claimed_until = None
        if outcome.ok:
            message.status, message.delivered_at, message.last_error = OutboxStatus.DELIVERED, now, ""
            message.response, message.next_attempt_at = outcome.response, None
            delivered.append(message)
            report.delivered += 1
            report.by_system[system] += 1
            continue
        message.last_error = outcome.error[:4000]
        if not outcome.retry or message.attempts >= max_attempts:
            message.status, message.next_attempt_at = OutboxStatus.FAILED, None
            report.failed += 1
            log.warning("outbox %s failed for good after %s attempts: %s", message, message.attempts,
                        message.last_error)
        else:
            message.next_attempt_at = now + backoff(message.attempts)
            report.retried += 1
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=message.attempts, claimed_until=None, last_error=message.last_error, status=message.status,
            next_attempt_at=message.next_attempt_at)
    if delivered:
        # one UPDATE per distinct (attempts, answer): a batch's answers are few (a CASE per row for a batch of
        # hundreds costs more to build than to run)
        same: dict[tuple[int, str], list[int]] = defaultdict(list)
        for message in delivered:
            same[(message.attempts, json.dumps(message.response, sort_keys=True))].append(message.pk)
        for (attempts, response), ids in same.items():
            OutboxMessage.objects.filter(pk__in=ids).update(
                status=OutboxStatus.DELIVERED, delivered_at=now, last_error="", response=json.loads(response),
                next_attempt_at=None, attempts=attempts, claimed_until=None)
        dossiers = sorted({m.dossier_id for m in delivered if m.dossier_id is not None})
        try:
            messages_delivered.send(sender=OutboxMessage, system=system, dossier_ids=dossiers)
        except Exception:  # a listener's failure never undoes a delivery (the facts catch up later)
            log.exception("messages_delivered listener failed for %s", system)
    return report


def replay(messages: Iterable[OutboxMessage]) -> int:
    """Send failed (or stuck pending) messages again: back to pending, due now, attempts counted from zero."""
    ids = [m.pk for m in messages if m.status in (OutboxStatus.FAILED, OutboxStatus.PENDING)]
    return OutboxMessage.objects.filter(pk__in=ids).exclude(status=OutboxStatus.DELIVERED).update(
        status=OutboxStatus.PENDING, attempts=0, next_attempt_at=None, claimed_until=None)


def remote_code(system: str, kind: str, local: str, default: str | None = None) -> str:
    """Our ``local`` code of ``kind`` in ``system``'s codes: the admin's mapping row, else ``default``, else the
    local code itself. Reads the whole (small) table of ``system`` once per process turn (:func:`mapping`)."""
    found = mapping(system, kind).get(str(local))
    if found is not None:
        return found
    return str(local) if default is None else default


def mapping(system: str, kind: str) -> dict[str, str]:
    """The mapping rows of one system and kind, ``{local: remote}`` (one query)."""
    return dict(CodeMapping.objects.filter(system=system, kind=kind).values_list("local_code", "remote_code"))


def local_code(system: str, kind: str, remote: str) -> str | None:
    """The reverse: our code for ``system``'s ``remote`` code, or ``None``."""
    row = CodeMapping.objects.filter(system=system, kind=kind, remote_code=remote).values_list(
        "local_code", flat=True).first()
    return row
