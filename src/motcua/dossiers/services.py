"""Every change to a dossier: one function per action, each in one transaction, each writing one event.

The functions validate (``machine.authorize`` for who and when, ``rules`` for the law), compute the fields
that change, append the hash-chained event (``audit.append``) and save the dossier only if nobody changed it
in the meantime (optimistic concurrency on ``revision``: the loser gets :class:`Conflict`, HTTP 409).
Views and API endpoints only parse, call :func:`perform` or :func:`create_dossier`, and render.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.core.files.base import File
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError as PydanticError

from motcua.agencies.models import Agency, Counter, Membership, Role
from motcua.agencies.selectors import RECEIVING_KINDS
from motcua.catalog import eforms
from motcua.catalog.models import Channel
from motcua.catalog.selectors import procedure_version
from motcua.core import identity
from motcua.core.errors import MotCuaError, NotFound, ValidationFailed, from_pydantic
from motcua.core.files import atomic_with_files, stored
from motcua.documents.validation import CheckedFile, check_upload
from motcua.dossiers import audit, deadlines, routing, rules
from motcua.dossiers.actors import Actor, Identity
from motcua.dossiers.codes import next_code
from motcua.dossiers.machine import ACTIONS, RECEIVING, Forbidden, Status, authorize, is_applicant
from motcua.dossiers.models import (
    Attachment,
    AttachmentKind,
    Dossier,
    DossierAgency,
    DossierComponent,
    Event,
    IdempotencyKey,
)
from motcua.dossiers.schema import ACTION_PARAMS, Applicant, DossierIn, Params
from motcua.dossiers.signals import send_on_commit
from motcua.geo.models import AdministrativeUnit
from motcua.payments import fees


class Conflict(MotCuaError):
    status = 409


def _conflict(dossier: Dossier) -> Conflict:
    return Conflict(
        "dossier_changed",
        _("Someone else changed dossier %(code)s a moment ago (it is now “%(status)s”). Reload it and try again."),
        {"code": dossier.code, "status": Status(dossier.status).label},
    )


def validate(model: type[Params] | type[DossierIn], data: dict[str, Any]) -> Any:
    """Parse ``data`` with a pydantic model; errors become one :class:`ValidationFailed` in vi/en."""
    try:
        return model.model_validate(data)
    except PydanticError as exc:
        raise ValidationFailed(
            [from_pydantic(e, ".".join(str(p) for p in e["loc"])) for e in exc.errors()]
        ) from None


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


# --- creation ------------------------------------------------------------------------------------------


def check_applicant(applicant: Any) -> list[MotCuaError]:
    errors: list[MotCuaError] = []
    number = identity.normalize(applicant.id_number)
    if applicant.kind == "person" and not identity.is_citizen_id(number):
        errors.append(MotCuaError(
            "invalid_citizen_id",
            _("%(value)s is not a valid citizen ID: 12 digits starting with a province code (e.g. 022…)."),
            {"value": applicant.id_number}, "applicant.id_number",
        ))
    if applicant.kind == "organization" and not (identity.is_tax_code(number) or identity.is_citizen_id(number)):
        errors.append(MotCuaError(
            "invalid_tax_code",
            _("%(value)s is not a valid tax code (10 digits with a correct check digit, or 10-3 digits)."),
            {"value": applicant.id_number}, "applicant.id_number",
        ))
    if applicant.phone and not identity.is_phone(applicant.phone):
        errors.append(MotCuaError(
            "invalid_phone", _("%(value)s is not a Vietnamese phone number (e.g. 0912 345 678)."),
            {"value": applicant.phone}, "applicant.phone",
        ))
    if applicant.email and ("@" not in applicant.email or "." not in applicant.email.rsplit("@", 1)[-1]):
        errors.append(MotCuaError(
            "invalid_email", _("%(value)s is not an email address."), {"value": applicant.email}, "applicant.email",
        ))
    return errors


class NotAccountHolder(Forbidden):
    """An online dossier sent from a citizen's or business's account names someone other than the account holder
    (403: the caller may not act in another's name; the same data from reception staff at a counter is fine)."""

    def __init__(self, field: str) -> None:
        super().__init__(
            "applicant_not_account_holder",
            _("A dossier sent from your account is in your own name, with the ID number (or tax code), phone "
              "and email of your account. To submit for another person or business, they need their own account; "
              "to use another phone or email, change it in your account first."),
            location=f"applicant.{field}",
        )


def _same(field: str, given: str, held: str) -> bool:
    if field == "name":
        given, held = (" ".join(unicodedata.normalize("NFC", v).split()).casefold() for v in (given, held))
    elif field == "id_number":
        given, held = identity.normalize(given).upper(), identity.normalize(held).upper()
    elif field == "phone":
        given, held = identity.normalize_phone(given), identity.normalize_phone(held)
    elif field == "email":
        given, held = given.strip().lower(), held.strip().lower()
    return given == held


def own_applicant(applicant: dict[str, Any], holder: Identity) -> dict[str, Any]:
    """The applicant of an online dossier from a citizen's or business's account: the account holder.

    Kind, name, ID number (or tax code), phone and email are the account's; a field left empty is filled from the
    account, a name, number or contact that differs raises :class:`NotAccountHolder`. Only the address is the
    applicant's to give. An account without an ID number (an identity provider gave none) keeps the one given.
    Used by :func:`create_dossier` and by the portal's wizard (which shows the account's values)."""
    fixed = {"name": holder.name, "id_number": holder.id_number, "phone": holder.phone, "email": holder.email}
    if not holder.id_number:
        del fixed["id_number"]
    result = {**applicant, "kind": holder.kind}  # a person's or a business's account, whatever the form said
    for field, held in fixed.items():
        given = str(applicant.get(field) or "")
        if given and not _same(field, given, held):
            raise NotAccountHolder(field)
        result[field] = held
    return result


def _receiving_agency(data: DossierIn, actor: Actor, version: Any) -> Agency:
    if data.receiving_agency:
        agency = Agency.objects.filter(identifier_code=data.receiving_agency, is_active=True).first()
        if agency is None:
            raise NotFound("agency_not_found", _("No agency has the code %(code)s."),
                           {"code": data.receiving_agency[:30]}, "receiving_agency")
    else:
        mine = list(Agency.objects.filter(pk__in=actor.agencies_with(Role.RECEPTION, Role.POSTAL),
                                          kind__in=RECEIVING_KINDS).select_related("unit"))
        if len(mine) != 1:
            raise MotCuaError("receiving_agency_required",
                              _("Say which service point receives the dossier (receiving_agency)."),
                              location="receiving_agency")
        agency = mine[0]
    if agency.kind not in RECEIVING_KINDS:
        raise MotCuaError("not_a_service_point", _("%(agency)s does not receive dossiers."),
                          {"agency": agency.name}, "receiving_agency")
    # a boundary-free procedure may be received at any service point of the province (DESIGN.md §3)
    receives = version.boundary_free or version.procedure.agencies.filter(pk=agency.pk).exists()
    if not receives:
        raise MotCuaError(
            "not_received_here", _("%(agency)s does not receive dossiers of this procedure."),
            {"agency": agency.name}, "receiving_agency",
        )
    return agency


def request_fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def create_dossier(
    *, actor: Actor, data: dict[str, Any], now: datetime | None = None, idempotency_key: str = "",
) -> tuple[Dossier, bool]:
    """Submit (online) or receive (counter, post office) a dossier. Returns the dossier and whether it is new.

    With an ``idempotency_key`` a retry of the same request returns the first dossier instead of a second one;
    the key's unique constraint decides between racing retries.
    """
    parsed: DossierIn = validate(DossierIn, data)
    if idempotency_key:
        if actor.user_id is None:
            raise Forbidden("sign_in_required", _("Sign in to submit a dossier."))
        existing = _replay(actor, idempotency_key, data)
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            dossier = _create(actor, parsed, _now(now))
            if idempotency_key:
                with transaction.atomic():
                    assert actor.user_id is not None
                    IdempotencyKey.objects.create(
                        user_id=actor.user_id, key=idempotency_key[:200], request_hash=request_fingerprint(data),
                        dossier=dossier,
                    )
    except IntegrityError:
        if idempotency_key:
            existing = _replay(actor, idempotency_key, data)
            if existing is not None:
                return existing, False
        raise
    return dossier, True


def _replay(actor: Actor, key: str, data: dict[str, Any]) -> Dossier | None:
    assert actor.user_id is not None
    record = IdempotencyKey.objects.filter(user_id=actor.user_id, key=key[:200]).select_related("dossier").first()
    if record is None:
        return None
    if record.request_hash != request_fingerprint(data):
        raise Conflict(
            "idempotency_key_reused",
            _("This Idempotency-Key was already used for a different request."),
            location="Idempotency-Key",
        )
    return record.dossier


def _create(actor: Actor, data: DossierIn, now: datetime) -> Dossier:
    if actor.identity is not None and data.channel == Channel.ONLINE:  # a citizen's own account, not staff
        data.applicant = Applicant.model_validate(own_applicant(data.applicant.model_dump(), actor.identity))
    version = procedure_version(data.procedure, on=timezone.localdate(now))
    errors = check_applicant(data.applicant)
    if data.channel not in version.channels:
        errors.append(MotCuaError(
            "channel_not_offered", _("This procedure cannot be submitted through “%(channel)s”."),
            {"channel": Channel(data.channel).label}, "channel",
        ))
    if data.delivery not in version.result_delivery:
        errors.append(MotCuaError(
            "delivery_not_offered", _("This procedure's result cannot be delivered that way."), location="delivery",
        ))
    if data.delivery == "post" and not data.delivery_address:
        errors.append(MotCuaError("address_required", _("Give the address the post should deliver the result to."),
                                  location="delivery_address"))
    catalog_components = list(version.components.all())
    received = {c.order: c for c in data.components}
    for item in data.components:
        if not 1 <= item.order <= len(catalog_components):
            errors.append(MotCuaError(
                "unknown_component", _("The procedure has no component number %(order)s."),
                {"order": item.order}, "components",
            ))
    front = data.channel != Channel.ONLINE
    if front and data.receive:
        missing = [
            c.name_vi for i, c in enumerate(catalog_components, start=1)
            if c.required and not (i in received and received[i].received)
        ]
        if missing:
            errors.append(missing_components(missing, "components"))
    form: dict[str, Any] = {}
    # the e-form is the online dossier's declaration; at a counter the paper declaration is one of the components
    if data.channel == Channel.ONLINE or data.form:
        try:
            form = eforms.clean(eforms.fields_of(version), data.form)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    offered = {e["code"] for e in fees.exemptions_of(version)}
    errors.extend(
        MotCuaError("unknown_exemption", _("This procedure's fees have no exemption %(code)s."), {"code": code},
                    "exemptions")
        for code in data.exemptions if code not in offered
    )
    if errors:
        raise ValidationFailed(errors)
    agency = _receiving_agency(data, actor, version)
    if front and not actor.roles_at(agency.pk) & {Role.RECEPTION, Role.POSTAL}:
        raise Forbidden("not_reception_staff", _("Only reception or postal staff of %(agency)s receive dossiers here."),
                        {"agency": agency.name})
    counter = None
    if data.counter is not None:
        counter = Counter.objects.filter(agency=agency, number=data.counter).first()
        if counter is None:
            raise MotCuaError("unknown_counter", _("%(agency)s has no counter number %(number)s."),
                              {"agency": agency.name, "number": data.counter}, "counter")
    chosen_unit = None
    if data.competent_unit:
        chosen_unit = AdministrativeUnit.objects.filter(code=data.competent_unit).first()
        if chosen_unit is None:
            raise MotCuaError("unknown_unit", _("No administrative unit has the code %(code)s."),
                              {"code": data.competent_unit[:20]}, "competent_unit")
    unit = routing.competent_unit(version, agency, chosen_unit)
    plan = routing.plan(version, agency, unit)
    applicant = data.applicant
    dossier = Dossier(
        code=next_code(agency, timezone.localdate(now)),
        procedure=version.procedure, version=version, rules_version=rules.ruleset_on(now).code,
        applicant_kind=applicant.kind, applicant_name=applicant.name,
        applicant_id_number=identity.normalize(applicant.id_number), applicant_phone=applicant.phone,
        applicant_email=applicant.email, applicant_address=applicant.address,
        channel=data.channel, paper=front, receiving_agency=agency, counter=counter, competent_unit=unit,
        delivery=data.delivery, delivery_address=data.delivery_address,
        # a citizen's or business's own account submitting online becomes the dossier's applicant account
        applicant_user_id=actor.user_id if not front and not actor.roles else None,
        form_data={**form, **({"exemptions": sorted(set(data.exemptions))} if data.exemptions else {})},
        fee_total=fees.quote(version, data.exemptions, form).total,
        status=Status.SUBMITTED, plan=plan, step_index=0, current_agency=agency, current_role=plan[0]["role"],
        submitted_at=now,
    )
    dossier.save(force_insert=True)
    DossierAgency.objects.bulk_create(
        [DossierAgency(dossier=dossier, agency_id=a) for a in sorted({agency.pk, *(s["agency"] for s in plan)})]
    )
    DossierComponent.objects.bulk_create([
        DossierComponent(
            dossier=dossier, component=c, order=i, name=c.name_vi, required=c.required,
            originals=received[i].originals if i in received else 0,
            copies=received[i].copies if i in received else 0,
            received=bool(i in received and received[i].received),
        )
        for i, c in enumerate(catalog_components, start=1)
    ])
    event = Event(action="submit", at=now, actor_id=actor.user_id, actor_name=actor.name, agency=agency,
                  role=plan[0]["role"] if front else "", from_status="", to_status=Status.SUBMITTED, to_step=0,
                  note=data.note, data={"components": [c.model_dump() for c in data.components]},
                  changes=audit.snapshot(dossier))
    audit.append(dossier, event)
    Dossier.objects.filter(pk=dossier.pk).update(event_count=dossier.event_count, last_hash=dossier.last_hash)
    send_on_commit(dossier, event)
    if front and data.receive:
        dossier = _perform(dossier, "receive", actor, {}, now, None)
    return dossier


# --- the actions ---------------------------------------------------------------------------------------


@dataclass
class Context:
    dossier: Dossier
    actor: Actor
    role: str
    now: datetime
    params: Any
    calendar: Any
    event_data: dict[str, Any]
    note: str = ""


Handler = Callable[[Context], None]
HANDLERS: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
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
    dossier = Dossier.objects.filter(code=code).first()
    if dossier is None:
        raise NotFound("dossier_not_found", _("No dossier has the code %(code)s."), {"code": code[:60]})
    # without an explicit revision, the one read now: a concurrent change between here and the lock is a conflict
    return _perform(dossier, action, actor, params or {}, _now(now), dossier.revision if revision is None else revision)


def _perform(dossier: Dossier, action: str, actor: Actor, params: dict[str, Any], now: datetime,
             revision: int | None) -> Dossier:
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().select_related("version").get(pk=dossier.pk)
        if revision is not None and revision != dossier.revision:
            raise _conflict(dossier)
        seen = dossier.revision
        _action, role = authorize(dossier, action, actor)
        parsed = validate(ACTION_PARAMS[action], params)  # after authorize: strangers learn nothing from errors
        before = audit.snapshot(dossier)
        from_status, from_step = dossier.status, dossier.step_index
        context = Context(dossier, actor, role, now, parsed, deadlines.calendar(), {}, parsed.note)
        HANDLERS[action](context)
        after = audit.snapshot(dossier)
        changes = {name: value for name, value in after.items() if before[name] != value}
        event = Event(
            action=action, at=now, actor_id=actor.user_id, actor_name=actor.name, role=role,
            agency_id=dossier.receiving_agency_id if _action.where == RECEIVING else _holder(before),
            from_status=from_status, to_status=dossier.status, from_step=from_step, to_step=dossier.step_index,
            note=context.note, data=context.event_data, changes=changes,
        )
        audit.append(dossier, event)
        fields = [name for name in audit.PROJECTED if name in changes]
        updated = Dossier.objects.filter(pk=dossier.pk, revision=seen).update(
            revision=seen + 1, event_count=dossier.event_count, last_hash=dossier.last_hash,
            **{name: getattr(dossier, name) for name in fields},
        )
        if updated != 1:
            raise _conflict(dossier)
        dossier.revision = seen + 1
        new_agencies = set() if "plan" not in changes else {s["agency"] for s in dossier.plan} - set(
            DossierAgency.objects.filter(dossier=dossier).values_list("agency_id", flat=True))
        if new_agencies:  # an inter-agency transfer: the new agency may now read the dossier
            DossierAgency.objects.bulk_create([DossierAgency(dossier=dossier, agency_id=a) for a in new_agencies])
        send_on_commit(dossier, event)
    return dossier


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


@handler("receive")
def _receive(ctx: Context) -> None:
    dossier = ctx.dossier
    _mark_received(ctx)
    _check_complete(dossier)
    dossier.status = Status.RECEIVED
    dossier.received_at = ctx.now
    _start_clock(ctx, ctx.now)
    dossier.step_started_at = ctx.now
    dossier.step_due_at = deadlines.step_due(ctx.calendar, ctx.now, dossier.plan[0])
    ack = rules.online_ack_deadline(dossier, ctx.calendar)
    if ack is not None:
        ctx.event_data["acknowledged_late"] = ctx.now > ack


@handler("request_supplement")
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


@handler("supplement")
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


@handler("refuse")
def _refuse(ctx: Context) -> None:
    ctx.event_data["reasons"] = ctx.params.reasons
    _close(ctx, Status.REFUSED)


@handler("transfer")
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
    arrival = rules.transfer_moment(dossier, ctx.now, ctx.calendar)
    ctx.event_data["arrives_at"] = arrival
    _enter_step(ctx, 1, arrival)


@handler("assign")
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
    if index == len(dossier.plan) - 1 and dossier.result_issued_at is None:
        raise rules.RuleBroken("result_not_issued", _("The result must be signed and issued before it is returned."))
    _enter_step(ctx, index)


@handler("forward")
def _forward(ctx: Context) -> None:
    _next_step(ctx)


@handler("approve")
def _approve(ctx: Context) -> None:
    _next_step(ctx)


@handler("send_back")
def _send_back(ctx: Context) -> None:
    target = ctx.params.to_step
    if not 1 <= target < ctx.dossier.step_index:
        raise MotCuaError(
            "not_an_earlier_step", _("Step %(step)s is not an earlier step of this dossier's workflow."),
            {"step": target}, "to_step",
        )
    ctx.event_data["reason"] = ctx.params.reason
    _enter_step(ctx, target)


@handler("pause")
def _pause(ctx: Context) -> None:
    dossier = ctx.dossier
    dossier.resume_status = dossier.status
    dossier.status = Status.PAUSED
    dossier.pause_kind = ctx.params.kind
    dossier.paused_at = ctx.now
    ctx.event_data["reason"] = ctx.params.reason


@handler("resume")
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


@handler("issue_result")
def _issue_result(ctx: Context) -> None:
    dossier = ctx.dossier
    results = Attachment.objects.filter(dossier=dossier, kind=AttachmentKind.RESULT)
    if ctx.params.attachment is not None:
        results = results.filter(pk=ctx.params.attachment)
    result = results.order_by("-pk").first()
    if result is None:
        raise MotCuaError("result_file_required", _("Attach the signed result file before issuing it."),
                          location="attachment")
    dossier.result_issued_at = ctx.now
    ctx.event_data["result"] = {"attachment": result.pk, "sha256": result.sha256, "name": result.original_name}
    _enter_step(ctx, dossier.step_index + 1)


@handler("return_result")
def _return_result(ctx: Context) -> None:
    dossier = ctx.dossier
    _close(ctx, Status.RETURNED)
    dossier.returned_at = ctx.now
    dossier.returned_to = ctx.params.recipient
    dossier.delivery = ctx.params.delivery
    dossier.timeliness = deadlines.timeliness(dossier, dossier.result_issued_at or ctx.now)


@handler("withdraw")
def _withdraw(ctx: Context) -> None:
    ctx.event_data["reason"] = ctx.params.reason
    _close(ctx, Status.WITHDRAWN)


@handler("apologize")
def _apologize(ctx: Context) -> None:
    dossier = ctx.dossier
    new_date = ctx.params.new_due_at
    if timezone.is_naive(new_date):
        new_date = timezone.make_aware(new_date)
    rules.check_apology(dossier, ctx.now, new_date)
    dossier.apology_due_at = new_date
    ctx.event_data["reason"] = ctx.params.reason
    ctx.event_data["previous_due_at"] = dossier.due_at


# --- files ---------------------------------------------------------------------------------------------


def attach(
    code: str, *, actor: Actor, file: IO[bytes], name: str, kind: str = AttachmentKind.SCAN,
    component: int | None = None, size: int | None = None, now: datetime | None = None,
    extra: dict[str, Any] | None = None, checked: CheckedFile | None = None,
) -> Attachment:
    """Store a scan, a supplement or the result file of a dossier, checked by content; an ``attach`` event
    (``extra`` is added to the event's data, e.g. the data-warehouse document a file was reused from).

    ``checked``: the file was already checked by content when the applicant gave it (a draft's file, a
    data-warehouse document), so it is not parsed again here, inside the submission's transaction."""
    dossier = Dossier.objects.filter(code=code).first()
    if dossier is None:
        raise NotFound("dossier_not_found", _("No dossier has the code %(code)s."), {"code": code[:60]})
    if kind not in AttachmentKind.values:
        raise MotCuaError("unknown_kind", _("Unknown file kind %(kind)s."), {"kind": kind[:20]}, "kind")
    if dossier.status in (Status.RETURNED, Status.REFUSED, Status.WITHDRAWN):
        raise Conflict("dossier_closed", _("Dossier %(code)s is closed."), {"code": dossier.code})
    if not _may_attach(dossier, actor, kind):
        raise Forbidden("not_your_dossier", _("You may not add files to this dossier."))
    checked = checked or check_upload(file, name, size)
    with atomic_with_files():  # the file is deleted again if this, or the operation it is part of, rolls back
        dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
        target = None
        if component is not None:
            target = DossierComponent.objects.filter(dossier=dossier, order=component).first()
            if target is None:
                raise MotCuaError("unknown_component", _("The procedure has no component number %(order)s."),
                                  {"order": component}, "component")
        attachment = Attachment(
            dossier=dossier, component=target, kind=kind, original_name=name[:255],
            content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
            uploaded_by_id=actor.user_id,
        )
        attachment.file.save(name[:100], File(file, name=name), save=False)
        stored(attachment.file.storage, attachment.file.name)
        attachment.save()
        event = Event(
            action="attach", at=_now(now), actor_id=actor.user_id, actor_name=actor.name,
            agency_id=dossier.current_agency_id, from_status=dossier.status, to_status=dossier.status,
            from_step=dossier.step_index, to_step=dossier.step_index,
            data={"attachment": attachment.pk, "kind": kind, "name": name[:255], "sha256": checked.sha256,
                  "size": checked.size, "component": component, **(extra or {})},
        )
        audit.append(dossier, event)
        Dossier.objects.filter(pk=dossier.pk).update(event_count=dossier.event_count, last_hash=dossier.last_hash)
    return attachment


def receive_at_counter(
    *, actor: Actor, data: dict[str, Any], scans: dict[int, UploadedFile], now: datetime | None = None,
) -> Dossier:
    """Receive a dossier at a counter or post office with the scans of its components (``scans``: by component
    number), all or nothing: a refused scan records no dossier, takes no dossier number and keeps no file.

    Every scan is checked by content first, outside the transaction (each refusal names its component's row);
    then the dossier and its scans are written in one transaction."""
    checked: dict[int, CheckedFile] = {}
    errors: list[MotCuaError] = []
    for order, upload in sorted(scans.items()):
        try:
            checked[order] = check_upload(upload, upload.name or "scan", upload.size,
                                          location=f"components.{order - 1}")
        except MotCuaError as exc:
            errors.append(exc)
    if errors:
        raise ValidationFailed(errors)
    with atomic_with_files():
        dossier, _new = create_dossier(actor=actor, data=data, now=now)
        for order, upload in sorted(scans.items()):
            attach(dossier.code, actor=actor, file=upload, name=upload.name or "scan", kind=AttachmentKind.SCAN,
                   component=order, now=now, checked=checked[order])
    return dossier


def issue_result(
    code: str, *, actor: Actor, file: IO[bytes] | None = None, name: str = "", size: int | None = None,
    attachment: int | None = None, note: str = "", revision: int | None = None, now: datetime | None = None,
) -> Dossier:
    """Issue the signed result: store its ``file`` (or use the result file ``attachment`` stored before) and take
    the ``issue_result`` action, in one transaction: if the action is refused (not yours, not now, a changed
    ``revision``) neither the file nor its ``attach`` event is kept."""
    checked = check_upload(file, name or "result", size) if file is not None else None
    with atomic_with_files():
        if file is not None:
            found = Dossier.objects.filter(code=code).first()
            if found is not None:  # before storing a file for an action refused anyway: the action's own error
                authorize(found, "issue_result", actor)
            result = attach(code, actor=actor, file=file, name=name or "result", kind=AttachmentKind.RESULT,
                            size=size, now=now, checked=checked)
            attachment = result.pk
        return perform(code, "issue_result", actor=actor, params={"note": note, "attachment": attachment},
                       revision=revision, now=now)


def _may_attach(dossier: Dossier, actor: Actor, kind: str) -> bool:
    """Staff of the receiving point or the holder add files (results: the holder's signer or processing officer);
    the applicant of an online dossier adds its documents while it awaits reception, and supplements when asked."""
    if is_applicant(dossier, actor):
        return (kind == AttachmentKind.SCAN and dossier.status == Status.SUBMITTED) or (
            kind == AttachmentKind.SUPPLEMENT and dossier.status == Status.SUPPLEMENT_REQUESTED)
    if kind == AttachmentKind.RESULT:
        return bool(actor.roles_at(dossier.current_agency_id) & {Role.SIGNER, Role.PROCESSING})
    return any(actor.roles_at(a) for a in (dossier.receiving_agency_id, dossier.current_agency_id))


def apology_default_date(dossier: Dossier, extra_days: int = 3) -> datetime | None:
    """A suggestion for the apology form: a few working days after the current due date."""
    if dossier.due_at is None:
        return None
    return deadlines.calendar().add_working_days(dossier.due_at, extra_days)
