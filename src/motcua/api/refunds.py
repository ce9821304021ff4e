"""``POST /api/v1/dossiers/{code}/refunds``: refund (part of) the fee of a refused or withdrawn dossier, or money
the gateway took when the dossier no longer owed it (``payments.refunds``), for staff with a token or a session.

A retry with the same ``Idempotency-Key`` header returns the first refund (200) instead of a second one (201).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Router
from ninja import Status as Reply
from pydantic import BaseModel, ConfigDict, Field

from motcua.api.auth import BearerToken, SessionCookie
from motcua.api.schemas import ERRORS, Out
from motcua.core.web import client_ip, site_root
from motcua.dossiers.actors import Actor
from motcua.payments import refunds
from motcua.payments.models import Refund

router = Router(tags=["payments"], auth=[BearerToken(), SessionCookie()])


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int = Field(gt=0, description="đồng")
    method: Literal["gateway", "cash", "transfer"]
    reason: str = Field(min_length=1, max_length=500)
    payment: int | None = Field(None, description="the payment to refund (default: the dossier's first with enough "
                                                  "left)")
    reference: str = Field("", max_length=64, description="the transfer's reference (method transfer)")


class RefundOut(Out):
    id: int
    amount: int
    method: str
    status: str
    reason: str
    receipt_number: str | None
    gateway_transaction: str
    payment_order_ref: str
    requested_at: datetime
    done_at: datetime | None


def _out(item: Refund) -> dict[str, object]:
    return {"id": item.pk, "amount": item.amount, "method": item.method, "status": item.status,
            "reason": item.reason, "receipt_number": item.receipt_number,
            "gateway_transaction": item.gateway_transaction, "payment_order_ref": item.payment.order_ref,
            "requested_at": item.requested_at, "done_at": item.done_at}


@router.post("/{code}/refunds", response={200: RefundOut, 201: RefundOut, **ERRORS}, operation_id="refund_fee",
             summary="Refund a refused or withdrawn dossier's fee (gateway, cash or transfer)")
def refund(request: HttpRequest, code: str, payload: RefundIn) -> Reply:
    """403: neither front staff of the receiving point nor a leader; 409: the dossier owes its fee, more than
    what is left to refund, or nothing left. A gateway refund that the gateway refuses is answered with status
    ``failed`` (nothing given back)."""
    key = request.headers.get("Idempotency-Key", "")[:90]
    scoped = f"api:{request.user.pk}:{key}" if key else ""
    existed = bool(scoped) and refunds.exists(scoped)
    item = refunds.refund(code=code, payment_id=payload.payment, amount=payload.amount, method=payload.method,
                          actor=Actor.for_user(request.user), reason=payload.reason, reference=payload.reference,
                          key=scoped, site_url=site_root(request), client_ip=client_ip(request))
    return Reply(200 if existed else 201, _out(item))
