"""The reporting facts (issue 13): built from the event log after each action, equal to a rebuild."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import transaction
from django.db.models import Sum

from motcua.dossiers import events as dossier_events
from motcua.dossiers import services as dossier_services
from motcua.dossiers.models import Dossier
from motcua.dossiers.statuses import EventKind
from motcua.payments import services as payment_services
from motcua.payments.gateways.sandbox import SandboxGateway
from motcua.signing.models import Purpose
from motcua.stats import rollup, services
from motcua.stats.models import Cursor, DailyRollup, DossierFact, EndedBy, Outcome, StepFact
from tests.factories import MONDAY, World, act, at, issue, pay, pdf_bytes, receive, returned, through_processing
from tests.pki import DEMO_PIN, DemoPki

pytestmark = pytest.mark.django_db(transaction=True)


def _rollup() -> list[tuple]:
    fields = [f.attname for f in DailyRollup._meta.concrete_fields if f.attname != "id"]
    return sorted(DailyRollup.objects.values_list(*fields))


def test_a_returned_dossier_has_its_fact_steps_and_rollup_and_a_rebuild_changes_nothing() -> None:
    world = World()
    dossier = returned(world, receive(world))
    fact = DossierFact.objects.get(pk=dossier.pk)
    assert fact.outcome == Outcome.EARLY and fact.ended_by == "handled"
    assert fact.event_count == dossier.event_count
    assert StepFact.objects.filter(dossier_id=dossier.pk).count() >= 4
    late = receive(world, MONDAY + timedelta(hours=1))
    act(world, late, "request_supplement", "tiepnhan", MONDAY + timedelta(hours=2),
        missing=[{"document": "Tờ khai", "reason": "thiếu chữ ký"}])
    before = _rollup()
    assert before
    assert services.rebuild() [0] == DossierFact.objects.count()
    assert _rollup() == before


# --- the index's rules, one case each (World: a 5-working-day procedure received on Monday 16 Nov 2026 09:00,
#     due Monday 23 Nov 09:00; its fee 30,000 đ) -----------------------------------------------------------------

MISSING = [{"document": "Tờ khai", "reason": "thiếu chữ ký"}]


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


def fact_of(dossier: Dossier) -> DossierFact:
    return DossierFact.objects.get(pk=dossier.pk)


def rolled(**filters: Any) -> dict[str, int]:
    """The roll-up's columns summed over the rows matching ``filters``."""
    totals = DailyRollup.objects.filter(**filters).aggregate(**{c: Sum(c) for c in rollup.COLUMNS})
    return {c: int(v or 0) for c, v in totals.items()}


def assert_rebuild_agrees() -> None:
    """The incremental facts, step facts and roll-up are what a rebuild from the event logs makes."""
    before = tables()
    services.rebuild()
    assert tables() == before


def tables() -> tuple[list[tuple], list[tuple], list[tuple]]:
    def rows(model: Any, exclude: tuple[str, ...] = ("id",)) -> list[tuple]:
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in exclude]
        return sorted(model.objects.values_list(*fields), key=repr)
    return rows(DossierFact), rows(StepFact), rows(DailyRollup)


def handled(world: World, dossier: Dossier, start: datetime) -> Dossier:
    return through_processing(world, dossier, start)


def test_handled_after_the_due_date_is_late_and_ends_when_the_result_is_ready_not_when_returned() -> None:
    world = World()
    dossier = receive(world)
    dossier = through_processing(world, dossier, at(24, 9))  # issued Tuesday 24th 12:00, due Monday 23rd 09:00
    fact = fact_of(dossier)
    assert fact.ended_by == EndedBy.HANDLED and fact.outcome == Outcome.LATE
    assert fact.ended_at == at(24, 12) and fact.ended_on == date(2026, 11, 24)
    assert fact.due_at == at(23, 9)
    pay(dossier, world.actor("tiepnhan"), at(26, 9))
    dossier = act(world, dossier, "return_result", "tiepnhan", at(26, 10), delivery="counter", recipient="An")
    fact = fact_of(dossier)
    assert fact.ended_at == at(24, 12) and fact.closed_at == at(26, 10) and fact.status == "returned"
    assert rolled(day=date(2026, 11, 24))["late"] == 1 and rolled(day=date(2026, 11, 26))["ended"] == 0
    assert rolled(day=date(2026, 11, 16))["received"] == 1
    assert_rebuild_agrees()


