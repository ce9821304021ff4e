"""The waiting room (issue 15): numbered tickets per area and day, the officer's call next / recall / skip, the
display board, appointments (full, past, twice, check-in), the reminder SMS through the real notifications path,
the waiting-time figures, and the query budgets of the officer's counter and the display."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext
from django_tasks_db.models import DBTaskResult

from motcua.agencies.models import Counter, Membership, Role
from motcua.core.calendar import VN_TZ, calendar_for
from motcua.counters import errors, figures, selectors, services, tasks
from motcua.counters.models import (
    Appointment,
    AppointmentStatus,
    QueueEvent,
    ServiceArea,
    Ticket,
    TicketStatus,
)
from motcua.dossiers.actors import Actor
from motcua.notifications.models import Notification, NotificationChannel, NotificationStatus
from tests.concurrency import at_once
from tests.factories import World, deliver_notifications, make_citizen, sign_in

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 12, 7, 8, 0, tzinfo=VN_TZ)  # an ordinary working Monday
SATURDAY = datetime(2026, 12, 12, 9, 0, tzinfo=VN_TZ)
NATIONAL_DAY = datetime(2026, 9, 2, 9, 0, tzinfo=VN_TZ)


@pytest.fixture
def room(world: World) -> dict[str, Any]:
    """The provincial center's waiting room: A (counters 1, 2), B (counter 3), slots of 15 min for 1 person."""
    center = world.center
    counters = [Counter.objects.create(agency=center, number=n, name=f"Quầy {n}") for n in (1, 2, 3)]
    a = ServiceArea.objects.create(agency=center, letter="A", name="Hộ tịch", slot_capacity=1, order=0)
    b = ServiceArea.objects.create(agency=center, letter="B", name="Đất đai", slot_capacity=1, order=1)
    a.counters.set(counters[:2])
    b.counters.set(counters[2:])
    return {"a": a, "b": b, "counters": counters, "officer": world.users["tiepnhan.tinh"],
            "center": center}


def issue(area: ServiceArea, now: datetime = MONDAY, count: int = 1) -> list[Ticket]:
    return [services.issue_ticket(area_id=area.pk, now=now + timedelta(seconds=i)) for i in range(count)]


# --- numbering ------------------------------------------------------------------------------------------------


def test_numbers_run_per_area_and_day_without_gaps(room: dict[str, Any]) -> None:
    a, b = room["a"], room["b"]
    assert [t.label for t in issue(a, count=3)] == ["A001", "A002", "A003"]
    assert [t.label for t in issue(b, count=2)] == ["B001", "B002"]
    assert issue(a, MONDAY + timedelta(days=1))[0].label == "A001"  # a new day starts again
    assert QueueEvent.objects.filter(action="issue").count() == 6


def test_a_kiosk_of_one_center_cannot_issue_another_centers_area(room: dict[str, Any], world: World) -> None:
    with pytest.raises(errors.AreaNotFound):
        services.issue_ticket(area_id=room["a"].pk, agency=world.commune, now=MONDAY)
    room["a"].is_active = False
    room["a"].save()
    with pytest.raises(errors.AreaNotFound):
        services.issue_ticket(area_id=room["a"].pk, now=MONDAY)


