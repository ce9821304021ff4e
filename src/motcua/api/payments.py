"""``POST /api/v1/dossiers/{code}/payments``: a fee collected in cash or by card at a counter or post point, for
counter clients (queue kiosks, the post's terminals). The endpoint translates HTTP to
``payments.services.collect`` and back; a retry with the same ``Idempotency-Key`` header (or ``key`` field)
returns the first payment (200) instead of collecting twice."""

from __future__ import annotations

from typing import Annotated, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router
from ninja import Status as Reply
from pydantic import BaseModel, ConfigDict, Field

from motcua.api.dossiers import AUTH
from motcua.api.schemas import ERRORS, Out
from motcua.dossiers.actors import Actor
from motcua.payments import services
from motcua.payments.models import Payment

router = Router(tags=["payments"], auth=AUTH)


class CollectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["cash", "card"]
    amount: Annotated[int, Field(ge=1, description="VND; must be exactly what is due")]
    reference: Annotated[str, Field(max_length=100, description="The card terminal slip's reference (card)")] = ""
    key: Annotated[str, Field(max_length=100, description="One-time key (or the Idempotency-Key header)")] = ""


class PaymentOut(Out):
    receipt_number: str
    amount: int
    method: str
    paid_at: str
    point: str = Field(description="The identifier code of the collection point")
    reference: str
    receipt_url: str = Field(description="The signed e-receipt (PDF)")


def _out(payment: Payment) -> dict[str, object]:
    assert payment.receipt_number and payment.paid_at
    return {"receipt_number": payment.receipt_number, "amount": payment.amount, "method": payment.method,
            "paid_at": payment.paid_at.isoformat(), "point": payment.point.identifier_code if payment.point else "",
            "reference": payment.reference,
            "receipt_url": reverse("payments:receipt", args=[payment.receipt_number])}


@router.post("/{code}/payments", response={200: PaymentOut, 201: PaymentOut, **ERRORS}, operation_id="collect_fee",
             summary="Record a fee paid in cash or by card at a counter or post point")
def collect(request: HttpRequest, code: str, payload: CollectionIn) -> Reply:
    """409 ``amount_not_due`` when the amount is not what is due, ``nothing_due`` when nothing is; 404 for a
    dossier the caller cannot see; 403 for staff who are not front staff of its collection points."""
    key = request.headers.get("Idempotency-Key", "") or payload.key
    actor = Actor.for_user(request.user)
    before = services.recorded(key) if key else None
    payment = services.collect(code=code, actor=actor, method=payload.method, amount=payload.amount,
                               reference=payload.reference, key=key)
    return Reply(200 if before is not None else 201, _out(payment))