def test_early_and_on_time() -> None:
    world = World()
    early = through_processing(world, receive(world), at(17, 9))
    on_time = through_processing(world, receive(world), at(23, 7, 30))  # issued 10:30 on the due day, after 09:00
    assert fact_of(early).outcome == Outcome.EARLY
    assert fact_of(on_time).outcome == Outcome.LATE  # the due moment is 09:00
    in_time = through_processing(world, receive(world, at(16, 10)), at(23, 7))  # due 23rd 10:00, issued 10:00
    assert fact_of(in_time).outcome == Outcome.ON_TIME
    totals = rolled()
    assert (totals["early"], totals["on_time"], totals["late"], totals["ended"]) == (1, 1, 1, 3)
    assert_rebuild_agrees()


def test_a_dossier_refused_after_acceptance_ends_on_the_refusal_and_one_refused_at_reception_never_counts() -> None:
    world = World()
    dossier = act(world, receive(world), "refuse", "tiepnhan", at(17, 9), reasons="Không đủ điều kiện")
    fact = fact_of(dossier)
    assert fact.ended_by == EndedBy.REFUSED and fact.ended_at == at(17, 9) and fact.outcome == Outcome.EARLY
    at_reception = receive(world, receive=False)
    at_reception = act(world, at_reception, "refuse", "tiepnhan", at(16, 10), reasons="Sai thẩm quyền")
    fact = fact_of(at_reception)
    assert fact.received_at is None and fact.ended_at is None and fact.outcome == ""
    totals = rolled()
    assert totals["received"] == 1 and totals["refused"] == 1 and totals["ended"] == 1
    assert_rebuild_agrees()


def test_a_pending_single_supplement_ends_on_its_request_date_and_its_return_restarts_the_clock() -> None:
    world = World()
    dossier = act(world, receive(world), "transfer", "tiepnhan", at(16, 10))
    dossier = act(world, dossier, "request_supplement", "chuyenvien", at(17, 9), missing=MISSING)
    fact = fact_of(dossier)
    assert fact.ended_by == EndedBy.SUPPLEMENT and fact.ended_at == at(17, 9) and fact.outcome == Outcome.EARLY
    assert fact.supplements == 1 and rolled(day=date(2026, 11, 17))["ended"] == 1
    # the complete supplement comes back a week later: the dossier is open again, due 5 working days later
    dossier = act(world, dossier, "supplement", "tiepnhan", at(24, 9))
    fact = fact_of(dossier)
    assert fact.ended_at is None and fact.outcome == "" and fact.due_at == dossier.due_at
    assert dossier.due_at > at(24, 9) + timedelta(days=5)
    assert rolled(day=date(2026, 11, 17))["ended"] == 0
    # handled after the first due date but before the restarted one: on time (the citizen's time subtracted)
    dossier = act(world, dossier, "forward", "chuyenvien", at(25, 9))
    dossier = act(world, dossier, "approve", "lanhdao", at(25, 10))
    dossier = issue(world, dossier, at(26, 9))
    fact = fact_of(dossier)
    assert fact.ended_by == EndedBy.HANDLED and fact.outcome == Outcome.EARLY and fact.supplements == 1
    # handling time: Mon 09:00 → Tue 09:00 (1 day) + Tue 24 (Vietnam Cultural Day, a holiday) → Thu 26 09:00
    # (1 day and 1.5 of 8 hours); the week waited is not
    assert fact.handling_days == Decimal("2.19")
    assert_rebuild_agrees()


