"""Schemathesis over the whole API, in process (the WSGI application), anonymous and with a staff token: every
check, the examples, coverage and fuzzing phases per operation, and the stateful phase that follows the document's
links (a created dossier → its detail, actions, files, slips, tracking). Derandomized, so a failure reproduces."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from schemathesis.config import SchemathesisConfig

from motcua.api.auth import digest
from motcua.api.models import ApiToken
from motcua.api.openapi import CONTRACT
from tests.factories import World
from tests.test_dossier_api import BODY, client_for, post

ROOT = Path(__file__).resolve().parent.parent
MAX_EXAMPLES = 12
STATEFUL_EXAMPLES = 30
STATEFUL_STEPS = 10
PROCEDURES = ["1.000894", "2.000488"]
CONFIG = {
    "seed": 20261125,
    # deterministic: derandomized (the same cases every run); security parameters are not invented (a random
    # session cookie is a signed-in browser without its CSRF token, 403 csrf_failed, which test_dossier_api checks):
    # the anonymous run is anonymous, the staff run sends its token.
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none",
                   "with-security-parameters": False},
    "phases": {"stateful": {"max-steps": STATEFUL_STEPS}},
    # Values that exist here, so that generated requests reach past "not found" often: the test world's procedure
    # codes and a citizen ID that is one (a random text is neither); the stateful test adds the dossier's code.
    "dictionaries": {
        "procedures": {"values": PROCEDURES}, "citizen_ids": {"values": ["022090001234"]},
        "phones": {"values": ["0912345678", ""]}, "emails": {"values": ["an@example.vn", ""]},
        "first": {"values": [1]},
    },
    "parameters": {
        "path.code": {"dictionary": "procedures", "probability": 0.5},
        "body.procedure": {"dictionary": "procedures", "probability": 0.9},
        "body.applicant.id_number": {"dictionary": "citizen_ids", "probability": 0.9},
        "body.applicant.phone": {"dictionary": "phones", "probability": 0.9},
        "body.applicant.email": {"dictionary": "emails", "probability": 0.9},
        "body.components[*].order": {"dictionary": "first", "probability": 0.9},
    },
    "checks": {
        # A value the schema allows can still break a rule the schema cannot state: a field, agency or procedure
        # code that does not exist (400 unknown_field, unknown_agency), a citizen ID whose province code is not
        # one, an upload whose bytes are not a PDF or an image (422), a date outside the holiday calendar (400
        # date_out_of_range). Those are refusals with their own codes, so 400 and 422 are accepted for valid
        # data; 500s, undocumented statuses and answers outside their schema still fail.
        "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404", "409", "422", "429"]},
    },
}


# The committed contract, served by the in-process application: what integrators read is what is fuzzed. The staff
# token is given in the configuration, so that schemathesis knows it is real (its ignored_auth check then probes the
# same calls without it and with a wrong one, expecting 401).
TOKEN = "mc_schemathesis-reception-officer"
APPLICATION = get_wsgi_application()
anonymous = schemathesis.openapi.from_path(ROOT / CONTRACT, config=SchemathesisConfig.from_dict(CONFIG))
anonymous.app = APPLICATION
staff = schemathesis.openapi.from_path(ROOT / CONTRACT, config=SchemathesisConfig.from_dict(
    {**CONFIG, "auth": {"openapi": {"BearerToken": {"bearer": TOKEN}}}}))
staff.app = APPLICATION


@pytest.fixture(autouse=True)
def data(world: World, settings: Any) -> None:
    settings.MOTCUA_TRACK_LIMIT_PER_MINUTE = 1_000_000  # the public tracking throttle would answer 429 to the fuzzer
    ApiToken.objects.create(user=world.users["tiepnhan"], name="schemathesis", prefix=TOKEN[:10],
                            key_hash=digest(TOKEN))
    post(client_for(world, "tiepnhan"), "/api/v1/dossiers", BODY)  # one dossier to read, act on, track


@pytest.fixture(autouse=True)
def connection_kept(data: None) -> Iterator[None]:
    """The WSGI handler closes the database connection at the start and end of each request; inside the test's
    transaction (PostgreSQL) that would end it. Django's test client keeps it open the same way (``ClientHandler``,
    which connects the handler again after each of its requests: hence after ``data``)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@anonymous.parametrize()
@hypothesis.settings(deadline=None)
def test_every_operation_anonymous(case: Any) -> None:
    case.call_and_validate()


@staff.parametrize()
@hypothesis.settings(deadline=None)
def test_every_operation_with_a_staff_token(case: Any) -> None:
    case.call_and_validate()


def _stateful(schema: Any) -> Counter[tuple[str, str, int]]:
    """The stateful phase: sequences of calls chained by the document's links, every response checked. Returns
    how many calls each operation got, by status."""
    calls: Counter[tuple[str, str, int]] = Counter()

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def after_call(self, response: Any, case: Any) -> None:
            calls[(case.method, case.path, response.status_code)] += 1

    Workflow.run(settings=hypothesis.settings(
        max_examples=STATEFUL_EXAMPLES, stateful_step_count=STATEFUL_STEPS, deadline=None, derandomize=True,
        database=None, suppress_health_check=list(hypothesis.HealthCheck)))
    print("\n".join(f"{n:4} {m} {p} {s}" for (m, p, s), n in sorted(calls.items())))
    return calls


def test_stateful_anonymous() -> None:
    _stateful(anonymous)


def test_stateful_with_a_staff_token() -> None:
    _stateful(staff)
