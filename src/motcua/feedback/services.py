"""Writes of the feedback app: ratings from the three channels, petitions and their answers.

Every function takes keyword-only arguments and runs in one transaction; refusals are :class:`MotCuaError`s with
a stable code, so pages and the API show the same messages. The rules:

- an account rating is given by the dossier's applicant account (``Dossier.applicant_user``), once the result was
  returned;
- a receipt survey needs a token signed by :mod:`motcua.feedback.tokens`;
- a dossier is rated once, from the account or from its receipt (:class:`AlreadyRated`; the unique constraint
  decides between two tabs or two channels submitting at the same moment);
- a counter survey needs no login; one answer per client address and counter per
  ``FEEDBACK_COUNTER_THROTTLE_SECONDS`` (10 minutes), counted in the shared cache so every web process agrees;
- a petition needs a phone number or an email to answer to; it is published only with the sender's consent and
  once answered; each answer and publication is recorded (:class:`PetitionEvent`), and the sender is told of the
  answer through :func:`motcua.notifications.services.notify` after the transaction commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Agency, Counter
from motcua.core import identity, throttles
from motcua.core.calendar import VN_TZ
from motcua.core.counters import take_next
from motcua.core.errors import MotCuaError, NotFound, ValidationFailed
from motcua.core.web import public_url
from motcua.dossiers.actors import Actor
from motcua.dossiers.codes import is_code
from motcua.dossiers.models import Dossier
from motcua.dossiers.statuses import Status
from motcua.feedback import selectors, tokens
from motcua.feedback.models import (
    BODY_MAX,
    COMMENT_MAX,
    Petition,
    PetitionCounter,
    PetitionEvent,
    PetitionKind,
    PetitionStatus,
    Rating,
    RatingChannel,
)
from motcua.notifications.services import notify

DEFAULT_THROTTLE_SECONDS = 600


class Refused(MotCuaError):
    """The request is understood but the state forbids it (already rated, not returned yet, no consent)."""

    status = 409


class AlreadyRated(Refused):
    """The dossier was rated already (from the applicant's account, Zalo or the QR code on its receipt: the text
    names no channel, as the one asking may have used another)."""

    def __init__(self) -> None:
        super().__init__("already_rated", _("This dossier has already been rated; each dossier is rated once. "
                                            "Thank you!"))


class Throttled(MotCuaError):
    status = 429


@dataclass(frozen=True)
class Answers:
    """One survey's answers: the score 1–5 and, optionally, three yes/no answers (``None``: not answered)."""

    score: int | None
    guidance_clear: bool | None = None
    staff_courteous: bool | None = None
    on_time: bool | None = None
    comment: str = ""


def check_answers(answers: Answers) -> None:
    errors: list[MotCuaError] = []
    if answers.score is None or not 1 <= answers.score <= 5:
        errors.append(MotCuaError("score_required", _("Choose a score from 1 to 5."), location="score"))
    if len(answers.comment) > COMMENT_MAX:
        errors.append(MotCuaError("comment_too_long", _("The comment is too long (at most %(max)s characters)."),
                                  {"max": COMMENT_MAX}, "comment"))
    if errors:
        raise ValidationFailed(errors)


def _rating(answers: Answers, **fields: Any) -> Rating:
    assert answers.score is not None
    return Rating(score=answers.score, guidance_clear=answers.guidance_clear,
                  staff_courteous=answers.staff_courteous, on_time=answers.on_time,
                  comment=answers.comment.strip(), **fields)


def _save_once(rating: Rating) -> Rating:
    """Insert a dossier's rating, which the unique constraint allows once per dossier (both channels together):
    of two attempts at the same moment, the second gets :class:`AlreadyRated`, not a server error."""
    if selectors.rated(rating.dossier_id):
        raise AlreadyRated
    try:
        with transaction.atomic():
            rating.save(force_insert=True)
    except IntegrityError:
        raise AlreadyRated from None
    return rating


# --- ratings ---------------------------------------------------------------------------------------------


def rate_dossier(*, user: Any, dossier_code: str, answers: Answers, now: datetime | None = None) -> Rating:
    """The applicant's rating of a returned dossier, from their account. Others' dossiers are "not found"."""
    dossier = selectors.own_dossier(user, dossier_code)
    if dossier is None:
        raise NotFound("dossier_not_found", _("No dossier has the code %(code)s."), {"code": dossier_code[:60]})
    if dossier.status != Status.RETURNED:
        raise Refused("not_returned_yet", _("You can rate the service once the result has been returned to you."))
    check_answers(answers)
    with transaction.atomic():
        return _save_once(
            _rating(answers, channel=RatingChannel.ACCOUNT, dossier=dossier, agency_id=dossier.receiving_agency_id,
                    counter_id=dossier.counter_id, user=user, created_at=now or timezone.now()),
        )


