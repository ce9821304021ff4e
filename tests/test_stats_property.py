"""Property-based: whatever happens to a few dossiers, in whatever order and at whatever times, the reporting
facts kept up to date after each event (``stats.receivers``) are exactly what a rebuild from the event logs makes
(``stats.services.rebuild``): every column of the dossier facts, the step visits and the daily roll-up.

Also: a refresh that never ran (the receiver down for one action) is made good by the catch-up, by
``motcua refresh_stats`` and by ``motcua rebuild_stats``.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from motcua.core.calendar import VN_TZ
from motcua.core.errors import MotCuaError
from motcua.dossiers import services as dossier_services
from motcua.dossiers.machine import available_actions
from motcua.dossiers.models import Dossier
from motcua.dossiers.signals import event_recorded
from motcua.payments import services as payment_services
from motcua.payments.gateways.sandbox import SandboxGateway
from motcua.payments.selectors import amount_due
from motcua.stats import receivers, services
from motcua.stats.models import DossierFact
from tests.factories import STAFF, World, pdf_bytes, receive
from tests.test_stats_facts import tables

pytestmark = pytest.mark.django_db(transaction=True)

START = datetime(2026, 10, 5, 8, 0, tzinfo=VN_TZ)
PEOPLE = sorted(STAFF)
ADVANCING = {"receive", "supplement", "transfer", "forward", "approve", "issue_result", "return_result", "resume"}
PHASES = [Phase.explicit, Phase.reuse, Phase.generate]  # shrinking against a database takes minutes


def params_for(action: str, dossier: Dossier, data: Any) -> dict[str, Any]:
    reason = {"reason": "Lý do kiểm thử"}
    if action == "request_supplement":
        return {"missing": [{"document": "Tờ khai", "reason": "Chưa ký"}]}
    if action == "refuse":
        return {"reasons": "Không đủ điều kiện"}
    if action == "transfer":
        return {"agency": data.draw(st.sampled_from(["", "", "", "000.00.02.H22"]))}
    if action == "assign":
        return {"assignee": data.draw(st.sampled_from(PEOPLE))}
    if action == "send_back":
        return {"to_step": data.draw(st.integers(1, 3)), **reason}
    if action == "pause":
        return {"kind": data.draw(st.sampled_from(["financial", "verification", "other"])), **reason}
    if action == "return_result":
        return {"delivery": "counter", "recipient": "Nguyễn Văn An"}
    if action in ("withdraw",):
        return dict(reason)
    if action == "apologize":
        base = dossier.due_at or START
        return {"new_due_at": (base + timedelta(days=data.draw(st.integers(1, 10)))).isoformat(), **reason}
    if action == "receive":
        return {"received": [1]}
    if action == "supplement":
        return {"received": [1]}
    return {}


class Reporting(RuleBasedStateMachine):
    world: World

    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.codes: list[str] = []

    @precondition(lambda self: len(self.codes) < 3)
    @rule(accept=st.booleans(), hours=st.integers(0, 30))
    def submit(self, accept: bool, hours: int) -> None:
        self.now += timedelta(hours=hours)
        self.codes.append(receive(self.world, self.now, receive=None if accept else False).code)

    @precondition(lambda self: bool(self.codes))
    @rule(data=st.data(), hours=st.integers(0, 40))
    def advance(self, data: Any, hours: int) -> None:
        """The dossier moves forward (an action that advances it, by someone who may take it)."""
        self.progress(data, hours, mode=0)

    @precondition(lambda self: bool(self.codes))
    @rule(data=st.data(), hours=st.integers(0, 40), mode=st.integers(0, 9))
    def progress(self, data: Any, hours: int, mode: int) -> None:
        """Someone who may act takes one of the actions offered to them, mostly forward."""
        self.now += timedelta(hours=hours)
        dossier = Dossier.objects.get(code=data.draw(st.sampled_from(self.codes)))
        offers = sorted({(who, a.name) for who in PEOPLE for a in available_actions(dossier, self.world.actor(who))})
        if mode < 6:  # mostly move the dossier forward, so that sequences reach their ends
            offers = [(who, action) for who, action in offers if action in ADVANCING] or offers
        elif mode < 9:  # and keep it alive
            offers = [(who, action) for who, action in offers if action not in ("refuse", "withdraw")] or offers
        if not offers:
            return
        who, action = data.draw(st.sampled_from(offers))
        try:
            if action == "issue_result":
                dossier_services.issue_result(dossier.code, actor=self.world.actor(who),
                                              file=io.BytesIO(pdf_bytes()), name="kq.pdf", now=self.now)
            else:
                dossier_services.perform(dossier.code, action, actor=self.world.actor(who),
                                         params=params_for(action, dossier, data), now=self.now)
        except MotCuaError as refused:  # a rule of law (3-day window, apology date, the fee…)
            assert refused.status in (400, 403, 404, 409, 422), refused

    @precondition(lambda self: bool(self.codes))
    @rule(data=st.data(), online=st.booleans(), hours=st.integers(0, 6))
    def pay(self, data: Any, online: bool, hours: int) -> None:
        self.now += timedelta(hours=hours)
        dossier = Dossier.objects.get(code=data.draw(st.sampled_from(self.codes)))
        try:
            if online:
                payment = payment_services.start_payment(
                    code=dossier.code, user=self.world.users["tiepnhan"], return_url="http://testserver/",
                    client_ip="127.0.0.1", locale="vn", now=self.now)
                request = dict(parse_qsl(urlsplit(payment.redirect_url).query))
                payment_services.receive_notice(params=SandboxGateway().result_params(request, "pay", self.now),
                                                now=self.now)
            else:
                payment_services.record_collection(code=dossier.code, method="cash", amount=amount_due(dossier),
                                                   actor=self.world.actor("tiepnhan"),
                                                   point_id=dossier.receiving_agency_id, now=self.now)
        except MotCuaError as refused:  # nothing due, closed
            assert refused.status in (403, 409), refused

    @precondition(lambda self: bool(self.codes))
    @rule(data=st.data())
    def scan(self, data: Any) -> None:
        """A component scanned (digitized) by the receiving officer."""
        try:
            dossier_services.attach(data.draw(st.sampled_from(self.codes)), actor=self.world.actor("tiepnhan"),
                                    file=io.BytesIO(pdf_bytes("tờ khai")), name="to-khai.pdf", kind="scan",
                                    component=1, now=self.now)
        except MotCuaError as refused:
            assert refused.status in (403, 409, 422), refused

    @invariant()
    def incremental_equals_rebuild(self) -> None:
        incremental = tables()
        services.rebuild()
        assert tables() == incremental


def test_the_incremental_facts_always_equal_a_rebuild(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    Reporting.world = World()
    run_state_machine_as_test(
        Reporting,
        settings=settings_for_stats(),
    )
    # the exploration reached the index's cases
    reached = set(DossierFact.objects.values_list("ended_by", flat=True))
    assert "handled" in reached and DossierFact.objects.filter(supplements__gte=1).exists(), reached
    assert DossierFact.objects.filter(outcome="late").exists() and DossierFact.objects.filter(paid_online=True).exists()
    assert DossierFact.objects.filter(apologized=True).exists()


def settings_for_stats() -> settings:
    return settings(max_examples=10, stateful_step_count=50, deadline=None, phases=PHASES, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# --- a refresh that never ran --------------------------------------------------------------------------------


def test_a_missed_refresh_is_made_good_by_the_catch_up_and_the_commands() -> None:
    world = World()
    first = receive(world, START)
    services.catch_up()  # the cursor is at the log's end
    event_recorded.disconnect(dispatch_uid="stats_refresh")
    try:  # the process died between the action's commit and its refresh
        second = receive(world, START + timedelta(hours=1))
        dossier_services.perform(first.code, "transfer", actor=world.actor("tiepnhan"),
                                 now=START + timedelta(hours=2))
    finally:
        event_recorded.connect(receivers.refresh_facts, dispatch_uid="stats_refresh")
    assert not DossierFact.objects.filter(pk=second.pk).exists()
    stale = tables()
    assert services.catch_up(progress=lambda line: None) == 2
    caught_up = tables()
    assert caught_up != stale
    services.rebuild()
    assert tables() == caught_up

    event_recorded.disconnect(dispatch_uid="stats_refresh")
    try:
        third = receive(world, START + timedelta(hours=3))
    finally:
        event_recorded.connect(receivers.refresh_facts, dispatch_uid="stats_refresh")
    out = io.StringIO()
    call_command("refresh_stats", stdout=out)
    assert "event" in out.getvalue() and "1 dossier facts refreshed" in out.getvalue()
    assert DossierFact.objects.filter(pk=third.pk).exists()
    refreshed = tables()
    out = io.StringIO()
    call_command("rebuild_stats", stdout=out)
    assert "3 / 3 dossiers" in out.getvalue() and "3 dossier facts" in out.getvalue()
    assert tables() == refreshed
    out = io.StringIO()
    call_command("refresh_stats", stdout=out)
    assert "0 dossier facts refreshed" in out.getvalue()  # the rebuild moved the cursor to the log's end
