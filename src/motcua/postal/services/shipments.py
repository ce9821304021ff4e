"""Sending a result by post, and every status update the carrier sends about it.

:func:`send_by_post` is the front officer handing the issued result to the post: it creates the
:class:`Shipment` (``requested``) in the dossier's transaction and then places the order with the carrier
(``postal.tasks.place_order``); if the carrier is down or slow, the shipment stays ``requested`` and a background
task tries again with backoff, until it gives up and staff see it failed (and may try again).

:func:`apply_update` is the one place a carrier update (webhook or poll) changes a shipment: unknown waybills are
rejected, the same update twice is a no-op, an update older than the shipment's status is kept in the history
but does not move it (final statuses win; otherwise the carrier's time, then the status's rank), and each update
that is news appends one ``shipment`` event to the dossier's log. Delivered: the cash collected on delivery is
recorded (``payments.record_collection``) when it is what the dossier owes — otherwise a discrepancy is flagged
and the dossier stays as it is — and the dossier is returned with the delivery proof
(``dossiers.services.actions.return_by_post``). Returned to the sender: the dossier stays ``result_ready``, and
staff see it, to send it again or hand it over at the counter.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Role
from motcua.catalog.models import Delivery, FeeTiming
from motcua.core.bulk import update_rows
from motcua.core.errors import MotCuaError, NotFound
from motcua.dossiers import rules
from motcua.dossiers.actors import Actor
from motcua.dossiers.errors import DossierNotFound
from motcua.dossiers.events import record, record_many
from motcua.dossiers.machine import ActionRefused, Forbidden, may
from motcua.dossiers.models import Dossier
from motcua.dossiers.services.actions import return_by_post
from motcua.dossiers.statuses import EventKind, Status
from motcua.payments import selectors as payment_selectors
from motcua.payments.models import PaymentMethod, StatementSource
from motcua.payments.services import record_collection
from motcua.payments.statements import ImportResult, import_lines
from motcua.postal import carrier
from motcua.postal import rules as postal_rules
from motcua.postal.carrier import CARRIER_NAME
from motcua.postal.models import (
    FINAL,
    RANKS,
    CarrierUpdate,
    Shipment,
    ShipmentStatus,
    UpdateOutcome,
    UpdateSource,
)
from motcua.postal.tasks import place_order

log = logging.getLogger(__name__)

CARRIER_ACTOR = Actor(None, CARRIER_NAME)
# after these, a dossier may be sent again (a new order number) or handed over at the counter
RESENDABLE = frozenset({ShipmentStatus.RETURNED_TO_SENDER, ShipmentStatus.CANCELLED})


class ShipmentRefused(MotCuaError):
    status = 409


def shipment_not_found(key: str) -> NotFound:
    return NotFound("shipment_not_found", _("No shipment has the number %(key)s."), {"key": key[:60]})


# --- handing the result to the post -------------------------------------------------------------------------------


def may_send(dossier: Dossier, actor: Actor) -> bool:
    """Whether ``actor`` may hand ``dossier``'s result to the post now: it is ready and to be delivered by post,
    and ``actor`` is the front officer who may return it (``machine.may``), or postal staff of the post point
    that received it."""
    if dossier.status != Status.RESULT_READY or dossier.delivery != Delivery.POST:
        return False
    return may(dossier, EventKind.RETURN_RESULT, actor) or Role.POSTAL in actor.roles_at(dossier.receiving_agency_id)



@dataclass(frozen=True)
class Quote:
    """What sending a dossier's result by post costs and collects: shown on the "send by post" panel."""

    cod_amount: int
    postage: int
    fee_due: int
    blocked_by_fee: bool


def quote(dossier: Dossier) -> Quote:
    due = payment_selectors.amount_due(dossier)
    on_delivery = dossier.version.fee_timing == FeeTiming.ON_DELIVERY  # cash on delivery (COD)
    # the return postage the point's postal service sets (postal.rules), else the default (MOTCUA_POSTAGE)
    service = postal_rules.service_for(dossier.receiving_agency, dossier.procedure_id)
    postage = service.return_postage if service is not None and service.return_postage else settings.MOTCUA_POSTAGE
    return Quote(cod_amount=due if on_delivery else 0, postage=int(postage), fee_due=due,
                 blocked_by_fee=not rules.fee_settled(dossier, rules.HANDOVER_TO_POST))


