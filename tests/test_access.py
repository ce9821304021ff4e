"""The access probe, kept as a test: every address that names a dossier, a file, a slip, a receipt or a petition —
found by walking the URL resolver and the API's OpenAPI document, not listed by hand — is tried by people who have
no business with that dossier: anonymous, staff of an agency not involved, a citizen who is not the applicant. None
of them sees the applicant's personal data, and none of them changes anything (no event, same revision)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from motcua.api.auth import issue_token
from motcua.dossiers.models import Attachment, Dossier, Event
from tests.factories import APPLICANT, World, make_citizen, pdf_bytes, sign_in

BODY = {"procedure": "1.000894", "channel": "counter", "applicant": APPLICANT,
        "components": [{"order": 1, "originals": 1}]}
SECRETS = [APPLICANT["id_number"], APPLICANT["phone"], APPLICANT["name"], APPLICANT["address"]]
# what each named parameter of an address stands for, filled from the dossier under test
SAFE_TRACKING = {"/tra-cuu/", "/api/v1/track/{code}"}  # public tracking shows status, never personal data


def walk(resolvers: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolvers:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def addresses(code: str, attachment: int) -> list[str]:
    """Every page address with a dossier-shaped parameter, filled in; the API's from its OpenAPI document."""
    values = {"code": code, "pk": str(attachment), "kind": "receipt", "action": "transfer", "number": code,
              "token": code}
    found = []
    for route, _pattern in walk(get_resolver().url_patterns):
        if route.startswith(("api/", "^api", "admin/")) or "<" not in route:
            continue
        path = route
        for name, value in values.items():
            for converter in ("str", "int", "path", "uuid", "slug"):
                path = path.replace(f"<{converter}:{name}>", value)
        if "<" in path:  # a parameter that is not a dossier's (an agency code, a draft id…)
            continue
        found.append("/" + path)
    return found


def api_operations(client: Client, code: str, attachment: int) -> list[tuple[str, str]]:
    spec = client.get("/api/v1/openapi.json").json()
    operations = []
    for path, methods in spec["paths"].items():
        if "{code}" not in path or path in SAFE_TRACKING:
            continue
        filled = path.replace("{code}", code).replace("{action}", "transfer").replace("{kind}", "receipt")
        for method in methods:
            operations.append((method.upper(), filled))
    return operations


@pytest.fixture
def dossier(world: World) -> tuple[Dossier, int]:
    reception = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.users['tiepnhan'])}")
    created = reception.post("/api/v1/dossiers", json.dumps(BODY), content_type="application/json")
    assert created.status_code == 201, created.content
    code = created.json()["code"]
    upload = reception.post(f"/api/v1/dossiers/{code}/attachments",
                            {"file": _pdf(), "kind": "scan", "component": "1"})
    assert upload.status_code == 201, upload.content
    return Dossier.objects.get(code=code), Attachment.objects.get(dossier__code=code).pk


def _pdf() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("scan.pdf", pdf_bytes(), content_type="application/pdf")


def outsiders(world: World) -> dict[str, Client]:
    anonymous = Client()
    staff = Client()
    staff.force_login(world.users["tuphap"])  # the Department of Justice: not involved in this commune dossier
    token = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.users['tuphap'])}")
    citizen = Client()
    sign_in(citizen, make_citizen(full_name="Trần Thị Bình", id_number="022190009999"))
    return {"anonymous": anonymous, "staff of another agency": staff, "token of another agency": token,
            "another citizen": citizen}


def test_no_outsider_reads_or_changes_a_dossier_through_any_address(world: World, dossier: tuple[Dossier, int]
                                                                     ) -> None:
    record, attachment = dossier
    pages = addresses(record.code, attachment)
    operations = api_operations(Client(), record.code, attachment)
    assert len(pages) >= 10 and len(operations) >= 5  # the walk found the addresses, not an empty list
    events, revision = Event.objects.filter(dossier=record).count(), record.revision
    leaks = []
    for who, client in outsiders(world).items():
        tries = [("GET", page) for page in pages] + [("POST", page) for page in pages] + operations
        for method, path in tries:
            if method == "GET":
                response = client.get(path)
            else:
                response = client.post(path, json.dumps({"revision": revision}), content_type="application/json")
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode("utf-8", "replace")
            shown = [secret for secret in SECRETS if secret in text]
            if response.status_code in (200, 201) and path.endswith(".pdf"):
                shown.append("a PDF of the dossier")
            if shown or response.status_code >= 500:
                leaks.append(f"{who}: {method} {path} → {response.status_code} {shown}")
    assert leaks == []
    record.refresh_from_db()
    assert Event.objects.filter(dossier=record).count() == events and record.revision == revision
