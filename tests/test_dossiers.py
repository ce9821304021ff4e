"""The dossier lifecycle through the service layer: codes, the five steps, the rules of law, deadlines, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from motcua.core.calendar import VN_TZ
from motcua.core.errors import MotCuaError, NotFound, ValidationFailed
from motcua.dossiers import audit, selectors, services
from motcua.dossiers.machine import ActionRefused, Forbidden
from motcua.dossiers.models import Dossier, DossierCounter, Event
from motcua.dossiers.rules import RuleBroken
from motcua.dossiers.services import Conflict
from motcua.dossiers.statuses import Status
from tests.factories import (
    APPLICANT,
    MONDAY,
    World,
    act,
    at,
    event_triggers_dropped,
    issue,
    pay,
    receive,
    through_processing,
)


def test_counter_reception_gives_code_due_date_and_plan(world: World) -> None:
    dossier = receive(world)
    assert dossier.code == "000.01.20.H22-261116-0001"
    assert dossier.status == Status.RECEIVED and dossier.national_status == 2
    assert dossier.rules_version == "118/2025"
    # 5 working days from Monday 09:00 → the next Monday 09:00
    assert dossier.due_at == at(23, 9)
    # the plan has real agencies: reception and return at the point, the rest at the People's Committee
    assert [s["agency"] for s in dossier.plan] == [world.commune.pk] + [world.committee.pk] * 3 + [world.commune.pk]
    assert dossier.fee_total == 30000
    second = receive(world, MONDAY + timedelta(minutes=5))
    assert second.code.endswith("-0002")
    other_point = services.create_dossier(actor=world.actor("buudien"), now=MONDAY, data={
        "procedure": "1.000894", "channel": "post_office", "applicant": APPLICANT,
        "components": [{"order": 1, "originals": 1}]})[0]
    assert other_point.code == "000.91.30.H22-261116-0001"
    assert other_point.current_role == "postal"


def test_full_lifecycle_returns_on_time_and_the_log_verifies(world: World) -> None:
    dossier = receive(world)
    dossier = act(world, dossier, "transfer", "tiepnhan", MONDAY + timedelta(minutes=30))
    assert dossier.status == Status.IN_PROGRESS and dossier.current_agency_id == world.committee.pk
    assert dossier.step_due_at == at(18, 9, 30)  # the 2-day step
    dossier = act(world, dossier, "assign", "chuyenvien", at(16, 10), assignee="chuyenvien")
    dossier = act(world, dossier, "forward", "chuyenvien", at(17, 10))
    assert dossier.current_role == "leader"
    dossier = act(world, dossier, "approve", "lanhdao", at(17, 11))
    assert dossier.status == Status.AWAITING_SIGNATURE and dossier.national_status == 4
    dossier = issue(world, dossier, at(18, 14))
    assert dossier.status == Status.RESULT_READY and dossier.national_status == 9
    pay(dossier, world.actor("tiepnhan"), at(19, 7))
    dossier = act(world, dossier, "return_result", "tiepnhan", at(19, 8), delivery="counter",
                  recipient="Nguyễn Văn An")
    assert dossier.status == Status.RETURNED and dossier.national_status == 10
    assert dossier.timeliness == "early"
    actions = list(Event.objects.filter(dossier=dossier).values_list("action", flat=True))
    assert actions == ["submit", "receive", "transfer", "assign", "forward", "approve", "attach", "issue_result",
                       "payment", "return_result"]
    assert list(audit.verify_all()) == []
    # the row is a projection: replaying the events gives it back
    assert audit.rebuild(Event.objects.filter(dossier=dossier)) == audit.snapshot(Dossier.objects.get(pk=dossier.pk))


def test_bad_input_writes_nothing(world: World) -> None:
    bad = [
        ({"applicant": {**APPLICANT, "id_number": "12345"}}, "invalid_citizen_id"),
        ({"applicant": {**APPLICANT, "id_number": "999090001234"}}, "invalid_citizen_id"),
        ({"applicant": {**APPLICANT, "kind": "organization", "id_number": "0100112438"}}, "invalid_tax_code"),
        ({"applicant": {**APPLICANT, "phone": "12"}}, "invalid_phone"),
        ({"components": []}, "missing_required_component"),
        ({"components": [{"order": 9}]}, "unknown_component"),
        ({"delivery": "post"}, "address_required"),
    ]
    for overrides, code in bad:
        with pytest.raises(ValidationFailed) as caught:
            receive(world, **overrides)
        assert code in [e.code for e in caught.value.errors], code
        assert all(e.messages()["vi"] and e.messages()["en"] for e in caught.value.errors)
    with pytest.raises(NotFound):
        receive(world, procedure="9.999999")
    with pytest.raises(MotCuaError) as caught_agency:
        receive(world, receiving_agency="000.00.02.H22")
    assert caught_agency.value.code == "not_a_service_point"
    assert Dossier.objects.count() == 0 and Event.objects.count() == 0
    # a valid organization with a real tax code (check digit) goes through, and takes number 0001: no gap
    dossier = receive(world, applicant={**APPLICANT, "kind": "organization", "id_number": "0100112437"})
    assert dossier.code.endswith("-0001")


def test_who_may_act(world: World) -> None:
    dossier = receive(world)
    with pytest.raises(Forbidden):
        act(world, dossier, "transfer", "tuphap", MONDAY)  # another agency
    dossier = act(world, dossier, "transfer", "tiepnhan", MONDAY)
    with pytest.raises(Forbidden):
        act(world, dossier, "forward", "tiepnhan", MONDAY)  # the dossier left the one-stop point
    with pytest.raises(Forbidden):
        act(world, dossier, "approve", "lanhdao", MONDAY)  # a leader can't do the processing step's work
    with pytest.raises(ActionRefused) as refused:
        act(world, dossier, "return_result", "tiepnhan", MONDAY, delivery="counter", recipient="A")
    assert refused.value.status == 409
    # assignment narrows the step to one officer; a colleague can't take it, a leader can assign
    dossier = act(world, dossier, "assign", "chuyenvien", MONDAY, assignee="chuyenvien")
    with pytest.raises(Forbidden):
        act(world, dossier, "forward", "chuyenvien2", MONDAY)
    with pytest.raises(Forbidden):
        act(world, dossier, "assign", "chuyenvien2", MONDAY, assignee="chuyenvien")
    dossier = act(world, dossier, "assign", "lanhdao", MONDAY, assignee="chuyenvien2")
    dossier = act(world, dossier, "forward", "chuyenvien2", MONDAY)
    assert dossier.current_role == "leader"


def test_supplement_rules(world: World) -> None:
    # at reception: one complete request, then the dossier waits; a second request is refused
    dossier = receive(world, receive=False)
    assert dossier.status == Status.SUBMITTED
    missing = [{"document": "Tờ khai", "reason": "Chưa ký"}]
    dossier = act(world, dossier, "request_supplement", "tiepnhan", MONDAY, missing=missing)
    assert dossier.status == Status.SUPPLEMENT_REQUESTED and dossier.national_status == 5
    dossier = act(world, dossier, "supplement", "tiepnhan", at(17, 9))
    with pytest.raises(RuleBroken) as again:
        act(world, dossier, "request_supplement", "tiepnhan", at(17, 9), missing=missing)
    assert again.value.code == "supplement_already_requested"
    dossier = act(world, dossier, "receive", "tiepnhan", at(17, 10))
    assert dossier.due_at == at(24 + 1, 10)  # 5 working days; 24 Nov (Vietnam Cultural Day) is not one
    # after acceptance: within 3 working days, once; the clock restarts when the complete dossier returns
    dossier = act(world, dossier, "transfer", "tiepnhan", at(17, 10))
    dossier = act(world, dossier, "request_supplement", "chuyenvien", at(19, 16), missing=missing)
    assert dossier.supplements_after_acceptance == 1
    dossier = act(world, dossier, "supplement", "tiepnhan", at(20, 9))
    assert dossier.status == Status.IN_PROGRESS
    assert dossier.clock_started_at == at(20, 9) and dossier.due_at == at(30, 9)
    with pytest.raises(RuleBroken):
        act(world, dossier, "request_supplement", "chuyenvien", at(20, 10), missing=missing)


def test_late_supplement_request_is_refused(world: World) -> None:
    dossier = receive(world)
    dossier = act(world, dossier, "transfer", "tiepnhan", MONDAY)
    with pytest.raises(RuleBroken) as late:
        act(world, dossier, "request_supplement", "chuyenvien", at(19, 9, 1),
            missing=[{"document": "Tờ khai", "reason": "thiếu"}])
    assert late.value.code == "supplement_window_closed"
    assert "3" in late.value.messages()["vi"]


@pytest.mark.parametrize(
    ("received", "arrives"),
    [
        (at(16, 14, 59), at(16, 14, 59)),  # before 15:00: the same day
        (at(16, 15, 30), at(17, 7, 30)),  # after 15:00: the next working morning
        (at(20, 16, 0), at(23, 7, 30)),  # Friday afternoon: Monday morning
        (at(23, 16, 0), at(25, 7, 30)),  # Monday afternoon, and Tuesday 24 Nov is a holiday
        (at(21, 10, 0), at(23, 7, 30)),  # Saturday (e.g. a weekend reception): Monday morning
    ],
)
def test_paper_transfer_after_three_pm_moves_next_morning(world: World, received: datetime,
                                                         arrives: datetime) -> None:
    dossier = receive(world, received)
    dossier = act(world, dossier, "transfer", "tiepnhan", received)
    assert dossier.step_started_at == arrives
    assert Event.objects.get(dossier=dossier, action="transfer").data["arrives_at"] == arrives.astimezone(
        UTC).isoformat()


def test_online_dossier_moves_at_once_and_late_acknowledgement_is_flagged(world: World) -> None:
    citizen = world.actor("tiepnhan")
    dossier, _ = services.create_dossier(actor=citizen, now=at(16, 16), data={
        "procedure": "1.000894", "channel": "online", "receiving_agency": "000.01.20.H22", "applicant": APPLICANT,
        "delivery": "electronic"})
    assert dossier.status == Status.SUBMITTED and dossier.national_status == 1 and not dossier.paper
    assert dossier.due_at is None
    # 8 working hours from Monday 16:00 end on Tuesday 16:00; still waiting on Wednesday: flagged
    from motcua.dossiers import deadlines, rules

    deadline = rules.online_ack_deadline(dossier, deadlines.calendar())
    assert deadline == at(17, 16)
    assert not deadlines.ack_overdue(dossier, deadline, at(17, 15))
    assert deadlines.ack_overdue(dossier, deadline, at(18, 8))
    dossier = act(world, dossier, "receive", "tiepnhan", at(18, 8))
    assert Event.objects.get(dossier=dossier, action="receive").data["acknowledged_late"] is True
    dossier = act(world, dossier, "transfer", "tiepnhan", at(18, 16))
    assert dossier.step_started_at == at(18, 16)


def test_pause_stops_the_clock(world: World) -> None:
    dossier = receive(world)
    dossier = act(world, dossier, "transfer", "tiepnhan", MONDAY)
    due, step_due = dossier.due_at, dossier.step_due_at
    dossier = act(world, dossier, "pause", "chuyenvien", at(16, 10), kind="financial", reason="Chờ nộp thuế")
    assert dossier.national_status == 6
    dossier = act(world, dossier, "resume", "chuyenvien", at(17, 10))  # one working day later
    assert dossier.status == Status.IN_PROGRESS
    assert dossier.due_at == at(24 + 1, 9) and due == at(23, 9)
    assert step_due is not None and dossier.step_due_at == at(19, 9)


def test_apology_once_before_due_and_still_late(world: World) -> None:
    dossier = receive(world)
    dossier = act(world, dossier, "transfer", "tiepnhan", MONDAY)
    with pytest.raises(RuleBroken) as not_later:
        act(world, dossier, "apologize", "chuyenvien", at(20, 9), new_due_at=at(20, 10).isoformat(), reason="x")
    assert not_later.value.code == "apology_date_not_later"
    dossier = act(world, dossier, "apologize", "chuyenvien", at(20, 9), new_due_at=at(27, 9).isoformat(),
                  reason="Cần xác minh thêm")
    assert dossier.apology_due_at == at(27, 9) and dossier.promised_at == at(27, 9)
    with pytest.raises(RuleBroken) as twice:
        act(world, dossier, "apologize", "chuyenvien", at(20, 10), new_due_at=at(30, 9).isoformat(), reason="x")
    assert twice.value.code == "apology_already_given"
    dossier = act(world, dossier, "forward", "chuyenvien", at(20, 11))
    dossier = act(world, dossier, "approve", "lanhdao", at(20, 11))
    dossier = issue(world, dossier, at(20, 14))
    pay(dossier, world.actor("tiepnhan"), at(20, 14))
    dossier = act(world, dossier, "return_result", "tiepnhan", at(20, 15), delivery="counter", recipient="An")
    assert dossier.timeliness == "late"  # an apology still counts as late


def test_apology_after_the_due_date_is_refused(world: World) -> None:
    dossier = receive(world)
    dossier = act(world, dossier, "transfer", "tiepnhan", MONDAY)
    with pytest.raises(RuleBroken) as late:
        act(world, dossier, "apologize", "chuyenvien", at(23, 10), new_due_at=at(30, 9).isoformat(), reason="x")
    assert late.value.code == "apology_too_late"


def test_send_back_inter_agency_transfer_refuse_and_withdraw(world: World) -> None:
    dossier = receive(world)
    dossier = act(world, dossier, "transfer", "tiepnhan", MONDAY)
    dossier = act(world, dossier, "forward", "chuyenvien", at(16, 10))
    dossier = act(world, dossier, "send_back", "lanhdao", at(16, 11), to_step=1, reason="Thiếu ý kiến")
    assert dossier.current_role == "processing" and dossier.step_index == 1
    with pytest.raises(MotCuaError):
        act(world, dossier, "send_back", "chuyenvien", at(16, 11), to_step=3, reason="x")
    # onward to another agency (inter-agency), which can then act and see it
    dossier = act(world, dossier, "transfer", "chuyenvien", at(16, 14), agency="000.00.02.H22")
    assert dossier.current_agency_id == world.justice.pk
    assert selectors.visible(world.actor("tuphap")).filter(pk=dossier.pk).exists()
    dossier = act(world, dossier, "refuse", "tuphap", at(16, 15), reasons="Không thuộc thẩm quyền")
    assert dossier.status == Status.REFUSED and dossier.national_status == 3
    other = receive(world)
    other = act(world, other, "withdraw", "tiepnhan", at(16, 16), reason="Công dân xin rút")
    assert other.status == Status.WITHDRAWN and other.national_status == 7
    with pytest.raises(ActionRefused):
        act(world, other, "transfer", "tiepnhan", at(16, 16))
    assert list(audit.verify_all()) == []


def test_result_must_exist_before_it_is_issued(world: World) -> None:
    dossier = receive(world)
    dossier = act(world, dossier, "transfer", "tiepnhan", MONDAY)
    dossier = act(world, dossier, "forward", "chuyenvien", MONDAY)
    dossier = act(world, dossier, "approve", "lanhdao", MONDAY)
    with pytest.raises(MotCuaError) as missing:
        act(world, dossier, "issue_result", "lanhdao", MONDAY)
    assert missing.value.code == "result_file_required"


def test_province_procedure_goes_to_its_department(world: World) -> None:
    dossier, _ = services.create_dossier(actor=world.actor("tiepnhan.tinh"), now=MONDAY, data={
        "procedure": "2.000488", "channel": "counter", "applicant": APPLICANT,
        "components": [{"order": 1, "originals": 1}]})
    assert dossier.code.startswith("000.00.01.H22-261116-")
    dossier = act(world, dossier, "transfer", "tiepnhan.tinh", MONDAY)
    assert dossier.current_agency_id == world.justice.pk
    assert [d.code for d in selectors.queue(world.actor("tuphap"), "todo", MONDAY)] == [dossier.code]
    assert list(selectors.queue(world.actor("chuyenvien"), "todo", MONDAY)) == []


def test_rules_are_versioned_by_effective_date(world: World) -> None:
    before = receive(world, datetime(2025, 6, 30, 9, tzinfo=VN_TZ))
    after = receive(world, datetime(2025, 7, 1, 9, tzinfo=VN_TZ))
    assert (before.rules_version, after.rules_version) == ("61/2018", "118/2025")


def test_stale_revision_is_a_conflict(world: World) -> None:
    dossier = receive(world)
    seen = dossier.revision
    services.perform(dossier.code, "transfer", actor=world.actor("tiepnhan"), revision=seen, now=MONDAY)
    with pytest.raises(Conflict) as conflict:
        services.perform(dossier.code, "assign", actor=world.actor("chuyenvien"), revision=seen,
                         params={"assignee": "chuyenvien"}, now=MONDAY)
    assert conflict.value.status == 409 and dossier.code in conflict.value.messages()["en"]


def test_queues_and_scoping(world: World) -> None:
    dossier = receive(world)
    assert [d.code for d in selectors.queue(world.actor("tiepnhan"), "todo", MONDAY)] == [dossier.code]
    assert list(selectors.visible(world.actor("tuphap"))) == []
    with pytest.raises(NotFound):
        selectors.get_for(world.actor("tuphap"), dossier.code)
    dossier = act(world, dossier, "transfer", "tiepnhan", MONDAY)
    assert [d.code for d in selectors.queue(world.actor("chuyenvien"), "todo", MONDAY)] == [dossier.code]
    assert list(selectors.queue(world.actor("lanhdao"), "todo", MONDAY)) == []  # not at a leader step yet
    assert [d.code for d in selectors.queue(world.actor("chuyenvien"), "overdue", at(23, 10))] == [dossier.code]
    assert [d.code for d in selectors.queue(world.actor("chuyenvien"), "due_soon", at(19, 10))] == [dossier.code]


def test_event_log_is_append_only_and_verify_audit_catches_tampering(world: World, capsys: Any) -> None:
    dossier = through_processing(world, receive(world), MONDAY)
    untouched = receive(world)
    call_command("verify_audit", "--quiet")
    assert "intact" in capsys.readouterr().out
    with pytest.raises(TypeError):
        Event.objects.filter(dossier=dossier).update(note="x")
    with pytest.raises(TypeError):
        Event.objects.filter(dossier=dossier).first().delete()  # type: ignore[union-attr]
    table = Event._meta.db_table

    def findings() -> str:
        with pytest.raises(SystemExit):
            call_command("verify_audit", "--quiet")
        return capsys.readouterr().out

    # the database itself refuses (a trigger): someone editing the log first drops it, as its owner may
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET note = 'sửa' WHERE dossier_id = %s AND seq = 3", [dossier.pk])  # noqa: S608
    with event_triggers_dropped():
        with connection.cursor() as cursor:  # someone edits a note in the database
            cursor.execute(f"UPDATE {table} SET note = 'sửa' WHERE dossier_id = %s AND seq = 3", [dossier.pk])  # noqa: S608
        assert f"{dossier.code}: event #3 (transfer) was altered" in findings()
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET note = '' WHERE dossier_id = %s AND seq = 3", [dossier.pk])  # noqa: S608
        call_command("verify_audit", "--quiet")
        capsys.readouterr()
        with connection.cursor() as cursor:  # the last event disappears
            cursor.execute(f"DELETE FROM {table} WHERE dossier_id = %s AND seq = %s",  # noqa: S608
                           [untouched.pk, untouched.event_count])
        assert f"{untouched.code}: the log ends at event #1" in findings()
        # the row no longer matches its events
        Dossier.objects.filter(pk=dossier.pk).update(due_at=at(30, 9))
        assert "differs from its events in: due_at" in findings()
        # a whole dossier deleted with its events leaves a hole in the day's numbers
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE dossier_id = %s", [untouched.pk])  # noqa: S608
        Dossier.objects.filter(pk=untouched.pk).delete()
        assert f"{untouched.code}: the number was issued but the dossier is gone" in findings()
        assert DossierCounter.objects.get().last == 2
