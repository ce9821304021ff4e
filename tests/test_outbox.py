"""The outbox's core (integrations.outbox): written with the event or not at all, delivered in order per group,
retried with backoff, failed for good after the limit, replayed, and never lost when a worker dies mid-send."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from motcua.integrations import outbox
from motcua.integrations.models import OutboxMessage, OutboxStatus

pytestmark = pytest.mark.django_db

SYSTEM = "test"


@pytest.fixture
def handler():
    calls: list[list[int]] = []
    plan: dict[str, outbox.Outcome] = {}

    def deliver(batch):
        calls.append([m.pk for m in batch])
        return {m.pk: plan.get(m.key, outbox.Outcome(ok=True, response={"echo": m.key})) for m in batch}

    outbox.register(SYSTEM, deliver, batch=50)
    yield calls, plan
    outbox._HANDLERS.pop(SYSTEM, None)


def _message(key: str, ordering: str = "") -> outbox.Message:
    return outbox.Message(system=SYSTEM, kind="ping", key=key, ordering=ordering, payload={"k": key})


def test_a_key_is_written_once_and_delivered_once(handler):
    calls, _plan = handler
    with transaction.atomic():
        assert outbox.enqueue(_message("a")) is not None
        assert outbox.enqueue(_message("a")) is None  # the retried action's message: kept once
        assert len(outbox.enqueue_many([_message("a"), _message("b")])) == 1
    report = outbox.drain(systems=[SYSTEM])
    assert report.delivered == 2
    assert outbox.drain(systems=[SYSTEM]).handled == 0
    assert sorted(OutboxMessage.objects.values_list("status", flat=True)) == [OutboxStatus.DELIVERED] * 2
    assert OutboxMessage.objects.get(key="a").response == {"echo": "a"}


def test_rolled_back_action_leaves_no_message():
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue(_message("lost"))
        raise RuntimeError
    assert not OutboxMessage.objects.exists()


@override_settings(MOTCUA_OUTBOX_RETRY_SECONDS=10, MOTCUA_OUTBOX_MAX_ATTEMPTS=3)
def test_a_failure_waits_with_backoff_then_fails_for_good_and_can_be_replayed(handler):
    _calls, plan = handler
    plan["x"] = outbox.Outcome(ok=False, error="down")
    outbox.enqueue(_message("x", ordering="d1"))
    outbox.enqueue(_message("y", ordering="d1"))  # same group: waits behind x
    outbox.enqueue(_message("z", ordering="d2"))  # another group: goes on
    report = outbox.deliver_due(systems=[SYSTEM])
    x = OutboxMessage.objects.get(key="x")
    assert (x.status, x.attempts, x.last_error) == (OutboxStatus.PENDING, 1, "down")
    assert timedelta(seconds=9) < x.next_attempt_at - timezone.now() <= timedelta(seconds=10)
    # y went out in x's batch (the handler decides for a group); z was delivered
    assert report.retried == 1 and OutboxMessage.objects.get(key="z").status == OutboxStatus.DELIVERED
    # while x waits for its retry, a new message of its group waits too
    outbox.enqueue(_message("w", ordering="d1"))
    outbox.deliver_due(systems=[SYSTEM])
    assert OutboxMessage.objects.get(key="w").status == OutboxStatus.PENDING
    later = timezone.now() + timedelta(hours=2)
    outbox.deliver_due(systems=[SYSTEM], now=later)
    outbox.deliver_due(systems=[SYSTEM], now=later + timedelta(hours=2))
    x.refresh_from_db()
    assert (x.status, x.attempts) == (OutboxStatus.FAILED, 3)
    plan.pop("x")
    assert outbox.replay(OutboxMessage.objects.filter(key="x")) == 1
    outbox.drain(systems=[SYSTEM])
    assert OutboxMessage.objects.get(key="x").status == OutboxStatus.DELIVERED


def test_a_worker_that_died_leaves_a_lease_that_runs_out(handler):
    calls, _plan = handler
    outbox.enqueue(_message("m"))
    assert [m.key for m in outbox.claim(SYSTEM, 10)] == ["m"]  # claimed, then the worker "dies"
    assert outbox.claim(SYSTEM, 10) == []  # held by the lease
    later = timezone.now() + timedelta(minutes=5)
    assert outbox.deliver_due(systems=[SYSTEM], now=later).delivered == 1
    assert OutboxMessage.objects.get(key="m").status == OutboxStatus.DELIVERED


def test_a_broken_handler_fails_its_batch_softly():
    def broken(batch):
        raise ValueError("garbage")

    outbox.register(SYSTEM, broken)
    try:
        outbox.enqueue(_message("g"))
        report = outbox.deliver_due(systems=[SYSTEM])
    finally:
        outbox._HANDLERS.pop(SYSTEM, None)
    message = OutboxMessage.objects.get(key="g")
    assert report.retried == 1 and "garbage" in message.last_error and message.status == OutboxStatus.PENDING


def test_a_group_waiting_for_a_retry_does_not_starve_the_others(handler):
    _calls, plan = handler
    plan["a0"] = outbox.Outcome(ok=False, error="down")
    outbox.enqueue_many([_message(f"a{i}", ordering="A") for i in range(120)])
    outbox.enqueue(_message("b0", ordering="B"))
    outbox.deliver_due(systems=[SYSTEM])  # a0 fails (a1…a49 were in its batch: the handler delivered them)
    outbox.enqueue_many([_message(f"a-late{i}", ordering="A") for i in range(120)])
    outbox.enqueue(_message("b1", ordering="B"))
    claimed = outbox.claim(SYSTEM, 50)
    assert [m.key for m in claimed] == ["b0", "b1"]  # A's messages wait behind a0, B goes on