def _party(name: str, address: str, phone: str, unit: Any) -> dict[str, str]:
    province = unit.parent if unit is not None and unit.parent_id else unit
    return {"name": name[:300], "address": address[:500], "phone": phone[:20],
            "province": getattr(province, "code", "") or "", "commune": getattr(unit, "code", "") or ""}


def send_by_post(code: str, *, actor: Actor, now: datetime | None = None, place: bool = True) -> Shipment:
    """Hand dossier ``code``'s result to the post: the shipment, its ``shipment`` event, then the carrier's order.

    Refused unless the dossier is ``result_ready`` with delivery by post and ``actor`` may return it; refused while a
    fee is due, unless the procedure collects it on delivery (then the COD amount is what is due); refused while
    another shipment of it is under way. ``place=False`` leaves the order to the background task.
    """
    now = now or timezone.now()
    with transaction.atomic():
        dossier = (Dossier.objects.select_for_update(of=("self",))
                   .select_related("version", "receiving_agency__unit__parent", "competent_unit__parent")
                   .filter(code=code).first())
        if dossier is None:
            raise DossierNotFound(code)
        if not may_send(dossier, actor):
            if dossier.status != Status.RESULT_READY or dossier.delivery != Delivery.POST:
                raise ActionRefused("not_for_post", _("Only a result ready to be delivered by post is sent by post."))
            raise Forbidden("not_front_staff", _("Only the front officer returning this result sends it by post."))
        earlier = list(Shipment.objects.filter(dossier=dossier).order_by("created_at", "pk"))
        if any(s.status not in RESENDABLE and not s.gave_up for s in earlier):
            raise ShipmentRefused("already_sent", _("The result of dossier %(code)s is already with the post."),
                                  {"code": dossier.code})
        rules.check_fee_settled(dossier, rules.HANDOVER_TO_POST)  # the fee rule (dossiers.rules), or FeeDue
        priced = quote(dossier)
        agency = dossier.receiving_agency
        point = dossier.receiving_agency_id if Role.POSTAL in actor.roles_at(dossier.receiving_agency_id) else (
            dossier.current_agency_id)
        shipment = Shipment.objects.create(
            dossier=dossier, carrier="vnpost", customer_code=settings.MOTCUA_CARRIER_CUSTOMER_CODE,
            order_number=dossier.code + (f"-{len(earlier) + 1}" if earlier else ""),
            sender=_party(agency.name, agency.address, "", agency.unit),
            receiver=_party(dossier.applicant_name, dossier.delivery_address or dossier.applicant_address,
                            dossier.applicant_phone, dossier.competent_unit),
            cod_amount=priced.cod_amount, postage=priced.postage,
            description=f"Kết quả hồ sơ {dossier.code}"[:300],
            sent_by_id=actor.user_id, point_id=point, created_at=now,
        )
        record(dossier, EventKind.SHIPMENT, actor=actor, at=now, agency_id=point,
               data={"order_number": shipment.order_number, "status": ShipmentStatus.REQUESTED,
                     "cod_amount": shipment.cod_amount, "postage": shipment.postage})
    if place:
        place_order(shipment.pk, 1)
        shipment.refresh_from_db()
    return shipment


def retry(shipment_id: int, *, actor: Actor) -> Shipment:
    """Staff try again to place an order the carrier never took (given up, or overdue)."""
    shipment = Shipment.objects.select_related("dossier").filter(pk=shipment_id).first()
    if shipment is None or not may_send_again(shipment, actor):
        raise shipment_not_found(str(shipment_id))
    if shipment.status != ShipmentStatus.REQUESTED:
        raise ShipmentRefused("already_accepted", _("The carrier already took this order."))
    Shipment.objects.filter(pk=shipment.pk).update(gave_up=False, attempts=0, last_error="")
    place_order(shipment.pk, 1)
    return Shipment.objects.select_related("dossier").get(pk=shipment.pk)


