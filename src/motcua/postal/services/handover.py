"""Hand-over records (biên bản bàn giao) between a post point and an agency: one function per user operation,
each in one transaction (Decision 45/2016/QĐ-TTg; Circular 17/2017/TT-BTTTT art. 5).

The giving side :func:`open_batch` with the dossiers it hands over (:func:`add_items`, :func:`remove_item`),
then signs and sends it (:func:`send_batch`: on screen, or with its certificate and PIN; the record's PDF is
stored, signed or sealed by the system, and each dossier's log gets a ``handover`` event). The receiving side
confirms the packages one by one as they are unpacked (:func:`confirm_item`: the scanned or typed dossier code;
a package not on the list becomes an ``extra`` item, flagged; a code given twice is confirmed once), then closes
and signs (:func:`close_batch`): every listed item not confirmed becomes ``missing``. Missing and extra items are
the batch's discrepancies, on both sides' pages; a missing dossier stays with the giver for a later batch.

Confirming a dossier handed ``to_agency`` transfers it to its processing agency at that moment, and its legal
clock restarts from it (``dossiers.services.actions.transfer_from_post``, ``dossiers.rules.postal_clock_start``).
Results handed ``to_post`` change no status: their confirmation is recorded in the dossier's log, and the post
point then returns or ships the result. Each confirmation sends ``postal.signals.handover_item_confirmed`` on
commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Agency, AgencyKind
from motcua.core import counters
from motcua.core.calendar import VN_TZ
from motcua.core.errors import MotCuaError
from motcua.core.files import atomic_with_files
from motcua.dossiers.actors import Actor
from motcua.dossiers.events import record
from motcua.dossiers.machine import Forbidden
from motcua.dossiers.models import Dossier, DossierComponent, IssuedResult
from motcua.dossiers.services.actions import transfer_from_post
from motcua.dossiers.statuses import EventKind
from motcua.payments.models import Payment, PaymentMethod, PaymentStatus
from motcua.postal import handover_pdf
from motcua.postal.models import (
    BatchStatus,
    Direction,
    HandoverBatch,
    HandoverCounter,
    HandoverItem,
    ItemState,
    SignMethod,
)
from motcua.postal.selectors.handover import (
    HandoverNotFound,
    batch_for,
    candidates,
    giver_roles,
    may_give,
    may_receive,
)
from motcua.postal.signals import handover_item_confirmed
from motcua.signing.services import identity_for, seal_document, sign_pdf

__all__ = [
    "Confirmation", "HandoverRefused", "HandoverNotFound", "add_items", "close_batch", "confirm_item",
    "normalize_code", "open_batch", "remove_item", "send_batch",
]

MAX_ITEMS = 2000  # one record is one trip: a few hundred packages at most


class HandoverRefused(MotCuaError):
    status = 409


@dataclass(frozen=True)
class Confirmation:
    """What one scan did: ``received`` (a listed item confirmed now), ``already`` (it was confirmed before:
    nothing counted twice), ``extra`` (a package not on the list, flagged now) or ``extra_again``."""

    item: HandoverItem
    outcome: str


def normalize_code(code: str) -> str:
    """A dossier code as scanned or typed: spaces out, letters upper-case (``h22`` → ``H22``)."""
    return "".join(code.split()).upper()[:40]


# --- the giving side --------------------------------------------------------------------------------------------


def _sides(direction: str, giver: Agency, receiver: Agency) -> None:
    """A post point hands dossiers to an agency; an agency hands results to a post point."""
    post_gives = direction == Direction.TO_AGENCY
    if direction not in Direction.values or (giver.kind == AgencyKind.POST_OFFICE) != post_gives or (
            receiver.kind == AgencyKind.POST_OFFICE) == post_gives:
        raise MotCuaError("wrong_sides", _(
            "A hand-over goes from a post point to an agency (dossiers) or from an agency to a post point "
            "(results)."), location="direction")


def _check_giver(actor: Actor, batch: HandoverBatch) -> None:
    if not may_give(actor, batch):
        raise Forbidden("not_the_giver", _("Only the handing-over side's staff prepare and sign this record."))


def _check_receiver(actor: Actor, batch: HandoverBatch) -> None:
    if not may_receive(actor, batch):
        raise Forbidden("not_the_receiver", _("Only the receiving side's staff confirm and sign this record."))


def open_batch(*, actor: Actor, direction: str, giver_id: int, receiver_id: int, codes: Iterable[str] = (),
               note: str = "", now: datetime | None = None) -> HandoverBatch:
    """A new record from ``giver_id`` to ``receiver_id`` with the dossiers ``codes`` (candidates only), numbered
    ``BG-<giver code>-<year>-000123`` (gap-free per giver and year)."""
    now = now or timezone.now()
    agencies = Agency.objects.in_bulk([giver_id, receiver_id])
    giver, receiver = agencies.get(giver_id), agencies.get(receiver_id)
    if giver is None or receiver is None:
        raise MotCuaError("agency_not_found", _("Choose the agency the record is handed to."), location="receiver")
    _sides(direction, giver, receiver)
    if not actor.roles_at(giver_id) & giver_roles(direction):
        raise Forbidden("not_the_giver", _("Only the handing-over side's staff prepare and sign this record."))
    with transaction.atomic():
        year = now.astimezone(VN_TZ).year
        number = counters.take_next(HandoverCounter, agency=giver, year=year)
        batch = HandoverBatch.objects.create(
            number=f"BG-{giver.identifier_code}-{year}-{number:06d}", year=year, direction=direction, giver=giver,
            receiver=receiver, opened_by_id=actor.user_id, opened_at=now, note=note[:500])
        if codes:
            _add(batch, list(codes))
    return batch


def add_items(batch_id: int, *, actor: Actor, codes: Iterable[str]) -> list[HandoverItem]:
    """List more dossiers in an open record (candidates only: see ``postal.selectors.handover.candidates``)."""
    with transaction.atomic():
        batch = batch_for(actor, batch_id, lock=True)
        _check_giver(actor, batch)
        _check_open(batch)
        return _add(batch, list(codes))


def _add(batch: HandoverBatch, codes: list[str]) -> list[HandoverItem]:
    wanted = list(dict.fromkeys(normalize_code(code) for code in codes if code.strip()))
    if batch.item_count + len(wanted) > MAX_ITEMS:
        raise HandoverRefused("too_many_items", _("A record holds at most %(count)d items; open another one."),
                              {"count": MAX_ITEMS})
    found = {d.code.upper(): d for d in candidates(batch.direction, batch.giver_id, batch.receiver_id)
             .filter(code__in=[*wanted, *(code.lower() for code in wanted)])}
    refused = [code for code in wanted if code not in found]
    if refused:
        raise HandoverRefused("not_a_candidate", _(
            "These dossiers cannot be handed over in this record (not held here for that agency, or already in "
            "another record): %(codes)s"), {"codes": ", ".join(refused[:20])}, "codes")
    dossiers = [found[code] for code in wanted]
    counts = _counts(batch.direction, [d.pk for d in dossiers])
    items = [HandoverItem(batch=batch, dossier=d, code=d.code, direction=batch.direction,
                          originals=counts.get(d.pk, (0, 0))[0], copies=counts.get(d.pk, (0, 0))[1])
             for d in dossiers]
    try:
        with transaction.atomic():
            HandoverItem.objects.bulk_create(items)
    except IntegrityError:  # another record took one of them a moment ago
        raise HandoverRefused("already_in_a_record", _(
            "One of these dossiers was just listed in another record; reload and try again."), location="codes"
        ) from None
    HandoverBatch.objects.filter(pk=batch.pk).update(item_count=batch.item_count + len(items))
    batch.item_count += len(items)
    return items


def _counts(direction: str, dossier_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Originals and copies of each dossier: the components received at reception (``to_agency``), or the
    results issued (``to_post``: one original each)."""
    if direction == Direction.TO_AGENCY:
        rows = (DossierComponent.objects.filter(dossier_id__in=dossier_ids, received=True).values("dossier_id")
                .annotate(o=Sum("originals"), c=Sum("copies")).values_list("dossier_id", "o", "c"))
        return {pk: (int(o or 0), int(c or 0)) for pk, o, c in rows}
    issued = (IssuedResult.objects.filter(dossier_id__in=dossier_ids).values("dossier_id").annotate(n=Count("pk"))
              .values_list("dossier_id", "n"))
    return {pk: (int(n), 0) for pk, n in issued}


