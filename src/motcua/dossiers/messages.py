"""What the applicant is told about their dossier: which events are news to them, and what the message says.

``dossiers`` decides what the applicant hears (:func:`message_for`); ``notifications`` only delivers it (its
receiver of ``dossier_changed`` renders ``notifications/<language>/dossier_status.*`` with the context built
here and queues the email and SMS). The links are the portal's pages, reversed by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.base_user import AbstractBaseUser
from django.urls import reverse

from motcua.catalog.models import Channel
from motcua.core.formats import dong, moment
from motcua.core.web import public_url
from motcua.dossiers.models import ApplicantKind, Dossier, Event
from motcua.dossiers.statuses import NATIONAL_STATUS, EventKind, Status

DEFAULT_LANGUAGE = "vi"
TEMPLATE = "dossier_status"


class MessageKind(StrEnum):
    """Which message the applicant gets (the ``kind`` the ``dossier_status`` templates branch on)."""

    SUBMITTED = "submitted"
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    RESUMED = "resumed"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    SUPPLEMENTED = "supplemented"
    APOLOGY = "apology"
    RESULT_READY = "result_ready"
    RETURNED = "returned"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    PAID = "paid"


# The national portal's codes (statuses.NATIONAL_STATUS) are what the applicant sees: a change between two
# internal statuses with the same code (in progress ⇄ awaiting signature) is not news to them.
STATUS_KINDS: dict[str, MessageKind] = {
    Status.RECEIVED: MessageKind.RECEIVED,
    Status.IN_PROGRESS: MessageKind.IN_PROGRESS,
    Status.AWAITING_SIGNATURE: MessageKind.IN_PROGRESS,
    Status.PAUSED: MessageKind.PAUSED,
    Status.RESULT_READY: MessageKind.RESULT_READY,
    Status.RETURNED: MessageKind.RETURNED,
    Status.REFUSED: MessageKind.REFUSED,
    Status.WITHDRAWN: MessageKind.WITHDRAWN,
    Status.SUPPLEMENT_REQUESTED: MessageKind.SUPPLEMENT_REQUESTED,
}
ACTION_KINDS: dict[str, MessageKind] = {
    EventKind.REQUEST_SUPPLEMENT: MessageKind.SUPPLEMENT_REQUESTED,
    EventKind.SUPPLEMENT: MessageKind.SUPPLEMENTED,
    EventKind.APOLOGIZE: MessageKind.APOLOGY,
    EventKind.RESUME: MessageKind.RESUMED,
    EventKind.REFUSE: MessageKind.REFUSED,
    EventKind.ISSUE_RESULT: MessageKind.RESULT_READY,
    EventKind.RETURN_RESULT: MessageKind.RETURNED,
    EventKind.WITHDRAW: MessageKind.WITHDRAWN,
    EventKind.RECEIVE: MessageKind.RECEIVED,
    EventKind.PAYMENT: MessageKind.PAID,
}


@dataclass(frozen=True)
class DossierMessage:
    """A message for the applicant: the template family, its context, and where and in which language."""

    kind: MessageKind
    context: dict[str, Any]
    email: str
    phone: str
    user: AbstractBaseUser | None
    language: str
    template: str = TEMPLATE


def message_kind(dossier: Dossier, event: Event) -> MessageKind | None:
    """Which message an event is for the applicant, or ``None`` when it is not their business (assignments,
    files, hand-overs inside the agency that do not change what they see)."""
    action = event.action
    if action == EventKind.SUBMIT:
        # counter and post-office dossiers are accepted (or sent a supplement request) in the same breath
        return MessageKind.SUBMITTED if dossier.channel == Channel.ONLINE else None
    if action in ACTION_KINDS:
        return ACTION_KINDS[action]
    before, after = event.from_status, event.to_status
    if before == after or NATIONAL_STATUS.get(before) == NATIONAL_STATUS.get(after):
        return None
    return STATUS_KINDS.get(after)


def recipients(dossier: Dossier) -> tuple[str, str, AbstractBaseUser | None, str]:
    """Email, phone, account and language of a dossier's applicant: the dossier's own contacts, else those of
    the applicant's citizen account (its ``citizen`` profile, kept by ``accounts``); the account's language,
    else Vietnamese."""
    email, phone, language = dossier.applicant_email, dossier.applicant_phone, DEFAULT_LANGUAGE
    user = dossier.applicant_user
    citizen = getattr(user, "citizen", None) if user is not None else None
    if citizen is not None:
        email = email or citizen.email
        phone = phone or citizen.phone
        language = citizen.language or DEFAULT_LANGUAGE
    return email, phone, user, language


def tracking_url(dossier: Dossier) -> str:
    """The public tracking page of the dossier (printed on slips, in QR codes, in messages)."""
    return public_url(f"{reverse('portal:track')}?{urlencode({'ma': dossier.code})}")


def dossier_url(dossier: Dossier) -> str:
    """The applicant's own page of an online dossier (signed in)."""
    return public_url(reverse("portal:my_dossier", args=[dossier.code]))


def dossier_context(dossier: Dossier, event: Event, kind: MessageKind) -> dict[str, Any]:
    """What the dossier templates may say: the code, the procedure, dates, reasons, missing documents, links.

    Only the email uses the names and reasons; the SMS templates keep to the code, the status and dates.
    """
    data = event.data or {}
    agency = dossier.receiving_agency
    version = dossier.version
    online = dossier.applicant_user_id is not None
    return {
        "kind": kind,
        "code": dossier.code,
        "applicant_name": dossier.applicant_name,
        "organization": dossier.applicant_kind == ApplicantKind.ORGANIZATION,
        "procedure_vi": version.name_vi,
        "procedure_en": version.name_en or version.name_vi,
        "agency_vi": agency.name,
        "agency_en": agency.name_en or agency.name,
        "agency_address": agency.address,
        "agency_hotline": agency.hotline,
        "due": moment(dossier.due_at),
        "new_due": moment(dossier.apology_due_at),
        "previous_due": moment(data.get("previous_due_at")),
        "reason": data.get("reason", ""),
        "reasons": data.get("reasons", ""),
        "missing": data.get("missing", []),
        "phase": data.get("phase", ""),
        "clock_restarted": bool(data.get("clock_restarted")),
        "pause_kind": dossier.pause_kind,
        "delivery": dossier.delivery,
        "online": online,
        "dossier_url": dossier_url(dossier) if online else "",
        "tracking_url": tracking_url(dossier),
        "sms_tracking_url": public_url(reverse("portal:track")),
        "amount_text": dong(data.get("amount") or 0),
        "receipt_number": data.get("receipt_number", ""),
    }


def message_for(dossier: Dossier, event: Event) -> DossierMessage | None:
    """What to tell the applicant about ``event``, or ``None`` (not their business, or no email nor phone)."""
    kind = message_kind(dossier, event)
    if kind is None:
        return None
    email, phone, user, language = recipients(dossier)
    if not (email or phone):
        return None
    return DossierMessage(kind, dossier_context(dossier, event, kind), email, phone, user, language)