def may_send_again(shipment: Shipment, actor: Actor) -> bool:
    dossier = shipment.dossier
    return (may(dossier, EventKind.RETURN_RESULT, actor)
            or Role.POSTAL in actor.roles_at(dossier.receiving_agency_id))


# --- status updates from the carrier ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    """What came of one update: its outcome, why, the row kept, and the HTTP status for the webhook."""

    outcome: str
    reason: str
    update: CarrierUpdate
    http_status: int


def _newer(shipment: Shipment, update: carrier.Update) -> bool:
    """Whether ``update`` moves ``shipment`` on: never past a final status; a final status always; otherwise a
    later carrier time (same time: a higher rank)."""
    return _newer_than(shipment.status, shipment.last_update_at, update)


def _newer_than(status: str, last_update_at: datetime | None, update: carrier.Update) -> bool:
    if status in FINAL:
        return False
    if update.status in FINAL or last_update_at is None:
        return True
    return (update.at, RANKS[update.status]) > (last_update_at, RANKS[status])


def _clean(raw: Any) -> Any:
    """The body as stored: a JSON object of at most 40 keys (a log, not a dump)."""
    if isinstance(raw, dict):
        return {str(key)[:60]: value if isinstance(value, (int, float, bool)) or value is None else str(value)[:500]
                for key, value in list(raw.items())[:40]}
    return {"unreadable": str(raw)[:1000]}


def reject(raw: Any, *, source: str, reason: str, http_status: int, signature_valid: bool = False,
           now: datetime | None = None) -> Applied:
    """Keep an update that cannot be applied (bad signature, unreadable), linked to its shipment when known."""
    waybill = str(raw.get("ItemCode", ""))[:13] if isinstance(raw, dict) else ""
    shipment = Shipment.objects.filter(waybill=waybill).only("pk").first() if waybill else None
    row = CarrierUpdate.objects.create(shipment=shipment, source=source, raw=_clean(raw),
                                       signature_valid=signature_valid, outcome=UpdateOutcome.REJECTED,
                                       reason=reason[:200], received_at=now or timezone.now())
    log.warning("carrier %s rejected (%s) for %r", source, reason, waybill)
    return Applied(UpdateOutcome.REJECTED, reason, row, http_status)


def apply_update(update: carrier.Update, *, raw: Any, source: str = UpdateSource.WEBHOOK,
                 now: datetime | None = None) -> Applied:
    """Apply one verified carrier update, idempotently and in any order (see the module's docstring).

    One statement finds the shipment by its waybill, locks it and its dossier, and says whether this update was
    received before; then one insert (the update), and for news one event (its insert and the dossier's head) and
    one update of the shipment. Two copies of one update racing past the check meet the unique ``event_key``:
    the loser is applied again, and is then the duplicate it is.
    """
    now = now or timezone.now()
    try:
        return _apply_update(update, raw=raw, source=source, now=now)
    except IntegrityError:
        return _apply_update(update, raw=raw, source=source, now=now)


def _apply_update(update: carrier.Update, *, raw: Any, source: str, now: datetime) -> Applied:
    with transaction.atomic():
        shipment = (Shipment.objects.select_for_update(of=("self", "dossier")).select_related("dossier")
                    .annotate(seen=Exists(CarrierUpdate.objects.filter(event_key=update.key)))
                    .filter(waybill=update.waybill).first())
        common = {"source": source, "raw": _clean(raw), "signature_valid": True, "status": update.status,
                  "carrier_status": update.code, "carrier_time": update.at, "received_at": now}
        if shipment is None:
            row = CarrierUpdate.objects.create(outcome=UpdateOutcome.REJECTED, reason="unknown waybill", **common)
            return Applied(UpdateOutcome.REJECTED, "unknown waybill", row, 404)
        if shipment.seen:
            row = CarrierUpdate.objects.create(shipment=shipment, outcome=UpdateOutcome.DUPLICATE,
                                               reason="already received", **common)
            return Applied(UpdateOutcome.DUPLICATE, "already received", row, 200)
        newer = _newer(shipment, update)
        outcome = UpdateOutcome.APPLIED if newer else UpdateOutcome.STALE
        reason = "" if newer else "older than the shipment's status"
        row = CarrierUpdate.objects.create(shipment=shipment, event_key=update.key, outcome=outcome, reason=reason,
                                           **common)
        dossier = shipment.dossier
        # every update that is news goes into the log (the carrier's whole history, whatever order it came in);
        # only a newer one moves the shipment
        record(dossier, EventKind.SHIPMENT, actor=CARRIER_NAME, at=now, agency_id=shipment.point_id,
               data={"waybill": shipment.waybill, "status": update.status, "carrier_status": update.code,
                     "message": update.message, "carrier_time": update.at, **({} if newer else {"late": True})})
        if newer:
            _move(shipment, dossier, update, now)
    return Applied(outcome, reason, row, 200)