@pytest.mark.django_db(transaction=True)
def test_kiosks_at_once_get_distinct_consecutive_numbers(room: dict[str, Any]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("threads writing at once need PostgreSQL (SQLite's test database is one connection)")
    area = room["a"]
    results = at_once(8, lambda i: services.issue_ticket(area_id=area.pk).number)
    assert sorted(results) == list(range(1, 9)), results


@pytest.mark.django_db(transaction=True)
def test_two_officers_calling_at_once_never_get_the_same_ticket(room: dict[str, Any]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("threads writing at once need PostgreSQL (SQLite's test database is one connection)")
    issue(room["a"], timezone.now(), count=2)
    one, two = room["counters"][:2]
    results = at_once(2, lambda i: services.call_next(counter=(one, two)[i], staff=room["officer"]).label)
    assert sorted(results) == ["A001", "A002"], results


# --- calling ----------------------------------------------------------------------------------------------------


def test_call_next_takes_checked_in_appointments_then_the_oldest_ticket_of_the_counters_areas(
        room: dict[str, Any]) -> None:
    a, b = room["a"], room["b"]
    one, _two, three = room["counters"]
    officer = room["officer"]
    issue(a, MONDAY, count=2)
    issue(b, MONDAY)
    booked = services.book(area_id=a.pk, starts_at=MONDAY + timedelta(hours=1), name="An", phone="0912000111",
                           now=MONDAY - timedelta(days=1))
    with_appointment = services.check_in(token=booked.token, agency=room["center"],
                                         now=MONDAY + timedelta(minutes=40))
    assert with_appointment.label == "A003" and with_appointment.appointment == booked
    now = MONDAY + timedelta(minutes=45)
    assert services.call_next(counter=one, staff=officer, now=now).label == "A003"
    called = services.call_next(counter=one, staff=officer, now=now + timedelta(minutes=5))
    assert called.label == "A001" and called.counter == one and called.called_count == 1
    assert Ticket.objects.get(pk=with_appointment.pk).status == TicketStatus.DONE  # the next call closes it
    assert services.call_next(counter=three, staff=officer, now=now).label == "B001"  # B's counter: B only
    with pytest.raises(errors.NobodyWaiting):
        services.call_next(counter=three, staff=officer, now=now)


def test_a_ticket_called_twice_is_refused_clearly_and_stays_with_the_first_counter(room: dict[str, Any]) -> None:
    one, two, _three = room["counters"]
    officer = room["officer"]
    [ticket] = issue(room["a"])
    services.call(ticket_id=ticket.pk, counter=one, staff=officer, now=MONDAY)
    with pytest.raises(errors.AlreadyCalled) as refused:
        services.call(ticket_id=ticket.pk, counter=two, staff=officer, now=MONDAY)
    with translation.override("en"):
        assert refused.value.code == "ticket_already_called" and "A001" in refused.value.text()
        assert "counter 1" in refused.value.text()
    ticket.refresh_from_db()
    assert ticket.counter == one and ticket.called_count == 1
    with pytest.raises(errors.NobodyWaiting):
        services.call_next(counter=two, staff=officer, now=MONDAY)


def test_recall_chimes_again_and_skip_sets_aside_a_ticket_that_may_be_called_later(room: dict[str, Any]) -> None:
    one = room["counters"][0]
    officer = room["officer"]
    issue(room["a"], count=2)
    first = services.call_next(counter=one, staff=officer, now=MONDAY + timedelta(minutes=1))
    before = selectors.board(room["center"], MONDAY).signature
    again = services.recall(ticket_id=first.pk, staff=officer, now=MONDAY + timedelta(minutes=2))
    assert again.called_count == 2 and again.last_called_at > again.called_at
    assert selectors.board(room["center"], MONDAY).signature != before  # the display chimes
    skipped = services.skip(ticket_id=first.pk, staff=officer, now=MONDAY + timedelta(minutes=3))
    assert skipped.status == TicketStatus.SKIPPED
    with pytest.raises(errors.NotAtThisCounter):
        services.recall(ticket_id=first.pk, staff=officer)
    assert services.call_next(counter=one, staff=officer, now=MONDAY + timedelta(minutes=4)).label == "A002"
    back = services.call(ticket_id=first.pk, counter=one, staff=officer, now=MONDAY + timedelta(minutes=9))
    assert back.is_called and back.label == "A001" and back.finished_at is None
    assert back.called_at == MONDAY + timedelta(minutes=1) and back.called_count == 3  # its first call kept
    done = services.finish(ticket_id=back.pk, staff=officer, now=MONDAY + timedelta(minutes=15))
    assert done.status == TicketStatus.DONE
    actions = list(QueueEvent.objects.filter(ticket=first).values_list("action", flat=True))
    assert actions == ["issue", "call", "recall", "skip", "call", "finish"]


def test_an_officer_of_another_agency_cannot_call_at_this_counter(room: dict[str, Any], world: World) -> None:
    issue(room["a"])
    with pytest.raises(errors.NotYourCounter):
        services.call_next(counter=room["counters"][0], staff=world.users["tiepnhan"], now=MONDAY)
    assert selectors.counter_for(world.actor("tiepnhan"), room["counters"][0].pk) is None


# --- appointments -----------------------------------------------------------------------------------------------


def book(room: dict[str, Any], starts_at: datetime, phone: str = "0912000111", now: datetime | None = None,
         **extra: Any) -> Appointment:
    return services.book(area_id=room["a"].pk, starts_at=starts_at, name="Nguyễn Văn An", phone=phone,
                         now=now or MONDAY - timedelta(days=3), **extra)


def test_booking_a_full_slot_a_past_time_a_closed_day_or_twice_is_refused_and_nothing_is_lost(
        room: dict[str, Any]) -> None:
    slot = MONDAY + timedelta(hours=2)  # 10:00
    kept = book(room, slot)
    with pytest.raises(errors.SlotFull):
        book(room, slot, phone="0912000222")
    with pytest.raises(errors.AlreadyBooked):
        book(room, slot + timedelta(minutes=30))  # the same person, area and day
    with pytest.raises(errors.SlotPast):
        book(room, slot, phone="0912000333", now=slot + timedelta(minutes=1))
    for closed in (SATURDAY, NATIONAL_DAY, MONDAY + timedelta(hours=4)):  # weekend, holiday, lunch break
        with pytest.raises(errors.SlotUnavailable):
            book(room, closed, phone="0912000444", now=closed - timedelta(days=1))
    with pytest.raises(errors.SlotUnavailable):
        book(room, slot + timedelta(minutes=7), phone="0912000555")  # not a slot's start
    assert list(Appointment.objects.values_list("pk", "status")) == [(kept.pk, AppointmentStatus.BOOKED)]
    free = {s.starts_at: s.free for s in selectors.free_slots(room["a"], slot.date(), MONDAY)}
    assert free[slot] == 0 and free[slot + timedelta(minutes=15)] == 1
    services.cancel(token=kept.token, now=MONDAY)
    assert book(room, slot, phone="0912000222").is_booked  # the place is free again


def test_check_in_at_the_kiosk_too_early_on_time_twice_and_too_late(room: dict[str, Any], world: World) -> None:
    slot = MONDAY + timedelta(hours=2)
    appointment = book(room, slot)
    center = room["center"]
    with pytest.raises(errors.CheckInTooEarly):
        services.check_in(token=appointment.token, agency=center, now=slot - timedelta(hours=1))
    with pytest.raises(errors.AppointmentNotFound):
        services.check_in(token="nothing-like-it", agency=center, now=slot)
    with pytest.raises(errors.AppointmentNotFound):  # another center's kiosk
        services.check_in(token=appointment.token, agency=world.commune, now=slot)
    url = f"https://motcua.example/dat-lich/{appointment.token}/"  # the QR code holds the page's address
    ticket = services.check_in(token=url, agency=center, now=slot - timedelta(minutes=10))
    assert ticket.priority == 0 and ticket.appointment_id == appointment.pk
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN
    with pytest.raises(errors.AppointmentUsed):
        services.check_in(token=appointment.token, agency=center, now=slot)
    late = book(room, slot + timedelta(hours=1), phone="0912000999")
    with pytest.raises(errors.CheckInTooLate):
        services.check_in(token=late.token, agency=center, now=slot + timedelta(hours=1, minutes=20))


@pytest.fixture
def sms_files(settings: Any, tmp_path: Path) -> Path:
    settings.SMS_PROVIDER = "file"
    settings.SMS_FILE_PATH = tmp_path / "sms"
    return tmp_path / "sms"


def test_the_booking_is_confirmed_by_sms_and_reminded_by_the_worker_before_its_slot(
        room: dict[str, Any], sms_files: Path, settings: Any) -> None:
    settings.MOTCUA_APPOINTMENT_REMINDER_HOURS = 24
    now = timezone.now()
    day = selectors.bookable_days(room["a"], now + timedelta(days=3))[0]
    slot = [s for s in selectors.free_slots(room["a"], day, now) if s.is_free][0].starts_at
    appointment = book(room, slot, now=now)
    assert appointment.reminder_at == slot - timedelta(hours=24)
    deliver_notifications()  # the confirmation goes now; the reminder waits for its time
    [confirmation] = Notification.objects.filter(template="appointment_booked")
    assert confirmation.channel == NotificationChannel.SMS and confirmation.status == NotificationStatus.SENT
    assert appointment.token in confirmation.body and slot.astimezone(VN_TZ).strftime("%H:%M") in confirmation.body
    [reminder_task] = DBTaskResult.objects.filter(status="READY")
    assert reminder_task.run_after == appointment.reminder_at
    assert reminder_task.args_kwargs["args"] == [appointment.pk]
    assert not Notification.objects.filter(template="appointment_reminder").exists()
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - timedelta(seconds=1))
    deliver_notifications()  # the reminder task: it queues the SMS…
    deliver_notifications()  # …which the worker sends
    [reminder] = Notification.objects.filter(template="appointment_reminder")
    assert reminder.status == NotificationStatus.SENT and reminder.recipient == "0912000111"
    assert len(list(sms_files.glob("*.txt"))) == 2
    assert tasks.remind(appointment.pk) == "skipped"  # a task run twice never texts twice


def test_a_cancelled_appointment_is_not_reminded(room: dict[str, Any], sms_files: Path) -> None:
    now = timezone.now()
    day = selectors.bookable_days(room["a"], now + timedelta(days=3))[0]
    slot = selectors.free_slots(room["a"], day, now)[0].starts_at
    appointment = book(room, slot, now=now)
    services.cancel(token=appointment.token, now=now)
    assert tasks.remind(appointment.pk) == "skipped"
    assert not Notification.objects.filter(template="appointment_reminder").exists()


def test_a_same_day_booking_is_reminded_two_hours_before_or_not_at_all(room: dict[str, Any]) -> None:
    slot = MONDAY + timedelta(hours=6)  # 14:00
    assert book(room, slot, now=MONDAY).reminder_at == slot - timedelta(hours=2)
    assert book(room, slot + timedelta(minutes=15), phone="0912000222",
                now=slot - timedelta(hours=1)).reminder_at is None


# --- figures ----------------------------------------------------------------------------------------------------


def test_waiting_time_figures_per_area_and_day_scoped_to_the_supervisor(room: dict[str, Any], world: World) -> None:
    one = room["counters"][0]
    officer = room["officer"]
    tickets = issue(room["a"], count=3)
    for minutes, ticket in zip((10, 20, 40), tickets, strict=True):
        called = services.call(ticket_id=ticket.pk, counter=one, staff=officer, now=ticket.issued_at
                               + timedelta(minutes=minutes))
        if minutes == 40:
            services.skip(ticket_id=called.pk, staff=officer, now=called.called_at + timedelta(minutes=1))
        else:
            services.finish(ticket_id=called.pk, staff=officer, now=called.called_at + timedelta(minutes=6))
    issue(room["b"])
    kept = book(room, MONDAY + timedelta(hours=1))
    services.check_in(token=kept.token, agency=room["center"], now=MONDAY + timedelta(minutes=50))
    book(room, MONDAY + timedelta(hours=2), phone="0912000222")  # never came
    supervisor = world.users["kyso.tuphap"]
    assert figures.figures(Actor.for_user(supervisor), MONDAY.date(), MONDAY.date()) == []  # not her center
    Membership.objects.create(user=supervisor, agency=room["center"], role=Role.SUPERVISOR)
    rows = {r.area.letter: r for r in figures.figures(Actor.for_user(supervisor), MONDAY.date(), MONDAY.date(),
                                                      now=MONDAY + timedelta(hours=8))}
    a = rows["A"]
    assert (a.issued, a.served, a.skipped, a.waiting) == (4, 2, 1, 1)  # the checked-in appointment's ticket waits
    assert (a.booked, a.kept, a.missed) == (2, 1, 1)
    assert a.wait_mean == pytest.approx(23.3, abs=0.1) and a.wait_p90 == pytest.approx(40, abs=0.1)
    assert a.service_mean == pytest.approx(6, abs=0.1)
    assert (rows["B"].issued, rows["B"].waiting, rows["B"].wait_mean) == (1, 1, None)


# --- pages --------------------------------------------------------------------------------------------------------


def test_the_kiosk_issues_a_ticket_and_the_display_shows_it_when_called(room: dict[str, Any]) -> None:
    kiosk = Client()
    code = room["center"].identifier_code
    page = kiosk.get(f"/quay-so/{code}/").content.decode()
    assert 'data-area="A"' in page and 'data-area="B"' in page
    response = kiosk.post(f"/quay-so/{code}/", {"area": room["a"].pk})
    assert response.status_code == 200
    assert re.search(r'id="ticket-number">A001<', response.content.decode())
    ticket = Ticket.objects.get()
    follow = kiosk.get(f"/quay-so/ve/{ticket.token}/").content.decode()
    assert "A001" in follow and 'id="ahead"' in follow
    officer = Client()
    officer.force_login(room["officer"])
    desk = officer.post(f"/workspace/quay/{room['counters'][0].pk}/next/", HTTP_HX_REQUEST="true")
    assert desk.status_code == 200 and 'id="current">A001<' in desk.content.decode()
    board = Client().get(f"/man-hinh/{code}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="latest-ticket">A001<' in board and 'data-chime="' in board
    assert "0912" not in board  # no personal data on the board
    api = Client().get(f"/api/v1/queue/{code}/display").json()
    assert api["called"][0] == {"ticket": "A001", "area": "A", "counter": 1, "calls": 1,
                                "called_at": api["called"][0]["called_at"]}
    assert api["lines"][0] == {"letter": "A", "name": "Hộ tịch", "waiting": 0}
    assert Client().get("/api/v1/queue/000.00.99.H22/display").status_code == 404


def test_a_second_call_of_the_same_ticket_shows_the_refusal_on_the_officers_page(room: dict[str, Any]) -> None:
    [ticket] = issue(room["a"], timezone.now())
    officer = Client()
    officer.force_login(room["officer"])
    one, two, _ = room["counters"]
    officer.post(f"/workspace/quay/{one.pk}/call/", {"ticket": ticket.pk}, HTTP_HX_REQUEST="true")
    page = officer.post(f"/workspace/quay/{two.pk}/call/", {"ticket": ticket.pk}, HTTP_HX_REQUEST="true")
    assert 'id="desk-error"' in page.content.decode()
    assert Ticket.objects.get().counter == one


def test_a_citizen_books_a_slot_sees_the_qr_code_and_a_full_slot_is_explained(room: dict[str, Any]) -> None:
    citizen = make_citizen(phone="0912000777")
    client = Client()
    sign_in(client, citizen)
    code = room["center"].identifier_code
    now = timezone.now()
    day = selectors.bookable_days(room["a"], now + timedelta(days=2))[0]
    page = client.get(f"/dat-lich/?co-quan={code}&khu={room['a'].pk}&ngay={day}").content.decode()
    slot = re.findall(r'name="slot" id="slot-\d+" value="([^"]+)"', page)[0]
    url = f"/dat-lich/?co-quan={code}&khu={room['a'].pk}&ngay={day}"
    response = client.post(url, {"slot": slot})
    appointment = Appointment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/dat-lich/{appointment.token}/"
    confirmation = client.get(response["Location"]).content.decode()
    assert "<svg" in confirmation and appointment.token in confirmation
    other = Client()
    sign_in(other, make_citizen(phone="0912000888", id_number="022090009999"))
    refused = other.post(url, {"slot": slot})
    assert refused.status_code == 409 and 'id="book-error"' in refused.content.decode()
    assert Appointment.objects.count() == 1
    mine = client.get("/dat-lich/cua-toi/").content.decode()
    assert appointment.token in mine


def test_the_figures_page_and_its_csv_are_for_leaders_and_supervisors(room: dict[str, Any], world: World) -> None:
    issue(room["a"], timezone.now())
    officer = Client()
    officer.force_login(room["officer"])
    assert officer.get("/workspace/quay/so-lieu/").status_code == 403
    supervisor = world.users["kyso.tuphap"]
    Membership.objects.create(user=supervisor, agency=room["center"], role=Role.SUPERVISOR)
    client = Client()
    client.force_login(supervisor)
    assert 'data-area="A"' in client.get("/workspace/quay/so-lieu/").content.decode()
    response = client.get("/workspace/quay/so-lieu.csv")
    csv_text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(csv_text)))[:2]  # "Cơ quan, đơn vị" holds a comma: quoted
    with translation.override("vi"):  # the page's language, Vietnamese by default, as the statistics exports
        expected = [gettext("Day"), gettext("Agency"), gettext("Service area"),
                    pgettext("queue", "Tickets issued"), gettext("Served")]
    assert header[:5] == expected and header[0] != "day"
    assert row[2:4] == ["A Hộ tịch", "1"]


