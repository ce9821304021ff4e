"""The API contract is a file (docs/api/openapi.json): it is the running API's document, byte for byte; the
answers of every read validate against it; each action has its own body; the dossier lists what the caller may do;
the procedure says what POST /dossiers needs."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from django.test import Client

from motcua.api.openapi import CONTRACT, REGENERATE, render
from motcua.api.urls import api
from motcua.dossiers.machine import ACTIONS
from tests.factories import World, catalog, procedure
from tests.test_dossier_api import BODY, client_for, post

ROOT = Path(__file__).resolve().parent.parent


def test_the_committed_contract_is_the_running_api(client: Client) -> None:
    expected = render(api.get_openapi_schema())
    committed = (ROOT / CONTRACT).read_text(encoding="utf-8")
    if committed != expected:
        diff = "".join(difflib.unified_diff(committed.splitlines(True), expected.splitlines(True),
                                            str(CONTRACT), "the running API", n=2))
        pytest.fail(f"{CONTRACT} is not the running API's document; regenerate it with: {REGENERATE}\n"
                    f"{diff[:6000]}", pytrace=False)
    assert client.get("/api/v1/openapi.json").json() == json.loads(committed)


def _contract() -> dict[str, Any]:
    return json.loads((ROOT / CONTRACT).read_text(encoding="utf-8"))


def test_every_schema_name_is_used_once_and_enumerations_are_listed() -> None:
    document = _contract()
    schemas = document["components"]["schemas"]
    # the catalogue's and the dossiers' components and steps no longer overwrite each other
    assert {"ProcedureComponentOut", "DossierComponentOut", "WorkflowStepOut", "PlanStepOut"} <= set(schemas)
    assert "order" in schemas["ProcedureComponentOut"]["properties"]
    detail = schemas["DossierDetail"]["properties"]
    assert detail["allowed_actions"]["items"]["enum"] == list(ACTIONS)
    assert "received" in detail["status"]["enum"] and "online" in detail["channel"]["enum"]
    listing = {p["name"]: p for p in document["paths"]["/api/v1/dossiers"]["get"]["parameters"]}
    assert "in_progress" in listing["status"]["schema"]["enum"]
    slip = {p["name"]: p for p in document["paths"]["/api/v1/dossiers/{code}/slips/{kind}.pdf"]["get"]["parameters"]}
    assert slip["kind"]["schema"]["enum"] == ["receipt", "supplement", "refusal", "apology", "control"]
    links = document["paths"]["/api/v1/dossiers"]["post"]["responses"]["201"]["links"]
    assert links["GetDossier"] == {"operationId": "get_dossier", "parameters": {"code": "$response.body#/code"}}
    assert {f"Act_{name}" for name in ACTIONS} <= set(links)
    assert "GetProcedure" in document["paths"]["/api/v1/procedures"]["get"]["responses"]["200"]["links"]


def _validator(document: dict[str, Any], path: str, method: str = "get", status: str = "200") -> Any:
    schema = document["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
    return jsonschema_rs.validator_for({**schema, "components": document["components"]})


def test_real_answers_of_every_read_validate_against_the_published_schema(world: World) -> None:
    """The answers, not just their shape in the document: a procedure's detail used to fail its own schema."""
    document = _contract()
    reception = client_for(world, "tiepnhan")
    created = post(reception, "/api/v1/dossiers", BODY)
    assert created.status_code == 201
    code = created.json()["code"]
    _validator(document, "/api/v1/dossiers", "post", "201").validate(created.json())
    anonymous = Client()
    reads = [
        (anonymous, "/api/v1/procedures", "/api/v1/procedures"),
        (anonymous, "/api/v1/procedures/1.000894", "/api/v1/procedures/{code}"),
        (anonymous, "/api/v1/procedures/1.000894/due-date", "/api/v1/procedures/{code}/due-date"),
        (anonymous, f"/api/v1/track/{code}", "/api/v1/track/{code}"),
        (reception, "/api/v1/dossiers", "/api/v1/dossiers"),
        (reception, f"/api/v1/dossiers/{code}", "/api/v1/dossiers/{code}"),
        (reception, f"/api/v1/dossiers/{code}/events", "/api/v1/dossiers/{code}/events"),
    ]
    for who, url, path in reads:
        response = who.get(url)
        assert response.status_code == 200, (url, response.content)
        errors = [str(e) for e in _validator(document, path).iter_errors(response.json())]
        assert errors == [], (url, errors)
    refused = anonymous.get("/api/v1/procedures/9.999999")
    _validator(document, "/api/v1/procedures/{code}", status="404").validate(refused.json())


def test_an_action_body_with_an_unknown_key_is_refused_naming_it(world: World) -> None:
    reception = client_for(world, "tiepnhan")
    code = post(reception, "/api/v1/dossiers", BODY).json()["code"]
    refused = post(reception, f"/api/v1/dossiers/{code}/actions/transfer", {"note": "", "agnecy": "x"})
    assert refused.status_code == 422
    body = refused.json()
    assert body["error"] == "validation_failed" and body["message"]["vi"] and body["message"]["en"]
    assert [(e["error"], e["location"]) for e in body["errors"]] == [("extra_forbidden", "agnecy")]
    assert body["errors"][0]["message"]["vi"] != body["errors"][0]["message"]["en"]
    assert reception.get(f"/api/v1/dossiers/{code}").json()["status"] == "received"  # nothing happened
    assert post(reception, f"/api/v1/dossiers/{code}/actions/fly", {}).json()["error"] == "unknown_action"


def test_the_dossier_lists_the_actions_the_caller_may_take_now(world: World) -> None:
    reception = client_for(world, "tiepnhan")
    created = post(reception, "/api/v1/dossiers", BODY).json()
    code = created["code"]
    assert created["allowed_actions"] == ["request_supplement", "refuse", "transfer", "assign", "pause", "withdraw",
                                          "apologize"]
    officer = client_for(world, "chuyenvien")
    assert officer.get(f"/api/v1/dossiers/{code}").json()["allowed_actions"] == []  # not at their agency yet
    moved = post(reception, f"/api/v1/dossiers/{code}/actions/transfer", {}).json()
    assert "transfer" not in moved["allowed_actions"] and "withdraw" in moved["allowed_actions"]
    assert "forward" in officer.get(f"/api/v1/dossiers/{code}").json()["allowed_actions"]
    # every action listed is one the machine then lets the caller take
    for action in officer.get(f"/api/v1/dossiers/{code}").json()["allowed_actions"]:
        assert action in ACTIONS


def test_the_procedure_says_what_a_submission_needs(db: Any, center: Any) -> None:
    from motcua.catalog.services import import_catalog

    eform = [{"name": "spouse_name", "label_vi": "Họ tên bên kia", "required": True},
             {"name": "regime", "label_vi": "Chế độ tài sản", "type": "select",
              "choices": [{"value": "legal", "label_vi": "Theo luật"}, {"value": "agreed", "label_vi": "Thỏa thuận"}]}]
    import_catalog(catalog(procedure(eform=eform, agencies=[center.identifier_code])))
    detail = Client().get("/api/v1/procedures/1.000894").json()
    assert [(c["order"], c["name"], c["required"]) for c in detail["components"]] == [
        (1, "Tờ khai đăng ký kết hôn", True), (2, "Giấy xác nhận tình trạng hôn nhân", False)]
    assert [(f["name"], f["type"], f["required"]) for f in detail["eform"]] == [
        ("spouse_name", "text", True), ("regime", "select", False)]
    assert [c["value"] for c in detail["eform"][1]["choices"]] == ["legal", "agreed"]
