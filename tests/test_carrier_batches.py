"""Batched carrier updates: one signed webhook with ``{"Items": [row, …]}``, applied in one transaction
(``postal.services.shipments.apply_updates``). The same updates in batches or one by one end the same (states,
events, the COD, the return); a bad signature refuses the whole batch; an unknown waybill inside a batch is
rejected alone; a batch for 200 shipments costs a constant number of statements."""

from __future__ import annotations

import time
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from motcua.dossiers.models import Dossier, DossierAgency, Event
from motcua.dossiers.statuses import EventKind, Status
from motcua.payments.models import Payment, PaymentMethod
from motcua.postal import carrier, s10
from motcua.postal.models import CarrierUpdate, Shipment, ShipmentStatus, UpdateOutcome
from motcua.postal.services import shipments
from tests.carrier import CarrierSim, carrier_sim, collect_on_delivery, row  # noqa: F401 - carrier_sim: a fixture
from tests.factories import MONDAY, World, receive
from tests.test_carrier_sim import to_sim  # noqa: F401 - a fixture
from tests.test_shipments import ROUTES, T0, post, ready_by_post, shipment_events, shipped

UNKNOWN = s10.make("EB", 99_999_998)


def route_rows(waybill: str, route: list[str]) -> list[dict[str, Any]]:
    """A shipment's updates as the carrier sends them; delivered with the COD the dossier owes (30,000 đ)."""
    return [row(waybill, code, T0 + timedelta(minutes=i), event_id=f"{waybill}-{i}",
                **({"Recipient": "An", "CODAmount": 30000} if code == "05" else {}))
            for i, code in enumerate(route)]


def batch(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"CustomerCode": "MOTCUA", "Items": rows}


def end_state(shipment: Shipment) -> tuple[Any, ...]:
    shipment.refresh_from_db()
    dossier = Dossier.objects.get(pk=shipment.dossier_id)
    return (shipment.status, shipment.last_update_at, dossier.status, shipment_events(dossier),
            Event.objects.filter(dossier=dossier, action=EventKind.RETURN_RESULT).count(),
            Payment.objects.filter(dossier=dossier, method=PaymentMethod.COD).count(), shipment.discrepancy,
            CarrierUpdate.objects.filter(shipment=shipment).exclude(outcome=UpdateOutcome.DUPLICATE).count())


@pytest.mark.django_db
@hsettings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), data=st.data())
def test_batches_end_as_the_same_updates_one_by_one(world: World, monkeypatch: pytest.MonkeyPatch, route: list[str],
                                                    data: Any) -> None:
    """Duplicates, any order, an unknown waybill, delivered with the COD: split into batches however, the same
    end as one by one (the shipment, the dossier, its events, the COD payment, the return)."""
    collect_on_delivery()
    one_by_one, batched = shipped(world, cod=True), shipped(world, cod=True)
    positions = list(range(len(route)))
    order = data.draw(st.permutations(positions + data.draw(st.lists(st.sampled_from(positions), max_size=4))))
    unknown_at = data.draw(st.integers(0, len(order)))
    cuts = sorted(data.draw(st.lists(st.integers(1, max(1, len(order))), max_size=3, unique=True)))

    def sent(waybill: str) -> list[dict[str, Any]]:
        rows = route_rows(waybill, route)
        out = [rows[i] for i in order]
        out.insert(unknown_at, row(UNKNOWN, "03", T0))
        return out

    for body in sent(one_by_one.waybill or ""):
        shipments.apply_update(carrier.parse_row(body), raw=body)
    rows = sent(batched.waybill or "")
    outcomes = []
    for start, end in zip([0, *cuts], [*cuts, len(rows) + 1], strict=True):
        chunk = rows[start:end]
        outcomes += shipments.apply_updates([carrier.parse_row(r) for r in chunk], raw=chunk)
    assert len(outcomes) == len(rows)
    assert [a.reason for a in outcomes].count("unknown waybill") == 1
    assert sum(a.outcome == UpdateOutcome.DUPLICATE for a in outcomes) == len(order) - len(route)
    assert end_state(batched) == end_state(one_by_one)
    final = {"05": (ShipmentStatus.DELIVERED, Status.RETURNED), "08": (ShipmentStatus.RETURNED_TO_SENDER,
                                                                     Status.RESULT_READY)}[route[-1]]
    state = end_state(batched)
    assert (state[0], state[2]) == final and state[3] == 2 + len(route) - 1  # requested + each distinct update
    assert state[5] == (route[-1] == "05") and not state[6]