# --- query budgets ----------------------------------------------------------------------------------------------


def _queries(client: Client, url: str, **headers: Any) -> tuple[int, str]:
    client.get(url, **headers)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_the_officers_counter_and_the_display_cost_the_same_queries_for_1_and_50_tickets(
        room: dict[str, Any]) -> None:
    now = timezone.now()
    one = room["counters"][0]
    officer = Client()
    officer.force_login(room["officer"])
    issue(room["a"], now, count=2)
    services.call_next(counter=one, staff=room["officer"], now=now)
    desk_url, board_url = f"/workspace/quay/?quay={one.pk}", f"/man-hinh/{room['center'].identifier_code}/"
    desk_one, _ = _queries(officer, desk_url)
    board_one, _ = _queries(Client(), board_url)
    issue(room["a"], now, count=50)
    issue(room["b"], now, count=10)
    for _ in range(8):
        services.call_next(counter=one, staff=room["officer"], now=now)
    desk_many, page = _queries(officer, desk_url)
    board_many, board = _queries(Client(), board_url)
    assert page.count('data-ticket="A') >= 10 and board.count("data-ticket=") == 8
    assert desk_many == desk_one, (desk_one, desk_many)
    assert board_many == board_one, (board_one, board_many)
    print(f"query budget: counter {desk_many}, display {board_many}")


