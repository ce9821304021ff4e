"""What an event of the official account's webhook does (``POST /zalo/webhook``).

:func:`receive` checks the signature, keeps the event once (Zalo sends again what it thinks was not received: an
event already kept is answered 200 and not applied twice: :class:`~motcua.integrations.models.InboxMessage` by its
``msg_id``), and applies it in the same transaction:

* ``follow``: a welcome that says how to link the account;
* ``unfollow``: the account linked to that Zalo user is unlinked (no message can reach them any more);
* ``user_send_text``:
  - ``MC 482913`` (the code on the account page) links the Zalo user to that account;
  - ``DG [dossier code] [1-5] [comment]`` rates the dossier (``feedback.services.rate_dossier``, as its applicant's
    account: the sender must be linked to it); any other text that starts with ``DG`` is a rating that went wrong,
    never feedback: the answer says why (no dossier has that code, the score is not 1 to 5, the dossier is not
    the sender's, or not returned yet) and how to write it;
  - any other text from a linked citizen is feedback to the agency of the dossier it names, or to
    ``MOTCUA_ZALO_FEEDBACK_AGENCY`` (``feedback.services.submit_petition``; its receipt comes back by Zalo);
  - from someone not linked yet: how to link (feedback needs a way to answer, which the account gives).

Answers are notifications (``notifications.services.notify`` to the Zalo user ID): written now, sent by the task
worker after the commit, so the webhook answers within Zalo's two seconds.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from motcua.accounts import selectors as accounts
from motcua.accounts import services as account_services
from motcua.accounts.models import Citizen
from motcua.agencies.models import AgencyKind
from motcua.core.errors import MotCuaError, ValidationFailed
from motcua.core.web import public_url
from motcua.dossiers.codes import CODE, is_code
from motcua.dossiers.statuses import Status
from motcua.feedback import selectors as feedback
from motcua.feedback import services as feedback_services
from motcua.feedback.models import PetitionKind
from motcua.integrations.models import InboxMessage, MessageKind
from motcua.integrations.zalo import signature
from motcua.notifications.services import notify

logger = logging.getLogger(__name__)

SENDER = "zalo"
LINK = re.compile(r"^\s*MC\s*(\d{6})\s*$", re.IGNORECASE)
RATING = re.compile(r"^\s*[DĐ]G(?=[\W_]|$)", re.IGNORECASE)  # "DG …", "dg:…": a rating, valid or not
DOSSIER_CODE = re.compile(r"\b\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4,}\b")
SUBJECT_MAX = 80


def receive(body: bytes, header: str) -> tuple[int, dict[str, Any]]:
    """Check, keep once and apply one webhook event; (HTTP status, answer)."""
    try:
        event = json.loads(body)
    except ValueError:
        return 400, {"error": "bad_json"}
    if not isinstance(event, dict):
        return 400, {"error": "bad_json"}
    if not signature.valid(header, app_id=settings.MOTCUA_ZALO_APP_ID, body=body,
                           timestamp=str(event.get("timestamp", "")), oa_secret=settings.MOTCUA_ZALO_OA_SECRET):
        return 403, {"error": "bad_signature"}
    if str(event.get("app_id", settings.MOTCUA_ZALO_APP_ID)) != settings.MOTCUA_ZALO_APP_ID:
        return 403, {"error": "other_app"}
    name = str(event.get("event_name", ""))
    part = event.get("message")
    message: dict[str, Any] = part if isinstance(part, dict) else {}
    user_id = _user_of(event)
    key = str(message.get("msg_id") or f"{name}:{user_id}:{event.get('timestamp', '')}")[:120]
    try:
        with transaction.atomic():
            inbox = InboxMessage.objects.create(sender=SENDER, message_id=key, kind=MessageKind.ZALO,
                                                payload=event)
            result = apply(name, user_id, str(message.get("text", "")))
            inbox.result = {"done": result}
            inbox.save(update_fields=["result"])
    except IntegrityError:
        return 200, {"ok": True, "duplicate": True}
    return 200, {"ok": True, "done": result}


def _user_of(event: dict[str, Any]) -> str:
    for field in ("sender", "follower", "user"):
        part = event.get(field)
        if isinstance(part, dict) and part.get("id"):
            return str(part["id"])[:64]
    return ""


def apply(name: str, user_id: str, text: str) -> str:
    """Do what the event means; returns what was done (kept with the event)."""
    if not user_id:
        return "ignored"
    if name == "unfollow":
        return "unlinked" if account_services.unlink_zalo(zalo_user_id=user_id) is not None else "ignored"
    citizen = accounts.citizen_by_zalo(user_id)
    language = citizen.language if citizen is not None else "vi"
    if name == "follow":
        _reply(user_id, language, _("Welcome to the one-stop shop's Zalo. To receive the news of your dossiers "
                                    "here, open your account at %(url)s, choose \"Connect Zalo\" and send us the "
                                    "code it shows."), url=public_url(reverse("accounts:profile")))
        return "welcomed"
    if name != "user_send_text" or not text.strip():
        return "ignored"
    link = LINK.match(text)
    if link:
        return _link(user_id, link.group(1), language)
    if citizen is None:
        _reply(user_id, language, _("Your Zalo is not connected to a MotCua account yet. Open %(url)s, choose "
                                    "\"Connect Zalo\" and send us the code it shows; then you can rate our "
                                    "service and send feedback here."), url=public_url(reverse("accounts:profile")))
        return "not_linked"
    rating = RATING.match(text)
    if rating:
        return _rate(citizen, text[rating.end():])
    return _feedback(citizen, text.strip())


def _reply(user_id: str, language: str, text: Any, **params: Any) -> None:
    with translation.override(language):
        rendered = str(text) % params if params else str(text)
    notify(template="zalo_reply", context={"text": rendered}, zalo_user_id=user_id, language=language)


def _refusal(exc: MotCuaError, language: str) -> str:
    """The refusal's text in ``language`` (each error of a validation, not their count)."""
    errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    return " ".join(error.text(language) for error in errors)