def remove_item(batch_id: int, *, actor: Actor, code: str) -> None:
    with transaction.atomic():
        batch = batch_for(actor, batch_id, lock=True)
        _check_giver(actor, batch)
        _check_open(batch)
        deleted, _rows = HandoverItem.objects.filter(batch=batch, code=normalize_code(code)).delete()
        if not deleted:
            raise HandoverRefused("not_in_record", _("Dossier %(code)s is not in this record."),
                                  {"code": normalize_code(code)}, "code")
        HandoverBatch.objects.filter(pk=batch.pk).update(item_count=batch.item_count - 1)


def _check_open(batch: HandoverBatch) -> None:
    if not batch.is_open:
        raise HandoverRefused("batch_already_sent", _("Record %(number)s was signed and sent; it cannot change."),
                              {"number": batch.number})


def send_batch(batch_id: int, *, actor: Actor, method: str = SignMethod.SCREEN, pin: str = "",
               now: datetime | None = None) -> HandoverBatch:
    """The giver signs (``method``: on screen, or ``certificate`` with ``pin``) and sends the record: the fees
    collected at the post point for its dossiers are totalled (passed on to the agency), the PDF is rendered and
    signed (or sealed by the system for a signature on screen), and each dossier's log gets a ``handover``."""
    now = now or timezone.now()
    with atomic_with_files():
        batch = batch_for(actor, batch_id, lock=True)
        _check_giver(actor, batch)
        _check_open(batch)
        items = list(HandoverItem.objects.filter(batch=batch).select_related("dossier__version").order_by("pk"))
        if not items:
            raise HandoverRefused("batch_empty", _("List at least one dossier before signing the record."))
        fees = _fees(batch, [item.dossier_id for item in items if item.dossier_id])
        for item in items:
            item.fee = fees.get(item.dossier_id or 0, 0)
        HandoverItem.objects.bulk_update(items, ["fee"])
        batch.fees_total = sum(fees.values())
        batch.status = BatchStatus.SENT
        batch.giver_signed_by_id, batch.giver_signer_name = actor.user_id, actor.name[:300]
        batch.giver_signed_at, batch.giver_method = now, _method(method)
        batch.item_count = len(items)
        data = _signed(handover_pdf.render(batch, items, final=False), actor, batch.giver_method, pin,
                       reason=f"Bàn giao theo biên bản {batch.number}", location=_agency_name(batch.giver_id))
        batch.sent_sha256 = hashlib.sha256(data).hexdigest()
        batch.sent_pdf.save("ban-giao.pdf", ContentFile(data), save=False)
        batch.save()
        locked = Dossier.objects.select_for_update(of=("self",)).filter(pk__in=[i.dossier_id for i in items])
        for dossier in locked:
            record(dossier, EventKind.HANDOVER, actor=actor, at=now, agency_id=batch.giver_id, notify=False,
                   data={"batch": batch.number, "direction": batch.direction, "state": "sent",
                         "receiver": batch.receiver_id})
    return batch


