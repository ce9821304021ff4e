"""The courier collects a home pickup on a phone, in real Chromium: the checklist, the applicant's signature drawn
with a finger on the canvas, the fee collected; the dossier is received at the post point."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Dossier
from motcua.dossiers.statuses import Status
from motcua.postal.models import Phase, Pickup, PickupStatus, PostalService
from motcua.postal.services import pickups
from tests.browsing import fits
from tests.factories import APPLICANT, World, make_citizen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def booked(transactional_db: Any, settings: Any, tmp_path: Any) -> Pickup:
    settings.MEDIA_ROOT = tmp_path / "media"
    world = World()
    row = PostalService.objects.create(point=world.post, phase=Phase.RECEPTION, home_pickup=True,
                                       pickup_postage=15000)
    row.service_area.add(world.post.unit)
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    citizen = make_citizen(phone="0912345678", id_number=APPLICANT["id_number"])
    _dossier, pickup = pickups.book(
        actor=Actor.for_user(citizen.user), data={"procedure": "1.000894", "applicant": dict(APPLICANT)},
        booking=pickups.Booking(address="Số 5, tổ 3, khu 5", commune="06652", contact_name="Nguyễn Văn An",
                                contact_phone="0912345678", start=pickups.moment_of(day.isoformat(), "08:00"),
                                end=pickups.moment_of(day.isoformat(), "10:00")))
    return pickup


def test_the_courier_collects_on_a_phone_with_a_drawn_signature(phone: Any, live_server: Any, booked: Pickup) -> None:
    phone.goto(f"{live_server.url}/workspace/buu-dien/nhan-tai-nha/{booked.pk}/")
    phone.wait_for_url("**/workspace/login/**")
    phone.locator("#id_username").fill("buudien")
    phone.locator("#id_password").fill("motcua-demo")
    phone.locator("#id_password").press("Enter")
    phone.wait_for_url(f"**/workspace/buu-dien/nhan-tai-nha/{booked.pk}/")
    assert fits(phone)
    assert phone.locator("#pickup-address").inner_text().startswith("Số 5, tổ 3")
    phone.locator("#assign-form button").click()
    phone.wait_for_selector('#pickup-status[data-status="assigned"]')

    assert phone.locator("#r1").is_checked()  # the required declaration, with the counts the catalogue asks
    assert phone.locator("#o1").input_value() == "1"
    phone.locator("#fee_collected").check()
    for signer in ("applicant_image", "courier_image"):  # both sides sign on the screen
        canvas = phone.locator(f'canvas[data-signature-for="{signer}"]')
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        phone.mouse.move(box["x"] + 20, box["y"] + 40)
        phone.mouse.down()
        for step in range(1, 12):
            phone.mouse.move(box["x"] + 20 + step * 20, box["y"] + 40 + (step % 3) * 20)
        phone.mouse.up()
        assert phone.locator(f'input[name="{signer}"]').input_value().startswith("data:image/png;base64,")
    assert fits(phone)
    phone.locator("#collected").click()
    phone.wait_for_selector('#pickup-status[data-status="collected"]')
    assert phone.locator("#receipt-slip").is_visible() and phone.locator("#fee-receipt").is_visible()

    booked.refresh_from_db()
    assert booked.status == PickupStatus.COLLECTED and booked.receipt_number
    assert booked.signatures["applicant"]["image"].startswith("data:image/png;base64,")
    assert Dossier.objects.get(pk=booked.dossier_id).status == Status.RECEIVED
