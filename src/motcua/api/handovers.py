"""``/api/v1/handovers``: hand-over records between a post point and an agency (``postal.services.handover``),
for the post's and the agencies' own systems. Scoped like the pages: the giving and the receiving side's staff see
a record, others get a 404; what each side may do is the services' to decide (403, 409 with a stable code)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router
from ninja import Status as Reply
from pydantic import BaseModel, ConfigDict, Field

from motcua.api.auth import BearerToken, SessionCookie
from motcua.api.schemas import ERRORS
from motcua.core.errors import NotFound
from motcua.dossiers.actors import Actor
from motcua.postal.models import HandoverBatch, HandoverItem
from motcua.postal.selectors import handover as selectors
from motcua.postal.services import handover as services

router = Router(tags=["handovers"], auth=[BearerToken(), SessionCookie()])

DirectionName = Literal["to_agency", "to_post"]
MethodName = Literal["screen", "certificate"]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HandoverIn(In):
    direction: DirectionName
    giver: str = Field(description="Identifier code of the handing-over agency (a post point for to_agency)")
    receiver: str = Field(description="Identifier code of the receiving agency (a post point for to_post)")
    codes: list[str] = Field(default_factory=list, max_length=2000, description="Dossier codes to list")
    note: str = Field(default="", max_length=500)


class SignIn(In):
    method: MethodName = "screen"
    pin: str = Field(default="", max_length=64, description="The PIN of the signer's certificate (certificate)")
    note: str = Field(default="", max_length=300, description="The receiver's note at closing")


class ScanIn(In):
    code: str = Field(max_length=60, description="The dossier code on the package, as scanned or typed")


class HandoverItemOut(BaseModel):
    code: str
    state: Literal["listed", "received", "missing", "extra"]
    originals: int
    copies: int
    fee: int
    confirmed_at: datetime | None


class HandoverOut(BaseModel):
    id: int
    number: str
    direction: DirectionName
    giver: str
    receiver: str
    status: Literal["open", "sent", "confirmed", "confirmed_with_discrepancies"]
    items: int
    received: int
    missing: int
    extra: int
    fees_total: int
    opened_at: datetime
    giver_signed_at: datetime | None
    giver_signer: str
    giver_method: str
    receiver_signed_at: datetime | None
    receiver_signer: str
    receiver_method: str


class HandoverDetailOut(HandoverOut):
    item_list: list[HandoverItemOut]


class HandoverPage(BaseModel):
    items: list[HandoverOut]
    limit: int
    offset: int
    has_more: bool


class ConfirmationOut(BaseModel):
    outcome: Literal["received", "already", "extra", "extra_again"]
    item: HandoverItemOut
    handover: HandoverOut


class PageIn(BaseModel):
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=100_000)  # beyond: a database integer overflow, not a page


def _actor(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user)


def _item(item: HandoverItem) -> dict[str, Any]:
    return {"code": item.code, "state": item.state, "originals": item.originals, "copies": item.copies,
            "fee": item.fee, "confirmed_at": item.confirmed_at}


def _batch(batch: HandoverBatch) -> dict[str, Any]:
    return {
        "id": batch.pk, "number": batch.number, "direction": batch.direction, "giver": batch.giver.identifier_code,
        "receiver": batch.receiver.identifier_code, "status": batch.status, "items": batch.item_count,
        "received": batch.received_count, "missing": batch.missing_count, "extra": batch.extra_count,
        "fees_total": batch.fees_total, "opened_at": batch.opened_at, "giver_signed_at": batch.giver_signed_at,
        "giver_signer": batch.giver_signer_name, "giver_method": batch.giver_method,
        "receiver_signed_at": batch.receiver_signed_at, "receiver_signer": batch.receiver_signer_name,
        "receiver_method": batch.receiver_method,
    }


def _detail(actor: Actor, pk: int) -> dict[str, Any]:
    batch = selectors.batch_for(actor, pk)
    return {**_batch(batch), "item_list": [_item(item) for item in selectors.batch_items(batch)]}


def _agency(code: str, location: str) -> int:
    found = selectors.agency_id(code)
    if found is None:
        raise NotFound("agency_not_found", _("No agency has the code %(code)s."), {"code": code[:30]}, location)
    return found


@router.get("", response={200: HandoverPage, **ERRORS}, operation_id="list_handovers",
            summary="Hand-over records of the caller's agencies, newest first")
def list_handovers(request: HttpRequest, params: Query[PageIn]) -> dict[str, Any]:
    rows = selectors.batches_for(_actor(request), start=params.offset, count=params.limit + 1)
    return {"items": [_batch(b) for b in rows[: params.limit]], "limit": params.limit, "offset": params.offset,
            "has_more": len(rows) > params.limit}


@router.post("", response={201: HandoverDetailOut, **ERRORS}, operation_id="open_handover",
             summary="Prepare a hand-over record (giving side)")
def open_handover(request: HttpRequest, payload: HandoverIn) -> Reply:
    actor = _actor(request)
    batch = services.open_batch(actor=actor, direction=payload.direction, giver_id=_agency(payload.giver, "giver"),
                                receiver_id=_agency(payload.receiver, "receiver"), codes=payload.codes,
                                note=payload.note)
    return Reply(201, _detail(actor, batch.pk))


@router.get("/{pk}", response={200: HandoverDetailOut, **ERRORS}, operation_id="get_handover",
            summary="One hand-over record with its items")
def get_handover(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _detail(_actor(request), pk)


@router.post("/{pk}/send", response={200: HandoverDetailOut, **ERRORS}, operation_id="send_handover",
             summary="Sign and send the record (giving side)")
def send_handover(request: HttpRequest, pk: int, payload: SignIn) -> dict[str, Any]:
    actor = _actor(request)
    services.send_batch(pk, actor=actor, method=payload.method, pin=payload.pin)
    return _detail(actor, pk)


@router.post("/{pk}/confirm", response={200: ConfirmationOut, **ERRORS}, operation_id="confirm_handover_item",
             summary="Confirm one package by its dossier code (receiving side)")
def confirm_item(request: HttpRequest, pk: int, payload: ScanIn) -> dict[str, Any]:
    """``received`` (listed, confirmed now), ``already`` (confirmed before: counted once), ``extra`` (not on the
    record: flagged) or ``extra_again``. 409 ``batch_not_sent`` / ``batch_already_confirmed``."""
    actor = _actor(request)
    done = services.confirm_item(pk, actor=actor, code=payload.code)
    return {"outcome": done.outcome, "item": _item(done.item), "handover": _batch(selectors.batch_for(actor, pk))}


@router.post("/{pk}/close", response={200: HandoverDetailOut, **ERRORS}, operation_id="close_handover",
             summary="Close and sign the record (receiving side): unconfirmed items become missing")
def close_handover(request: HttpRequest, pk: int, payload: SignIn) -> dict[str, Any]:
    actor = _actor(request)
    services.close_batch(pk, actor=actor, method=payload.method, pin=payload.pin, note=payload.note)
    return _detail(actor, pk)
