"""Refunds: money paid back for a dossier that does not owe it (refused or withdrawn, or a ``refund_due`` payment
the gateway took after the dossier stopped owing it).

:func:`refund` works in three moments so that no row lock is held while a gateway is called:

1. with the payment's row locked, the checks (who, which dossier, how much is left) and the :class:`Refund`
   row, ``requested``: from then on it counts as given back, so a concurrent second request finds nothing left;
2. for ``method="gateway"``, the gateway's refund API over HTTP (``Gateway.refund``), outside any transaction;
3. with the dossier's row locked, the outcome: ``done`` (a refund receipt number ``HT-<year>-<6 digits>`` from
   its own gap-free counter, and the dossier's ``refund`` event) or ``failed`` (nothing given back; asked again,
   with a new key, it is tried again).

Cash and transfer refunds are done at once: the officer records money handed back or a transfer made.
The same ``key`` asked twice returns the first refund; nothing left to refund is a 409, never a second refund.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Role
from motcua.core.calendar import VN_TZ
from motcua.core.errors import MotCuaError, NotFound
from motcua.core.formats import vnd
from motcua.core.web import site_root
from motcua.dossiers.actors import Actor
from motcua.dossiers.machine import Forbidden
from motcua.dossiers.models import Dossier, DossierAgency
from motcua.dossiers.services.fees import record_fee_event
from motcua.dossiers.statuses import EventKind
from motcua.payments import receipts, selectors
from motcua.payments.gateways import RefundAnswer, get_gateway
from motcua.payments.models import Payment, PaymentMethod, PaymentStatus, Refund, RefundMethod, RefundStatus

log = logging.getLogger(__name__)


class RefundRefused(MotCuaError):
    status = 409


FRONT = frozenset({Role.RECEPTION, Role.POSTAL})


def may_refund(actor: Actor, dossier: Dossier) -> bool:
    """Front staff (reception, postal) of the dossier's receiving point, or a leader of an agency involved."""
    if actor.roles_at(dossier.receiving_agency_id) & FRONT:
        return True
    leading = actor.agencies_with(Role.LEADER)
    return bool(leading) and DossierAgency.objects.filter(dossier=dossier, agency_id__in=leading).exists()


def _pick(dossier: Dossier, payment_id: int | None, amount: int) -> Payment:
    """The payment to refund ``amount`` of: the one named, or the dossier's first with enough left."""
    rows = selectors.refund_rows(dossier)
    if payment_id is not None:
        rows = [row for row in rows if row.payment.pk == payment_id]
        if not rows:
            raise RefundRefused("not_refundable", _(
                "This payment is not refundable: only a refused or withdrawn dossier's fees, or money taken "
                "after the dossier stopped owing it, are refunded."), location="payment")
    left = sum(row.left for row in rows)
    if not rows:
        raise RefundRefused("not_refundable", _(
            "Nothing of dossier %(code)s is refundable: only a refused or withdrawn dossier's fees, or money taken "
            "after the dossier stopped owing it, are refunded."), {"code": dossier.code})
    if left == 0:
        raise RefundRefused("already_refunded", _("Everything paid for dossier %(code)s is refunded already."),
                            {"code": dossier.code})
    for row in rows:
        if row.left >= amount:
            return row.payment
    raise RefundRefused("refund_too_large", _(
        "%(amount)s đ is more than what is left to refund (%(left)s đ) of what was paid for dossier %(code)s."),
        {"amount": vnd(amount), "left": vnd(max(row.left for row in rows)), "code": dossier.code}, "amount")