def test_more_than_one_supplement_request_is_late_whatever_the_dates() -> None:
    world = World()
    dossier = receive(world, receive=False)
    dossier = act(world, dossier, "request_supplement", "tiepnhan", at(16, 9, 30), missing=MISSING)
    dossier = act(world, dossier, "supplement", "tiepnhan", at(16, 10), received=[1])
    dossier = act(world, dossier, "receive", "tiepnhan", at(16, 10, 30))
    dossier = act(world, dossier, "transfer", "tiepnhan", at(16, 11))
    dossier = act(world, dossier, "request_supplement", "chuyenvien", at(16, 14), missing=MISSING)
    fact = fact_of(dossier)
    assert fact.supplements == 2 and fact.ended_at is None  # two requests: not "its only supplement"
    dossier = act(world, dossier, "supplement", "tiepnhan", at(17, 9))
    dossier = act(world, dossier, "forward", "chuyenvien", at(17, 10))
    dossier = act(world, dossier, "approve", "lanhdao", at(17, 11))
    dossier = issue(world, dossier, at(17, 14))
    fact = fact_of(dossier)
    assert fact.outcome == Outcome.LATE and fact.ended_at < fact.due_at
    assert rolled()["late"] == 1
    assert_rebuild_agrees()


def test_an_apology_is_late_even_when_handled_before_the_new_date() -> None:
    world = World()
    dossier = act(world, receive(world), "transfer", "tiepnhan", at(16, 10))
    dossier = act(world, dossier, "apologize", "chuyenvien", at(20, 9), reason="Chờ xác minh",
                  new_due_at=at(27, 9).isoformat())
    dossier = through_rest(world, dossier, at(20, 10))
    fact = fact_of(dossier)
    assert fact.apologized and fact.outcome == Outcome.LATE and fact.ended_at < fact.due_at
    assert_rebuild_agrees()


def through_rest(world: World, dossier: Dossier, start: datetime) -> Dossier:
    dossier = act(world, dossier, "forward", "chuyenvien", start)
    dossier = act(world, dossier, "approve", "lanhdao", start + timedelta(hours=1))
    return issue(world, dossier, start + timedelta(hours=2))


def test_a_pause_moves_the_due_dates_and_is_not_handling_time() -> None:
    world = World()
    dossier = act(world, receive(world), "transfer", "tiepnhan", at(16, 10))
    dossier = act(world, dossier, "pause", "chuyenvien", at(17, 9), kind="verification", reason="Xác minh")
    dossier = act(world, dossier, "resume", "chuyenvien", at(24, 9))  # 5 working days paused
    step = StepFact.objects.get(dossier_id=dossier.pk, step=1)
    assert step.due_at == dossier.step_due_at and step.ended_at is None
    dossier = through_rest(world, dossier, at(26, 9))  # after the first due date, before the moved one
    fact = fact_of(dossier)
    # paused Tue 17 09:00 → Tue 24 (a holiday): 38.5 working hours, added to Mon 23 09:00
    assert fact.outcome == Outcome.EARLY and fact.due_at == at(30, 17)
    # Mon 16 09:00 → Thu 26 11:00 is 58 working hours, less the 38.5 paused: 19.5 hours of 8
    assert fact.handling_days == Decimal("2.44")
    step = StepFact.objects.get(dossier_id=dossier.pk, step=1)
    assert step.outcome == Outcome.LATE  # 2 working days from Mon 10:00, moved by the pause: Wed 25 10:00
    assert_rebuild_agrees()


def test_an_unfinished_dossier_counts_only_on_its_reception_day_and_a_withdrawn_one_never_ends() -> None:
    world = World()
    receive(world)
    withdrawn = act(world, receive(world), "withdraw", "tiepnhan", at(17, 9), reason="Người nộp rút")
    fact = fact_of(withdrawn)
    assert fact.withdrawn and fact.ended_at is None and fact.closed_at == at(17, 9)
    totals = rolled()
    assert totals["received"] == 2 and totals["ended"] == 0
    assert_rebuild_agrees()


