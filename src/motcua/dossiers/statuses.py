"""The dossier vocabulary, below the models and the logic: statuses, pause reasons, event kinds, national codes.

Every other module names a status or an event through these classes, never as a string literal
(``Status.RECEIVED``, ``EventKind.PAYMENT``), so that a renamed value is one change and a typo an ImportError.

Statuses follow DESIGN.md §3::

    draft → submitted → received → in_progress ⇄ supplement_requested / paused
          → awaiting_signature → result_ready → returned;   side exits: refused, withdrawn
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted, awaiting reception")
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("Being processed")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Supplement requested")
    PAUSED = "paused", _("Paused")
    AWAITING_SIGNATURE = "awaiting_signature", _("Awaiting signature")
    RESULT_READY = "result_ready", _("Result ready")
    RETURNED = "returned", _("Result returned")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


TERMINAL = frozenset({Status.RETURNED, Status.REFUSED, Status.WITHDRAWN})
# Statuses in which the legal clock runs (a paused or supplement-requested dossier's clock is stopped).
OPEN = frozenset(Status) - TERMINAL - {Status.DRAFT}


class PauseKind(models.TextChoices):
    FINANCIAL = "financial", _("Waiting for the applicant's financial obligation")
    VERIFICATION = "verification", _("Waiting for verification by another agency")
    OTHER = "other", _("Other reason")


class EventKind(models.TextChoices):
    """What an event of a dossier's log records: the staff and applicant actions of ``dossiers.machine``, and the
    events no action table governs (the submission itself, a payment, a file attached)."""

    # in the context "event" (what happened), apart from the same English words as column labels ("Submitted": the
    # date of submission)
    SUBMIT = "submit", pgettext_lazy("event", "Submitted")
    RECEIVE = "receive", pgettext_lazy("event", "Accepted")
    REQUEST_SUPPLEMENT = "request_supplement", _("Supplement requested")
    SUPPLEMENT = "supplement", _("Supplement recorded")
    REFUSE = "refuse", _("Refused")
    TRANSFER = "transfer", _("Handed over to the processing agency")
    ASSIGN = "assign", _("Assigned")
    FORWARD = "forward", _("Sent to the next step")
    SEND_BACK = "send_back", _("Sent back to an earlier step")
    PAUSE = "pause", _("Paused")
    RESUME = "resume", _("Resumed")
    APPROVE = "approve", _("Approved")
    ISSUE_RESULT = "issue_result", _("Result signed and issued")
    RETURN_RESULT = "return_result", _("Result returned")
    WITHDRAW = "withdraw", _("Withdrawn")
    APOLOGIZE = "apologize", _("Apology and new date")
    PAYMENT = "payment", _("Fee paid")
    ATTACH = "attach", _("File attached")
    # the postal channel and the money around it (issue 12): recorded by ``postal`` and ``payments`` through
    # ``dossiers.events.record``; none of them changes the status by itself (a delivery is a ``return_result``)
    PICKUP = "pickup", _("Home pickup updated")
    HANDOVER = "handover", _("Handed over between the post and the agency")
    SHIPMENT = "shipment", _("Postal delivery updated")
    REFUND = "refund", _("Fee refunded")
    # a merge of administrative units (``motcua merge_units``) carried the open dossier to the successor's agencies
    REROUTE = "reroute", _("Carried to the merged unit's agency")
    # the dossier joined the applicant's account when the account's citizen ID was verified (issue 14): recorded by
    # ``integrations.population``; it changes no status
    LINK_ACCOUNT = "link_account", _("Linked to the applicant's verified account")
    # between provinces (issue 14): a dossier sent to another province's MotCua, what it says back, and a dossier
    # that came from one sent back (``integrations.peers``, through ``dossiers.services.exchange``)
    EXCHANGE = "exchange", _("Exchanged with another province")


# National public service portal statuses (DESIGN.md §3): 1 submitted online, 2 accepted, 3 not accepted,
# 4 being handled, 5 supplement requested, 6 payment requested, 7 withdrawn, 8 stopped, 9 handled,
# 10 result returned.
NATIONAL_STATUS: dict[str, int | None] = {
    Status.DRAFT: None,
    Status.SUBMITTED: 1,
    Status.RECEIVED: 2,
    Status.REFUSED: 3,
    Status.IN_PROGRESS: 4,
    Status.AWAITING_SIGNATURE: 4,
    Status.SUPPLEMENT_REQUESTED: 5,
    Status.PAUSED: 8,
    Status.WITHDRAWN: 7,
    Status.RESULT_READY: 9,
    Status.RETURNED: 10,
}
NATIONAL_PAYMENT_REQUESTED = 6


def national_status(status: str, pause_kind: str = "") -> int | None:
    """The national portal's code; a pause for the applicant's financial obligation is 6 (payment requested)."""
    if status == Status.PAUSED and pause_kind == PauseKind.FINANCIAL:
        return NATIONAL_PAYMENT_REQUESTED
    return NATIONAL_STATUS[status]
