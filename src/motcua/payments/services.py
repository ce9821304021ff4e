"""Every change to payments: starting one, and recording what the gateway says about it.

:func:`start_payment` creates the order (or reuses the pending one, so a double click never makes two orders)
under the dossier's row lock. :func:`receive_notice` is the one place a payment becomes paid or failed, for the
gateway's IPN and for the browser's return alike: signature, order, amount, then — with the payment's row
locked — "not already confirmed"; a success takes the receipt number and appends the dossier's ``payment``
event (no status change, like an attachment) in the same transaction. Every notice received is kept as a
:class:`PaymentNotice`; rejected ones are also logged at WARNING.

A signed success is money taken, whatever came before it: one that arrives after the same order was reported
cancelled or failed is recorded too. It confirms the payment while the dossier still owes the amount; otherwise
(paid meanwhile by another order, refused, withdrawn) the payment becomes ``refund_due`` — no receipt number, a
``payment`` event that says so, a WARNING in the log — and the gateway is answered that it was recorded.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Role
from motcua.core.calendar import VN_TZ
from motcua.core.errors import MotCuaError
from motcua.core.formats import vnd
from motcua.dossiers.actors import Actor
from motcua.dossiers.errors import DossierNotFound
from motcua.dossiers.machine import Forbidden
from motcua.dossiers.models import Dossier
from motcua.dossiers.selectors import visible
from motcua.dossiers.services.fees import record_fee_event
from motcua.dossiers.statuses import EventKind
from motcua.payments import receipts, selectors
from motcua.payments.gateways import Gateway, Notice, Reason, Reply, get_gateway
from motcua.payments.models import (
    NoticeOutcome,
    NoticeSource,
    Payment,
    PaymentMethod,
    PaymentNotice,
    PaymentStatus,
)

log = logging.getLogger(__name__)

# A pending payment is reused by a new click only if the citizen still has this long to pay at the gateway.
REUSE_MARGIN = timedelta(minutes=2)


class PaymentRefused(MotCuaError):
    status = 409


def _expiry() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "PAYMENT_EXPIRE_MINUTES", 15)))


def new_order_ref(now: datetime) -> str:
    """``MC260115093012A1B2C3``: readable in the gateway's back office (date and time), unguessable after it."""
    return f"MC{now.astimezone(VN_TZ):%y%m%d%H%M%S}{secrets.token_hex(3).upper()}"


def start_payment(
    *, code: str, user: Any, return_url: str, client_ip: str, locale: str, site_url: str = "",
    now: datetime | None = None,
) -> Payment:
    """Start paying what is due on dossier ``code`` (its applicant or staff of an involved agency only).

    Refuses (409) when nothing is due or everything is paid. A pending payment that has not expired is returned
    as it is (its ``redirect_url`` unchanged), so a double click or a reload never creates a second order.
    ``site_url`` (``https://host``) makes a gateway served by MotCua itself (the sandbox) absolute.
    """
    now = now or timezone.now()
    found = selectors.dossier_for(user, code)
    gateway = get_gateway()
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().select_related("version").get(pk=found.pk)
        if dossier.fee_total == 0 or dossier.status in selectors.UNPAYABLE:
            raise PaymentRefused("nothing_due", _("Nothing is due on dossier %(code)s."), {"code": dossier.code})
        due = selectors.amount_due(dossier)
        if due == 0:
            raise PaymentRefused("already_paid", _("The fees of dossier %(code)s are already paid."),
                                 {"code": dossier.code})
        for pending in Payment.objects.filter(dossier=dossier, status=PaymentStatus.PENDING):
            if pending.expires_at <= now:
                Payment.objects.filter(pk=pending.pk, status=PaymentStatus.PENDING).update(
                    status=PaymentStatus.EXPIRED)
            elif pending.expires_at > now + REUSE_MARGIN and pending.amount == due and pending.gateway == gateway.name:
                return pending
        lines = _quoted_lines(dossier, due)
        payment = Payment.objects.create(
            dossier=dossier, payer=user if getattr(user, "is_authenticated", False) else None, amount=due,
            lines=lines, order_ref=new_order_ref(now), gateway=gateway.name, created_at=now,
            expires_at=now + _expiry(),
        )
        gateway_url = gateway_address(gateway, site_url)
        payment.redirect_url = gateway.payment_url(payment, return_url=return_url, client_ip=client_ip,
                                                   locale=locale, gateway_url=gateway_url)
        payment.save(update_fields=["redirect_url"])
    return payment


