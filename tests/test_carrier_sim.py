"""The carrier simulator as a real process, and MotCua talking to it: an order placed, webhooks over HTTP to the
live site until the dossier is returned with the proof; the carrier down and the order retried; polling when no
webhook comes (returned to the sender, a COD mismatch); the carrier's refusals and its COD statement."""

from __future__ import annotations

import hashlib
import time
import urllib.request
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from motcua.core.calendar import VN_TZ
from motcua.dossiers.models import Dossier, Event
from motcua.dossiers.statuses import EventKind, Status
from motcua.payments.models import Payment, PaymentMethod, StatementLine
from motcua.payments.reconciliation import MISSING_IN_STATEMENT, reconcile
from motcua.postal import carrier, s10
from motcua.postal.models import CarrierUpdate, Shipment, ShipmentStatus, UpdateOutcome
from motcua.postal.services import shipments
from motcua.postal.tasks import place_order
from tests.carrier import CarrierSim, carrier_sim, collect_on_delivery  # noqa: F401 - carrier_sim: a fixture
from tests.factories import World, deliver_notifications
from tests.pki import free_port
from tests.test_shipments import paid, ready_by_post


@pytest.fixture
def to_sim(settings: Any, carrier_sim: CarrierSim) -> CarrierSim:  # noqa: F811 - the fixture imported above
    settings.MOTCUA_CARRIER_URL = carrier_sim.url
    # order numbers are unique per customer at the carrier: each test is a new customer of the one simulator
    settings.MOTCUA_CARRIER_CUSTOMER_CODE = f"T{uuid.uuid4().hex[:8]}"
    carrier_sim.configure(webhook="", failure_rate=0)
    return carrier_sim


def order(number: str, **overrides: Any) -> carrier.Order:
    values: dict[str, Any] = {
        "customer_code": "MOTCUA", "order_number": number, "cod_amount": 0,
        "sender": {"name": "Trung tâm", "address": "Hà Tu"},
        "receiver": {"name": "Nguyễn Văn An", "address": "Số 5, Hà Tu", "phone": "0912345678"},
        "description": "Kết quả",
    }
    values.update(overrides)
    return carrier.Order(**values)


def test_the_carrier_refuses_a_bad_token_a_duplicate_order_number_and_a_missing_address(to_sim: CarrierSim) -> None:
    client = carrier.Client(to_sim.url)
    waybill = client.create_order(order("T-1"))
    assert s10.is_valid(waybill) and waybill.endswith("VN")
    with pytest.raises(carrier.CarrierError) as duplicate:
        client.create_order(order("T-1"))
    assert duplicate.value.code == "carrier_refused" and "102" in str(duplicate.value)
    with pytest.raises(carrier.CarrierError) as missing:
        client.create_order(order("T-2", receiver={"name": "An", "address": ""}))
    assert "103" in str(missing.value)
    with pytest.raises(carrier.CarrierError) as token:
        carrier.Client(to_sim.url, token="wrong").create_order(order("T-3"))
    assert "101" in str(token.value)
    rows = to_sim.wait_for(waybill, "05")
    assert [r["StatusCode"] for r in rows][0] == "01"
    updates = client.tracking(waybill)
    assert updates[-1].status == ShipmentStatus.DELIVERED and updates[-1].recipient == "Nguyễn Văn An"


def test_the_carrier_down_the_order_is_retried_then_given_up_and_retried_by_staff(
        world: World, settings: Any, to_sim: CarrierSim) -> None:
    settings.MOTCUA_CARRIER_URL = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    settings.MOTCUA_CARRIER_RETRY_SECONDS = 0
    settings.MOTCUA_CARRIER_MAX_ATTEMPTS = 3
    dossier = ready_by_post(world)
    paid(world, dossier)
    shipment = shipments.send_by_post(dossier.code, actor=world.actor("tiepnhan"))
    assert shipment.status == ShipmentStatus.REQUESTED and shipment.attempts == 1
    assert shipment.last_error and not shipment.gave_up
    assert DBTaskResult.objects.ready().count() == 1
    deliver_notifications(hooks=False)  # attempts 2 and 3 fail too: given up, staff see it
    shipment.refresh_from_db()
    assert shipment.attempts == 3 and shipment.gave_up and shipment.failed
    settings.MOTCUA_CARRIER_URL = to_sim.url  # the carrier is back
    shipment = shipments.retry(shipment.pk, actor=world.actor("tiepnhan"))
    assert shipment.status == ShipmentStatus.ACCEPTED and s10.is_valid(shipment.waybill or "")
    assert not shipment.gave_up and not shipment.last_error


