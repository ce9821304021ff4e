"""The leaders' supervision digests (issue 13): to every active leader and supervisor with an email, for their
scope, naming the overdue dossiers; sent once per day or week; due from the configured hour."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from motcua.core.calendar import VN_TZ
from motcua.dossiers.models import Dossier
from motcua.stats import digests
from motcua.stats.models import DigestKind, DigestSent
from tests.factories import World, act, receive
from tests.test_stats_board import States, refresh, supervisor

pytestmark = pytest.mark.django_db


@pytest.fixture
def states(world: World) -> States:
    supervisor(world)
    world.users["lanhdao"].email = "lanhdao@example.vn"
    world.users["lanhdao"].save(update_fields=["email"])
    return States(world, timezone.now())


def test_the_digest_names_the_overdue_dossiers_of_each_scope_and_is_sent_once(world: World, states: States
                                                                             ) -> None:
    assert digests.send_due(states.now) == 4  # daily and weekly, to the supervisor and the commune's leader
    by_user = {(m.to[0], "html" if m.alternatives else ""): m for m in mail.outbox}
    assert len(mail.outbox) == 4
    chief = [m for m in mail.outbox if m.to == ["giamsat@example.vn"]]
    leader = [m for m in mail.outbox if m.to == ["lanhdao@example.vn"]]
    assert len(chief) == len(leader) == 2 and by_user
    for message in chief:
        assert states.late.code in message.body and states.justice.code in message.body
        assert "1.000894" in message.body and "2.000488" in message.body
        assert states.late.code in message.alternatives[0][0]
        assert "Cán bộ chuyenvien" in message.body  # the officer it is assigned to
    for message in leader:  # a commune leader's digest stays in the commune
        assert states.late.code in message.body and states.justice.code not in message.body
    assert DigestSent.objects.filter(kind=DigestKind.DAILY).count() == 2
    assert DigestSent.objects.get(user=world.users["giamsat"], kind=DigestKind.DAILY).overdue == 2
    # once sent, never again for that day or week
    assert digests.send_due(states.now) == 0
    assert digests.send_due(states.now + timedelta(hours=1)) == 0
    assert len(mail.outbox) == 4


def test_no_email_no_role_no_digest(world: World) -> None:
    supervisor(world)
    world.users["chuyenvien"].email = "cv@example.vn"  # an officer: no digest
    world.users["chuyenvien"].save(update_fields=["email"])
    assert [u.username for u in digests.recipients()] == ["giamsat"]  # lanhdao has no email


def test_if_due_waits_for_the_hour_and_the_weekly_one_for_monday(world: World, settings: object) -> None:
    monday_early = datetime(2026, 11, 23, 6, 0, tzinfo=VN_TZ)
    monday = datetime(2026, 11, 23, 8, 0, tzinfo=VN_TZ)
    sunday = datetime(2026, 11, 22, 9, 0, tzinfo=VN_TZ)
    wednesday = datetime(2026, 11, 25, 9, 0, tzinfo=VN_TZ)  # the 24th is a day off in the calendar
    assert digests.due(monday_early, if_due=True) == []
    kinds = {kind: period.key for kind, period in digests.due(monday, if_due=True)}
    assert kinds == {DigestKind.DAILY: "2026-11-20", DigestKind.WEEKLY: "2026-W47"}  # Friday, last week
    assert [k for k, _ in digests.due(sunday, if_due=True)] == [DigestKind.WEEKLY]  # no daily on a day off
    # the previous working day, over a day off
    assert {k: p.key for k, p in digests.due(wednesday, if_due=True)}[DigestKind.DAILY] == "2026-11-23"


def test_the_command_sends_what_is_due(world: World) -> None:
    supervisor(world)
    dossier = act(world, receive(world, timezone.now() - timedelta(hours=1)), "transfer", "tiepnhan",
                  timezone.now() - timedelta(hours=1))
    Dossier.objects.filter(pk=dossier.pk).update(due_at=timezone.now() - timedelta(days=1))
    refresh()
    call_command("send_digests")
    assert len(mail.outbox) == 2 and all(dossier.code in m.body for m in mail.outbox)
    call_command("send_digests")
    assert len(mail.outbox) == 2