def test_bookable_days_skip_weekends_and_holidays(room: dict[str, Any]) -> None:
    days = selectors.bookable_days(room["a"], datetime(2026, 8, 28, 18, 0, tzinfo=VN_TZ), count=4)
    # Fri 28 Aug evening: the weekend and the National Day holidays around 2 Sep are skipped
    calendar = calendar_for()
    assert len(days) == 4 and date(2026, 9, 2) not in days and days[0] > date(2026, 8, 30)
    assert all(calendar.is_working_day(day) and day.weekday() < 5 for day in days)
    assert [day for day in (date(2026, 8, 31), date(2026, 9, 1)) if day not in days] == [
        day for day in (date(2026, 8, 31), date(2026, 9, 1)) if not calendar.is_working_day(day)]


def test_my_appointments_and_the_figures_cost_the_same_queries_for_few_and_many_rows(
        room: dict[str, Any], world: World) -> None:
    citizen = make_citizen(phone="0912000555")
    client = Client()
    sign_in(client, citizen)
    now = timezone.now()
    days = selectors.bookable_days(room["a"], now + timedelta(days=1), count=12)

    def book_on(day: date, area: ServiceArea) -> None:
        slot = selectors.free_slots(area, day, now)[0].starts_at
        services.book(area_id=area.pk, starts_at=slot, name=citizen.full_name, phone=citizen.phone,
                      user=citizen.user, now=now)

    book_on(days[0], room["a"])
    few, _ = _queries(client, "/dat-lich/cua-toi/")
    for day in days[1:]:
        book_on(day, room["a"])
        book_on(day, room["b"])
    many, page = _queries(client, "/dat-lich/cua-toi/")
    assert page.count('data-status="booked"') == 23 and many == few, (few, many)

    supervisor = world.users["kyso.tuphap"]
    Membership.objects.create(user=supervisor, agency=room["center"], role=Role.SUPERVISOR)
    staff = Client()
    staff.force_login(supervisor)
    url = f"/workspace/quay/so-lieu/?tu={days[0]}&den={days[-1]}"
    few_rows, first = _queries(staff, f"/workspace/quay/so-lieu/?tu={days[0]}&den={days[0]}")
    many_rows, page = _queries(staff, url)
    assert first.count("data-area=") == 1 and page.count("data-area=") == 23
    assert many_rows == few_rows, (few_rows, many_rows)