def test_a_batch_over_http_lists_each_outcome_and_rejects_only_the_unknown_and_unreadable(
        world: World, client: Any) -> None:
    first, second = shipped(world), shipped(world)
    events = shipment_events(first.dossier)
    rows = [row(first.waybill or "", "02", T0, event_id="a"), row(second.waybill or "", "02", T0, event_id="b"),
            row(UNKNOWN, "02", T0, event_id="c"), row(first.waybill or "", "02", T0, event_id="a"),
            {"ItemCode": first.waybill, "StatusCode": "99"}, row(first.waybill or "", "01", T0 - timedelta(hours=1))]
    answer = post(client, batch(rows))
    assert answer.status_code == 200
    body = answer.json()
    assert [(item["EventId"], item["outcome"]) for item in body["items"]] == [
        ("a", "applied"), ("b", "applied"), ("c", "rejected"), ("a", "duplicate"), ("", "rejected"),
        (rows[5]["EventId"], "stale")]
    assert body["items"][2]["reason"] == "unknown waybill" and "StatusCode" in body["items"][4]["reason"]
    assert body["counts"] == {"applied": 2, "rejected": 2, "duplicate": 1, "stale": 1}
    assert shipment_events(first.dossier) == events + 2  # applied and stale: news; the duplicate is not
    first.refresh_from_db()
    assert first.status == ShipmentStatus.PICKED_UP and first.last_update_at == T0
    assert CarrierUpdate.objects.count() == 6
    # the customer code sent once for the batch is kept with each row
    assert CarrierUpdate.objects.get(event_key="b").raw["CustomerCode"] == "MOTCUA"


def test_a_bad_signature_refuses_the_whole_batch(world: World, client: Any) -> None:
    shipment = shipped(world)
    events = shipment_events(shipment.dossier)
    rows = route_rows(shipment.waybill or "", ["01", "02", "03"])
    assert post(client, batch(rows), secret="not the secret").status_code == 401
    assert post(client, batch(rows), now=T0.timestamp() - 3600).status_code == 401
    rejected = CarrierUpdate.objects.all()
    assert rejected.count() == 2 and {r.outcome for r in rejected} == {UpdateOutcome.REJECTED}
    assert not any(r.signature_valid for r in rejected)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.ACCEPTED and shipment_events(shipment.dossier) == events
    assert post(client, {"Items": "nope"}).status_code == 400
    assert post(client, {"Items": [rows[0]] * (shipments.MAX_BATCH + 1)}).status_code == 400
    assert shipment_events(shipment.dossier) == events
    # signed right, it is applied whole
    assert post(client, batch(rows)).json()["counts"] == {"applied": 3}
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.IN_TRANSIT


def test_the_single_update_webhook_answers_as_before(world: World, client: Any) -> None:
    shipment = shipped(world)
    answer = post(client, row(shipment.waybill or "", "02", T0))
    assert answer.status_code == 200 and answer.json() == {"outcome": "applied", "reason": ""}
    assert post(client, row(UNKNOWN, "02", T0)).status_code == 404


def many_shipments(world: World, count: int) -> list[Shipment]:
    """``count`` accepted shipments, each of its own dossier (one received dossier, copied in bulk)."""
    model = receive(world, MONDAY, delivery="post", delivery_address="Số 5, tổ 3, khu 5, phường Hà Tu")
    fields = [f.attname for f in Dossier._meta.concrete_fields if f.attname not in ("id", "code")]
    now = timezone.now()
    with transaction.atomic():
        copies = Dossier.objects.bulk_create(
            [Dossier(code=f"{model.code[:-4]}B{i:06d}", **{name: getattr(model, name) for name in fields})
             for i in range(count)])
        DossierAgency.objects.bulk_create([DossierAgency(dossier=d, agency_id=world.commune.pk) for d in copies])
        return Shipment.objects.bulk_create([
            Shipment(dossier=d, order_number=d.code, waybill=s10.make("EB", 20_000_000 + i),
                     status=ShipmentStatus.ACCEPTED, receiver={"name": "x"}, created_at=now, accepted_at=now)
            for i, d in enumerate(copies)])


