"""Reads of dossiers, always scoped: staff see the dossiers of the agencies they belong to, nothing else.

A dossier is visible to every agency involved in it (receiving point and each step's agency, kept in
``DossierAgency``). The queues are index-backed filters on the holder (``dossier_queue``), the assignee
(``dossier_mine``) and the receiving point (``dossier_front``); lists are paged without counting every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Agency, Role
from motcua.catalog.models import ResultTemplate
from motcua.core import identity
from motcua.core.calendar import VN_TZ
from motcua.core.errors import MotCuaError, NotFound
from motcua.dossiers import deadlines
from motcua.dossiers.actors import Actor
from motcua.dossiers.models import Attachment, AttachmentKind, Dossier, DossierAccess, DossierAgency, Event
from motcua.dossiers.statuses import OPEN, EventKind, Status

# the "due soon" queue tab and the inbox counter of the same name (its label says the number): issue 13's
# "due soon (≤ 3 working days)"
DUE_SOON_DAYS = 3
QUEUES = {
    "todo": _("To act on"),
    "mine": _("Assigned to me"),
    "due_soon": _("Due within 3 working days"),
    "overdue": _("Overdue"),
    "returned_today": _("Returned today"),
}


def visible(actor: Actor) -> QuerySet[Dossier]:
    agencies = actor.agencies_with()
    if not agencies:
        return Dossier.objects.none()
    return Dossier.objects.filter(
        Exists(DossierAgency.objects.filter(dossier=OuterRef("pk"), agency_id__in=agencies))
    )


def _held(actor: Actor) -> Q:
    """Dossiers waiting at one of the actor's agencies for a role the actor holds there."""
    query = Q(pk__in=[])
    for agency, roles in actor.roles.items():
        query |= Q(current_agency_id=agency, current_role__in=sorted(roles))
    return query


def queue_q(actor: Actor, name: str, now: datetime) -> Q:
    """The filter of the queue tab ``name`` (``todo``, ``mine``, ``due_soon``, ``overdue``): the tabs and the inbox
    counters (``stats.board.inbox_counters``) count the same dossiers."""
    if name == "mine":
        return Q(assignee_id=actor.user_id, closed_at__isnull=True) if actor.user_id is not None else Q(pk__in=[])
    if name == "overdue":
        return deadlines.overdue_q(now) & Q(current_agency_id__in=sorted(actor.agencies_with()))
    held = Q(_held(actor), closed_at__isnull=True) & ~Q(status=Status.DRAFT) & (
        Q(assignee__isnull=True) | Q(assignee_id=actor.user_id))
    if name == "todo":
        return held
    if name == "due_soon":
        return held & Q(due_at__gte=now, due_at__lte=deadlines.calendar().add_working_days(now, DUE_SOON_DAYS))
    raise KeyError(name)


def queue(actor: Actor, name: str, now: datetime | None = None) -> QuerySet[Dossier]:
    now = now or timezone.now()
    base = Dossier.objects.select_related("version", "receiving_agency", "current_agency", "assignee")
    if name in ("todo", "mine", "due_soon", "overdue"):
        return base.filter(queue_q(actor, name, now)).order_by("due_at", "pk")
    if name == "returned_today":
        start = datetime.combine(timezone.localdate(now), datetime.min.time(), VN_TZ)
        front = actor.agencies_with(Role.RECEPTION, Role.POSTAL)
        return base.filter(receiving_agency_id__in=front, status=Status.RETURNED, returned_at__gte=start).order_by(
            "-returned_at")
    raise NotFound("unknown_queue", _("There is no queue called %(name)s."), {"name": name[:30]})


@dataclass
class Filters:
    status: str = ""
    agency: str = ""
    procedure: str = ""
    overdue: bool | None = None
    received_from: date | None = None
    received_to: date | None = None


def search(actor: Actor, filters: Filters, now: datetime | None = None) -> QuerySet[Dossier]:
    now = now or timezone.now()
    result = visible(actor).select_related("procedure", "version", "receiving_agency", "current_agency")
    if filters.status:
        if filters.status not in Status.values:
            raise MotCuaError("unknown_status", _("Unknown status %(status)s."), {"status": filters.status[:30]},
                              "status")
        result = result.filter(status=filters.status)
    if filters.agency:
        result = result.filter(
            Q(current_agency__identifier_code=filters.agency) | Q(receiving_agency__identifier_code=filters.agency)
        )
    if filters.procedure:
        result = result.filter(procedure__code=filters.procedure)
    if filters.overdue is True:
        result = result.filter(deadlines.overdue_q(now))
    elif filters.overdue is False:
        result = result.exclude(deadlines.overdue_q(now))
    if filters.received_from:
        result = result.filter(submitted_at__gte=datetime.combine(filters.received_from, datetime.min.time(), VN_TZ))
    if filters.received_to:
        end = datetime.combine(filters.received_to + timedelta(days=1), datetime.min.time(), VN_TZ)
        result = result.filter(submitted_at__lt=end)
    return result.order_by("-submitted_at", "-pk")