# --- what a new user found (labels, refusals, booking links, the wait, cancelling) -----------------------------


def test_the_figures_and_the_counter_use_their_own_labels(room: dict[str, Any], world: World) -> None:
    """"Issued" was a date's label ("Ngày ban hành") and "At the counter" a delivery channel's ("Trực tiếp tại Bộ
    phận Một cửa"): the waiting room's labels have their own msgids."""
    issue(room["a"], timezone.now())
    supervisor = world.users["kyso.tuphap"]
    Membership.objects.create(user=supervisor, agency=room["center"], role=Role.SUPERVISOR)
    client = Client()
    client.force_login(supervisor)
    with translation.override("vi"):
        issued, date_of_issue, channel = gettext("Issued"), gettext("Date of issue"), gettext("At the counter")
        tickets_issued, now_here = pgettext("queue", "Tickets issued"), pgettext("queue", "Now at your counter")
    page = client.get("/workspace/quay/so-lieu/").content.decode()
    assert f">{tickets_issued}</th>" in page
    assert f">{issued}</th>" not in page and f">{date_of_issue}</th>" not in page
    officer = Client()
    officer.force_login(room["officer"])
    desk = officer.get(f"/workspace/quay/?quay={room['counters'][0].pk}").content.decode()
    assert now_here in desk and channel not in desk


