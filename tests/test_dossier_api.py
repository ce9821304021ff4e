"""The dossier API: token auth, submission with Idempotency-Key, scoped lists, actions, events, slips, tracking,
uploads checked by content and size."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from motcua.api.auth import issue_token
from motcua.dossiers.machine import ACTIONS
from motcua.dossiers.models import Dossier, DossierAccess
from tests.factories import APPLICANT, World, pdf_bytes

BODY = {"procedure": "1.000894", "channel": "counter", "applicant": APPLICANT,
        "components": [{"order": 1, "originals": 1}]}


def client_for(world: World, username: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.users[username])}")


def post(client: Client, path: str, body: dict[str, Any], **headers: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def test_tokens_are_required_and_issued_by_the_command(world: World, capsys: Any) -> None:
    anonymous = Client().get("/api/v1/dossiers")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "unauthorized" and anonymous.json()["message"]["vi"]
    assert Client(HTTP_AUTHORIZATION="Bearer nope").get("/api/v1/dossiers").status_code == 401
    call_command("create_token", "tiepnhan", "--name", "kiosk")
    token = capsys.readouterr().out.strip()
    assert token.startswith("mc_")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/dossiers").status_code == 200
    from motcua.api.models import ApiToken

    assert token not in {t.key_hash for t in ApiToken.objects.all()}  # only a hash is stored


def test_submit_act_and_read_through_the_api(world: World) -> None:
    reception = client_for(world, "tiepnhan")
    created = post(reception, "/api/v1/dossiers", BODY)
    assert created.status_code == 201, created.content
    body = created.json()
    code = body["code"]
    assert body["status"] == "received" and body["due_at"] and body["national_status"] == 2
    assert body["applicant"]["name"] == APPLICANT["name"]
    acted = post(reception, f"/api/v1/dossiers/{code}/actions/transfer", {"revision": body["revision"]})
    assert acted.status_code == 200 and acted.json()["status"] == "in_progress"
    # the same revision again: the dossier changed since → 409 with a message in both languages
    stale = post(reception, f"/api/v1/dossiers/{code}/actions/transfer", {"revision": body["revision"]})
    assert stale.status_code == 409 and stale.json()["error"] == "dossier_changed"
    # a step of another role, an unknown action, bad parameters
    officer = client_for(world, "chuyenvien")
    assert post(officer, f"/api/v1/dossiers/{code}/actions/approve", {}).status_code == 403
    assert post(officer, f"/api/v1/dossiers/{code}/actions/fly", {}).status_code == 404
    wrong = post(officer, f"/api/v1/dossiers/{code}/actions/send_back", {"to_step": "x", "reason": ""})
    assert wrong.status_code == 422 and {e["location"] for e in wrong.json()["errors"]} == {"to_step", "reason"}
    assert post(officer, f"/api/v1/dossiers/{code}/actions/forward", {"note": "Đủ điều kiện"}).status_code == 200
    events = officer.get(f"/api/v1/dossiers/{code}/events").json()
    assert [e["action"] for e in events] == ["submit", "receive", "transfer", "forward"]
    assert events[-1]["note"] == "Đủ điều kiện" and len(events[-1]["hash"]) == 64
    # lists are scoped to the caller's agencies
    assert [d["code"] for d in officer.get("/api/v1/dossiers").json()["items"]] == [code]
    outsider = client_for(world, "tuphap")
    assert outsider.get("/api/v1/dossiers").json()["items"] == []
    assert outsider.get(f"/api/v1/dossiers/{code}").status_code == 404
    assert post(outsider, f"/api/v1/dossiers/{code}/actions/forward", {}).status_code == 404
    listed = officer.get("/api/v1/dossiers", {"status": "in_progress", "overdue": "false", "procedure": "1.000894",
                                              "received_from": "2020-01-01"}).json()
    assert [d["code"] for d in listed["items"]] == [code] and listed["has_more"] is False
    assert officer.get("/api/v1/dossiers", {"status": "nope"}).status_code == 400
    assert officer.get(f"/api/v1/dossiers/{code}").status_code == 200
    assert DossierAccess.objects.filter(dossier__code=code, via="api").count() >= 2  # every read is logged


def test_idempotency_key(world: World) -> None:
    reception = client_for(world, "tiepnhan")
    first = post(reception, "/api/v1/dossiers", BODY, HTTP_IDEMPOTENCY_KEY="abc-1")
    again = post(reception, "/api/v1/dossiers", BODY, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["code"] == again.json()["code"] and Dossier.objects.count() == 1
    other = post(reception, "/api/v1/dossiers", {**BODY, "delivery": "post", "delivery_address": "Hạ Long"},
                 HTTP_IDEMPOTENCY_KEY="abc-1")
    assert other.status_code == 409 and other.json()["error"] == "idempotency_key_reused"
    assert post(reception, "/api/v1/dossiers", BODY, HTTP_IDEMPOTENCY_KEY="abc-2").status_code == 201


def test_bad_submissions_are_explained(world: World) -> None:
    reception = client_for(world, "tiepnhan")
    bad = post(reception, "/api/v1/dossiers", {**BODY, "applicant": {**APPLICANT, "id_number": "0220900012"}})
    assert bad.status_code == 422
    error = bad.json()["errors"][0]
    assert error["error"] == "invalid_citizen_id" and error["location"] == "applicant.id_number"
    assert "12" in error["message"]["vi"] and "12" in error["message"]["en"]
    unknown = post(reception, "/api/v1/dossiers", {**BODY, "procedure": "9.999999"})
    assert unknown.status_code == 404 and unknown.json()["error"] == "procedure_not_found"
    missing = post(reception, "/api/v1/dossiers", {**BODY, "components": []})
    assert missing.json()["errors"][0]["error"] == "missing_required_component"
    assert post(reception, "/api/v1/dossiers", {**BODY, "channel": "fax"}).status_code == 422
    assert Dossier.objects.count() == 0


def test_uploads_are_checked_by_content_and_size(world: World) -> None:
    reception = client_for(world, "tiepnhan")
    code = post(reception, "/api/v1/dossiers", BODY).json()["code"]
    url = f"/api/v1/dossiers/{code}/attachments"

    def upload(content: bytes, name: str) -> Any:
        return reception.post(url, {"file": _named(content, name), "kind": "scan", "component": 1})

    good = upload(pdf_bytes(), "to-khai.pdf")
    assert good.status_code == 201 and good.json()["content_type"] == "application/pdf"
    fake = upload(b"%PDF-1.7\nthis is not really a pdf", "fake.pdf")
    assert fake.status_code == 422 and fake.json()["error"] == "file_damaged"
    exe = upload(b"MZ\x90\x00" + b"\x00" * 100, "scan.pdf")
    assert exe.status_code == 422 and exe.json()["error"] == "file_type_not_allowed"
    with override_settings(MOTCUA_MAX_UPLOAD_MB=1):
        big = upload(b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024), "big.pdf")
    assert big.status_code == 413 and big.json()["error"] == "file_too_large"
    # a 200 MB body is refused from its Content-Length, before it is read
    huge = reception.post(url, data=b"x", content_type="multipart/form-data; boundary=x",
                          CONTENT_LENGTH=str(200 * 1024 * 1024))
    assert huge.status_code == 413 and huge.json()["error"] == "request_too_large"
    detail = reception.get(f"/api/v1/dossiers/{code}").json()
    assert [a["name"] for a in detail["attachments"]] == ["to-khai.pdf"]


def _named(content: bytes, name: str) -> io.BytesIO:
    stream = io.BytesIO(content)
    stream.name = name
    return stream


def test_slips_and_public_tracking(world: World) -> None:
    reception = client_for(world, "tiepnhan")
    code = post(reception, "/api/v1/dossiers", BODY).json()["code"]
    slip = reception.get(f"/api/v1/dossiers/{code}/slips/receipt.pdf")
    assert slip.status_code == 200 and slip["Content-Type"] == "application/pdf"
    assert slip.content.startswith(b"%PDF")
    assert reception.get(f"/api/v1/dossiers/{code}/slips/apology.pdf").status_code == 404
    assert client_for(world, "tuphap").get(f"/api/v1/dossiers/{code}/slips/receipt.pdf").status_code == 404
    tracked = Client().get(f"/api/v1/track/{code}")
    assert tracked.status_code == 200
    data = tracked.json()
    assert data["status"] == "received" and data["due_at"] and [m["action"] for m in data["milestones"]] == [
        "submit", "receive"]
    text = tracked.content.decode()
    for secret in (APPLICANT["name"], APPLICANT["id_number"], APPLICANT["phone"], APPLICANT["address"], "Cán bộ"):
        assert secret not in text
    assert Client().get("/api/v1/track/000.01.20.H22-261116-9999").status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/openapi.json"])
def test_openapi_documents_the_dossier_endpoints(client: Client, path: str) -> None:
    paths = client.get(path).json()["paths"]
    for expected in ("/api/v1/dossiers", "/api/v1/dossiers/{code}/events",
                     "/api/v1/dossiers/{code}/slips/{kind}.pdf", "/api/v1/track/{code}"):
        assert expected in paths
    # one operation per action, each with its own body schema
    for action in ACTIONS:
        body = paths[f"/api/v1/dossiers/{{code}}/actions/{action}"]["post"]["requestBody"]
        assert body["content"]["application/json"]["schema"]["$ref"].endswith("Action")


def test_api_errors_keep_their_shape_and_language(world: World) -> None:
    reception = client_for(world, "tiepnhan")
    broken = reception.post("/api/v1/dossiers", "{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.json()["error"] == "invalid_body"
    method = reception.delete("/api/v1/procedures")
    assert method.status_code == 405 and method.json()["error"] == "method_not_allowed"
    code = post(reception, "/api/v1/dossiers", BODY).json()["code"]
    refused = post(reception, f"/api/v1/dossiers/{code}/actions/return_result",
                   {"delivery": "counter", "recipient": "An"}).json()["message"]
    assert "Received" in refused["en"] and "Đã tiếp nhận" not in refused["en"]  # labels in the message's language
    slip = reception.get(f"/api/v1/dossiers/{code}/slips/receipt.pdf", HTTP_HOST="localhost:8011")
    assert slip.status_code == 200  # its QR code points at the host it was asked from (checked in test_slips)


def test_a_write_without_credentials_is_told_to_send_a_token(world: World) -> None:
    """No token and no session: 401 with the way to authenticate (not a CSRF failure); a session without its CSRF
    token: 403 saying so."""
    anonymous = Client(enforce_csrf_checks=True)
    refused = post(anonymous, "/api/v1/dossiers", BODY)
    assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
    assert post(Client(HTTP_AUTHORIZATION="Bearer mc_wrong"), "/api/v1/dossiers", BODY).status_code == 401
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.users["tiepnhan"])
    forged = post(browser, "/api/v1/dossiers", BODY)
    assert forged.status_code == 403 and forged.json()["error"] == "csrf_failed"
    assert not Dossier.objects.exists()
