"""Hand-over records between a post point and an agency (issue 12, item 3): both directions, item by item, missing
and extra packages, the legal clock restarting from the agency's receipt (Decision 45/2016/QĐ-TTg), signatures on
screen and with a certificate, and the pages (scoped, phone-friendly, flat query budgets)."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from motcua.core.errors import MotCuaError
from motcua.dossiers import deadlines, services
from motcua.dossiers.machine import Forbidden
from motcua.dossiers.models import Dossier, Event
from motcua.dossiers.rules import RuleBroken
from motcua.dossiers.statuses import EventKind, Status
from motcua.payments.services import record_collection
from motcua.postal import signals
from motcua.postal.models import BatchStatus, Direction, HandoverBatch, HandoverItem, ItemState
from motcua.postal.selectors.handover import HandoverNotFound, candidates
from motcua.postal.services import handover
from motcua.signing.services import verify_pdf
from tests.factories import APPLICANT, MONDAY, World, act, at, issue, pay
from tests.pki import DEMO_PIN, DemoPki, pdfsig

pytestmark = pytest.mark.django_db

POST = "000.91.30.H22"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def at_post(world: World, now: datetime = MONDAY, **overrides: Any) -> Dossier:
    """A marriage registration received at the Hà Tu post point by its postal staff (held there at step 0)."""
    data: dict[str, Any] = {"procedure": "1.000894", "channel": "post_office", "applicant": dict(APPLICANT),
                            "components": [{"order": 1, "originals": 1, "copies": 2}], "receiving_agency": POST}
    data.update(overrides)
    dossier, _ = services.create_dossier(actor=world.actor("buudien"), data=data, now=now)
    assert dossier.status == Status.RECEIVED and dossier.current_agency_id == world.post.pk
    return dossier


def opened(world: World, dossiers: list[Dossier], now: datetime = MONDAY) -> HandoverBatch:
    return handover.open_batch(actor=world.actor("buudien"), direction=Direction.TO_AGENCY, giver_id=world.post.pk,
                               receiver_id=world.committee.pk, codes=[d.code for d in dossiers], now=now)


def sent(world: World, dossiers: list[Dossier], now: datetime = MONDAY + timedelta(hours=1)) -> HandoverBatch:
    batch = opened(world, dossiers, now - timedelta(minutes=30))
    return handover.send_batch(batch.pk, actor=world.actor("buudien"), now=now)


def confirm(world: World, batch: HandoverBatch, code: str, now: datetime, who: str = "chuyenvien") -> str:
    return handover.confirm_item(batch.pk, actor=world.actor(who), code=code, now=now).outcome


def fresh(dossier: Dossier) -> Dossier:
    return Dossier.objects.get(pk=dossier.pk)


# --- to the agency ---------------------------------------------------------------------------------------------


def test_dossiers_go_from_the_post_to_the_agency_and_the_clock_starts_when_it_receives_them() -> None:
    world = World()
    first, second = at_post(world), at_post(world)
    assert fresh(first).due_at == deadlines.dossier_due(deadlines.calendar(), MONDAY, Decimal("5"))
    record_collection(code=first.code, method="cash", amount=30000, actor=world.actor("buudien"),
                      point_id=world.post.pk, now=MONDAY + timedelta(minutes=5))
    assert {d.code for d in candidates(Direction.TO_AGENCY, world.post.pk, world.committee.pk)} == {
        first.code, second.code}

    batch = opened(world, [first, second])
    assert re.fullmatch(rf"BG-{re.escape(POST)}-2026-000001", batch.number)
    assert not candidates(Direction.TO_AGENCY, world.post.pk).exists()  # listed: in no other batch
    batch = handover.send_batch(batch.pk, actor=world.actor("buudien"), now=at(16, 15))
    assert batch.status == BatchStatus.SENT and batch.fees_total == 30000 and batch.giver_method == "screen"
    items = {i.code: i for i in HandoverItem.objects.filter(batch=batch)}
    assert (items[first.code].originals, items[first.code].copies, items[first.code].fee) == (1, 2, 30000)
    assert items[second.code].fee == 0
    assert fresh(first).status == Status.RECEIVED  # sending moves nothing: the papers are on the road
    assert Event.objects.filter(dossier=first, action=EventKind.HANDOVER, data__state="sent").count() == 1

    # the commune receives the first package on Wednesday afternoon
    received_at = at(18, 14)
    assert confirm(world, batch, first.code.lower(), received_at) == "received"
    moved = fresh(first)
    assert (moved.status, moved.step_index, moved.current_agency_id) == (Status.IN_PROGRESS, 1, world.committee.pk)
    assert moved.clock_started_at == received_at and moved.step_started_at == received_at
    assert moved.due_at == deadlines.dossier_due(deadlines.calendar(), received_at, Decimal("5"))
    assert moved.due_at > fresh(second).due_at  # counted from the agency's receipt, not the post's
    transfer = Event.objects.get(dossier=first, action=EventKind.TRANSFER)
    assert transfer.data["handover"] == batch.number and transfer.data["clock_restarted"]
    assert transfer.agency_id == world.post.pk and transfer.actor_name

    batch = handover.close_batch(batch.pk, actor=world.actor("chuyenvien"), now=at(18, 15))
    assert batch.status == BatchStatus.CONFIRMED_WITH_DISCREPANCIES
    assert (batch.received_count, batch.missing_count, batch.extra_count) == (1, 1, 0)
    assert HandoverItem.objects.get(batch=batch, code=second.code).state == ItemState.MISSING
    # the missing dossier stays with the post, its log says so, and it can go in a later batch
    assert fresh(second).current_agency_id == world.post.pk
    assert Event.objects.filter(dossier=second, action=EventKind.HANDOVER, data__state="missing").exists()
    assert [d.code for d in candidates(Direction.TO_AGENCY, world.post.pk, world.committee.pk)] == [second.code]
    again = opened(world, [second], at(19, 8))
    assert again.number.endswith("-000002")


def test_a_complete_batch_is_confirmed_without_discrepancy_and_tells_the_pickup(
        django_capture_on_commit_callbacks: Any) -> None:
    world = World()
    dossiers = [at_post(world) for _ in range(3)]
    batch = sent(world, dossiers)
    heard: list[tuple[str, str]] = []

    def listener(sender: Any, item: HandoverItem, batch: HandoverBatch, **kwargs: Any) -> None:
        heard.append((batch.number, item.code))

    signals.handover_item_confirmed.connect(listener)
    try:
        for dossier in dossiers:
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                confirm(world, batch, dossier.code, at(16, 14))
            assert len(heard) == dossiers.index(dossier)  # on commit only
            for callback in callbacks:
                callback()
    finally:
        signals.handover_item_confirmed.disconnect(listener)
    assert heard == [(batch.number, d.code) for d in dossiers]
    batch = handover.close_batch(batch.pk, actor=world.actor("lanhdao"), now=at(16, 15))
    assert batch.status == BatchStatus.CONFIRMED and batch.discrepancies == 0
    assert all(fresh(d).step_index == 1 for d in dossiers)


def test_an_extra_package_is_flagged_once_and_a_code_typed_twice_counts_once() -> None:
    world = World()
    listed, unlisted = at_post(world), at_post(world)
    batch = sent(world, [listed])
    assert confirm(world, batch, listed.code, at(16, 14)) == "received"
    assert confirm(world, batch, f"  {listed.code} ", at(16, 14)) == "already"
    assert confirm(world, batch, unlisted.code, at(16, 14)) == "extra"
    assert confirm(world, batch, unlisted.code, at(16, 14)) == "extra_again"
    assert confirm(world, batch, "NOT-A-DOSSIER", at(16, 14)) == "extra"
    assert Event.objects.filter(dossier=listed, action=EventKind.TRANSFER).count() == 1
    assert fresh(unlisted).step_index == 0  # an extra package moves nothing: it was not handed over on record
    batch = handover.close_batch(batch.pk, actor=world.actor("chuyenvien"), now=at(16, 15))
    assert (batch.status, batch.received_count, batch.missing_count, batch.extra_count) == (
        BatchStatus.CONFIRMED_WITH_DISCREPANCIES, 1, 0, 2)
    extra = HandoverItem.objects.get(batch=batch, code=unlisted.code)
    assert extra.state == ItemState.EXTRA and extra.dossier_id == unlisted.pk
    # the unlisted dossier is still the post's to hand over
    assert unlisted.code in {d.code for d in candidates(Direction.TO_AGENCY, world.post.pk)}


def test_bad_moves_are_clear_errors() -> None:
    world = World()
    dossier = at_post(world)
    batch = opened(world, [dossier])
    with pytest.raises(handover.HandoverRefused) as early:
        confirm(world, batch, dossier.code, at(16, 14))
    assert early.value.code == "batch_not_sent"
    with pytest.raises(handover.HandoverRefused) as twice:
        opened(world, [dossier])  # already in an open batch
    assert twice.value.code == "not_a_candidate"
    with pytest.raises(Forbidden):  # the receiver does not send
        handover.send_batch(batch.pk, actor=world.actor("chuyenvien"), now=at(16, 10))
    handover.send_batch(batch.pk, actor=world.actor("buudien"), now=at(16, 10))
    with pytest.raises(handover.HandoverRefused) as changed:
        handover.add_items(batch.pk, actor=world.actor("buudien"), codes=[at_post(world).code])
    assert changed.value.code == "batch_already_sent"
    with pytest.raises(Forbidden):  # the giver does not confirm its own packages
        confirm(world, batch, dossier.code, at(16, 14), who="buudien")
    for stranger in ("tiepnhan", "tuphap"):
        with pytest.raises(HandoverNotFound):
            confirm(world, batch, dossier.code, at(16, 14), who=stranger)
    handover.close_batch(batch.pk, actor=world.actor("chuyenvien"), now=at(16, 15))
    with pytest.raises(handover.HandoverRefused) as closed:
        handover.close_batch(batch.pk, actor=world.actor("chuyenvien"), now=at(16, 16))
    assert closed.value.code == "batch_already_confirmed"
    with pytest.raises(handover.HandoverRefused):
        confirm(world, batch, dossier.code, at(16, 17))


def test_the_database_refuses_a_dossier_in_two_active_batches_of_one_direction() -> None:
    world = World()
    dossier = at_post(world)
    first = opened(world, [dossier])
    second = opened(world, [])
    with pytest.raises(IntegrityError), transaction.atomic():
        HandoverItem.objects.create(batch=second, dossier=dossier, code=dossier.code, direction=first.direction)


# --- to the post ---------------------------------------------------------------------------------------------


def result_ready_at_post(world: World) -> Dossier:
    dossier = at_post(world)
    batch = sent(world, [dossier])
    confirm(world, batch, dossier.code, MONDAY + timedelta(hours=2))
    start = MONDAY + timedelta(hours=2)
    dossier = act(world, dossier, "forward", "chuyenvien", start + timedelta(hours=1))
    dossier = act(world, dossier, "approve", "lanhdao", start + timedelta(hours=2))
    dossier = issue(world, dossier, start + timedelta(hours=3))
    assert dossier.status == Status.RESULT_READY and dossier.current_agency_id == world.post.pk
    return dossier


def test_results_go_back_to_the_post_without_changing_the_dossier() -> None:
    world = World()
    dossier = result_ready_at_post(world)
    assert [d.code for d in candidates(Direction.TO_POST, world.committee.pk, world.post.pk)] == [dossier.code]
    assert not candidates(Direction.TO_POST, world.justice.pk, world.post.pk).exists()  # not its result
    batch = handover.open_batch(actor=world.actor("lanhdao"), direction=Direction.TO_POST,
                                giver_id=world.committee.pk, receiver_id=world.post.pk, codes=[dossier.code],
                                now=at(17, 9))
    assert batch.number.startswith("BG-000.01.21.H22-2026-")
    batch = handover.send_batch(batch.pk, actor=world.actor("lanhdao"), now=at(17, 10))
    assert batch.fees_total == 0 and HandoverItem.objects.get(batch=batch).originals == 1
    before = fresh(dossier)
    assert confirm(world, batch, dossier.code, at(17, 14), who="buudien") == "received"
    after = fresh(dossier)
    assert (after.status, after.step_index, after.due_at) == (before.status, before.step_index, before.due_at)
    assert Event.objects.filter(dossier=dossier, action=EventKind.HANDOVER, data__state="received",
                                agency=world.post).exists()
    handover.close_batch(batch.pk, actor=world.actor("buudien"), now=at(17, 15))
    assert not candidates(Direction.TO_POST, world.committee.pk, world.post.pk).exists()  # handed over once
    # the post now collects the fee and returns it
    pay(dossier, world.actor("buudien"), at(17, 15))
    act(world, dossier, "return_result", "buudien", at(17, 16), delivery="counter", recipient="Nguyễn Văn An")
    assert fresh(dossier).status == Status.RETURNED


def test_the_sides_are_checked() -> None:
    world = World()
    with pytest.raises(MotCuaError) as wrong:
        handover.open_batch(actor=world.actor("buudien"), direction=Direction.TO_POST, giver_id=world.post.pk,
                            receiver_id=world.committee.pk)
    assert wrong.value.code == "wrong_sides"
    with pytest.raises(Forbidden):
        handover.open_batch(actor=world.actor("tiepnhan"), direction=Direction.TO_AGENCY, giver_id=world.post.pk,
                            receiver_id=world.committee.pk)


# --- signatures and the PDF -------------------------------------------------------------------------------------


def test_signed_on_screen_the_record_is_a_pdf_listing_the_items() -> None:
    world = World()
    dossiers = [at_post(world) for _ in range(2)]
    batch = sent(world, dossiers)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(batch.sent_pdf.read())).pages)
    assert batch.number in text and all(d.code in text for d in dossiers)
    confirm(world, batch, dossiers[0].code, at(16, 14))
    batch = handover.close_batch(batch.pk, actor=world.actor("chuyenvien"), now=at(16, 15))
    final = "".join(page.extract_text() for page in PdfReader(io.BytesIO(batch.final_pdf.read())).pages)
    assert "Thiếu 1" in final and batch.receiver_signer_name in final


def test_signed_with_certificates_on_both_sides(demo_pki: DemoPki) -> None:
    world = World()
    demo_pki.identity("lanhdao", user=world.users["buudien"])
    demo_pki.identity("vanthu", user=world.users["chuyenvien"])
    dossier = at_post(world)
    batch = opened(world, [dossier])
    with pytest.raises(MotCuaError) as wrong_pin:
        handover.send_batch(batch.pk, actor=world.actor("buudien"), method="certificate", pin="000000")
    assert HandoverBatch.objects.get(pk=batch.pk).status == BatchStatus.OPEN, wrong_pin.value.code
    batch = handover.send_batch(batch.pk, actor=world.actor("buudien"), method="certificate", pin=DEMO_PIN)
    data = batch.sent_pdf.read()
    check = verify_pdf(data)
    assert check.signed and check.intact and check.trusted
    assert pdfsig(data, demo_pki.root).valid == [True]
    confirm(world, batch, dossier.code, at(16, 14))
    batch = handover.close_batch(batch.pk, actor=world.actor("chuyenvien"), method="certificate", pin=DEMO_PIN)
    assert batch.receiver_method == "certificate" and batch.status == BatchStatus.CONFIRMED
    assert pdfsig(batch.final_pdf.read(), demo_pki.root).valid == [True]


def test_without_a_certificate_one_signs_on_screen() -> None:
    world = World()
    batch = opened(world, [at_post(world)])
    with pytest.raises(handover.HandoverRefused) as refused:
        handover.send_batch(batch.pk, actor=world.actor("buudien"), method="certificate", pin="123456")
    assert refused.value.code == "no_signing_identity"
    with pytest.raises((MotCuaError, ValidationError)):
        handover.send_batch(batch.pk, actor=world.actor("buudien"), method="thumbprint")


# --- any order of scans ------------------------------------------------------------------------------------------


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=0, max_value=6), max_size=14))
def test_any_order_of_scans_ends_with_each_item_once(scans: list[int]) -> None:
    """Codes 0–3 are listed, 4–5 are packages not on the list, 6 names no dossier; scanned in any order, any
    number of times: each listed item ends exactly once received or missing, each extra flagged once."""
    with transaction.atomic():
        world = World()
        dossiers = [at_post(world) for _ in range(6)]
        codes = [d.code for d in dossiers] + ["XX-UNKNOWN"]
        batch = sent(world, dossiers[:4])
        for scan in scans:
            confirm(world, batch, codes[scan], at(16, 14))
        batch = handover.close_batch(batch.pk, actor=world.actor("chuyenvien"), now=at(16, 15))
        states = dict(HandoverItem.objects.filter(batch=batch).values_list("code", "state"))
        scanned = {codes[s] for s in scans}
        for code in codes[:4]:
            assert states[code] == (ItemState.RECEIVED if code in scanned else ItemState.MISSING)
            assert Event.objects.filter(dossier__code=code, action=EventKind.TRANSFER).count() == (code in scanned)
        extras = {code for code in codes[4:] if code in scanned}
        assert {c for c, s in states.items() if s == ItemState.EXTRA} == extras
        assert HandoverItem.objects.filter(batch=batch).count() == 4 + len(extras)
        assert (batch.received_count + batch.missing_count, batch.extra_count) == (4, len(extras))
        transaction.set_rollback(True)


# --- the pages ----------------------------------------------------------------------------------------------------


def signed_in(world: World, username: str) -> Client:
    client = Client()
    client.force_login(world.users[username])
    return client


def test_the_post_prepares_and_sends_the_agency_confirms_item_by_item_on_its_pages() -> None:
    world = World()
    first, second = at_post(world), at_post(world)
    post = signed_in(world, "buudien")
    page = post.get(reverse("workspace:new_handover"))
    assert page.status_code == 200 and first.code in page.content.decode()
    created = post.post(reverse("workspace:new_handover"), {
        "giver": world.post.pk, "receiver": world.committee.pk, "code": [first.code, second.code]})
    batch = HandoverBatch.objects.get()
    assert created.status_code == 302 and created["Location"] == reverse("workspace:handover", args=[batch.pk])
    page = post.get(created["Location"]).content.decode()
    assert f'data-code="{first.code}" data-state="listed"' in page and "handover_send" not in page
    post.post(reverse("workspace:handover_remove", args=[batch.pk]), {"code": second.code})
    post.post(reverse("workspace:handover_add", args=[batch.pk]), {"codes": second.code})
    assert post.post(reverse("workspace:handover_send", args=[batch.pk]), {"method": "screen"}).status_code == 302
    assert HandoverBatch.objects.get().status == BatchStatus.SENT
    pdf = post.get(reverse("workspace:handover_pdf", args=[batch.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"

    agency = signed_in(world, "chuyenvien")
    page = agency.get(reverse("workspace:handover", args=[batch.pk])).content.decode()
    assert 'id="scan-code"' in page and "autofocus" in page
    scan = reverse("workspace:handover_scan", args=[batch.pk])
    answer = agency.post(scan, {"code": first.code}, headers={"HX-Request": "true"}).content.decode()
    assert 'data-outcome="received"' in answer and f'data-code="{first.code}" data-state="received"' in answer
    assert 'hx-swap-oob="true"' in answer and 'data-received="1"' in answer
    again = agency.post(scan, {"code": first.code}, headers={"HX-Request": "true"}).content.decode()
    assert 'data-outcome="already"' in again and 'data-received="1"' in again
    extra = agency.post(scan, {"code": "000.91.30.H22-261116-9999"}, headers={"HX-Request": "true"}).content
    assert b'data-outcome="extra"' in extra and b"beforeend:#handover-items" in extra
    assert agency.post(reverse("workspace:handover_close", args=[batch.pk]), {"method": "screen"}).status_code == 302

    # the discrepancies are on both sides' lists and pages
    for client in (post, agency):
        listing = client.get(reverse("workspace:handovers")).content.decode()
        assert f'data-batch="{batch.number}" data-discrepancies="2"' in listing
        assert 'id="discrepancy-badge" data-count="1"' in listing
        page = client.get(reverse("workspace:handover", args=[batch.pk])).content.decode()
        assert 'data-missing="1" data-extra="1"' in page and 'id="discrepancies"' in page
        assert f'data-code="{second.code}" data-state="missing"' in page


def test_strangers_get_404_and_errors_are_shown() -> None:
    world = World()
    dossier = at_post(world)
    batch = opened(world, [dossier])
    agency = signed_in(world, "chuyenvien")
    # confirming before the record is sent: a clear error, nothing confirmed
    answer = agency.post(reverse("workspace:handover_scan", args=[batch.pk]), {"code": dossier.code},
                         headers={"HX-Request": "true"}).content.decode()
    assert 'data-outcome="error"' in answer and HandoverItem.objects.get().state == ItemState.LISTED
    for name in ("tiepnhan", "tuphap"):
        stranger = signed_in(world, name)
        assert stranger.get(reverse("workspace:handover", args=[batch.pk])).status_code == 404
        assert stranger.get(reverse("workspace:handover_pdf", args=[batch.pk])).status_code == 404
        assert stranger.post(reverse("workspace:handover_send", args=[batch.pk])).status_code == 404
        assert batch.number not in stranger.get(reverse("workspace:handovers")).content.decode()
    nobody = Client()
    nobody.force_login(get_user_model().objects.create_user("nobody", password="x"))
    assert nobody.get(reverse("workspace:new_handover")).status_code == 404
    assert nobody.get(reverse("workspace:handover", args=[batch.pk])).status_code == 404
    assert signed_in(world, "buudien").get(reverse("workspace:handover_pdf", args=[batch.pk])).status_code == 404


def count(client: Client, url: str) -> tuple[int, str]:
    from django.db import connection  # noqa: PLC0415 - only the budgets count queries
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_query_budgets_of_the_list_and_of_a_500_item_batch_page() -> None:
    world = World()
    dossier = at_post(world)
    batch = sent(world, [dossier])
    client = signed_in(world, "chuyenvien")
    url = reverse("workspace:handover", args=[batch.pk])
    one, page = count(client, url)
    HandoverItem.objects.bulk_create([
        HandoverItem(batch=batch, dossier=dossier, code=f"X-{n:04d}", direction=batch.direction, active=False,
                     state=ItemState.EXTRA) for n in range(499)])
    many, page = count(client, url)
    assert page.count("data-code=") == 500 and many == one, (one, many)

    listing = reverse("workspace:handovers")
    first, _page = count(client, listing)
    for _ in range(20):
        opened(world, [])
    more, page = count(client, listing)
    assert page.count("data-batch=") == 21 and more == first, (first, more)


# --- the API -------------------------------------------------------------------------------------------------------


def test_the_api_prepares_sends_confirms_and_closes_a_record() -> None:
    from tests.test_dossier_api import client_for, post  # noqa: PLC0415 - the API tests' helpers

    world = World()
    first, second = at_post(world), at_post(world)
    postal, agency = client_for(world, "buudien"), client_for(world, "chuyenvien")
    created = post(postal, "/api/v1/handovers", {"direction": "to_agency", "giver": POST,
                                                 "receiver": world.committee.identifier_code,
                                                 "codes": [first.code, second.code]})
    assert created.status_code == 201, created.content
    body = created.json()
    pk = body["id"]
    assert body["status"] == "open" and [i["state"] for i in body["item_list"]] == ["listed", "listed"]
    early = post(agency, f"/api/v1/handovers/{pk}/confirm", {"code": first.code})
    assert early.status_code == 409 and early.json()["error"] == "batch_not_sent"
    assert post(postal, f"/api/v1/handovers/{pk}/send", {"method": "screen"}).json()["status"] == "sent"
    done = post(agency, f"/api/v1/handovers/{pk}/confirm", {"code": first.code}).json()
    assert done["outcome"] == "received" and done["handover"]["received"] == 1
    assert post(agency, f"/api/v1/handovers/{pk}/confirm", {"code": first.code}).json()["outcome"] == "already"
    closed = post(agency, f"/api/v1/handovers/{pk}/close", {"method": "screen"}).json()
    assert (closed["status"], closed["missing"]) == ("confirmed_with_discrepancies", 1)
    assert [h["number"] for h in postal.get("/api/v1/handovers").json()["items"]] == [closed["number"]]
    assert client_for(world, "tuphap").get(f"/api/v1/handovers/{pk}").status_code == 404
    unknown = post(postal, "/api/v1/handovers", {"direction": "to_agency", "giver": POST, "receiver": "nope"})
    assert unknown.status_code == 404 and unknown.json()["location"] == "receiver"


def test_a_post_point_cannot_skip_the_hand_over_record_with_a_plain_transfer() -> None:
    world = World()
    dossier = at_post(world, at(16, 9))
    with pytest.raises(RuleBroken) as refused:
        act(world, dossier, "transfer", "buudien", at(16, 10))
    assert refused.value.code == "handover_required" and refused.value.status == 409
    assert fresh(dossier).step_index == 0 and fresh(dossier).current_agency_id == world.post.pk
