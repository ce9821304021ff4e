"""Postal figures for supervisors, on a small hand-built period: per point and phase, dossiers received by post
(and by postal staff inside a phase-3 center), pickups requested / collected / failed, dossiers registered for
return by post, results handed to the post and delivered on time. Scoped to the supervisor's
agencies and those under them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from motcua.agencies.models import Membership, Role
from motcua.dossiers import services as dossier_services
from motcua.dossiers.actors import Actor
from motcua.postal import figures
from motcua.postal.models import Phase, PostalService, Shipment
from motcua.postal.services import pickups
from tests.factories import APPLICANT, MONDAY, World, at, make_citizen

CODE = "1.000894"
SIGNATURE = "data:image/png;base64,iVBORw0KGgo="  # a signature drawn on the courier's phone
PERIOD = (at(16, 0), at(21, 0))  # Monday 16 to Saturday 21 November 2026


def at_post(world: World, now: Any, **overrides: Any) -> Any:
    data = {"procedure": CODE, "channel": "post_office", "receiving_agency": world.post.identifier_code,
            "applicant": dict(APPLICANT), "components": [{"order": 1, "originals": 1}], **overrides}
    return dossier_services.create_dossier(actor=world.actor("buudien"), data=data, now=now)[0]


def booking(day: int) -> pickups.Booking:
    return pickups.Booking(address="Tổ 3", commune="06652", contact_name="An", contact_phone="0912345678",
                           start=at(day, 8), end=at(day, 10))


def build(world: World) -> None:
    row = PostalService.objects.create(point=world.post, phase=Phase.RECEPTION, home_pickup=True)
    row.service_area.add(world.post.unit)
    PostalService.objects.create(point=world.commune, phase=Phase.IN_CENTER)
    Membership.objects.create(user=world.users["buudien"], agency=world.commune, role=Role.POSTAL)
    at_post(world, MONDAY)
    by_post = at_post(world, MONDAY + timedelta(hours=1), delivery="post", delivery_address="Tổ 3, Hà Tu")
    # its result handed to the post on Thursday, delivered before its due date; another delivered late
    Shipment.objects.create(dossier=by_post, order_number=by_post.code, waybill="EB000000015VN", created_at=at(19, 9),
                            delivered_at=min(by_post.due_at, at(20, 10)), status="delivered")
    late = at_post(world, MONDAY + timedelta(hours=2), delivery="post", delivery_address="Tổ 4, Hà Tu")
    Shipment.objects.create(dossier=late, order_number=late.code, waybill="EB000000024VN", created_at=at(19, 10),
                            delivered_at=late.due_at + timedelta(hours=1), status="delivered")
    at_post(world, at(23, 9))  # the next week: outside the period
    citizen = Actor.for_user(make_citizen(phone="0912345678", id_number=APPLICANT["id_number"]).user)
    _d1, collected = pickups.book(actor=citizen, data={"procedure": CODE, "applicant": dict(APPLICANT)},
                                  booking=booking(17), now=MONDAY)
    _d2, failed = pickups.book(actor=citizen, data={"procedure": CODE, "applicant": dict(APPLICANT)},
                               booking=booking(18), now=MONDAY)
    pickups.collect(collected.pk, actor=world.actor("buudien"), now=at(17, 9), collection=pickups.Collection(
        checklist=[{"order": 1, "originals": 1, "copies": 0, "received": True}], applicant_name="An",
        applicant_image=SIGNATURE, courier_image=SIGNATURE))
    pickups.fail(failed.pk, actor=world.actor("buudien"), reason="not_home", now=at(18, 9))
    # postal staff receive at the phase-3 center
    dossier_services.create_dossier(actor=world.actor("buudien"), now=MONDAY, data={
        "procedure": CODE, "channel": "counter", "receiving_agency": world.commune.identifier_code,
        "applicant": dict(APPLICANT), "components": [{"order": 1, "originals": 1}]})
    # a reception officer's own reception at the center is not a postal figure
    dossier_services.create_dossier(actor=world.actor("tiepnhan"), now=MONDAY, data={
        "procedure": CODE, "channel": "counter", "receiving_agency": world.commune.identifier_code,
        "applicant": dict(APPLICANT), "components": [{"order": 1, "originals": 1}]})


def supervisor(world: World) -> Any:
    user = get_user_model().objects.create_user("giamsat", password="x")
    Membership.objects.create(user=user, agency=world.center, role=Role.SUPERVISOR)
    return user


def test_the_figures_of_a_small_period_by_point_and_phase(world: World) -> None:
    build(world)
    rows = figures.figures(Actor.for_user(supervisor(world)), *PERIOD)
    by = {(r.point.identifier_code, r.phase): r.counts for r in rows}
    post = by[(world.post.identifier_code, Phase.RECEPTION)]
    assert post["received"] == 5  # three at the counter of the post point, two booked for home pickup
    assert post["pickups_requested"] == 2 and post["pickups_collected"] == 1 and post["pickups_failed"] == 1
    assert post["postal_return"] == 2
    assert post["handed_to_post"] == 2
    assert post["delivered_on_time"] == 1  # the one delivered by its due date, not the late one
    center = by[(world.commune.identifier_code, Phase.IN_CENTER)]
    assert center["received"] == 1 and center["pickups_requested"] == 0
    assert set(by) == {(world.post.identifier_code, Phase.RECEPTION), (world.commune.identifier_code, Phase.IN_CENTER)}
    assert figures.totals(rows)["received"] == 6  # 5 at the post point, 1 by postal staff in the center
    # the next week holds only the dossier received then
    later = figures.figures(Actor.for_user(supervisor_again(world)), at(23, 0), at(28, 0))
    assert [(r.point.identifier_code, r.counts["received"]) for r in later] == [(world.post.identifier_code, 1)]


def supervisor_again(world: World) -> Any:
    return get_user_model().objects.get(username="giamsat")


def test_the_page_is_for_supervisors_of_those_agencies_only(world: World) -> None:
    build(world)
    client = Client()
    client.force_login(supervisor(world))
    page = client.get("/workspace/buu-dien/so-lieu/?tu=2026-11-16&den=2026-11-20")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-point="{world.post.identifier_code}" data-phase="2"' in html
    other = Client()
    other.force_login(world.users["kyso.tuphap"])  # a leader of the Department of Justice: no post point under it
    assert 'data-point=' not in other.get("/workspace/buu-dien/so-lieu/?tu=2026-11-16&den=2026-11-20").content.decode()
    courier = Client()
    courier.force_login(world.users["buudien"])
    assert courier.get("/workspace/buu-dien/so-lieu/").status_code == 403


def test_the_figures_cost_the_same_queries_for_a_few_dossiers_and_many(world: World) -> None:
    build(world)
    actor = Actor.for_user(supervisor(world))
    with CaptureQueriesContext(connection) as few:
        figures.figures(actor, *PERIOD)
    for hour in range(12):  # twelve more dossiers received at the post point, four of them to return by post
        extra = {"delivery": "post", "delivery_address": "Tổ 5, Hà Tu"} if hour % 3 == 0 else {}
        at_post(world, MONDAY + timedelta(hours=3, minutes=hour), **extra)
    with CaptureQueriesContext(connection) as many:
        rows = figures.figures(actor, *PERIOD)
    assert {(r.point.identifier_code, r.phase): r.counts for r in rows}[
        (world.post.identifier_code, Phase.RECEPTION)]["received"] == 5 + 12
    assert len(many.captured_queries) == len(few.captured_queries)