def client_key(address: str, counter: Counter) -> str:
    """The throttle's cache key: a hash, so the cache never holds a client's address."""
    digest = hashlib.sha256(f"{settings.SECRET_KEY}|{address}|{counter.pk}".encode()).hexdigest()[:32]
    return f"motcua:feedback:counter:{digest}"


def rate_at_counter(*, agency_code: str, counter_number: int, answers: Answers, client: str, address: str = "",
                    now: datetime | None = None) -> Rating:
    """An anonymous one-minute survey from the QR code of a counter.

    ``client`` identifies the browser (its session): one answer per browser and counter per throttle period.
    ``address`` is the caller's network address: citizens in a center share its Wi-Fi, so an address may send
    many answers, up to ``FEEDBACK_COUNTER_ADDRESS_LIMIT`` per counter and period (a flood stops there)."""
    counter = selectors.counter(agency_code, counter_number)
    if counter is None:
        raise NotFound("counter_not_found", _("This counter does not exist."))
    check_answers(answers)
    seconds = int(getattr(settings, "FEEDBACK_COUNTER_THROTTLE_SECONDS", DEFAULT_THROTTLE_SECONDS))
    key = client_key(client, counter)
    limit = int(getattr(settings, "FEEDBACK_COUNTER_ADDRESS_LIMIT", 30))
    flood = client_key(f"address:{address}", counter)
    if address and throttles.hit(flood, seconds)[0] > limit:
        raise Throttled("survey_flood", _("Too many answers from this network for now. Please try again later."))
    if not cache.add(key, 1, timeout=seconds):
        raise Throttled("survey_throttled", _("Thank you, your answer for this counter was already recorded. "
                                              "You can answer again in %(minutes)s minutes."),
                        {"minutes": max(1, seconds // 60)})
    try:
        with transaction.atomic():
            rating = _rating(answers, channel=RatingChannel.COUNTER_QR, agency_id=counter.agency_id,
                             counter=counter, created_at=now or timezone.now())
            rating.save(force_insert=True)
    except Exception:
        cache.delete(key)  # nothing was recorded: let the client try again
        raise
    return rating


def receipt_dossier(token: str) -> Dossier:
    """The dossier of a receipt survey token; tampered or unknown tokens are "not found"."""
    code = tokens.dossier_code_of(token)
    dossier = Dossier.objects.filter(code=code).first() if code else None
    if dossier is None or dossier.received_at is None:
        raise NotFound("survey_not_found", _("This survey link is not valid. Scan the QR code on your receipt "
                                             "again."))
    return dossier


def rate_receipt(*, token: str, answers: Answers, now: datetime | None = None) -> Rating:
    """The one-minute survey printed on a receipt: no login, one answer per receipt."""
    dossier = receipt_dossier(token)
    check_answers(answers)
    with transaction.atomic():
        return _save_once(
            _rating(answers, channel=RatingChannel.RECEIPT_QR, dossier=dossier,
                    agency_id=dossier.receiving_agency_id, counter_id=dossier.counter_id,
                    created_at=now or timezone.now()),
        )


# --- petitions -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PetitionIn:
    kind: str
    subject: str
    body: str
    agency: str  # the agency's identifier code
    sender_name: str
    phone: str = ""
    email: str = ""
    dossier_code: str = ""
    consent_to_publish: bool = False


def _check_petition(data: PetitionIn) -> tuple[Agency | None, list[MotCuaError]]:
    errors: list[MotCuaError] = []
    required = _("This value is required.")
    if data.kind not in PetitionKind.values:
        errors.append(MotCuaError("kind_required", _("Choose feedback or petition."), location="kind"))
    for name, limit in (("subject", 200), ("body", BODY_MAX), ("sender_name", 200)):
        value = getattr(data, name).strip()
        if not value:
            errors.append(MotCuaError("required", required, location=name))
        elif len(value) > limit:
            errors.append(MotCuaError("too_long", _("This text is too long (at most %(max_length)s characters)."),
                                      {"max_length": limit}, name))
    agency = selectors.public_agency(data.agency) if data.agency else None
    if agency is None:
        errors.append(MotCuaError("agency_required", _("Choose the agency concerned."), location="agency"))
    phone, email = data.phone.strip(), data.email.strip()
    if not phone and not email:
        errors.append(MotCuaError("contact_required", _("Give a phone number or an email address so that the "
                                                        "answer can reach you."), location="phone"))
    if phone and not identity.is_phone(phone):
        errors.append(MotCuaError("invalid_phone", _("%(value)s is not a phone number."), {"value": phone[:30]},
                                  "phone"))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(MotCuaError("invalid_email", _("%(value)s is not an email address."),
                                      {"value": email[:80]}, "email"))
    code = data.dossier_code.strip()
    if code and not is_code(code):
        errors.append(MotCuaError(
            "invalid_dossier_code", _("%(code)s is not a dossier code (it looks like 000.01.20.H22-250701-0001)."),
            {"code": code[:60]}, "dossier_code"))
    return agency, errors


def next_petition_code(now: datetime) -> str:
    """``PAKN-<year>-<6 digits>``, the year's running number; must run inside the creating transaction (the
    counter row's lock serializes concurrent senders, and a rollback gives the number back)."""
    year = now.astimezone(VN_TZ).year
    return f"PAKN-{year}-{take_next(PetitionCounter, year=year):06d}"


def submit_petition(*, data: PetitionIn, user: Any = None, language: str = "vi",
                    now: datetime | None = None) -> Petition:
    """Record a feedback or petition from anyone (signed in or not); returns it with its code, which the sender
    also receives by email or SMS (to follow it up later)."""
    agency, errors = _check_petition(data)
    if errors:
        raise ValidationFailed(errors)
    assert agency is not None
    now = now or timezone.now()
    signed_in = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        petition = Petition.objects.create(
            code=next_petition_code(now), kind=data.kind, subject=data.subject.strip(), body=data.body.strip(),
            agency=agency, dossier_code=data.dossier_code.strip(), sender_name=data.sender_name.strip(),
            sender_phone=data.phone.strip(), sender_email=data.email.strip(), sender_user=signed_in,
            language=(language or "vi")[:5], consent_to_publish=data.consent_to_publish, created_at=now,
        )
        PetitionEvent.objects.create(petition=petition, action=PetitionEvent.Action.SUBMIT, at=now,
                                     actor=signed_in, data={"consent_to_publish": data.consent_to_publish})
        context = {"code": petition.code, "subject": petition.subject, "agency": agency.name,
                   "name": petition.sender_name, "url": lookup_url(petition)}
        transaction.on_commit(lambda: notify(
            template="petition_received", context=context, email=petition.sender_email,
            phone=petition.sender_phone, user=signed_in, language=petition.language))
    return petition


def lookup_url(petition: Petition) -> str:
    return public_url(reverse("feedback:petition_lookup") + f"?ma={petition.code}")


def answer_petition(*, actor: Actor, code: str, answer: str, publish: bool,
                    now: datetime | None = None) -> Petition:
    """Answer (or revise the answer to) a petition of one of the actor's agencies, and publish it or not.

    Publication needs the sender's consent. A new or changed answer is sent to the sender (email and SMS) once
    the transaction commits; every change is a :class:`PetitionEvent` naming who made it.
    """
    now = now or timezone.now()
    text = answer.strip()
    if not text:
        raise ValidationFailed([MotCuaError("answer_required", _("Write the answer."), location="answer")])
    if len(text) > BODY_MAX:
        raise ValidationFailed([MotCuaError("too_long", _("This text is too long (at most %(max_length)s "
                                                          "characters)."), {"max_length": BODY_MAX}, "answer")])
    with transaction.atomic():
        petition = selectors.petitions_for(actor).select_for_update(of=("self",)).filter(code=code).first()
        if petition is None:
            raise NotFound("petition_not_found", _("No feedback or petition has the code %(code)s."),
                           {"code": code[:30]})
        if publish and not petition.consent_to_publish:
            raise Refused("publish_without_consent", _("The sender did not agree to publication, so this answer "
                                                       "cannot be published."), location="publish")
        changed = text != petition.answer or petition.status != PetitionStatus.ANSWERED
        if changed:
            first = petition.status != PetitionStatus.ANSWERED
            petition.answer, petition.status = text, PetitionStatus.ANSWERED
            petition.answered_by_id, petition.answered_at = actor.user_id, now
            PetitionEvent.objects.create(
                petition=petition, action=PetitionEvent.Action.ANSWER if first else PetitionEvent.Action.REVISE,
                actor_id=actor.user_id, actor_name=actor.name, at=now, data={"answer": text})
        if publish != petition.published:
            petition.published = publish
            petition.published_by_id, petition.published_at = (actor.user_id, now) if publish else (None, None)
            PetitionEvent.objects.create(
                petition=petition,
                action=PetitionEvent.Action.PUBLISH if publish else PetitionEvent.Action.UNPUBLISH,
                actor_id=actor.user_id, actor_name=actor.name, at=now)
        petition.save()
        if changed:
            context = {"code": petition.code, "subject": petition.subject, "answer": text,
                       "agency": petition.agency.name, "name": petition.sender_name,
                       "url": lookup_url(petition)}
            transaction.on_commit(lambda: notify(
                template="petition_answered", context=context, email=petition.sender_email,
                phone=petition.sender_phone, user=petition.sender_user, language=petition.language))
    return petition
