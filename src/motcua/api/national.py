"""``GET /api/v1/dossiers/{code}/national-documents``: the applicant's documents in the citizens' national
document store (``integrations.dvcqg.store``), for whoever sees the dossier's personal data whole (its handling
officers, the applicant's own account): a document found there need not be asked for again."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router

from motcua.api.auth import BearerToken, SessionCookie
from motcua.api.schemas import ERRORS, ErrorOut, Out
from motcua.dossiers import selectors
from motcua.dossiers.actors import Actor
from motcua.integrations.dvcqg import store

router = Router(tags=["dossiers"], auth=[BearerToken(), SessionCookie()])


class NationalDocumentOut(Out):
    name: str
    code: str
    issuer: str
    issued: str
    source: str
    dossier: str
    sha256: str
    url: str


@router.get("/{code}/national-documents", response={200: list[NationalDocumentOut], **ERRORS, 502: ErrorOut},
            operation_id="list_national_documents",
            summary="The applicant's documents in the citizens' national document store")
def national_documents(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    """502: the national store could not be asked (not set up, down, or refusing)."""
    actor = Actor.for_user(request.user)
    dossier = selectors.get_for(actor, code, via="national_store")
    if not selectors.sees_personal_data(actor, dossier):
        raise PermissionDenied
    return [asdict(document) for document in store.citizen_documents(dossier.applicant_id_number)]
