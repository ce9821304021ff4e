"""The actions of ``dossiers.machine`` on a dossier: :func:`perform`, and one handler per action.

:func:`perform` runs one action in one transaction: it locks the dossier, checks the revision the user saw,
asks the machine who may act (``machine.authorize``), parses the action's parameters (``schema.ACTION_PARAMS``),
lets the action's handler change the dossier (the law's rules in ``dossiers.rules``), and records the event
with the changed columns (``dossiers.events.record``: chain head, optimistic revision, signal on commit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Agency, AgencyKind, Membership, Role
from motcua.catalog.models import Channel, Delivery
from motcua.core.calendar import WorkingCalendar
from motcua.core.errors import MotCuaError, NotFound
from motcua.dossiers import audit, deadlines, rules
from motcua.dossiers.actors import Actor
from motcua.dossiers.errors import DossierNotFound, dossier_changed
from motcua.dossiers.events import record
from motcua.dossiers.machine import ACTIONS, APPLICANT, RECEIVING, Forbidden, authorize
from motcua.dossiers.models import (
    Attachment,
    AttachmentKind,
    Dossier,
    DossierAgency,
    DossierComponent,
    IssuedResult,
)
from motcua.dossiers.schema import ACTION_PARAMS
from motcua.dossiers.services.base import now_or, validate
from motcua.dossiers.services.digitization import digitize_pending
from motcua.dossiers.statuses import EventKind, Status


@dataclass
class Context:
    dossier: Dossier
    actor: Actor
    role: str
    now: datetime
    params: Any
    event_data: dict[str, Any]
    note: str = ""
    _calendar: WorkingCalendar | None = None

    @property
    def calendar(self) -> WorkingCalendar:
        """The working calendar, read (the administrators' overrides: a query) by the handlers that count time."""
        if self._calendar is None:
            self._calendar = deadlines.calendar()
        return self._calendar


Handler = Callable[[Context], None]
HANDLERS: dict[EventKind, Handler] = {}


def handler(name: EventKind) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[name] = func
        return func
    return register


def perform(
    code: str, action: str, *, actor: Actor, params: dict[str, Any] | None = None,
    revision: int | None = None, now: datetime | None = None,
) -> Dossier:
    """Take ``action`` on dossier ``code`` as ``actor``. ``revision``, when given, is the revision the user saw:
    if the dossier changed since, the action is refused with :class:`Conflict` instead of acting on news."""
    if action not in ACTIONS:
        raise NotFound("unknown_action", _("There is no action called %(action)s."), {"action": action[:40]})
    # the revision only (the row is read whole under the lock below)
    dossier = Dossier.objects.filter(code=code).only("pk", "code", "revision").first()
    if dossier is None:
        raise DossierNotFound(code)
    # without an explicit revision, the one read now: a concurrent change between here and the lock is a conflict
    return take_action(dossier, EventKind(action), actor, params or {}, now_or(now),
                       dossier.revision if revision is None else revision)


def take_action(dossier: Dossier, action: EventKind, actor: Actor, params: dict[str, Any], now: datetime,
                revision: int | None) -> Dossier:
    """:func:`perform` on a dossier already read, in one transaction (the caller's, when it has one)."""
    with transaction.atomic():
        # only the dossier's row is locked (``of``): a join's rows would be locked too, and every action on a
        # dossier of the same procedure version or receiving agency would wait for this one; the receiving
        # agency is read here for the applicant's message after the commit (``dossiers.messages``)
        dossier = Dossier.objects.select_for_update(of=("self",)).select_related(
            "version", "receiving_agency").get(pk=dossier.pk)
        if revision is not None and revision != dossier.revision:
            raise dossier_changed(dossier.code, dossier.status)
        seen = dossier.revision
        _action, role = authorize(dossier, action, actor)
        parsed = validate(ACTION_PARAMS[action], params)  # after authorize: strangers learn nothing from errors
        _apply(dossier, action, actor, role, parsed, now, seen,
               dossier.receiving_agency_id if _action.where == RECEIVING else None)
    return dossier


def _apply(dossier: Dossier, action: EventKind, actor: Actor, role: str, parsed: Any, now: datetime, seen: int,
           agency_id: int | None, run: Handler | None = None, data: dict[str, Any] | None = None) -> None:
    """Run the action's handler (or ``run``) on the locked ``dossier`` and record its event (``agency_id``: on
    whose behalf; ``None``: the agency that held the dossier before the action; ``data``: more event data)."""
    before = audit.snapshot(dossier)
    from_status, from_step = dossier.status, dossier.step_index
    context = Context(dossier, actor, role, now, parsed, dict(data or {}), parsed.note)
    (run or HANDLERS[action])(context)
    after = audit.snapshot(dossier)
    changes = {name: value for name, value in after.items() if before[name] != value}
    fields = [name for name in audit.PROJECTED if name in changes]
    record(
        dossier, action, actor=actor, at=now, role=role,
        agency_id=agency_id if agency_id is not None else _holder(before),
        moved_from=(from_status, from_step), note=context.note, data=context.event_data, changes=changes,
        columns={name: getattr(dossier, name) for name in fields}, revision=seen,
    )
    new_agencies = set() if "plan" not in changes else {s["agency"] for s in dossier.plan} - set(
        DossierAgency.objects.filter(dossier=dossier).values_list("agency_id", flat=True))
    if new_agencies:  # an inter-agency transfer: the new agency may now read the dossier
        DossierAgency.objects.bulk_create([DossierAgency(dossier=dossier, agency_id=a) for a in new_agencies])


SYSTEM = Actor(None, "MotCua")


def return_electronically(code: str, *, now: datetime) -> Dossier:
    """A result the applicant asked to receive electronically is returned the moment it is issued — into their
    account and data warehouse — without a clerk pressing "return"; recorded as the system's ``return_result``.

    While a fee is due (``rules.check_fee_settled``) the result waits, ``result_ready`` and not downloadable; the
    payment that settles it calls this again once it has committed (``payments.services``)."""
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).select_related(
            "version", "receiving_agency").get(code=code)
        if dossier.status != Status.RESULT_READY or dossier.delivery != Delivery.ELECTRONIC:
            return dossier
        if not rules.fee_settled(dossier, rules.RELEASE):
            return dossier
        parsed = validate(ACTION_PARAMS[EventKind.RETURN_RESULT], {
            "delivery": Delivery.ELECTRONIC, "recipient": dossier.applicant_name[:300] or "-",
            "note": _vietnamese(_("Returned electronically into the applicant's account when it was issued."))})
        _apply(dossier, EventKind.RETURN_RESULT, SYSTEM, "", parsed, now, dossier.revision, None)
    return dossier


