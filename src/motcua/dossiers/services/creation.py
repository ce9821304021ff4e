"""Submitting (online) or receiving (counter, post office) a dossier: :func:`create_dossier`, idempotent with a key.

One transaction takes the dossier's number, writes the dossier, its agencies and components and records its
``submit`` event (``dossiers.events.record``); a counter reception with ``receive`` also takes the ``receive``
action in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Agency, Counter, Role
from motcua.agencies.selectors import RECEIVING_KINDS
from motcua.catalog import eforms, fees
from motcua.catalog.models import Channel, Delivery
from motcua.catalog.selectors import procedure_version
from motcua.core import identity
from motcua.core.errors import MotCuaError, NotFound, ValidationFailed
from motcua.core.text import fold
from motcua.dossiers import audit, routing, rules
from motcua.dossiers.actors import Actor, Identity
from motcua.dossiers.codes import next_code
from motcua.dossiers.errors import Conflict
from motcua.dossiers.events import record
from motcua.dossiers.machine import Forbidden
from motcua.dossiers.models import ApplicantKind, Dossier, DossierAgency, DossierComponent, IdempotencyKey
from motcua.dossiers.schema import Applicant, DossierIn
from motcua.dossiers.services.actions import missing_components, take_action
from motcua.dossiers.services.applicant import check_applicant, own_applicant
from motcua.dossiers.services.base import now_or, validate
from motcua.dossiers.statuses import EventKind, Status


@dataclass(frozen=True)
class IdentityCheck:
    """What the population database said of a counter or post-office applicant (``integrations.population``):
    the citizen ID, name and date of birth were verified, and the form was filled from its data."""

    identity_verified: bool = False
    population_data: bool = False


@dataclass(frozen=True)
class OnBehalf:
    """An online dossier filed by reception or postal staff on a citizen's behalf, with her consent (assisted
    filing, ``accounts.assisted``): her account (``account``: its user id) becomes the applicant account, the
    applicant is the account holder (``identity``, as for her own submission), and the submission event says who
    filed it and with which consent (``note``, ``data``)."""

    account: int
    identity: Identity
    note: str
    data: dict[str, Any]

    @property
    def agency_id(self) -> int | None:
        """The agency the staff member filed for (the consent's: their post office or reception point)."""
        agency = self.data.get("agency")
        return int(agency) if agency is not None else None


# Who finds the verified account of a citizen ID (``integrations.population`` registers one when its app is ready):
# a dossier received at a counter or post office for that person joins her account, whatever the channel.
AccountFinder = Callable[[str], "int | None"]
_account_finders: list[AccountFinder] = []


def register_account_finder(finder: AccountFinder) -> None:
    if finder not in _account_finders:
        _account_finders.append(finder)


def _verified_account(id_number: str) -> int | None:
    for finder in _account_finders:
        user_id = finder(id_number)
        if user_id is not None:
            return user_id
    return None


# what the national population database holds of a person: identity papers and proof of residence (folded names)
POPULATION_HELD = ("tuy than", "can cuoc", "chung minh nhan dan", "dinh danh ca nhan", "cu tru", "ho khau")


def held_by_population(components: list[Any], received: dict[int, Any], checked: bool) -> set[int]:
    """The numbers of the required components the population database holds — identity papers and proof of
    residence, marked ``reusable`` in the catalogue — that were not handed in, when the applicant's citizen ID was
    checked against it (``checked``): taken from it. Other reusable documents (a land certificate…) are not: the
    population database does not hold them."""
    if not checked:
        return set()
    return {i for i, c in enumerate(components, start=1)
            if c.required and c.reusable and any(term in fold(c.name_vi) for term in POPULATION_HELD)
            and not (i in received and received[i].received)}


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
    routing.check_reception(agency, version, data.channel)  # e.g. a post point offering only guidance for it
    return agency


def request_fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def create_dossier(
    *, actor: Actor, data: dict[str, Any], now: datetime | None = None, idempotency_key: str = "",
    booking: bool = False, checked: IdentityCheck | None = None, on_behalf: OnBehalf | None = None,
) -> tuple[Dossier, bool]:
    """Submit (online) or receive (counter, post office) a dossier. Returns the dossier and whether it is new.

    With an ``idempotency_key`` a retry of the same request returns the first dossier instead of a second one;
    the key's unique constraint decides between racing retries.

    ``booking``: a paper dossier whose papers the post will collect at home (channel ``home_pickup``), submitted
    by its applicant online or by an officer on the phone, *not* received: the caller (``postal.services``)
    checked who books it and records the pickup in the same transaction; the courier receives it on collection.

    ``checked``: what the population database said of the applicant (a counter or post office checked it). A
    person's dossier received for someone else's account joins the verified account of its citizen ID, if any.

    ``on_behalf``: an online dossier filed by staff for a citizen who consented (:class:`OnBehalf`); the caller
    checked the consent in the same transaction.
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
            dossier = _create(actor, parsed, now_or(now), booking, checked or IdentityCheck(), on_behalf)
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


def _create(actor: Actor, data: DossierIn, now: datetime, booking: bool = False,
            checked: IdentityCheck = IdentityCheck(),  # noqa: B008 - frozen, never changed
            on_behalf: OnBehalf | None = None) -> Dossier:
    if on_behalf is not None and (data.channel != Channel.ONLINE or booking):
        raise MotCuaError("assisted_online_only", _("A dossier filed on a citizen's behalf is an online dossier."),
                          location="channel")
    if booking and (data.channel != Channel.HOME_PICKUP or data.receive):
        raise MotCuaError("not_a_booking", _("Only a home pickup is booked; its papers are received on collection."),
                          location="channel")
    if actor.identity is not None and (data.channel == Channel.ONLINE or booking):  # a citizen's own account, not staff
        data.applicant = Applicant.model_validate(own_applicant(data.applicant.model_dump(), actor.identity))
    if on_behalf is not None:  # her account's dossier, as if she had sent it herself
        data.applicant = Applicant.model_validate(own_applicant(data.applicant.model_dump(), on_behalf.identity))
    version = procedure_version(data.procedure, on=timezone.localdate(now))
    errors = check_applicant(data.applicant)
    if data.channel not in version.channels or (data.channel == Channel.ONLINE and not version.submits_online()):
        errors.append(MotCuaError(
            "channel_not_offered", _("This procedure cannot be submitted through “%(channel)s”."),
            {"channel": Channel(data.channel).label}, "channel",
        ))
    if data.delivery not in version.result_delivery:
        errors.append(MotCuaError(
            "delivery_not_offered", _("This procedure's result cannot be delivered that way."), location="delivery",
        ))
    if data.delivery == Delivery.POST and not data.delivery_address:
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
    # what the state already holds (``reusable``) is not asked again once the applicant's citizen ID was checked
    # against the population database at the counter or post office (Decree 45/2020), as the online wizard does
    # (``portal.services.must_upload``): the component is not required and is marked as taken from the database
    held = held_by_population(catalog_components, received, front and checked.population_data)
    if front and data.receive:
        missing = [
            c.name_vi for i, c in enumerate(catalog_components, start=1)
            if c.required and i not in held and not (i in received and received[i].received)
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
    if front and not booking and not actor.roles_at(agency.pk) & {Role.RECEPTION, Role.POSTAL}:
        raise Forbidden("not_reception_staff", _("Only reception or postal staff of %(agency)s receive dossiers here."),
                        {"agency": agency.name})
    counter = None
    if data.counter is not None:
        counter = Counter.objects.filter(agency=agency, number=data.counter).first()
        if counter is None:
            raise MotCuaError("unknown_counter", _("%(agency)s has no counter number %(number)s."),
                              {"agency": agency.name, "number": data.counter}, "counter")
    # a boundary-free procedure's competent commune, checked (province, existence, merges): DESIGN.md §3
    unit = routing.choose_competent_unit(version, agency, data.competent_unit)
    plan = routing.plan(version, agency, unit)
    applicant = data.applicant
    id_number = identity.normalize(applicant.id_number)
    # a citizen's or business's own account submitting online becomes the dossier's applicant account; a person's
    # dossier received for her (counter, post office, a booking by staff) joins her verified account, if any
    owner = actor.user_id if (not front or booking) and not actor.roles else None
    if on_behalf is not None:
        owner = on_behalf.account
    if owner is None and applicant.kind == ApplicantKind.PERSON:
        owner = _verified_account(id_number)
    dossier = Dossier(
        code=next_code(agency, timezone.localdate(now)),
        procedure=version.procedure, version=version, rules_version=rules.ruleset_on(now).code,
        applicant_kind=applicant.kind, applicant_name=applicant.name,
        applicant_id_number=id_number, applicant_phone=applicant.phone,
        applicant_email=applicant.email, applicant_address=applicant.address,
        channel=data.channel, paper=front, receiving_agency=agency, counter=counter, competent_unit=unit,
        delivery=data.delivery, delivery_address=data.delivery_address,
        applicant_user_id=owner,
        # checked at the counter or post office, or the applicant's own account whose identity was verified
        identity_verified=(front and checked.identity_verified) or bool(
            owner is not None and owner == actor.user_id and actor.identity is not None and actor.identity.verified)
        or bool(on_behalf is not None and on_behalf.identity.verified),
        population_data=front and checked.population_data,
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
            dossier=dossier, component=c, order=i, name=c.name_vi, required=c.required and i not in held,
            originals=received[i].originals if i in received else 0,
            copies=received[i].copies if i in received else 0,
            received=bool(i in received and received[i].received),
        )
        for i, c in enumerate(catalog_components, start=1)
    ])
    role = plan[0]["role"] if front and not booking else ""  # a booking is its applicant's, received later
    # filed on a citizen's behalf: the event names the filer's agency (the consent's), not the receiving point
    filer_agency = on_behalf.agency_id if on_behalf is not None else None
    record(dossier, EventKind.SUBMIT, actor=actor, at=now, role=role, agency_id=filer_agency or agency.pk,
           moved_from=("", None), note=data.note or (on_behalf.note if on_behalf else ""),
           data={"components": [c.model_dump() for c in data.components],
                 **({"from_population": sorted(held)} if held else {}),
                 **({"on_behalf": on_behalf.data} if on_behalf else {})},
           changes=audit.snapshot(dossier))
    if front and data.receive:
        dossier = take_action(dossier, EventKind.RECEIVE, actor, {}, now, None)
    return dossier


def count_collected(dossier: Dossier, counts: dict[int, tuple[int, int]]) -> None:
    """The originals and copies counted when a booked dossier's papers are collected at home (``booking``), before
    the courier receives it: what its receipt lists. Only for a paper dossier still waiting for its papers."""
    if not dossier.paper or dossier.status != Status.SUBMITTED:
        raise Conflict("not_waiting_for_papers", _("This dossier is not waiting for its papers."))
    for order, (originals, copies) in counts.items():
        DossierComponent.objects.filter(dossier=dossier, order=order).update(originals=originals, copies=copies)
