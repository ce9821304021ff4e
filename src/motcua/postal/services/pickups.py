"""Home pickup of a dossier's papers: booking (by the applicant online or an officer on the phone), assigning a
courier, collecting (which *receives* the dossier at the post point and records the fee paid in cash), failing,
cancelling, and "delivered to the agency" when the hand-over record's item is confirmed.

Each change is one transaction: the pickup row, the dossier's ``pickup`` event (``dossiers.events.record``, the
dossier's row locked) and the applicant's SMS and e-mail (``postal.messages`` decides the text,
``notifications`` delivers it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Agency, Membership, Role
from motcua.catalog.models import Channel, Level
from motcua.catalog.selectors import procedure_version
from motcua.core.calendar import VN_TZ
from motcua.core.errors import MotCuaError, NotFound, ValidationFailed
from motcua.dossiers import services as dossier_services
from motcua.dossiers.actors import Actor
from motcua.dossiers.events import record
from motcua.dossiers.machine import Forbidden
from motcua.dossiers.models import Dossier
from motcua.dossiers.statuses import EventKind, Status
from motcua.geo.models import AdministrativeUnit
from motcua.notifications.services import notify
from motcua.payments import selectors as payment_selectors
from motcua.payments.services import record_collection
from motcua.postal import messages, rules
from motcua.postal.models import OPEN_PICKUP, FailReason, Pickup, PickupStatus


class PickupRefused(MotCuaError):
    """The pickup is not in a state that allows this change (409: it moved on)."""

    status = 409


@dataclass
class Booking:
    """What the applicant (or the officer on the phone) typed for the courier's visit."""

    address: str
    commune: str  # the commune's code
    contact_name: str
    contact_phone: str
    start: datetime | None
    end: datetime | None


@dataclass
class Collection:
    """What the courier recorded at the door: per component ``{"order", "originals", "copies", "received"}``,
    the two signatures (names, and drawn images as ``data:image/png`` URIs or "") and whether the fee was paid."""

    checklist: list[dict[str, Any]]
    applicant_name: str
    applicant_image: str = ""
    courier_image: str = ""
    fee_collected: bool = False
    key: str = ""
    note: str = field(default="")


def moment_of(day: str, hour: str) -> datetime | None:
    """A booking form's day (``YYYY-MM-DD``) and hour (``HH:MM``) in Vietnam time, or ``None``."""
    try:
        return datetime.combine(date.fromisoformat(day), time.fromisoformat(hour), tzinfo=VN_TZ)
    except ValueError:
        return None


MAX_SIGNATURE = 200_000  # characters of a drawn signature's data URI (a phone canvas's PNG is ~10–40 kB)


def _checked_booking(version: Any, booking: Booking, now: datetime) -> tuple[rules.PickupOffer, AdministrativeUnit]:
    """The point that collects at the address, or every problem with what was typed (nothing is kept here: the
    caller keeps the form)."""
    errors: list[MotCuaError] = []
    if not booking.address.strip():
        errors.append(MotCuaError("address_required", _("Give the address where the post collects the papers."),
                                  location="pickup_address"))
    if not booking.contact_name.strip():
        errors.append(MotCuaError("contact_required", _("Give the name of the person the courier meets."),
                                  location="pickup_contact_name"))
    if not booking.contact_phone.strip():
        errors.append(MotCuaError("phone_required", _("Give a phone number the courier can call."),
                                  location="pickup_contact_phone"))
    offer: rules.PickupOffer | None = None
    try:
        offer = rules.pickup_point(version, booking.commune)
    except MotCuaError as exc:
        errors.append(exc)
    if booking.start is None or booking.end is None:
        errors.append(MotCuaError("window_required", _("Choose the day and the time window of the visit."),
                                  location="pickup_start"))
    elif offer is not None:
        try:
            rules.check_window(offer.point, booking.start, booking.end, now)
        except MotCuaError as exc:
            errors.append(exc)
    if errors:
        raise ValidationFailed(errors)
    assert offer is not None
    return offer, offer.commune


def check_booking(*, procedure: str, booking: Booking, now: datetime | None = None) -> rules.PickupOffer:
    """Validate a booking without saving anything (the wizard's step checks it before the review)."""
    version = procedure_version(procedure, on=timezone.localdate(now or timezone.now()))
    return _checked_booking(version, booking, now or timezone.now())[0]