def return_by_post(code: str, *, proof: dict[str, Any], now: datetime) -> Dossier:
    """A result sent by post is returned when the carrier reports it delivered — not when it is handed to the
    post: recorded as the system's ``return_result`` (delivery by post, to the person who signed for it), with the
    delivery proof (waybill, recipient, time, the proof image's SHA-256 and reference) in the event's data."""
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).select_related(
            "version", "receiving_agency").get(code=code)
        if dossier.status != Status.RESULT_READY or dossier.delivery != Delivery.POST:
            return dossier
        recipient = str(proof.get("recipient") or dossier.applicant_name or "-")[:300]
        parsed = validate(ACTION_PARAMS[EventKind.RETURN_RESULT], {
            "delivery": Delivery.POST, "recipient": recipient,
            "note": (_vietnamese(_("Delivered by post (waybill %(waybill)s), received by %(recipient)s."))
                     % {"waybill": proof.get("waybill", ""), "recipient": recipient})[:1000]})
        _apply(dossier, EventKind.RETURN_RESULT, SYSTEM, "", parsed, now, dossier.revision, None,
               data={"delivery_proof": proof})
    return dossier


def _vietnamese(text: Any) -> str:
    """A note the system writes into the log: in Vietnamese, the record's language, whoever's request it is."""
    with translation.override("vi"):
        return str(text)


def _holder(before: dict[str, Any]) -> int | None:
    agency = before.get("current_agency_id")
    return int(agency) if agency is not None else None