def test_flags_paid_online_and_fee_digitized_and_the_channel(media: Path) -> None:
    world = World()
    online = receive(world)
    pay_online(world, online, at(16, 10))
    cash = receive(world)
    pay(cash, world.actor("tiepnhan"), at(16, 10))
    services_attach = dossier_services.attach
    services_attach(cash.code, actor=world.actor("tiepnhan"), file=io.BytesIO(pdf_bytes("tờ khai")),
                    name="to-khai.pdf", kind="scan", component=1, now=at(16, 11))
    first, second = fact_of(online), fact_of(cash)
    assert first.has_fee and first.paid_online and not first.digitized
    assert second.has_fee and not second.paid_online and second.digitized and not second.reused
    assert not first.certified and not first.electronic_result
    assert first.synced is None and first.identity_verified is None  # sources of issue 14: no data yet
    totals = rolled()
    assert (totals["with_fee"], totals["paid_online"], totals["digitized"]) == (2, 1, 1)
    assert totals["received_online"] == 0 and totals["eligible"] == 2  # the World's procedure is full online
    assert_rebuild_agrees()


def pay_online(world: World, dossier: Dossier, now: datetime) -> None:
    """The fee paid through the sandbox gateway (the payment's order, then the gateway's signed success)."""
    payment = payment_services.start_payment(code=dossier.code, user=world.users["tiepnhan"],
                                             return_url="http://testserver/", client_ip="127.0.0.1", locale="vn",
                                             now=now)
    request = dict(parse_qsl(urlsplit(payment.redirect_url).query))
    answer = SandboxGateway().result_params(request, "pay", now)
    received = payment_services.receive_notice(params=answer, now=now)
    assert received.payment is not None and received.payment.status == "paid"


def test_step_visits_with_agency_officer_due_and_outcome() -> None:
    world = World()
    dossier = act(world, receive(world), "transfer", "tiepnhan", at(16, 10))
    dossier = act(world, dossier, "assign", "chuyenvien2", at(16, 11), assignee="chuyenvien2")
    dossier = act(world, dossier, "forward", "chuyenvien2", at(19, 9))  # due Wed 18th 10:00: late
    dossier = act(world, dossier, "send_back", "lanhdao", at(19, 10), to_step=1, reason="Bổ sung thẩm định")
    dossier = act(world, dossier, "forward", "chuyenvien", at(19, 11))
    dossier = act(world, dossier, "approve", "lanhdao", at(19, 14))
    dossier = issue(world, dossier, at(19, 15))
    visits = list(StepFact.objects.filter(dossier_id=dossier.pk).order_by("visit"))
    assert [v.step for v in visits] == [0, 1, 2, 1, 2, 3, 4]
    reception, first, _, again = visits[:4]
    assert reception.agency_id == world.commune.pk and reception.officer_id == world.users["tiepnhan"].pk
    assert reception.started_at == at(16, 9) and reception.ended_at == at(16, 10)
    assert first.agency_id == world.committee.pk and first.officer_id == world.users["chuyenvien2"].pk
    assert first.due_at == at(18, 10) and first.outcome == Outcome.LATE and first.role == "processing"
    assert again.officer_id == world.users["chuyenvien"].pk and again.outcome == Outcome.EARLY
    assert visits[-1].ended_at is None and visits[-1].role == "reception"  # the result waits to be returned
    assert_rebuild_agrees()


def test_a_supplement_request_ends_the_step_visit_and_an_inter_agency_transfer_starts_one() -> None:
    world = World()
    dossier = act(world, receive(world), "transfer", "tiepnhan", at(16, 10))
    dossier = act(world, dossier, "request_supplement", "chuyenvien", at(16, 14), missing=MISSING)
    dossier = act(world, dossier, "supplement", "tiepnhan", at(20, 9))
    dossier = act(world, dossier, "transfer", "chuyenvien", at(20, 10), agency=world.justice.identifier_code)
    visits = list(StepFact.objects.filter(dossier_id=dossier.pk).order_by("visit"))
    assert [(v.step, v.agency_id) for v in visits] == [
        (0, world.commune.pk), (1, world.committee.pk), (1, world.committee.pk), (1, world.justice.pk)]
    assert visits[1].ended_at == at(16, 14) and visits[1].outcome == Outcome.EARLY  # not the citizen's 4 days
    assert visits[2].started_at == at(20, 9) and visits[2].ended_at == at(20, 10)
    assert visits[3].due_at == visits[2].due_at and visits[3].ended_at is None
    assert_rebuild_agrees()