MOVED_FIELDS = ["status", "carrier_status", "last_update_at", "accepted_at"]


def _advance(shipment: Shipment, update: carrier.Update) -> list[str]:
    """Move ``shipment`` to ``update``'s status in memory; the fields changed."""
    shipment.status = update.status
    shipment.carrier_status = update.code
    shipment.last_update_at = update.at
    fields = ["status", "carrier_status", "last_update_at"]
    if shipment.accepted_at is None:
        shipment.accepted_at = update.at
        fields.append("accepted_at")
    return fields


def _move(shipment: Shipment, dossier: Dossier, update: carrier.Update, now: datetime) -> None:
    fields = _advance(shipment, update)
    if update.status == ShipmentStatus.DELIVERED:
        shipment.delivered_at = update.at
        shipment.recipient = update.recipient
        shipment.proof_sha256 = update.proof_sha256
        shipment.proof_reference = update.proof_url
        shipment.cod_collected = update.cod_amount
        fields += ["delivered_at", "recipient", "proof_sha256", "proof_reference", "cod_collected"]
        shipment.discrepancy = _delivered(shipment, dossier, update, now)
        fields.append("discrepancy")
    elif update.status == ShipmentStatus.RETURNED_TO_SENDER:
        log.info("shipment %s of dossier %s returned to the sender", shipment.waybill, dossier.code)
    shipment.save(update_fields=fields)


def _delivered(shipment: Shipment, dossier: Dossier, update: carrier.Update, now: datetime) -> str:
    """Record the COD and return the dossier with the proof; the discrepancy found instead (``""``: none)."""
    reported = update.cod_amount or 0
    due = payment_selectors.amount_due(dossier)
    if shipment.cod_amount or reported:
        if reported != due:
            log.warning("shipment %s: the carrier collected %s đ on delivery, dossier %s owes %s đ",
                        shipment.waybill, reported, dossier.code, due)
            return (f"COD {reported:,} đ ≠ {due:,} đ").replace(",", ".")
        try:
            with transaction.atomic():
                record_collection(code=dossier.code, method=PaymentMethod.COD, amount=reported,
                                  actor=CARRIER_ACTOR, key=f"cod:{shipment.waybill}", reference=shipment.waybill or "",
                                  point_id=None, now=now)
        except MotCuaError as exc:
            return f"COD: {exc.text('vi')}"[:300]
    proof = {"waybill": shipment.waybill, "recipient": update.recipient, "delivered_at": update.at.isoformat(),
             "proof_sha256": update.proof_sha256, "proof_reference": update.proof_url}
    try:
        with transaction.atomic():
            return_by_post(dossier.code, proof=proof, now=now)
    except MotCuaError as exc:
        return exc.text("vi")[:300]
    return ""