def test_a_carrier_outage_heals_at_the_next_attempt(world: World, settings: Any, to_sim: CarrierSim) -> None:
    settings.MOTCUA_CARRIER_RETRY_SECONDS = 0
    dossier = ready_by_post(world)
    paid(world, dossier)
    to_sim.script(failure=True)  # the first order is refused with 503
    shipment = shipments.send_by_post(dossier.code, actor=world.actor("tiepnhan"))
    assert shipment.status == ShipmentStatus.REQUESTED and "503" in shipment.last_error
    deliver_notifications(hooks=False)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.ACCEPTED and shipment.attempts == 2


def _poll_until(shipment: Shipment, status: str, timeout: float = 20) -> Shipment:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shipments.poll(shipments.due_for_polling(minutes=0, now=timezone.now() + timedelta(seconds=1)))
        shipment.refresh_from_db()
        if shipment.status == status:
            return shipment
        time.sleep(0.2)
    raise AssertionError(f"{shipment.waybill} is {shipment.status}, not {status}")


def test_polling_returned_to_the_sender(world: World, to_sim: CarrierSim) -> None:
    dossier = ready_by_post(world)
    paid(world, dossier)
    to_sim.script(plan="returned", duplicate=False, reorder=False)
    shipment = shipments.send_by_post(dossier.code, actor=world.actor("tiepnhan"))
    to_sim.wait_for(shipment.waybill or "", "08")
    shipment = _poll_until(shipment, ShipmentStatus.RETURNED_TO_SENDER)
    dossier.refresh_from_db()
    assert dossier.status == Status.RESULT_READY
    assert set(CarrierUpdate.objects.filter(shipment=shipment).values_list("source", flat=True)) == {"poll"}
    # polled again: nothing new, nothing recorded twice
    events = Event.objects.filter(dossier=dossier).count()
    shipments.poll([shipment])
    assert Event.objects.filter(dossier=dossier).count() == events


def test_polling_a_cod_mismatch_is_flagged(world: World, to_sim: CarrierSim, monkeypatch: pytest.MonkeyPatch) -> None:
    dossier = ready_by_post(world)
    collect_on_delivery()
    to_sim.script(plan="delivered", duplicate=False, reorder=False, cod_collected=25000)
    shipment = shipments.send_by_post(dossier.code, actor=world.actor("tiepnhan"))
    assert shipment.cod_amount == 30000
    to_sim.wait_for(shipment.waybill or "", "05")
    shipment = _poll_until(shipment, ShipmentStatus.DELIVERED)
    assert shipment.discrepancy and shipment.cod_collected == 25000
    assert Dossier.objects.get(pk=dossier.pk).status == Status.RESULT_READY
    assert not Payment.objects.filter(dossier=dossier, method=PaymentMethod.COD).exists()
    assert shipment.delivered_at is not None
    statement = carrier.Client(to_sim.url).cod_statement(shipment.delivered_at.astimezone(VN_TZ).date())
    assert {"ItemCode": shipment.waybill, "CODAmount": 25000}.items() <= next(
        r for r in statement if r["ItemCode"] == shipment.waybill).items()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the live site answers the simulator's webhooks while "
                    "the test reads: SQLite's shared in-memory test database locks whole tables")