def refund(
    *, amount: int, method: str, actor: Actor, reason: str, payment_id: int | None = None, code: str = "",
    key: str = "", point_id: int | None = None, reference: str = "", site_url: str = "", client_ip: str = "",
    now: datetime | None = None,
) -> Refund:
    """Refund ``amount`` đ of payment ``payment_id`` (or of dossier ``code``'s refundable payments) by ``method``
    (``gateway``: the gateway's refund call; ``cash``; ``transfer`` with its ``reference``) for ``reason``.

    Refused: 404 for a dossier ``actor`` may not see; 403 unless front staff of the receiving point or a leader;
    409 when the dossier owes the money, when ``amount`` is more than what is left, or nothing is left.
    ``key`` (the form's one-time token): the same refund asked twice returns the first.
    """
    now = now or timezone.now()
    if key:
        existing = Refund.objects.filter(client_key=key).select_related("payment__dossier").first()
        if existing is not None:
            if payment_id is not None and existing.payment_id != payment_id or (
                    code and existing.payment.dossier.code != code):
                raise RefundRefused("key_reused", _("This form was already used for another refund."))
            return existing
    if method not in RefundMethod.values:
        raise MotCuaError("unknown_method", _("Choose how the money is given back: gateway, cash or transfer."),
                          location="method")
    if amount <= 0:
        raise MotCuaError("amount_required", _("Enter the amount to refund."), location="amount")
    reason = reason.strip()
    if not reason:
        raise MotCuaError("reason_required", _("Say why the money is refunded."), location="reason")
    if point_id is not None and not actor.roles_at(point_id) & FRONT:
        raise Forbidden("not_front_staff", _("Only reception or postal staff of this point hand money back."))
    with transaction.atomic():
        dossier = _dossier(actor, payment_id, code)
        if not may_refund(actor, dossier):
            raise Forbidden("not_refund_staff", _(
                "Only reception or postal staff of the receiving point, or a leader, refund fees."))
        if key and (first := Refund.objects.filter(client_key=key).first()) is not None:
            return first  # the same form sent twice at once: the second waited for the first's lock
        payment = _pick(dossier, payment_id, amount)
        Payment.objects.select_for_update().filter(pk=payment.pk).first()  # serializes refunds of the payment
        left = payment.amount - selectors.refunded_total(payment)
        if left == 0:
            raise RefundRefused("already_refunded", _("Everything paid for dossier %(code)s is refunded already."),
                                {"code": dossier.code})
        if amount > left:
            raise RefundRefused("refund_too_large", _(
                "%(amount)s đ is more than what is left to refund (%(left)s đ) of what was paid for dossier "
                "%(code)s."), {"amount": vnd(amount), "left": vnd(left), "code": dossier.code}, "amount")
        if method == RefundMethod.GATEWAY and (payment.method != PaymentMethod.GATEWAY or
                                               not payment.gateway_transaction):
            raise RefundRefused("not_through_gateway", _(
                "This payment did not go through the payment gateway: refund it in cash or by transfer."),
                location="method")
        if method == RefundMethod.CASH and point_id is None:
            point_id = dossier.receiving_agency_id if actor.roles_at(dossier.receiving_agency_id) & FRONT else None
        item = Refund.objects.create(
            payment=payment, amount=amount, method=method, reason=reason[:500], point_id=point_id,
            requested_by_id=actor.user_id, requested_by_name=actor.name[:200], requested_at=now,
            gateway_transaction=reference[:64], client_key=key or None,
        )
    if method == RefundMethod.GATEWAY:
        answer = _call_gateway(payment, item, actor, site_url, client_ip, now)
    else:
        answer = RefundAnswer(succeeded=True, transaction_no=reference[:64])
    return _settle(item, answer, actor, timezone.now() if method == RefundMethod.GATEWAY else now)


def _dossier(actor: Actor, payment_id: int | None, code: str) -> Dossier:
    """The dossier (row locked) of the payment or code, if ``actor`` may see it."""
    from motcua.dossiers.selectors import visible

    query = Dossier.objects.select_for_update(of=("self",))
    if payment_id is not None:
        query = query.filter(payments__pk=payment_id)
    if code:
        query = query.filter(code=code)
    found = query.first() if payment_id is not None or code else None
    if found is None or not visible(actor).filter(pk=found.pk).exists():
        raise NotFound("dossier_not_found", _("No dossier has the code %(code)s."), {"code": code[:60]})
    return found


def _call_gateway(payment: Payment, item: Refund, actor: Actor, site_url: str, client_ip: str,
                  now: datetime) -> RefundAnswer:
    gateway = get_gateway(payment.gateway)
    url = gateway.refund_url()
    if url.startswith("/"):
        url = f"{(site_url or site_root()).rstrip('/')}{url}"
    return gateway.refund(payment, item.amount, request_id=f"HT{item.pk:010d}{now:%H%M%S}", actor_name=actor.name,
                          client_ip=client_ip, now=now, gateway_url=url)


def _settle(item: Refund, answer: RefundAnswer, actor: Actor, now: datetime) -> Refund:
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).get(payments__pk=item.payment_id)
        item = Refund.objects.select_for_update().select_related("payment").get(pk=item.pk)
        if item.status != RefundStatus.REQUESTED:
            return item
        item.response_code = answer.response_code
        if not answer.succeeded:
            item.status = RefundStatus.FAILED
            item.save(update_fields=["status", "response_code"])
            log.warning("refund %s of payment %s (dossier %s) failed: %s", item.pk, item.payment.order_ref,
                        dossier.code, answer.problem)
            return item
        item.status = RefundStatus.DONE
        item.done_at = now
        item.gateway_transaction = answer.transaction_no or item.gateway_transaction
        item.receipt_number = receipts.next_refund_number(now.astimezone(VN_TZ).year)
        item.save(update_fields=["status", "response_code", "done_at", "gateway_transaction", "receipt_number"])
        # the dossier's fee paid goes down by what was given back, except for money it never owed (refund_due)
        record_fee_event(dossier, EventKind.REFUND, amount=item.amount, actor=actor if actor.user_id else actor.name,
                         at=now, agency_id=item.point_id, counted=item.payment.status != PaymentStatus.REFUND_DUE,
                         data={"amount": item.amount, "method": item.method, "receipt_number": item.receipt_number,
                               "order_ref": item.payment.order_ref, "transaction": item.gateway_transaction,
                               "reason": item.reason})
    return item


def exists(key: str) -> bool:
    """Whether a refund was already asked with ``key``."""
    return Refund.objects.filter(client_key=key).exists()