def test_a_second_desk_calling_the_same_ticket_is_refused_as_an_error(room: dict[str, Any]) -> None:
    one, two = room["counters"][:2]
    ticket = issue(room["a"], timezone.now())[0]
    first, second = Client(), Client()
    first.force_login(room["officer"])
    second.force_login(room["officer"])
    assert first.post(f"/workspace/quay/{one.pk}/call/", {"ticket": ticket.pk}, HTTP_HX_REQUEST="true"
                      ).status_code == 200
    page = second.post(f"/workspace/quay/{two.pk}/call/", {"ticket": ticket.pk}, HTTP_HX_REQUEST="true"
                       ).content.decode()
    with translation.override("vi"):
        refusal = errors.AlreadyCalled("A001", 1).text("vi")
    assert re.search(r'<div class="alert alert-danger" role="alert" id="desk-error">\s*' + re.escape(refusal), page)
    assert "alert-warning" not in page
    assert errors.AlreadyCalled("A001", 1).text("en").startswith("Cannot call: ticket A001")
    assert Ticket.objects.get(pk=ticket.pk).counter == one


def test_a_stale_page_is_told_where_its_ticket_went(room: dict[str, Any]) -> None:
    """"Call again" (or skip, served) from a page that still shows a ticket set aside, served or called elsewhere
    since: refused with the reason, never "nobody is waiting"."""
    one, two = room["counters"][:2]
    officer = room["officer"]
    now = timezone.now()
    ticket = issue(room["a"], now)[0]
    services.call_next(counter=one, staff=officer, now=now)
    services.skip(ticket_id=ticket.pk, staff=officer, now=now)  # set aside from another tab of the counter
    client = Client()
    client.force_login(officer)
    page = client.post(f"/workspace/quay/{one.pk}/recall/", {"ticket": ticket.pk},
                       HTTP_HX_REQUEST="true").content.decode()
    with translation.override("vi"):
        skipped = errors.NotAtThisCounter("A001", TicketStatus.SKIPPED, 1).text("vi")
        nobody = errors.NobodyWaiting().text("vi")
    assert 'id="desk-error"' in page and skipped in page and nobody not in page
    services.call(ticket_id=ticket.pk, counter=two, staff=officer, now=now)  # its holder came back to counter 2
    with pytest.raises(errors.NotAtThisCounter) as called_elsewhere:
        services.recall(ticket_id=ticket.pk, counter=one, staff=officer, now=now)
    assert "counter 2" in called_elsewhere.value.text("en")
    # a desk cannot end another counter's ticket through its page
    page = client.post(f"/workspace/quay/{one.pk}/skip/", {"ticket": ticket.pk},
                       HTTP_HX_REQUEST="true").content.decode()
    assert 'id="desk-error"' in page and Ticket.objects.get(pk=ticket.pk).is_called
    services.finish(ticket_id=ticket.pk, counter=two, staff=officer, now=now)
    with pytest.raises(errors.NotAtThisCounter) as served:
        services.finish(ticket_id=ticket.pk, counter=two, staff=officer, now=now)
    assert "served at counter 2" in served.value.text("en")