def get_for(actor: Actor, code: str, via: str = "") -> Dossier:
    """One dossier the actor may see (404 otherwise, so that codes of others' dossiers reveal nothing)."""
    dossier = visible(actor).select_related("version", "receiving_agency", "current_agency", "assignee",
                                            "competent_unit").filter(code=code).first()
    if dossier is None:
        raise NotFound("dossier_not_found", _("No dossier has the code %(code)s."), {"code": code[:60]})
    if via:
        DossierAccess.objects.create(dossier=dossier, user_id=actor.user_id, via=via)
    return dossier


# --- personal data: who sees it whole -------------------------------------------------------------------------

# The roles that handle a dossier and so need the applicant's full ID number and contacts: they receive and
# return it (reception, postal), examine it (processing), approve and sign its result (leader, signer). A
# supervisor watches figures and a catalogue administrator maintains procedures: they see masked values.
PERSONAL_DATA_ROLES = frozenset({Role.RECEPTION, Role.POSTAL, Role.PROCESSING, Role.LEADER, Role.SIGNER})


def sees_personal_data(actor: Actor, dossier: Dossier) -> bool:
    """Whether ``actor`` sees the applicant's personal data whole: a handling role (``PERSONAL_DATA_ROLES``) at an
    agency involved in the dossier, or the applicant's own account. The one place that decides it."""
    if actor.user_id is not None and dossier.applicant_user_id == actor.user_id:
        return True
    agencies = actor.agencies_with(*PERSONAL_DATA_ROLES)
    return bool(agencies) and DossierAgency.objects.filter(dossier=dossier, agency_id__in=agencies).exists()


def applicant_data(dossier: Dossier, *, whole: bool) -> dict[str, str]:
    """The applicant's details as pages, the API and slips show them: whole, or masked
    (``core.identity.masked_personal_data``) for those :func:`sees_personal_data` refuses."""
    data = {
        "kind": dossier.applicant_kind, "name": dossier.applicant_name, "id_number": dossier.applicant_id_number,
        "phone": dossier.applicant_phone, "email": dossier.applicant_email, "address": dossier.applicant_address,
        "delivery_address": dossier.delivery_address,
    }
    if whole:
        return data
    masked = identity.masked_personal_data(id_number=dossier.applicant_id_number, phone=dossier.applicant_phone,
                                           email=dossier.applicant_email, address=dossier.applicant_address)
    delivery = identity.masked_personal_data(id_number="", phone="", email="", address=dossier.delivery_address)
    return {**data, **masked, "delivery_address": delivery["address"]}


def applicant_for(actor: Actor, dossier: Dossier) -> dict[str, str]:
    """The applicant's details as ``actor`` may see them."""
    return applicant_data(dossier, whole=sees_personal_data(actor, dossier))


class FilesNotForYou(MotCuaError):
    """The dossier's files and e-form hold the applicant's personal data in full (an ID card scan, a birth
    certificate): only the roles that handle the dossier open them (:func:`sees_personal_data`)."""

    status = 403

    def __init__(self) -> None:
        super().__init__("files_not_for_your_role", _(
            "The dossier's files and e-form are opened only by the officers who handle it; your role sees its "
            "progress."))


def attachment_for(actor: Actor, dossier: Dossier, pk: int) -> Attachment:
    """One of ``dossier``'s files, for an actor who may open it: :class:`FilesNotForYou` for a role that sees
    the dossier masked (a supervisor, a catalogue administrator), :class:`NotFound` for no such file."""
    if not sees_personal_data(actor, dossier):
        raise FilesNotForYou()
    item = Attachment.objects.filter(dossier=dossier, pk=pk).first()
    if item is None:
        raise NotFound("file_not_found", _("This dossier has no such file."))
    return item


def event_data_for(data: dict[str, Any] | None, *, whole: bool) -> dict[str, Any]:
    """An event's data as a role that sees the dossier masked may read it: without the names of files."""
    data = dict(data or {})
    if whole:
        return data
    data.pop("name", None)
    if isinstance(data.get("result"), dict):
        data["result"] = {key: value for key, value in data["result"].items() if key != "name"}
    return data


