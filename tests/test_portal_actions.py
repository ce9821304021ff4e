"""The citizen's withdraw and supplement: the page shows the button exactly when the state machine allows the
action (``machine.may``), and a crafted POST where it does not is refused and changes nothing."""

from __future__ import annotations

import io
import json
from typing import Any

from django.test import Client

from motcua.dossiers import machine, services
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Attachment, Dossier, Event
from motcua.dossiers.statuses import Status
from tests.factories import World, make_citizen, pdf_bytes, sign_in

MISSING = {"missing": [{"document": "Giấy xác nhận tình trạng hôn nhân", "reason": "Chưa có bản chính"}]}


def submitted(world: World) -> tuple[Client, Dossier]:
    citizen = make_citizen(full_name="Nguyễn Văn An", id_number="022090001234", phone="0912345678")
    client = Client()
    sign_in(client, citizen)
    response = client.post("/api/v1/dossiers", json.dumps({
        "procedure": "1.000894", "channel": "online", "receiving_agency": "000.01.20.H22", "delivery": "electronic",
        "applicant": {"name": "Nguyễn Văn An", "id_number": "022090001234"},
        "form": {"spouse_name": "Trần Thị Bình", "marriage_date": "05/12/2026"},
    }), content_type="application/json")
    assert response.status_code == 201, response.content
    return client, Dossier.objects.get(code=response.json()["code"])


def page(client: Client, dossier: Dossier) -> str:
    return str(client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode())


def upload() -> io.BytesIO:
    handle = io.BytesIO(pdf_bytes())
    handle.name = "xac-nhan.pdf"
    return handle


def withdraw_form(dossier: Dossier) -> str:
    return f'action="/ho-so-cua-toi/{dossier.code}/rut/"'


def test_withdraw_shows_and_works_exactly_where_the_machine_allows_it(world: World) -> None:
    client, dossier = submitted(world)
    actor = Actor.for_user(dossier.applicant_user)  # the applicant, as the page builds them
    assert machine.may(dossier, "withdraw", actor) and withdraw_form(dossier) in page(client, dossier)

    dossier = services.perform(dossier.code, "receive", actor=world.actor("tiepnhan"))
    assert not machine.may(dossier, "withdraw", actor)
    assert withdraw_form(dossier) not in page(client, dossier)  # no button …
    events = dossier.event_count
    crafted = client.post(f"/ho-so-cua-toi/{dossier.code}/rut/", {"reason": "x"})  # … and no back door
    assert crafted.status_code == 409
    dossier.refresh_from_db()
    assert dossier.status == Status.RECEIVED and dossier.event_count == events

    # asked for a supplement, the applicant may withdraw again (the agency waits for them)
    dossier = services.perform(dossier.code, "request_supplement", actor=world.actor("tiepnhan"), params=MISSING)
    assert machine.may(dossier, "withdraw", actor) and withdraw_form(dossier) in page(client, dossier)
    assert client.post(f"/ho-so-cua-toi/{dossier.code}/rut/", {"reason": "Không cần nữa"}).status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.WITHDRAWN
    assert Event.objects.filter(dossier=dossier, action="withdraw", role="applicant").exists()


def test_supplement_shows_and_works_exactly_where_the_machine_allows_it(world: World, settings: Any,
                                                                         tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    client, dossier = submitted(world)
    actor = Actor.for_user(dossier.applicant_user)
    dossier = services.perform(dossier.code, "receive", actor=world.actor("tiepnhan"))
    assert not machine.may(dossier, "supplement", actor) and 'id="send-supplement"' not in page(client, dossier)
    crafted = client.post(f"/ho-so-cua-toi/{dossier.code}/bo-sung/", {"m0": upload()})
    assert crafted.status_code == 409
    assert not Attachment.objects.filter(dossier=dossier).exists()

    dossier = services.perform(dossier.code, "request_supplement", actor=world.actor("tiepnhan"), params=MISSING)
    assert machine.may(dossier, "supplement", actor) and 'id="send-supplement"' in page(client, dossier)
    sent = client.post(f"/ho-so-cua-toi/{dossier.code}/bo-sung/", {"m0": upload()})
    assert sent.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.RECEIVED and Attachment.objects.filter(dossier=dossier).count() == 1
    # answered once: the form is gone and a second answer is refused without storing its file
    assert 'id="send-supplement"' not in page(client, dossier)
    assert client.post(f"/ho-so-cua-toi/{dossier.code}/bo-sung/", {"m0": upload()}).status_code == 409
    assert Attachment.objects.filter(dossier=dossier).count() == 1