def test_booking_links_only_where_appointments_are_taken(room: dict[str, Any], world: World) -> None:
    """The post office takes no appointments: its page has no booking link, and ``?co-quan=`` naming it says so
    instead of switching to another service point; the center's page links to its own booking."""
    ServiceArea.objects.create(agency=world.post, letter="P", name="Bưu điện", slot_capacity=0)
    citizen = make_citizen(phone="0912000666")
    client = Client()
    sign_in(client, citizen)
    post_page = client.get(f"/co-quan/{world.post.identifier_code}/").content.decode()
    assert "/dat-lich/" not in post_page
    center_code = room["center"].identifier_code
    center_page = client.get(f"/co-quan/{center_code}/").content.decode()
    assert f'href="/dat-lich/?co-quan={center_code}" id="agency-book"' in center_page
    refused = client.get(f"/dat-lich/?co-quan={world.post.identifier_code}").content.decode()
    assert 'id="book-refused"' in refused and world.post.name in refused
    choice = re.search(r'<select[^>]*id="co-quan".*?</select>', refused, re.S)
    assert choice and " selected>" not in choice.group(0)  # no service point chosen in its place
    assert f'value="{world.post.identifier_code}"' not in refused  # not offered in the list either
    chosen = client.get(f"/dat-lich/?co-quan={center_code}").content.decode()
    assert 'id="book-refused"' not in chosen and f'value="{center_code}" selected' in chosen