def events(dossier: Dossier) -> QuerySet[Event]:
    return Event.objects.filter(dossier=dossier).select_related("agency").order_by("seq")


# What the public may see of the history: the action's public label, never people or notes.
MILESTONES: dict[str, Any] = {
    EventKind.SUBMIT: _("Dossier submitted"),
    EventKind.RECEIVE: _("Dossier accepted"),
    EventKind.REQUEST_SUPPLEMENT: _("Supplement requested"),
    EventKind.SUPPLEMENT: _("Supplement received"),
    EventKind.REFUSE: _("Dossier refused"),
    EventKind.TRANSFER: _("Transferred for processing"),
    EventKind.FORWARD: _("Moved to the next step"),
    EventKind.APPROVE: _("Approved"),
    EventKind.SEND_BACK: _("Returned to an earlier step"),
    EventKind.PAUSE: _("Paused"),
    EventKind.RESUME: _("Resumed"),
    EventKind.ISSUE_RESULT: _("Result signed and issued"),
    EventKind.RETURN_RESULT: _("Result returned"),
    EventKind.WITHDRAW: _("Withdrawn"),
    EventKind.APOLOGIZE: _("Apology issued with a new appointment date"),
    EventKind.PAYMENT: _("Fee paid"),
}


TRACK_FIELDS = ("code", "status", "pause_kind", "plan", "step_index", "submitted_at", "due_at", "apology_due_at",
                "returned_at", "procedure__code", "version__name_vi", "receiving_agency__name", "current_agency__name")


def track(code: str, now: datetime | None = None) -> dict[str, Any]:
    """What anyone with the code may see: status, step, due date, milestones — no personal data."""
    now = now or timezone.now()
    # one query for the dossier and the names it shows (only the columns read below), one for the milestones
    dossier = Dossier.objects.select_related(
        "procedure", "version", "receiving_agency", "current_agency").only(*TRACK_FIELDS).filter(
        code=code.strip()).first()
    if dossier is None:
        raise NotFound("dossier_not_found", _("No dossier has the code %(code)s."), {"code": code[:60]})
    step = dossier.current_step
    return {
        "dossier": dossier,
        "code": dossier.code,
        "procedure": dossier.version.name_vi,
        "procedure_code": dossier.procedure.code if dossier.procedure_id else "",
        "received_at_agency": dossier.receiving_agency.name,
        "status": dossier.status,
        "status_label": Status(dossier.status).label,
        "national_status": dossier.national_status,
        "step": step["name"] if step and dossier.status in OPEN else "",
        "step_agency": dossier.current_agency.name if dossier.current_agency and dossier.status in OPEN else "",
        "submitted_at": dossier.submitted_at,
        "due_at": dossier.promised_at,
        "overdue": deadlines.is_overdue(dossier, now),
        "returned_at": dossier.returned_at,
        "milestones": [
            {"at": e.at, "action": e.action, "label": MILESTONES[e.action]}
            for e in Event.objects.filter(dossier=dossier, action__in=list(MILESTONES)).only("at", "action")
            .order_by("seq")
        ],
    }


# --- what the API's answers show ----------------------------------------------------------------------------


def reread(code: str) -> Dossier:
    """Dossier ``code`` read again after a change its caller was allowed to make, with what its detail shows."""
    return Dossier.objects.select_related("version", "procedure", "receiving_agency", "current_agency",
                                          "assignee", "competent_unit").get(code=code)


def attachments(dossier: Dossier) -> QuerySet[Attachment]:
    return Attachment.objects.filter(dossier=dossier).select_related("component")


def plan_agency_codes(dossier: Dossier) -> dict[int, str]:
    """The identifier codes of the agencies in ``dossier``'s workflow plan, by agency id."""
    return dict(Agency.objects.filter(pk__in={s["agency"] for s in dossier.plan}).values_list("pk", "identifier_code"))


def result_templates(dossier: Dossier) -> list[ResultTemplate]:
    """The result templates of the dossier's procedure version, in order."""
    return list(ResultTemplate.objects.filter(version_id=dossier.version_id).select_related("result"))


def latest_draft(dossier: Dossier) -> Attachment | None:
    """The latest draft of the dossier's result (the one forwarded with it), for staff."""
    return Attachment.objects.filter(dossier=dossier, kind=AttachmentKind.DRAFT).order_by(
        "-uploaded_at", "-pk").first()