def test_webhooks_over_http_take_the_dossier_from_result_ready_to_returned(
        live_server: Any, settings: Any, to_sim: CarrierSim, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole path for real: the simulator sends signed webhooks (one twice, two out of order) to the live
    site; the COD is recorded and the dossier returned with the proof the carrier holds."""
    world = World()
    collect_on_delivery()
    dossier = ready_by_post(world)
    to_sim.configure(webhook=live_server.url + "/postal/carrier/webhook")
    to_sim.script(plan="failed_then_delivered", duplicate=True, reorder=True)
    shipment = shipments.send_by_post(dossier.code, actor=world.actor("tiepnhan"))
    assert shipment.status == ShipmentStatus.ACCEPTED
    deadline = time.monotonic() + 30
    while Dossier.objects.get(pk=dossier.pk).status != Status.RETURNED:
        assert time.monotonic() < deadline, list(CarrierUpdate.objects.values_list("status", "outcome", "reason"))
        time.sleep(0.2)
    time.sleep(2)  # the late and repeated webhooks still in flight
    shipment.refresh_from_db()
    dossier.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED
    with urllib.request.urlopen(to_sim.url + f"/orders/{shipment.waybill}/proof.png") as image:  # noqa: S310
        assert shipment.proof_sha256 == hashlib.sha256(image.read()).hexdigest()
    assert dossier.returned_to == "Nguyễn Văn An" and dossier.delivery == "post"
    assert Payment.objects.get(dossier=dossier, method=PaymentMethod.COD).amount == 30000
    outcomes = list(CarrierUpdate.objects.filter(shipment=shipment).values_list("outcome", flat=True))
    assert outcomes.count(UpdateOutcome.DUPLICATE) >= 1 and UpdateOutcome.REJECTED not in outcomes
    distinct = len(to_sim.tracking(shipment.waybill or ""))
    # requested, the order's answer, one per distinct carrier update; the return once
    assert Event.objects.filter(dossier=dossier, action=EventKind.SHIPMENT).count() == 2 + distinct
    assert Event.objects.filter(dossier=dossier, action=EventKind.RETURN_RESULT).count() == 1


def test_a_retry_told_duplicate_finds_the_order_the_first_attempt_placed(world: World, settings: Any,
                                                                          to_sim: CarrierSim) -> None:
    dossier = ready_by_post(world)
    paid(world, dossier)
    shipment = shipments.send_by_post(dossier.code, actor=world.actor("tiepnhan"), place=False)
    # the first attempt reached the carrier, but its answer never came back
    placed = carrier.Client(to_sim.url).create_order(order(shipment.order_number,
                                                           customer_code=settings.MOTCUA_CARRIER_CUSTOMER_CODE))
    Shipment.objects.filter(pk=shipment.pk).update(attempts=1, last_error="timed out")
    assert place_order(shipment.pk, 2) == "accepted"
    shipment.refresh_from_db()
    assert shipment.waybill == placed and shipment.status == ShipmentStatus.ACCEPTED


def test_the_carriers_cod_statement_reconciles_with_the_cod_recorded_on_delivery(
        world: World, to_sim: CarrierSim, monkeypatch: pytest.MonkeyPatch) -> None:
    dossier = ready_by_post(world)
    collect_on_delivery()
    to_sim.script(plan="delivered", duplicate=False, reorder=False)
    shipment = shipments.send_by_post(dossier.code, actor=world.actor("tiepnhan"))
    to_sim.wait_for(shipment.waybill or "", "05")
    shipment = _poll_until(shipment, ShipmentStatus.DELIVERED)
    cod = Payment.objects.get(dossier=dossier, method=PaymentMethod.COD)
    day = cod.paid_at.astimezone(VN_TZ).date()
    # the one simulator serves every test (each its own database, the same dossier codes): ours by reference
    ours = {cod.order_ref, shipment.waybill}
    # before the statement: the COD recorded is missing from the carrier's statement
    before = [m for m in reconcile(day).mismatches if m.reference in ours]
    assert [m.kind for m in before] == [MISSING_IN_STATEMENT]

    result = shipments.import_cod_statement(day, client=carrier.Client(to_sim.url))
    line = StatementLine.objects.get(source="carrier", reference=shipment.waybill)
    assert (line.amount, line.dossier_code, line.payment_id) == (30000, dossier.code, cod.pk)
    assert result.created >= 1
    assert [m for m in reconcile(day).mismatches if m.reference in ours] == []
    # the same statement again adds nothing
    again = shipments.import_cod_statement(day, client=carrier.Client(to_sim.url))
    assert again.created == 0 and StatementLine.objects.filter(reference=shipment.waybill).count() == 1