def test_a_kiosk_without_service_areas_only_says_it_issues_no_tickets(world: World) -> None:
    page = Client().get(f"/quay-so/{world.post.identifier_code}/").content.decode()
    with translation.override("vi"):
        assert gettext("This service point issues no tickets.") in page
        assert gettext("Choose a service to take a number") not in page


def test_the_first_ticket_of_an_area_nobody_calls_shows_no_zero_minute_wait(room: dict[str, Any]) -> None:
    now = timezone.now()
    b001, b002 = issue(room["b"], now, count=2)
    first = selectors.place(b001.token)
    assert first is not None and first.is_next and not first.calling
    page = Client().get(f"/quay-so/ve/{b001.token}/").content.decode()
    assert 'id="not-calling"' in page and 'id="estimate"' not in page
    second = selectors.place(b002.token)
    assert second is not None and second.ahead == 1 and second.minutes >= 1
    services.call_next(counter=room["counters"][2], staff=room["officer"], now=now)
    after = selectors.place(b002.token)
    assert after is not None and after.is_next and after.calling
    assert 'id="not-calling"' not in Client().get(f"/quay-so/ve/{b002.token}/").content.decode()


def test_cancelling_asks_first_and_its_address_opened_goes_to_the_appointment(room: dict[str, Any]) -> None:
    citizen = make_citizen(phone="0912000444")
    client = Client()
    sign_in(client, citizen)
    now = timezone.now()
    day = selectors.bookable_days(room["a"], now + timedelta(days=1))[0]
    appointment = services.book(area_id=room["a"].pk, starts_at=selectors.free_slots(room["a"], day, now)[0].starts_at,
                                name=citizen.full_name, phone=citizen.phone, user=citizen.user, now=now)
    page = client.get(f"/dat-lich/{appointment.token}/").content.decode()
    form = re.search(r'<form[^>]*id="cancel-appointment"[^>]*>', page)
    assert form and "hx-confirm=" in form.group(0) and 'hx-post="' in form.group(0)
    opened = client.get(f"/dat-lich/{appointment.token}/huy/")
    assert opened.status_code == 302 and opened["Location"] == f"/dat-lich/{appointment.token}/"
    assert Appointment.objects.get(pk=appointment.pk).is_booked
    confirmed = client.post(f"/dat-lich/{appointment.token}/huy/", HTTP_HX_REQUEST="true")
    assert confirmed.status_code == 200 and confirmed["HX-Redirect"] == "/dat-lich/cua-toi/"
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.CANCELLED