def gateway_address(gateway: Gateway, site_url: str) -> str:
    url: str = getattr(gateway, "url", "")
    return f"{site_url.rstrip('/')}{url}" if url.startswith("/") and site_url else url


# --- notifications ---------------------------------------------------------------------------------------------


@dataclass
class Received:
    """What came of one notification: why, the notice recorded, the payment it is about, the IPN answer."""

    reason: Reason
    outcome: str
    notice: PaymentNotice
    payment: Payment | None
    reply: Reply


def _clean(params: Mapping[str, str]) -> dict[str, str]:
    """The parameters as stored: at most 60 keys of 100 characters and values of 1,000 (a log, not a dump)."""
    return {str(key)[:100]: str(value)[:1000] for key, value in list(params.items())[:60]}


def receive_notice(
    *, params: Mapping[str, str], source: str = NoticeSource.IPN, remote_addr: str | None = None,
    gateway: Gateway | None = None, now: datetime | None = None, unreadable: str = "",
) -> Received:
    """Verify and apply a gateway's notification (IPN) or the browser's signed return, idempotently.

    Forged (bad signature), unusable, unknown-order and wrong-amount notices are rejected and change nothing;
    a notice about a payment already confirmed is a duplicate and changes nothing; otherwise the payment becomes
    paid (receipt number, dossier event) or failed/cancelled. The notice is always recorded.

    ``unreadable`` names where the input boundary found bad text (a NUL byte, invalid UTF-8; replaced in
    ``params``): such a notice is rejected as unusable whatever its signature says.
    """
    gateway = gateway or get_gateway()
    now = now or timezone.now()
    verified = gateway.verify(params)
    if unreadable:
        verified = replace(verified, problem=f"bad text in {unreadable}")
    with transaction.atomic():
        reason, outcome, payment = _apply(verified, gateway, now, unreadable=bool(unreadable))
        notice = PaymentNotice.objects.create(
            payment=payment, source=source, params=_clean(params), remote_addr=remote_addr or None,
            outcome=outcome, reason=reason,
        )
    if outcome == NoticeOutcome.REJECTED:
        log.warning("payment %s rejected (%s): order %r from %s%s", source, reason, verified.order_ref[:64],
                    remote_addr, f", {verified.problem}" if verified.problem else "")
    return Received(reason, outcome, notice, payment, gateway.reply(reason))


def _apply(verified: Notice, gateway: Gateway, now: datetime, *, unreadable: bool = False,
           ) -> tuple[Reason, str, Payment | None]:
    rejected = NoticeOutcome.REJECTED
    if unreadable or not verified.signature_valid:
        # bad text (the input boundary replaced it) or a forged signature: linked to the order it names (if any)
        # for the record; nothing about it is believed
        reason = Reason.INVALID_DATA if unreadable else Reason.INVALID_SIGNATURE
        return reason, rejected, Payment.objects.filter(order_ref=verified.order_ref).first()
    payment = Payment.objects.select_for_update().filter(order_ref=verified.order_ref).first()
    if payment is None:
        return Reason.ORDER_NOT_FOUND, rejected, None
    if verified.problem or payment.gateway != gateway.name:
        return Reason.INVALID_DATA, rejected, payment
    if verified.amount != payment.amount:
        return Reason.INVALID_AMOUNT, rejected, payment
    # an expired, cancelled or failed order the gateway still took money for is recorded: the money is real
    late_success = verified.succeeded and payment.status in (PaymentStatus.CANCELLED, PaymentStatus.FAILED)
    if payment.status not in (PaymentStatus.PENDING, PaymentStatus.EXPIRED) and not late_success:
        return Reason.ALREADY_CONFIRMED, NoticeOutcome.DUPLICATE, payment
    payment.response_code = verified.response_code
    payment.gateway_transaction = verified.transaction_no
    payment.bank_code = verified.bank_code
    if verified.succeeded:
        dossier = Dossier.objects.select_for_update().get(pk=payment.dossier_id)
        if selectors.amount_due(dossier) >= payment.amount:
            _mark_paid(payment, dossier, verified, gateway, now)
        else:
            _mark_refund_due(payment, dossier, verified, gateway, now)
            return Reason.REFUND_DUE, NoticeOutcome.ACCEPTED, payment
    else:
        payment.status = PaymentStatus.CANCELLED if verified.cancelled else PaymentStatus.FAILED
        payment.save(update_fields=["status", "response_code", "gateway_transaction", "bank_code"])
    return Reason.CONFIRMED, NoticeOutcome.ACCEPTED, payment


