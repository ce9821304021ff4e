"""Every change to a dossier: one service per user operation, each in one transaction, each recording its events
through ``dossiers.events.record``.

- :mod:`.creation`: :func:`create_dossier` (online submission, counter or post office reception);
- :mod:`.counter`: :func:`receive_at_counter` (a counter reception with its scans);
- :mod:`.actions`: :func:`perform` and the handler of each action of ``dossiers.machine``;
- :mod:`.files`: :func:`attach`, :func:`attach_files`;
- :mod:`.drafts`: :func:`draft_result`, :func:`upload_draft` (the draft of the result, staff only);
- :mod:`.issuing`: :func:`issue_result` (register number, QR code, signature and seal, the file and its action);
- :mod:`.fees`: :func:`record_fee_event` (a ``payment`` or ``refund`` event with the dossier's ``fee_paid``);
- :mod:`.applicant`: :func:`own_applicant`, :func:`check_applicant`.

The services validate (``machine.authorize`` for who and when, ``rules`` for the law), compute the fields that
change and save the dossier only if nobody changed it in the meantime (optimistic concurrency on ``revision``:
the loser gets :class:`Conflict`, HTTP 409). Views and API endpoints only parse, call a service, and render.
"""

from motcua.dossiers.errors import Conflict, DossierNotFound
from motcua.dossiers.services.actions import (
    HANDLERS,
    Context,
    apology_default_date,
    handler,
    missing_components,
    perform,
)
from motcua.dossiers.services.applicant import NotAccountHolder, check_applicant, link_to_account, own_applicant
from motcua.dossiers.services.base import validate
from motcua.dossiers.services.counter import receive_at_counter
from motcua.dossiers.services.creation import (
    IdentityCheck,
    OnBehalf,
    count_collected,
    create_dossier,
    register_account_finder,
    request_fingerprint,
)
from motcua.dossiers.services.drafts import TemplateNotFound, draft_result, upload_draft
from motcua.dossiers.services.fees import record_fee_event, release_waiting_result
from motcua.dossiers.services.files import NewFile, attach, attach_files
from motcua.dossiers.services.issuing import issue_result

__all__ = [
    "HANDLERS", "Conflict", "Context", "DossierNotFound", "IdentityCheck", "OnBehalf", "link_to_account",
    "register_account_finder", "NewFile", "NotAccountHolder", "apology_default_date",
    "attach", "attach_files", "check_applicant", "count_collected", "create_dossier", "handler", "issue_result",
    "missing_components", "own_applicant", "perform", "receive_at_counter", "record_fee_event",
    "release_waiting_result", "request_fingerprint", "validate",
    "TemplateNotFound", "draft_result", "upload_draft",
]
