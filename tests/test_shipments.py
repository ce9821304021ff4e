"""Results sent by post: handing a result to the post, the carrier's signed webhook (bad signature, unknown
waybill, duplicate, out of order), delivered → returned with the proof, COD checked against what the dossier
owes, returned to the sender, and the S10 waybill numbers."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from motcua.dossiers.models import Dossier, Event
from motcua.dossiers.rules import FeeDue
from motcua.dossiers.statuses import EventKind, Status
from motcua.payments.models import Payment, PaymentMethod
from motcua.payments.services import record_collection
from motcua.postal import carrier, s10
from motcua.postal.models import CarrierUpdate, Shipment, ShipmentStatus, UpdateOutcome
from motcua.postal.services import shipments
from motcua.postal.services.shipments import ShipmentRefused, send_by_post
from tests.carrier import accepted, collect_on_delivery, row, signed
from tests.factories import MONDAY, World, citizen_user, receive, through_processing

WEBHOOK = "/postal/carrier/webhook"
T0 = datetime(2026, 11, 17, 8, 0).astimezone()
_serials = iter(range(10_000_000, 99_999_999, 7919))


def ready_by_post(world: World, start: datetime = MONDAY) -> Dossier:
    """A marriage registration to be returned by post, its result issued (30,000 đ fee still due)."""
    dossier = receive(world, start, delivery="post", delivery_address="Số 5, tổ 3, khu 5, phường Hà Tu")
    return through_processing(world, dossier, start + timedelta(minutes=30))


def paid(world: World, dossier: Dossier) -> None:
    record_collection(code=dossier.code, method=PaymentMethod.CASH, amount=30000, actor=world.actor("tiepnhan"),
                      point_id=world.commune.pk)


def shipped(world: World, *, cod: bool = False, start: datetime = MONDAY) -> Shipment:
    """A shipment accepted by the carrier (its waybill set as the carrier's answer would), fee paid or COD."""
    dossier = ready_by_post(world, start)
    if not cod:
        paid(world, dossier)
    shipment = send_by_post(dossier.code, actor=world.actor("tiepnhan"), place=False)
    return accepted(shipment, s10.make("EB", next(_serials)))


def post(client: Any, body: dict[str, Any], **kwargs: Any) -> Any:
    raw, headers = signed(body, **kwargs)
    return client.post(WEBHOOK, raw, content_type="application/json", **headers)


def shipment_events(dossier: Dossier) -> int:
    return Event.objects.filter(dossier=dossier, action=EventKind.SHIPMENT).count()


@pytest.fixture
def on_delivery() -> None:
    """The procedure's fee is collected on delivery (``ProcedureVersion.fee_timing``)."""
    collect_on_delivery()


# --- S10 ---------------------------------------------------------------------------------------------------------


def test_s10_known_numbers() -> None:
    assert s10.make("RR", 47326985, "US") == "RR473269854US"  # the UPU standard's example
    assert s10.is_valid("RR473269854US")
    assert not s10.is_valid("RR473269855US")
    assert not s10.is_valid("RR47326985US") and not s10.is_valid("")


@given(prefix=st.from_regex(r"[A-Z]{2}", fullmatch=True), serial=st.integers(0, 99_999_999),
       position=st.integers(2, 10), delta=st.integers(1, 9))
def test_s10_every_made_code_is_valid_and_any_single_digit_change_is_not(
        prefix: str, serial: int, position: int, delta: int) -> None:
    code = s10.make(prefix, serial)
    assert s10.is_valid(code) and len(code) == 13 and code.endswith("VN")
    changed = code[:position] + str((int(code[position]) + delta) % 10) + code[position + 1:]
    if position == 10:  # the check digit itself: always caught
        assert not s10.is_valid(changed)
    else:
        # a serial digit: caught, except where the standard maps two sums to 5 (11 - 0 → 5, 11 - 6 = 5): the one
        # blind spot of S10's mod-11 scheme (weights are prime to 11, so the sum always changes)
        weights_sum = sum(int(d) * w for d, w in zip(changed[2:10], s10.WEIGHTS, strict=True)) % 11
        assert not s10.is_valid(changed) or (code[10] == "5" and weights_sum in (0, 6))


# --- handing the result to the post -------------------------------------------------------------------------------


def test_result_is_not_sent_while_the_fee_is_due(world: World) -> None:
    dossier = ready_by_post(world)
    with pytest.raises(FeeDue) as refused:  # the fee rule of dossiers.rules, checked when handing to the post
        send_by_post(dossier.code, actor=world.actor("tiepnhan"), place=False)
    assert refused.value.code == "fee_due" and refused.value.status == 409
    assert not Shipment.objects.exists()


def test_only_the_front_officer_sends_and_only_once(world: World) -> None:
    dossier = ready_by_post(world)
    paid(world, dossier)
    with pytest.raises(shipments.Forbidden):
        send_by_post(dossier.code, actor=world.actor("chuyenvien"), place=False)
    shipment = send_by_post(dossier.code, actor=world.actor("tiepnhan"), place=False)
    assert shipment.order_number == dossier.code and shipment.status == ShipmentStatus.REQUESTED
    assert shipment.cod_amount == 0 and shipment.postage > 0
    assert shipment.receiver["address"].startswith("Số 5") and shipment.receiver["phone"] == "0912345678"
    with pytest.raises(ShipmentRefused) as again:
        send_by_post(dossier.code, actor=world.actor("tiepnhan"), place=False)
    assert again.value.code == "already_sent"
    assert shipment_events(dossier) == 1


def test_fee_on_delivery_becomes_the_cod_amount(world: World, on_delivery: None) -> None:
    shipment = shipped(world, cod=True)
    assert shipment.cod_amount == 30000


# --- the webhook --------------------------------------------------------------------------------------------------


def test_delivered_with_cod_returns_the_dossier_with_the_proof(world: World, client: Any, on_delivery: None) -> None:
    shipment = shipped(world, cod=True)
    wb = shipment.waybill
    for minutes, code in enumerate(["01", "02", "03", "04"]):
        assert post(client, row(wb, code, T0 + timedelta(minutes=minutes))).status_code == 200
    proof = hashlib.sha256(b"photo").hexdigest()
    answer = post(client, row(wb, "05", T0 + timedelta(hours=1), CODAmount=30000, Recipient="Nguyễn Văn An",
                              ProofSha256=proof, ProofUrl="/orders/x/proof.png"))
    assert answer.status_code == 200 and answer.json()["outcome"] == UpdateOutcome.APPLIED
    shipment.refresh_from_db()
    dossier = Dossier.objects.get(pk=shipment.dossier_id)
    assert shipment.status == ShipmentStatus.DELIVERED and shipment.proof_sha256 == proof
    assert shipment.delivered_at == T0 + timedelta(hours=1) and not shipment.discrepancy
    assert dossier.status == Status.RETURNED and dossier.returned_to == "Nguyễn Văn An"
    returned = Event.objects.get(dossier=dossier, action=EventKind.RETURN_RESULT)
    assert returned.actor_id is None and returned.data["delivery_proof"]["proof_sha256"] == proof
    cod = Payment.objects.get(dossier=dossier, method=PaymentMethod.COD)
    assert cod.amount == 30000 and cod.client_key == f"cod:{wb}" and cod.receipt_number
    # requested, accepted (the order's answer is set by the test), then five updates
    assert shipment_events(dossier) == 1 + 5


def test_cod_that_does_not_match_what_is_owed_is_flagged_not_recorded(
        world: World, client: Any, on_delivery: None) -> None:
    shipment = shipped(world, cod=True)
    assert post(client, row(shipment.waybill, "05", T0, CODAmount=20000, Recipient="An")).status_code == 200
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED and "20.000" in shipment.discrepancy
    assert shipment.failed
    assert not Payment.objects.filter(method=PaymentMethod.COD).exists()
    assert Dossier.objects.get(pk=shipment.dossier_id).status == Status.RESULT_READY


def test_bad_signature_unknown_waybill_and_stale_replays_are_refused_and_recorded(world: World, client: Any) -> None:
    shipment = shipped(world)
    body = row(shipment.waybill, "02", T0)
    assert post(client, body, secret="not the secret").status_code == 401
    assert post(client, body, now=T0.timestamp() - 3600).status_code == 401  # outside the replay window
    assert post(client, row("EB000000000VN", "02", T0)).status_code == 404
    assert client.post(WEBHOOK, b"not json", content_type="application/json").status_code == 401
    rejected = CarrierUpdate.objects.filter(outcome=UpdateOutcome.REJECTED)
    assert rejected.count() == 4
    assert rejected.filter(shipment=shipment, signature_valid=False).count() == 2
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.ACCEPTED
    assert shipment_events(shipment.dossier) == 1
    assert client.get(WEBHOOK).status_code == 405


def test_a_duplicate_is_a_no_op_and_an_older_update_is_kept_as_stale(world: World, client: Any) -> None:
    shipment = shipped(world)
    events = shipment_events(shipment.dossier)
    later = row(shipment.waybill, "03", T0 + timedelta(minutes=10))
    assert post(client, later).json()["outcome"] == UpdateOutcome.APPLIED
    assert post(client, later).json() == {"outcome": UpdateOutcome.DUPLICATE, "reason": "already received"}
    earlier = post(client, row(shipment.waybill, "02", T0))
    assert earlier.status_code == 200 and earlier.json()["outcome"] == UpdateOutcome.STALE
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.IN_TRANSIT
    assert shipment.last_update_at == T0 + timedelta(minutes=10)
    # the late one is in the history, the duplicate is not
    assert shipment_events(shipment.dossier) == events + 2
    assert CarrierUpdate.objects.filter(shipment=shipment, outcome=UpdateOutcome.DUPLICATE).count() == 1


def test_returned_to_sender_keeps_the_result_ready_and_it_can_be_sent_again(world: World, client: Any) -> None:
    shipment = shipped(world)
    for minutes, code in enumerate(["02", "03", "04", "06", "07", "08"]):
        post(client, row(shipment.waybill, code, T0 + timedelta(minutes=minutes)))
    shipment.refresh_from_db()
    dossier = Dossier.objects.get(pk=shipment.dossier_id)
    assert shipment.status == ShipmentStatus.RETURNED_TO_SENDER and shipment.failed
    assert dossier.status == Status.RESULT_READY
    again = send_by_post(dossier.code, actor=world.actor("tiepnhan"), place=False)
    assert again.order_number == f"{dossier.code}-2"


# --- any order, any duplication: the same end ---------------------------------------------------------------------

ROUTES = [["01", "02", "03", "04", "05"], ["01", "02", "03", "04", "06", "04", "05"],
          ["01", "02", "03", "04", "06", "07", "08"]]


@pytest.mark.django_db
@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), data=st.data())
def test_any_order_and_duplication_of_updates_ends_the_same(world: World, route: list[str], data: Any) -> None:
    shipment = shipped(world, start=MONDAY)
    base = shipment_events(shipment.dossier)
    updates = [row(shipment.waybill, code, T0 + timedelta(minutes=i), event_id=f"{shipment.waybill}-{i}",
                   **({"Recipient": "An"} if code == "05" else {})) for i, code in enumerate(route)]
    sent = data.draw(st.permutations(updates + data.draw(st.lists(st.sampled_from(updates), max_size=4))))
    for body in sent:
        shipments.apply_update(carrier.parse_row(body), raw=body)
    shipment.refresh_from_db()
    dossier = Dossier.objects.get(pk=shipment.dossier_id)
    in_order = {"05": (ShipmentStatus.DELIVERED, Status.RETURNED), "08": (ShipmentStatus.RETURNED_TO_SENDER,
                                                                       Status.RESULT_READY)}[route[-1]]
    assert (shipment.status, dossier.status) == in_order
    assert shipment.last_update_at == T0 + timedelta(minutes=len(route) - 1)
    assert shipment_events(dossier) == base + len(route)
    assert Event.objects.filter(dossier=dossier, action=EventKind.RETURN_RESULT).count() == (route[-1] == "05")
    assert CarrierUpdate.objects.filter(shipment=shipment, outcome=UpdateOutcome.APPLIED).count() >= 1


