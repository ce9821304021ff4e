"""The waiting room in a real Chromium (issue 15's "done when"): a kiosk on a phone-sized screen issues ticket
A015, the officer calls it from the workspace, and the display board shows A015 within seconds and chimes; a
recall chimes again. Then a citizen books a slot on her phone and checks in at the kiosk with its code."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from motcua.agencies.models import Counter
from motcua.core.calendar import VN_TZ
from motcua.counters import selectors, services
from motcua.counters.models import Appointment, ServiceArea, Ticket, TicketNumber
from tests.browsing import PHONE, fits
from tests.factories import World, make_citizen
from tests.test_browser_portal import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "vi-VN"}


@pytest.fixture
def room(transactional_db: Any) -> dict[str, Any]:
    world = World()
    counters = [Counter.objects.create(agency=world.center, number=n, name=f"Quầy {n}") for n in (1, 2)]
    a = ServiceArea.objects.create(agency=world.center, letter="A", name="Hộ tịch - Chứng thực", order=0)
    ServiceArea.objects.create(agency=world.center, letter="B", name="Đất đai - Xây dựng", order=1)
    a.counters.set(counters)
    # today's line of A served up to A014, as in the demo: the kiosk's next ticket is A015
    TicketNumber.objects.create(area=a, day=timezone.now().astimezone(VN_TZ).date(), last=14)
    return {"world": world, "area": a, "counter": counters[0], "code": world.center.identifier_code}


def signed_in(browser: Any, live_server: Any, user: Any, **options: Any) -> Any:
    context = browser.new_context(**options)
    client = Client()
    client.force_login(user)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def test_the_kiosk_issues_a015_and_the_display_shows_it_when_the_officer_calls_it(
        browser: Any, live_server: Any, room: dict[str, Any]) -> None:
    display = browser.new_context(**DESKTOP).new_page()
    display.goto(f"{live_server.url}/man-hinh/{room['code']}/")
    display.locator("#sound-on").click()  # a gesture: the browser may now play the chime
    assert display.locator("#latest-ticket").count() == 0

    kiosk = browser.new_context(**PHONE).new_page()
    kiosk.set_default_timeout(15_000)
    kiosk.goto(f"{live_server.url}/quay-so/{room['code']}/")
    assert fits(kiosk)
    assert serious_violations(kiosk) == []
    kiosk.locator('[data-area="A"]').click()
    assert kiosk.locator("#ticket-number").inner_text() == "A015"
    assert fits(kiosk)

    officer = signed_in(browser, live_server, room["world"].users["tiepnhan.tinh"], **DESKTOP)
    officer.goto(f"{live_server.url}/workspace/quay/?quay={room['counter'].pk}")
    assert officer.locator('#line [data-ticket="A015"]').count() == 1
    officer.locator("#call-next").click()
    officer.locator("#current", has_text="A015").wait_for()

    display.locator("#latest-ticket", has_text="A015").wait_for(timeout=6_000)  # polled every 2 s
    assert "1" in display.locator(".mc-board-counter").inner_text()
    display.locator('body[data-chimes="1"]').wait_for(state="attached", timeout=3_000)

    # the chime sounded (WebAudio running after the gesture), not only counted
    assert display.evaluate("document.body.dataset.chimePlayed") == "1"
    officer.locator("#recall").click()
    display.locator('body[data-chimes="2"]').wait_for(state="attached", timeout=6_000)
    assert Ticket.objects.get(number=15).called_count == 2


def test_a_citizen_books_on_her_phone_and_checks_in_at_the_kiosk(
        browser: Any, live_server: Any, room: dict[str, Any]) -> None:
    citizen = make_citizen(phone="0912000123")
    page = signed_in(browser, live_server, citizen.user, **PHONE)
    page.goto(f"{live_server.url}/dat-lich/")
    page.locator("#co-quan").select_option(room["code"])
    page.locator("#khu").wait_for()
    page.locator("#khu").select_option(str(room["area"].pk))
    page.locator("#slots label").first.wait_for()
    assert fits(page)
    page.locator("#slots label").first.click()
    page.locator("#slots button").click()
    page.locator("#appointment svg").wait_for()
    assert fits(page)
    appointment = Appointment.objects.get()
    assert appointment.user == citizen.user and appointment.phone == "0912000123"
    assert selectors.free_slots(room["area"], appointment.day)[0].free == 1  # of 2

    # on the day, from half an hour before: the kiosk checks the code in (moved here to now for the test)
    start = timezone.now() + timedelta(minutes=10)
    Appointment.objects.filter(pk=appointment.pk).update(starts_at=start, day=start.astimezone(VN_TZ).date())
    kiosk = browser.new_context(**PHONE).new_page()
    kiosk.goto(f"{live_server.url}/quay-so/{room['code']}/")
    kiosk.locator("#kiosk-appointment").click()
    kiosk.locator("#token").fill(f"{live_server.url}/dat-lich/{appointment.token}/")
    kiosk.locator("form button").first.click()
    assert kiosk.locator("#ticket-number").inner_text() == "A015"
    kiosk.goto(f"{live_server.url}/quay-so/{room['code']}/lich-hen/")
    kiosk.locator("#token").fill(appointment.token)
    kiosk.locator("form button").first.click()
    kiosk.locator("#kiosk-error").wait_for()  # checked in already: a clear answer, no second ticket
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
def test_the_display_board_fits_one_screen_without_scrolling(
        browser: Any, live_server: Any, room: dict[str, Any], size: tuple[int, int]) -> None:
    """A full board (8 numbers called, three areas with long names) fits the screen: nobody scrolls a TV."""
    ServiceArea.objects.create(agency=room["world"].center, letter="C", name="Kinh doanh - Giao thông - Khác", order=2)
    officer = room["world"].users["tiepnhan.tinh"]
    for _number in range(10):
        services.issue_ticket(area_id=room["area"].pk)
    for _number in range(8):
        services.call_next(counter=room["counter"], staff=officer)
    width, height = size
    page = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN").new_page()
    page.goto(f"{live_server.url}/man-hinh/{room['code']}/")
    assert page.locator("#called tbody tr").count() == 8
    assert page.evaluate("document.documentElement.scrollHeight") <= height
    assert fits(page)
    # large type still: the number called is readable across the room, each row of the list too
    number = page.evaluate("parseFloat(getComputedStyle(document.getElementById('latest-ticket')).fontSize)")
    row = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#called td')).fontSize)")
    assert number >= 96 and row >= 20, (number, row)