def _fees(batch: HandoverBatch, dossier_ids: list[int]) -> dict[int, int]:
    """The fees the post point collected in person for these dossiers (cash, card…), passed on with them."""
    if batch.direction != Direction.TO_AGENCY or not dossier_ids:
        return {}
    rows = (Payment.objects.filter(dossier_id__in=dossier_ids, point_id=batch.giver_id, status=PaymentStatus.PAID)
            .exclude(method=PaymentMethod.GATEWAY).values("dossier_id").annotate(total=Sum("amount"))
            .values_list("dossier_id", "total"))
    return {pk: int(total or 0) for pk, total in rows}


def _method(method: str) -> str:
    if method not in SignMethod.values:
        raise MotCuaError("unknown_sign_method", _("Sign on screen or with your digital certificate."),
                          location="method")
    return method


def _agency_name(pk: int) -> str:
    agency = Agency.objects.filter(pk=pk).only("name").first()
    return agency.name if agency is not None else ""


def _signed(data: bytes, actor: Actor, method: str, pin: str, *, reason: str, location: str) -> bytes:
    """The record signed with ``actor``'s certificate (``pin``), or sealed by the system (signed on screen)."""
    if method == SignMethod.CERTIFICATE:
        signer = identity_for(actor.user_id)
        if signer is None:
            raise HandoverRefused("no_signing_identity", _(
                "You have no signing certificate in MotCua: sign on screen, or ask the administrator to register "
                "your certificate."), location="pin")
        if not pin:
            raise MotCuaError("pin_required", _("Enter the PIN of your signing certificate."), location="pin")
        return sign_pdf(data, signer=signer, pin=pin, reason=reason, location=location)
    return seal_document(data, reason=reason)


# --- the receiving side -----------------------------------------------------------------------------------------