def _enter_step(ctx: Context, index: int, start: datetime | None = None) -> None:
    """Move the dossier to step ``index`` of its plan: new holder, role, step clock; assignment cleared."""
    dossier = ctx.dossier
    step = dossier.plan[index]
    dossier.step_index = index
    dossier.current_agency_id = step["agency"]
    dossier.current_role = step["role"]
    dossier.assignee_id = None
    dossier.step_started_at = start or ctx.now
    dossier.step_due_at = deadlines.step_due(ctx.calendar, dossier.step_started_at, step)
    last = index == len(dossier.plan) - 1
    if last:
        dossier.status = Status.RESULT_READY
    elif step["role"] == Role.SIGNER:
        dossier.status = Status.AWAITING_SIGNATURE
    else:
        dossier.status = Status.IN_PROGRESS


def _start_clock(ctx: Context, start: datetime) -> None:
    dossier = ctx.dossier
    dossier.clock_started_at = start
    dossier.due_at = deadlines.dossier_due(ctx.calendar, start, Decimal(str(dossier.version.processing_days)))


def _mark_received(ctx: Context) -> None:
    """Record the components that arrived now; a paper dossier is accepted only with every required one."""
    dossier = ctx.dossier
    orders = sorted(set(ctx.params.received))
    components = DossierComponent.objects.filter(dossier=dossier)
    known = set(components.values_list("order", flat=True))
    unknown = [order for order in orders if order not in known]
    if unknown:
        raise MotCuaError("unknown_component", _("The procedure has no component number %(order)s."),
                          {"order": unknown[0]}, "received")
    if orders:
        components.filter(order__in=orders).update(received=True)
        ctx.event_data["received_components"] = orders


def missing_components(names: list[str], location: str) -> MotCuaError:
    return MotCuaError(
        "missing_required_component",
        _("Required documents are missing: %(names)s. Request a supplement instead of accepting."),
        {"names": "; ".join(names)}, location,
    )


def _check_complete(dossier: Dossier) -> None:
    if dossier.channel == Channel.ONLINE:
        return  # online components arrive as files; the officer checks them and requests a supplement if needed
    missing = list(DossierComponent.objects.filter(dossier=dossier, required=True, received=False)
                   .values_list("name", flat=True))
    if missing:
        raise missing_components(missing, "received")


@handler(EventKind.RECEIVE)
def _receive(ctx: Context) -> None:
    dossier = ctx.dossier
    _mark_received(ctx)
    _check_complete(dossier)
    if dossier.population_data:  # what was taken from the population database instead of asked again: audited
        held = list(DossierComponent.objects.filter(
            dossier=dossier, received=False, required=False, component__required=True, component__reusable=True,
        ).order_by("order").values_list("order", flat=True))
        if held:
            ctx.event_data["from_population"] = held
    rules.check_fee_settled(dossier, rules.RECEPTION)
    dossier.status = Status.RECEIVED
    dossier.received_at = ctx.now
    _start_clock(ctx, ctx.now)
    dossier.step_started_at = ctx.now
    dossier.step_due_at = deadlines.step_due(ctx.calendar, ctx.now, dossier.plan[0])
    ack = rules.online_ack_deadline(dossier, ctx.calendar)
    if ack is not None:
        ctx.event_data["acknowledged_late"] = ctx.now > ack
    _digitize(ctx)


def _digitize(ctx: Context) -> None:
    """The files the applicant sent (online) become digitized documents when the officer accepts them (not when
    the applicant records their own supplement: nobody at the agency has looked at those files yet)."""
    if ctx.role == APPLICANT:
        return
    digitized = digitize_pending(ctx.dossier, by=ctx.actor.user_id, at=ctx.now)
    if digitized:
        ctx.event_data["digitized"] = digitized


