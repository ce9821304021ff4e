"""The applicant of an online dossier sent from a citizen's or business's account is the account holder: the rule
lives in ``dossiers.services.create_dossier`` (``own_applicant``), so the API obeys it as the wizard does."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from motcua.api.auth import issue_token
from motcua.catalog.models import OnlineLevel, ProcedureVersion
from motcua.catalog.models import Status as CatalogStatus
from motcua.dossiers.models import Dossier
from motcua.notifications.models import Notification
from tests.factories import APPLICANT, World, deliver_notifications, make_citizen, sign_in

STRANGER = {"name": "Lê Thị Lạ", "id_number": "022090009999", "phone": "0987000111",
            "address": "Số 1 phố Lạ, Hạ Long"}


def online(applicant: dict[str, str]) -> dict[str, Any]:
    return {"procedure": "1.000894", "channel": "online", "receiving_agency": "000.01.20.H22",
            "applicant": applicant, "delivery": "electronic",
            "form": {"spouse_name": "Trần Thị Bình", "marriage_date": "05/12/2026"}}


def post(client: Client, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/dossiers", json.dumps(body), content_type="application/json")


def test_a_citizen_cannot_submit_in_someone_elses_name(world: World) -> None:
    citizen = make_citizen(full_name="Nguyễn Văn An", id_number="022090001234", phone="0912345678")
    session = Client()
    sign_in(session, citizen)
    token = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(citizen.user)}")
    for client in (session, token):
        for applicant in (
            STRANGER,  # another person entirely
            {**APPLICANT, "name": "Lê Thị Lạ"},  # the account's number under another name
            {**APPLICANT, "id_number": "022090009999"},  # another number
            {**APPLICANT, "phone": "0987000111"},  # the SMS would go to a stranger
            {**APPLICANT, "email": "la@example.vn"},  # the account has no email
        ):
            refused = post(client, online(applicant))
            assert refused.status_code == 403, refused.content
            body = refused.json()
            assert body["error"] == "applicant_not_account_holder"
            assert body["location"].startswith("applicant.") and body["message"]["vi"] and body["message"]["en"]
    deliver_notifications()
    assert Dossier.objects.count() == 0 and Notification.objects.count() == 0  # nothing created, nobody told

    # the same person, typed another way (spaces, case, +84), or with the contacts left out: the account's
    created = post(token, online({"name": "nguyễn  văn AN", "id_number": "0220 9000 1234", "phone": "+84912345678",
                                  "address": "Tổ 3, khu 5, phường Hà Tu"}))
    assert created.status_code == 201, created.content
    assert created.json()["applicant"] == {"kind": "person", "name": "Nguyễn Văn An", "id_number": "022090001234",
                                           "phone": "0912345678", "email": "", "address": "Tổ 3, khu 5, phường Hà Tu"}
    dossier = Dossier.objects.get()
    assert dossier.applicant_user_id == citizen.user.pk
    deliver_notifications()
    assert {n.recipient for n in Notification.objects.filter(dossier=dossier)} <= {"0912345678"}


def test_a_business_account_submits_as_the_business(world: World) -> None:
    business = make_citizen(full_name="Công ty TNHH Hà Tu", id_number="0100109106", kind="organization",
                            email="ketoan@hatu.vn")
    client = Client()
    sign_in(client, business)
    refused = post(client, online({"kind": "organization", "name": "Công ty khác", "id_number": "0100109106"}))
    assert refused.status_code == 403 and refused.json()["location"] == "applicant.name"
    created = post(client, online({"name": "Công ty TNHH Hà Tu", "id_number": "0100109106"}))
    assert created.status_code == 201, created.content
    applicant = created.json()["applicant"]
    assert applicant["kind"] == "organization" and applicant["email"] == "ketoan@hatu.vn"


def test_reception_staff_still_receive_for_anyone_at_the_counter(world: World) -> None:
    reception = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.users['tiepnhan'])}")
    body = {"procedure": "1.000894", "channel": "counter", "applicant": STRANGER,
            "components": [{"order": 1, "originals": 1}]}
    created = post(reception, body)
    assert created.status_code == 201, created.content
    assert created.json()["applicant"]["name"] == STRANGER["name"]
    assert Dossier.objects.get().applicant_user_id is None


def test_the_api_refuses_an_online_dossier_the_catalogue_does_not_take_online(world: World) -> None:
    """The rule the procedure page and the wizard show (``ProcedureVersion.submits_online``) is the service's:
    a suspended procedure, or one without an online service, is refused through the API too."""
    citizen = make_citizen(full_name="Nguyễn Văn An", id_number="022090001234", phone="0912345678")
    token = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(citizen.user)}")
    version = ProcedureVersion.objects.get(procedure__code="1.000894")
    for field, value in (("status", CatalogStatus.SUSPENDED), ("online_level", OnlineLevel.NONE)):
        original = getattr(version, field)
        ProcedureVersion.objects.filter(pk=version.pk).update(**{field: value})
        refused = post(token, online(APPLICANT))
        assert refused.status_code == 422, refused.content
        assert refused.json()["errors"][0]["error"] == "channel_not_offered"
        ProcedureVersion.objects.filter(pk=version.pk).update(**{field: original})
    assert Dossier.objects.count() == 0
    assert post(token, online(APPLICANT)).status_code == 201