def test_a_digitally_signed_result_is_an_electronic_result_and_a_hand_signed_one_is_not(
        demo_pki: DemoPki, media: Path) -> None:
    world = World(signed_results=True)
    demo_pki.identity("lanhdao", user=world.users["lanhdao"])
    demo_pki.identity("ubnd-haiha", purpose=Purpose.SEAL, agency=world.committee)
    dossier = act(world, receive(world), "transfer", "tiepnhan", at(16, 10))
    dossier = act(world, dossier, "forward", "chuyenvien", at(16, 11))
    dossier = act(world, dossier, "approve", "lanhdao", at(16, 14))
    dossier = dossier_services.issue_result(dossier.code, actor=world.actor("lanhdao"), pin=DEMO_PIN,
                                            file=io.BytesIO(pdf_bytes()), name="kq.pdf", now=at(16, 15))
    fact = fact_of(dossier)
    assert fact.electronic_result and fact.ended_by == EndedBy.HANDLED
    assert rolled(day=date(2026, 11, 16))["electronic_result"] == 1
    assert_rebuild_agrees()


def test_a_batch_of_events_recorded_together_refreshes_its_dossiers_in_one_build() -> None:
    """``events.record_many`` (a carrier's batch of updates) sends one ``events_recorded`` for the batch: every
    dossier of it has its facts built from its last event, and the roll-up still equals a rebuild."""
    world = World()
    first, second = receive(world), receive(world, MONDAY + timedelta(minutes=5))
    with transaction.atomic():
        locked = list(Dossier.objects.select_for_update().filter(pk__in=[first.pk, second.pk]).order_by("pk"))
        dossier_events.record_many([(d, EventKind.SHIPMENT, {"actor": "carrier", "at": MONDAY + timedelta(hours=1),
                                                             "data": {"status": "test"}}) for d in locked],
                                   notify=False)
    for dossier in Dossier.objects.filter(pk__in=[first.pk, second.pk]):
        assert DossierFact.objects.get(pk=dossier.pk).event_count == dossier.event_count
    assert_rebuild_agrees()


def test_in_follow_mode_actions_leave_the_facts_to_the_catch_up_which_rereads_events_behind_its_cursor(
        settings: Any) -> None:
    """``MOTCUA_STATS_REFRESH=follow`` (what ``motcua serve`` sets): an action builds no fact; the follower's catch-up
    does. An event numbered before the cursor but committed after it (set here by moving the cursor past it) is
    found again by the re-read window, and only without the window is it passed over."""
    settings.MOTCUA_STATS_REFRESH = "follow"
    world = World()
    dossier = receive(world)
    assert not DossierFact.objects.filter(pk=dossier.pk).exists()
    assert services.catch_up() == 1
    assert fact_of(dossier).event_count == dossier.event_count
    act(world, dossier, "transfer", "tiepnhan", MONDAY + timedelta(hours=1))
    last = Cursor.objects.get(name=services.CATCH_UP).last_event_id
    Cursor.objects.filter(name=services.CATCH_UP).update(last_event_id=last + 1000)  # as if passed over
    assert services.catch_up(recheck=0) == 0
    assert services.catch_up(recheck=2000) == 1
    dossier.refresh_from_db()
    assert fact_of(dossier).event_count == dossier.event_count
    assert services.catch_up(recheck=2000) == 0  # nothing behind: nothing rebuilt
    assert_rebuild_agrees()