@handler(EventKind.REQUEST_SUPPLEMENT)
def _request_supplement(ctx: Context) -> None:
    dossier = ctx.dossier
    phase = rules.check_supplement_request(dossier, ctx.now, ctx.calendar)
    if phase == "reception":
        dossier.supplements_at_reception += 1
    else:
        dossier.supplements_after_acceptance += 1
    ctx.event_data["missing"] = [m.model_dump() for m in ctx.params.missing]
    ctx.event_data["phase"] = phase
    dossier.resume_status = dossier.status
    dossier.status = Status.SUPPLEMENT_REQUESTED
    dossier.supplement_requested_at = ctx.now


@handler(EventKind.SUPPLEMENT)
def _supplement(ctx: Context) -> None:
    """The complete supplement is back: reception resumes; after acceptance the deadline restarts from zero."""
    dossier = ctx.dossier
    _mark_received(ctx)
    previous = dossier.resume_status or Status.SUBMITTED
    dossier.status = previous
    dossier.resume_status = ""
    dossier.supplement_requested_at = None
    if dossier.received_at is not None:
        _start_clock(ctx, ctx.now)
        dossier.step_started_at = ctx.now
        dossier.step_due_at = deadlines.step_due(ctx.calendar, ctx.now, dossier.current_step)
        ctx.event_data["clock_restarted"] = True
        _digitize(ctx)


def _close(ctx: Context, status: str) -> None:
    """End the dossier: nobody holds it any more, no clock, no pause, no pending supplement."""
    dossier = ctx.dossier
    dossier.status = status
    dossier.closed_at = ctx.now
    dossier.assignee_id = None
    dossier.step_due_at = None
    dossier.paused_at = None
    dossier.pause_kind = ""
    dossier.resume_status = ""
    dossier.supplement_requested_at = None


@handler(EventKind.REFUSE)
def _refuse(ctx: Context) -> None:
    ctx.event_data["reasons"] = ctx.params.reasons
    _close(ctx, Status.REFUSED)


@handler(EventKind.TRANSFER)
def _transfer(ctx: Context) -> None:
    """From reception to the processing agency (next working morning for paper after 15:00), or, with
    ``agency``, the current step onward to another agency or level (inter-agency handling)."""
    dossier = ctx.dossier
    if ctx.params.agency:
        target = Agency.objects.filter(identifier_code=ctx.params.agency, is_active=True).first()
        if target is None:
            raise NotFound("agency_not_found", _("No agency has the code %(code)s."),
                           {"code": ctx.params.agency[:30]}, "agency")
        if target.pk == dossier.current_agency_id:
            raise MotCuaError("same_agency", _("The dossier is already at %(agency)s."), {"agency": target.name},
                              "agency")
        if dossier.status == Status.RECEIVED:
            raise MotCuaError("transfer_first", _("Transfer the dossier to its processing agency first."),
                              location="agency")
        plan = [dict(step) for step in dossier.plan]
        plan[dossier.step_index]["agency"] = target.pk
        dossier.plan = plan
        dossier.current_agency_id = target.pk
        dossier.assignee_id = None
        ctx.event_data["to_agency"] = target.identifier_code
        return
    if dossier.status != Status.RECEIVED:
        raise MotCuaError("forward_instead", _("Use “send to the next step”, or name the agency to transfer to."),
                          location="agency")
    rules.check_transfer_from_post(dossier, held_at_post_office=dossier.current_agency_id is not None and (
        Agency.objects.filter(pk=dossier.current_agency_id, kind=AgencyKind.POST_OFFICE).exists()))
    arrival = rules.transfer_moment(dossier, ctx.now, ctx.calendar)
    ctx.event_data["arrives_at"] = arrival
    _enter_step(ctx, 1, arrival)


class NotFromPost(MotCuaError):
    status = 409