def _load(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {"unreadable": body[:1000].decode("utf-8", "replace")}


def receive_webhook(body: bytes, *, timestamp: str, signature: str, now: datetime | None = None) -> Applied:
    """A webhook as received: signature (and replay window), then the body, then :func:`apply_update`."""
    raw = _load(body)
    problem = carrier.verify(body, timestamp, signature)
    if problem:
        return reject(raw, source=UpdateSource.WEBHOOK, reason=problem, http_status=401, now=now)
    try:
        update = carrier.parse_row(raw)
    except carrier.BadUpdate as exc:
        return reject(raw, source=UpdateSource.WEBHOOK, reason=str(exc), http_status=400, signature_valid=True,
                      now=now)
    return apply_update(update, raw=raw, source=UpdateSource.WEBHOOK, now=now)


# --- batches: several updates in one signed webhook, applied in one transaction ------------------------------

MAX_BATCH = 500  # updates in one webhook; a longer list is refused whole (400)
ITEMS = "Items"  # a batch's body: {"Items": [row, …]} (each row the shape of a one-update webhook)


def is_batch(raw: Any) -> bool:
    """Whether a webhook body is a batch: an object with an ``Items`` list."""
    return isinstance(raw, dict) and ITEMS in raw


def _row(update: carrier.Update, raw: Any, source: str, now: datetime, **values: Any) -> CarrierUpdate:
    return CarrierUpdate(source=source, raw=_clean(raw), signature_valid=True, status=update.status,
                         carrier_status=update.code, carrier_time=update.at, received_at=now, **values)


def apply_updates(updates: Sequence[carrier.Update], *, raw: Sequence[Any], source: str = UpdateSource.WEBHOOK,
                  now: datetime | None = None) -> list[Applied]:
    """Apply verified carrier updates as :func:`apply_update` would one by one, in the order given, but in one
    transaction: one query reads (and locks, in the order of their keys) every shipment of the batch with its
    dossier, one the event keys already received, one insert keeps every update; then each update that is news
    appends its ``shipment`` event, chained in order (``dossiers.events.record_many``: one insert of the events,
    one update of the dossiers' heads), and one update moves the shipments. A delivered update takes the
    one-by-one path (the COD, the return) inside the same transaction. ``raw``: the
    bodies as received, one per update. What came of each update, in order (an unknown waybill: rejected, 404).

    Two batches racing with one update meet the unique ``event_key``: the whole batch is applied again, and that
    update is then the duplicate it is.
    """
    assert len(raw) == len(updates), "one body per update"
    now = now or timezone.now()
    if not updates:
        return []
    try:
        return _apply_updates(updates, raw=raw, source=source, now=now)
    except IntegrityError:
        return _apply_updates(updates, raw=raw, source=source, now=now)


def _apply_updates(updates: Sequence[carrier.Update], *, raw: Sequence[Any], source: str,
                   now: datetime) -> list[Applied]:
    with transaction.atomic():
        waybills = sorted({update.waybill for update in updates})
        found = {shipment.waybill: shipment for shipment in
                 Shipment.objects.select_for_update(of=("self", "dossier")).select_related("dossier")
                 .filter(waybill__in=waybills).order_by("pk")}
        dossiers: dict[int, Dossier] = {}
        for one in found.values():  # one instance per dossier (a re-send: two shipments), one chain head
            one.dossier = dossiers.setdefault(one.dossier_id, one.dossier)
        seen = set(CarrierUpdate.objects.filter(event_key__in={update.key for update in updates})
                   .values_list("event_key", flat=True))
        # first pass: what each update is (the shipment's state read as the updates before it left it)
        status = {waybill: (s.status, s.last_update_at) for waybill, s in found.items()}
        rows: list[CarrierUpdate] = []
        news: list[tuple[int, Shipment, bool]] = []  # (index, shipment, newer)
        for index, (update, body) in enumerate(zip(updates, raw, strict=True)):
            shipment = found.get(update.waybill)
            if shipment is None:
                rows.append(_row(update, body, source, now, outcome=UpdateOutcome.REJECTED,
                                 reason="unknown waybill"))
            elif update.key in seen:
                rows.append(_row(update, body, source, now, shipment=shipment, outcome=UpdateOutcome.DUPLICATE,
                                 reason="already received"))
            else:
                seen.add(update.key)
                current, last = status[update.waybill]
                newer = _newer_than(current, last, update)
                if newer:
                    status[update.waybill] = (update.status, update.at)
                rows.append(_row(update, body, source, now, shipment=shipment, event_key=update.key,
                                 outcome=UpdateOutcome.APPLIED if newer else UpdateOutcome.STALE,
                                 reason="" if newer else "older than the shipment's status"))
                news.append((index, shipment, newer))
        CarrierUpdate.objects.bulk_create(rows)
        # second pass: the events, in the order received (chained and written together), and the moves
        moved: dict[int, Shipment] = {}
        pending: list[tuple[Dossier, EventKind, dict[str, Any]]] = []
        for index, shipment, newer in news:
            update = updates[index]
            dossier = shipment.dossier
            event: dict[str, Any] = {
                "actor": CARRIER_NAME, "at": now, "agency_id": shipment.point_id,
                "data": {"waybill": shipment.waybill, "status": update.status, "carrier_status": update.code,
                         "message": update.message, "carrier_time": update.at, **({} if newer else {"late": True})}}
            if newer and update.status == ShipmentStatus.DELIVERED:
                # the COD and the return read and move the dossiers' heads: the events so far first, then the
                # one-by-one path
                record_many(pending)
                pending = []
                record(dossier, EventKind.SHIPMENT, **event)
                _move(shipment, dossier, update, now)
                dossier.refresh_from_db()
                continue
            pending.append((dossier, EventKind.SHIPMENT, event))
            if newer:
                _advance(shipment, update)
                moved[shipment.pk] = shipment
        record_many(pending)
        update_rows(list(moved.values()), MOVED_FIELDS)
    return [Applied(str(row.outcome), row.reason, row, 404 if row.reason == "unknown waybill" else 200)
            for row in rows]


@dataclass(frozen=True)
class Answer:
    """The webhook's answer: its HTTP status and JSON body."""

    http_status: int
    body: dict[str, Any]


def receive(body: bytes, *, timestamp: str, signature: str, now: datetime | None = None) -> Answer:
    """A webhook as received, one update (:func:`receive_webhook`) or a batch (``{"Items": [row, …]}``).

    A batch is signed as a whole: a bad signature refuses it whole (401, kept once). Otherwise it is accepted
    (200) and each row's outcome is listed in the answer, in order: ``applied``, ``stale``, ``duplicate`` or
    ``rejected`` with the reason — an unreadable row or an unknown waybill is kept as rejected, and does not
    refuse the others. ``Items`` not a list, or longer than :data:`MAX_BATCH`: 400, nothing applied.
    """
    raw = _load(body)
    if not is_batch(raw):
        applied = receive_webhook(body, timestamp=timestamp, signature=signature, now=now)
        return Answer(applied.http_status, {"outcome": applied.outcome, "reason": applied.reason})
    problem = carrier.verify(body, timestamp, signature)
    if problem:
        applied = reject(raw, source=UpdateSource.WEBHOOK, reason=problem, http_status=401, now=now)
        return Answer(401, {"outcome": applied.outcome, "reason": problem})
    items = raw[ITEMS]
    if not isinstance(items, list) or len(items) > MAX_BATCH:
        reason = f"{ITEMS} is not a list" if not isinstance(items, list) else f"more than {MAX_BATCH} items"
        applied = reject(raw, source=UpdateSource.WEBHOOK, reason=reason, http_status=400, signature_valid=True,
                         now=now)
        return Answer(400, {"outcome": applied.outcome, "reason": reason})
    now = now or timezone.now()
    common = {key: value for key, value in raw.items() if key != ITEMS}  # e.g. the CustomerCode, once
    outcomes: list[tuple[str, str] | None] = []
    parsed: list[carrier.Update] = []
    bodies: list[Any] = []
    bad: list[CarrierUpdate] = []
    for item in items:
        body_of = {**common, **item} if isinstance(item, dict) else item
        try:
            parsed.append(carrier.parse_row(body_of))
        except carrier.BadUpdate as exc:
            bad.append(CarrierUpdate(source=UpdateSource.WEBHOOK, raw=_clean(body_of), signature_valid=True,
                                     outcome=UpdateOutcome.REJECTED, reason=str(exc)[:200], received_at=now))
            outcomes.append((UpdateOutcome.REJECTED, str(exc)))
            continue
        bodies.append(body_of)
        outcomes.append(None)
    if bad:
        CarrierUpdate.objects.bulk_create(bad)
    applied_ = iter(apply_updates(parsed, raw=bodies, source=UpdateSource.WEBHOOK, now=now))
    listed = []
    for item, outcome in zip(items, outcomes, strict=True):
        if outcome is None:
            one = next(applied_)
            outcome = (one.outcome, one.reason)
        item_ = item if isinstance(item, dict) else {}
        listed.append({"ItemCode": str(item_.get("ItemCode", ""))[:13], "EventId": str(item_.get("EventId", ""))[:120],
                       "outcome": outcome[0], "reason": outcome[1]})
    counts: dict[str, int] = {}
    for entry in listed:
        counts[entry["outcome"]] = counts.get(entry["outcome"], 0) + 1
    return Answer(200, {"outcome": "accepted", "counts": counts, "items": listed})


# --- polling: the fallback when webhooks do not come -------------------------------------------------------------


def due_for_polling(now: datetime | None = None, minutes: float | None = None) -> list[Shipment]:
    """Shipments with a waybill, not final, and without news for ``minutes`` (``MOTCUA_SHIPMENT_POLL_MINUTES``)."""
    now = now or timezone.now()
    quiet = now - timedelta(minutes=minutes if minutes is not None else settings.MOTCUA_SHIPMENT_POLL_MINUTES)
    return list(Shipment.objects.filter(waybill__isnull=False).exclude(status__in=FINAL)
                .filter(Q(last_update_at__lte=quiet) | Q(last_update_at__isnull=True, accepted_at__lte=quiet))
                .order_by("last_update_at", "pk")[:1000])


def poll(shipments: list[Shipment], *, client: carrier.Client | None = None) -> dict[str, int]:
    """Ask the carrier for the tracking of ``shipments`` and apply what it says; counts per outcome."""
    client = client or carrier.Client()
    counts: dict[str, int] = {}
    for shipment in shipments:
        try:
            updates = client.tracking(shipment.waybill or "")
        except carrier.CarrierError as exc:
            counts["unreachable"] = counts.get("unreachable", 0) + 1
            log.warning("polling shipment %s: %s", shipment.waybill, exc)
            continue
        raws = [{"ItemCode": update.waybill, "EventId": update.event_id, "StatusCode": update.code,
                 "Time": update.at.isoformat()} for update in updates]
        for applied in apply_updates(updates, raw=raws, source=UpdateSource.POLL):  # one transaction per shipment
            counts[applied.outcome] = counts.get(applied.outcome, 0) + 1
    return counts


# --- the carrier's cash-on-delivery statement, into the reconciliation ------------------------------------------


def import_cod_statement(day: date, *, client: carrier.Client | None = None) -> ImportResult:
    """Fetch the carrier's statement of the cash it collected on delivery on ``day`` and import it as the
    reconciliation's carrier lines (``payments.statements.import_lines``; the same line twice is stored once), so
    that ``motcua reconcile`` compares it with the COD payments recorded when the shipments were delivered. A row
    names the dossier by its waybill (the shipment's), or by its order number (the dossier code, ``-2`` for a
    re-send)."""
    client = client or carrier.Client()
    rows = client.cod_statement(day)
    waybills = [str(row.get("ItemCode", "")) for row in rows]
    codes = dict(Shipment.objects.filter(waybill__in=waybills).values_list("waybill", "dossier__code"))
    lines = []
    for row in rows:
        waybill = str(row.get("ItemCode", ""))
        order = str(row.get("OrderNumber", ""))
        # a dossier code has two dashes (``000.00.12.H56-250715-0007``); a re-send's order number a third
        ordered = order.rsplit("-", 1)[0] if order.count("-") > 2 else order
        lines.append({"reference": waybill or order, "amount": int(row.get("CODAmount") or 0), "note": order,
                      "dossier_code": codes.get(waybill) or ordered, "raw": row})
    return import_lines(StatementSource.CARRIER, "vnpost", day, lines)
