"""Real concurrency on PostgreSQL: separate connections acting at the same moment (threads and a barrier).

SQLite serializes writers, so these run only on PostgreSQL (``make test`` runs the suite on both).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from motcua.api.auth import issue_token
from motcua.dossiers.models import Dossier, Event
from tests.concurrency import at_once
from tests.factories import APPLICANT, World

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent connections"),
]
BODY = {"procedure": "1.000894", "channel": "counter", "applicant": APPLICANT,
        "components": [{"order": 1, "originals": 1}]}




def test_two_officers_at_once_one_wins_the_other_gets_409(world: World) -> None:
    reception = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(world.users['tiepnhan'])}")
    created = reception.post("/api/v1/dossiers", json.dumps(BODY), content_type="application/json").json()
    code, revision = created["code"], created["revision"]
    tokens = [issue_token(world.users["tiepnhan"]), issue_token(world.users["tiepnhan"])]

    def act(index: int) -> Any:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens[index]}")
        return client.post(f"/api/v1/dossiers/{code}/actions/transfer", json.dumps({"revision": revision}),
                           content_type="application/json")

    responses = at_once(2, act)
    assert sorted(r.status_code for r in responses) == [200, 409], responses
    loser = next(r for r in responses if r.status_code == 409).json()
    assert loser["error"] == "dossier_changed" and loser["message"]["vi"]
    assert Event.objects.filter(dossier__code=code, action="transfer").count() == 1


def test_racing_retries_with_one_idempotency_key_create_one_dossier(world: World) -> None:
    token = issue_token(world.users["tiepnhan"])

    def submit(index: int) -> Any:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client.post("/api/v1/dossiers", json.dumps(BODY), content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY="retry-7f3a")

    responses = at_once(8, submit)
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["code"] for r in responses}) == 1
    assert Dossier.objects.count() == 1


def test_concurrent_receptions_get_consecutive_codes(world: World) -> None:
    token = issue_token(world.users["tiepnhan"])

    def submit(index: int) -> Any:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client.post("/api/v1/dossiers", json.dumps(BODY), content_type="application/json")

    responses = at_once(10, submit)
    assert [r.status_code for r in responses] == [201] * 10, responses
    numbers = sorted(int(r.json()["code"].rsplit("-", 1)[1]) for r in responses)
    assert numbers == list(range(1, 11))  # unique, and no gaps
