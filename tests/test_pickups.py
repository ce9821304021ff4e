"""Home pickup: a citizen books the post to collect the papers at home (in the wizard, or an officer on the phone),
the post point assigns a courier, the courier collects them (which receives the dossier at the post point and
records the fee paid in cash), or fails with a reason and the citizen books again; the hand-over record's
confirmed item makes it "delivered to the agency". Every change is a ``pickup`` event and a message."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from motcua.core.calendar import VN_TZ
from motcua.core.errors import MotCuaError, ValidationFailed
from motcua.dossiers import audit
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier, Event
from motcua.dossiers.slips import render_slip_html
from motcua.dossiers.statuses import EventKind, Status
from motcua.geo.models import AdministrativeUnit
from motcua.notifications.models import Notification
from motcua.payments.models import Payment
from motcua.portal.models import Draft
from motcua.postal.models import Phase, Pickup, PickupStatus, PostalService
from motcua.postal.services import pickups
from motcua.postal.signals import handover_item_confirmed
from tests.factories import APPLICANT, MONDAY, World, at, make_citizen

CODE = "1.000894"
TUESDAY_8, TUESDAY_10 = at(17, 8), at(17, 10)
PNG = "data:image/png;base64,iVBORw0KGgo="  # a drawn signature as the phone page posts it
SIGNED = {"applicant_image": PNG, "courier_image": PNG}


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


@pytest.fixture
def service(world: World) -> PostalService:
    row = PostalService.objects.create(point=world.post, phase=Phase.RECEPTION, home_pickup=True,
                                       pickup_postage=15000)
    row.service_area.add(world.post.unit)
    return row


def booking(**overrides: Any) -> pickups.Booking:
    values: dict[str, Any] = {"address": "Số 5, tổ 3, khu 5", "commune": "06652", "contact_name": "Nguyễn Văn An",
                              "contact_phone": "0912345678", "start": TUESDAY_8, "end": TUESDAY_10}
    values.update(overrides)
    return pickups.Booking(**values)


def dossier_data() -> dict[str, Any]:
    return {"procedure": CODE, "applicant": dict(APPLICANT), "delivery": "counter"}


def booked(world: World, citizen: Any = None) -> tuple[Dossier, Pickup]:
    citizen = citizen or make_citizen(phone="0912345678", id_number=APPLICANT["id_number"])
    return pickups.book(actor=Actor.for_user(citizen.user), data=dossier_data(), booking=booking(), now=MONDAY)


def test_a_citizen_books_the_courier_collects_and_the_agency_confirms(world: World, service: PostalService) -> None:
    dossier, pickup = booked(world)
    assert dossier.channel == "home_pickup" and dossier.status == Status.SUBMITTED and dossier.paper
    assert dossier.receiving_agency == world.post and dossier.applicant_user is not None
    assert dossier.competent_unit.code == "06652"  # the commune of the address (here the post point's own)
    assert pickup.status == PickupStatus.REQUESTED and pickup.postage == 15000 and pickup.point == world.post
    assert Event.objects.filter(dossier=dossier, action=EventKind.PICKUP).count() == 1
    sms = Notification.objects.filter(dossier=dossier, template="pickup_status", channel="sms").get()
    assert dossier.code in sms.body and "17/11/2026" in sms.body

    pickups.assign(pickup.pk, actor=world.actor("buudien"), courier="buudien", now=MONDAY + timedelta(hours=1))
    pickup.refresh_from_db()
    assert pickup.status == PickupStatus.ASSIGNED and pickup.courier == world.users["buudien"]

    checklist = [{"order": 1, "originals": 1, "copies": 0, "received": True},
                 {"order": 2, "originals": 0, "copies": 0, "received": False}]
    collection = pickups.Collection(checklist=checklist, applicant_name="Nguyễn Văn An",
                                    applicant_image=PNG, courier_image=PNG, fee_collected=True,
                                    key="collect-once")
    pickups.collect(pickup.pk, actor=world.actor("buudien"), collection=collection,
                    now=TUESDAY_8 + timedelta(minutes=30))
    pickup.refresh_from_db()
    dossier.refresh_from_db()
    assert pickup.status == PickupStatus.COLLECTED and pickup.collected_at is not None
    assert dossier.status == Status.RECEIVED and dossier.received_at == TUESDAY_8 + timedelta(minutes=30)
    assert dossier.components.get(order=1).received and not dossier.components.get(order=2).received
    assert (dossier.components.get(order=1).originals, dossier.components.get(order=1).copies) == (1, 0)
    assert "Tờ khai đăng ký kết hôn" in render_slip_html(dossier, "receipt")  # the receipt lists what was counted
    payment = Payment.objects.get(dossier=dossier)
    assert payment.method == "cash" and payment.amount == 30000 and payment.point == world.post
    assert pickup.receipt_number == payment.receipt_number != ""
    assert pickup.signatures["applicant"]["name"] == "Nguyễn Văn An"
    assert pickup.signatures["applicant"]["image"].startswith("data:image/png")
    assert pickup.signatures["courier"]["name"]
    receive = Event.objects.get(dossier=dossier, action=EventKind.RECEIVE)
    assert receive.actor_id == world.users["buudien"].pk and receive.role == "postal"

    with pytest.raises(pickups.PickupRefused):  # collected once
        pickups.collect(pickup.pk, actor=world.actor("buudien"), collection=collection)

    item = type("Item", (), {"dossier_id": dossier.pk})()
    handover_item_confirmed.send(sender=None, item=item, batch=None)
    handover_item_confirmed.send(sender=None, item=item, batch=None)  # twice: nothing more
    pickup.refresh_from_db()
    assert pickup.status == PickupStatus.DELIVERED and pickup.delivered_at is not None
    states = [e.data["status"] for e in Event.objects.filter(dossier=dossier, action=EventKind.PICKUP).order_by("seq")]
    assert states == ["requested", "assigned", "collected", "delivered_to_agency"]
    assert Notification.objects.filter(dossier=dossier, template="pickup_status", channel="sms").count() == 4


def test_an_address_outside_the_service_area_or_a_bad_window_is_refused_with_every_reason(
    world: World, service: PostalService,
) -> None:
    other = AdministrativeUnit.objects.create(code="06673", name="Phường Bãi Cháy", kind="ward",
                                              parent=world.post.unit.parent)
    actor = Actor.for_user(make_citizen().user)
    cases = {
        "outside_service_area": booking(commune=other.code),
        "window_in_past": booking(start=MONDAY - timedelta(hours=2), end=MONDAY),
        "window_too_short": booking(start=TUESDAY_8, end=TUESDAY_8 + timedelta(hours=1)),
        "window_reversed": booking(start=TUESDAY_10, end=TUESDAY_8),
        "window_outside_hours": booking(start=at(17, 18), end=at(17, 20)),
        "phone_required": booking(contact_phone=""),
    }
    for code, wrong in cases.items():
        with pytest.raises(ValidationFailed) as caught:
            pickups.book(actor=actor, data=dossier_data(), booking=wrong, now=MONDAY)
        assert code in {e.code for e in caught.value.errors}, code
    weekend = datetime(2026, 11, 21, 8, 0, tzinfo=VN_TZ)
    with pytest.raises(ValidationFailed):
        pickups.book(actor=actor, data=dossier_data(), booking=booking(start=weekend, end=weekend + timedelta(hours=2)),
                     now=MONDAY)
    assert not Dossier.objects.exists() and not Pickup.objects.exists()  # nothing half-made


def test_a_failed_pickup_is_booked_again_and_a_courier_of_another_point_cannot_touch_it(
    world: World, service: PostalService,
) -> None:
    citizen = make_citizen(phone="0912345678", id_number=APPLICANT["id_number"])
    dossier, pickup = booked(world, citizen)
    with pytest.raises(pickups.Forbidden):
        pickups.assign(pickup.pk, actor=world.actor("tiepnhan"), courier="buudien")
    with pytest.raises(ValidationFailed):
        pickups.fail(pickup.pk, actor=world.actor("buudien"), reason="because")
    pickups.fail(pickup.pk, actor=world.actor("buudien"), reason="not_home", note="gọi không nghe máy",
                 now=TUESDAY_10)
    pickup.refresh_from_db()
    assert pickup.status == PickupStatus.FAILED and pickup.fail_reason == "not_home"
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED  # still waiting for its papers
    again = pickups.rebook(dossier.code, actor=Actor.for_user(citizen.user),
                           booking=booking(start=at(18, 13, 30), end=at(18, 16)), now=TUESDAY_10)
    assert again.status == PickupStatus.REQUESTED and again.pk != pickup.pk
    with pytest.raises(pickups.PickupRefused):  # one open pickup at a time
        pickups.rebook(dossier.code, actor=Actor.for_user(citizen.user), booking=booking(), now=MONDAY)
    incomplete = pickups.Collection(**SIGNED, checklist=[{"order": 1, "originals": 0, "copies": 0, "received": False}],
                                    applicant_name="An")
    with pytest.raises(Exception) as refused:  # the declaration is required: nothing is received, nothing saved
        pickups.collect(again.pk, actor=world.actor("buudien"), collection=incomplete, now=at(18, 14))
    assert getattr(refused.value, "code", "") == "missing_required_component"
    again.refresh_from_db()
    assert again.status == PickupStatus.REQUESTED


def test_an_officer_books_a_pickup_for_a_caller(world: World, service: PostalService) -> None:
    dossier, pickup = pickups.book(actor=world.actor("tiepnhan"), data=dossier_data(), booking=booking(), now=MONDAY)
    assert dossier.applicant_user is None and pickup.requested_by == world.users["tiepnhan"]
    with pytest.raises(pickups.Forbidden):
        pickups.book(actor=world.actor("chuyenvien"), data=dossier_data(), booking=booking(), now=MONDAY)


def test_the_wizard_books_a_home_pickup_and_keeps_what_was_typed(world: World, service: PostalService,
                                                                 media: Path) -> None:
    client = Client()
    client.force_login(make_citizen(phone="0912345678", id_number=APPLICANT["id_number"]).user)
    draft = client.post(f"/nop-ho-so/{CODE}/")["Location"].rsplit("/", 3)[-3]
    details = f"/nop-ho-so/ho-so-nhap/{draft}/details/"
    page = client.get(details).content.decode()
    assert 'id="handin-pickup"' in page and 'value="06652"' in page
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    typed = {"applicant_address": "Hà Tu", "handin": "pickup", "pickup_address": "Số 5, tổ 3",
             "pickup_commune": "99999", "pickup_contact_name": "An", "pickup_contact_phone": "0912345678",
             "pickup_day": day.isoformat(), "pickup_start": "08:00", "pickup_end": "10:00"}
    wrong = client.post(details, typed)
    assert wrong.status_code == 422 and 'data-error="outside_service_area"' in wrong.content.decode()
    assert 'value="Số 5, tổ 3"' in wrong.content.decode()  # nothing lost
    assert Draft.objects.get(pk=draft).data["pickup"]["address"] == "Số 5, tổ 3"
    assert client.post(details, {**typed, "pickup_commune": "06652"}).status_code == 302
    documents = client.post(f"/nop-ho-so/ho-so-nhap/{draft}/documents/", {"continue": "1"})
    assert documents.status_code == 302  # nothing to upload: the courier collects the papers
    assert client.post(f"/nop-ho-so/ho-so-nhap/{draft}/delivery/", {"delivery": "counter"}).status_code == 302
    review = client.get(f"/nop-ho-so/ho-so-nhap/{draft}/review/")
    assert 'id="review-pickup"' in review.content.decode()
    done = client.post(f"/nop-ho-so/ho-so-nhap/{draft}/review/", {"declare": "1"})
    assert done.status_code == 302, done.content.decode()[:3000]
    dossier = Dossier.objects.get()
    assert dossier.channel == "home_pickup" and dossier.receiving_agency == world.post
    assert Pickup.objects.get(dossier=dossier).status == PickupStatus.REQUESTED
    mine = client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    assert 'id="pickup"' in mine and 'data-pickup-status="requested"' in mine
    public = client.get(f"/tra-cuu/?ma={dossier.code}").content.decode()
    assert 'data-pickup-status="requested"' in public
    assert "Số 5, tổ 3" not in public and "0912345678" not in public


def staff(world: World, username: str) -> Client:
    client = Client()
    client.force_login(world.users[username])
    return client


def test_the_courier_works_the_pickup_from_the_queue_on_a_phone_page(world: World, service: PostalService) -> None:
    dossier, pickup = booked(world)
    post = staff(world, "buudien")
    queue = post.get("/workspace/buu-dien/nhan-tai-nha/").content.decode()
    assert f'data-pickup="{pickup.pk}"' in queue and dossier.code in queue
    # another point's staff and other officers see nothing of it
    officer = staff(world, "tiepnhan")
    assert f'data-pickup="{pickup.pk}"' not in officer.get("/workspace/buu-dien/nhan-tai-nha/").content.decode()
    assert staff(world, "tiepnhan").get(f"/workspace/buu-dien/nhan-tai-nha/{pickup.pk}/").status_code == 404

    page = post.get(f"/workspace/buu-dien/nhan-tai-nha/{pickup.pk}/").content.decode()
    assert 'id="collect-form"' in page and 'data-amount="30000"' in page and 'data-amount="15000"' in page
    assert post.post(f"/workspace/buu-dien/nhan-tai-nha/{pickup.pk}/giao/", {"courier": "buudien"}).status_code == 302
    assert f'data-pickup="{pickup.pk}"' in post.get("/workspace/buu-dien/nhan-tai-nha/?queue=mine").content.decode()

    missing = post.post(f"/workspace/buu-dien/nhan-tai-nha/{pickup.pk}/da-nhan/", {
        "key": "k1", "o1": "1", "c1": "0", "applicant_name": "Nguyễn Văn An"})  # the declaration not ticked
    assert missing.status_code == 400
    assert 'value="Nguyễn Văn An"' in missing.content.decode()  # what was typed is kept
    done = post.post(f"/workspace/buu-dien/nhan-tai-nha/{pickup.pk}/da-nhan/", {
        "key": "k1", "r1": "1", "o1": "1", "c1": "0", "o2": "0", "c2": "0", "fee_collected": "1",
        "applicant_name": "Nguyễn Văn An", "applicant_image": PNG, "courier_image": PNG})
    assert done.status_code == 302
    after = post.get(f"/workspace/buu-dien/nhan-tai-nha/{pickup.pk}/").content.decode()
    assert 'data-status="collected"' in after and 'id="receipt-slip"' in after and 'id="fee-receipt"' in after
    dossier.refresh_from_db()
    assert dossier.status == Status.RECEIVED
    assert post.get(f"/workspace/dossiers/{dossier.code}/slips/receipt.pdf").status_code == 200
    panel = post.get(f"/workspace/dossiers/{dossier.code}/").content.decode()
    assert 'data-pickup-status="collected"' in panel


def test_a_failure_from_the_page_needs_a_reason(world: World, service: PostalService) -> None:
    _dossier, pickup = booked(world)
    post = staff(world, "buudien")
    assert post.post(f"/workspace/buu-dien/nhan-tai-nha/{pickup.pk}/khong-nhan-duoc/", {}).status_code == 422
    assert post.post(f"/workspace/buu-dien/nhan-tai-nha/{pickup.pk}/khong-nhan-duoc/",
                     {"reason": "wrong_address"}).status_code == 302
    pickup.refresh_from_db()
    assert pickup.status == PickupStatus.FAILED
    assert post.post(f"/workspace/buu-dien/nhan-tai-nha/{pickup.pk}/huy/").status_code == 409  # it moved on


def test_an_officer_books_by_phone_from_the_workspace(world: World, service: PostalService) -> None:
    client = staff(world, "tiepnhan")
    page = client.get("/workspace/buu-dien/nhan-tai-nha/dat-lich/")
    assert page.status_code == 200 and 'value="06652"' in page.content.decode()
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    form = {"procedure": CODE, "applicant_name": "Trần Thị Bình", "applicant_id_number": "022190004567",
            "applicant_phone": "0912000002", "pickup_address": "Tổ 1, khu 2", "pickup_commune": "06652",
            "pickup_day": day.isoformat(), "pickup_start": "13:30", "pickup_end": "13:45", "delivery": "counter"}
    short = client.post("/workspace/buu-dien/nhan-tai-nha/dat-lich/", form)
    assert short.status_code == 422 and 'value="Tổ 1, khu 2"' in short.content.decode()
    done = client.post("/workspace/buu-dien/nhan-tai-nha/dat-lich/", {**form, "pickup_end": "16:00"})
    assert done.status_code == 302
    assert Pickup.objects.get().contact_phone == "0912000002"
    # no booking page for staff who do not receive
    assert staff(world, "chuyenvien").get("/workspace/buu-dien/nhan-tai-nha/dat-lich/").status_code == 404


def test_the_pickup_queue_costs_the_same_queries_for_1_and_30_rows(world: World, service: PostalService) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    citizen = make_citizen(phone="0912345678", id_number=APPLICANT["id_number"])
    actor = Actor.for_user(citizen.user)
    pickups.book(actor=actor, data=dossier_data(), booking=booking(), now=MONDAY)
    client = staff(world, "buudien")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/workspace/buu-dien/nhan-tai-nha/")
        assert response.status_code == 200
        return len(queries)

    one = count()
    for _ in range(29):
        pickups.book(actor=actor, data=dossier_data(), booking=booking(), now=MONDAY)
    assert count() == one
    assert client.get("/workspace/buu-dien/nhan-tai-nha/").content.decode().count("data-pickup=") == 30


def test_the_postal_demo_is_idempotent(world: World) -> None:
    from motcua.postal.demo import load_postal_demo

    first = load_postal_demo(password="motcua-demo")
    again = load_postal_demo(password="motcua-demo")
    assert first == again and PostalService.objects.count() == 1  # the World has only the Hà Tu post point
    row = PostalService.objects.get()
    assert row.phase == Phase.RECEPTION and row.home_pickup
    assert list(row.service_area.values_list("code", flat=True)) == ["06652"]  # the wards the World has


def test_the_citizen_books_again_from_their_dossier_page(world: World, service: PostalService) -> None:
    citizen = make_citizen(phone="0912345678", id_number=APPLICANT["id_number"])
    dossier, pickup = booked(world, citizen)
    client = Client()
    client.force_login(citizen.user)
    assert 'id="rebook"' not in client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    assert client.post(f"/ho-so-cua-toi/{dossier.code}/nhan-tai-nha/huy/").status_code == 302  # called off
    pickup.refresh_from_db()
    assert pickup.status == PickupStatus.CANCELLED
    page = client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    assert 'id="rebook"' in page and 'data-pickup-status="cancelled"' in page and 'id="cancel-pickup"' not in page
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    form = {"pickup_address": "Số 9, tổ 1", "pickup_commune": "06652", "pickup_contact_name": "An",
            "pickup_contact_phone": "0912345678", "pickup_day": day.isoformat(), "pickup_start": "07:00",
            "pickup_end": "09:00"}
    early = client.post(f"/ho-so-cua-toi/{dossier.code}/nhan-tai-nha/", form)  # 07:00 is before opening
    assert early.status_code == 422 and 'value="Số 9, tổ 1"' in early.content.decode()
    done = client.post(f"/ho-so-cua-toi/{dossier.code}/nhan-tai-nha/", {**form, "pickup_start": "08:00",
                                                                          "pickup_end": "10:00"})
    assert done.status_code == 302
    assert Pickup.objects.filter(dossier=dossier, status=PickupStatus.REQUESTED, address="Số 9, tổ 1").exists()
    assert 'id="cancel-pickup"' in client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    other = Client()
    other.force_login(make_citizen(id_number="022090009999").user)  # another account: not theirs to cancel
    assert other.post(f"/ho-so-cua-toi/{dossier.code}/nhan-tai-nha/huy/").status_code == 404


# --- the pickup's state machine under random sequences ----------------------------------------------------------

REACHED_PICKUP: set[str] = set()
ALLOWED = {  # the edges of the pickup's state machine
    PickupStatus.REQUESTED: {PickupStatus.ASSIGNED, PickupStatus.COLLECTED, PickupStatus.FAILED,
                             PickupStatus.CANCELLED},
    PickupStatus.ASSIGNED: {PickupStatus.ASSIGNED, PickupStatus.COLLECTED, PickupStatus.FAILED,
                            PickupStatus.CANCELLED},
    PickupStatus.COLLECTED: {PickupStatus.DELIVERED},
}


class PickupLifecycle(RuleBasedStateMachine):
    world: World
    citizen: Any

    def __init__(self) -> None:
        super().__init__()
        self.dossier, pickup = pickups.book(actor=Actor.for_user(self.citizen.user), data=dossier_data(),
                                            booking=booking(), now=MONDAY)
        self.changes = 1  # the booking's event

    def latest(self) -> Pickup:
        return Pickup.objects.filter(dossier=self.dossier).order_by("-pk").first()  # type: ignore[return-value]

    def attempt(self, change: Any) -> None:
        before = self.latest()
        try:
            change(before)
        except MotCuaError as refused:
            assert refused.status in (400, 403, 404, 409, 422), refused
            assert self.latest().status == before.status
            return
        after = self.latest()
        if after.pk == before.pk:
            assert after.status in ALLOWED.get(before.status, set()), (before.status, after.status)
        self.changes += 1

    @rule(who=st.sampled_from(["buudien", "tiepnhan"]))
    def assign(self, who: str) -> None:
        self.attempt(lambda p: pickups.assign(p.pk, actor=self.world.actor(who), courier="buudien",
                                              now=MONDAY + timedelta(hours=1)))

    @rule(complete=st.booleans(), fee=st.booleans())
    def collect(self, complete: bool, fee: bool) -> None:
        collection = pickups.Collection(**SIGNED, checklist=[{"order": 1, "originals": 1, "copies": 0,
                                                              "received": complete}],
                                        applicant_name="An", fee_collected=fee,
                                        key=f"k{self.dossier.pk}-{self.changes}")  # one per dossier
        self.attempt(lambda p: pickups.collect(p.pk, actor=self.world.actor("buudien"), collection=collection,
                                               now=TUESDAY_8 + timedelta(minutes=30)))

    @rule(reason=st.sampled_from(["not_home", "incomplete", "nonsense"]))
    def fail(self, reason: str) -> None:
        self.attempt(lambda p: pickups.fail(p.pk, actor=self.world.actor("buudien"), reason=reason, now=TUESDAY_10))

    @rule(by_citizen=st.booleans())
    def cancel(self, by_citizen: bool) -> None:
        actor = Actor.for_user(self.citizen.user) if by_citizen else self.world.actor("buudien")
        self.attempt(lambda p: pickups.cancel(p.pk, actor=actor, now=TUESDAY_8))

    @rule()
    def rebook(self) -> None:
        self.attempt(lambda p: pickups.rebook(self.dossier.code, actor=Actor.for_user(self.citizen.user),
                                              booking=booking(), now=MONDAY))

    @rule()
    def confirm_handover(self) -> None:
        before = self.latest().status
        handover_item_confirmed.send(sender=None, item=type("Item", (), {"dossier_id": self.dossier.pk})(), batch=None)
        if before == PickupStatus.COLLECTED:
            self.changes += 1

    @precondition(lambda self: self.latest().status == PickupStatus.COLLECTED)
    @rule()
    def confirm_collected_handover(self) -> None:
        """The agency confirms a collected dossier's package (also reached by :meth:`confirm_handover` at random)."""
        self.confirm_handover()

    @invariant()
    def consistent(self) -> None:
        rows = list(Pickup.objects.filter(dossier=self.dossier))
        dossier = Dossier.objects.get(pk=self.dossier.pk)
        for row in rows:
            REACHED_PICKUP.add(row.status)
            assert (row.collected_at is not None) == (row.status in (PickupStatus.COLLECTED, PickupStatus.DELIVERED))
            assert (row.delivered_at is not None) == (row.status == PickupStatus.DELIVERED)
            assert (row.failed_at is not None) == (row.status == PickupStatus.FAILED)
            assert (row.cancelled_at is not None) == (row.status == PickupStatus.CANCELLED)
            assert row.status != PickupStatus.ASSIGNED or row.courier_id is not None
        assert sum(r.status in (PickupStatus.REQUESTED, PickupStatus.ASSIGNED) for r in rows) <= 1
        collected = any(r.status in (PickupStatus.COLLECTED, PickupStatus.DELIVERED) for r in rows)
        assert (dossier.status == Status.RECEIVED) == collected
        assert Payment.objects.filter(dossier=dossier).count() <= 1
        events = list(Event.objects.filter(dossier=dossier).order_by("seq"))
        assert sum(e.action == EventKind.PICKUP for e in events) == self.changes
        assert list(audit.verify_dossier(dossier, events)) == []


