"""The OpenAPI document as a file: its links between operations, and its stable text (``docs/api/openapi.json``).

``make openapi`` (``motcua openapi``) writes the file; ``tests/test_openapi_contract.py`` regenerates it and fails
on any difference, so the committed contract is the running API's. The links say which answer feeds which request
(a created dossier's ``code`` → its detail, actions, files…), so that a client — or a stateful fuzzer — can chain
the calls.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from motcua.dossiers.machine import ACTIONS

CONTRACT = Path("docs/api/openapi.json")
REGENERATE = "make openapi  (or: motcua openapi --output docs/api/openapi.json)"

DOSSIER_CODE = {"code": "$response.body#/code"}
# (operation id of the source, its response status) → {link name: (target operation id, parameters)}
_DOSSIER_TARGETS: dict[str, tuple[str, dict[str, str]]] = {
    "GetDossier": ("get_dossier", DOSSIER_CODE),
    "ListEvents": ("list_events", DOSSIER_CODE),
    "UploadAttachment": ("upload_attachment", DOSSIER_CODE),
    "IssueResultWithFile": ("issue_result_with_file", DOSSIER_CODE),
    "GetSlip": ("get_slip", DOSSIER_CODE),
    "TrackDossier": ("track_dossier", DOSSIER_CODE),
    **{f"Act_{name}": (f"act_{name}", DOSSIER_CODE) for name in ACTIONS},
}
LINKS: dict[tuple[str, str], dict[str, tuple[str, dict[str, str]]]] = {
    ("get_procedure", "200"): {"GetDueDate": ("get_due_date", {"code": "$response.body#/code"})},
    ("list_procedures", "200"): {
        "GetProcedure": ("get_procedure", {"code": "$response.body#/items/0/code"}),
        "GetDueDate": ("get_due_date", {"code": "$response.body#/items/0/code"}),
    },
    ("create_dossier", "201"): _DOSSIER_TARGETS,
    ("create_dossier", "200"): _DOSSIER_TARGETS,
    ("list_dossiers", "200"): {name: (target, {"code": "$response.body#/items/0/code"})
                               for name, (target, _parameters) in _DOSSIER_TARGETS.items()},
    ("get_dossier", "200"): {name: target for name, target in _DOSSIER_TARGETS.items() if name != "GetDossier"},
}
# A procedure's detail → a submission of it: the link sets the body's ``procedure``.
BODY_LINKS: dict[tuple[str, str], dict[str, tuple[str, dict[str, str]]]] = {
    ("get_procedure", "200"): {"CreateDossier": ("create_dossier", {"procedure": "$response.body#/code"})},
}
# The actions themselves link nowhere: the dossier they answer is the one their caller already had a link to (from
# its creation, the list or its detail), and a POST with links is where a stateful fuzzer starts its sequences,
# which should begin by creating a dossier, not by acting on a random code.


def add_links(schema: dict[str, Any]) -> dict[str, Any]:
    """Add :data:`LINKS` to the responses of ``schema`` (an OpenAPI document), in place; return it."""
    operations = {
        operation["operationId"]: operation
        for path in schema.get("paths", {}).values() for operation in path.values() if "operationId" in operation
    }
    for (source, status), links in LINKS.items():
        responses = operations[source]["responses"]
        response = responses[int(status)] if int(status) in responses else responses[status]  # ninja: int keys
        response["links"] = {
            name: {"operationId": target, "parameters": dict(parameters)}
            for name, (target, parameters) in links.items() if target in operations
        }
    for (source, status), links in BODY_LINKS.items():
        responses = operations[source]["responses"]
        response = responses[int(status)] if int(status) in responses else responses[status]
        response.setdefault("links", {}).update({
            name: {"operationId": target, "requestBody": dict(body)} for name, (target, body) in links.items()
        })
    return schema


def render(schema: dict[str, Any]) -> str:
    """The document as the committed file holds it: pretty-printed, keys sorted, UTF-8, a final new line."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
