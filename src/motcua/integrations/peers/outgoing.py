"""What leaves for the peers, through the outbox (``system="peer"``, ``target``: the peer's code, ``ordering``: the
dossier's code, so that one dossier's messages arrive in order).

- :func:`offer_events` (an outbox event hook, inside the event's transaction): a dossier that comes to an agency of
  a peer (a workflow step of that agency, or a transfer to it) → a ``send`` message; every event of a dossier
  received from a peer → a ``status`` message back (``final`` when its officer sent it back).
- :func:`deliver` (the outbox handler): each message's body is built now (the dossier, its files in base64 with
  their SHA-256, its history), signed (``signing.sign``) and POSTed to the peer's inbox. 2xx: delivered (a ``send``
  answer names the dossier there); down, 5xx, 408, 429: retried; any other refusal (bad signature, unknown
  procedure…): failed for good, shown in the admin with the peer's error.
- :func:`route_steps` (a ``dossiers.routing`` step router): the steps of a procedure done by a peer's agency.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import translation

from motcua.catalog.models import ProcedureVersion
from motcua.core.errors import MotCuaError
from motcua.dossiers.models import Attachment, AttachmentKind, Dossier, Event
from motcua.dossiers.services import exchange as dossier_exchange
from motcua.dossiers.services.exchange import DECLINED
from motcua.dossiers.statuses import EventKind, Status
from motcua.integrations import outbox
from motcua.integrations.models import (
    ExchangeDirection,
    ExchangeState,
    OutboxMessage,
    Peer,
    PeerAgency,
    PeerExchange,
    PeerStep,
)
from motcua.integrations.peers import INBOX_PATH, SYSTEM, keys, signing

log = logging.getLogger(__name__)
SEND = "send"
STATUS = "status"
# statuses of a received dossier the requesting province hears of (every event is told; these are its labels)
RETRY_STATUSES = {408, 425, 429}


# --- routing: steps of a procedure done by a peer's agency ------------------------------------------------------

def route_steps(version: ProcedureVersion, steps: list[dict[str, Any]]) -> None:
    rows = list(PeerStep.objects.filter(procedure_code=version.procedure.code).values_list(
        "step_name", "agency__agency_id"))
    if not rows:
        return
    by_name = dict(rows)
    for index, step in enumerate(steps):
        if 0 < index < len(steps) - 1 and step["name"] in by_name:
            step["agency"] = by_name[step["name"]]


# --- the event hook ---------------------------------------------------------------------------------------------

def offer_events(pairs: list[tuple[Any, Any]]) -> None:
    """Enqueue the messages these events cause (inside their transaction)."""
    moved = [(d, e) for d, e in pairs if "current_agency_id" in (e.changes or {}) and d.current_agency_id
             and e.action != EventKind.SUBMIT]
    if moved:
        _sends(moved)
    received = {x.dossier_id: x for x in PeerExchange.objects.filter(
        dossier_id__in={d.pk for d, _e in pairs}, direction=ExchangeDirection.IN).select_related("peer")}
    if received:
        _statuses([(d, e) for d, e in pairs if d.pk in received], received)


def _sends(moved: list[tuple[Dossier, Event]]) -> None:
    stand_ins = {p.agency_id: p for p in PeerAgency.objects.filter(
        agency_id__in={d.current_agency_id for d, _e in moved}, peer__is_active=True).select_related("peer")}
    messages = []
    for dossier, event in moved:
        stand_in = stand_ins.get(dossier.current_agency_id or 0)
        if stand_in is None or dossier.status in (Status.RETURNED, Status.REFUSED, Status.WITHDRAWN):
            continue
        key = f"send:{dossier.code}:{event.seq}"
        exchange = PeerExchange.objects.create(
            direction=ExchangeDirection.OUT, peer=stand_in.peer, dossier=dossier, message_id=key,
            step_index=dossier.step_index, held_by_id=dossier.current_agency_id, back_to_id=event.agency_id,
            from_step=event.from_step, by_transfer=bool((event.data or {}).get("to_agency")))
        messages.append(outbox.Message(system=SYSTEM, kind=SEND, key=key, target=stand_in.peer.code,
                                       ordering=dossier.code, dossier_id=dossier.pk,
                                       payload={"dossier": dossier.code, "exchange": exchange.pk}))
    outbox.enqueue_many(messages)


def event_summary(event: Event) -> dict[str, Any]:
    with translation.override("vi"):  # the record's language, whoever's request wrote the event
        label = str(_label(event.action))
    return {"seq": event.seq, "action": event.action, "label": label,
            "at": event.at.isoformat(), "status": event.to_status, "note": (event.note or "")[:1000],
            "actor": "" if event.actor_id is None and not event.role else (event.actor_name or "")[:300]}


def _label(action: str) -> Any:
    try:
        return EventKind(action).label
    except ValueError:
        return action


def _statuses(pairs: list[tuple[Dossier, Event]], received: dict[int, PeerExchange]) -> None:
    messages = []
    for dossier, event in pairs:
        if event.action in (EventKind.SUBMIT,):
            continue
        exchange = received[dossier.pk]
        final = event.action == EventKind.EXCHANGE and bool((event.data or {}).get("sent_back"))
        messages.append(outbox.Message(
            system=SYSTEM, kind=STATUS, key=f"status:{dossier.code}:{event.seq}", target=exchange.peer.code,
            ordering=dossier.code, dossier_id=dossier.pk,
            payload={"exchange": exchange.message_id, "origin_code": exchange.remote_code,
                     "dossier_code": dossier.code, "event": event_summary(event), "final": final,
                     "outcome": (event.data or {}).get("outcome", "") if final else ""}))
    outbox.enqueue_many(messages)


# --- the bodies -------------------------------------------------------------------------------------------------

def file_entry(attachment: Attachment) -> dict[str, Any]:
    with attachment.file.open("rb") as handle:
        content = handle.read()
    return {"name": attachment.original_name, "kind": attachment.kind, "size": attachment.size,
            "sha256": attachment.sha256, "component": attachment.component.order if attachment.component else None,
            "content": base64.b64encode(content).decode("ascii")}


def send_body(message: OutboxMessage) -> dict[str, Any]:
    exchange = PeerExchange.objects.select_related("held_by__peer_agency").get(pk=message.payload["exchange"])
    dossier = Dossier.objects.select_related("procedure", "version").get(code=message.payload["dossier"])
    step = dossier.plan[exchange.step_index] if 0 <= exchange.step_index < len(dossier.plan) else {}
    history = [event_summary(e) | {"agency": e.agency.name if e.agency else ""}
               for e in dossier.events.select_related("agency").order_by("seq")]
    attachments = dossier.attachments.exclude(kind=AttachmentKind.DRAFT).select_related("component")
    return {
        "agency": exchange.held_by.peer_agency.remote_code if exchange.held_by else "",
        "dossier": {
            "code": dossier.code, "procedure": dossier.procedure.code, "procedure_name": dossier.version.name_vi,
            "applicant": {"kind": dossier.applicant_kind, "name": dossier.applicant_name,
                          "id_number": dossier.applicant_id_number, "phone": dossier.applicant_phone,
                          "email": dossier.applicant_email, "address": dossier.applicant_address},
            "form": dossier.form_data,
            "components": [{"order": c.order, "name": c.name, "required": c.required, "originals": c.originals,
                            "copies": c.copies, "received": c.received} for c in dossier.components.all()],
            "step": {"index": exchange.step_index, "name": step.get("name", ""), "days": step.get("days", "")},
            "history": history,
        },
        "files": [file_entry(a) for a in attachments],
    }


def status_body(message: OutboxMessage) -> dict[str, Any]:
    body = dict(message.payload)
    body["files"] = []
    if body.get("final"):
        # what the officers here added (not the files that came with the dossier): the work's results
        dossier = Dossier.objects.get(code=body["dossier_code"])
        added = dossier.attachments.exclude(kind=AttachmentKind.DRAFT).filter(
            Q(uploaded_by__isnull=False) | Q(kind=AttachmentKind.RESULT)).select_related("component")
        body["files"] = [file_entry(a) for a in added]
    return body


# --- delivery ---------------------------------------------------------------------------------------------------

def deliver(batch: list[OutboxMessage]) -> dict[int, outbox.Outcome]:
    peers = {p.code: p for p in Peer.objects.filter(code__in={m.target for m in batch})}
    outcomes: dict[int, outbox.Outcome] = {}
    stopped: set[tuple[str, str]] = set()
    for message in batch:
        group = (message.target, message.ordering)
        if group in stopped:  # an earlier message of this dossier did not go: keep the order
            outcomes[message.pk] = outbox.Outcome(ok=False, attempted=False)
            continue
        peer = peers.get(message.target)
        if peer is None or not peer.is_active:
            outcome = outbox.Outcome(ok=False, error=f"peer {message.target} is not registered or not active",
                                     retry=False)
        else:
            try:
                body = send_body(message) if message.kind == SEND else status_body(message)
            except (Dossier.DoesNotExist, PeerExchange.DoesNotExist, OSError) as exc:
                outcome = outbox.Outcome(ok=False, error=f"cannot build the message: {exc}", retry=False)
            else:
                outcome = post(peer, message.key, message.kind, body)
        if outcome.ok:
            _after(message, outcome.response)
        else:
            stopped.add(group)
            final = not outcome.retry or message.attempts + 1 >= int(settings.MOTCUA_OUTBOX_MAX_ATTEMPTS)
            if final and message.kind == SEND:
                give_back(message, outcome.error)
        outcomes[message.pk] = outcome
    return outcomes


def give_back(message: OutboxMessage, error: str) -> None:
    """A dossier the peer refused for good (or never answered for) goes back to the agency that sent it, with an
    ``exchange`` event saying why, instead of waiting for ever at the stand-in (nobody works there)."""
    exchange = PeerExchange.objects.filter(pk=message.payload.get("exchange")).select_related("peer").first()
    if exchange is None:
        return
    try:
        dossier_exchange.record_exchange(
            exchange.dossier.code, sender=keys.instance_name(),
            data={"peer": exchange.peer.code, "not_sent": error[:500], "final": True, "outcome": DECLINED},
            move=dossier_exchange.BACK, at_step=exchange.step_index, held_by=exchange.held_by_id,
            back_to=exchange.back_to_id, to_step=None if exchange.by_transfer else exchange.from_step)
    except MotCuaError:
        log.exception("could not give dossier %s back after its send failed", exchange.dossier_id)
        return
    PeerExchange.objects.filter(pk=exchange.pk).update(state=ExchangeState.DECLINED)


def post(peer: Peer, message_id: str, kind: str, content: dict[str, Any]) -> outbox.Outcome:
    """Sign and POST one message to ``peer``'s inbox."""
    body = encode({"id": message_id, "kind": kind, "from": keys.instance_code(), **content})
    status, answer = post_raw(peer.base_url, body, message_id)
    if 200 <= status < 300:
        return outbox.Outcome(ok=True, response=answer)
    error = f"HTTP {status}: {json.dumps(answer, ensure_ascii=False)[:1500]}" if status else str(answer.get("error"))
    return outbox.Outcome(ok=False, error=error, retry=status == 0 or status >= 500 or status in RETRY_STATUSES)