def _mark_paid(payment: Payment, dossier: Dossier, verified: Notice, gateway: Gateway, now: datetime) -> None:
    """Paid: the receipt number and the dossier's ``payment`` event, in the caller's transaction."""
    payment.status = PaymentStatus.PAID
    payment.paid_at = verified.paid_at or now
    payment.receipt_number = receipts.next_number(payment.paid_at.astimezone(VN_TZ).year)
    payment.save(update_fields=["status", "paid_at", "receipt_number", "response_code", "gateway_transaction",
                                "bank_code"])
    _payment_event(payment, dossier, gateway, now)


def _mark_refund_due(payment: Payment, dossier: Dossier, verified: Notice, gateway: Gateway, now: datetime) -> None:
    """Money taken that the dossier did not owe: kept as ``refund_due`` (no receipt), in the dossier's log."""
    payment.status = PaymentStatus.REFUND_DUE
    payment.paid_at = verified.paid_at or now
    payment.save(update_fields=["status", "paid_at", "response_code", "gateway_transaction", "bank_code"])
    _payment_event(payment, dossier, gateway, now, refund_due=True)
    log.warning("payment %s of dossier %s: %s đ taken by %s (transaction %s) but not owed; refund it",
                payment.order_ref, dossier.code, payment.amount, gateway.name, payment.gateway_transaction)


def _payment_event(payment: Payment, dossier: Dossier, gateway: Gateway, now: datetime,
                   refund_due: bool = False) -> None:
    record_fee_event(
        dossier, EventKind.PAYMENT, amount=payment.amount, counted=not refund_due, actor=gateway.label, at=now,
        data={"amount": payment.amount, "receipt_number": payment.receipt_number, "gateway": payment.gateway,
              "transaction": payment.gateway_transaction, "order_ref": payment.order_ref,
              "bank_code": payment.bank_code, "paid_at": payment.paid_at,
              **({"refund_due": True} if refund_due else {})},
        # the applicant is told "fee received" with the receipt; a refund is the agency's to tell
        notify=not refund_due,
    )


# --- collections: cash, card, bank transfer, cash on delivery ----------------------------------------------------