def transfer_from_post(code: str, *, actor: Actor, at: datetime, data: dict[str, Any] | None = None,
                       note: str = "") -> Dossier:
    """The processing agency received dossier ``code`` from the postal worker (a hand-over record's item
    confirmed at ``at``): the dossier leaves the post point's reception step for the agency's first step at that
    moment, and its legal clock restarts from it (``rules.postal_clock_start``: Decision 45/2016/QĐ-TTg).

    ``actor`` is the receiving agency's staff member who confirmed the package; the hand-over record, not the
    machine's ``transfer`` table, is what entitles them to take it (``postal.services.handover`` checks the
    record; this checks that ``actor`` works where the dossier goes). ``data``: what the record says (its
    number), written in the ``transfer`` event. Raises :class:`NotFromPost` if the dossier is not waiting at a
    post point's reception step, :class:`Forbidden` if ``actor`` is not staff of the receiving agency.
    """
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).select_related(
            "version", "receiving_agency").filter(code=code).first()
        if dossier is None:
            raise DossierNotFound(code)
        if dossier.status != Status.RECEIVED or dossier.step_index != 0 or len(dossier.plan) < 2 or (
                dossier.plan[0]["role"] != Role.POSTAL):
            raise NotFromPost("not_waiting_at_post", _(
                "Dossier %(code)s is not waiting at a post point to be handed over (it is “%(status)s”)."),
                {"code": dossier.code, "status": Status(dossier.status).label})
        target = dossier.plan[1]["agency"]
        roles = actor.roles_at(target) & {Role.RECEPTION, Role.PROCESSING, Role.LEADER, Role.SIGNER}
        if not roles:
            raise Forbidden("not_receiving_staff", _(
                "Only staff of the agency the dossier goes to confirm that it arrived."))
        parsed = validate(ACTION_PARAMS[EventKind.TRANSFER], {"note": note[:1000]})
        # on behalf of the post point that handed it over (the control slip's giver), confirmed by the receiver
        _apply(dossier, EventKind.TRANSFER, actor, sorted(roles)[0], parsed, at, dossier.revision,
               dossier.current_agency_id, run=_arrive_from_post, data=data)
    return dossier


def _arrive_from_post(ctx: Context) -> None:
    dossier = ctx.dossier
    start = rules.postal_clock_start(dossier, ctx.now)
    _enter_step(ctx, 1, start)
    _start_clock(ctx, start)
    ctx.event_data.update(arrives_at=start, from_post=True, clock_restarted=True)


@handler(EventKind.ASSIGN)
def _assign(ctx: Context) -> None:
    dossier = ctx.dossier
    user = get_user_model().objects.filter(username=ctx.params.assignee, is_active=True).first()
    if user is None or dossier.current_agency_id is None or not Membership.objects.filter(
        user=user, agency_id=dossier.current_agency_id, role=dossier.current_role, is_active=True
    ).exists():
        raise MotCuaError(
            "cannot_assign", _("%(user)s is not a %(role)s of the agency holding the dossier."),
            {"user": ctx.params.assignee[:150], "role": Role(dossier.current_role).label}, "assignee",
        )
    if ctx.role != Role.LEADER and user.pk != ctx.actor.user_id:
        raise Forbidden("leader_assigns", _("Only a leader assigns dossiers to others; you may take it yourself."))
    dossier.assignee_id = user.pk
    ctx.event_data["assignee"] = user.get_username()


def _next_step(ctx: Context) -> None:
    dossier = ctx.dossier
    index = dossier.step_index + 1
    if index >= len(dossier.plan):  # a dossier of another province has one step: it is sent back, not forwarded
        raise rules.RuleBroken("no_next_step", _("This is the last step of this dossier's workflow."))
    if index == len(dossier.plan) - 1 and dossier.result_issued_at is None:
        raise rules.RuleBroken("result_not_issued", _("The result must be signed and issued before it is returned."))
    _enter_step(ctx, index)


@handler(EventKind.FORWARD)
def _forward(ctx: Context) -> None:
    _next_step(ctx)


@handler(EventKind.APPROVE)
def _approve(ctx: Context) -> None:
    _next_step(ctx)


@handler(EventKind.SEND_BACK)
def _send_back(ctx: Context) -> None:
    target = ctx.params.to_step
    if not 1 <= target < ctx.dossier.step_index:
        raise MotCuaError(
            "not_an_earlier_step", _("Step %(step)s is not an earlier step of this dossier's workflow."),
            {"step": target}, "to_step",
        )
    ctx.event_data["reason"] = ctx.params.reason
    _enter_step(ctx, target)