def encode(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def inbox_url(base_url: str) -> tuple[str, str]:
    url = base_url.rstrip("/") + INBOX_PATH
    return url, urllib.parse.urlsplit(url).path


def post_raw(base_url: str, body: bytes, message_id: str, headers: dict[str, str] | None = None
             ) -> tuple[int, dict[str, Any]]:
    """POST ``body`` signed by this instance (or with ``headers`` as given); (HTTP status or 0, JSON answer)."""
    url, path = inbox_url(base_url)
    signed = headers if headers is not None else signing.sign(
        keys.private_key(), method="POST", path=path, body=body, keyid=keys.instance_code(), nonce=message_id)
    request = urllib.request.Request(  # noqa: S310 - a peer's registered http(s) address
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json", **signed})
    try:
        with urllib.request.urlopen(request, timeout=float(settings.MOTCUA_PEER_TIMEOUT)) as response:  # noqa: S310
            return response.status, _json(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, _json(exc.read())
    except (OSError, urllib.error.URLError) as exc:
        return 0, {"error": f"{type(exc).__name__}: {exc}"}


def _json(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return {"error": "unreadable answer", "body": raw[:300].decode("utf-8", "replace")}
    return data if isinstance(data, dict) else {"answer": data}


def _after(message: OutboxMessage, answer: dict[str, Any]) -> None:
    if message.kind == SEND and answer.get("dossier"):
        PeerExchange.objects.filter(pk=message.payload.get("exchange"), state=ExchangeState.SENT).update(
            remote_code=str(answer["dossier"])[:60], state=ExchangeState.WORKING)