def test_webhook_url_name() -> None:
    assert reverse("postal:carrier_webhook") == WEBHOOK


# --- pages --------------------------------------------------------------------------------------------------------


def test_the_dossier_page_offers_send_by_post_with_cod_and_postage(world: World, client: Any,
                                                                   on_delivery: None) -> None:
    dossier = ready_by_post(world)
    client.force_login(world.users["tiepnhan"])
    page = client.get(reverse("workspace:dossier", args=[dossier.code])).content.decode()
    assert 'id="send-by-post"' in page and 'data-cod="30000"' in page and "Số 5, tổ 3" in page
    client.force_login(world.users["chuyenvien"])  # not the front officer: no form
    assert 'id="send-by-post"' not in client.get(reverse("workspace:dossier", args=[dossier.code])).content.decode()


def test_send_by_post_from_the_page_with_the_carrier_down_shows_it_pending(world: World, client: Any,
                                                                          settings: Any) -> None:
    settings.MOTCUA_CARRIER_URL = "http://127.0.0.1:9"  # nothing listens (discard port)
    dossier = ready_by_post(world)
    paid(world, dossier)
    client.force_login(world.users["tiepnhan"])
    answer = client.post(reverse("workspace:send_by_post", args=[dossier.code]))
    assert answer.status_code == 302
    shipment = Shipment.objects.get(dossier=dossier)
    assert shipment.status == ShipmentStatus.REQUESTED and shipment.attempts == 1
    page = client.get(reverse("workspace:dossier", args=[dossier.code])).content.decode()
    assert f'data-status="{ShipmentStatus.REQUESTED}"' in page and 'id="send-by-post"' not in page