@handler(EventKind.PAUSE)
def _pause(ctx: Context) -> None:
    dossier = ctx.dossier
    dossier.resume_status = dossier.status
    dossier.status = Status.PAUSED
    dossier.pause_kind = ctx.params.kind
    dossier.paused_at = ctx.now
    ctx.event_data["reason"] = ctx.params.reason


@handler(EventKind.RESUME)
def _resume(ctx: Context) -> None:
    """The clock did not run while paused: both due dates move by the working time that passed."""
    dossier = ctx.dossier
    assert dossier.paused_at is not None
    paused = ctx.calendar.working_seconds_between(dossier.paused_at, ctx.now)
    for name in ("due_at", "step_due_at", "apology_due_at"):
        value = getattr(dossier, name)
        if value is not None:
            setattr(dossier, name, ctx.calendar.add_working_seconds(value, paused) if paused else value)
    dossier.status = dossier.resume_status or Status.IN_PROGRESS
    dossier.resume_status = ""
    dossier.pause_kind = ""
    dossier.paused_at = None
    ctx.event_data["paused_working_seconds"] = paused


@handler(EventKind.ISSUE_RESULT)
def _issue_result(ctx: Context) -> None:
    """Only a result written in the register (``services.issuing``: numbered, QR-coded, signed) is issued."""
    dossier = ctx.dossier
    results = Attachment.objects.filter(dossier=dossier, kind=AttachmentKind.RESULT)
    if ctx.params.attachment is not None:
        results = results.filter(pk=ctx.params.attachment)
    result = results.order_by("-pk").first()
    if result is None:
        raise MotCuaError("result_file_required", _("Attach the signed result file before issuing it."),
                          location="attachment")
    issued = IssuedResult.objects.filter(attachment=result).first()
    if issued is None:
        raise MotCuaError("result_not_registered", _(
            "This file is not in the register of results: issue it with “Sign and issue the result”, which "
            "numbers it, adds its QR code and signs it."), location="attachment")
    dossier.result_issued_at = ctx.now
    ctx.event_data["result"] = {"attachment": result.pk, "sha256": result.sha256, "name": result.original_name,
                                "register_number": issued.register_number, "signed": issued.signed}
    _enter_step(ctx, dossier.step_index + 1)


@handler(EventKind.RETURN_RESULT)
def _return_result(ctx: Context) -> None:
    dossier = ctx.dossier
    if ctx.params.delivery == Delivery.POST and ctx.actor.user_id is not None:
        # a result by post is returned when the carrier reports it delivered (``return_by_post``), not by a click
        raise MotCuaError("send_by_post", _(
            "A result by post is returned when the post delivers it: use “Send by post”, or return it here at the "
            "counter or electronically."), location="delivery")
    rules.check_fee_settled(dossier, rules.RELEASE)  # an unpaid dossier cannot release its result
    _close(ctx, Status.RETURNED)
    dossier.returned_at = ctx.now
    dossier.returned_to = ctx.params.recipient
    dossier.delivery = ctx.params.delivery
    dossier.timeliness = deadlines.timeliness(dossier, dossier.result_issued_at or ctx.now)


@handler(EventKind.WITHDRAW)
def _withdraw(ctx: Context) -> None:
    ctx.event_data["reason"] = ctx.params.reason
    _close(ctx, Status.WITHDRAWN)


@handler(EventKind.APOLOGIZE)
def _apologize(ctx: Context) -> None:
    dossier = ctx.dossier
    new_date = ctx.params.new_due_at
    if timezone.is_naive(new_date):
        new_date = timezone.make_aware(new_date)
    rules.check_apology(dossier, ctx.now, new_date)
    dossier.apology_due_at = new_date
    ctx.event_data["reason"] = ctx.params.reason
    ctx.event_data["previous_due_at"] = dossier.due_at




def apology_default_date(dossier: Dossier, extra_days: int = 3) -> datetime | None:
    """A suggestion for the apology form: a few working days after the current due date."""
    if dossier.due_at is None:
        return None
    return deadlines.calendar().add_working_days(dossier.due_at, extra_days)