def _check_booker(actor: Actor, point: Agency, version: Any) -> None:
    """A citizen books their own; staff book for a caller if they receive dossiers at the point, or at an agency
    that receives the procedure."""
    if not actor.roles:
        if actor.user_id is None:
            raise Forbidden("sign_in_required", _("Sign in to book a home pickup."))
        return
    front = actor.agencies_with(Role.RECEPTION, Role.POSTAL)
    if point.pk in front:
        return
    if front and version.procedure.agencies.filter(pk__in=front).exists():
        return
    raise Forbidden("not_reception_staff", _("Only reception or postal staff book a home pickup for a caller."))


def book(*, actor: Actor, data: dict[str, Any], booking: Booking, idempotency_key: str = "",
         now: datetime | None = None) -> tuple[Dossier, Pickup]:
    """Create the dossier (channel ``home_pickup``, received later by the courier, status ``submitted``) at the
    post point that collects at the address, and its pickup, in one transaction. ``data`` is the dossier as
    ``create_dossier`` takes it (procedure, applicant, delivery, form, exemptions…)."""
    now = now or timezone.now()
    version = procedure_version(data["procedure"], on=timezone.localdate(now))
    offer, commune = _checked_booking(version, booking, now)
    _check_booker(actor, offer.point, version)
    payload = {**data, "channel": Channel.HOME_PICKUP, "receiving_agency": offer.point.identifier_code,
               "receive": False, "counter": None}
    if version.level == Level.COMMUNE:  # the applicant's commune handles it, not the post point's own
        payload["competent_unit"] = commune.code
    with transaction.atomic():
        dossier, new = dossier_services.create_dossier(actor=actor, data=payload, now=now,
                                                       idempotency_key=idempotency_key, booking=True)
        if not new:
            existing = Pickup.objects.filter(dossier=dossier).order_by("-pk").first()
            if existing is not None:
                return dossier, existing
        pickup = _new_pickup(dossier, offer, commune, booking, actor, now)
    return dossier, pickup


def rebook(code: str, *, actor: Actor, booking: Booking, now: datetime | None = None) -> Pickup:
    """A new pickup for a dossier whose last one failed or was cancelled (still waiting for its papers)."""
    now = now or timezone.now()
    dossier = Dossier.objects.select_related("version__procedure").filter(code=code).first()
    if dossier is None:
        raise NotFound("dossier_not_found", _("No dossier has the code %(code)s."), {"code": code[:40]})
    if dossier.channel != Channel.HOME_PICKUP or dossier.status != Status.SUBMITTED:
        raise PickupRefused("not_waiting_for_pickup", _("This dossier is not waiting for its papers to be collected."))
    if Pickup.objects.filter(dossier=dossier, status__in=OPEN_PICKUP).exists():
        raise PickupRefused("pickup_open", _("A pickup is already booked for this dossier."))
    offer, commune = _checked_booking(dossier.version, booking, now)
    if actor.user_id != dossier.applicant_user_id or actor.roles:
        _check_booker(actor, offer.point, dossier.version)
        if not actor.roles:
            raise Forbidden("not_your_dossier", _("Only the applicant or the post point books a new pickup."))
    if offer.point.pk != dossier.receiving_agency_id:
        raise PickupRefused("other_point", _("The dossier was filed with %(point)s; choose an address it serves."),
                            {"point": dossier.receiving_agency.name if dossier.receiving_agency else "?"})
    with transaction.atomic():
        return _new_pickup(dossier, offer, commune, booking, actor, now)


def _new_pickup(dossier: Dossier, offer: rules.PickupOffer, commune: AdministrativeUnit, booking: Booking,
                actor: Actor, now: datetime) -> Pickup:
    assert booking.start is not None and booking.end is not None
    pickup = Pickup.objects.create(
        dossier=dossier, point=offer.point, address=booking.address.strip()[:500], commune=commune,
        contact_name=booking.contact_name.strip()[:200], contact_phone=booking.contact_phone.strip()[:20],
        window_start=booking.start, window_end=booking.end, postage=offer.postage, requested_by_id=actor.user_id,
        requested_at=now,
    )
    _changed(pickup, actor, now)
    return pickup


def _locked(pickup_id: int) -> Pickup:
    pickup = Pickup.objects.select_for_update(of=("self",)).select_related("point", "dossier").filter(
        pk=pickup_id).first()
    if pickup is None:
        raise NotFound("pickup_not_found", _("No such home pickup."))
    return pickup


def _require(pickup: Pickup, *states: str) -> None:
    if pickup.status not in states:
        raise PickupRefused("pickup_moved_on", _("This pickup is “%(status)s” now; reload the page."),
                            {"status": PickupStatus(pickup.status).label})


