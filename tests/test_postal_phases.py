"""The postal phases per point and procedure (the Hạ Long pilot): phase 1 a post point only guides (its reception
is refused with a clear bilingual error), phase 2 it receives and returns (the behaviour without any row),
phase 3 postal staff working inside a center receive and return there like its reception officers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from motcua.agencies.models import Membership, Role
from motcua.catalog.models import Procedure
from motcua.dossiers import services as dossier_services
from motcua.dossiers.machine import Forbidden, may
from motcua.dossiers.models import Dossier
from motcua.dossiers.statuses import EventKind, Status
from motcua.postal import rules
from motcua.postal.models import Phase, PostalService
from tests.factories import APPLICANT, MONDAY, World, act, pay, through_processing

CODE = "1.000894"


def at_post(world: World, **overrides: Any) -> Any:
    data = {"procedure": CODE, "channel": "post_office", "receiving_agency": world.post.identifier_code,
            "applicant": dict(APPLICANT), "components": [{"order": 1, "originals": 1}], **overrides}
    return dossier_services.create_dossier(actor=world.actor("buudien"), data=data, now=MONDAY)[0]


def test_without_a_row_a_post_point_receives_as_before(world: World) -> None:
    assert rules.phase_of(world.post, Procedure.objects.get(code=CODE).pk) == Phase.RECEPTION
    assert rules.phase_of(world.commune, Procedure.objects.get(code=CODE).pk) is None
    dossier = at_post(world)
    assert dossier.status == Status.RECEIVED and dossier.plan[0]["role"] == Role.POSTAL
    assert "shared_with" not in dossier.plan[0]


def test_phase_1_guidance_only_refuses_reception_at_the_post_point(world: World) -> None:
    procedure = Procedure.objects.get(code=CODE)
    PostalService.objects.create(point=world.post, procedure=procedure, phase=Phase.GUIDANCE)
    with pytest.raises(rules.GuidanceOnly) as refused:
        at_post(world)
    assert refused.value.code == "postal_guidance_only"
    messages = refused.value.messages()  # bilingual (the lead adds the Vietnamese msgstr at merge)
    assert world.post.name in messages["vi"] and "phase 1" in messages["en"]
    # the point's default row does not override the procedure's own
    PostalService.objects.create(point=world.post, procedure=None, phase=Phase.RECEPTION)
    with pytest.raises(rules.GuidanceOnly):
        at_post(world)
    # another procedure of the point is still received
    assert rules.phase_of(world.post, procedure.pk + 1000) == Phase.RECEPTION


def test_phase_1_refusal_shows_on_the_reception_form(world: World) -> None:
    PostalService.objects.create(point=world.post, phase=Phase.GUIDANCE)
    client = Client()
    client.force_login(world.users["buudien"])
    response = client.post("/workspace/receive/", {
        "procedure": CODE, "point": world.post.identifier_code, "channel": "post_office", "delivery": "counter",
        "applicant_kind": "person", "applicant_name": APPLICANT["name"],
        "applicant_id_number": APPLICANT["id_number"], "c1-originals": "1", "c1-received": "1", "receive": "1"})
    assert response.status_code == 422
    with translation.override("vi"):
        expected = rules.GuidanceOnly("postal_guidance_only", rules.GUIDANCE_ONLY, {"point": world.post.name}).text()
    assert expected in response.content.decode()
    assert not Dossier.objects.exists()


def test_phase_3_postal_staff_receive_and_return_at_the_center(world: World) -> None:
    courier = world.users["buudien"]
    Membership.objects.create(user=courier, agency=world.commune, role=Role.POSTAL)
    center_data = {"procedure": CODE, "channel": "counter", "receiving_agency": world.commune.identifier_code,
                   "applicant": dict(APPLICANT), "components": [{"order": 1, "originals": 1}]}
    # before phase 3: the postal staff member may receive (a front role) but the return step is the officers'
    before = dossier_services.create_dossier(actor=world.actor("tiepnhan"), data=center_data, now=MONDAY)[0]
    assert "shared_with" not in before.plan[-1]

    PostalService.objects.create(point=world.commune, phase=Phase.IN_CENTER)
    dossier = dossier_services.create_dossier(actor=world.actor("buudien"), data=center_data, now=MONDAY)[0]
    assert dossier.status == Status.RECEIVED and dossier.plan[0]["role"] == Role.RECEPTION
    assert dossier.plan[0]["shared_with"] == [Role.POSTAL] and dossier.plan[-1]["shared_with"] == [Role.POSTAL]
    dossier = act(world, dossier, "transfer", "buudien", MONDAY + timedelta(minutes=10))  # the front step's action
    dossier = through_processing_after_transfer(world, dossier)
    assert dossier.status == Status.RESULT_READY
    assert may(dossier, EventKind.RETURN_RESULT, world.actor("buudien"))
    assert may(dossier, EventKind.RETURN_RESULT, world.actor("tiepnhan"))  # the officers still can
    pay(dossier, world.actor("buudien"), MONDAY + timedelta(hours=5))  # collected by the postal staff too
    returned = act(world, dossier, "return_result", "buudien", MONDAY + timedelta(hours=6), delivery="counter",
                   recipient=APPLICANT["name"])
    assert returned.status == Status.RETURNED

    # the earlier dossier, planned before phase 3, keeps its plan: postal staff cannot return it
    before = through_processing(world, before, MONDAY + timedelta(minutes=30))
    assert not may(before, EventKind.RETURN_RESULT, world.actor("buudien"))
    with pytest.raises(Forbidden):
        act(world, before, "return_result", "buudien", MONDAY + timedelta(hours=6), delivery="counter",
            recipient="x")


def through_processing_after_transfer(world: World, dossier: Any) -> Any:
    from tests.factories import issue

    dossier = act(world, dossier, "forward", "chuyenvien", MONDAY + timedelta(hours=1))
    dossier = act(world, dossier, "approve", "lanhdao", MONDAY + timedelta(hours=2))
    return issue(world, dossier, MONDAY + timedelta(hours=3))