def test_random_pickup_sequences_keep_the_pickup_and_its_dossier_consistent(world: World,
                                                                            service: PostalService) -> None:
    PickupLifecycle.world = world
    PickupLifecycle.citizen = make_citizen(phone="0912345678", id_number=APPLICANT["id_number"])
    run_state_machine_as_test(PickupLifecycle, settings=settings(
        max_examples=25, stateful_step_count=12, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow]))
    assert set(PickupStatus.values) <= REACHED_PICKUP, sorted(REACHED_PICKUP)


def test_a_pickup_in_another_ward_of_the_area_goes_to_that_wards_committee(world: World,
                                                                          service: PostalService) -> None:
    from motcua.agencies.models import Agency, AgencyKind

    ward = AdministrativeUnit.objects.create(code="06688", name="Phường Hạ Long", kind="ward",
                                             parent=world.post.unit.parent)
    committee = Agency.objects.create(identifier_code="000.06.21.H22", name="Ủy ban nhân dân phường Hạ Long",
                                      kind=AgencyKind.PEOPLE_COMMITTEE, unit=ward)
    service.service_area.add(ward)
    dossier, pickup = pickups.book(actor=world.actor("buudien"), data=dossier_data(),
                                   booking=booking(commune="06688"), now=MONDAY)
    assert pickup.point == world.post and pickup.commune == ward
    assert dossier.competent_unit == ward and dossier.plan[1]["agency"] == committee.pk