def _postal_staff(actor: Actor, pickup: Pickup) -> None:
    if Role.POSTAL not in actor.roles_at(pickup.point_id):
        raise Forbidden("not_postal_staff", _("Only postal staff of %(point)s handle its pickups."),
                        {"point": pickup.point.name})


def assign(pickup_id: int, *, actor: Actor, courier: str, now: datetime | None = None) -> Pickup:
    """Give the pickup to a courier (postal staff of the point); a new assignment replaces the previous one."""
    now = now or timezone.now()
    with transaction.atomic():
        pickup = _locked(pickup_id)
        _postal_staff(actor, pickup)
        _require(pickup, PickupStatus.REQUESTED, PickupStatus.ASSIGNED)
        user = get_user_model().objects.filter(username=courier, is_active=True).first()
        if user is None or not Membership.objects.filter(user=user, agency_id=pickup.point_id, role=Role.POSTAL,
                                                         is_active=True).exists():
            raise MotCuaError("not_a_courier", _("%(user)s is not postal staff of %(point)s."),
                              {"user": courier[:150], "point": pickup.point.name}, "courier")
        pickup.courier = user
        pickup.status = PickupStatus.ASSIGNED
        pickup.assigned_at = now
        pickup.save(update_fields=["courier", "status", "assigned_at"])
        _changed(pickup, actor, now, courier=user.get_username())
    return pickup