def test_a_batch_for_200_shipments_costs_a_constant_number_of_statements(world: World) -> None:
    many = many_shipments(world, 200)
    rows = [row(s.waybill or "", "02", T0, event_id=f"{s.waybill}-2") for s in many]
    rows += rows[:20]  # duplicates: no statement of their own
    updates = [carrier.parse_row(r) for r in rows]
    with CaptureQueriesContext(connection) as queries:
        applied = shipments.apply_updates(updates, raw=rows)
    assert [a.outcome for a in applied].count(UpdateOutcome.APPLIED) == 200
    assert [a.outcome for a in applied].count(UpdateOutcome.DUPLICATE) == 20
    # not per update: the shipments, the keys seen, the updates' insert, the events' insert, the dossiers' heads,
    # the shipments' update (an insert may be split in a few statements by the database's parameter limit)
    assert len(queries.captured_queries) <= 20, len(queries.captured_queries)
    assert Shipment.objects.filter(status=ShipmentStatus.PICKED_UP, last_update_at=T0).count() == 200
    assert Event.objects.filter(action=EventKind.SHIPMENT).count() == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the live site answers the simulator's webhooks while "
                    "the test reads: SQLite's shared in-memory test database locks whole tables")
def test_the_simulator_sends_updates_due_together_in_batches(
        live_server: Any, to_sim: CarrierSim, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811 - the fixture
    """Three orders, each update sent twice: the copies go out in one batch with the original (a duplicate inside
    the batch); every dossier ends returned with its COD, each update once in its log."""
    world = World()
    collect_on_delivery()
    to_sim.configure(webhook=live_server.url + "/postal/carrier/webhook", batch=50)
    sent = []
    for _ in range(3):
        dossier = ready_by_post(world)
        to_sim.script(plan="delivered", duplicate=True, reorder=False)
        sent.append(shipments.send_by_post(dossier.code, actor=world.actor("tiepnhan")))
    dossiers = [s.dossier_id for s in sent]
    deadline = time.monotonic() + 40
    # returned, and every update in (an update first rejected, sent again later, may come after the delivery)
    while (Dossier.objects.filter(pk__in=dossiers, status=Status.RETURNED).count() < 3
           or Event.objects.filter(dossier_id__in=dossiers, action=EventKind.SHIPMENT).count() < 3 * (2 + 5)):
        assert time.monotonic() < deadline, list(CarrierUpdate.objects.values_list("status", "outcome", "reason"))
        time.sleep(0.2)
    time.sleep(1)  # the repeated webhooks still in flight
    for shipment in sent:
        assert Event.objects.filter(dossier_id=shipment.dossier_id, action=EventKind.SHIPMENT).count() == 2 + 5
        assert Payment.objects.filter(dossier_id=shipment.dossier_id, method=PaymentMethod.COD).count() == 1
    outcomes = list(CarrierUpdate.objects.values_list("outcome", "reason"))
    assert sum(o in (UpdateOutcome.APPLIED, UpdateOutcome.STALE) for o, _r in outcomes) == 15
    # the first update may come before the carrier's answer to the order is stored: rejected, sent again alone
    assert [o for o, _r in outcomes].count(UpdateOutcome.DUPLICATE) >= 12
    assert {r for o, r in outcomes if o == UpdateOutcome.REJECTED} <= {"unknown waybill"}
    with urllib.request.urlopen(to_sim.url + "/") as page:  # noqa: S310
        assert "webhook batch of" in page.read().decode()


def test_events_recorded_together_chain_as_one_by_one(world: World) -> None:
    """``record_many``: several events of one dossier and of others, in one insert, chain as ``record`` would (the
    log verifies, the heads are the last events)."""
    from motcua.dossiers import audit
    from motcua.dossiers.events import record_many

    first, second = shipped(world), shipped(world)
    one, two = Dossier.objects.get(pk=first.dossier_id), Dossier.objects.get(pk=second.dossier_id)
    a, b = one.event_count, two.event_count
    with transaction.atomic():
        events = record_many([(d, EventKind.SHIPMENT, {"actor": "carrier", "at": T0, "data": {"n": n}})
                              for n, d in enumerate([one, two, one, one])])
    assert [e.seq for e in events] == [a + 1, b + 1, a + 2, a + 3]
    for dossier in (one, two):
        saved = Dossier.objects.get(pk=dossier.pk)
        log = list(Event.objects.filter(dossier=saved).order_by("seq"))
        assert list(audit.verify_dossier(saved, log)) == []
        assert (saved.event_count, saved.last_hash) == (log[-1].seq, log[-1].hash)