def _link(user_id: str, digits: str, language: str) -> str:
    try:
        citizen = account_services.link_zalo(zalo_user_id=user_id, digits=digits)
    except MotCuaError as exc:
        _reply(user_id, language, _refusal(exc, language))
        return f"refused:{exc.code}"
    _reply(user_id, citizen.language, _("Connected: %(name)s, the news of your dossiers will come here. To rate a "
                                        "returned dossier send: DG [dossier code] [1–5]. Any other message is "
                                        "sent as feedback."), name=citizen.full_name)
    return "linked"


SYNTAX = _("To rate a returned dossier, send: DG [dossier code] [1–5], for example DG %(code)s 5.")
EXAMPLE_CODE = "000.01.20.H22-261120-0001"


def _rating_problems(citizen: Citizen, code: str, score: str) -> list[tuple[str, Any, dict[str, str]]]:
    """Why ``DG code score`` cannot rate: (stable code, text, its parameters), in the order to fix them."""
    problems: list[tuple[str, Any, dict[str, str]]] = []
    dossier = feedback.own_dossier(citizen.user, code) if is_code(code) else None
    if not code:
        problems.append(("dossier_not_found", _("The dossier code is missing."), {}))
    elif dossier is None and not (is_code(code) and feedback.dossier_exists(code)):
        problems.append(("dossier_not_found", _("No dossier has the code %(code)s."), {"code": code[:60]}))
    elif dossier is None:
        problems.append(("not_own_dossier", _("Dossier %(code)s is not one of the dossiers of your account."),
                         {"code": code}))
    elif dossier.status != Status.RETURNED:
        problems.append(("not_returned_yet", _("Dossier %(code)s has not been returned yet: it can be rated once "
                                               "its result has been returned."), {"code": code}))
    if score not in {"1", "2", "3", "4", "5"}:
        problems.append(("score_invalid", _("The score must be a whole number from 1 to 5."), {}))
    return problems


def _rate(citizen: Citizen, rest: str) -> str:
    """``DG [dossier code] [1–5] [comment]``; anything else after "DG" is answered with the reason and the
    syntax, and is never a petition."""
    parts = rest.lstrip(" \t\n:.,;-_").split(maxsplit=2)
    code = parts[0].upper() if parts else ""
    score = parts[1] if len(parts) > 1 else ""
    comment = parts[2].strip() if len(parts) > 2 else ""
    user_id, language = citizen.zalo_user_id or "", citizen.language
    problems = _rating_problems(citizen, code, score)
    if problems:
        with translation.override(language):
            # someone else's dossier code (or one that does not exist) is never offered back as the example
            own = not any(kind in ("not_own_dossier", "dossier_not_found") for kind, _text, _params in problems)
            example = code if is_code(code) and own else EXAMPLE_CODE
            reasons = [str(text) % params if params else str(text) for _code, text, params in problems]
            text = " ".join([*reasons, str(SYNTAX) % {"code": example}])
        _reply(user_id, language, text)
        return f"refused:{problems[0][0]}"
    answers = feedback_services.Answers(score=int(score), comment=comment[:1000])
    try:
        feedback_services.rate_dossier(user=citizen.user, dossier_code=code, answers=answers)
    except MotCuaError as exc:
        _reply(user_id, language, _refusal(exc, language))
        return f"refused:{exc.code}"
    _reply(user_id, language, _("Thank you: your rating %(score)d/5 of dossier %(code)s is recorded."),
           score=int(score), code=code)
    return "rated"


def _feedback_agency(citizen: Citizen, code: str) -> str:
    dossier = feedback.own_dossier(citizen.user, code) if code else None
    if dossier is not None:
        return str(dossier.receiving_agency.identifier_code)
    if settings.MOTCUA_ZALO_FEEDBACK_AGENCY:
        return str(settings.MOTCUA_ZALO_FEEDBACK_AGENCY)
    # the province's own service center (a province-level unit), not whichever agency sorts first (a ward's)
    agencies = feedback.petition_agencies()
    first = (agencies.filter(kind=AgencyKind.SERVICE_CENTER, unit__parent__isnull=True).first()
             or agencies.first())
    return str(first.identifier_code) if first is not None else ""


def _feedback(citizen: Citizen, text: str) -> str:
    found = DOSSIER_CODE.search(text)
    code = found.group(0) if found and CODE.match(found.group(0)) else ""
    subject = " ".join(text.split())
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1].rstrip() + "…"
    data = feedback_services.PetitionIn(
        kind=PetitionKind.FEEDBACK, subject=subject, body=text[:5000], agency=_feedback_agency(citizen, code),
        sender_name=citizen.full_name[:200], phone=citizen.phone, email=citizen.email, dossier_code=code)
    try:
        feedback_services.submit_petition(data=data, user=citizen.user, language=citizen.language)
    except MotCuaError as exc:
        _reply(citizen.zalo_user_id or "", citizen.language, _refusal(exc, citizen.language))
        return f"refused:{exc.code}"
    return "feedback"