def _clean_checklist(dossier: Dossier, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = {c.order: c.name for c in dossier.components.all()}
    clean = []
    for row in rows:
        try:
            order, originals, copies = int(row.get("order", 0)), int(row.get("originals", 0)), int(row.get("copies", 0))
        except (TypeError, ValueError):
            raise MotCuaError("bad_count", _("Counts of originals and copies are whole numbers."),
                              location="checklist") from None
        if order not in names:
            raise MotCuaError("unknown_component", _("The procedure has no component number %(order)s."),
                              {"order": order}, "checklist")
        if not (0 <= originals <= 99 and 0 <= copies <= 99):
            raise MotCuaError("bad_count", _("Counts of originals and copies are whole numbers."),
                              location="checklist")
        received = bool(row.get("received")) and originals + copies > 0
        clean.append({"order": order, "name": names[order], "originals": originals, "copies": copies,
                      "received": received})
    return sorted(clean, key=lambda item: item["order"])


def _signature_image(value: str, location: str) -> str:
    """A signature drawn on the courier's screen (a PNG data URI): both sides sign the list of papers handed over
    (Circular 17/2017/TT-BTTTT Art. 5), so an empty one refuses the collection."""
    if not value:
        raise MotCuaError("signature_required", _("Both the applicant and the courier sign on the screen."),
                          location=location)
    if not value.startswith("data:image/png;base64,") or len(value) > MAX_SIGNATURE:
        raise MotCuaError("bad_signature", _("The drawn signature could not be read; draw it again."),
                          location=location)
    return value


def collect(pickup_id: int, *, actor: Actor, collection: Collection, now: datetime | None = None) -> Pickup:
    """The courier has the papers: the dossier is *received* at the post point (the ``receive`` action, as the
    courier, with the components collected), the fee paid in cash is recorded with its receipt, and the checklist
    of originals and copies is kept with both signatures. All or nothing: a missing required document refuses it
    (fail the pickup as "papers incomplete" instead)."""
    now = now or timezone.now()
    if not collection.applicant_name.strip():
        raise ValidationFailed([MotCuaError("applicant_signature_required",
                                            _("The applicant signs the list of papers handed over."),
                                            location="applicant_name")])
    with transaction.atomic():
        pickup = _locked(pickup_id)
        _postal_staff(actor, pickup)
        _require(pickup, PickupStatus.ASSIGNED, PickupStatus.REQUESTED)
        if pickup.courier_id not in (None, actor.user_id):
            raise Forbidden("not_your_pickup", _("This pickup is assigned to another courier."))
        checklist = _clean_checklist(pickup.dossier, collection.checklist)
        received = [row["order"] for row in checklist if row["received"]]
        applicant_image = _signature_image(collection.applicant_image, "applicant_image")
        courier_image = _signature_image(collection.courier_image, "courier_image")
        # what was not handed over is not counted (the slip and the pages list what the post really holds)
        dossier_services.count_collected(pickup.dossier, {
            row["order"]: (row["originals"], row["copies"]) if row["received"] else (0, 0) for row in checklist})
        try:
            dossier_services.perform(pickup.dossier.code, EventKind.RECEIVE, actor=actor, now=now, params={
                "received": received, "note": collection.note[:2000]})
        except MotCuaError as refused:
            if refused.code != "missing_required_component":
                raise
            # at the door the courier cannot request a supplement: the pickup fails as "papers incomplete"
            raise MotCuaError("missing_required_component", _(
                "Required documents are missing: %(names)s. Do not collect: record the pickup as failed "
                "(“papers incomplete”) so that the applicant can book again with them."),
                refused.params, refused.location) from refused
        due = payment_selectors.amount_due(Dossier.objects.get(pk=pickup.dossier_id))
        if collection.fee_collected and due:
            payment = record_collection(code=pickup.dossier.code, method="cash", amount=due, actor=actor,
                                        point_id=pickup.point_id, key=collection.key, now=now)
            pickup.receipt_number = payment.receipt_number or ""
        pickup.courier_id = pickup.courier_id or actor.user_id
        pickup.checklist = checklist
        pickup.signatures = {
            "courier": {"name": actor.name, "at": now.isoformat(), "image": courier_image},
            "applicant": {"name": collection.applicant_name.strip()[:200], "at": now.isoformat(),
                          "image": applicant_image},
        }
        pickup.status = PickupStatus.COLLECTED
        pickup.collected_at = now
        pickup.save()
        _changed(pickup, actor, now, checklist=[{k: row[k] for k in ("order", "originals", "copies", "received")}
                                                for row in checklist], receipt_number=pickup.receipt_number)
    return pickup


def fail(pickup_id: int, *, actor: Actor, reason: str, note: str = "", now: datetime | None = None) -> Pickup:
    """The courier could not collect the papers; the dossier keeps waiting and the applicant may rebook."""
    now = now or timezone.now()
    if reason not in FailReason.values:
        raise ValidationFailed([MotCuaError("reason_required", _("Choose why the papers could not be collected."),
                                            location="reason")])
    with transaction.atomic():
        pickup = _locked(pickup_id)
        _postal_staff(actor, pickup)
        _require(pickup, PickupStatus.ASSIGNED, PickupStatus.REQUESTED)
        pickup.status = PickupStatus.FAILED
        pickup.fail_reason = reason
        pickup.fail_note = note.strip()[:500]
        pickup.failed_at = now
        pickup.save(update_fields=["status", "fail_reason", "fail_note", "failed_at"])
        _changed(pickup, actor, now, reason=reason)
    return pickup


def cancel(pickup_id: int, *, actor: Actor, now: datetime | None = None) -> Pickup:
    """The applicant (or the post point) calls the visit off before the papers are collected."""
    now = now or timezone.now()
    with transaction.atomic():
        pickup = _locked(pickup_id)
        if actor.roles or actor.user_id != pickup.dossier.applicant_user_id:
            _postal_staff(actor, pickup)
        _require(pickup, PickupStatus.ASSIGNED, PickupStatus.REQUESTED)
        pickup.status = PickupStatus.CANCELLED
        pickup.cancelled_at = now
        pickup.save(update_fields=["status", "cancelled_at"])
        _changed(pickup, actor, now)
    return pickup


def mark_delivered(dossier_id: int, *, by: str, now: datetime | None = None) -> Pickup | None:
    """The agency confirmed the dossier's item of a hand-over record: its collected pickup is delivered. Nothing
    happens for a dossier without one (a counter dossier in the same batch), or twice."""
    now = now or timezone.now()
    with transaction.atomic():
        pickup = Pickup.objects.select_for_update(of=("self",)).select_related("point", "dossier").filter(
            dossier_id=dossier_id, status=PickupStatus.COLLECTED).first()
        if pickup is None:
            return None
        pickup.status = PickupStatus.DELIVERED
        pickup.delivered_at = now
        pickup.save(update_fields=["status", "delivered_at"])
        _changed(pickup, by, now)
    return pickup


def _changed(pickup: Pickup, actor: Actor | str, now: datetime, **extra: Any) -> None:
    """The dossier's ``pickup`` event (its row locked) and the applicant's message, in the caller's transaction."""
    dossier = Dossier.objects.select_for_update(of=("self",)).get(pk=pickup.dossier_id)
    record(dossier, EventKind.PICKUP, actor=actor, at=now, agency_id=pickup.point_id, notify=False,
           note=pickup.fail_note if pickup.status == PickupStatus.FAILED else "",
           data={"pickup": pickup.pk, "status": pickup.status, **extra})
    message = messages.pickup_message(dossier, pickup)
    notify(template=messages.TEMPLATE, context=message.context, email=message.email, phone=message.phone,
           user=message.user, dossier=dossier, language=message.language)