def test_public_tracking_shows_the_shipment_without_personal_data(world: World, client: Any) -> None:
    shipment = shipped(world)
    post(client, row(shipment.waybill, "04", T0))
    post(client, row(shipment.waybill, "05", T0 + timedelta(hours=1), Recipient="Người Nhận Riêng"))
    page = client.get(reverse("portal:track"), {"ma": shipment.dossier.code}).content.decode()
    assert f'data-waybill="{shipment.waybill}"' in page and 'data-status="delivered"' in page
    assert page.count('data-status="out_for_delivery"') == 1
    for private in ("Người Nhận Riêng", "Số 5, tổ 3", "0912345678"):
        assert private not in page


def test_the_applicant_follows_the_waybill_on_their_dossier_page(world: World, client: Any) -> None:
    user = citizen_user()
    shipment = shipped(world)
    Dossier.objects.filter(pk=shipment.dossier_id).update(applicant_user=user)
    post(client, row(shipment.waybill, "03", T0))
    client.force_login(user)
    page = client.get(reverse("portal:my_dossier", args=[shipment.dossier.code])).content.decode()
    assert f'data-waybill="{shipment.waybill}"' in page and 'data-status="in_transit"' in page


def test_the_staff_list_is_scoped_and_flat(world: World, client: Any) -> None:
    first = shipped(world)
    Shipment.objects.filter(pk=first.pk).update(gave_up=True)
    client.force_login(world.users["tiepnhan"])
    url = reverse("workspace:shipments")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        page = client.get(url).content.decode()
    assert first.dossier.code in page and "table-warning" in page
    for hour in range(1, 6):
        shipped(world, start=MONDAY + timedelta(hours=hour))
    with CaptureQueriesContext(connection) as six:
        page = client.get(url).content.decode()
    assert page.count('data-status="accepted"') == 6
    assert len(six.captured_queries) == len(one.captured_queries)
    assert client.get(url, {"loi": "1"}).content.decode().count("<tr class=") == 1
    client.force_login(world.users["tuphap"])  # the Department of Justice is not involved in these dossiers
    assert first.dossier.code not in client.get(url).content.decode()