def record_collection(
    *, code: str, method: str, amount: int, actor: Actor, point_id: int | None = None, reference: str = "",
    key: str = "", now: datetime | None = None,
) -> Payment:
    """Record money collected for dossier ``code`` by a person or a bank rather than the online gateway: cash or
    card at a counter or post point (``point_id``: the dossier's receiving point or the point of its return step,
    where ``actor`` must have a front role), a bank transfer matched from a statement, or cash on delivery
    reported by the carrier (``actor``: the system).

    One collection is one :class:`Payment`, paid at once, with its receipt number and the dossier's ``payment``
    event (``dossiers.services.record_fee_event``: the dossier's ``fee_paid`` moves with it, and an electronic
    result that waited for the fee is returned once this commits). ``key`` (the form's one-time token, the
    statement line's or the carrier's reference) makes a retry return the first payment instead of collecting
    twice — checked again under the dossier's lock, so two racing submissions of one form record one payment.
    Refused (409) when nothing is due or ``amount`` is not what is due (a partial or excess amount is a
    discrepancy for the reconciliation, not a payment).
    """
    now = now or timezone.now()
    key = key[:100]
    if key:
        existing = _replay(key, code)
        if existing is not None:
            return existing
    if method not in PaymentMethod.values or method == PaymentMethod.GATEWAY:
        raise MotCuaError("unknown_method", _("Choose how the fee was paid: cash, card, transfer or on delivery."),
                          location="method")
    if method == PaymentMethod.CARD and not reference.strip():
        raise MotCuaError("card_reference_required", _("Give the reference printed on the card terminal's slip."),
                          location="reference")
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).select_related("version").filter(code=code).first()
        if dossier is None:
            raise DossierNotFound(code)
        if key:  # a racing twin of this submission committed while this one waited for the lock
            existing = _replay(key, code)
            if existing is not None:
                return existing
        if point_id is not None:
            if point_id not in selectors.collection_points(dossier):
                raise Forbidden("not_collecting_point", _(
                    "Dossier %(code)s's fee is collected at its receiving point or where its result is returned."),
                    {"code": dossier.code})
            if not actor.roles_at(point_id) & {Role.RECEPTION, Role.POSTAL}:
                raise Forbidden("not_front_staff",
                                _("Only reception or postal staff of this point record payments."))
        due = selectors.amount_due(dossier)
        if due == 0:
            raise PaymentRefused("nothing_due", _("Nothing is due on dossier %(code)s."), {"code": dossier.code})
        if amount != due:
            raise PaymentRefused("amount_not_due", _("%(amount)s đ is not what dossier %(code)s owes (%(due)s đ)."),
                                 {"amount": vnd(amount), "code": dossier.code, "due": vnd(due)}, "amount")
        payment = Payment.objects.create(
            dossier=dossier, amount=amount, lines=_quoted_lines(dossier, due), order_ref=new_order_ref(now),
            gateway="", method=method, point_id=point_id, collected_by_id=actor.user_id,
            reference=reference.strip()[:100], client_key=key or None, status=PaymentStatus.PAID, created_at=now,
            expires_at=now, paid_at=now, receipt_number=receipts.next_number(now.astimezone(VN_TZ).year),
        )
        record_fee_event(dossier, EventKind.PAYMENT, amount=amount, actor=actor, at=now, agency_id=point_id,
                         data={"amount": amount, "receipt_number": payment.receipt_number, "method": method,
                               "reference": payment.reference, "order_ref": payment.order_ref, "paid_at": now})
    return payment


def collect(*, code: str, actor: Actor, method: str, amount: int, reference: str = "", key: str = "",
            now: datetime | None = None) -> Payment:
    """Cash or card taken by a reception officer or postal staff member (the counter form, the API): at the
    collection point of the dossier that is theirs (``selectors.collecting_point``). A dossier they cannot see
    is not found (404); one they see without being front staff of its collection points is refused (403)."""
    dossier = visible(actor).filter(code=code).only("pk", "code", "receiving_agency_id", "plan").first()
    if dossier is None:
        raise DossierNotFound(code)
    point = selectors.collecting_point(actor, dossier)
    if point is None:
        raise Forbidden("not_front_staff", _("Only reception or postal staff of this point record payments."))
    if method not in (PaymentMethod.CASH, PaymentMethod.CARD):
        raise MotCuaError("counter_method", _("At a counter or post point the fee is paid in cash or by card."),
                          location="method")
    return record_collection(code=code, method=method, amount=amount, actor=actor, point_id=point,
                             reference=reference, key=key, now=now)


def recorded(key: str) -> Payment | None:
    """The collection already recorded with one-time ``key``, if any (an API retry answers 200, not 201)."""
    return Payment.objects.filter(client_key=key[:100]).first() if key else None


def _replay(key: str, code: str) -> Payment | None:
    """The payment already recorded with ``key``; a key reused for another dossier is refused (409)."""
    existing = Payment.objects.select_related("dossier").filter(client_key=key).first()
    if existing is not None and existing.dossier.code != code:
        raise PaymentRefused("key_reused", _("This one-time key was already used for another dossier's payment."),
                             location="key")
    return existing


def _quoted_lines(dossier: Dossier, due: int) -> list[dict[str, Any]]:
    """The fee lines a receipt prints for ``due``: the quoted lines, or one line when an adjustment intervened."""
    quoted = selectors.fee_lines(dossier)
    lines = [{"name": line.name + (f" × {line.quantity}" if line.quantity != 1 else ""), "amount": line.amount,
              "due": line.due, "exemption": line.exemption} for line in quoted]
    if sum(line.due for line in quoted) != due:
        lines = [{"name": "Phí, lệ phí hồ sơ", "amount": due, "due": due, "exemption": ""}]
    return lines
