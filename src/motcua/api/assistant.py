"""``/api/v1/assistant``: the virtual assistant for other front ends (a chat widget, a kiosk): public, throttled per
client address, no personal data kept. The same answers as the page ``/tro-ly/`` (``assistant.services``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja import Router
from pydantic import BaseModel, Field

from motcua.api.schemas import PUBLIC_ERRORS, ErrorOut, Out
from motcua.assistant.models import AnswerStatus, AskChannel
from motcua.assistant.services import ask
from motcua.core.errors import TooManyRequests
from motcua.core.web import public_url, throttle

router = Router(tags=["assistant"])


class AssistantQuestionIn(BaseModel):
    question: str = Field(max_length=20000, description="The question, in Vietnamese (with or without diacritics) "
                          "or English; more than 500 characters is answered with the status refused.")
    commune: str = Field("", max_length=10, description="The code of the citizen's commune or ward, to be told "
                         "the nearest service point (empty: the provincial center).")
    counter: str = Field("", max_length=20, description="The identifier code of the service point the question "
                         "is asked at (its QR code).")


class AssistantMatchOut(Out):
    code: str
    name: str
    score: float
    url: str


class AssistantDocumentOut(Out):
    name: str
    originals: int
    copies: int
    required: bool


class AssistantFeeOut(Out):
    name: str
    amount: int
    label: str
    note: str


class AssistantPlaceOut(Out):
    code: str
    name: str
    address: str
    hotline: str
    opening_hours: str
    post_office: bool


class AssistantCardOut(Out):
    code: str
    name: str
    field: str
    level: str
    processing_days: str
    documents: list[AssistantDocumentOut]
    fees: list[AssistantFeeOut]
    fee_total: int | None = Field(description="What the fee items come to (đồng); null when it depends on the case "
                                  "(items that are alternatives of different amounts): see fee_min and fee_max.")
    fee_min: int = Field(description="The least the fees come to (the cheapest of each alternative).")
    fee_max: int = Field(description="The most the fees come to (the dearest of each alternative).")
    fee_total_label: str = Field(description="The amount, a range depending on the case, free (fee items listed, "
                                 "all 0) or none listed in the catalogue, as the page says it.")
    channels: list[str]
    deliveries: list[str]
    online: bool
    boundary_free: bool
    places: list[AssistantPlaceOut]
    summary: str
    rephrased: bool
    url: str
    submit_url: str | None


class AssistantAnswerOut(Out):
    """``answered`` with the card of the best procedure (every fact from the catalogue); ``not_sure`` with the
    hotline (and procedures that may be related); ``refused`` (too long, abusive) or ``empty`` with a message."""

    status: str = Field(json_schema_extra={"enum": list(AnswerStatus.values)})
    question: str
    message: str
    language: str
    note: str
    matches: list[AssistantMatchOut]
    card: AssistantCardOut | None
    hotline: str


@router.post("/ask", response={200: AssistantAnswerOut, **PUBLIC_ERRORS, 429: ErrorOut}, operation_id="ask_assistant",
             summary="Ask the virtual assistant a question about procedures")
def ask_assistant(request: HttpRequest, body: AssistantQuestionIn) -> dict[str, Any]:
    wait = throttle(request, "assistant", limit=settings.MOTCUA_ASSISTANT_LIMIT_PER_MINUTE, window=60)
    if wait:
        raise TooManyRequests(wait)
    answer = ask(body.question, channel=AskChannel.API, commune=body.commune, counter=body.counter)
    data = asdict(answer)
    for match in data["matches"]:
        match["url"] = public_url(reverse("portal:procedure", args=[match["code"]]), request)
    if answer.card is not None:
        card = data["card"]
        card["processing_days"] = answer.card.processing_days
        card["url"] = public_url(reverse("portal:procedure", args=[answer.card.code]), request)
        card["submit_url"] = (public_url(reverse("portal:wizard_start", args=[answer.card.code]), request)
                              if answer.card.online else None)
    return data