def test_the_staff_page_shows_the_carrier_updates_in_the_history(world: World, client: Any) -> None:
    shipment = shipped(world)
    post(client, row(shipment.waybill, "03", T0))
    client.force_login(world.users["tiepnhan"])
    page = client.get(reverse("workspace:dossier", args=[shipment.dossier.code])).content.decode()
    history = page.split('id="timeline"', 1)[1]
    assert f"{shipment.waybill} · " in history
    assert 'id="shipments"' in page and f'data-status="{ShipmentStatus.IN_TRANSIT}"' in page


def test_staff_try_an_order_again_from_the_page(world: World, client: Any, settings: Any) -> None:
    settings.MOTCUA_CARRIER_URL = "http://127.0.0.1:9"  # nothing listens (discard port)
    dossier = ready_by_post(world)
    paid(world, dossier)
    shipment = send_by_post(dossier.code, actor=world.actor("tiepnhan"))
    client.force_login(world.users["tiepnhan"])
    url = reverse("workspace:retry_shipment", args=[shipment.pk])
    assert url in client.get(reverse("workspace:dossier", args=[dossier.code])).content.decode()
    assert client.post(url).status_code == 302
    shipment.refresh_from_db()
    assert shipment.attempts == 1 and shipment.status == ShipmentStatus.REQUESTED and shipment.last_error
    client.force_login(world.users["tuphap"])  # another agency's officer: the shipment does not exist for them
    assert client.post(url).status_code == 404