def confirm_item(batch_id: int, *, actor: Actor, code: str, now: datetime | None = None) -> Confirmation:
    """The receiver confirms one package by its dossier code (scanned or typed). A listed item becomes
    ``received`` (for ``to_agency`` its dossier is transferred to the agency now, its clock restarted); a code
    confirmed before changes nothing; a code not on the list is an ``extra`` item, flagged once."""
    now = now or timezone.now()
    wanted = normalize_code(code)
    if not wanted:
        raise MotCuaError("code_required", _("Scan or type the dossier code on the package."), location="code")
    with transaction.atomic():
        batch = batch_for(actor, batch_id, lock=True)
        _check_receiver(actor, batch)
        _check_sent(batch)
        item = HandoverItem.objects.filter(batch=batch, code=wanted).first()
        if item is not None and item.state == ItemState.RECEIVED:
            return Confirmation(item, "already")
        if item is not None and item.state == ItemState.EXTRA:
            return Confirmation(item, "extra_again")
        if item is None:
            dossier = Dossier.objects.filter(code=wanted).only("pk").first()
            item = HandoverItem.objects.create(
                batch=batch, dossier=dossier, code=wanted, direction=batch.direction, active=False,
                state=ItemState.EXTRA, confirmed_by_id=actor.user_id, confirmed_at=now)
            HandoverBatch.objects.filter(pk=batch.pk).update(extra_count=batch.extra_count + 1)
            return Confirmation(item, "extra")
        assert item.dossier_id is not None
        data = {"batch": batch.number, "direction": batch.direction, "state": "received"}
        if batch.direction == Direction.TO_AGENCY:
            transfer_from_post(item.code, actor=actor, at=now, data={"handover": batch.number})
        else:
            dossier = Dossier.objects.select_for_update(of=("self",)).get(pk=item.dossier_id)
            record(dossier, EventKind.HANDOVER, actor=actor, at=now, agency_id=batch.receiver_id, notify=False,
                   data=data)
        item.state, item.confirmed_by_id, item.confirmed_at = ItemState.RECEIVED, actor.user_id, now
        item.save(update_fields=["state", "confirmed_by", "confirmed_at"])
        HandoverBatch.objects.filter(pk=batch.pk).update(received_count=batch.received_count + 1)
        batch.received_count += 1
        transaction.on_commit(lambda: handover_item_confirmed.send(sender=HandoverItem, item=item, batch=batch))
    return Confirmation(item, "received")


def _check_sent(batch: HandoverBatch) -> None:
    if batch.is_open:
        raise HandoverRefused("batch_not_sent", _(
            "Record %(number)s is not signed and sent by the handing-over side yet: nothing can be confirmed."),
            {"number": batch.number})
    if batch.is_closed:
        raise HandoverRefused("batch_already_confirmed", _(
            "Record %(number)s was already confirmed and closed."), {"number": batch.number})


def close_batch(batch_id: int, *, actor: Actor, method: str = SignMethod.SCREEN, pin: str = "", note: str = "",
                now: datetime | None = None) -> HandoverBatch:
    """The receiver closes and signs the record: every listed item not confirmed becomes ``missing`` (its dossier
    stays with the giver, free for a later record; its log says so); the record is ``confirmed``, or
    ``confirmed_with_discrepancies`` when an item is missing or extra; the final PDF is stored, signed."""
    now = now or timezone.now()
    with atomic_with_files():
        batch = batch_for(actor, batch_id, lock=True)
        _check_receiver(actor, batch)
        _check_sent(batch)
        missing_ids = list(HandoverItem.objects.filter(batch=batch, state=ItemState.LISTED)
                           .values_list("dossier_id", flat=True))
        HandoverItem.objects.filter(batch=batch, state=ItemState.LISTED).update(
            state=ItemState.MISSING, active=False)
        HandoverItem.objects.filter(batch=batch, active=True).update(active=False)
        tally = dict(HandoverItem.objects.filter(batch=batch).values("state").annotate(n=Count("pk"))
                     .values_list("state", "n"))
        batch.received_count = tally.get(ItemState.RECEIVED, 0)
        batch.missing_count = tally.get(ItemState.MISSING, 0)
        batch.extra_count = tally.get(ItemState.EXTRA, 0)
        batch.status = (BatchStatus.CONFIRMED_WITH_DISCREPANCIES if batch.missing_count or batch.extra_count
                        else BatchStatus.CONFIRMED)
        batch.receiver_signed_by_id, batch.receiver_signer_name = actor.user_id, actor.name[:300]
        batch.receiver_signed_at, batch.receiver_method = now, _method(method)
        if note:
            batch.note = f"{batch.note}\n{note}".strip()[:500]
        items = list(HandoverItem.objects.filter(batch=batch).select_related("dossier__version").order_by("pk"))
        data = _signed(handover_pdf.render(batch, items, final=True), actor, batch.receiver_method, pin,
                       reason=f"Xác nhận biên bản bàn giao {batch.number}", location=_agency_name(batch.receiver_id))
        batch.final_sha256 = hashlib.sha256(data).hexdigest()
        batch.final_pdf.save("xac-nhan.pdf", ContentFile(data), save=False)
        batch.save()
        for dossier in Dossier.objects.select_for_update(of=("self",)).filter(pk__in=[p for p in missing_ids if p]):
            record(dossier, EventKind.HANDOVER, actor=actor, at=now, agency_id=batch.receiver_id, notify=False,
                   data={"batch": batch.number, "direction": batch.direction, "state": "missing"},
                   note="Không nhận được trong lần bàn giao; hồ sơ vẫn ở bên giao.")
    return batch


def summary(batch: HandoverBatch) -> dict[str, Any]:
    """The figures a page or the API shows for a batch."""
    return {"items": batch.item_count, "received": batch.received_count, "missing": batch.missing_count,
            "extra": batch.extra_count, "fees": batch.fees_total}
